// Point-of-care testing devices and their observation manager: CLSI POCT1-A2 ("POCT1-A", the Device and
// Observation Management Protocol), XML messages over TCP on any port — the standard names none, so a
// stream is recognised by its content: an XML document (optionally after its declaration) whose root element
// is a POCT1-A message name, three capital letters, ".R" and two digits (HEL.R01, ACK.R01, DST.R01, OBS.R01,
// EOT.R01, REQ.R01, DTV.R02, END.R01, ESC.R01, OPL.R01, ...).
//
// CLSI sells the standard; the public descriptions used here are vendors' POCT1-A interface specifications
// as summarised in open implementations: a device's HEL.R01 (hello) carries a HDR (HDR.control_id,
// HDR.version_id "POCT1", HDR.creation_dttm) and a DEV object whose elements hold their value in the
// attribute V: DEV.device_id, DEV.vendor_id, DEV.model_id, DEV.serial_id, DEV.manufacturer_name,
// DEV.hw_version, DEV.sw_version, DEV.device_name; then DSC/DCP capabilities. The message flow: the device
// opens the conversation with HEL.R01, sends its status (DST.R01), observations (OBS.R01/R02) and ends a
// topic with EOT.R01; the observation manager acknowledges (ACK.R01, which both sides send), asks (REQ.R01),
// sends directives (DTV.R01/R02) and operator lists (OPL.R01/R02), and ends the conversation (END.R01).
//
// PHI policy: of a message the parser reads its root element name, and of a HEL.R01 the HDR.version_id and
// the DEV elements listed in kDeviceFields — nothing else. Observations (OBS: PT.patient_id, PT.name, SVC,
// OBS values, OPR operator ids), operator lists (OPL: names and ids of staff) and directives are passed over
// to their closing tag without being copied: only the root element name is looked at, and the closing tag
// searched for. A HEL.R01 is the only document buffered, at most kMaxHelloBytes.
#include <algorithm>
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"
#include "wardwatch/xml_scan.hpp"

namespace ww {
namespace {

// clang-format off
constexpr FactDecl kFacts[] = {
    {"poct1.role", FactType::code, "sender: `device` (HEL, DST, OBS, EOT), `observation-manager` (REQ, DTV, OPL, END); receiver of a HEL.R01: `observation-manager`", "the root element of each message", "`device`, `observation-manager`"},
    {"poct1.message", FactType::code, "sender", "root element names of the messages it sent", "`HEL.R01`, `ACK.R01`"},
    {"poct1.version", FactType::text, "sender", "HEL.R01 HDR.version_id", "POCT1"},
    {"poct1.device_id", FactType::id, "sender", "HEL.R01 DEV.device_id (often a MAC address or the serial)", "00:01:02:03:04:05"},
    {"poct1.vendor", FactType::text, "sender", "HEL.R01 DEV.vendor_id", "ABBOTT"},
    {"poct1.model", FactType::text, "sender", "HEL.R01 DEV.model_id", "i-STAT 1"},
    {"poct1.serial_number", FactType::id, "sender", "HEL.R01 DEV.serial_id", "371234"},
    {"poct1.manufacturer", FactType::text, "sender", "HEL.R01 DEV.manufacturer_name", "Abbott Point of Care"},
    {"poct1.hardware_version", FactType::text, "sender", "HEL.R01 DEV.hw_version", "3"},
    {"poct1.software_version", FactType::text, "sender", "HEL.R01 DEV.sw_version", "JAMS 141a"},
    {"poct1.device_name", FactType::text, "sender", "HEL.R01 DEV.device_name (a name the site gives the device)", "ED iSTAT 3"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"poct1.hello_too_long", "A HEL.R01 document is longer than 16 KiB (a hello is a few hundred bytes); it is passed over unread to its closing tag."},
    {"poct1.unterminated_message", "A message's root element is not closed before the next message's root start tag; it ends there (a hello is read up to it)."},
    {"poct1.resync", "Bytes between two messages that do not start a POCT1-A message (a root element named like `HEL.R01`); they are skipped up to the next '<'. Reported once per run of skipped bytes."},
};
// clang-format on

constexpr std::size_t kMaxHelloBytes = std::size_t{16} * 1024;
constexpr std::size_t kMaxNameLength = 7;  // "HEL.R01"
constexpr std::size_t kMaxDeclarationBytes = 512;
constexpr std::size_t kMaxStartTagBytes = 512;  // a root start tag's attributes, before its '>'
constexpr std::size_t kMaxCloseTagBlanks = 16;  // whitespace allowed in "</NAME  >"

struct DeviceField {
  std::string_view element, key;
};
constexpr DeviceField kDeviceFields[] = {
    {"DEV.device_id", "poct1.device_id"},
    {"DEV.vendor_id", "poct1.vendor"},
    {"DEV.model_id", "poct1.model"},
    {"DEV.serial_id", "poct1.serial_number"},
    {"DEV.manufacturer_name", "poct1.manufacturer"},
    {"DEV.hw_version", "poct1.hardware_version"},
    {"DEV.sw_version", "poct1.software_version"},
    {"DEV.device_name", "poct1.device_name"},
};

// Which side sends a message (CLSI POCT1-A2 message flow as vendors' interface specifications describe it).
struct MessageSide {
  std::string_view topic;  // the three letters
  std::string_view role;   // "" when both sides send it
};
constexpr MessageSide kMessageSides[] = {
    {"HEL", "device"},
    {"DST", "device"},
    {"OBS", "device"},
    {"EOT", "device"},
    {"REQ", "observation-manager"},
    {"DTV", "observation-manager"},
    {"OPL", "observation-manager"},
    {"END", "observation-manager"},
    {"ACK", ""},
    {"ESC", ""},
};

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "AAA.Rnn": the form of every POCT1-A message name.
bool is_message_name(std::string_view n) {
  return n.size() == kMaxNameLength && is_upper(n[0]) && is_upper(n[1]) && is_upper(n[2]) && n[3] == '.' &&
         n[4] == 'R' && is_digit(n[5]) && is_digit(n[6]);
}
bool ends_name(char c) {
  return c == '>' || c == '/' || kWhitespace.find(c) != std::string_view::npos;
}

enum class Start : std::uint8_t { message, other, need_more };

// At a '<' between messages: a message's root start tag (its name in `name`), something else (an XML
// declaration, a comment, stray text), or not enough bytes to tell.
Start classify_start(std::string_view b, std::string_view& name) {
  if (b.size() < 2) return Start::need_more;
  if (b[1] == '?' || b[1] == '!') return Start::other;
  if (b.size() < 2 + kMaxNameLength) return Start::need_more;
  name = b.substr(1, kMaxNameLength);
  return is_message_name(name) && ends_name(b[1 + kMaxNameLength]) ? Start::message : Start::other;
}

std::string_view role_of(std::string_view name) {
  for (const auto& m : kMessageSides) {
    if (name.substr(0, 3) == m.topic) return m.role;
  }
  return {};
}

class Poct1aSession final : public StreamSession {
 public:
  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Side& s = sides_[static_cast<int>(dir)];
    const std::string_view text = as_text(data);
    emitted_ = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t used =
          s.in_message ? inside_message(s, text.substr(pos), sink) : between_messages(s, text.substr(pos), sink);
      if (used == 0) break;  // needs more bytes; text[pos..] is kept
      pos += used;
    }
    consumed = pos;
    return emitted_ ? ParseStatus::ok : ParseStatus::need_more;
  }

 private:
  struct Side {
    bool in_message = false;
    bool copy = false;  // the current message is a HEL.R01, read once it is whole
    bool resyncing = false;
    std::string_view role_reported;  // the last role reported for this side (a constant of kMessageSides)
    std::string close_tag;           // "</HEL.R01"
    std::size_t scanned = 0;         // how far into the buffered hello no tag ends it
    std::array<char, kMaxNameLength> seen_names[16]{};
    std::size_t seen_count = 0;
  };

  // Outside any message: whitespace, the XML declaration, comments, then a root start tag.
  std::size_t between_messages(Side& s, std::string_view b, ObservationSink& sink) {
    const std::size_t lt = b.find('<');
    if (lt != 0) {
      if (!trim(b.substr(0, lt)).empty()) resync(s, sink);
      return lt == std::string_view::npos ? b.size() : lt;
    }
    std::string_view name;
    switch (classify_start(b, name)) {
      case Start::need_more:
        return 0;
      case Start::other:
        if (b[1] == '?' || b[1] == '!') return skip_markup(b);
        resync(s, sink);
        return 1;
      case Start::message:
        break;
    }
    // The whole start tag is needed to tell an empty root element ("<END.R01/>") from an open one.
    const std::size_t gt = b.find('>');
    if (gt == std::string_view::npos && b.size() < kMaxStartTagBytes) return 0;
    s.resyncing = false;
    on_message(s, name, sink);
    if (gt != std::string_view::npos && b[gt - 1] == '/') return gt + 1;
    s.in_message = true;
    s.copy = name == "HEL.R01";
    s.scanned = 0;
    s.close_tag = "</" + std::string(name);
    // A hello is read whole, from its '<' (0 keeps it all buffered until it is); others are passed over.
    return s.copy ? inside_message(s, b, sink) : 1 + kMaxNameLength;
  }

  // A declaration (<?...?>) or comment (<!--...-->) or other markup (<!...>): its length, 0 to wait for its
  // end, or 1 (skip the '<') past kMaxDeclarationBytes.
  static std::size_t skip_markup(std::string_view b) {
    const std::string_view end = b.starts_with("<!--") ? "-->" : ">";
    const std::size_t at = b.find(end, 1);
    if (at != std::string_view::npos) return at + end.size();
    return b.size() > kMaxDeclarationBytes ? 1 : 0;
  }

  enum class Tag : std::uint8_t { close, root, need_more, other };

  // At a '<' inside a message: its closing tag ("</NAME" then optional whitespace and '>'), the start tag
  // of the next message (the current one was never closed), or neither; `end` is past a closing tag.
  [[nodiscard]] static Tag tag_at(const Side& s, std::string_view b, std::size_t& end) {
    if (b.size() < s.close_tag.size()) {
      return s.close_tag.starts_with(b) || b.size() < 2 + kMaxNameLength ? Tag::need_more : Tag::other;
    }
    if (b.starts_with(s.close_tag)) {
      std::size_t i = s.close_tag.size();
      while (i < b.size() && i < s.close_tag.size() + kMaxCloseTagBlanks &&
             kWhitespace.find(b[i]) != std::string_view::npos) {
        ++i;
      }
      if (i == b.size() && i < s.close_tag.size() + kMaxCloseTagBlanks) return Tag::need_more;
      if (i < b.size() && b[i] == '>') {
        end = i + 1;
        return Tag::close;
      }
      return Tag::other;
    }
    std::string_view name;
    switch (classify_start(b, name)) {
      case Start::message:
        return Tag::root;
      case Start::need_more:
        return Tag::need_more;
      case Start::other:
        return Tag::other;
    }
    return Tag::other;
  }

  // Inside a message: up to its closing tag, or up to the next message's start tag if it never closes. A
  // HEL.R01 is read when whole (and never past the next message's start); any other is never copied: its
  // bytes are passed over as they come.
  std::size_t inside_message(Side& s, std::string_view b, ObservationSink& sink) {
    // A hello's own '<' is at 0; what an earlier call already looked at in it is not looked at again.
    std::size_t pos = s.copy ? std::max<std::size_t>(1, s.scanned) : 0;
    while (true) {
      const std::size_t lt = b.find('<', pos);
      if (lt == std::string_view::npos) return wait_inside(s, b, b.size(), sink);
      if (s.copy && lt > kMaxHelloBytes) return wait_inside(s, b, lt, sink);
      std::size_t end = 0;
      switch (tag_at(s, b.substr(lt), end)) {
        case Tag::close:
          return end_message(s, b, lt, lt + end, sink);
        case Tag::root:
          sink.anomaly("poct1.unterminated_message");
          return end_message(s, b, lt, lt, sink);
        case Tag::need_more:
          return wait_inside(s, b, lt, sink);
        case Tag::other:
          pos = lt + 1;
          break;
      }
    }
  }

  // The message goes on past b[0, keep): a hello waits whole (up to its limit); any other message drops it.
  std::size_t wait_inside(Side& s, std::string_view b, std::size_t keep, ObservationSink& sink) {
    if (!s.copy) return keep;
    if (b.size() <= kMaxHelloBytes) {
      s.scanned = keep;
      return 0;
    }
    sink.anomaly("poct1.hello_too_long");
    s.copy = false;
    return keep;  // > 0: past the hello's own '<'
  }

  // The message's content is b[0, content_end); the bytes up to `next` are used.
  std::size_t end_message(Side& s, std::string_view b, std::size_t content_end, std::size_t next,
                          ObservationSink& sink) {
    if (s.copy) on_hello(b.substr(0, content_end), sink);
    s.in_message = false;
    s.copy = false;
    return next;
  }

  void on_message(Side& s, std::string_view name, ObservationSink& sink) {
    if (!first_time(s, name)) return;
    emit(sink, Party::sender, "poct1.message", std::string(name));
    const std::string_view role = role_of(name);
    if (!role.empty() && role != s.role_reported) {
      s.role_reported = role;
      emit(sink, Party::sender, "poct1.role", std::string(role));
    }
    if (name == "HEL.R01") emit(sink, Party::receiver, "poct1.role", "observation-manager");
  }

  // Each message name is reported once per direction (at most 16 distinct names are remembered).
  static bool first_time(Side& s, std::string_view name) {
    for (std::size_t i = 0; i < s.seen_count; ++i) {
      if (std::string_view(s.seen_names[i].data(), kMaxNameLength) == name) return false;
    }
    if (s.seen_count < std::size(s.seen_names)) {
      std::copy(name.begin(), name.end(), s.seen_names[s.seen_count++].begin());
    }
    return true;
  }

  void on_hello(std::string_view hello, ObservationSink& sink) {
    emit(sink, Party::sender, "poct1.version", value(hello, "HDR.version_id"));
    for (const auto& f : kDeviceFields) emit(sink, Party::sender, f.key, value(hello, f.element));
  }

  static std::string value(std::string_view xml, std::string_view element) {
    std::string v = printable(trim(xml_unescape(attribute_of(xml, element, "V"))));
    if (v.size() > kMaxValueLength) v.resize(kMaxValueLength);
    return v;
  }

  static void resync(Side& s, ObservationSink& sink) {
    if (!s.resyncing) sink.anomaly("poct1.resync");
    s.resyncing = true;
  }

  void emit(ObservationSink& sink, Party p, std::string_view key, const std::string& v) {
    if (!meaningful(v)) return;
    sink.observe(p, key, v);
    emitted_ = true;
  }

  bool emitted_ = false;
  Side sides_[2];
};

class Poct1aParser final : public StreamParser {
 public:
  [[nodiscard]] const ParserSpec& spec() const override { return spec_; }
  // After whitespace and an XML declaration or comments: a POCT1-A message's root start tag.
  [[nodiscard]] bool probe(StreamDir, Bytes first) const override {
    std::string_view b = as_text(first);
    for (int i = 0; i < 4; ++i) {
      b = trim(b);
      std::string_view name;
      switch (classify_start(b, name)) {
        case Start::message:
          return true;
        case Start::need_more:
          return false;
        case Start::other:
          break;
      }
      if (b[1] != '?' && b[1] != '!') return false;
      const std::size_t gt = b.find('>');
      if (gt == std::string_view::npos) return false;
      b.remove_prefix(gt + 1);
    }
    return false;
  }
  [[nodiscard]] std::unique_ptr<StreamSession> open(const StreamMeta&) const override {
    return std::make_unique<Poct1aSession>();
  }

 private:
  ParserSpec spec_{"poct1", Transport::tcp, {}, kFacts, kAnomalies};
};

}  // namespace

void register_parser_poct1a(ParserRegistry& registry) {
  registry.add(std::make_unique<Poct1aParser>());
}

}  // namespace ww
