// Modbus/TCP (Modbus Messaging on TCP/IP Implementation Guide V1.0b: MBAP header; Modbus Application
// Protocol Specification V1.1b3). Requests tell which function codes and unit identifiers a PLC, gateway or
// building/medical-gas controller serves; a Read Device Identification response (function 43, MEI type 14,
// spec §6.21) names its vendor, product code, revision and model. Facts are about the server.
#include <algorithm>
#include <array>
#include <bitset>
#include <string>

#include "wardwatch/parser.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

constexpr std::uint16_t kPorts[] = {502};
constexpr FactDecl kFacts[] = {
    {"modbus.function", FactType::number, "server (receiver of requests)", "each distinct request function code, decimal", "`3`, `43`"},
    {"modbus.unit_id", FactType::number, "server", "each distinct unit identifier addressed", "`1`, `255`"},
    {"modbus.vendor", FactType::text, "server (sender of the response)", "Read Device Identification (FC 43 / MEI 14) object 0x00", "Schneider Electric"},
    {"modbus.product_code", FactType::id, "server", "object 0x01", "BMX P34 2020"},
    {"modbus.revision", FactType::text, "server", "object 0x02", "v2.80"},
    {"modbus.product_name", FactType::text, "server", "object 0x04", "Modicon M340"},
    {"modbus.model_name", FactType::text, "server", "object 0x05", "BMXP342020"},
};
constexpr AnomalyDecl kAnomalies[] = {
    {"modbus.bad_device_identification", "A Read Device Identification response (function 43, MEI type 14, spec §6.21) is cut short, has More Follows other than 0x00/0xFF, or an object overrunning the PDU; objects read before it are kept."},
    {"modbus.bad_mbap", "An MBAP header (§3.1.3) has a protocol id other than 0 or a length outside 2..254; the direction ends."},
};
constexpr int kMaxAdus = 64;  // ADUs examined per direction: polling repeats the same few requests

// Public function codes (spec §5.1); user-defined and reserved codes are not accepted by the probe.
bool public_function(std::uint8_t fc) {
  switch (fc) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 11: case 12: case 15: case 16:
    case 17: case 20: case 21: case 22: case 23: case 24: case 43:
      return true;
    default: return false;
  }
}

class ModbusSession final : public StreamSession {
 public:
  ParseStatus on_data(StreamDir dir, Bytes data, std::size_t& consumed, ObservationSink& sink) override {
    Dir& d = dirs_[static_cast<int>(dir)];
    consumed = 0;
    // MBAP (§3.1.3): transaction id, protocol id (0), length (unit id + PDU), unit id; PDU <= 253 bytes.
    while (!d.done && consumed + 7 <= data.size()) {
      ByteReader r(data.subspan(consumed));
      r.skip(2);
      const std::uint16_t protocol = r.u16be();
      const std::uint16_t len = r.u16be();
      if (protocol != 0 || len < 2 || len > 254) {
        sink.anomaly("modbus.bad_mbap");
        d.done = true;
        break;
      }
      if (r.remaining() < len) break;
      const std::uint8_t unit = r.u8();
      const Bytes pdu = r.bytes(len - 1u);
      consumed += 6u + len;
      adu(dir, unit, pdu, sink);
      if (++d.adus >= kMaxAdus) d.done = true;
    }
    if (d.done) consumed = std::max(consumed, data.size());
    if (dirs_[0].done && dirs_[1].done) return ParseStatus::done;
    return ParseStatus::need_more;
  }

 private:
  struct Dir {
    int adus = 0;
    bool done = false;
  };

  void adu(StreamDir dir, std::uint8_t unit, Bytes pdu, ObservationSink& sink) {
    const std::uint8_t fc = pdu[0];
    if (dir == StreamDir::to_server) {
      // What the client asks for is what the server (the receiver) implements.
      if (!functions_[fc]) {
        functions_[fc] = true;
        sink.observe(Party::receiver, "modbus.function", std::to_string(fc));
      }
      if (!units_[unit]) {
        units_[unit] = true;
        sink.observe(Party::receiver, "modbus.unit_id", std::to_string(unit));
      }
      return;
    }
    if (fc == 43 && pdu.size() >= 2 && pdu[1] == 14) device_identification(pdu.subspan(2), sink);
  }

  // §6.21 response: ReadDevId code, conformity level, more follows (0x00/0xFF), next object id, number of
  // objects, then (object id, length, value) triples.
  static void device_identification(Bytes b, ObservationSink& sink) {
    ByteReader r(b);
    r.skip(2);  // ReadDevId code, conformity level
    const std::uint8_t more = r.u8();
    r.skip(1);
    const std::uint8_t count = r.u8();
    if (!r.ok() || (more != 0x00 && more != 0xff)) {
      sink.anomaly("modbus.bad_device_identification");
      return;
    }
    static constexpr std::array<std::string_view, 6> keys{"modbus.vendor", "modbus.product_code", "modbus.revision",
                                                          "",              "modbus.product_name", "modbus.model_name"};
    for (std::uint8_t i = 0; i < count; ++i) {
      const std::uint8_t id = r.u8();
      const std::string_view value = r.text(r.u8());
      if (!r.ok()) {
        sink.anomaly("modbus.bad_device_identification");
        return;
      }
      if (id < keys.size() && !keys[id].empty() && !value.empty()) sink.observe(Party::sender, keys[id], printable(value));
    }
  }

  std::array<Dir, 2> dirs_{};
  std::bitset<256> functions_, units_;
};

class ModbusParser final : public StreamParser {
 public:
  const ParserSpec& spec() const override { return spec_; }

  // An MBAP header with protocol id 0 and a plausible length, followed by a public function code (or its
  // exception form, code | 0x80).
  bool probe(StreamDir, Bytes b) const override {
    if (b.size() < 8) return false;
    const std::uint16_t len = static_cast<std::uint16_t>((b[4] << 8) | b[5]);
    if (b[2] != 0 || b[3] != 0 || len < 2 || len > 254 || !public_function(b[7] & 0x7f)) return false;
    // If a second ADU is already buffered, it must be one too (pipelined requests, or a TCP segment
    // carrying several responses).
    const std::size_t next = 6u + len;
    return b.size() < next + 4 || (b[next + 2] == 0 && b[next + 3] == 0);
  }

  std::unique_ptr<StreamSession> open(const StreamMeta&) const override { return std::make_unique<ModbusSession>(); }

 private:
  ParserSpec spec_{"modbus", Transport::tcp, kPorts, kFacts, kAnomalies};
};

}  // namespace

void register_parser_modbus(ParserRegistry& registry) { registry.add(std::make_unique<ModbusParser>()); }

}  // namespace ww
