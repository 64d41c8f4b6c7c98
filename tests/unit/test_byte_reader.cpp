#include <gtest/gtest.h>

#include <array>

#include "wardwatch/byte_reader.hpp"
#include "wardwatch/text.hpp"

namespace ww {

TEST(ByteReader, ReadsBigAndLittleEndian) {
  const std::array<std::uint8_t, 8> data{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
  ByteReader r(data);
  EXPECT_EQ(r.u16be(), 0x1234);
  EXPECT_EQ(r.u16le(), 0x7856);
  EXPECT_EQ(r.u32be(), 0x9abcdef0u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, ReadPastEndLatchesFailureAndReturnsZero) {
  const std::array<std::uint8_t, 3> data{1, 2, 3};
  ByteReader r(data);
  EXPECT_EQ(r.u16be(), 0x0102);
  EXPECT_EQ(r.u32be(), 0u);  // only one byte left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);  // sticky: even a read that would fit fails now
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.bytes(1).empty());
}

TEST(ByteReader, SubReaderAdvancesParentAndIsBounded) {
  const std::array<std::uint8_t, 5> data{2, 0xaa, 0xbb, 0xcc, 0xdd};
  ByteReader r(data);
  ByteReader sub = r.sub(r.u8());
  EXPECT_EQ(sub.u16be(), 0xaabb);
  EXPECT_EQ(sub.u8(), 0);
  EXPECT_FALSE(sub.ok());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u16be(), 0xccdd);
  ByteReader too_long = r.sub(10);
  EXPECT_FALSE(too_long.ok());
  EXPECT_FALSE(r.ok());
}

TEST(Text, PrintableEscapesControlAndHighBytesAndCaps) {
  EXPECT_EQ(printable(std::string_view("abc\x01\xff", 5)), "abc\\x01\\xff");
  EXPECT_EQ(printable(std::string_view("name\0\0  ", 8)), "name");
  EXPECT_EQ(printable("a\\b"), "a\\x5cb");
  const std::string long_text(1000, 'x');
  const std::string cut = printable(long_text);
  EXPECT_EQ(cut.size(), kMaxValueLength);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
}

}  // namespace ww
