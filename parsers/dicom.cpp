// DICOM Upper Layer (PS3.8 §9) over TCP, on any port: association negotiation, DIMSE command sets and a
// strict allow-list of device elements in the first fragment of a C-STORE data set. Pixel data and every
// other data set element are skipped by length and never buffered (the follower skips them for us).
//
// PHI policy: a data set is never parsed except the C-STORE allow-list below, whose walker reads only tags
// and lengths (PS3.5 §7.1) and copies the value of exactly five device elements. User identity negotiation
// (PS3.7 §D.3.3.7) yields only its type; the username, passcode and tokens are never read.
#include <dcmtk/config/osconfig.h>  // must precede every other DCMTK header
#include <dcmtk/dcmdata/dcuid.h>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "wardwatch/dicom_pdu.hpp"
#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {

// The DCMTK release linked for UID names (e.g. "3.6.7"); for `wardwatch version`, never per packet.
std::string_view dicom_toolkit_version() { return OFFIS_DCMTK_VERSION_STRING; }

namespace {

constexpr std::uint16_t kPorts[] = {104, 11112, 4242};
constexpr FactDecl kFacts[] = {
    {"dicom.ae_title", FactType::text, "requestor: calling AE; acceptor: called AE", "A-ASSOCIATE-RQ (AC only if the RQ was missed)", "`CT_SCANNER1`, `PACS_ARCHIVE`"},
    {"dicom.role", FactType::code, "requestor `scu`, acceptor `scp`", "RQ", "scu"},
    {"dicom.called_ae", FactType::text, "requestor (whom it calls)", "RQ", "PACS_ARCHIVE"},
    {"dicom.calling_ae", FactType::text, "acceptor (who calls it)", "RQ", "CT_SCANNER1"},
    {"dicom.association", FactType::text, "both", "RQ", "CT_SCANNER1->PACS_ARCHIVE"},
    {"dicom.scp_port", FactType::number, "acceptor", "RQ + StreamMeta (the acceptor's TCP port)", "104"},
    {"dicom.application_context", FactType::id, "sender of RQ / AC", "item 0x10", "1.2.840.10008.3.1.1.1"},
    {"dicom.implementation_class_uid", FactType::id, "sender of RQ / AC (each side its own)", "user info 0x52", "1.2.276.0.7230010.3.0.3.6.7"},
    {"dicom.implementation_version_name", FactType::text, "sender of RQ / AC", "user info 0x55", "OFFIS_DCMTK_367"},
    {"dicom.max_pdu_length", FactType::number, "sender of RQ / AC (what it can receive)", "user info 0x51", "16384"},
    {"dicom.async_ops_window", FactType::text, "sender", "user info 0x53, `invoked/performed`", "3/1"},
    {"dicom.role_selection", FactType::text, "sender", "user info 0x54 (first 16)", "CTImageStorage:scu=1,scp=0"},
    {"dicom.user_identity_type", FactType::code, "requestor", "user info 0x58, **type byte only**", "`username-passcode` (`username`, `kerberos`, `saml`, `jwt`)"},
    {"dicom.abstract_syntax", FactType::id, "RQ: requestor (proposed); AC: acceptor (accepted); commands: sender", "items 0x20/0x30, 0x21; (0000,0002)/(0000,0003)", "1.2.840.10008.5.1.4.1.1.2"},
    {"dicom.sop_class", FactType::text, "same as above", "DCMTK `dcmFindNameOfUID`", "CTImageStorage"},
    {"dicom.abstract_syntax_count", FactType::number, "instead of the two above when a PDU has > 16 distinct abstract syntaxes", "", "64"},
    {"dicom.transfer_syntax", FactType::id, "RQ: proposed (requestor); AC: accepted (acceptor); first 16 distinct", "sub-item 0x40", "1.2.840.10008.1.2.1"},
    {"dicom.service", FactType::code, "same parties as `abstract_syntax` (always emitted, even for long lists)", "derived from DCMTK names", "`storage`, `verification`, `query-retrieve-find`, `query-retrieve-move`, `query-retrieve-get`, `modality-worklist`, `worklist`, `mpps`, `storage-commitment`, `print`, `ups`, `instance-availability`, `other`"},
    {"dicom.rejected_sop_class", FactType::text, "acceptor", "AC context result 1/2/3 (4 = TS not supported is not listed)", "VerificationSOPClass (abstract-syntax-not-supported)"},
    {"dicom.modality", FactType::code, "the SCU that stores", "`dcmSOPClassUIDToModality` (see below)", "`CT`, `MR`"},
    {"dicom.reject", FactType::text, "sender of A-ASSOCIATE-RJ", "PS3.8 Table 9-21", "rejected-permanent, source service-user, reason called-AE-title-not-recognized"},
    {"dicom.abort", FactType::code, "sender of A-ABORT", "PS3.8 Table 9-26", "`service-user`, `service-provider, unexpected-PDU`"},
    {"dicom.release", FactType::code, "sender", "A-RELEASE-RQ / RP", "`requested`, `confirmed`"},
    {"dicom.command", FactType::code, "sender", "(0000,0100), PS3.7 §E.1", "`C-STORE-RQ`, `C-FIND-RSP`, `0x0042` (unknown)"},
    {"dicom.move_destination", FactType::text, "sender of C-MOVE-RQ", "(0000,0600)", "WS_DEST"},
    {"dicom.status", FactType::text, "sender of a response", "(0000,0900), class per PS3.7 Annex C", "`C-STORE-RSP: success (0x0000)`, `C-FIND-RSP: pending (0xff00)`"},
    {"dicom.manufacturer", FactType::text, "storing SCU", "(0008,0070)", "GE MEDICAL SYSTEMS"},
    {"dicom.model_name", FactType::text, "storing SCU", "(0008,1090)", "Revolution CT"},
    {"dicom.device_serial_number", FactType::id, "storing SCU", "(0018,1000)", "CT-SN-000777"},
    {"dicom.software_versions", FactType::text, "storing SCU, one value per VM item", "(0018,1020)", "`revo_ct_22.1`, `RevoCT 2.0`"},
    {"dicom.station_name", FactType::text, "storing SCU", "(0008,1010)", "CTSCAN01"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"dicom.associate_pdu_too_large", "An A-ASSOCIATE-RQ/AC PDU header declares a length over 128 KiB; the PDU is not read and the direction resynchronises on the next PDU header that passes the strict check."},
    {"dicom.bad_context_id", "A presentation context item of an A-ASSOCIATE-RQ has an even ID (IDs are odd, 1..255, PS3.8 §9.3.2.2) or repeats an ID already proposed; that context is ignored, the rest of the PDU is read."},
    {"dicom.bad_pdu_header", "A PDU header's type byte is outside 0x01..0x07 or its reserved byte is not 0x00 (PS3.8 §9.3.1); the direction resynchronises, scanning forward for the next PDU header that passes the strict check."},
    {"dicom.bad_pdu_length", "An A-ASSOCIATE-RJ, A-RELEASE-RQ/RP or A-ABORT PDU has a length other than 4 (PS3.8 §9.3.4-§9.3.8); the PDU is not read and the direction resynchronises on the next believable PDU header."},
    {"dicom.command_bad_group", "A DIMSE command set holds an element outside group 0000 (PS3.7 §6.3.1); reading of the command stops, the elements read before it are still used."},
    {"dicom.command_too_large", "A DIMSE command set (its fragments together) is over 16 KiB; it is dropped unread up to its last fragment, reported once per command, and the stream goes on."},
    {"dicom.command_truncated", "A command element's length runs past the end of the DIMSE command set; reading of the command stops, the elements read before it are still used."},
    {"dicom.item_overflow", "An item or sub-item of an A-ASSOCIATE-RQ/AC is longer than its container; the broken item is dropped (the item walk stops if it overruns the PDU), items already read are still reported."},
    {"dicom.pdu_length_implausible", "A P-DATA-TF PDU length is over the receiver's negotiated maximum length, or over 64 MiB when none was negotiated; it is never skipped over: the direction resynchronises on the next believable PDU header."},
    {"dicom.pdu_too_short", "A P-DATA-TF PDU length is below 6, too short for one PDV item header; the direction resynchronises on the next believable PDU header."},
    {"dicom.pdv_length_overflow", "A PDV item length is below 2 or beyond the rest of its P-DATA-TF PDU, or under 6 bytes are left in the PDU for a PDV header (PS3.8 §9.3.5.1); the direction resynchronises on the next believable PDU header."},
    {"dicom.protocol_version", "An A-ASSOCIATE-RQ/AC protocol-version field does not have bit 0 (version 1) set (PS3.8 §9.3.2); it is only noted, the PDU is still read."},
    {"dicom.truncated_pdu", "An A-ASSOCIATE-RQ/AC is shorter than its 68-byte fixed part (protocol version, called and calling AE titles, reserved fields); nothing from it is reported, status malformed."},
    {"dicom.unknown_item", "An A-ASSOCIATE item of a type not read here (other than 0x10, 0x20 in an RQ, 0x21 in an AC, or 0x50) is met; it is skipped and the rest of the PDU is read."},
};

// PS3.8 §9.3.1 PDU types.
enum PduType : std::uint8_t {
  kAssociateRq = 0x01, kAssociateAc = 0x02, kAssociateRj = 0x03, kPData = 0x04,
  kReleaseRq = 0x05, kReleaseRp = 0x06, kAbort = 0x07,
};

// Limits. A-ASSOCIATE PDUs are buffered whole; everything in a P-DATA PDU is streamed item by item.
constexpr std::size_t kMaxControlPdu = 128 * 1024;        // RQ/AC: 128 contexts x many TS fit easily
constexpr std::uint32_t kMaxPlausiblePdata = 64u << 20;   // when no maximum length was negotiated
constexpr std::size_t kMaxCommandBytes = 16 * 1024;       // a command set is ~100-300 bytes (PS3.7 §9.3)
constexpr std::size_t kDatasetPeekBytes = 16 * 1024;      // the device elements sit in groups 0008/0018
constexpr std::size_t kMaxListed = 16;                    // abstract syntaxes listed per association
constexpr std::size_t kMaxContexts = 128;                 // odd IDs 1..255 (PS3.8 §9.3.2.2)
constexpr int kMaxSequenceDepth = 8;

// PS3.5 §6.2 AE: default repertoire, space padded (some stacks pad with NUL; tolerated).
bool is_ae_char(std::uint8_t c) { return (c >= 0x20 && c < 0x7f) || c == 0; }

// Walks the sub-items of an A-ASSOCIATE item (PS3.8 §9.3: type, reserved byte, 16-bit length, value) and
// calls on_sub(type, value, length) for each. Stops when a length overruns the item (item.ok() false).
template <typename OnSub>
void for_each_sub_item(ByteReader& item, OnSub&& on_sub) {
  while (item.ok() && !item.empty()) {
    const std::uint8_t type = item.u8();
    item.skip(1);
    const std::uint16_t len = item.u16be();
    ByteReader value = item.sub(len);
    if (!item.ok()) break;
    on_sub(type, value, len);
  }
}

// DICOM pads strings to an even length with a space (text VRs) or NUL (UIDs) (PS3.5 §6.2, §9.1).
std::string_view unpad(std::string_view s) { return trim(s, std::string_view(" \0", 2)); }

// The DICOM service a SOP class belongs to, from DCMTK's names (PS3.4 annexes), so no UID table here.
std::string_view service_named(const char* raw, bool storage) {
  if (storage) return "storage";
  if (raw == nullptr) return {};
  std::string_view n(raw);
  if (n.starts_with("RETIRED_")) n.remove_prefix(8);
  auto has = [&](std::string_view w) { return n.find(w) != std::string_view::npos; };
  if (n == "VerificationSOPClass") return "verification";
  if (n.starts_with("FIND")) {
    if (has("ModalityWorklist")) return "modality-worklist";
    if (has("Worklist")) return "worklist";
    return "query-retrieve-find";
  }
  if (n.starts_with("MOVE")) return "query-retrieve-move";
  if (n.starts_with("GET")) return "query-retrieve-get";
  if (n.starts_with("ModalityPerformedProcedureStep")) return "mpps";
  if (n.starts_with("StorageCommitment")) return "storage-commitment";
  if (has("UnifiedProcedureStep")) return "ups";
  if (has("Print") || has("Film") || has("ImageBox") || has("Printer")) return "print";
  if (has("InstanceAvailabilityNotification")) return "instance-availability";
  return "other";
}

// What DCMTK's dictionary says of a UID: its name, the service of a SOP class, the modality of a storage
// SOP class. DCMTK answers by a strcmp scan of its tables and a generic storage SCU proposes ~120 SOP
// classes per association, so the answers are kept per distinct UID (one catalog per parser, used by its
// sessions; the pipeline that owns them is single-threaded). Bounded: past kMaxUids distinct UIDs (only
// private ones could be that many) it starts afresh.
class UidCatalog {
 public:
  struct Info {
    const char* name = nullptr;  // DCMTK's name, or null for a UID it does not know
    std::string_view service;    // "" unless a SOP class of a known service
    const char* modality = nullptr;
  };

  const Info& lookup(std::string_view uid) {
    uid = unpad(uid);
    if (uid.empty() || uid.size() > kMaxUidLength) return none_;
    if (auto it = known_.find(uid); it != known_.end()) return it->second;
    if (known_.size() >= kMaxUids) known_.clear();
    return known_.emplace(uid, ask_dcmtk(uid)).first->second;
  }
  [[nodiscard]] const char* name(std::string_view uid) { return lookup(uid).name; }
  [[nodiscard]] std::string_view service(std::string_view uid) { return lookup(uid).service; }
  [[nodiscard]] const char* modality(std::string_view uid) { return lookup(uid).modality; }

 private:
  static constexpr std::size_t kMaxUidLength = 64;  // PS3.5 §9.1
  static constexpr std::size_t kMaxUids = 4096;

  static Info ask_dcmtk(std::string_view uid) {
    char s[kMaxUidLength + 1] = {};  // NUL-terminated for DCMTK
    std::copy(uid.begin(), uid.end(), s);
    Info info;
    info.name = dcmFindNameOfUID(s, nullptr);
    const bool storage = dcmIsaStorageSOPClassUID(s, ESSC_All);
    info.service = service_named(info.name, storage);
    if (storage) info.modality = dcmSOPClassUIDToModality(s, nullptr);
    return info;
  }

  absl::flat_hash_map<std::string, Info, StringViewHash, std::equal_to<>> known_;  // looked up by wire views
  Info none_;
};

// PS3.7 §E.1 Command Field values.
std::string_view command_name(std::uint16_t field) {
  switch (field) {
    case 0x0001: return "C-STORE-RQ";
    case 0x8001: return "C-STORE-RSP";
    case 0x0010: return "C-GET-RQ";
    case 0x8010: return "C-GET-RSP";
    case 0x0020: return "C-FIND-RQ";
    case 0x8020: return "C-FIND-RSP";
    case 0x0021: return "C-MOVE-RQ";
    case 0x8021: return "C-MOVE-RSP";
    case 0x0030: return "C-ECHO-RQ";
    case 0x8030: return "C-ECHO-RSP";
    case 0x0100: return "N-EVENT-REPORT-RQ";
    case 0x8100: return "N-EVENT-REPORT-RSP";
    case 0x0110: return "N-GET-RQ";
    case 0x8110: return "N-GET-RSP";
    case 0x0120: return "N-SET-RQ";
    case 0x8120: return "N-SET-RSP";
    case 0x0130: return "N-ACTION-RQ";
    case 0x8130: return "N-ACTION-RSP";
    case 0x0140: return "N-CREATE-RQ";
    case 0x8140: return "N-CREATE-RSP";
    case 0x0150: return "N-DELETE-RQ";
    case 0x8150: return "N-DELETE-RSP";
    case 0x0FFF: return "C-CANCEL-RQ";
    default: return {};
  }
}

// PS3.7 Annex C status classes.
std::string_view status_class(std::uint16_t s) {
  if (s == 0x0000) return "success";
  if (s == 0xFF00 || s == 0xFF01) return "pending";
  if (s == 0xFE00) return "cancel";
  if (s == 0x0001 || s == 0x0107 || s == 0x0116 || (s >= 0xB000 && s <= 0xBFFF)) return "warning";
  return "failure";
}

std::string hex4(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

// PS3.8 §9.3.4 Table 9-21.
std::string reject_text(std::uint8_t result, std::uint8_t source, std::uint8_t reason) {
  std::string out = result == 1 ? "rejected-permanent" : result == 2 ? "rejected-transient" : "result-" + std::to_string(result);
  std::string_view src, why;
  switch (source) {
    case 1:
      src = "service-user";
      why = reason == 1 ? "no-reason-given" : reason == 2 ? "application-context-name-not-supported"
          : reason == 3 ? "calling-AE-title-not-recognized" : reason == 7 ? "called-AE-title-not-recognized" : "";
      break;
    case 2:
      src = "service-provider-acse";
      why = reason == 1 ? "no-reason-given" : reason == 2 ? "protocol-version-not-supported" : "";
      break;
    case 3:
      src = "service-provider-presentation";
      why = reason == 1 ? "temporary-congestion" : reason == 2 ? "local-limit-exceeded" : "";
      break;
    default: break;
  }
  out += ", source ";
  out += src.empty() ? std::to_string(source) : std::string(src);
  out += ", reason ";
  out += why.empty() ? std::to_string(reason) : std::string(why);
  return out;
}

// PS3.8 §9.3.8 Table 9-26.
std::string abort_text(std::uint8_t source, std::uint8_t reason) {
  if (source == 0) return "service-user";
  if (source == 2) {
    static constexpr std::string_view kReasons[] = {
        "reason-not-specified", "unrecognized-PDU", "unexpected-PDU", "reserved",
        "unrecognized-PDU-parameter", "unexpected-PDU-parameter", "invalid-PDU-parameter-value"};
    std::string out = "service-provider, ";
    out += reason < std::size(kReasons) ? std::string(kReasons[reason]) : "reason " + std::to_string(reason);
    return out;
  }
  return "source " + std::to_string(source);
}

// PS3.8 §9.3.3.2 Table 9-18.
std::string_view context_result_text(std::uint8_t r) {
  switch (r) {
    case 1: return "user-rejection";
    case 2: return "no-reason";
    case 3: return "abstract-syntax-not-supported";
    case 4: return "transfer-syntaxes-not-supported";
    default: return "rejected";
  }
}

// PS3.7 §D.3.3.7.1 User-Identity-Type.
std::string_view identity_type_text(std::uint8_t t) {
  switch (t) {
    case 1: return "username";
    case 2: return "username-passcode";
    case 3: return "kerberos";
    case 4: return "saml";
    case 5: return "jwt";
    default: return "unknown";
  }
}

// How a data set is encoded, from the accepted transfer syntax (PS3.5 §10, Annex A).
enum class Encoding : std::uint8_t { unknown, implicit_le, explicit_le, explicit_be, deflated };

Encoding encoding_of(std::string_view ts) {
  ts = unpad(ts);
  if (ts == "1.2.840.10008.1.2") return Encoding::implicit_le;
  if (ts == "1.2.840.10008.1.2.2") return Encoding::explicit_be;
  if (ts == "1.2.840.10008.1.2.1.99") return Encoding::deflated;
  return ts.empty() ? Encoding::unknown : Encoding::explicit_le;  // every other TS: explicit VR LE (PS3.5 A.4)
}

// Bounded distinct set of views (values live in the PDU being parsed).
template <std::size_t N>
struct ViewSet {
  std::array<std::string_view, N> v{};
  std::size_t n = 0;
  bool overflow = false;
  void add(std::string_view s) {
    s = unpad(s);
    if (s.empty()) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (v[i] == s) return;
    }
    if (n < N) v[n++] = s;
    else overflow = true;
  }
  [[nodiscard]] bool contains(std::string_view s) const {
    s = unpad(s);
    for (std::size_t i = 0; i < n; ++i) {
      if (v[i] == s) return true;
    }
    return false;
  }
};

// ---- data set allow-list (PS3.5 §7.1, §7.5) ---------------------------------------------------------

struct DsReader {
  ByteReader r;
  bool explicit_vr = false;
  bool big_endian = false;
  std::uint16_t u16() { return big_endian ? r.u16be() : r.u16le(); }
  std::uint32_t u32() {
    if (!big_endian) return r.u32le();
    return r.u32be();
  }
};

constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr std::uint32_t tag(std::uint16_t g, std::uint16_t e) { return (std::uint32_t{g} << 16) | e; }
constexpr std::uint32_t kItem = tag(0xFFFE, 0xE000), kItemEnd = tag(0xFFFE, 0xE00D), kSeqEnd = tag(0xFFFE, 0xE0DD);

// Reads one element header: tag and value length; the VR (explicit) only decides the length field width.
bool read_element_header(DsReader& d, std::uint32_t& t, std::uint32_t& len) {
  const std::uint16_t g = d.u16();
  const std::uint16_t e = d.u16();
  t = tag(g, e);
  if (g == 0xFFFE || !d.explicit_vr) {  // items and delimiters never carry a VR (PS3.5 §7.5)
    len = d.u32();
    return d.r.ok();
  }
  const std::uint8_t v0 = d.r.u8(), v1 = d.r.u8();
  const bool long_form = (v0 == 'O' && (v1 == 'B' || v1 == 'W' || v1 == 'F' || v1 == 'D' || v1 == 'L' || v1 == 'V')) ||
                         (v0 == 'S' && (v1 == 'Q' || v1 == 'V')) || (v0 == 'U' && (v1 == 'N' || v1 == 'T' || v1 == 'C' ||
                         v1 == 'R' || v1 == 'V'));  // PS3.5 Table 7.1-1
  if (long_form) {
    d.r.skip(2);
    len = d.u32();
  } else {
    len = d.u16();
  }
  return d.r.ok();
}

bool skip_undefined(DsReader& d, int depth);

// Skips the elements of an item of undefined length up to its Item Delimitation Item.
bool skip_item_elements(DsReader& d, int depth) {
  while (d.r.ok() && !d.r.empty()) {
    std::uint32_t t = 0, len = 0;
    if (!read_element_header(d, t, len)) return false;
    if (t == kItemEnd) return true;
    if (len == kUndefinedLength) {
      if (!skip_undefined(d, depth + 1)) return false;
    } else {
      d.r.skip(len);
    }
  }
  return false;
}

// Skips a sequence of undefined length: items until the Sequence Delimitation Item (PS3.5 §7.5.2).
bool skip_undefined(DsReader& d, int depth) {
  if (depth > kMaxSequenceDepth) return false;
  while (d.r.ok() && !d.r.empty()) {
    const std::uint16_t g = d.u16();
    const std::uint16_t e = d.u16();
    const std::uint32_t t = tag(g, e);
    const std::uint32_t len = d.u32();
    if (!d.r.ok()) return false;
    if (t == kSeqEnd) return true;
    if (t != kItem) return false;
    if (len == kUndefinedLength) {
      if (!skip_item_elements(d, depth + 1)) return false;
    } else {
      d.r.skip(len);
    }
  }
  return false;
}

// PS3.5 §7.1.2: a data set that starts with an explicit VR has two upper-case letters after the tag.
Encoding sniff_encoding(Bytes b) {
  if (b.size() < 6) return Encoding::unknown;
  const bool letters = b[4] >= 'A' && b[4] <= 'Z' && b[5] >= 'A' && b[5] <= 'Z';
  const bool be = b[0] == 0x00 && b[1] != 0x00;  // group 0x0008 big-endian starts 00 08
  if (!letters) return Encoding::implicit_le;
  return be ? Encoding::explicit_be : Encoding::explicit_le;
}

// ---- association PDUs ----------------------------------------------------------------------------------

struct Context {
  bool proposed = false;
  bool accepted = false;
  std::uint8_t uid_len = 0;
  char uid[64] = {};
  Encoding encoding = Encoding::unknown;
  [[nodiscard]] std::string_view abstract_syntax() const { return {uid, uid_len}; }
};

struct Side {
  enum class Mode : std::uint8_t { header, pdv, resync } mode = Mode::header;
  std::uint32_t pdu_left = 0;     // bytes of the current P-DATA-TF PDU still to come (Mode::pdv)
  std::uint32_t max_pdu = 0;      // negotiated limit for PDUs sent in this direction (0: none)
  bool peek_pending = false;      // a C-STORE-RQ announced a data set to peek at
  std::uint8_t peek_ctx = 0;
  std::string command;            // a command set fragmented over several PDVs (rare; bounded)
  bool command_overflow = false;
};

bool plausible_pdata(Bytes b, std::size_t at, std::uint32_t max_pdu) {
  ByteReader r(b.subspan(at));
  const std::uint8_t type = r.u8(), reserved = r.u8();
  const std::uint32_t len = r.u32be();
  const std::uint32_t pdv = r.u32be();
  const std::uint8_t ctx = r.u8(), mch = r.u8();
  if (!r.ok() || type != kPData || reserved != 0) return false;
  const std::uint32_t limit = max_pdu != 0 ? max_pdu : kMaxPlausiblePdata;
  return len >= 6 && len <= limit && pdv >= 2 && pdv <= len - 4 && (ctx & 1) == 1 && mch <= 3;
}

// A header strong enough to resynchronise on when the stream was joined mid-way or lost its place.
bool strong_header(Bytes b, std::size_t at, std::uint32_t max_pdu) {
  if (b.size() - at < 10) return false;
  const std::uint8_t type = b[at];
  if (b[at + 1] != 0) return false;
  ByteReader r(b.subspan(at + 2));
  const std::uint32_t len = r.u32be();
  switch (type) {
    case kPData: return plausible_pdata(b, at, max_pdu);
    case kAssociateRq:
    case kAssociateAc: {
      if (len < 68 || len > kMaxControlPdu || r.u16be() != 0x0001) return false;
      if (b.size() - at < 42) return false;
      for (std::size_t i = at + 10; i < at + 42; ++i) {
        if (!is_ae_char(b[i])) return false;
      }
      return true;
    }
    case kReleaseRq:
    case kReleaseRp: return len == 4 && r.u32be() == 0;
    case kAbort: {
      if (len != 4 || r.u16be() != 0) return false;
      const std::uint8_t source = r.u8(), reason = r.u8();
      return (source == 0 || source == 2) && reason <= 6;
    }
    default: return false;
  }
}

// Where the first resynchronisable header lies in `b` (npos if none).
std::size_t find_header(Bytes b, std::uint32_t max_pdu) {
  for (std::size_t i = 0; i + 10 <= b.size(); ++i) {
    if (b[i] >= kAssociateRq && b[i] <= kAbort && strong_header(b, i, max_pdu)) return i;
  }
  return std::string_view::npos;
}

class DicomSession final : public StreamSession {
 public:
  DicomSession(const StreamMeta& meta, UidCatalog& uids) : meta_(meta), uids_(uids) {}

  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Side& s = sides_[static_cast<int>(dir)];
    std::size_t pos = 0;
    bool parsed = false, malformed = false, finished = false;
    while (pos < data.size() && !finished) {
      const Bytes rest = data.subspan(pos);
      if (s.mode == Side::Mode::resync) {
        const std::size_t at = find_header(rest, s.max_pdu);
        if (at == std::string_view::npos) {
          // Keep the tail: a header (42 bytes for an RQ/AC check) may straddle this buffer's end.
          pos += rest.size() > 41 ? rest.size() - 41 : 0;
          break;
        }
        pos += at;
        s.mode = Side::Mode::header;
        continue;
      }
      if (s.mode == Side::Mode::pdv) {
        const Step st = pdv_step(dir, s, rest, sink);
        if (st.advance == 0 && !st.skip_to_header) break;  // need more bytes
        pos += st.advance;
        parsed |= st.parsed;
        malformed |= st.malformed;
        continue;
      }
      // Mode::header — PS3.8 §9.3.1: type (1), reserved (1), length (4, big endian).
      if (rest.size() < 6) break;
      ByteReader r(rest);
      const std::uint8_t type = r.u8(), reserved = r.u8();
      const std::uint32_t len = r.u32be();
      if (type < kAssociateRq || type > kAbort || reserved != 0) {
        sink.anomaly("dicom.bad_pdu_header");
        malformed = true;
        s.mode = Side::Mode::resync;
        pos += 1;
        continue;
      }
      if (type == kPData) {
        const std::uint32_t limit = s.max_pdu != 0 ? s.max_pdu : kMaxPlausiblePdata;
        if (len < 6 || len > limit) {
          // Never skip on a hostile length: look for the next believable header instead.
          sink.anomaly(len > limit ? "dicom.pdu_length_implausible" : "dicom.pdu_too_short");
          malformed = true;
          s.mode = Side::Mode::resync;
          pos += 1;
          continue;
        }
        s.mode = Side::Mode::pdv;
        s.pdu_left = len;
        pos += 6;
        continue;
      }
      if (len > kMaxControlPdu) {
        if (type == kAssociateRq || type == kAssociateAc) {
          sink.anomaly("dicom.associate_pdu_too_large");
          malformed = true;
          s.mode = Side::Mode::resync;
          pos += 1;
          continue;
        }
      }
      if ((type != kAssociateRq && type != kAssociateAc) && len != 4) {
        sink.anomaly("dicom.bad_pdu_length");  // RJ, RELEASE and ABORT are 4 bytes (PS3.8 §9.3.4-§9.3.8)
        malformed = true;
        s.mode = Side::Mode::resync;
        pos += 1;
        continue;
      }
      if (rest.size() - 6 < len) break;  // wait for the whole PDU
      const Bytes body = rest.subspan(6, len);
      pos += 6 + len;
      parsed = true;
      switch (type) {
        case kAssociateRq:
        case kAssociateAc:
          malformed |= !on_associate(dir, type == kAssociateAc, body, sink);
          break;
        case kAssociateRj:
          sink.observe(Party::sender, "dicom.reject", reject_text(body[1], body[2], body[3]));
          finished = true;
          break;
        case kReleaseRq: sink.observe(Party::sender, "dicom.release", "requested"); break;
        case kReleaseRp:
          sink.observe(Party::sender, "dicom.release", "confirmed");
          finished = true;
          break;
        case kAbort:
          sink.observe(Party::sender, "dicom.abort", abort_text(body[2], body[3]));
          finished = true;
          break;
        default: break;
      }
    }
    consumed = pos;
    if (finished) return ParseStatus::done;
    if (malformed) return ParseStatus::malformed;
    return parsed ? ParseStatus::ok : ParseStatus::need_more;
  }

 private:
  struct Step {
    std::size_t advance = 0;
    bool parsed = false, malformed = false, skip_to_header = false;
  };

  // One PDV item of a P-DATA-TF PDU (PS3.8 §9.3.5.1, Annex E.2): length (4), context ID (1),
  // message control header (1: bit 0 command, bit 1 last fragment), fragment.
  Step pdv_step(StreamDir dir, Side& s, Bytes rest, ObservationSink& sink) {
    Step st;
    if (s.pdu_left == 0) {
      s.mode = Side::Mode::header;
      st.skip_to_header = true;
      return st;
    }
    if (s.pdu_left < 6) {
      sink.anomaly("dicom.pdv_length_overflow");
      s.mode = Side::Mode::resync;
      st.malformed = st.skip_to_header = true;
      return st;
    }
    if (rest.size() < 6) return st;
    ByteReader r(rest);
    const std::uint32_t pdv_len = r.u32be();
    const std::uint8_t ctx = r.u8(), mch = r.u8();
    if (pdv_len < 2 || pdv_len > s.pdu_left - 4) {
      sink.anomaly("dicom.pdv_length_overflow");
      s.mode = Side::Mode::resync;
      st.malformed = st.skip_to_header = true;
      return st;
    }
    const std::size_t value_len = pdv_len - 2;
    const bool is_command = (mch & 0x01) != 0, last = (mch & 0x02) != 0;
    if (is_command) {
      if (value_len > kMaxCommandBytes || s.command.size() + value_len > kMaxCommandBytes) {
        if (!s.command_overflow) sink.anomaly("dicom.command_too_large");
        s.command_overflow = true;
        s.command.clear();
      } else {
        if (rest.size() - 6 < value_len) return st;  // commands are read whole
        const Bytes frag = rest.subspan(6, value_len);
        if (last && s.command.empty()) {
          st.malformed |= !on_command(dir, ctx, frag, sink);
        } else {
          s.command.append(as_text(frag));
          if (last) {
            st.malformed |= !on_command(dir, ctx, as_bytes(s.command), sink);
            s.command.clear();
          }
        }
        st.parsed = true;
      }
      if (last) s.command_overflow = false;
    } else if (s.peek_pending && ctx == s.peek_ctx) {
      // Walk what is buffered; wait for more only while the wanted elements may still be ahead.
      const std::size_t window = std::min(value_len, kDatasetPeekBytes);
      const Bytes view = rest.subspan(6, std::min(rest.size() - 6, window));
      if (view.size() < window && !peek_dataset(ctx, view, nullptr)) return st;
      peek_dataset(ctx, view, &sink);
      s.peek_pending = false;
      st.parsed = true;
    }
    // Anything else (data set fragments, pixel data) is skipped unread, possibly beyond what is buffered.
    st.advance = 6 + value_len;
    s.pdu_left -= 4 + pdv_len;
    if (s.pdu_left == 0) s.mode = Side::Mode::header;
    return st;
  }

  Context* context(std::uint8_t id) {
    if (!contexts_ || (id & 1) == 0) return nullptr;
    return &(*contexts_)[id >> 1];
  }

  [[nodiscard]] bool is_requestor(StreamDir dir) const {
    if (requestor_ < 0) return dir == StreamDir::to_server;
    return static_cast<int>(dir) == requestor_;
  }

  std::uint16_t receiver_port(StreamDir dir) const {
    return dir == StreamDir::to_server ? meta_.server_port : meta_.client_port;
  }

  void emit_sop(ObservationSink& sink, Party p, std::string_view uid) {
    sink.observe(p, "dicom.abstract_syntax", printable(unpad(uid)));
    if (const char* name = uids_.name(uid)) sink.observe(p, "dicom.sop_class", name);
  }

  // A-ASSOCIATE-RQ (PS3.8 §9.3.2) and A-ASSOCIATE-AC (§9.3.3): fixed part then items (§9.3.2.1-§9.3.3.3).
  // An A-ASSOCIATE-RQ or -AC as read (PS3.8 §9.3.2, §9.3.3), views into the PDU: parsed first, its facts
  // emitted after, each step below on its own.
  struct Associate {
    bool ac = false;
    std::uint16_t version = 0;
    std::string_view called, calling, app_context, impl_uid, impl_version;
    std::uint32_t max_len = 0;
    bool has_max_len = false, has_async = false;
    std::uint16_t async_invoked = 0, async_performed = 0;
    int identity_type = -1;
    ViewSet<kMaxContexts> abstract;  // RQ: proposed; AC: accepted
    ViewSet<kMaxListed> transfer;
    ViewSet<kMaxListed> rejected;
    std::array<std::uint8_t, kMaxListed> rejected_reason{};
    struct Role {
      std::string_view uid;
      std::uint8_t scu, scp;
    };
    std::array<Role, kMaxContexts> roles{};
    std::size_t role_count = 0;
  };

  bool on_associate(StreamDir dir, bool ac, Bytes body, ObservationSink& sink) {
    Associate a;
    a.ac = ac;
    ByteReader r(body);
    a.version = r.u16be();
    r.skip(2);
    a.called = unpad(r.text(16));
    a.calling = unpad(r.text(16));
    r.skip(32);
    if (!r.ok()) {
      sink.anomaly("dicom.truncated_pdu");
      return false;
    }
    if ((a.version & 1) == 0) sink.anomaly("dicom.protocol_version");
    note_requestor(dir, ac);
    const bool good = read_associate_items(r, a, sink);
    emit_association_parties(dir, a, sink);
    emit_own_facts(dir, a, sink);
    emit_syntaxes(a, sink);
    if (!ac) emit_modality(a, sink);
    return good;
  }

  // The RQ names the requestor and starts a fresh context table; an AC without its RQ names it too.
  void note_requestor(StreamDir dir, bool ac) {
    if (!ac) {
      requestor_ = static_cast<int>(dir);
      if (!contexts_) contexts_ = std::make_unique<std::array<Context, kMaxContexts>>();
      contexts_->fill(Context{});
    } else if (requestor_ < 0) {
      requestor_ = 1 - static_cast<int>(dir);
    }
  }

  // The variable items after the fixed fields; false when one runs past its container.
  bool read_associate_items(ByteReader& r, Associate& a, ObservationSink& sink) {
    bool good = true;
    while (!r.empty()) {
      const std::uint8_t type = r.u8();
      r.skip(1);
      const std::uint16_t len = r.u16be();
      ByteReader item = r.sub(len);
      if (!r.ok()) {
        sink.anomaly("dicom.item_overflow");
        return false;
      }
      bool item_ok = true;
      if (type == 0x10) {  // Application Context Item (§9.3.2.1)
        a.app_context = unpad(item.text(item.remaining()));
      } else if (type == 0x20 && !a.ac) {
        item_ok = read_proposed_context(item, a, sink);
      } else if (type == 0x21 && a.ac) {
        item_ok = read_accepted_context(item, a);
      } else if (type == 0x50) {
        item_ok = read_user_information(item, a);
      } else {
        sink.anomaly("dicom.unknown_item");
      }
      if (!item_ok) {
        sink.anomaly("dicom.item_overflow");
        good = false;
      }
    }
    return good;
  }

  // Presentation Context Item of an RQ (§9.3.2.2): its abstract syntax goes into the context table.
  bool read_proposed_context(ByteReader& item, Associate& a, ObservationSink& sink) {
    const std::uint8_t id = item.u8();
    item.skip(3);
    std::string_view as;
    for_each_sub_item(item, [&](std::uint8_t st, ByteReader& sub, std::uint16_t sl) {
      if (st == 0x30) as = unpad(sub.text(sl));
      else if (st == 0x40) a.transfer.add(sub.text(sl));
    });
    if (!item.ok()) return false;
    Context* c = context(id);
    if (c == nullptr || c->proposed) {
      sink.anomaly("dicom.bad_context_id");
      return true;
    }
    c->proposed = true;
    as = unpad(as);
    c->uid_len = static_cast<std::uint8_t>(std::min(as.size(), sizeof c->uid));
    std::copy_n(as.data(), c->uid_len, c->uid);
    a.abstract.add(as);
    return true;
  }

  // Presentation Context Item of an AC (§9.3.3.2): accepted with its transfer syntax, or rejected with a
  // reason (4, transfer syntaxes not supported, is not listed).
  bool read_accepted_context(ByteReader& item, Associate& a) {
    const std::uint8_t id = item.u8();
    item.skip(1);
    const std::uint8_t result = item.u8();
    item.skip(1);
    std::string_view ts;
    for_each_sub_item(item, [&](std::uint8_t st, ByteReader& sub, std::uint16_t sl) {
      if (st == 0x40) ts = sub.text(sl);
    });
    if (!item.ok()) return false;
    Context* c = context(id);
    if (result == 0) {
      a.transfer.add(ts);
      if (c) {
        c->accepted = true;
        c->encoding = encoding_of(ts);
        if (c->proposed) a.abstract.add(c->abstract_syntax());
      }
    } else if (c && c->proposed && result != 4) {
      const std::size_t before = a.rejected.n;
      a.rejected.add(c->abstract_syntax());
      if (a.rejected.n > before) a.rejected_reason[before] = result;
    }
    return true;
  }

  // User Information Item (§9.3.2.3, PS3.7 Annex D.3.3).
  static bool read_user_information(ByteReader& item, Associate& a) {
    for_each_sub_item(item, [&](std::uint8_t st, ByteReader& sub, std::uint16_t sl) {
      switch (st) {
        case 0x51:  // Maximum Length (PS3.8 Annex D.1)
          a.max_len = sub.u32be();
          a.has_max_len = sub.ok();
          break;
        case 0x52: a.impl_uid = unpad(sub.text(sl)); break;      // Implementation Class UID (PS3.7 D.3.3.2)
        case 0x55: a.impl_version = unpad(sub.text(sl)); break;  // Implementation Version Name (D.3.3.2)
        case 0x53:                                              // Asynchronous Operations Window (D.3.3.3)
          a.async_invoked = sub.u16be();
          a.async_performed = sub.u16be();
          a.has_async = sub.ok();
          break;
        case 0x54: {  // SCP/SCU Role Selection (D.3.3.4)
          const std::uint16_t ul = sub.u16be();
          const std::string_view uid = unpad(sub.text(ul));
          const std::uint8_t scu = sub.u8(), scp = sub.u8();
          if (sub.ok() && a.role_count < a.roles.size()) a.roles[a.role_count++] = {uid, scu, scp};
          break;
        }
        case 0x58:  // User Identity Negotiation RQ (D.3.3.7.1): the type only, never the fields
          a.identity_type = sub.u8();
          if (!sub.ok()) a.identity_type = -1;
          break;
        default: break;  // 0x56/0x57 extended negotiation, 0x59 identity response: not read
      }
    });
    return item.ok();
  }

  // Who is who: the requestor is the SCU of the association, the acceptor the SCP (PS3.7 §D.3.3.4).
  void emit_association_parties(StreamDir dir, const Associate& a, ObservationSink& sink) {
    const Party requestor = a.ac ? Party::receiver : Party::sender;
    const Party acceptor = a.ac ? Party::sender : Party::receiver;
    // An AC echoes the AE titles (§9.3.3: "not tested"); only trusted when the RQ was missed.
    if ((!a.ac || !rq_seen_) && !a.calling.empty() && !a.called.empty()) {
      const std::string calling_p = printable(a.calling), called_p = printable(a.called);
      const std::string assoc = calling_p + "->" + called_p;
      sink.observe(requestor, "dicom.ae_title", calling_p);
      sink.observe(requestor, "dicom.role", "scu");
      sink.observe(requestor, "dicom.called_ae", called_p);
      sink.observe(requestor, "dicom.association", assoc);
      sink.observe(acceptor, "dicom.ae_title", called_p);
      sink.observe(acceptor, "dicom.role", "scp");
      sink.observe(acceptor, "dicom.calling_ae", calling_p);
      sink.observe(acceptor, "dicom.association", assoc);
      const std::uint16_t port = a.ac ? (dir == StreamDir::to_server ? meta_.client_port : meta_.server_port)
                                      : receiver_port(dir);
      sink.observe(acceptor, "dicom.scp_port", std::to_string(port));
    }
    if (!a.ac) rq_seen_ = true;
    // An accepted association makes this server endpoint a known DICOM SCP: TLS to it later is DICOM.
    if (a.ac) sink.tag_server("dicom");
  }

  // Facts each side states about itself (its own implementation and limits).
  void emit_own_facts(StreamDir dir, const Associate& a, ObservationSink& sink) {
    if (!a.app_context.empty()) sink.observe(Party::sender, "dicom.application_context", printable(a.app_context));
    if (!a.impl_uid.empty()) sink.observe(Party::sender, "dicom.implementation_class_uid", printable(a.impl_uid));
    if (!a.impl_version.empty()) {
      sink.observe(Party::sender, "dicom.implementation_version_name", printable(a.impl_version));
    }
    if (a.has_max_len) {
      sink.observe(Party::sender, "dicom.max_pdu_length", std::to_string(a.max_len));
      // The sender's maximum bounds the PDUs sent towards it (PS3.8 Annex D.1).
      sides_[1 - static_cast<int>(dir)].max_pdu = a.max_len;
    }
    if (a.has_async) {
      sink.observe(Party::sender, "dicom.async_ops_window",
                   std::to_string(a.async_invoked) + "/" + std::to_string(a.async_performed));
    }
    if (a.identity_type >= 0) {
      sink.observe(Party::sender, "dicom.user_identity_type",
                   identity_type_text(static_cast<std::uint8_t>(a.identity_type)));
    }
    for (std::size_t i = 0; i < a.role_count && i < kMaxListed; ++i) {
      const char* name = uids_.name(a.roles[i].uid);
      sink.observe(Party::sender, "dicom.role_selection",
                   (name ? std::string(name) : printable(a.roles[i].uid)) + ":scu=" + std::to_string(a.roles[i].scu) +
                       ",scp=" + std::to_string(a.roles[i].scp));
    }
  }

  // Transfer and abstract syntaxes: proposed ones on the requestor (RQ), accepted ones on the acceptor (AC).
  // A long list (a generic storage SCU proposes every storage class) is reported as a count only.
  void emit_syntaxes(const Associate& a, ObservationSink& sink) {
    for (std::size_t i = 0; i < a.transfer.n; ++i) {
      sink.observe(Party::sender, "dicom.transfer_syntax", printable(a.transfer.v[i]));
    }
    ViewSet<16> services;
    for (std::size_t i = 0; i < a.abstract.n; ++i) services.add(uids_.service(a.abstract.v[i]));
    for (std::size_t i = 0; i < services.n; ++i) sink.observe(Party::sender, "dicom.service", services.v[i]);
    if (a.abstract.n <= kMaxListed) {
      for (std::size_t i = 0; i < a.abstract.n; ++i) emit_sop(sink, Party::sender, a.abstract.v[i]);
    } else {
      sink.observe(Party::sender, "dicom.abstract_syntax_count", std::to_string(a.abstract.n));
    }
    for (std::size_t i = 0; i < a.rejected.n; ++i) {
      const char* name = uids_.name(a.rejected.v[i]);
      sink.observe(Party::sender, "dicom.rejected_sop_class",
                   (name ? std::string(name) : printable(a.rejected.v[i])) + " (" +
                       std::string(context_result_text(a.rejected_reason[i])) + ")");
    }
  }

  // A proposal narrow enough to name one modality (storage classes the requestor offers as SCU; a role
  // selection with SCU-role 0 turns it into a storage SCP, as a C-GET client is).
  void emit_modality(const Associate& a, ObservationSink& sink) {
    const char* only = nullptr;
    for (std::size_t i = 0; i < a.abstract.n; ++i) {
      bool scu = true;
      for (std::size_t k = 0; k < a.role_count; ++k) {
        if (a.roles[k].uid == a.abstract.v[i] && a.roles[k].scu == 0) scu = false;
      }
      const char* m = scu ? uids_.modality(a.abstract.v[i]) : nullptr;
      if (m == nullptr) continue;
      if (only == nullptr) only = m;
      else if (std::string_view(only) != m) return;  // several modalities: none is named
    }
    if (only != nullptr) sink.observe(Party::sender, "dicom.modality", only);
  }

  // A DIMSE command set: group 0000, always Implicit VR Little Endian (PS3.7 §6.3.1, Annex E).
  bool on_command(StreamDir dir, std::uint8_t ctx, Bytes cmd, ObservationSink& sink) {
    ByteReader r(cmd);
    std::string_view sop, move_dest;
    std::uint16_t field = 0, status = 0, dataset_type = 0x0101;
    bool has_field = false, has_status = false, forwarded = false, good = true;
    while (!r.empty()) {
      const std::uint16_t group = r.u16le(), element = r.u16le();
      const std::uint32_t len = r.u32le();
      const Bytes value = r.bytes(len);
      if (!r.ok()) {
        sink.anomaly("dicom.command_truncated");
        good = false;
        break;
      }
      if (group != 0x0000) {
        sink.anomaly("dicom.command_bad_group");
        good = false;
        break;
      }
      ByteReader v(value);
      switch (element) {
        case 0x0002:  // Affected SOP Class UID
        case 0x0003:  // Requested SOP Class UID (N-GET/N-SET/N-ACTION/...)
          sop = unpad(as_text(value));
          break;
        case 0x0100: field = v.u16le(); has_field = v.ok(); break;      // Command Field
        case 0x0600: move_dest = unpad(as_text(value)); break;          // Move Destination
        case 0x0800: dataset_type = v.u16le(); break;                  // Command Data Set Type
        case 0x0900: status = v.u16le(); has_status = v.ok(); break;   // Status
        case 0x1030: forwarded = len > 0; break;                       // Move Originator AE Title
        default: break;                                                 // other elements: skipped
      }
    }
    if (!has_field) return good;
    const std::string_view name = command_name(field);
    const std::string cmd_name = name.empty() ? hex4(field) : std::string(name);
    sink.observe(Party::sender, "dicom.command", cmd_name);
    if (!sop.empty()) {
      emit_sop(sink, Party::sender, sop);
      const std::string_view svc = uids_.service(sop);
      if (!svc.empty()) sink.observe(Party::sender, "dicom.service", svc);
    }
    if (!move_dest.empty()) sink.observe(Party::sender, "dicom.move_destination", printable(move_dest));
    if (has_status) {
      sink.observe(Party::sender, "dicom.status", cmd_name + ": " + std::string(status_class(status)) + " (" + hex4(status) + ")");
    }
    // A C-STORE-RQ names the sender's modality, unless it forwards someone else's images: a C-MOVE
    // sub-operation carries the Move Originator (PS3.7 §9.1.1.1), a C-GET one comes from the acceptor.
    if (field == 0x0001 && !forwarded && is_requestor(dir)) {
      if (const char* m = uids_.modality(sop)) sink.observe(Party::sender, "dicom.modality", m);
      Side& s = sides_[static_cast<int>(dir)];
      s.peek_pending = dataset_type != 0x0101;  // 0x0101: no data set follows (PS3.7 §E.1)
      s.peek_ctx = ctx;
    }
    return good;
  }

  // The allow-list over the first data set fragment of a C-STORE (PS3.5 §7.1): tags and lengths only;
  // values are copied for exactly these five device elements, every other value is skipped unread.
  // Returns true when the walk is complete (an element past the last wanted tag was reached, or the data
  // cannot be walked); with `sink` null it only answers that question (a dry run on partial data).
  bool peek_dataset(std::uint8_t ctx, Bytes data, ObservationSink* sink) {
    Encoding enc = Encoding::unknown;
    if (const Context* c = context(ctx); c && c->accepted) enc = c->encoding;
    if (enc == Encoding::unknown) enc = sniff_encoding(data);
    if (enc == Encoding::deflated) return true;
    if (enc == Encoding::unknown) return false;
    DsReader d{ByteReader(data), enc != Encoding::implicit_le, enc == Encoding::explicit_be};
    while (d.r.ok() && !d.r.empty()) {
      std::uint32_t t = 0, len = 0;
      if (!read_element_header(d, t, len)) return false;
      if (t > tag(0x0018, 0x1020)) return true;  // elements ascend (PS3.5 §7.1): nothing wanted beyond
      if (len == kUndefinedLength) {
        if (!skip_undefined(d, 0)) return d.r.ok() && !d.r.empty();  // broken: stop; cut short: wait
        continue;
      }
      std::string_view key;
      switch (t) {
        case tag(0x0008, 0x0070): key = "dicom.manufacturer"; break;
        case tag(0x0008, 0x1090): key = "dicom.model_name"; break;
        case tag(0x0018, 0x1000): key = "dicom.device_serial_number"; break;
        case tag(0x0018, 0x1020): key = "dicom.software_versions"; break;
        case tag(0x0008, 0x1010): key = "dicom.station_name"; break;
        default: d.r.skip(len); continue;
      }
      const std::string_view value = d.r.text(len);
      if (!d.r.ok()) return false;
      if (sink == nullptr) continue;
      // Multi-valued (VM 1-n) strings are split at the backslash (PS3.5 §6.4).
      std::size_t start = 0;
      for (int n = 0; n < 8 && start <= value.size(); ++n) {
        const std::size_t end = std::min(value.find('\\', start), value.size());
        const std::string_view one = unpad(value.substr(start, end - start));
        if (!one.empty()) sink->observe(Party::sender, key, printable(one));
        start = end + 1;
      }
    }
    return false;
  }

  StreamMeta meta_;
  UidCatalog& uids_;
  Side sides_[2];
  std::unique_ptr<std::array<Context, kMaxContexts>> contexts_;
  int requestor_ = -1;  // StreamDir of the A-ASSOCIATE-RQ, once known
  bool rq_seen_ = false;
};

class DicomParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // A PDU header at the start (RQ/AC with protocol version 1, PS3.8 §9.3.2) or, for a stream joined
  // mid-way, a strictly checked header further in (typically a P-DATA-TF).
  bool probe(StreamDir, Bytes first) const override {
    if (first.size() < 10) return false;
    if (first[0] >= kAssociateRq && first[0] <= kAbort && strong_header(first, 0, 0)) return true;
    return find_header(first, 0) != std::string_view::npos;
  }

  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    return std::make_unique<DicomSession>(meta, uids_);
  }

 private:
  ParserSpec spec_{"dicom", Transport::tcp, kPorts, kFacts, kAnomalies};
  mutable UidCatalog uids_;  // per registry, single-threaded like the pipeline that owns it
};

}  // namespace

void register_parser_dicom(ParserRegistry& registry) { registry.add(std::make_unique<DicomParser>()); }

}  // namespace ww
