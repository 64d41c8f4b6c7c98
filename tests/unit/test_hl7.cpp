#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"
#include "support/stream_feeder.hpp"

namespace ww {
namespace {

using test::contains_ci;
using test::SideSink;
// HL7 never asks to skip beyond what it was given.
struct Feeder : test::StreamFeeder {
  Feeder() { allow_skip = false; }
};

std::string mllp(std::string_view message) { return "\x0b" + std::string(message) + "\x1c\r"; }

const std::string kAdt =
    "MSH|^~\\&|EPIC|GENHOSP|CLOVERLEAF|LAB|20240315103000||ADT^A01^ADT_A01|MSG00001|P|2.5.1|||||||||PROF1^HL7~PROF2\r"
    "SFT|Epic Systems Corporation^L^^^^EPIC|2023.1.4|EpicCare Inpatient|E2023.1.4.7||20231101\r"
    "EVN|A01|20240315103000\r"
    "PID|1||PLANTED-PID-0815^^^GENHOSP^MR||ZZPLANTED^BOB^^^^^L||19020304|M|||34 Planted Avenue^^Springfield\r"
    "PV1|1|I|WARD7^701^1^GENHOSP||||9001^ZZPLANTED^CAROL^^^DR|||MED|||||||||PLANTED-VN-2024";
const std::string kAck = "MSH|^~\\&|CLOVERLEAF|LAB|EPIC|GENHOSP|20240315103000||ACK^A01^ACK|ACK1|P|2.5.1\rMSA|AA|MSG00001|Message accepted\r";
const std::vector<std::string_view> kPhi = {"ZZPLANTED", "PLANTED", "19020304", "Springfield", "WARD7", "SECRET", "MOUSE"};

class Hl7Test : public ::testing::Test {
 protected:
  void SetUp() override {
    parser = test::find_stream(registry, "hl7");
    ASSERT_NE(parser, nullptr);
    StreamMeta meta;
    meta.client_port = 37920;
    meta.server_port = 2575;
    f.session = parser->open(meta);
  }
  void expect_no_phi() {
    for (const auto& fact : f.sink.facts) {
      for (auto s : kPhi) EXPECT_FALSE(contains_ci(fact.value, s)) << fact.key << "=" << fact.value;
    }
  }
  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = nullptr;
  Feeder f;
};

TEST_F(Hl7Test, MllpMessageHeaderAndSoftwareSegment) {
  const std::string msg = mllp(kAdt);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, as_bytes(msg)));
  f.feed(StreamDir::to_server, msg);
  EXPECT_EQ(f.last, ParseStatus::ok);
  EXPECT_TRUE(f.has("client", "hl7.sending_application", "EPIC"));
  EXPECT_TRUE(f.has("client", "hl7.sending_facility", "GENHOSP"));
  EXPECT_TRUE(f.has("client", "hl7.receiving_application", "CLOVERLEAF"));
  EXPECT_TRUE(f.has("client", "hl7.receiving_facility", "LAB"));
  EXPECT_TRUE(f.has("client", "hl7.application", "EPIC"));
  EXPECT_TRUE(f.has("client", "hl7.facility", "GENHOSP"));
  EXPECT_TRUE(f.has("server", "hl7.application", "CLOVERLEAF"));
  EXPECT_TRUE(f.has("server", "hl7.facility", "LAB"));
  EXPECT_TRUE(f.has("client", "hl7.message_type", "ADT^A01"));
  EXPECT_TRUE(f.has("client", "hl7.processing_id", "P"));
  EXPECT_TRUE(f.has("client", "hl7.version", "2.5.1"));
  EXPECT_TRUE(f.has("client", "hl7.profile", "PROF1^HL7"));
  EXPECT_TRUE(f.has("client", "hl7.profile", "PROF2"));
  EXPECT_TRUE(f.has("client", "hl7.framing", "mllp"));
  EXPECT_TRUE(f.has("client", "hl7.link", "EPIC@GENHOSP -> CLOVERLEAF@LAB ADT^A01 port 2575"));
  EXPECT_TRUE(f.has("client", "hl7.software_vendor", "Epic Systems Corporation"));
  EXPECT_TRUE(f.has("client", "hl7.software_version", "2023.1.4"));
  EXPECT_TRUE(f.has("client", "hl7.software_product", "EpicCare Inpatient"));
  EXPECT_TRUE(f.has("client", "hl7.software_binary_id", "E2023.1.4.7"));
  // The server endpoint is now a known HL7 interface: TLS to it later is HL7 over TLS (tls.hl7).
  EXPECT_EQ(f.sink.server_tags, std::vector<std::string>{"hl7"});
  EXPECT_TRUE(f.sink.anomalies.empty());
  EXPECT_TRUE(f.buf[0].empty());
  expect_no_phi();
}

TEST_F(Hl7Test, AckNamesTheListenerAndItsAckCode) {
  f.feed(StreamDir::to_server, mllp(kAdt));
  f.feed(StreamDir::to_client, mllp(kAck));
  EXPECT_TRUE(f.has("server", "hl7.ack_code", "AA"));
  EXPECT_TRUE(f.has("server", "hl7.sending_application", "CLOVERLEAF"));
  EXPECT_TRUE(f.has("server", "hl7.message_type", "ACK^A01"));
  EXPECT_TRUE(f.has("client", "hl7.application", "EPIC"));
  EXPECT_TRUE(f.has("server", "hl7.link", "CLOVERLEAF@LAB -> EPIC@GENHOSP ACK^A01 port 2575"));
  for (const auto& fact : f.sink.facts) EXPECT_FALSE(contains_ci(fact.value, "Message accepted")) << fact.key;
}

TEST_F(Hl7Test, MessageOwnSeparatorsAndEscapes) {
  // Field #, component $, repetition %, escape *, subcomponent @ (HL7 §2.5.4 lets each message choose).
  const std::string msg = "MSH#$%*@#LAB*F*SYS$1.2.3$ISO#SITE@A#RIS#X#20240101##ORU$R01$ORU_R01#9#T$A#2.4\r";
  f.feed(StreamDir::to_server, mllp(msg));
  EXPECT_TRUE(f.has("client", "hl7.sending_application", "LAB|SYS^1.2.3^ISO"));
  EXPECT_TRUE(f.has("client", "hl7.sending_facility", "SITE&A"));
  EXPECT_TRUE(f.has("client", "hl7.message_type", "ORU^R01"));
  EXPECT_TRUE(f.has("client", "hl7.processing_id", "T"));
  EXPECT_TRUE(f.has("client", "hl7.version", "2.4"));
}

TEST_F(Hl7Test, RawStreamWithoutMllpAndDeviceSegments) {
  const std::string stream =
      "MSH|^~\\&|GATEWAY|ICU|EMR|HOSP|||ORU^R01|1|P|2.7\r"
      "PID|1||SECRET-PID||MOUSE^MICKEY\r"
      "PRT|1|AD||EQUIP^Equipment|SECRET-PERSON|||||(01)00643169001763(17)160712(21)21A11F4855^^2.16.840.1.113883.3.3719^ISO|"
      "|||SECRET-ADDR|SECRET-PHONE|00643169001763^^2.16.840.1.113883.3.3719^ISO||||SN-998877\r"
      "OBX|1|NM|8867-4^Heart rate^LN||SECRET-RESULT-72|/min|||||F|||||||MX800-SN1^PHILIPS^00:09:FB:12:34:56^EUI-48\r"
      "EQU|PUMP-0042^BAXTER^0123^L|20240101\r"
      "NTE|1||SECRET-NOTE\r"
      "MSH|^~\\&|GATEWAY|ICU|LIS|HOSP|||ORU^R01|2|P|2.7\r";
  ASSERT_TRUE(parser->probe(StreamDir::to_server, as_bytes(stream)));
  f.feed(StreamDir::to_server, stream);
  EXPECT_TRUE(f.has("client", "hl7.framing", "raw"));
  EXPECT_TRUE(f.has("client", "hl7.device_udi", "(01)00643169001763(17)160712(21)21A11F4855^^2.16.840.1.113883.3.3719^ISO"));
  EXPECT_TRUE(f.has("client", "hl7.device_identifier", "00643169001763^^2.16.840.1.113883.3.3719^ISO"));
  EXPECT_TRUE(f.has("client", "hl7.device_serial_number", "SN-998877"));
  EXPECT_TRUE(f.has("client", "hl7.equipment_instance_id", "MX800-SN1^PHILIPS^00:09:FB:12:34:56^EUI-48"));
  EXPECT_TRUE(f.has("client", "hl7.equipment_instance_id", "PUMP-0042^BAXTER^0123^L"));
  EXPECT_TRUE(f.has("client", "hl7.link", "GATEWAY@ICU -> EMR@HOSP ORU^R01 port 2575"));
  EXPECT_TRUE(f.has("client", "hl7.link", "GATEWAY@ICU -> LIS@HOSP ORU^R01 port 2575"));
  // PRT-10's GS1 UDI taken apart (PRT-16 holds the same GTIN as a bare DI: not a carrier, nothing more).
  EXPECT_EQ(f.values("client", "hl7.udi_issuer"), std::vector<std::string>{"gs1"});
  EXPECT_EQ(f.values("client", "hl7.udi_di"), std::vector<std::string>{"00643169001763"});
  EXPECT_TRUE(f.has("client", "hl7.udi_expiry", "2016-07-12"));
  EXPECT_TRUE(f.has("client", "hl7.udi_serial", "21A11F4855"));
  EXPECT_TRUE(f.values("client", "hl7.udi_labeler").empty());
  expect_no_phi();
}

TEST_F(Hl7Test, HibccUdiInEquipmentIdsDeviceTypeAndBadCheckDigits) {
  // IHE PCD-01 style: the pump's UDI in OBX-18 component 1 (HIBCC, check character 'I'), PRT-22 its type;
  // a second PRT whose GTIN's check digit is wrong: flagged, never taken apart.
  const std::string stream =
      "MSH|^~\\&|PUMPGW|ICU|EMR|HOSP|||ORU^R01|7|P|2.8\r"
      "PID|1||SECRET-PID||MOUSE^MINNIE\r"
      "OBX|1|NM|157784^MDC_FLOW_FLUID_PUMP^MDC||SECRET-RESULT|ml/h|||||F|||||||+A123BJC5D6E71/$$3250630LOT42I^^1.2.3^ISO\r"
      "PRT|1|AD||EQUIP||||||||||||||||||70315^Infusion pump^GMDN\r"
      "PRT|2|AD||EQUIP||||||(01)00643169001764(21)X\r";
  f.feed(StreamDir::to_server, stream);
  EXPECT_TRUE(f.has("client", "hl7.udi_issuer", "hibcc"));
  EXPECT_TRUE(f.has("client", "hl7.udi_di", "A123BJC5D6E71"));
  EXPECT_TRUE(f.has("client", "hl7.udi_labeler", "A123"));
  EXPECT_TRUE(f.has("client", "hl7.udi_lot", "LOT42"));
  EXPECT_TRUE(f.has("client", "hl7.udi_expiry", "2025-06-30"));
  EXPECT_TRUE(f.has("client", "hl7.device_type", "70315^Infusion pump^GMDN"));
  EXPECT_EQ(f.values("client", "hl7.udi_di").size(), 1u);  // the bad GTIN is not a DI
  EXPECT_EQ(std::count(f.sink.anomalies.begin(), f.sink.anomalies.end(), "hl7.udi_bad_check"), 1);
  expect_no_phi();
}

TEST_F(Hl7Test, SegmentsAreOnlyReadAfterAnMsh) {
  // An OBX outside any message (joined mid-way) is not read: its separators are unknown.
  f.feed(StreamDir::to_server, "OBX|1|ST|X||SECRET|||||||||||||EQ-1\r\x1c\r" + mllp(kAck));
  EXPECT_TRUE(f.values("client", "hl7.equipment_instance_id").empty());
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AA"));
}

TEST_F(Hl7Test, MidStreamJoinSkipsToTheNextMessage) {
  const std::string tail = "ZZPLANTED^BOB^^^^^L||19020304|M\rPV1|1|I|WARD7\x1c\r";
  const std::string stream = tail + mllp(kAdt);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, as_bytes(stream)));
  f.feed(StreamDir::to_server, stream);
  EXPECT_TRUE(f.has("client", "hl7.sending_application", "EPIC"));
  EXPECT_EQ(f.values("client", "hl7.sending_application").size(), 1u);
  expect_no_phi();
}

TEST_F(Hl7Test, ByteByByteMatchesWholeFeed) {
  Feeder whole;
  whole.session = parser->open(StreamMeta{});
  const std::string a = mllp(kAdt) + mllp(kAdt), b = mllp(kAck);
  whole.feed(StreamDir::to_server, a);
  whole.feed(StreamDir::to_client, b);
  Feeder bytes;
  bytes.session = parser->open(StreamMeta{});
  bytes.feed_bytewise(StreamDir::to_server, a);
  bytes.feed_bytewise(StreamDir::to_client, b);
  auto key = [](const test::Recorded& r) { return r.about + "|" + r.key + "|" + r.value; };
  std::vector<std::string> x, y;
  for (const auto& r : whole.sink.facts) x.push_back(key(r));
  for (const auto& r : bytes.sink.facts) y.push_back(key(r));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  std::vector<std::string> diff;
  std::set_symmetric_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(diff));
  EXPECT_TRUE(diff.empty()) << ::testing::PrintToString(diff);
  EXPECT_FALSE(x.empty());
  EXPECT_LT(bytes.max_buffered, 200u);  // only the segment being read is ever held
}

TEST_F(Hl7Test, UnreadSegmentsAreNeverBuffered) {
  // A 300 KB PID (think an embedded document) passes through without being held or flagged.
  std::string big = "MSH|^~\\&|A|B|C|D|||ADT^A08|1|P|2.5\rPID|1||" + std::string(300'000, 'Q') + "\rMSA|AE|1\r";
  for (std::size_t i = 0; i < big.size(); i += 1400) f.feed(StreamDir::to_server, std::string_view(big).substr(i, 1400));
  EXPECT_LT(f.max_buffered, 3000u);
  EXPECT_TRUE(f.sink.anomalies.empty());
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AE"));
}

TEST_F(Hl7Test, OverlongWantedSegmentIsAnAnomaly) {
  std::string msh = "MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5|" + std::string(20'000, 'x');
  f.feed(StreamDir::to_server, "\x0b" + msh);
  EXPECT_TRUE(f.anomaly("hl7.segment_too_long"));
  EXPECT_LT(f.buf[0].size(), 10'000u);
  f.feed(StreamDir::to_server, "\r\x1c\r" + mllp(kAck));
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AA"));
}

TEST_F(Hl7Test, MessageWithoutEndBlockIsCutAndResynchronised) {
  std::string msg = "\x0bMSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\r";
  for (int i = 0; i < 12'000; ++i) msg += "NTE|1||" + std::string(90, 'n') + "\r";  // > 1 MiB, no 0x1C
  for (std::size_t i = 0; i < msg.size(); i += 4096) f.feed(StreamDir::to_server, std::string_view(msg).substr(i, 4096));
  EXPECT_TRUE(f.anomaly("hl7.message_too_large") || f.anomaly("hl7.too_many_segments"));
  f.feed(StreamDir::to_server, mllp(kAck));
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AA"));
}

TEST_F(Hl7Test, SegmentLimitStopsReadingTheMessage) {
  std::string msg = "MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\r";
  for (int i = 0; i < 1100; ++i) msg += "ZZZ|1\r";
  msg += "MSA|AA|1\r";
  f.feed(StreamDir::to_server, mllp(msg));
  EXPECT_TRUE(f.anomaly("hl7.too_many_segments"));
  EXPECT_TRUE(f.values("client", "hl7.ack_code").empty());
  f.feed(StreamDir::to_server, mllp(kAck));
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AA"));
}

TEST_F(Hl7Test, StartBlockInsideAMessageIsAnAnomaly) {
  f.feed(StreamDir::to_server, "\x0bMSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\rPID|1|" + mllp(kAck));
  EXPECT_TRUE(f.anomaly("hl7.unterminated_message"));
  EXPECT_TRUE(f.has("client", "hl7.ack_code", "AA"));
}

TEST_F(Hl7Test, BadEncodingCharactersAreRejected) {
  f.feed(StreamDir::to_server, mllp("MSH|AB|APP|FAC|X|Y|||ADT^A01|1|P|2.5\rMSA|AA|1\r"));
  EXPECT_TRUE(f.anomaly("hl7.bad_encoding_characters"));
  EXPECT_TRUE(f.sink.facts.empty());
}

TEST_F(Hl7Test, ProbeAcceptsMllpRawAndMidStreamOnly) {
  auto probe = [&](std::string_view s) { return parser->probe(StreamDir::to_server, as_bytes(s)); };
  EXPECT_TRUE(probe("\x0bMSH|^~\\&|A|B"));
  EXPECT_TRUE(probe("MSH|^~\\&|A|B"));
  EXPECT_TRUE(probe("tail of a PID|x\r\x1c\r\x0bMSH|^~\\&|A|B"));
  EXPECT_FALSE(probe("MSHX|^~\\&|"));
  EXPECT_FALSE(probe("GET /MSH|^~ HTTP/1.1\r\n"));
  EXPECT_FALSE(probe("POST /hl7 HTTP/1.1\r\nContent-Type: x-application/hl7-v2+er7\r\n\r\nMSH|^~\\&|A|B|C|D"));
  EXPECT_FALSE(probe("\x0b"));
  const std::uint8_t dicom[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x00, 0x00, 'P', 'A', 'C', 'S'};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, dicom));
}

// ---- whole-pipeline tests over captures --------------------------------------------------------------

bool asset_has(const AssetView* a, std::string_view key, std::string_view value) {
  if (a == nullptr) return false;
  return std::any_of(a->observations.begin(), a->observations.end(),
                     [&](const ObservationView& o) { return o.key == key && o.value == value; });
}

TEST(Hl7Capture, HospitalLabEhrAndInterfaceEngine) {
  const auto path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* ehr = test::find_asset(inv, "mac:02:77:00:00:00:40");
  const AssetView* engine = test::find_asset(inv, "mac:02:77:00:00:00:41");
  ASSERT_NE(ehr, nullptr);
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(asset_has(ehr, "hl7.sending_application", "EPIC"));
  EXPECT_TRUE(asset_has(ehr, "hl7.sending_facility", "GENHOSP"));
  EXPECT_TRUE(asset_has(ehr, "hl7.message_type", "ADT^A01"));
  EXPECT_TRUE(asset_has(ehr, "hl7.message_type", "ORU^R01"));
  EXPECT_TRUE(asset_has(ehr, "hl7.version", "2.5.1"));
  EXPECT_TRUE(asset_has(ehr, "hl7.processing_id", "P"));
  EXPECT_TRUE(asset_has(ehr, "hl7.software_vendor", "Epic Systems Corporation"));
  EXPECT_TRUE(asset_has(ehr, "hl7.software_version", "2023.1.4"));
  EXPECT_TRUE(asset_has(ehr, "hl7.software_product", "EpicCare Inpatient"));
  EXPECT_TRUE(asset_has(ehr, "hl7.software_binary_id", "E2023.1.4.7"));
  EXPECT_TRUE(asset_has(ehr, "hl7.equipment_instance_id", "MX450-SN7788^PHILIPS^0009FBFFFE123456^EUI-64"));
  EXPECT_TRUE(asset_has(ehr, "hl7.link", "EPIC@GENHOSP -> CLOVERLEAF@LAB ADT^A01 port 2575"));
  EXPECT_TRUE(asset_has(engine, "hl7.application", "CLOVERLEAF"));
  EXPECT_TRUE(asset_has(engine, "hl7.facility", "LAB"));
  EXPECT_TRUE(asset_has(engine, "hl7.ack_code", "AA"));
  EXPECT_TRUE(asset_has(engine, "hl7.version", "2.5.1"));
  EXPECT_FALSE(asset_has(engine, "hl7.software_vendor", "Epic Systems Corporation"));
}


}  // namespace
}  // namespace ww
