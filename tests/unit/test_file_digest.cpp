// The content hash that recognises a capture already read (docs/output.md, "Version 4"): read in blocks, it
// must equal XXH3-128 of the whole file at once — the value databases already hold.
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "agent/capture/file_digest.hpp"

namespace ww {
namespace {

std::string expected(const std::vector<unsigned char>& bytes) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(bytes.data(), bytes.size()));
  std::string out = "xxh3-128:";
  char hex[3];
  for (const unsigned char b : c.digest) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

std::string write_temp(const std::vector<unsigned char>& bytes) {
  char path[] = "/tmp/wwdigest-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(FileDigest, BlockwiseEqualsTheWholeFileHash) {
  // Sizes around the 1 MiB block: empty, one byte, a block, a block and a byte, several blocks.
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1} << 20, (std::size_t{1} << 20) + 1,
                                 std::size_t{3} * (1 << 20) + 12345}) {
    std::vector<unsigned char> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
    const std::string path = write_temp(bytes);
    std::string error;
    EXPECT_EQ(file_content_hash(path, error), expected(bytes)) << size;
    EXPECT_EQ(error, "");
    std::remove(path.c_str());
  }
}

TEST(FileDigest, StandardInputAndMissingFiles) {
  std::string error;
  EXPECT_EQ(file_content_hash("-", error), "");
  EXPECT_EQ(file_content_hash("/nonexistent/capture.pcap", error), "");
  EXPECT_NE(error, "");
}

}  // namespace
}  // namespace ww
