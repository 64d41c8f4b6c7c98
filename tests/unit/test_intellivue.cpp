// Philips IntelliVue Data Export (parsers/intellivue.cpp). No capture of IntelliVue traffic is public and
// Debian packages no IntelliVue software, so every message here is built octet by octet from the Data Export
// Interface Programming Guide ("PIPG") as the open mdpnp driver implements it (mdpnp/mdpnp
// devices/philips/.../intellivue/). Identities are invented; patient names and IDs are planted to prove they
// never reach a fact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/stream_feeder.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;
using test::contains_ci;

// ------------------------------------------------------------------------------------------ wire helpers
// All integers are big-endian (PIPG "Byte Order").
void u8(Buf& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v));
}
void u16(Buf& b, unsigned v) {
  u8(b, v >> 8);
  u8(b, v);
}
void u32(Buf& b, std::uint32_t v) {
  u16(b, v >> 16);
  u16(b, v & 0xFFFF);
}
void append(Buf& b, const Buf& more) {
  b.insert(b.end(), more.begin(), more.end());
}
// A u16 length, then the bytes it counts.
Buf with_length(const Buf& body) {
  Buf b;
  u16(b, static_cast<unsigned>(body.size()));
  append(b, body);
  return b;
}

// VariableLabel {u16 length, 8-bit ASCII}; "the length of a VariableLabel is always even" (PIPG Variable
// Label): odd strings are padded with a NUL.
Buf variable_label(std::string_view s) {
  Buf text(s.begin(), s.end());
  if (text.size() % 2) text.push_back(0);
  return with_length(text);
}
// String {u16 length in octets, UTF-16 big-endian} (PIPG String; mdpnp data/String.java).
Buf utf16_string(std::string_view s) {
  Buf text;
  for (char c : s) u16(text, static_cast<unsigned char>(c));
  return with_length(text);
}

struct Attr {
  unsigned id;
  Buf value;
};
// AttributeList {count, length, AVAType {attribute_id, length, value}...} (PIPG Attribute List).
// The counted lists of the PIPG (AttributeList, ProductionSpec, ProtoSupport): {u16 count, u16 length, entries}.
Buf counted_list(std::size_t count, const Buf& entries) {
  Buf b;
  u16(b, static_cast<unsigned>(count));
  append(b, with_length(entries));
  return b;
}
Buf attribute_list(const std::vector<Attr>& attrs) {
  Buf body;
  for (const auto& a : attrs) {
    u16(body, a.id);
    append(body, with_length(a.value));
  }
  return counted_list(attrs.size(), body);
}

// Attribute values, one per allow-listed type.
Buf type_value(unsigned partition, unsigned code) {  // TYPE {NomPartition, OIDType}
  Buf b;
  u16(b, partition);
  u16(b, code);
  return b;
}
Buf system_model(std::string_view manufacturer, std::string_view model) {  // SystemModel
  Buf b = variable_label(manufacturer);
  append(b, variable_label(model));
  return b;
}
struct Spec {
  unsigned spec_type, component;
  std::string text;
};
Buf production_spec(const std::vector<Spec>& entries) {  // ProductionSpec {count, length, ProdSpecEntry...}
  Buf body;
  for (const auto& e : entries) {
    u16(body, e.spec_type);
    u16(body, e.component);
    append(body, variable_label(e.text));
  }
  return counted_list(entries.size(), body);
}
Buf protocol_support(unsigned export_port, unsigned options) {  // ProtoSupport {count, length, entries}
  Buf body;
  u16(body, 1);  // AP_ID_ACSE
  u16(body, 1);  // TP_ID_UDP
  u16(body, export_port);
  u16(body, 0);
  u16(body, 5);  // AP_ID_DATA_OUT
  u16(body, 1);  // TP_ID_UDP
  u16(body, export_port);
  u16(body, options);
  return counted_list(2, body);
}
Buf ip_address_info() {  // IpAddressInfo {MACAddress, IPAddress, subnet_mask}
  return {0x00, 0x09, 0xFB, 0x12, 0x34, 0x56, 10, 20, 30, 41, 255, 255, 255, 0};
}

// Attribute ids (mdpnp data/AttributeId.java).
constexpr unsigned kBedLabel = 0x091E, kModel = 0x0928, kProdSpec = 0x092D, kLocalization = 0x0937, kPtDob = 0x0958,
                   kPtId = 0x095A, kPtNameFamily = 0x095C, kPtNameGiven = 0x095D, kSysId = 0x0984, kSysType = 0x0986,
                   kPtIdInt = 0xF001, kNetAddr = 0xF100, kPcolSupport = 0xF101, kPtNotes1 = 0xF129;
// ProdSpecEntry spec types and component ids.
constexpr unsigned kSerial = 1, kPart = 2, kHw = 3, kSw = 4, kFw = 5, kProtocol = 6;
constexpr unsigned kCompProduct = 0x0008, kCompBoot = 0x0018, kCompMainBd = 0x0050, kCompApplSw = 0x0058;

// ------------------------------------------------------------------------------------------- messages
// EventReportArgument {managed_object {m_obj_class, context_id, handle}, event_time, event_type, length}.
Buf event_report(unsigned object_class, unsigned event_type, const Buf& data) {
  Buf b;
  u16(b, object_class);
  u16(b, 0);           // context_id
  u16(b, 0);           // handle
  u32(b, 0x00D6D400);  // RelativeTime, 1/8 ms ticks
  u16(b, event_type);
  append(b, with_length(data));
  return b;
}
// ROIVapdu / RORSapdu {invoke_id, command_type, length} around a command.
Buf operation(unsigned invoke_id, unsigned command, const Buf& command_data) {
  Buf b;
  u16(b, invoke_id);
  u16(b, command);
  append(b, with_length(command_data));
  return b;
}
// ROapdus {ro_type, length} around a remote operation.
Buf ro_apdus(unsigned ro_type, const Buf& op) {
  Buf b;
  u16(b, ro_type);
  append(b, with_length(op));
  return b;
}

// Connect Indication (PIPG Connect Indication): Nomenclature {0x0000, major 1, minor 0} > ROapdus (ROIV_APDU)
// > ROIVapdu (CMD_EVENT_REPORT) > EventReportArgument (NOM_MOC_MDS_COMPOS_SINGLE_BED 0x23,
// NOM_NOTI_CONN_INDIC 0x0D17) > ConnectIndInfo.
Buf connect_indication(const Buf& attrs) {
  Buf b = {0x00, 0x00, 0x01, 0x00};
  append(b, ro_apdus(1, operation(0, 0, event_report(0x23, 0x0D17, attrs))));
  return b;
}
// Data Export command: SPpdu {session_id 0xE100, p_context_id 2} > ROapdus > operation.
Buf data_export(unsigned ro_type, const Buf& op) {
  Buf b = {0xE1, 0x00, 0x00, 0x02};
  append(b, ro_apdus(ro_type, op));
  return b;
}
// MDS Create Event Report: ROIV CMD_CONFIRMED_EVENT_REPORT, {NOM_MOC_VMS_MDS, NOM_NOTI_MDS_CREAT 0x0D06},
// MdsCreateInfo {managed_object {NOM_MOC_VMS_MDS, 0, 0}, AttributeList}.
Buf mds_create(const Buf& attrs) {
  Buf info = {0x00, 0x21, 0x00, 0x00, 0x00, 0x00};
  append(info, attrs);
  return data_export(1, operation(1, 1, event_report(0x21, 0x0D06, info)));
}
// Get Result: RORS CMD_GET, GetResult {managed_object {class, 0, 0}, AttributeList}.
Buf get_result(unsigned object_class, const Buf& attrs) {
  Buf result;
  u16(result, object_class);
  u16(result, 0);
  u16(result, 0);
  append(result, attrs);
  return data_export(2, operation(7, 3, result));
}
// Association Control (PIPG Session Headers): type, LI, session parameters, presentation header 0xC1 + LI +
// presentation data. The parameters and the first presentation octets are the association request of
// PIPG's protocol example as carried by open clients (05 08 13 01 00 16 01 02 80 00 14 02 00 02).
Buf association(unsigned type) {
  const Buf session = {0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02};
  Buf presentation = {0x31, 0x80, 0xA0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00};  // first presentation octets
  Buf body = session;
  u8(body, 0xC1);
  u8(body, static_cast<unsigned>(presentation.size()));
  append(body, presentation);
  Buf b;
  u8(b, type);
  u8(b, static_cast<unsigned>(body.size()));  // LI: one octet up to 254
  append(b, body);
  return b;
}

// The patient data a monitor holds (NOM_MOC_PT_DEMOG attributes), planted in the lists.
const std::vector<std::string_view> kPhi = {"ZZPLANTED",     "IVPATIENT", "PLANTED-MRN-4711",
                                            "INTERNAL-0815", "19010203",  "allergic"};
std::vector<Attr> planted_patient() {
  return {{kPtNameFamily, utf16_string("ZZPLANTED")},
          {kPtNameGiven, utf16_string("IVPATIENT")},
          {kPtId, utf16_string("PLANTED-MRN-4711")},
          {kPtIdInt, utf16_string("INTERNAL-0815")},
          {kPtDob, {0x19, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00}},
          {kPtNotes1, utf16_string("allergic to ZZPLANTED")},
          {0xF2AB, variable_label("ZZPLANTED IVPATIENT")}};  // an unknown private attribute
}

class IntellivueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(parser, nullptr);
    meta.src_port = 24105;
    meta.dst_port = 50123;
  }
  ParseStatus feed(const Buf& msg, std::uint16_t src_port, std::uint16_t dst_port) {
    meta.src_port = src_port;
    meta.dst_port = dst_port;
    EXPECT_TRUE(parser->probe(meta, msg));
    return parser->parse(meta, msg, sink);
  }
  [[nodiscard]] bool has(std::string_view about, std::string_view key, std::string_view value) const {
    for (const auto& f : sink.facts) {
      if (f.about == about && f.key == key && f.value == value) return true;
    }
    return false;
  }
  void expect_no_phi() const {
    for (const auto& f : sink.facts) {
      for (auto s : kPhi) EXPECT_FALSE(contains_ci(f.value, s)) << f.key << "=" << f.value;
    }
  }
  ParserRegistry registry = make_default_registry();
  const DatagramParser* parser = test::find_datagram(registry, "intellivue");
  PacketMeta meta;
  test::RecordingSink sink;
};

TEST_F(IntellivueTest, ConnectIndicationDescribesTheMonitor) {
  const Buf msg = connect_indication(attribute_list({
      {kSysType, type_value(1, 0x114D)},  // NOM_PART_OBJ, NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS
      {kLocalization, {0x06, 0x08, 0x06, 0x08, 0x00, 0x01, 0x00, 0x0B}},  // SystemLocal: not read
      {kNetAddr, ip_address_info()},
      {kPcolSupport, protocol_support(24105, 0)},
      {kProdSpec, production_spec({{kSerial, kCompProduct, "DE12345678"}, {kPart, kCompProduct, "M8007A"}})},
      {kModel, system_model("Philips", "M8007A")},
  }));
  EXPECT_EQ(feed(msg, 24005, 24005), ParseStatus::ok);
  EXPECT_TRUE(has("sender", "intellivue.message", "connect-indication"));
  EXPECT_TRUE(has("sender", "intellivue.role", "monitor"));
  EXPECT_EQ(sink.value("intellivue.system_type"), "NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS");
  EXPECT_EQ(sink.value("intellivue.export_port"), "24105");
  EXPECT_EQ(sink.value("intellivue.wireless"), "false");
  EXPECT_EQ(sink.value("intellivue.mac_address"), "00:09:fb:12:34:56");
  EXPECT_EQ(sink.value("intellivue.ip_address"), "10.20.30.41");
  EXPECT_EQ(sink.value("intellivue.manufacturer"), "Philips");
  EXPECT_EQ(sink.value("intellivue.model_number"), "M8007A");
  EXPECT_EQ(sink.value("intellivue.serial_number"), "DE12345678");
  EXPECT_EQ(sink.value("intellivue.part_number"), "M8007A");
  EXPECT_TRUE(sink.anomalies.empty());
  // Only the Data-Out entry of Protocol Support gives the export port (the ACSE entry is not one).
  EXPECT_EQ(sink.values("intellivue.export_port").size(), 1u);
}

TEST_F(IntellivueTest, WirelessMonitorAndUnknownSystemType) {
  const Buf msg = connect_indication(attribute_list({
      {kSysType, type_value(8, 0x1234)},                // an unnamed partition/code pair
      {kPcolSupport, protocol_support(24106, 0x8000)},  // P_OPT_WIRELESS
  }));
  EXPECT_EQ(feed(msg, 50000, 24005), ParseStatus::ok);
  EXPECT_EQ(sink.value("intellivue.system_type"), "8/0x1234");
  EXPECT_EQ(sink.value("intellivue.export_port"), "24106");
  EXPECT_EQ(sink.value("intellivue.wireless"), "true");
}

TEST_F(IntellivueTest, MdsCreateCarriesModelAndProductionSpecification) {
  std::vector<Attr> attrs = {
      {kSysType, type_value(1, 0x114D)},
      {kModel, system_model("Philips", "M8007A")},
      {kSysId, variable_label(std::string("\x00\x09\xFB\x12\x34\x56", 6))},
      {kBedLabel, utf16_string("ICU-12")},
      {kProdSpec, production_spec({
                      {kSerial, kCompProduct, "DE12345678"},
                      {kPart, kCompProduct, "M8007A"},
                      {kHw, kCompProduct, " B.00.05"},  // revision strings are 8 characters, space-padded
                      {kFw, kCompProduct, "--------"},  // an unset revision: not kept
                      {kProtocol, kCompProduct, "2.0"},
                      {kPart, kCompApplSw, "S-M4046-1701A"},  // the software's part number: not the device's
                      {kSw, kCompApplSw, "G.01.78 "},
                      {kFw, kCompBoot, "B.01.02"},          // boot code: not kept
                      {kSerial, kCompMainBd, "MB-999999"},  // the mainboard's serial is not the device's
                  })},
  };
  for (auto& a : planted_patient()) attrs.push_back(a);
  const Buf msg = mds_create(attribute_list(attrs));
  EXPECT_EQ(feed(msg, 24105, 50123), ParseStatus::ok);
  EXPECT_TRUE(has("sender", "intellivue.message", "mds-create"));
  EXPECT_TRUE(has("sender", "intellivue.role", "monitor"));
  EXPECT_EQ(sink.value("intellivue.manufacturer"), "Philips");
  EXPECT_EQ(sink.value("intellivue.model_number"), "M8007A");
  EXPECT_EQ(sink.values("intellivue.serial_number"), std::vector<std::string>{"DE12345678"});
  EXPECT_EQ(sink.values("intellivue.part_number"), std::vector<std::string>{"M8007A"});
  EXPECT_EQ(sink.value("intellivue.hardware_revision"), "B.00.05");
  EXPECT_EQ(sink.values("intellivue.software_revision"), std::vector<std::string>{"G.01.78"});
  EXPECT_FALSE(sink.has("intellivue.firmware_revision"));
  EXPECT_EQ(sink.value("intellivue.protocol_revision"), "2.0");
  EXPECT_EQ(sink.value("intellivue.system_id"), "0009fb123456");
  EXPECT_EQ(sink.value("intellivue.bed"), "ICU-12");
  EXPECT_TRUE(sink.anomalies.empty());
  expect_no_phi();
}

TEST_F(IntellivueTest, PlantedPatientNameIsAbsentFromEveryFact) {
  // The patient attributes first and last, around the device ones, in every message that carries a list.
  std::vector<Attr> attrs = planted_patient();
  attrs.push_back({kModel, system_model("Philips", "MX800")});
  for (auto& a : planted_patient()) attrs.push_back(a);
  const Buf list = attribute_list(attrs);
  EXPECT_EQ(feed(connect_indication(list), 24005, 24005), ParseStatus::ok);
  EXPECT_EQ(feed(mds_create(list), 24105, 50123), ParseStatus::ok);
  EXPECT_EQ(feed(get_result(0x21, list), 24105, 50123), ParseStatus::ok);
  // Patient demographics come back in a Get or poll result on NOM_MOC_PT_DEMOG (42): not read at all.
  EXPECT_EQ(feed(get_result(42, attribute_list(planted_patient())), 24105, 50123), ParseStatus::ok);
  // A poll result (RORS CMD_CONFIRMED_ACTION) and a linked one (ROLRS) carrying the same bytes.
  EXPECT_EQ(feed(data_export(2, operation(9, 7, list)), 24105, 50123), ParseStatus::ok);
  Buf linked = {0x01, 0x01};  // RorlsId {RORLS_FIRST, count 1}
  append(linked, operation(9, 7, list));
  EXPECT_EQ(feed(data_export(5, linked), 24105, 50123), ParseStatus::ok);
  EXPECT_EQ(sink.value("intellivue.model_number"), "MX800");
  ASSERT_FALSE(sink.facts.empty());
  expect_no_phi();
  EXPECT_TRUE(sink.anomalies.empty());
}

TEST_F(IntellivueTest, GetResultOnTheMdsObject) {
  const Buf msg =
      get_result(0x21, attribute_list({{kModel, system_model("Philips", "M8105A")},
                                       {kProdSpec, production_spec({{kSerial, kCompProduct, "DE87654321"}})}}));
  EXPECT_EQ(feed(msg, 24105, 50123), ParseStatus::ok);
  EXPECT_TRUE(has("sender", "intellivue.message", "get-result"));
  EXPECT_TRUE(has("sender", "intellivue.role", "monitor"));
  EXPECT_EQ(sink.value("intellivue.model_number"), "M8105A");
  EXPECT_EQ(sink.value("intellivue.serial_number"), "DE87654321");
}

TEST_F(IntellivueTest, ClientAndMonitorRoles) {
  // Association Request from the client, Response (accept) from the monitor.
  EXPECT_EQ(feed(association(0x0D), 50123, 24105), ParseStatus::ok);
  EXPECT_TRUE(has("sender", "intellivue.message", "association-request"));
  EXPECT_TRUE(has("sender", "intellivue.role", "client"));
  test::RecordingSink accept;
  meta.src_port = 24105;
  meta.dst_port = 50123;
  EXPECT_EQ(parser->parse(meta, association(0x0E), accept), ParseStatus::ok);
  EXPECT_EQ(accept.value("intellivue.message"), "association-accept");
  EXPECT_EQ(accept.facts.size(), 3u);
  EXPECT_EQ(accept.facts[1].about, "sender");
  EXPECT_EQ(accept.facts[1].value, "monitor");
  EXPECT_EQ(accept.facts[2].about, "receiver");
  EXPECT_EQ(accept.facts[2].value, "client");
  // The client confirms the MDS Create (RORS CMD_CONFIRMED_EVENT_REPORT, EventReportResult) and polls
  // (ROIV CMD_CONFIRMED_ACTION on the MDS).
  test::RecordingSink client;
  meta.src_port = 50123;
  meta.dst_port = 24105;
  EXPECT_EQ(parser->parse(meta, data_export(2, operation(1, 1, event_report(0x21, 0x0D06, {}))), client),
            ParseStatus::ok);
  Buf poll = {0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x16};  // ActionArgument
  append(poll, with_length({0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x08, 0x03}));          // PollMdibDataReq
  EXPECT_EQ(parser->parse(meta, data_export(1, operation(2, 7, poll)), client), ParseStatus::ok);
  EXPECT_EQ(client.values("intellivue.message"), (std::vector<std::string>{"mds-create-result", "request"}));
  EXPECT_EQ(client.values("intellivue.role"), (std::vector<std::string>{"client", "client"}));
  // Release request (FN), refuse (RF).
  test::RecordingSink other;
  EXPECT_EQ(parser->parse(meta, association(0x09), other), ParseStatus::ok);
  EXPECT_EQ(other.value("intellivue.message"), "association-release");
  EXPECT_FALSE(other.has("intellivue.role"));
  meta.src_port = 24105;
  EXPECT_EQ(parser->parse(meta, association(0x0C), other), ParseStatus::ok);
  EXPECT_TRUE(other.has("intellivue.role"));
}

TEST_F(IntellivueTest, TruncatedAtEveryOctet) {
  std::vector<Attr> attrs = {{kSysType, type_value(1, 0x114D)},
                             {kModel, system_model("Philips", "M8007A")},
                             {kProdSpec, production_spec({{kSerial, kCompProduct, "DE12345678"}})},
                             {kPcolSupport, protocol_support(24105, 0)}};
  for (auto& a : planted_patient()) attrs.push_back(a);
  const Buf list = attribute_list(attrs);
  std::size_t reached = 0, malformed = 0;
  for (const Buf& whole : {connect_indication(list), mds_create(list), association(0x0D)}) {
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      Buf part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
      test::RecordingSink s;
      for (std::uint16_t port : {24005, 24105}) {
        meta.src_port = meta.dst_port = port;
        // As cut, the outermost length no longer fits: not claimed.
        EXPECT_FALSE(parser->probe(meta, part)) << cut;
        EXPECT_EQ(parser->parse(meta, part, s), ParseStatus::not_mine) << cut;
        // With that length made to fit, the inner lengths run past the datagram: counted, never a crash.
        Buf fixed = part;
        if (fixed.size() >= 8 && (fixed[0] == 0xE1 || fixed[0] == 0x00)) {
          fixed[6] = static_cast<std::uint8_t>((fixed.size() - 8) >> 8);
          fixed[7] = static_cast<std::uint8_t>(fixed.size() - 8);
        } else if (fixed.size() >= 3 && fixed[0] == 0x0D) {
          fixed[1] = static_cast<std::uint8_t>(fixed.size() - 2);
        }
        if (!parser->probe(meta, fixed)) continue;
        const ParseStatus st = parser->parse(meta, fixed, s);
        EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::malformed) << cut;
        ++reached;
        malformed += st == ParseStatus::malformed;
      }
      for (const auto& f : s.facts) {
        for (auto phi : kPhi) EXPECT_FALSE(contains_ci(f.value, phi)) << cut << " " << f.key;
      }
    }
  }
  EXPECT_GT(reached, 100u);   // the length-fixed cuts do reach the inner layers
  EXPECT_GT(malformed, 50u);  // and are counted as anomalies there
}

TEST_F(IntellivueTest, HostileLengthsAreAnomalies) {
  meta.src_port = meta.dst_port = 24105;
  // An attribute claiming 0xFFFF octets: the list does not hold together, nothing of it is kept.
  Buf list = attribute_list({{kModel, system_model("Philips", "M8007A")}, {kProdSpec, {0, 0}}});
  list[list.size() - 3] = 0xFF;  // the length of the last attribute
  list[list.size() - 4] = 0xFF;
  EXPECT_EQ(parser->parse(meta, mds_create(list), sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.back(), "intellivue.bad_attribute_list");
  EXPECT_FALSE(sink.has("intellivue.model_number"));
  // A Production Specification entry whose string runs past the attribute: that attribute is skipped, the
  // System Model beside it is kept.
  Buf spec = production_spec({{kSerial, kCompProduct, "DE12345678"}});
  spec[8] = 0x7F;  // prod_spec.length
  sink = {};
  EXPECT_EQ(parser->parse(
                meta, mds_create(attribute_list({{kProdSpec, spec}, {kModel, system_model("Philips", "MP70")}})), sink),
            ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies, std::vector<std::string>{"intellivue.bad_attribute_value"});
  EXPECT_FALSE(sink.has("intellivue.serial_number"));
  EXPECT_EQ(sink.value("intellivue.model_number"), "MP70");
  // A System Model whose second label is missing; an IpAddressInfo of 10 octets; a TYPE of 2.
  sink = {};
  EXPECT_EQ(parser->parse(
                meta,
                mds_create(attribute_list({{kModel, variable_label("Philips")},
                                           {kNetAddr, Buf(10, 1)},
                                           {kSysType, {0, 1}},
                                           {kPcolSupport, {0x00, 0x09, 0x00, 0x08, 0, 5, 0, 1, 0x5E, 0x29, 0, 0}}})),
                sink),
            ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies.size(), 4u);
  EXPECT_FALSE(sink.has("intellivue.manufacturer"));
  EXPECT_FALSE(sink.has("intellivue.export_port"));
  // ROIVapdu.length beyond the message.
  sink = {};
  Buf roiv = mds_create(attribute_list({}));
  roiv[12] = 0x40;  // ROIVapdu.length, high octet
  EXPECT_EQ(parser->parse(meta, roiv, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies, std::vector<std::string>{"intellivue.truncated_header"});
  // Session parameters running past the association message.
  sink = {};
  const Buf bad_session = {0x0D, 0x06, 0x05, 0x08, 0x13, 0x01, 0x00, 0x16};  // parameter 0x05 claims 8 octets
  EXPECT_EQ(parser->parse(meta, bad_session, sink), ParseStatus::malformed);
  EXPECT_EQ(sink.anomalies, std::vector<std::string>{"intellivue.bad_session_header"});
  EXPECT_TRUE(sink.facts.empty());
}

TEST_F(IntellivueTest, OtherTrafficOnThePortsYieldsNothing) {
  const std::string syslog = "<13>Oct 11 22:14:15 host app: x";
  const Buf dns = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                   0x00, 0x03, 'w',  'w',  'w',  0x00, 0x00, 0x01, 0x00, 0x01};
  const Buf zeros(64, 0);
  const Buf nomenclature_not_ci = [] {  // a Nomenclature-headed report of another event: claimed, no facts
    Buf b = {0x00, 0x00, 0x01, 0x00};
    append(b, ro_apdus(1, operation(0, 0, event_report(0x21, 0x0D06, {}))));
    return b;
  }();
  for (std::uint16_t port : {24005, 24105}) {
    meta.src_port = 40000;
    meta.dst_port = port;
    test::RecordingSink s;
    EXPECT_FALSE(parser->probe(meta, as_bytes(syslog)));
    EXPECT_FALSE(parser->probe(meta, dns));
    EXPECT_FALSE(parser->probe(meta, zeros));
    EXPECT_EQ(parser->parse(meta, as_bytes(syslog), s), ParseStatus::not_mine);
    EXPECT_EQ(parser->parse(meta, dns, s), ParseStatus::not_mine);
    EXPECT_EQ(parser->parse(meta, zeros, s), ParseStatus::not_mine);
    EXPECT_EQ(parser->parse(meta, nomenclature_not_ci, s), ParseStatus::ok);
    EXPECT_TRUE(s.facts.empty());
    EXPECT_TRUE(s.anomalies.empty());
  }
  // A valid Connect Indication on other ports is not claimed: the ports are part of the probe.
  meta.src_port = 5000;
  meta.dst_port = 5001;
  EXPECT_FALSE(parser->probe(meta, connect_indication(attribute_list({{kSysType, type_value(1, 0x114D)}}))));
}

}  // namespace
}  // namespace ww
