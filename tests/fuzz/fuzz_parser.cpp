// libFuzzer target for one registered parser (WW_FUZZ_PARSER, set per target by CMake), or for the whole
// frame pipeline (WW_FUZZ_PARSER == "pipeline": decoder, tracker, stream follower, every parser, the
// inventory builder and the JSON export).
// Datagram parsers get the input as one payload; stream parsers get it split at the first byte's value
// into two chunks fed in turn to both directions, so reassembly-dependent paths are reached too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/inventory_builder.hpp"
#include "reports/report.hpp"
#include "wardwatch/parser.hpp"

namespace {

// Takes what a parser emits, and traps on an observation key or anomaly that the parser's file does not
// declare (wardwatch/vocabulary.hpp): the fuzzer then also searches for undeclared output.
class CheckingSink final : public ww::ObservationSink {
 public:
  explicit CheckingSink(const ww::Vocabulary& vocabulary) : vocabulary_(vocabulary) {}
  void observe(ww::Party, std::string_view key, std::string_view value) override { take(key, value); }
  void observe_mac(const ww::MacAddr&, std::string_view key, std::string_view value) override { take(key, value); }
  void bind_ip(const ww::MacAddr&, const ww::IpAddr&) override {}
  void anomaly(std::string_view name) override {
    if (!vocabulary_.declares_anomaly(name)) __builtin_trap();
  }

 private:
  void take(std::string_view key, std::string_view value) {
    if (vocabulary_.fact(key) == nullptr) __builtin_trap();
    taken_ += key.size() + value.size();
  }
  const ww::Vocabulary& vocabulary_;
  std::size_t taken_ = 0;
};

constexpr std::string_view kTarget = WW_FUZZ_PARSER;

void fuzz_pipeline(ww::Bytes data) {
  static const ww::ParserRegistry registry = ww::make_default_registry();
  ww::Limits limits;
  limits.max_flows = 64;
  limits.max_assets = 64;
  ww::Pipeline pipeline(limits, registry, nullptr);
  // Several frames from one input: 2-byte big-endian length prefixes.
  ww::ByteReader r(data);
  std::int64_t ts = 1;
  while (r.remaining() > 2) {
    const std::size_t n = r.u16be();
    ww::Bytes frame = r.bytes(std::min(n, r.remaining()));
    pipeline.process_frame(ww::linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), ts++);
  }
  // The end of a run without a database: the tracker's rows through the inventory builder into the JSON
  // writer, which must produce valid JSON whatever text the parsers took off the wire.
  ww::InventoryBuilder builder(limits);
  pipeline.tracker().release_flows();
  ww::drain_deltas(pipeline.tracker(), builder, /*release=*/true);
  const ww::Inventory inventory = builder.build();
  std::ostringstream json;
  ww::write_json(inventory, "fuzz", json);
  if (!nlohmann::json::accept(json.str())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  const ww::Bytes data(raw, size);
  if (kTarget == "pipeline") {
    fuzz_pipeline(data);
    return 0;
  }
  // Every parser that parsers/<target>.cpp registers (one file may register several, e.g. dns/mdns/llmnr).
  static const ww::ParserRegistry registry = ww::make_registry_for_file(kTarget);
  static const ww::Vocabulary vocabulary = registry.vocabulary();
  CheckingSink sink(vocabulary);
  for (const auto& p : registry.datagram()) {
    ww::PacketMeta meta;
    meta.has_ip = true;
    meta.src_port = meta.dst_port = p->spec().port_hints.empty() ? 0 : p->spec().port_hints[0];
    meta.ethertype = 0x88cc;
    // A sender address from input octets 7-10, for parsers that check an address inside the payload against
    // the packet's sender (carescape): otherwise no input could get past their probe.
    if (size >= 10) meta.src_ip = ww::IpAddr::v4_from_bytes(raw + 6);
    meta.dst_ip = ww::IpAddr::v4(0xFFFFFFFF);
    ww::Bytes payload = data;
    if (p->spec().transport == ww::Transport::tcp_handshake && size >= 6) {
      // Header fields of a SYN / SYN+ACK from the first bytes; the rest are the TCP options.
      meta.tcp_flags = raw[0];
      meta.ttl = raw[1];
      meta.tcp_window = static_cast<std::uint16_t>((raw[2] << 8) | raw[3]);
      meta.ip_version = (raw[4] & 1) ? 6 : 4;
      meta.ip_dont_fragment = (raw[4] & 2) != 0;
      meta.ip_id = raw[5];
      meta.ip_total_length = static_cast<std::uint16_t>(40 + size);
      payload = data.subspan(6);
    }
    if (p->probe(meta, payload)) p->parse(meta, payload, sink);
    p->parse(meta, payload, sink);  // parse must also survive input its probe rejects
  }
  for (const auto& p : registry.stream()) {
    if (size == 0) continue;
    ww::StreamMeta meta;
    meta.server_port = p->spec().port_hints.empty() ? 0 : p->spec().port_hints[0];
    auto session = p->open(meta);
    const std::size_t cut = std::min<std::size_t>(raw[0], size);
    for (ww::Bytes chunk : {data.first(cut), data.subspan(cut)}) {
      for (ww::StreamDir dir : {ww::StreamDir::to_server, ww::StreamDir::to_client}) {
        std::size_t consumed = 0;
        (void)p->probe(dir, chunk);
        if (session->on_data(dir, chunk, consumed, sink) == ww::ParseStatus::done) return 0;
      }
    }
  }
  return 0;
}
