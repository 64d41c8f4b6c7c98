// Philips IntelliVue Data Export (IntelliVue MP/MX/X2 patient monitors, Avalon FM fetal monitors) on the LAN:
// UDP only, big-endian, byte-aligned throughout. The public description is Philips' "Data Export Interface
// Programming Guide" (IntelliVue Patient Monitor & Avalon Fetal Monitor, 4535 642 59271 / 4535 645 88011;
// "PIPG" below, chapters "Protocol Concept", "Definition of the Data Export Protocol", "Definition of the
// Association Control Protocol", "Attribute Data Types and Constants Used"), as implemented by the open
// drivers this file was checked against field by field: mdpnp/mdpnp devices/philips/.../intellivue/
// (connectindication/ConnectIndicationImpl.java, dataexport/Nomenclature.java, association/
// AssociationProtocolImpl.java + AssociationMessageType.java, data/AttributeId.java, ObjectClass.java,
// SystemModel.java, VariableLabel.java, String.java, ProductionSpecification.java,
// ProductionSpecificationType.java, ComponentId.java, ProtocolSupport.java, IPAddressInformation.java).
//
// Three message families, told apart by their first octets:
// - Connect Indication (PIPG "Connect Indication", "Device Discovery Messages"): broadcast by the monitor to
//   UDP 24005 (PIPG p. 279): Nomenclature (u16 0, major, minor) > ROapdus (ro_type ROIV_APDU) > ROIVapdu
//   (CMD_EVENT_REPORT) > EventReportArgument (NOM_MOC_MDS_COMPOS_SINGLE_BED, NOM_NOTI_CONN_INDIC) >
//   ConnectIndInfo (an AttributeList).
// - Data Export commands on the data-export port, 24105 by default (PIPG p. 29; the Connect Indication's
//   Protocol Support names it): SPpdu (session_id 0xE100, p_context_id) > ROapdus > ROIV/RORS/ROER/ROLRS
//   header > command. Read: the MDS Create Event Report (NOM_NOTI_MDS_CREAT, MdsCreateInfo = object id +
//   AttributeList) and the Get Result on the MDS object (NOM_MOC_VMS_MDS); the other commands only say who
//   is client and who is monitor.
// - Association Control (PIPG "Session Headers"): one type octet (CN 0x0D request, AC 0x0E accept, RF 0x0C
//   refuse, FN 0x09 release request, DN 0x0A release response, AB 0x19 abort), LI (1 octet, or 0xFF + u16),
//   session parameters {id, LI, data} up to the presentation header 0xC1. Only the type is used.
//
// PHI policy: of an AttributeList only the allow-listed attributes below are decoded; every other attribute
// is passed over by its length without being copied. Patient demographics (NOM_MOC_PT_DEMOG: NOM_ATTR_PT_ID
// 0x095A, NOM_ATTR_PT_NAME_FAMILY 0x095C, NOM_ATTR_PT_NAME_GIVEN 0x095D, NOM_ATTR_PT_DOB 0x0958,
// NOM_ATTR_PT_ID_INT 0xF001, NOM_ATTR_PT_NOTES1/2 0xF129/0xF12A, ...), measurements, waves and alarms travel
// in poll results (RORS/ROLRS CMD_CONFIRMED_ACTION), which are never parsed beyond their header.
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kConnectIndicationPort = 24005;  // PIPG p. 279
constexpr std::uint16_t kDataExportPort = 24105;         // PIPG p. 29 (default; announced in Protocol Support)
constexpr std::uint16_t kPorts[] = {kConnectIndicationPort, kDataExportPort};

// The declaration tables keep one entry a line, as in every parser file.
// clang-format off
constexpr FactDecl kFacts[] = {
    {"intellivue.role", FactType::code, "sender: `monitor` (Connect Indication, MDS Create, association accept/refuse, command results), `client` (association request, get/set/action, MDS Create result); receiver of an association accept: `client`", "message type (PIPG Protocol Dialog)", "`monitor`, `client`"},
    {"intellivue.message", FactType::code, "sender", "Connect Indication; session header type; ROapdus ro_type + command_type + event type", "`connect-indication`, `association-request`, `association-accept`, `association-refuse`, `association-release`, `association-abort`, `mds-create`, `mds-create-result`, `get-result`, `request`, `result`"},
    {"intellivue.system_type", FactType::code, "", "NOM_ATTR_SYS_TYPE (0x0986), TYPE {partition, code}: the NOM_DEV_..._MDS name, else `<partition>/0x<code>`", "NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS"},
    {"intellivue.manufacturer", FactType::text, "", "NOM_ATTR_ID_MODEL (0x0928) SystemModel.manufacturer (VariableLabel)", "Philips"},
    {"intellivue.model_number", FactType::text, "", "NOM_ATTR_ID_MODEL (0x0928) SystemModel.model_number (VariableLabel)", "M8007A"},
    {"intellivue.serial_number", FactType::id, "", "NOM_ATTR_ID_PROD_SPECN (0x092D): serial-number (1) of ID_COMP_PRODUCT (0x0008)", "DE12345678"},
    {"intellivue.part_number", FactType::text, "", "NOM_ATTR_ID_PROD_SPECN: part-number (2) of ID_COMP_PRODUCT", "M8007A"},
    {"intellivue.hardware_revision", FactType::text, "", "NOM_ATTR_ID_PROD_SPECN: hw-revision (3) of ID_COMP_PRODUCT", "B.00.05"},
    {"intellivue.software_revision", FactType::text, "", "NOM_ATTR_ID_PROD_SPECN: sw-revision (4) of ID_COMP_PRODUCT or ID_COMP_APPL_SW (0x0058)", "G.01.78"},
    {"intellivue.firmware_revision", FactType::text, "", "NOM_ATTR_ID_PROD_SPECN: fw-revision (5) of ID_COMP_PRODUCT", "F.01.02"},
    {"intellivue.protocol_revision", FactType::text, "", "NOM_ATTR_ID_PROD_SPECN: protocol-revision (6) of ID_COMP_PRODUCT", "2.0"},
    {"intellivue.export_port", FactType::number, "", "NOM_ATTR_PCOL_SUPPORT (0xF101): port_number of the AP_ID_DATA_OUT (5) entry", "24105"},
    {"intellivue.wireless", FactType::flag, "", "NOM_ATTR_PCOL_SUPPORT: P_OPT_WIRELESS (0x8000) in that entry's options", "`false`"},
    {"intellivue.mac_address", FactType::address, "", "NOM_ATTR_NET_ADDR_INFO (0xF100) IpAddressInfo.mac_address", "00:09:fb:12:34:56"},
    {"intellivue.ip_address", FactType::address, "", "NOM_ATTR_NET_ADDR_INFO IpAddressInfo.ip_address", "10.20.30.41"},
    {"intellivue.system_id", FactType::hex, "", "NOM_ATTR_SYS_ID (0x0984), the value of its VariableLabel", "0009fb123456"},
    {"intellivue.bed", FactType::text, "", "location: NOM_ATTR_ID_BED_LABEL (0x091E), the bed label configured on the monitor (String, UTF-16)", "ICU-12"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"intellivue.truncated_header", "A Remote Operation header (ROIVapdu, RORSapdu, ROLRSapdu, ROERapdu) or the Event Report / Get Result header after it runs past the datagram or past the length of the header before it (PIPG Remote Operation Header); the message is skipped."},
    {"intellivue.bad_attribute_list", "An AttributeList's count and length, or one of its attributes' lengths, run past the list or the message (PIPG Attribute List); no attribute of the list is kept."},
    {"intellivue.bad_attribute_value", "An allow-listed attribute's value does not have its type's layout (TYPE, SystemModel, ProductionSpec, ProtoSupport, IpAddressInfo, VariableLabel, String): an inner length runs past the attribute. That attribute is skipped, the others are kept."},
    {"intellivue.bad_session_header", "An association message's session parameters {id, LI, data} run past the datagram before the presentation header 0xC1 (PIPG Session Headers); nothing is kept."},
};
// clang-format on

// PIPG Remote Operation Header: ro_type.
constexpr std::uint16_t kRoiv = 1, kRors = 2, kRoer = 3, kRolrs = 5;
// PIPG Remote Operation Invoke: command_type.
constexpr std::uint16_t kCmdEventReport = 0, kCmdConfirmedEventReport = 1, kCmdGet = 3, kCmdSet = 4,
                        kCmdConfirmedSet = 5, kCmdConfirmedAction = 7;
// Event types and object classes (mdpnp data/ObjectClass.java; PIPG "Object Classes").
constexpr std::uint16_t kNotiMdsCreate = 0x0D06;      // NOM_NOTI_MDS_CREAT (3334)
constexpr std::uint16_t kNotiConnIndic = 0x0D17;      // NOM_NOTI_CONN_INDIC (3351)
constexpr std::uint16_t kMocVmsMds = 0x0021;          // NOM_MOC_VMS_MDS (33)
constexpr std::uint16_t kSessionDataExport = 0xE100;  // SPpdu.session_id
constexpr std::uint8_t kPresentationHeader = 0xC1;

// Allow-listed attribute ids (mdpnp data/AttributeId.java; PIPG "Attribute IDs").
constexpr std::uint16_t kAttrBedLabel = 0x091E;     // NOM_ATTR_ID_BED_LABEL: String
constexpr std::uint16_t kAttrModel = 0x0928;        // NOM_ATTR_ID_MODEL: SystemModel
constexpr std::uint16_t kAttrProdSpec = 0x092D;     // NOM_ATTR_ID_PROD_SPECN: ProductionSpec
constexpr std::uint16_t kAttrSysId = 0x0984;        // NOM_ATTR_SYS_ID: VariableLabel
constexpr std::uint16_t kAttrSysType = 0x0986;      // NOM_ATTR_SYS_TYPE: TYPE
constexpr std::uint16_t kAttrNetAddr = 0xF100;      // NOM_ATTR_NET_ADDR_INFO: IpAddressInfo
constexpr std::uint16_t kAttrPcolSupport = 0xF101;  // NOM_ATTR_PCOL_SUPPORT: ProtoSupport

// ProdSpecEntry.spec_type and component_id (PIPG "Attribute: Production Specification"; mdpnp
// ProductionSpecificationType.java, ComponentId.java).
constexpr std::uint16_t kCompProduct = 0x0008, kCompApplSw = 0x0058;
constexpr std::string_view kSpecKeys[] = {
    "",                              // 0 unspecified
    "intellivue.serial_number",      // 1 serial-number
    "intellivue.part_number",        // 2 part-number
    "intellivue.hardware_revision",  // 3 hw-revision
    "intellivue.software_revision",  // 4 sw-revision
    "intellivue.firmware_revision",  // 5 fw-revision
    "intellivue.protocol_revision",  // 6 protocol-revision
};
constexpr std::uint16_t kSpecSwRevision = 4;

// ProtoSupportEntry (PIPG "Attribute: Protocol Support").
constexpr std::uint16_t kApIdDataOut = 5;
constexpr std::uint16_t kOptWireless = 0x8000;

// System types an IntelliVue MDS reports in NOM_ATTR_SYS_TYPE (partition NOM_PART_OBJ = 1): the MDS-level
// device codes of mdpnp data/ObjectClass.java.
struct SystemTypeName {
  std::uint16_t code;
  std::string_view name;
};
constexpr SystemTypeName kSystemTypes[] = {
    {0x1011, "NOM_DEV_ANALY_CONC_GAS_MULTI_PARAM_MDS"},
    {0x10A9, "NOM_DEV_METER_CONC_SKIN_GAS_MDS"},
    {0x114D, "NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS"},
    {0x1161, "NOM_DEV_PUMP_INFUS_MDS"},
    {0x1171, "NOM_DEV_SYS_PT_VENT_MDS"},
    {0x118D, "NOM_DEV_SYS_MULTI_MODAL_MDS"},
    {0x1459, "NOM_DEV_SYS_VS_CONFIG_MDS"},
    {0x145D, "NOM_DEV_SYS_VS_UNCONFIG_MDS"},
    {0xF17D, "NOM_DEV_HIRES_TREND_MDS"},
    {0xF185, "NOM_DEV_DERIVED_MSMT_MDS"},
};
constexpr std::uint16_t kPartObj = 1;

bool on_port(const PacketMeta& m, std::uint16_t port) {
  return m.src_port == port || m.dst_port == port;
}

// PIPG Session Headers: the association message types.
bool is_session_type(std::uint8_t t) {
  return t == 0x0D || t == 0x0E || t == 0x0C || t == 0x09 || t == 0x0A || t == 0x19;
}

// PIPG Session Headers, LI: one octet up to 254, else 0xFF and a u16.
std::size_t read_li(ByteReader& r) {
  const std::uint8_t first = r.u8();
  return first == 0xFF ? r.u16be() : first;
}

enum class Kind : std::uint8_t { none, connect_indication, data_export, association };

// Structure only: the header octets, and the outermost length equal to what follows it.
Kind classify(Bytes p) {
  if (p.size() < 8) return Kind::none;
  ByteReader r(p);
  if (p[0] == 0 && p[1] == 0) {  // Nomenclature: u16 0, major, minor (mdpnp dataexport/Nomenclature.java)
    r.skip(4);
    const std::uint16_t ro_type = r.u16be();
    const std::uint16_t length = r.u16be();
    return r.ok() && ro_type == kRoiv && length == r.remaining() ? Kind::connect_indication : Kind::none;
  }
  if (r.u16be() == kSessionDataExport) {  // SPpdu
    r.skip(2);                            // p_context_id
    const std::uint16_t ro_type = r.u16be();
    const std::uint16_t length = r.u16be();
    const bool known = ro_type == kRoiv || ro_type == kRors || ro_type == kRoer || ro_type == kRolrs;
    return r.ok() && known && length == r.remaining() ? Kind::data_export : Kind::none;
  }
  if (!is_session_type(p[0])) return Kind::none;
  ByteReader s(p.subspan(1));
  const std::size_t li = read_li(s);
  return s.ok() && li > 0 && li == s.remaining() ? Kind::association : Kind::none;
}

// VariableLabel: 8-bit ASCII, "not null-terminated" but of even length, padded with NULs or spaces (PIPG "Variable
// Label", "Attribute: Production Specification"): cut at the first NUL, trim.
std::string label_text(Bytes b) {
  std::string_view s = as_text(b);
  s = s.substr(0, s.find('\0'));
  return printable(trim(s));
}

// String (PIPG "String"; mdpnp data/String.java): UTF-16 big-endian; non-ASCII characters become '?'.
std::string utf16_text(Bytes b) {
  std::string out;
  for (std::size_t i = 0; i + 1 < b.size() && out.size() < kMaxValueLength; i += 2) {
    const unsigned c = (unsigned{b[i]} << 8) | b[i + 1];
    if (c == 0) break;
    out += c < 0x80 ? static_cast<char>(c) : '?';
  }
  return printable(trim(out));
}

class IntellivueParser final : public DatagramParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // Only on the two IntelliVue ports, on either side (the monitor answers from 24105).
  bool probe(const PacketMeta& meta, Bytes payload) const override {
    if (!on_port(meta, kConnectIndicationPort) && !on_port(meta, kDataExportPort)) return false;
    return classify(payload) != Kind::none;
  }

  ParseStatus parse(const PacketMeta& meta, Bytes payload, ObservationSink& sink) const override {
    if (!probe(meta, payload)) return ParseStatus::not_mine;
    switch (classify(payload)) {
      case Kind::connect_indication:
        return connect_indication(payload, sink);
      case Kind::data_export:
        return data_export(payload, sink);
      case Kind::association:
        return association(payload, sink);
      case Kind::none:
        break;
    }
    return ParseStatus::not_mine;
  }

 private:
  static ParseStatus bad(ObservationSink& sink, std::string_view reason) {
    sink.anomaly("intellivue." + std::string(reason));
    return ParseStatus::malformed;
  }

  // A header's length field: the next `length` octets, which must be there.
  static bool take(ByteReader& r, std::size_t length, ByteReader& body) {
    body = r.sub(length);
    return r.ok();
  }

  // Nomenclature > ROapdus (checked by classify) > ROIVapdu > EventReportArgument > ConnectIndInfo.
  static ParseStatus connect_indication(Bytes payload, ObservationSink& sink) {
    ByteReader r(payload.subspan(8));
    r.skip(2);  // invoke_id
    const std::uint16_t command = r.u16be();
    ByteReader roiv;
    if (!take(r, r.u16be(), roiv)) return bad(sink, "truncated_header");
    ByteReader event;
    std::uint16_t event_type = 0;
    if (!event_report(roiv, event_type, event)) return bad(sink, "truncated_header");
    if ((command != kCmdEventReport && command != kCmdConfirmedEventReport) || event_type != kNotiConnIndic) {
      return ParseStatus::ok;  // a Nomenclature-headed message that is not a Connect Indication: nothing known
    }
    sink.observe(Party::sender, "intellivue.message", "connect-indication");
    sink.observe(Party::sender, "intellivue.role", "monitor");
    return attributes(event, sink);
  }

  // EventReportArgument / EventReportResult (PIPG Event Report): managed_object {m_obj_class, context_id,
  // handle}, event_time / current_time (RelativeTime), event_type, length, then `length` octets.
  static bool event_report(ByteReader& r, std::uint16_t& event_type, ByteReader& body) {
    r.skip(6 + 4);
    event_type = r.u16be();
    return take(r, r.u16be(), body);
  }

  // SPpdu > ROapdus (checked by classify) > the Remote Operation header > the command.
  static ParseStatus data_export(Bytes payload, ObservationSink& sink) {
    ByteReader r(payload.subspan(4));
    const std::uint16_t ro_type = r.u16be();
    r.skip(2);                                     // ROapdus.length, checked
    if (ro_type == kRoer) return ParseStatus::ok;  // ROERapdu {invoke_id, error_value, length}: not read
    if (ro_type == kRolrs) r.skip(2);              // ROLRSapdu.linked_id {state, count}
    r.skip(2);                                     // invoke_id
    const std::uint16_t command = r.u16be();
    ByteReader body;
    if (!take(r, r.u16be(), body)) return bad(sink, "truncated_header");
    if (ro_type == kRolrs) {  // a part of a long result (poll data): never read
      sink.observe(Party::sender, "intellivue.message", "result");
      sink.observe(Party::sender, "intellivue.role", "monitor");
      return ParseStatus::ok;
    }
    if (ro_type == kRoiv) return invoke(command, body, sink);
    return result(command, body, sink);
  }

  // Remote Operation Invoke: the monitor's MDS Create Event Report, or a client's request.
  static ParseStatus invoke(std::uint16_t command, ByteReader& body, ObservationSink& sink) {
    if (command == kCmdEventReport || command == kCmdConfirmedEventReport) {
      std::uint16_t event_type = 0;
      ByteReader event;
      if (!event_report(body, event_type, event)) return bad(sink, "truncated_header");
      if (event_type != kNotiMdsCreate) return ParseStatus::ok;  // other events: not read
      sink.observe(Party::sender, "intellivue.message", "mds-create");
      sink.observe(Party::sender, "intellivue.role", "monitor");
      event.skip(6);  // MdsCreateInfo.managed_object
      if (!event.ok()) return bad(sink, "truncated_header");
      return attributes(event, sink);
    }
    if (command == kCmdGet || command == kCmdSet || command == kCmdConfirmedSet || command == kCmdConfirmedAction) {
      // GetArgument / SetArgument / ActionArgument (poll requests): the client addressing the monitor.
      sink.observe(Party::sender, "intellivue.message", "request");
      sink.observe(Party::sender, "intellivue.role", "client");
    }
    return ParseStatus::ok;
  }

  // Remote Operation Result: the client confirming the MDS Create, or the monitor answering a request.
  static ParseStatus result(std::uint16_t command, ByteReader& body, ObservationSink& sink) {
    if (command == kCmdConfirmedEventReport) {
      std::uint16_t event_type = 0;
      ByteReader event;
      if (!event_report(body, event_type, event)) return bad(sink, "truncated_header");
      if (event_type == kNotiMdsCreate) {
        sink.observe(Party::sender, "intellivue.message", "mds-create-result");
        sink.observe(Party::sender, "intellivue.role", "client");
      }
      return ParseStatus::ok;
    }
    if (command == kCmdGet) {  // GetResult: managed_object, AttributeList
      const std::uint16_t object_class = body.u16be();
      body.skip(4);
      if (!body.ok()) return bad(sink, "truncated_header");
      sink.observe(Party::sender, "intellivue.message", "get-result");
      sink.observe(Party::sender, "intellivue.role", "monitor");
      return object_class == kMocVmsMds ? attributes(body, sink) : ParseStatus::ok;
    }
    if (command == kCmdSet || command == kCmdConfirmedSet || command == kCmdConfirmedAction) {
      // SetResult, ActionResult (poll data): the monitor answering; the content is never read.
      sink.observe(Party::sender, "intellivue.message", "result");
      sink.observe(Party::sender, "intellivue.role", "monitor");
    }
    return ParseStatus::ok;
  }

  // Session header type, LI (checked by classify), then session parameters up to the presentation header.
  static ParseStatus association(Bytes payload, ObservationSink& sink) {
    ByteReader r(payload);
    const std::uint8_t type = r.u8();
    (void)read_li(r);
    while (r.ok() && !r.empty() && r.peek_u8() != kPresentationHeader) {
      r.skip(1);           // parameter identifier
      r.skip(read_li(r));  // its LI and data
    }
    if (!r.ok()) return bad(sink, "bad_session_header");
    switch (type) {
      case 0x0D:  // CN_SPDU_SI: Association Request, from the Computer Client
        sink.observe(Party::sender, "intellivue.message", "association-request");
        sink.observe(Party::sender, "intellivue.role", "client");
        break;
      case 0x0E:  // AC_SPDU_SI: Association Response, the monitor accepting
        sink.observe(Party::sender, "intellivue.message", "association-accept");
        sink.observe(Party::sender, "intellivue.role", "monitor");
        sink.observe(Party::receiver, "intellivue.role", "client");
        break;
      case 0x0C:  // RF_SPDU_SI: Refuse, the monitor declining
        sink.observe(Party::sender, "intellivue.message", "association-refuse");
        sink.observe(Party::sender, "intellivue.role", "monitor");
        break;
      case 0x09:  // FN_SPDU_SI: Release Request
      case 0x0A:  // DN_SPDU_SI: Release Response
        sink.observe(Party::sender, "intellivue.message", "association-release");
        break;
      default:  // AB_SPDU_SI: Abort
        sink.observe(Party::sender, "intellivue.message", "association-abort");
        break;
    }
    return ParseStatus::ok;
  }

  // AttributeList (PIPG "Attribute List"): count, length, then `count` AVAType {attribute_id, length,
  // value}. The whole list is walked first; a list that does not hold together is dropped. Then only the
  // allow-listed attributes are decoded; the others are skipped by their length, never copied.
  static ParseStatus attributes(ByteReader& r, ObservationSink& sink) {
    const std::uint16_t count = r.u16be();
    ByteReader list;
    if (!take(r, r.u16be(), list)) return bad(sink, "bad_attribute_list");
    ByteReader check = list;
    for (std::uint16_t i = 0; i < count && check.ok(); ++i) {
      check.skip(2);
      check.skip(check.u16be());
    }
    if (!check.ok()) return bad(sink, "bad_attribute_list");
    bool malformed = false;
    for (std::uint16_t i = 0; i < count; ++i) {
      const std::uint16_t id = list.u16be();
      ByteReader value = list.sub(list.u16be());
      if (!attribute(id, value, sink)) {
        sink.anomaly("intellivue.bad_attribute_value");
        malformed = true;
      }
    }
    return malformed ? ParseStatus::malformed : ParseStatus::ok;
  }

  // One allow-listed attribute; false if its value does not have the layout of its type.
  static bool attribute(std::uint16_t id, ByteReader& v, ObservationSink& sink) {
    switch (id) {
      case kAttrSysType: {  // TYPE {NomPartition partition, OIDType code}
        const std::uint16_t partition = v.u16be();
        const std::uint16_t code = v.u16be();
        if (!v.ok()) return false;
        sink.observe(Party::sender, "intellivue.system_type", system_type(partition, code));
        return true;
      }
      case kAttrModel: {  // SystemModel {VariableLabel manufacturer, VariableLabel model_number}
        const Bytes manufacturer = v.bytes(v.u16be());
        const Bytes model = v.bytes(v.u16be());
        if (!v.ok()) return false;
        emit(sink, "intellivue.manufacturer", label_text(manufacturer));
        emit(sink, "intellivue.model_number", label_text(model));
        return true;
      }
      case kAttrProdSpec:
        return production_spec(v, sink);
      case kAttrPcolSupport:
        return protocol_support(v, sink);
      case kAttrNetAddr: {  // IpAddressInfo {MACAddress (6), IPAddress (4), subnet_mask (4)}
        const Bytes mac = v.bytes(6);
        const Bytes ip = v.bytes(4);
        v.skip(4);
        if (!v.ok()) return false;
        sink.observe(Party::sender, "intellivue.mac_address", MacAddr::from_bytes(mac.data()).to_string());
        sink.observe(Party::sender, "intellivue.ip_address", IpAddr::v4_from_bytes(ip.data()).to_string());
        return true;
      }
      case kAttrSysId: {  // VariableLabel (raw octets)
        const Bytes id_bytes = v.bytes(v.u16be());
        if (!v.ok()) return false;
        if (!id_bytes.empty()) sink.observe(Party::sender, "intellivue.system_id", hex(id_bytes));
        return true;
      }
      case kAttrBedLabel: {  // String {length, UTF-16 value}: a location, not a person
        const Bytes label = v.bytes(v.u16be());
        if (!v.ok()) return false;
        emit(sink, "intellivue.bed", utf16_text(label));
        return true;
      }
      default:
        return true;  // not on the allow-list: passed over
    }
  }

  // ProductionSpec {count, length, ProdSpecEntry {spec_type, component_id, VariableLabel prod_spec}...}.
  // Checked whole before anything is kept.
  static bool production_spec(ByteReader& v, ObservationSink& sink) {
    const std::uint16_t count = v.u16be();
    ByteReader list = v.sub(v.u16be());
    ByteReader check = list;
    for (std::uint16_t i = 0; i < count && check.ok(); ++i) {
      check.skip(4);
      check.skip(check.u16be());
    }
    if (!v.ok() || !check.ok()) return false;
    for (std::uint16_t i = 0; i < count; ++i) {
      const std::uint16_t spec_type = list.u16be();
      const std::uint16_t component = list.u16be();
      const std::string text = label_text(list.bytes(list.u16be()));
      if (spec_type == 0 || spec_type >= std::size(kSpecKeys)) continue;
      if (component == kCompProduct || (component == kCompApplSw && spec_type == kSpecSwRevision)) {
        emit(sink, kSpecKeys[spec_type], text);
      }
    }
    return true;
  }

  // ProtoSupport {count, length, ProtoSupportEntry {appl_proto, trans_proto, port_number, options}...}.
  static bool protocol_support(ByteReader& v, ObservationSink& sink) {
    const std::uint16_t count = v.u16be();
    ByteReader list = v.sub(v.u16be());
    if (!v.ok() || list.remaining() < std::size_t{count} * 8) return false;
    for (std::uint16_t i = 0; i < count; ++i) {
      const std::uint16_t appl = list.u16be();
      list.skip(2);  // trans_proto (TP_ID_UDP)
      const std::uint16_t port = list.u16be();
      const std::uint16_t options = list.u16be();
      if (appl != kApIdDataOut) continue;  // AP_ID_ACSE and private entries: not the data-export port
      sink.observe(Party::sender, "intellivue.export_port", std::to_string(port));
      sink.observe(Party::sender, "intellivue.wireless", (options & kOptWireless) != 0 ? "true" : "false");
    }
    return true;
  }

  static std::string system_type(std::uint16_t partition, std::uint16_t code) {
    if (partition == kPartObj) {
      for (const auto& t : kSystemTypes) {
        if (t.code == code) return std::string(t.name);
      }
    }
    std::array<char, 5> digits{};
    for (int i = 0; i < 4; ++i) digits[static_cast<std::size_t>(i)] = kHexDigits[(code >> (12 - 4 * i)) & 0xF];
    return std::to_string(partition) + "/0x" + digits.data();
  }

  static void emit(ObservationSink& sink, std::string_view key, const std::string& value) {
    if (meaningful(value)) sink.observe(Party::sender, key, value);
  }

  ParserSpec spec_{"intellivue", Transport::udp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_intellivue(ParserRegistry& registry) {
  registry.add(std::make_unique<IntellivueParser>());
}

}  // namespace ww
