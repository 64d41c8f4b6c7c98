#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

// MBAP header (transaction 1, protocol 0, length, unit) + PDU.
Buf adu(std::uint8_t unit, const Buf& pdu) {
  Buf b = {0x00, 0x01, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(pdu.size() + 1), unit};
  for (std::uint8_t x : pdu) b.push_back(x);
  return b;
}
void obj(Buf& b, std::uint8_t id, std::string_view s) {
  b.push_back(id);
  b.push_back(static_cast<std::uint8_t>(s.size()));
  for (char c : s) b.push_back(static_cast<std::uint8_t>(c));
}
// Read Device Identification response (spec §6.21), regular level, all objects in one response.
Buf device_id_response() {
  Buf p = {0x2b, 0x0e, 0x02, 0x82, 0x00, 0x00, 5};
  obj(p, 0x00, "Schneider Electric");
  obj(p, 0x01, "BMX P34 2020");
  obj(p, 0x02, "v2.80");
  obj(p, 0x04, "Modicon M340");
  obj(p, 0x05, "BMXP342020");
  return adu(1, p);
}

struct Feeder {
  Buf buf[2];
  ParseStatus last = ParseStatus::ok;
  ParseStatus feed(StreamSession& s, StreamDir dir, Bytes chunk, test::RecordingSink& sink) {
    Buf& b = buf[static_cast<int>(dir)];
    for (std::uint8_t c : chunk) b.push_back(c);
    std::size_t consumed = 0;
    last = s.on_data(dir, b, consumed, sink);
    if (consumed >= b.size()) b.clear();
    else b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(consumed));
    return last;
  }
};

class ModbusTest : public ::testing::Test {
 protected:
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = test::find_stream(registry, "modbus");
  StreamMeta meta;
  test::RecordingSink sink;
  Feeder feeder;
};

TEST_F(ModbusTest, RequestsAndDeviceIdentificationSplitAcrossSegments) {
  ASSERT_NE(parser, nullptr);
  const Buf req = adu(1, {0x2b, 0x0e, 0x02, 0x00});
  ASSERT_TRUE(parser->probe(StreamDir::to_server, req));
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_server, req, sink);
  feeder.feed(*session, StreamDir::to_server, adu(1, {0x03, 0x00, 0x00, 0x00, 0x0a}), sink);
  feeder.feed(*session, StreamDir::to_server, adu(1, {0x03, 0x00, 0x10, 0x00, 0x0a}), sink);  // repeated fc
  const Buf resp = device_id_response();
  for (std::size_t off = 0; off < resp.size(); off += 5) {
    feeder.feed(*session, StreamDir::to_client, Bytes(resp).subspan(off, std::min<std::size_t>(5, resp.size() - off)), sink);
  }
  EXPECT_EQ(sink.values("modbus.function"), (std::vector<std::string>{"43", "3"}));
  EXPECT_EQ(sink.values("modbus.unit_id"), std::vector<std::string>{"1"});
  for (const auto& f : sink.facts) {
    if (f.key == "modbus.function" || f.key == "modbus.unit_id") EXPECT_EQ(f.about, "receiver");
    else EXPECT_EQ(f.about, "sender");
  }
  EXPECT_EQ(sink.value("modbus.vendor"), "Schneider Electric");
  EXPECT_EQ(sink.value("modbus.product_code"), "BMX P34 2020");
  EXPECT_EQ(sink.value("modbus.revision"), "v2.80");
  EXPECT_EQ(sink.value("modbus.product_name"), "Modicon M340");
  EXPECT_EQ(sink.value("modbus.model_name"), "BMXP342020");
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(ModbusTest, TruncatedAndHostileResponses) {
  const Buf resp = device_id_response();
  // Truncate the PDU at every point but keep the MBAP length consistent.
  for (std::size_t n = 1; n < resp.size() - 7; ++n) {
    auto session = parser->open(meta);
    test::RecordingSink s;
    Feeder f;
    const Buf pdu(resp.begin() + 7, resp.begin() + 7 + static_cast<std::ptrdiff_t>(n));
    f.feed(*session, StreamDir::to_client, adu(1, pdu), s);
    EXPECT_LE(s.anomalies.size(), 1u) << n;
  }
  // An object length beyond the PDU.
  Buf p = {0x2b, 0x0e, 0x01, 0x81, 0x00, 0x00, 1, 0x00, 200, 'x'};
  auto session = parser->open(meta);
  feeder.feed(*session, StreamDir::to_client, adu(1, p), sink);
  EXPECT_FALSE(sink.has("modbus.vendor"));
  ASSERT_EQ(sink.anomalies.size(), 1u);
  EXPECT_EQ(sink.anomalies[0], "modbus.bad_device_identification");
  // An MBAP header that is not Modbus ends the direction.
  auto s2 = parser->open(meta);
  test::RecordingSink sink2;
  Feeder f2;
  const Buf bad = {0x00, 0x01, 0x12, 0x34, 0x00, 0x06, 0x01, 0x03, 0, 0, 0, 1};
  f2.feed(*s2, StreamDir::to_server, bad, sink2);
  ASSERT_EQ(sink2.anomalies.size(), 1u);
  EXPECT_EQ(sink2.anomalies[0], "modbus.bad_mbap");
  EXPECT_TRUE(f2.buf[0].empty());
}

TEST_F(ModbusTest, StreamIsDoneAfterBoundedNumberOfAdus) {
  auto session = parser->open(meta);
  const Buf req = adu(1, {0x03, 0x00, 0x00, 0x00, 0x01});
  const Buf resp = adu(1, {0x03, 0x02, 0x00, 0x2a});
  ParseStatus st = ParseStatus::ok;
  for (int i = 0; i < 64; ++i) {
    feeder.feed(*session, StreamDir::to_server, req, sink);
    st = feeder.feed(*session, StreamDir::to_client, resp, sink);
  }
  EXPECT_EQ(st, ParseStatus::done);
}

TEST_F(ModbusTest, ProbeRejectsOtherProtocols) {
  const Buf smb = {0x00, 0x00, 0x00, 0x66, 0xfe, 'S', 'M', 'B'};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, smb));
  const Buf dicom_release = {0x05, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, dicom_release));
  const std::string http = "GET / HTTP/1.1\r\n";
  EXPECT_FALSE(parser->probe(StreamDir::to_server, as_bytes(http)));
  const Buf user_fc = adu(1, {0x41, 0x00});  // user-defined function code 65
  EXPECT_FALSE(parser->probe(StreamDir::to_server, user_fc));
  Buf two = adu(1, {0x03, 0, 0, 0, 1});
  for (std::uint8_t x : Buf{0x00, 0x02, 0x47, 0x45, 0x00, 0x06}) two.push_back(x);
  EXPECT_FALSE(parser->probe(StreamDir::to_server, two));  // second header is not MBAP
  EXPECT_TRUE(parser->probe(StreamDir::to_client, adu(1, {0x83, 0x02})));  // exception response
}

// tshark -r zeek_modbus-eit.pcap -O modbus: two Read Device Identification requests (units 0 and 255); the
// first answer has More Follows 0x4d (spec allows only 0x00/0xFF) and no objects, the second is an exception
// (Slave device failure). So only the function and unit ids are facts, and the odd answer is counted.
TEST(ModbusCapture, SharedZeekModbusEitReadDeviceIdentification) {
  const auto path = test::shared_pcap("zeek_modbus-eit.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(test::all_values(inv, "modbus.function"), std::vector<std::string>{"43"});
  auto units = test::all_values(inv, "modbus.unit_id");
  std::sort(units.begin(), units.end());
  EXPECT_EQ(units, (std::vector<std::string>{"0", "255"}));
  EXPECT_TRUE(test::all_values(inv, "modbus.vendor").empty());
}

// tshark -r ndpi_modbus.pcap -T fields -e mbtcp.unit_id -e modbus.func_code: unit 1, function 3 only.
TEST(ModbusCapture, SharedNdpiModbusReadHoldingRegisters) {
  const auto path = test::shared_pcap("ndpi_modbus.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  EXPECT_EQ(test::all_values(inv, "modbus.function"), std::vector<std::string>{"3"});
  EXPECT_EQ(test::all_values(inv, "modbus.unit_id"), std::vector<std::string>{"1"});
}


}  // namespace
}  // namespace ww
