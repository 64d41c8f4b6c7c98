// HL7 version 2 over TCP, on any port: MLLP-framed (HL7 v2.5.1 Appendix C, "Minimal Lower Layer Protocol":
// 0x0B <message> 0x1C 0x0D) or raw streams of messages starting with "MSH".
//
// PHI policy: the walker reads segment IDs only. It buffers and splits exactly the segments MSH, MSA, SFT,
// PRT, OBX and EQU, and from those copies only the fields named below (a UDI among them is taken apart
// by wardwatch/udi.hpp: device identity, never patient data). Every other segment (PID, PV1, NK1,
// OBR, NTE, ...) is passed over byte by byte looking for its terminator, never buffered or copied; in OBX
// only field 18 is copied (OBX-5, the observation value, is skipped over while counting separators).
#include <algorithm>
#include <array>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"
#include "wardwatch/udi.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {2575, 6661};
constexpr FactDecl kFacts[] = {
    {"hl7.sending_application", FactType::text, "sender", "MSH-3 (whole HD)", "EPIC"},
    {"hl7.sending_facility", FactType::text, "sender", "MSH-4", "GENHOSP"},
    {"hl7.receiving_application", FactType::text, "sender (whom it talks to)", "MSH-5", "CLOVERLEAF"},
    {"hl7.receiving_facility", FactType::text, "sender", "MSH-6", "LAB"},
    {"hl7.application", FactType::text, "sender: MSH-3; receiver: MSH-5", "", "`EPIC` / `CLOVERLEAF`"},
    {"hl7.facility", FactType::text, "sender: MSH-4; receiver: MSH-6", "", "`GENHOSP` / `LAB`"},
    {"hl7.message_type", FactType::code, "sender", "MSH-9 components 1-2", "`ADT^A01`, `ACK^A01`, `ACK`"},
    {"hl7.processing_id", FactType::code, "sender", "MSH-11 component 1", "P"},
    {"hl7.version", FactType::text, "sender", "MSH-12 component 1", "2.5.1"},
    {"hl7.profile", FactType::text, "sender", "MSH-21, each repetition (≤ 4)", "PROF1^HL7"},
    {"hl7.link", FactType::text, "sender, one per distinct link", "MSH-3/4/5/6/9 + the TCP server port", "EPIC@GENHOSP -> CLOVERLEAF@LAB ADT^A01 port 2575"},
    {"hl7.framing", FactType::code, "sender", "", "`mllp`, `raw`"},
    {"hl7.ack_code", FactType::code, "sender of the ACK", "MSA-1", "`AA`, `AE`, `AR`"},
    {"hl7.software_vendor", FactType::text, "sender", "SFT-1 component 1", "Epic Systems Corporation"},
    {"hl7.software_version", FactType::text, "sender", "SFT-2", "2023.1.4"},
    {"hl7.software_product", FactType::text, "sender", "SFT-3", "EpicCare Inpatient"},
    {"hl7.software_binary_id", FactType::text, "sender", "SFT-4", "E2023.1.4.7"},
    {"hl7.device_udi", FactType::id, "sender", "PRT-10, each repetition", "(01)00643169001763(17)160712(21)21A11F4855^^2.16.840.1.113883.3.3719^ISO"},
    {"hl7.device_identifier", FactType::id, "sender", "PRT-16, each repetition", "00643169001763^^2.16.840.1.113883.3.3719^ISO"},
    {"hl7.device_serial_number", FactType::id, "sender", "PRT-20", "SN-998877"},
    {"hl7.equipment_instance_id", FactType::id, "sender", "OBX-18 (each repetition), EQU-1", "MX450-SN7788^PHILIPS^0009FBFFFE123456^EUI-64"},
    {"hl7.device_type", FactType::text, "sender", "PRT-22 Participation Device Type, components 1-3 (code^text^coding system)", "69837^MDC_DEV_..._MDS^MDC"},
    {"hl7.udi_issuer", FactType::code, "sender", "a UDI in component 1 of PRT-10, PRT-16, OBX-18 or EQU-1: its issuing agency", "`gs1`, `hibcc`"},
    {"hl7.udi_di", FactType::id, "sender", "the UDI's device identifier: GS1 AI (01) GTIN-14, check digit verified; HIBCC LIC + product + unit of measure, check character verified", "00643169001763"},
    {"hl7.udi_labeler", FactType::id, "sender", "HIBCC Labeler Identification Code", "H123"},
    {"hl7.udi_serial", FactType::id, "sender", "GS1 AI (21) / HIBCC serial", "21A11F4855"},
    {"hl7.udi_lot", FactType::id, "sender", "GS1 AI (10) / HIBCC lot", "A213B1"},
    {"hl7.udi_expiry", FactType::text, "sender", "GS1 AI (17) / HIBCC date, YYYY-MM-DD or YYYY-MM", "2016-07-12"},
    {"hl7.udi_production_date", FactType::text, "sender", "GS1 AI (11) / HIBC 16D, YYYY-MM-DD or YYYY-MM", "2015-01-20"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"hl7.bad_encoding_characters", "MSH-2 (encoding characters) is shorter than 2 or holds a non-delimiter or the field separator (HL7 v2.5.1 §2.14.9), so MSH-2 is not delimiters; the message is ignored."},
    {"hl7.bad_segment_id", "A segment that is not read starts with an ID that is not three upper-case letters or digits; it is skipped up to its terminator and the message goes on."},
    {"hl7.message_too_large", "More than 1 MiB of one message is scanned without its end; the message is given up and the parser resynchronises on the next `0x0B` or line-start MSH."},
    {"hl7.resync", "After the first message, non-whitespace bytes are skipped between messages; reported once per run of skipped bytes, parsing resumes at the next `0x0B` or line-start MSH."},
    {"hl7.segment_too_long", "A segment that is read (MSH, MSA, SFT, PRT, OBX, EQU) runs over 8 KiB without its terminator; the segment is skipped unread and the message goes on."},
    {"hl7.too_many_segments", "A message has more than 1000 segments; the rest of the message is passed over unread until the next message starts."},
    {"hl7.udi_bad_check", "A device identifier in PRT-10, PRT-16, OBX-18 or EQU-1 has the form of a GS1 or HIBCC UDI but its GS1 check digit or HIBCC modulus-43 check character is wrong; none of its parts is reported (the raw field still is)."},
    {"hl7.unexpected_end_block", "An MLLP end-block byte `0x1C` appears in a raw (non-MLLP) stream; the current message is ended there and the parser looks for the next one."},
    {"hl7.unterminated_message", "An MLLP start-block byte `0x0B` appears inside a message, before its `0x1C` end block; the current message is ended and a new one starts at the `0x0B`."},
};

constexpr std::uint8_t kStartBlock = 0x0B, kEndBlock = 0x1C, kCr = 0x0D, kLf = 0x0A;  // MLLP (Appendix C.2)
constexpr std::size_t kMaxSegmentBytes = 8 * 1024;    // MSH/MSA/SFT/PRT/OBX/EQU buffered at most this long
constexpr std::size_t kMaxMessageBytes = 1 << 20;     // scanned (not buffered) before giving up on a message
constexpr std::size_t kMaxSegments = 1000;            // segments looked at per message
constexpr std::size_t kMaxRepetitions = 4;            // repetitions reported per repeating field

// HL7 v2 §2.5.4: delimiters are printable, non-alphanumeric characters.
bool is_delimiter(std::uint8_t c) {
  return c > 0x20 && c < 0x7f && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}
bool is_segment_end(std::uint8_t c) { return c == kCr || c == kLf || c == kEndBlock || c == kStartBlock; }
bool is_id_char(std::uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

struct Separators {
  char field = '|', component = '^', repetition = '~', escape = '\\', subcomponent = '&';
};

// Field `n` of a segment (HL7 §2.5.3). For MSH, MSH-1 is the field separator itself, so MSH-n is the
// (n-1)-th piece after the segment ID; for every other segment SEG-n is the n-th piece.
std::string_view field(std::string_view seg, std::size_t n, char fs, bool msh) {
  return nth_piece(seg, msh ? n - 1 : n, fs);
}

// The first `count` components of a field (component separator kept).
std::string_view components(std::string_view f, std::size_t count, char cs) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < count; ++i) {
    end = f.find(cs, i == 0 ? 0 : end + 1);
    if (end == std::string_view::npos) return f;
  }
  return f.substr(0, end);
}

// A field as a safe value: this message's separators are shown as the standard ones (^ ~ &), escape
// sequences for delimiters (HL7 §2.7.1) are decoded and other escapes dropped, trailing empty components
// removed, then printable().
std::string value_of(std::string_view f, const Separators& sep) {
  std::string out;
  out.reserve(std::min<std::size_t>(f.size(), kMaxValueLength));
  for (std::size_t i = 0; i < f.size() && out.size() < kMaxValueLength; ++i) {
    const char c = f[i];
    if (sep.escape != '\0' && c == sep.escape) {
      const std::size_t close = f.find(sep.escape, i + 1);
      if (close == std::string_view::npos) break;
      const std::string_view code = f.substr(i + 1, close - i - 1);
      if (code == "F") out += '|';
      else if (code == "S") out += '^';
      else if (code == "T") out += '&';
      else if (code == "R") out += '~';
      else if (code == "E") out += '\\';
      i = close;
    } else if (c == sep.component) {
      out += '^';
    } else if (c == sep.repetition) {
      out += '~';
    } else if (sep.subcomponent != '\0' && c == sep.subcomponent) {
      out += '&';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == '^' || out.back() == '&' || out.back() == ' ')) out.pop_back();
  return printable(out);
}

// Where the walker of one direction stands. Between messages it looks for the next message start (an MLLP
// start block, HL7 v2.5.1 Appendix C.2, or a line-start "MSH"); in a message it is either at the start of
// a segment (or of a terminator) or passing over a segment it does not read. Draining a message after its
// segment limit is not a state of its own: the walker still goes from segment starts (where an MSH, a
// block byte or a bad segment ID is still noticed) to skipped segments, so it is a flag of the Message.
enum class StreamState : std::uint8_t {
  idle,              // between messages
  resyncing,         // between messages, skipping bytes that are not whitespace (hl7.resync once per run)
  segment_start,     // in a message, at the start of a segment
  skipping_segment,  // in a message, inside a segment that is not read: passed over up to its terminator
};

// The message being walked; reset as a whole when the next one starts, and not looked at between messages.
struct Message {
  bool mllp = false;
  bool have_msh = false;  // an MSH has given this message's separators (sep)
  bool draining = false;  // segment limit hit: the rest of the message is passed over unread
  std::size_t segments = 0;
  std::size_t bytes = 0;  // scanned so far
  Separators sep;
};

struct Side {
  StreamState state = StreamState::idle;
  Message message;
  bool seen_message = false;  // a message has started in this direction: skipped bytes are then a resync
  int prev = -1;              // the last byte consumed in this direction (-1: none yet)

  [[nodiscard]] bool in_message() const {
    return state == StreamState::segment_start || state == StreamState::skipping_segment;
  }
};

class Hl7Session final : public StreamSession {
 public:
  explicit Hl7Session(const StreamMeta& meta) : meta_(meta) {}

  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Side& s = sides_[static_cast<int>(dir)];
    const std::string_view text = as_text(data);
    std::size_t pos = 0;
    bool parsed = false;
    while (pos < text.size()) {
      const std::string_view rest = text.substr(pos);
      if (!s.in_message()) {
        const int before = pos > 0 ? static_cast<std::uint8_t>(text[pos - 1]) : s.prev;
        const std::size_t at = find_message_start(rest, before);
        if (at == std::string_view::npos) {
          const std::size_t keep = msh_prefix_tail(rest);  // "MSH" may straddle the end
          if (has_garbage(rest.substr(0, rest.size() - keep))) note_resync(s, sink);
          pos += rest.size() - keep;
          break;
        }
        if (has_garbage(rest.substr(0, at))) note_resync(s, sink);
        const bool mllp = static_cast<std::uint8_t>(rest[at]) == kStartBlock;
        pos += at + (mllp ? 1 : 0);
        start_message(s, mllp);
        continue;
      }
      Message& m = s.message;
      if (m.bytes > kMaxMessageBytes) {
        sink.anomaly("hl7.message_too_large");
        s.state = StreamState::idle;
        continue;
      }
      if (s.state == StreamState::skipping_segment) {
        // Pass over an unread segment up to its terminator without looking at its content.
        std::size_t end = 0;
        while (end < rest.size() && !is_segment_end(static_cast<std::uint8_t>(rest[end]))) ++end;
        pos += end;
        m.bytes += end;
        if (end < rest.size()) s.state = StreamState::segment_start;
        continue;
      }
      const auto c = static_cast<std::uint8_t>(rest[0]);
      if (c == kCr || c == kLf) {
        ++pos;
        ++m.bytes;
        continue;
      }
      if (c == kEndBlock) {  // end of an MLLP block; the 0x0D after it is skipped as whitespace
        ++pos;
        s.state = StreamState::idle;
        if (!m.mllp) sink.anomaly("hl7.unexpected_end_block");
        continue;
      }
      if (c == kStartBlock) {
        sink.anomaly("hl7.unterminated_message");
        s.state = StreamState::idle;
        continue;
      }
      if (rest.size() < 4) break;
      const std::string_view id = rest.substr(0, 3);
      const bool msh = id == "MSH" && is_delimiter(static_cast<std::uint8_t>(rest[3]));
      if (msh && m.have_msh) start_message(s, m.mllp);  // a raw stream (or a batch) moves to its next message
      if (++m.segments > kMaxSegments && !m.draining) {
        sink.anomaly("hl7.too_many_segments");
        m.draining = true;
      }
      const bool wanted =
          !m.draining &&
          (msh || (m.have_msh && (id == "MSA" || id == "SFT" || id == "PRT" || id == "OBX" || id == "EQU")));
      if (!wanted) {
        if (!msh && !(is_id_char(static_cast<std::uint8_t>(id[0])) && is_id_char(static_cast<std::uint8_t>(id[1])) &&
                      is_id_char(static_cast<std::uint8_t>(id[2])))) {
          sink.anomaly("hl7.bad_segment_id");
        }
        s.state = StreamState::skipping_segment;
        continue;
      }
      std::size_t end = 3;
      while (end < rest.size() && end <= kMaxSegmentBytes && !is_segment_end(static_cast<std::uint8_t>(rest[end]))) ++end;
      if (end > kMaxSegmentBytes) {
        sink.anomaly("hl7.segment_too_long");
        s.state = StreamState::skipping_segment;
        continue;
      }
      if (end == rest.size()) break;  // wait for the terminator
      on_segment(m, rest.substr(0, end), msh, sink);
      parsed = true;
      pos += end;
      m.bytes += end;
    }
    consumed = pos;
    if (pos > 0) s.prev = static_cast<std::uint8_t>(text[pos - 1]);
    return parsed ? ParseStatus::ok : ParseStatus::need_more;
  }

 private:
  static void start_message(Side& s, bool mllp) {
    s.state = StreamState::segment_start;
    s.message = Message{};
    s.message.mllp = mllp;
    s.seen_message = true;
  }

  // Between messages: bytes other than whitespace are being skipped.
  static void note_resync(Side& s, ObservationSink& sink) {
    if (s.seen_message && s.state != StreamState::resyncing) sink.anomaly("hl7.resync");
    s.state = StreamState::resyncing;
  }

  // How many trailing bytes of `b` could begin "MSH" + delimiter.
  static std::size_t msh_prefix_tail(std::string_view b) {
    for (std::size_t k = std::min<std::size_t>(3, b.size()); k > 0; --k) {
      if (b.substr(b.size() - k) == std::string_view("MSH").substr(0, k)) return k;
    }
    return 0;
  }

  static bool has_garbage(std::string_view skipped) {
    return std::any_of(skipped.begin(), skipped.end(), [](char ch) {
      const auto c = static_cast<std::uint8_t>(ch);
      return c != kCr && c != kLf && c != ' ' && c != '\t' && c != kEndBlock;
    });
  }

  // The next message start: an MLLP start block, or "MSH"+delimiter at the start of a line (or of the
  // direction). `before` is the byte preceding b (-1 at the start of the direction).
  static std::size_t find_message_start(std::string_view b, int before) {
    for (std::size_t i = 0; i < b.size(); ++i) {
      const auto c = static_cast<std::uint8_t>(b[i]);
      if (c == kStartBlock) return i;
      if (c == 'M' && i + 4 <= b.size() && b.substr(i, 3) == "MSH" && is_delimiter(static_cast<std::uint8_t>(b[i + 3]))) {
        const int p = i == 0 ? before : static_cast<std::uint8_t>(b[i - 1]);
        const bool line_start = p < 0 || is_segment_end(static_cast<std::uint8_t>(p));
        if (line_start) return i;
      }
    }
    return std::string_view::npos;
  }

  void emit(ObservationSink& sink, Party p, std::string_view key, const std::string& v) {
    if (!v.empty()) sink.observe(p, key, v);
  }

  // Calls fn(repetition) for each repetition of a repeating field, at most kMaxRepetitions.
  template <typename Fn>
  static void for_each_repetition(std::string_view f, const Separators& sep, Fn&& fn) {
    std::size_t start = 0;
    for (std::size_t n = 0; n < kMaxRepetitions && start <= f.size(); ++n) {
      std::size_t end = f.find(sep.repetition, start);
      if (end == std::string_view::npos) end = f.size();
      fn(f.substr(start, end - start));
      start = end + 1;
    }
  }

  // Each repetition of a repeating field, as its own value.
  void emit_repeated(ObservationSink& sink, std::string_view key, std::string_view f, const Separators& sep) {
    for_each_repetition(f, sep, [&](std::string_view rep) { emit(sink, Party::sender, key, value_of(rep, sep)); });
  }

  // The UDI in component 1 (the entity identifier) of each repetition of an EI field, taken apart
  // (wardwatch/udi.hpp). Identifiers that are not UDIs (EUI-64s, site asset tags) give nothing here.
  void emit_udis(ObservationSink& sink, std::string_view f, const Separators& sep) {
    for_each_repetition(f, sep, [&](std::string_view rep) {
      const UdiParse parsed = parse_udi(value_of(components(rep, 1, sep.component), sep));
      if (parsed.bad_check) sink.anomaly("hl7.udi_bad_check");
      if (!parsed.udi) return;
      const Udi& u = *parsed.udi;
      emit(sink, Party::sender, "hl7.udi_issuer", u.issuer == Udi::Issuer::gs1 ? "gs1" : "hibcc");
      emit(sink, Party::sender, "hl7.udi_di", u.di);
      emit(sink, Party::sender, "hl7.udi_labeler", u.labeler);
      emit(sink, Party::sender, "hl7.udi_serial", u.serial);
      emit(sink, Party::sender, "hl7.udi_lot", u.lot);
      emit(sink, Party::sender, "hl7.udi_expiry", u.expiry);
      emit(sink, Party::sender, "hl7.udi_production_date", u.production);
    });
  }

  void on_segment(Message& m, std::string_view seg, bool msh, ObservationSink& sink) {
    if (msh) {
      on_msh(m, seg, sink);
      return;
    }
    const Separators& sep = m.sep;
    const char fs = sep.field;
    if (seg.size() > 3 && seg[3] != fs) return;  // "OBXY...": not the segment we think
    const std::string_view id = seg.substr(0, 3);
    if (id == "MSA") {  // MSA-1 Acknowledgment Code (HL7 v2.5.1 §2.15.8)
      emit(sink, Party::sender, "hl7.ack_code", value_of(components(field(seg, 1, fs, false), 1, sep.component), sep));
    } else if (id == "SFT") {  // Software Segment (§2.15.12)
      emit(sink, Party::sender, "hl7.software_vendor", value_of(components(field(seg, 1, fs, false), 1, sep.component), sep));
      emit(sink, Party::sender, "hl7.software_version", value_of(field(seg, 2, fs, false), sep));
      emit(sink, Party::sender, "hl7.software_product", value_of(field(seg, 3, fs, false), sep));
      emit(sink, Party::sender, "hl7.software_binary_id", value_of(field(seg, 4, fs, false), sep));
    } else if (id == "PRT") {  // Participation Information (v2.7+ §7.4.4): device fields only
      emit_repeated(sink, "hl7.device_udi", field(seg, 10, fs, false), sep);
      emit_repeated(sink, "hl7.device_identifier", field(seg, 16, fs, false), sep);
      emit(sink, Party::sender, "hl7.device_serial_number", value_of(field(seg, 20, fs, false), sep));
      emit(sink, Party::sender, "hl7.device_type", value_of(components(field(seg, 22, fs, false), 3, sep.component), sep));
      emit_udis(sink, field(seg, 10, fs, false), sep);
      emit_udis(sink, field(seg, 16, fs, false), sep);
    } else if (id == "OBX") {  // OBX-18 Equipment Instance Identifier (§7.4.2.18); nothing else of OBX
      emit_repeated(sink, "hl7.equipment_instance_id", field(seg, 18, fs, false), sep);
      emit_udis(sink, field(seg, 18, fs, false), sep);
    } else if (id == "EQU") {  // EQU-1 Equipment Instance Identifier (§13.4.1.1)
      emit_repeated(sink, "hl7.equipment_instance_id", field(seg, 1, fs, false), sep);
      emit_udis(sink, field(seg, 1, fs, false), sep);
    }
  }

  // MSH (HL7 v2.5.1 §2.14.9): MSH-1 field separator, MSH-2 encoding characters (component, repetition,
  // escape, subcomponent), then the header fields.
  void on_msh(Message& m, std::string_view seg, ObservationSink& sink) {
    Separators sep;
    sep.field = seg[3];
    const std::string_view enc = field(seg, 2, sep.field, true);
    if (enc.size() < 2 || !std::all_of(enc.begin(), enc.end(), [&](char c) {
          return is_delimiter(static_cast<std::uint8_t>(c)) && c != sep.field;
        })) {
      sink.anomaly("hl7.bad_encoding_characters");
      m.have_msh = false;
      return;
    }
    sep.component = enc[0];
    sep.repetition = enc[1];
    sep.escape = enc.size() > 2 ? enc[2] : '\0';
    sep.subcomponent = enc.size() > 3 ? enc[3] : '\0';
    m.sep = sep;
    m.have_msh = true;
    // An HL7 message on this connection makes its server endpoint a known HL7 interface: a TLS session to
    // the same IP and port later in the capture is HL7 over TLS (tls.hl7).
    sink.tag_server("hl7");
    const char fs = sep.field;
    const std::string sending_app = value_of(field(seg, 3, fs, true), sep);
    const std::string sending_fac = value_of(field(seg, 4, fs, true), sep);
    const std::string receiving_app = value_of(field(seg, 5, fs, true), sep);
    const std::string receiving_fac = value_of(field(seg, 6, fs, true), sep);
    const std::string type = value_of(components(field(seg, 9, fs, true), 2, sep.component), sep);
    emit(sink, Party::sender, "hl7.framing", m.mllp ? "mllp" : "raw");
    emit(sink, Party::sender, "hl7.sending_application", sending_app);
    emit(sink, Party::sender, "hl7.sending_facility", sending_fac);
    emit(sink, Party::sender, "hl7.receiving_application", receiving_app);
    emit(sink, Party::sender, "hl7.receiving_facility", receiving_fac);
    emit(sink, Party::sender, "hl7.application", sending_app);
    emit(sink, Party::sender, "hl7.facility", sending_fac);
    emit(sink, Party::receiver, "hl7.application", receiving_app);
    emit(sink, Party::receiver, "hl7.facility", receiving_fac);
    emit(sink, Party::sender, "hl7.message_type", type);
    emit(sink, Party::sender, "hl7.processing_id", value_of(components(field(seg, 11, fs, true), 1, sep.component), sep));
    emit(sink, Party::sender, "hl7.version", value_of(components(field(seg, 12, fs, true), 1, sep.component), sep));
    emit_repeated(sink, "hl7.profile", field(seg, 21, fs, true), sep);
    if (!sending_app.empty() || !receiving_app.empty()) {
      sink.observe(Party::sender, "hl7.link",
                   sending_app + "@" + sending_fac + " -> " + receiving_app + "@" + receiving_fac + " " +
                       (type.empty() ? std::string("?") : type) + " port " + std::to_string(meta_.server_port));
    }
  }

  StreamMeta meta_;
  Side sides_[2];
};

class Hl7Parser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // MLLP start block then "MSH" and delimiters, anywhere in the first bytes (a stream joined mid-way), or a
  // raw "MSH|^~\&" at the very start. A raw "MSH" further in is not enough: it may be the body of another
  // protocol (HL7 over HTTP), which that protocol's parser should get.
  bool probe(StreamDir, Bytes first) const override {
    const std::string_view b = as_text(first);
    auto header_at = [&](std::size_t i) {
      return i + 6 <= b.size() && b.substr(i, 3) == "MSH" && is_delimiter(static_cast<std::uint8_t>(b[i + 3])) &&
             is_delimiter(static_cast<std::uint8_t>(b[i + 4])) && is_delimiter(static_cast<std::uint8_t>(b[i + 5])) &&
             b[i + 4] != b[i + 3];
    };
    if (header_at(0)) return true;
    for (std::size_t i = 0; i + 7 <= b.size(); ++i) {
      const auto c = static_cast<std::uint8_t>(b[i]);
      if (c == kStartBlock && header_at(i + 1)) return true;
    }
    return false;
  }

  std::unique_ptr<StreamSession> open(const StreamMeta& meta) const override {
    return std::make_unique<Hl7Session>(meta);
  }

 private:
  ParserSpec spec_{"hl7", Transport::tcp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_hl7(ParserRegistry& registry) { registry.add(std::make_unique<Hl7Parser>()); }

}  // namespace ww
