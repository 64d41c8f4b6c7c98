#include <algorithm>
#include <chrono>

#include "reports/report.hpp"
#include "wardwatch/dicom_pdu.hpp"

namespace ww {

using ordered_json = nlohmann::ordered_json;

void enrich_vendors(Inventory& inv, const OuiRegistry& oui) {
  for (auto& a : inv.assets) {
    if (!a.mac) continue;
    const auto mac = MacAddr::parse(*a.mac);
    if (!mac || mac->is_locally_administered()) continue;
    if (auto m = oui.lookup(*mac)) {
      a.vendor = m->organization;
      a.oui_registry = m->registry;
    }
  }
}

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

ordered_json seen(std::int64_t first, std::int64_t last) {
  return {{"first_seen", format_timestamp(first)}, {"last_seen", format_timestamp(last)}};
}
// Appends first_seen/last_seen to `j` (what j.update(seen(...)) does, without a temporary object).
void add_seen(ordered_json& j, std::int64_t first, std::int64_t last) {
  j["first_seen"] = format_timestamp(first);
  j["last_seen"] = format_timestamp(last);
}

ordered_json services_json(const std::vector<ServiceView>& services) {
  ordered_json out = ordered_json::array();
  for (const auto& s : services) {
    ordered_json j{{"proto", s.proto}, {"port", s.port}};
    add_seen(j, s.first_us, s.last_us);
    j["count"] = s.count;
    out.push_back(std::move(j));
  }
  return out;
}

ordered_json optional_text(const std::optional<std::string>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

ordered_json evidence_json(const std::vector<ClaimEvidence>& list) {
  ordered_json out = ordered_json::array();
  for (const auto& ce : list) {
    ordered_json rules = ordered_json::array();
    for (const auto& r : ce.rules) {
      rules.push_back({{"id", r.rule_id}, {"weight", r.weight}, {"specificity", r.specific ? "specific" : "generic"},
                       {"source", r.source}, {"facts", r.facts}});
    }
    out.push_back({{"attribute", ce.attribute}, {"value", ce.value}, {"score", ce.score}, {"rules", std::move(rules)}});
  }
  return out;
}

ordered_json classification_json(const Classification& c) {
  ordered_json j;
  j["category"] = c.category;
  for (const char* attr : {"device_type", "vendor", "model", "firmware", "os", "modality", "role", "software"}) {
    auto it = c.attributes.find(attr);
    j[attr] = it == c.attributes.end() ? ordered_json(nullptr) : ordered_json(it->second);
  }
  j["confidence"] = c.confidence;
  j["evidence"] = evidence_json(c.evidence);
  j["alternatives"] = evidence_json(c.alternatives);
  ordered_json contradictions = ordered_json::array();
  for (const auto& k : c.contradictions) contradictions.push_back({{"attribute", k.attribute}, {"values", k.values}});
  j["contradictions"] = std::move(contradictions);
  ordered_json raw = ordered_json::object();
  for (const auto& [k, v] : c.raw_signatures) raw[k] = v;
  j["raw_signatures"] = std::move(raw);
  return j;
}

ordered_json asset_json(const AssetView& a) {
  ordered_json j;
  j["id"] = a.id;
  j["mac"] = optional_text(a.mac);
  ordered_json ips = ordered_json::array();
  ordered_json addresses = ordered_json::array();
  for (const auto& ad : a.addresses) {
    ips.push_back(ad.ip);
    ordered_json x{{"ip", ad.ip}};
    add_seen(x, ad.first_us, ad.last_us);
    x["sources"] = ad.sources;
    addresses.push_back(std::move(x));
  }
  j["ips"] = std::move(ips);
  j["addresses"] = std::move(addresses);
  j["vendor"] = optional_text(a.vendor);
  j["oui_registry"] = optional_text(a.oui_registry);
  j["locally_administered"] = a.locally_administered;
  j["router"] = a.router;
  j["beyond_router"] = a.beyond_router;
  add_seen(j, a.first_us, a.last_us);
  j["packets"] = {{"sent", a.packets_sent}, {"received", a.packets_received}};
  j["bytes"] = {{"sent", a.bytes_sent}, {"received", a.bytes_received}};
  j["vlans"] = a.vlans;
  j["services"] = {{"offered", services_json(a.offered)}, {"used", services_json(a.used)}};
  j["peer_count"] = a.peer_count;
  ordered_json obs = ordered_json::array();
  for (const auto& o : a.observations) {
    ordered_json x{{"key", o.key}, {"value", o.value}};
    add_seen(x, o.first_us, o.last_us);
    x["count"] = o.count;
    obs.push_back(std::move(x));
  }
  j["observations"] = std::move(obs);
  j["classification"] = classification_json(a.classification);
  j["crown_jewel"] = a.crown_jewel ? ordered_json{{"kind", a.crown_jewel->kind}, {"reasons", a.crown_jewel->reasons},
                                                  {"rules", a.crown_jewel->rules}}
                                   : ordered_json(nullptr);
  return j;
}

std::uint64_t stat(const Inventory& inv, const std::string& name) {
  auto it = inv.stats.find(name);
  return it == inv.stats.end() ? 0 : it->second;
}

ordered_json stats_json(const Inventory& inv) {
  ordered_json s;
  for (const char* name : {"packets", "bytes", "malformed", "non_first_fragments", "dropped", "if_dropped"}) {
    s[name] = stat(inv, name);
  }
  ordered_json by_reason = ordered_json::object();
  ordered_json anomalies = ordered_json::object();
  for (const auto& [name, v] : inv.stats) {
    if (name.rfind("malformed.", 0) == 0) by_reason[name.substr(10)] = v;
    if (name.rfind("anomaly.", 0) == 0) anomalies[name.substr(8)] = v;
  }
  s["malformed_by_reason"] = std::move(by_reason);
  s["evicted"] = {{"flows", stat(inv, "flows_evicted")},
                  {"assets", stat(inv, "assets_evicted")},
                  {"streams", stat(inv, "streams_evicted")}};
  s["limited"] = {{"observations", stat(inv, "observations_dropped")},
                  {"peers", stat(inv, "peers_dropped")},
                  {"services", stat(inv, "services_dropped")},
                  {"vlans", stat(inv, "vlans_dropped")},
                  {"stream_bytes", stat(inv, "stream_bytes_skipped")}};
  s["anomalies"] = std::move(anomalies);
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
    sources.push_back(std::move(j));
  }
  root["sources"] = std::move(sources);
  root["time_range"] = inv.last_us == 0 ? ordered_json(nullptr) : seen(inv.first_us, inv.last_us);
  root["stats"] = stats_json(inv);
  return root;
}

std::string dump(const ordered_json& j) {
  // Invalid UTF-8 from the wire must not abort the export: replace it (U+FFFD).
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

ordered_json to_json(const Inventory& inv, const std::string& generator_version) {
  ordered_json root = header_json(inv, generator_version);
  ordered_json assets = ordered_json::array();
  for (const auto& a : inv.assets) assets.push_back(asset_json(a));
  root["assets"] = std::move(assets);
  return root;
}

// Writes the same text as `to_json(inv).dump(2)`, one asset at a time: the document of a large inventory is
// never held in memory whole (nlohmann's DOM costs several times the size of the text).
void write_json(const Inventory& inv, const std::string& generator_version, std::ostream& out) {
  std::string head = dump(header_json(inv, generator_version));
  head.pop_back();  // the closing brace: "assets" is the last member
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  out << head << ",\n  \"assets\": [";
  if (inv.assets.empty()) {
    out << "]\n}\n";
    return;
  }
  std::string text;
  for (std::size_t i = 0; i < inv.assets.size(); ++i) {
    text = dump(asset_json(inv.assets[i]));
    out << (i ? ",\n    " : "\n    ");
    // Re-indent the asset to its depth in the document (JSON strings hold no raw newlines).
    std::size_t from = 0;
    for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1) {
      out.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
      out << "    ";
    }
    out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
  }
  out << "\n  ]\n}\n";
}

}  // namespace ww
