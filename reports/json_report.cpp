#include <algorithm>
#include <chrono>
#include <future>
#include <system_error>

#include <sstream>
#include <tuple>

#include "model/counters.hpp"
#include "reports/json_writer.hpp"
#include "reports/report.hpp"
#include "wardwatch/dicom_pdu.hpp"
#include "wardwatch/thread_name.hpp"

namespace ww {

using ordered_json = nlohmann::ordered_json;

// RFC 3339 UTC with microseconds, e.g. "2026-11-22T08:00:02.271669Z". Civil calendar arithmetic from
// <chrono> (no gmtime_r: it takes the time-zone lock on every call, and an export formats ~300k stamps).
std::string format_timestamp(std::int64_t ts_us) {
  using namespace std::chrono;
  // A hostile capture can claim any time: clamp to what the format can say (1970 .. 9999-12-31).
  constexpr std::int64_t kLast = 253'402'300'799'999'999;
  const sys_time<microseconds> t{microseconds{std::clamp<std::int64_t>(ts_us, 0, kLast)}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const auto put = [](char* at, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
  };
  std::string out = "0000-00-00T00:00:00.000000Z";
  put(out.data(), static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  put(out.data() + 5, static_cast<unsigned>(ymd.month()), 2);
  put(out.data() + 8, static_cast<unsigned>(ymd.day()), 2);
  put(out.data() + 11, static_cast<unsigned>(hms.hours().count()), 2);
  put(out.data() + 14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(out.data() + 17, static_cast<unsigned>(hms.seconds().count()), 2);
  put(out.data() + 20, static_cast<unsigned>(hms.subseconds().count()), 6);
  return out;
}

namespace {

// Appends first_seen/last_seen to `j`.
void add_seen(ordered_json& j, std::int64_t first, std::int64_t last) {
  j["first_seen"] = format_timestamp(first);
  j["last_seen"] = format_timestamp(last);
}

void write_seen(JsonWriter& w, std::int64_t first, std::int64_t last) {
  w.key("first_seen");
  w.value(format_timestamp(first));
  w.key("last_seen");
  w.value(format_timestamp(last));
}

void write_optional(JsonWriter& w, const std::optional<std::string>& v) {
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

void write_services(JsonWriter& w, const std::vector<ServiceView>& services) {
  w.begin_array();
  for (const auto& s : services) {
    w.begin_object();
    w.key("proto");
    w.value(s.proto);
    w.key("port");
    w.value(s.port);
    write_seen(w, s.first_us, s.last_us);
    w.key("count");
    w.value(s.count);
    w.end_object();
  }
  w.end_array();
}

void write_evidence(JsonWriter& w, const std::vector<ClaimEvidence>& list) {
  w.begin_array();
  for (const auto& ce : list) {
    w.begin_object();
    w.key("attribute");
    w.value(ce.attribute);
    w.key("value");
    w.value(ce.value);
    w.key("score");
    w.value(ce.score);
    w.key("rules");
    w.begin_array();
    for (const auto& r : ce.rules) {
      w.begin_object();
      w.key("id");
      w.value(r.rule_id);
      w.key("weight");
      w.value(r.weight);
      w.key("specificity");
      w.value(r.specific ? "specific" : "generic");
      w.key("source");
      w.value(r.source);
      w.key("facts");
      w.strings(r.facts);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

void write_classification(JsonWriter& w, const AssetView& a) {
  const Classification& c = a.classification;
  w.begin_object();
  w.key("category");
  w.value(c.category);
  for (const char* attr : {"device_type", "vendor", "model", "firmware", "os", "modality", "role", "software"}) {
    w.key(attr);
    auto it = c.attributes.find(attr);
    if (it == c.attributes.end()) {
      w.null();
    } else {
      w.value(it->second);
    }
  }
  w.key("confidence");
  w.value(c.confidence);
  w.key("basis");
  w.value(c.basis);
  w.key("evidence");
  write_evidence(w, c.evidence);
  w.key("alternatives");
  write_evidence(w, c.alternatives);
  w.key("contradictions");
  w.begin_array();
  for (const auto& k : c.contradictions) {
    w.begin_object();
    w.key("attribute");
    w.value(k.attribute);
    w.key("values");
    w.strings(k.values);
    w.end_object();
  }
  w.end_array();
  w.key("raw_signatures");
  w.begin_object();
  for (const auto& [k, values] : raw_signatures_of(a)) {
    w.key(k);
    w.strings(values);
  }
  w.end_object();
  w.end_object();
}

void write_traffic(JsonWriter& w, std::uint64_t packets_sent, std::uint64_t packets_received,
                   std::uint64_t bytes_sent, std::uint64_t bytes_received) {
  for (const auto& [name, sent, received] : {std::tuple{"packets", packets_sent, packets_received},
                                             std::tuple{"bytes", bytes_sent, bytes_received}}) {
    w.key(name);
    w.begin_object();
    w.key("sent");
    w.value(sent);
    w.key("received");
    w.value(received);
    w.end_object();
  }
}

// docs/output.md, "conversations": a conversation carried over from a schema-4 database has only its peer.
void write_conversations(JsonWriter& w, const std::vector<ConversationView>& conversations) {
  w.begin_array();
  for (const ConversationView& c : conversations) {
    w.begin_object();
    w.key("peer");
    w.value(c.peer);
    w.key("transport");
    w.value(c.proto);
    w.key("port");
    w.value(c.port);
    w.key("role");
    w.value(c.role);
    w.key("application");
    if (c.app.empty()) {
      w.null();
    } else {
      w.value(c.app);
    }
    write_seen(w, c.first_us, c.last_us);
    write_traffic(w, c.packets_sent, c.packets_received, c.bytes_sent, c.bytes_received);
    w.end_object();
  }
  w.end_array();
}

void write_asset(JsonWriter& w, const AssetView& a) {
  w.begin_object();
  w.key("id");
  w.value(a.id);
  w.key("mac");
  write_optional(w, a.mac);
  w.key("ips");
  w.begin_array();
  for (const auto& ad : a.addresses) w.value(ad.ip);
  w.end_array();
  w.key("addresses");
  w.begin_array();
  for (const auto& ad : a.addresses) {
    w.begin_object();
    w.key("ip");
    w.value(ad.ip);
    write_seen(w, ad.first_us, ad.last_us);
    w.key("sources");
    w.strings(ad.sources);
    w.end_object();
  }
  w.end_array();
  w.key("vendor");
  write_optional(w, a.vendor);
  w.key("oui_registry");
  write_optional(w, a.oui_registry);
  w.key("locally_administered");
  w.value(a.locally_administered);
  w.key("router");
  w.value(a.router);
  w.key("beyond_router");
  w.value(a.beyond_router);
  write_seen(w, a.first_us, a.last_us);
  write_traffic(w, a.packets_sent, a.packets_received, a.bytes_sent, a.bytes_received);
  w.key("vlans");
  w.begin_array();
  for (std::uint16_t v : a.vlans) w.value(v);
  w.end_array();
  if (!a.seen_by.empty()) {  // an inventory of the central store: the agents whose rows make this device
    w.key("seen_by");
    w.begin_array();
    for (const SeenBy& s : a.seen_by) {
      w.begin_object();
      w.key("agent_id");
      w.value(s.agent_id);
      w.key("site");
      w.value(s.site);
      w.end_object();
    }
    w.end_array();
  }
  w.key("services");
  w.begin_object();
  w.key("offered");
  write_services(w, a.offered);
  w.key("used");
  write_services(w, a.used);
  w.end_object();
  w.key("peer_count");
  w.value(a.peer_count);
  w.key("conversations");
  write_conversations(w, a.conversations);
  w.key("observations");
  w.begin_array();
  for (const auto& o : a.observations) {
    w.begin_object();
    w.key("key");
    w.value(o.key);
    w.key("value");
    w.value(o.value);
    write_seen(w, o.first_us, o.last_us);
    w.key("count");
    w.value(o.count);
    w.end_object();
  }
  w.end_array();
  w.key("classification");
  write_classification(w, a);
  w.key("crown_jewel");
  if (a.crown_jewel) {
    w.begin_object();
    w.key("kind");
    w.value(a.crown_jewel->kind);
    w.key("reasons");
    w.strings(a.crown_jewel->reasons);
    w.key("rules");
    w.strings(a.crown_jewel->rules);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

std::uint64_t stat(const Inventory& inv, std::string_view name) {
  auto it = inv.stats.find(name);
  return it == inv.stats.end() ? 0 : it->second;
}

ordered_json stats_json(const Inventory& inv) {
  ordered_json s;
  for (const char* name : {"packets", "bytes", "malformed"}) s[name] = stat(inv, name);
  // The counters of model/counters.hpp: those with a plain JSON name here, the grouped ones below.
  for (const CounterInfo& c : kCounters) {
    if (!c.json.empty() && c.json.find('.') == std::string_view::npos) s[std::string(c.json)] = stat(inv, c.name);
  }
  auto group = [&inv](std::string_view name) {
    ordered_json g = ordered_json::object();
    for (const CounterInfo& c : kCounters) {
      if (c.json.size() > name.size() && c.json.starts_with(name) && c.json[name.size()] == '.') {
        g[std::string(c.json.substr(name.size() + 1))] = stat(inv, c.name);
      }
    }
    return g;
  };
  ordered_json by_reason = ordered_json::object();
  ordered_json anomalies = ordered_json::object();
  for (const auto& [name, v] : inv.stats) {
    if (name.rfind("malformed.", 0) == 0) by_reason[name.substr(10)] = v;
    if (name.rfind("anomaly.", 0) == 0) anomalies[name.substr(8)] = v;
  }
  s["malformed_by_reason"] = std::move(by_reason);
  s["evicted"] = group("evicted");
  s["limited"] = group("limited");
  s["anomalies"] = std::move(anomalies);
  s["admission"] = group("admission");
  ordered_json floods = ordered_json::array();
  for (const FloodEpisode& f : inv.floods) {
    ordered_json j{{"kind", f.kind}};
    add_seen(j, f.start_us, f.end_us);
    j["sources"] = f.sources;
    j["admitted"] = f.admitted;
    j["packets"] = f.packets;
    j["peak_per_second"] = f.peak_per_s;
    j["vlan"] = f.vlan >= 0 ? ordered_json(f.vlan) : ordered_json(nullptr);
    j["sample"] = f.sample;
    floods.push_back(std::move(j));
  }
  s["floods"] = std::move(floods);
  return s;
}

ordered_json header_json(const Inventory& inv, const std::string& generator_version) {
  ordered_json root;
  root["schema_version"] = kJsonSchemaVersion;
  root["generator"] = {{"name", "wardwatch"},
                       {"version", generator_version},
                       {"rules", {{"version", inv.rules.version.empty() ? ordered_json(nullptr) : ordered_json(inv.rules.version)},
                                  {"count", inv.rules.count}}},
                       {"dcmtk", dicom_toolkit_version()}};
  ordered_json sources = ordered_json::array();
  for (const auto& s : inv.sources) {
    ordered_json j{{"name", s.name}, {"path", s.path}, {"format", s.format}, {"linktype", s.linktype},
                   {"packets", s.packets}, {"bytes", s.bytes}};
    add_seen(j, s.first_us, s.last_us);
    j["truncated"] = s.truncated;
    if (!s.agent_id.empty()) {  // read by an agent of the central store
      j["agent_id"] = s.agent_id;
      j["site"] = s.site;
    }
    sources.push_back(std::move(j));
  }
  root["sources"] = std::move(sources);
  ordered_json time_range = nullptr;
  if (inv.last_us != 0) add_seen(time_range, inv.first_us, inv.last_us);  // null becomes an object
  root["time_range"] = std::move(time_range);
  root["stats"] = stats_json(inv);
  return root;
}

std::string dump(const ordered_json& j) {
  // Invalid UTF-8 from the wire must not abort the export: replace it (U+FFFD).
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

ordered_json to_json(const Inventory& inv, const std::string& generator_version) {
  std::ostringstream text;
  write_json(inv, generator_version, text);
  return ordered_json::parse(text.str());
}

// Assets [begin, end) as they appear in the "assets" array, each after its separator, into `text`.
void write_assets(const std::vector<AssetView>& assets, std::size_t begin, std::size_t end, std::string& text) {
  text.clear();
  for (std::size_t i = begin; i < end; ++i) {
    text += i ? ",\n    " : "\n    ";
    JsonWriter writer(text, 2);  // root object > "assets" array > this asset
    write_asset(writer, assets[i]);
  }
}

// From this many assets on, they are written in chunks of kAssetChunk, two formatted at a time, one on a
// second thread. Below it, one thread: measured on the benchmark capture (3,564 devices, 75 MB of JSON, the
// classification being saved on the other core meanwhile), two threads made the JSON phase slower (0.29 ->
// 0.42 s) and the peak 12-17 MiB higher (a few devices with thousands of conversations make large chunks);
// at 100,000 devices they halve it (docs/performance.md).
constexpr std::size_t kParallelAssets = 10'000;
constexpr std::size_t kAssetChunk = 64;

// The header (small) is built as a DOM and dumped; the assets are streamed after it by JsonWriter, a chunk at
// a time: the text is that of one dump(2) of the whole document, which is never held in memory. Assets are
// independent, so in a large inventory of each pair of chunks the second is formatted on another thread
// while this one formats the first (formatting is most of the cost: ~3 KB a device); chunks are written in
// order.
void write_json(const Inventory& inv, const std::string& generator_version, std::ostream& out) {
  std::string head = dump(header_json(inv, generator_version));
  head.pop_back();  // the closing brace: "assets" is the last member
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  out << head << ",\n  \"assets\": [";
  if (inv.assets.empty()) {
    out << "]\n}\n";
    return;
  }
  const std::size_t n = inv.assets.size();
  // Below kParallelAssets a step is one chunk and nothing is handed to the second thread.
  const std::size_t step = n < kParallelAssets ? kAssetChunk : 2 * kAssetChunk;
  std::string first, second;
  for (std::size_t begin = 0; begin < n; begin += step) {
    const std::size_t middle = std::min(n, begin + kAssetChunk);
    const std::size_t end = std::min(n, begin + step);
    std::future<void> other;
    if (middle < end) {
      const auto format_second = [&, middle, end] { write_assets(inv.assets, middle, end, second); };
      try {
        other = std::async(std::launch::async, [format_second] {
          name_this_thread("ww-json");
          format_second();
        });
      } catch (const std::system_error&) {  // no thread to be had: this one formats it
        other = std::async(std::launch::deferred, format_second);
      }
    }
    write_assets(inv.assets, begin, middle, first);
    out.write(first.data(), static_cast<std::streamsize>(first.size()));
    if (other.valid()) {
      other.get();
      out.write(second.data(), static_cast<std::streamsize>(second.size()));
    }
  }
  out << "\n  ]\n}\n";
}

}  // namespace ww
