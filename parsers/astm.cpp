// Laboratory instruments and the LIS: ASTM E1381 (CLSI LIS1-A, the low-level frames) carrying ASTM E1394
// (CLSI LIS2-A2, the records), over TCP on any port — the standard names none, so the stream is recognised
// by its content: E1381 frames (<STX> FN text <ETB|ETX> C1 C2 <CR><LF>, FN '0'..'7', C1 C2 the byte sum
// mod 256 of FN..ETB/ETX in upper-case hex) or records sent without framing (many analyzers on TCP), and
// in both a Header record "H" followed by its four delimiters (E1394 §7.1.2, usually "|\^&").
//
// PHI policy: the walker reads the record type ID (the first character of every record) and nothing else
// of any record but the Header. Patient (P), order (O), result (R), comment (C), request (Q), scientific
// (S) and manufacturer (M) records are passed over byte by byte to their terminator, never buffered or
// copied. Of the Header it copies fields 5 (Sender Name or ID), 10 (Receiver ID), 12 (Processing ID) and
// 13 (Version No.) only; field 4, the access password, is never read.
//
// Field numbers are E1394's: H-1 is the record type "H", H-2 the delimiter definition, H-5 the sender.
// Sources: ASTM E1394-97 §7.1 as listed in kxepal/python-astm astm/records.py (HeaderRecord 7.1.1–7.1.14);
// E1381 frame and checksum as in python-astm astm/codec.py.
#include <algorithm>
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr FactDecl kFacts[] = {
    {"astm.sender", FactType::text, "sender", "H-5 Sender Name or ID, whole (components shown with `^`)", "XN-550^00-24^22723^^^^BD634545"},
    {"astm.sender_name", FactType::text, "sender", "H-5: the component the sender's layout names the instrument by, else the first", "XN-550"},
    {"astm.manufacturer", FactType::text, "sender", "H-5 manufacturer component, in the layouts that carry one", "Roche"},
    {"astm.instrument_type", FactType::text, "sender", "H-5 instrument type component (Roche layout)", "c111"},
    {"astm.software_version", FactType::text, "sender", "H-5 version component of the sender's layout", "00-24"},
    {"astm.serial_number", FactType::id, "sender", "H-5 serial number component of the sender's layout", "22723"},
    {"astm.layout", FactType::code, "sender", "which H-5 layout was applied (the table in parsers/astm.cpp)", "sysmex-xn"},
    {"astm.receiver_id", FactType::text, "sender (whom it addresses)", "H-10 Receiver ID", "host"},
    {"astm.name", FactType::text, "sender: its sender name; receiver: H-10", "", "`XN-550` / `host`"},
    {"astm.processing_id", FactType::code, "sender", "H-12 component 1", "P"},
    {"astm.version", FactType::text, "sender", "H-13 Version No.", "E1394-97"},
    {"astm.framing", FactType::code, "sender", "", "`e1381`, `raw`"},
    {"astm.record_type", FactType::code, "sender", "record type IDs it sent (E1394 §6.1: H P O R C Q M S L)", "R"},
    {"astm.received_record_type", FactType::code, "receiver", "record type IDs it was sent", "R"},
    {"astm.link", FactType::text, "sender, one per distinct link", "sender name, H-10 and the TCP server port", "XN-550 -> host port 5000"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"astm.bad_checksum", "An E1381 frame's checksum (C1 C2) is not the byte sum mod 256 of its frame number through ETB/ETX; a Header record in the frame is dropped (the receiver would answer NAK and the sender repeat it)."},
    {"astm.bad_frame_number", "An STX is not followed by a frame number '0'..'7' (E1381 §6.3.1.1); the frame is skipped."},
    {"astm.frame_too_long", "An E1381 frame runs over 64 KiB without its ETB/ETX (the standard allows 247 characters); the frame is given up and the parser looks for the next STX."},
    {"astm.header_too_long", "A Header record runs over 4 KiB without its terminator; it is passed over unread."},
    {"astm.resync", "Bytes that are neither an E1381 frame, a control character nor a record start are skipped between frames or records; reported once per run of skipped bytes."},
    {"astm.unterminated_frame", "An STX arrives inside a frame, before its ETB/ETX; the frame is dropped and a new one starts."},
};

// E1381 §5 / LIS1-A: the transmission control characters.
constexpr std::uint8_t kStx = 0x02, kEtx = 0x03, kEot = 0x04, kEnq = 0x05, kAck = 0x06, kNak = 0x15,
                       kEtb = 0x17, kCr = 0x0D, kLf = 0x0A;
constexpr std::size_t kMaxFrameBytes = 64 * 1024;  // a frame's text looked at before giving up (E1381: 240)
constexpr std::size_t kMaxHeaderBytes = 4 * 1024;  // the one record that is buffered

// E1394 §6.1 record type IDs.
constexpr std::string_view kRecordTypes = "HPORCQMSL";
bool is_record_type(std::uint8_t c) { return kRecordTypes.find(static_cast<char>(c)) != std::string_view::npos; }
// E1394 §7.1.2: delimiters are printable, not letters or digits.
bool is_delimiter(std::uint8_t c) {
  return c > 0x20 && c < 0x7f && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}
bool is_line_control(std::uint8_t c) {
  return c == kEnq || c == kAck || c == kNak || c == kEot || c == kCr || c == kLf || c == ' ' || c == 0;
}
int hex_digit(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "H" and the delimiter definition: field, repeat, component and escape delimiters, four distinct
// delimiters (E1394 §7.1.2), then the field delimiter again or the record's end.
bool header_start(std::string_view b) {
  if (b.size() < 6 || b[0] != 'H') return false;
  const std::string_view d = b.substr(1, 4);
  for (std::size_t i = 0; i < 4; ++i) {
    if (!is_delimiter(static_cast<std::uint8_t>(d[i]))) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (d[i] == d[j]) return false;
    }
  }
  return b[5] == d[0] || b[5] == static_cast<char>(kCr);
}

// ---------------------------------------------------------------------------------------- sender layouts
// What the components of H-5 mean differs by maker; E1394 leaves it to the manufacturer. Each layout is
// recognised by one component's value and names the role of each component. Sources: the instrument
// interface definitions in senaite/senaite.astm (src/senaite/astm/instruments/*.py, each HeaderRecord's
// `sender` ComponentField) and their test messages (src/senaite/astm/tests/data/*.txt).
enum class Part : std::uint8_t { skip, name, manufacturer, type, version, serial };

struct SenderLayout {
  std::string_view id;
  std::size_t key_component;  // 0-based component whose value identifies the layout
  std::string_view key;       // that component starts with this (ASCII case-insensitive)
  std::array<Part, 7> parts;  // the role of each component, in order
};

constexpr SenderLayout kLayouts[] = {
    // roche_cobas_c111.py / c111.py: name^manufacturer^instrument_type^version^protocol_version^serial
    // ("c111SENAITE^Roche^c111^4.2.2.1730^1^13147").
    {"roche", 1, "Roche", {Part::name, Part::manufacturer, Part::type, Part::version, Part::skip, Part::serial, Part::skip}},
    // sysmex_xn.py: name^version^analyser serial^^^^ps_code ("XN-550^00-24^22723^^^^BD634545").
    {"sysmex-xn", 0, "XN-", {Part::name, Part::version, Part::serial, Part::skip, Part::skip, Part::skip, Part::skip}},
    // sysmex_xp.py: name^version^^^^device_number^ps_code ("XP-100^00-13^^^^A7869^BS649542").
    {"sysmex-xp", 0, "XP-", {Part::name, Part::version, Part::skip, Part::skip, Part::skip, Part::skip, Part::skip}},
    // abbott_architect.py: name^version^serial^interface ("ARCHITECT^1.00^123456789^H1P1O1R1C1Q1L1").
    {"abbott-architect", 0, "ARCHITECT", {Part::name, Part::version, Part::serial, Part::skip, Part::skip, Part::skip, Part::skip}},
    // abbott_afinion2.py: name^(unused)^serial ("Afinion 2 Analyzer^^AF20052397").
    {"abbott-afinion", 0, "Afinion", {Part::name, Part::skip, Part::serial, Part::skip, Part::skip, Part::skip, Part::skip}},
    // dca_vantage.py: name^version^serial ("DCA VANTAGE^04.04.00.00^S067337").
    {"dca-vantage", 0, "DCA VANTAGE", {Part::name, Part::version, Part::serial, Part::skip, Part::skip, Part::skip, Part::skip}},
    // genexpert.py: id^name^software_version ("GeneXpert PC^Xpert^6.1", "...^GeneXpert^4.8"): the first
    // component is a site-given id.
    {"genexpert", 1, "Xpert", {Part::skip, Part::name, Part::version, Part::skip, Part::skip, Part::skip, Part::skip}},
    {"genexpert", 1, "GeneXpert", {Part::skip, Part::name, Part::version, Part::skip, Part::skip, Part::skip, Part::skip}},
    // horiba_yumizen_h5xx.py: name^serial^version ("H500^910YOXH02826^2.2.2.2b").
    {"horiba-yumizen", 0, "H5", {Part::name, Part::serial, Part::version, Part::skip, Part::skip, Part::skip, Part::skip}},
    // biomerieux_mini_vidas.py: name^manufacturer^version ("miniVidas^biomerieux^1.0.0").
    {"name-manufacturer-version", 1, "biomerieux", {Part::name, Part::manufacturer, Part::version, Part::skip, Part::skip, Part::skip, Part::skip}},
    // spotchem_el.py: name^manufacturer^version ("SE-1520^Spotchem^1.0.0").
    {"name-manufacturer-version", 1, "Spotchem", {Part::name, Part::manufacturer, Part::version, Part::skip, Part::skip, Part::skip, Part::skip}},
    // roche_cobas_c311.py ("c311^1"), hitachi_7600.py ("H7600^1"): name^version.
    {"name-version", 0, "c311", {Part::name, Part::version, Part::skip, Part::skip, Part::skip, Part::skip, Part::skip}},
    {"name-version", 0, "H7600", {Part::name, Part::version, Part::skip, Part::skip, Part::skip, Part::skip, Part::skip}},
};

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// ------------------------------------------------------------------------------------------ the walker
struct Delimiters {
  char field = '|', repeat = '\\', component = '^', escape = '&';
};

// Field `n` (E1394 numbering, n >= 3) of a Header record.
std::string_view header_field(std::string_view rec, std::size_t n, char fs) { return nth_piece(rec, n - 1, fs); }

// A field or component as a safe value: E1394 §7.1.2 escape sequences for the delimiters (&F& &S& &R& &E&)
// decoded, others dropped; this message's delimiters shown as the usual ^ and \; printable().
std::string value_of(std::string_view f, const Delimiters& d) {
  std::string out;
  for (std::size_t i = 0; i < f.size() && out.size() < kMaxValueLength; ++i) {
    const char c = f[i];
    if (c == d.escape) {
      const std::size_t close = f.find(d.escape, i + 1);
      if (close == std::string_view::npos) break;
      const std::string_view code = f.substr(i + 1, close - i - 1);
      if (code == "F") out += '|';
      else if (code == "S") out += '^';
      else if (code == "R") out += '\\';
      else if (code == "E") out += '&';
      i = close;
    } else if (c == d.component) {
      out += '^';
    } else if (c == d.repeat) {
      out += '\\';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == '^' || out.back() == ' ')) out.pop_back();
  return printable(trim(out));
}

// The components of a field (at most N).
template <std::size_t N>
std::size_t split_components(std::string_view f, char cs, std::array<std::string_view, N>& out) {
  std::size_t n = 0, start = 0;
  while (n < N) {
    const std::size_t end = f.find(cs, start);
    out[n++] = f.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return n;
}

enum class FrameState : std::uint8_t {
  between,   // outside frames and records: control characters, STX, or a raw record
  number,    // after STX: the frame number
  text,      // inside a frame's text
  check1,    // the first checksum character
  check2,    // the second
};

struct Side {
  FrameState frame = FrameState::between;
  std::uint8_t sum = 0;       // E1381 checksum so far (FN through ETB/ETX)
  std::uint8_t expected = 0;  // the checksum computed at ETB/ETX
  int first_digit = 0;
  std::size_t frame_bytes = 0;
  bool in_record = false;        // a record started and has not met its terminator
  bool raw_record = false;       // that record is outside any frame
  bool buffering_header = false;
  bool header_ready = false;     // a complete Header waits for its frame's checksum
  bool resyncing = false;
  bool seen_something = false;
  bool framing_reported[2] = {false, false};
  std::uint32_t sent_types = 0;  // record types already reported (bit per letter)
  std::string header;
};

class AstmSession final : public StreamSession {
 public:
  explicit AstmSession(const StreamMeta& meta) : server_port_(meta.server_port) {}

  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Side& s = sides_[static_cast<int>(dir)];
    const std::string_view text = as_text(data);
    emitted_ = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
      // Between frames (a record may go on in the next frame after an ETB) or outside any record.
      if (s.frame == FrameState::between && (!s.in_record || !s.raw_record)) {
        const std::size_t used = between_records(s, text.substr(pos), sink);
        if (used == 0) break;  // a possible raw record start needs more bytes
        pos += used;
        continue;
      }
      if (s.frame == FrameState::between) {  // inside a raw (unframed) record
        pos += record_bytes(s, text.substr(pos), false, sink);
        continue;
      }
      pos += frame_bytes(s, text.substr(pos), sink);
    }
    consumed = pos;
    return emitted_ ? ParseStatus::ok : ParseStatus::need_more;
  }

 private:
  // Outside frames and records. Returns the bytes used (0: wait for more).
  std::size_t between_records(Side& s, std::string_view b, ObservationSink& sink) {
    const auto c = static_cast<std::uint8_t>(b[0]);
    if (c == kStx) {
      s.frame = FrameState::number;
      s.resyncing = false;
      return 1;
    }
    if (is_line_control(c)) {
      s.resyncing = false;
      return 1;
    }
    if (is_record_type(c)) {
      if (b.size() < (c == 'H' ? 6u : 2u)) return 0;
      if (c == 'H' ? header_start(b) : is_delimiter(static_cast<std::uint8_t>(b[1]))) {
        s.resyncing = false;
        report_framing(s, false, sink);
        start_record(s, c, true, sink);
        return 1;
      }
    }
    if (s.seen_something && !s.resyncing) sink.anomaly("astm.resync");
    s.resyncing = true;
    return 1;
  }

  // Inside a frame: its number, its text (records or parts of them), its end and checksum.
  std::size_t frame_bytes(Side& s, std::string_view b, ObservationSink& sink) {
    const auto c = static_cast<std::uint8_t>(b[0]);
    switch (s.frame) {
      case FrameState::number:
        if (c < '0' || c > '7') {
          sink.anomaly("astm.bad_frame_number");
          s.frame = FrameState::between;
          return c == kStx ? 0 : 1;  // an STX is looked at again as a frame start
        }
        s.sum = c;
        s.frame_bytes = 0;
        s.frame = FrameState::text;
        report_framing(s, true, sink);
        return 1;
      case FrameState::text: {
        if (c == kEtb || c == kEtx) {
          s.sum = static_cast<std::uint8_t>(s.sum + c);
          s.expected = s.sum;
          // ETX ends the message part: a record not terminated by CR ends with its frame.
          if (c == kEtx && s.in_record) end_record(s);
          s.frame = FrameState::check1;
          return 1;
        }
        if (c == kStx) {
          sink.anomaly("astm.unterminated_frame");
          drop_frame(s);
          s.frame = FrameState::number;
          return 1;
        }
        std::size_t used = 0;
        if (!s.in_record) {
          if (c == kCr || c == kLf) {
            used = 1;
          } else {
            start_record(s, c, false, sink);
            used = record_bytes(s, b.substr(1), true, sink) + 1;
          }
        } else {
          used = record_bytes(s, b, true, sink);
        }
        for (std::size_t i = 0; i < used; ++i) s.sum = static_cast<std::uint8_t>(s.sum + static_cast<std::uint8_t>(b[i]));
        s.frame_bytes += used;
        if (s.frame_bytes > kMaxFrameBytes) {
          sink.anomaly("astm.frame_too_long");
          drop_frame(s);
          s.frame = FrameState::between;
        }
        return used;
      }
      case FrameState::check1:
        s.first_digit = hex_digit(c);
        s.frame = FrameState::check2;
        if (s.first_digit < 0) check_done(s, false, sink);
        return 1;
      case FrameState::check2: {
        const int low = hex_digit(c);
        check_done(s, low >= 0 && ((s.first_digit << 4) | low) == s.expected, sink);
        return 1;
      }
      case FrameState::between:
        break;
    }
    return 1;
  }

  void check_done(Side& s, bool ok, ObservationSink& sink) {
    s.frame = FrameState::between;  // the CR LF after the checksum are line controls
    if (!ok) {
      sink.anomaly("astm.bad_checksum");
      s.header_ready = false;
      if (s.buffering_header) drop_frame(s);
      return;
    }
    if (s.header_ready) {
      s.header_ready = false;
      on_header(s, sink);
    }
  }

  // A broken frame: a Header in it is not trusted; a record it held ends with it.
  static void drop_frame(Side& s) {
    s.header_ready = false;
    s.buffering_header = false;
    s.in_record = false;
    s.header.clear();
  }

  void start_record(Side& s, std::uint8_t type, bool raw, ObservationSink& sink) {
    s.in_record = true;
    s.raw_record = raw;
    s.seen_something = true;
    s.buffering_header = type == 'H';
    s.header.clear();
    if (s.buffering_header) s.header.push_back('H');
    if (is_record_type(type)) {
      const std::uint32_t bit = 1u << (type - 'A');
      if (!(s.sent_types & bit)) {
        s.sent_types |= bit;
        const char letter[1] = {static_cast<char>(type)};
        sink.observe(Party::sender, "astm.record_type", std::string_view(letter, 1));
        sink.observe(Party::receiver, "astm.received_record_type", std::string_view(letter, 1));
        emitted_ = true;
      }
    }
  }

  // Bytes of the current record up to its terminator (CR, or LF; in a frame also ETB/ETX/STX, which the
  // frame handles). Only a Header is copied. Returns the bytes used.
  std::size_t record_bytes(Side& s, std::string_view b, bool framed, ObservationSink& sink) {
    std::size_t i = 0;
    while (i < b.size()) {
      const auto c = static_cast<std::uint8_t>(b[i]);
      if (c == kCr || c == kLf) {
        ++i;
        end_record(s);
        if (!framed && s.header_ready) {
          s.header_ready = false;
          on_header(s, sink);
        }
        return i;
      }
      if (framed && (c == kEtb || c == kEtx || c == kStx)) return i;
      if (!framed && c == kStx) {  // a frame starts: the raw record ended without its terminator
        end_record(s);
        s.header_ready = false;
        return i;
      }
      if (s.buffering_header) {
        if (s.header.size() >= kMaxHeaderBytes) {
          sink.anomaly("astm.header_too_long");
          s.buffering_header = false;
          s.header.clear();
        } else {
          s.header.push_back(static_cast<char>(c));
        }
      }
      ++i;
    }
    return i;
  }

  static void end_record(Side& s) {
    s.in_record = false;
    if (s.buffering_header) {
      s.buffering_header = false;
      s.header_ready = true;
    }
  }

  void report_framing(Side& s, bool framed, ObservationSink& sink) {
    if (s.framing_reported[framed]) return;
    s.framing_reported[framed] = true;
    sink.observe(Party::sender, "astm.framing", framed ? "e1381" : "raw");
    emitted_ = true;
  }

  void emit(ObservationSink& sink, Party p, std::string_view key, const std::string& v) {
    if (v.empty()) return;
    sink.observe(p, key, v);
    emitted_ = true;
  }

  // The Header record (E1394 §7.1): H-5, H-10, H-12, H-13 only.
  void on_header(Side& s, ObservationSink& sink) {
    const std::string_view rec = s.header;
    if (!header_start(rec)) return;  // "H" and its delimiters, then at least the field delimiter
    const Delimiters d{rec[1], rec[2], rec[3], rec[4]};
    const std::string_view sender = header_field(rec, 5, d.field);
    const std::string receiver = value_of(header_field(rec, 10, d.field), d);
    std::array<std::string_view, 7> parts{};
    const std::size_t count = split_components(sender, d.component, parts);
    const SenderLayout* layout = nullptr;
    for (const auto& l : kLayouts) {
      if (l.key_component < count && istarts_with(trim(parts[l.key_component]), l.key)) {
        layout = &l;
        break;
      }
    }
    std::string name;
    if (layout == nullptr) {
      name = value_of(parts[0], d);
    } else {
      sink.observe(Party::sender, "astm.layout", layout->id);
      for (std::size_t i = 0; i < count && i < layout->parts.size(); ++i) {
        const std::string v = value_of(parts[i], d);
        switch (layout->parts[i]) {
          case Part::name: name = v; break;
          case Part::manufacturer: emit(sink, Party::sender, "astm.manufacturer", v); break;
          case Part::type: emit(sink, Party::sender, "astm.instrument_type", v); break;
          case Part::version: emit(sink, Party::sender, "astm.software_version", v); break;
          case Part::serial: emit(sink, Party::sender, "astm.serial_number", v); break;
          case Part::skip: break;
        }
      }
    }
    emit(sink, Party::sender, "astm.sender", value_of(sender, d));
    emit(sink, Party::sender, "astm.sender_name", name);
    emit(sink, Party::sender, "astm.name", name);
    emit(sink, Party::sender, "astm.receiver_id", receiver);
    emit(sink, Party::receiver, "astm.name", receiver);
    std::array<std::string_view, 1> processing{};
    split_components(header_field(rec, 12, d.field), d.component, processing);
    emit(sink, Party::sender, "astm.processing_id", value_of(processing[0], d));
    emit(sink, Party::sender, "astm.version", value_of(header_field(rec, 13, d.field), d));
    if (!name.empty() || !receiver.empty()) {
      emit(sink, Party::sender, "astm.link",
           (name.empty() ? std::string("?") : name) + " -> " + (receiver.empty() ? std::string("?") : receiver) +
               " port " + std::to_string(server_port_));
    }
  }

  std::uint16_t server_port_;
  bool emitted_ = false;
  Side sides_[2];
};

class AstmParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // After any line controls (ENQ, ACK, EOT, CR, LF): an E1381 frame "<STX> FN" holding a record start
  // (a Header with its delimiters, or another record type and a delimiter, for a stream joined mid-way),
  // or a raw Header at the start of a record.
  bool probe(StreamDir, Bytes first) const override {
    std::string_view b = as_text(first);
    std::size_t i = 0;
    while (i < b.size() && is_line_control(static_cast<std::uint8_t>(b[i]))) ++i;
    b = b.substr(i);
    if (b.size() >= 2 && static_cast<std::uint8_t>(b[0]) == kStx && b[1] >= '0' && b[1] <= '7') {
      const std::string_view rec = b.substr(2);
      if (header_start(rec)) return true;
      return rec.size() >= 2 && rec[0] != 'H' && is_record_type(static_cast<std::uint8_t>(rec[0])) &&
             rec[1] == '|';
    }
    return header_start(b);
  }

  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    return std::make_unique<AstmSession>(meta);
  }

 private:
  ParserSpec spec_{"astm", Transport::tcp, {}, kFacts, kAnomalies};
};

}  // namespace

void register_parser_astm(ParserRegistry& r) { r.add(std::make_unique<AstmParser>()); }

}  // namespace ww
