// The comparison of the devices seen with the CMDB's entries (reports/cmdb.hpp has the rules).
#include <algorithm>
#include <cctype>
#include <map>

#include "reports/cmdb.hpp"
#include "reports/maker_aliases.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

using namespace std::string_view_literals;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// Facts in which a device states its own name (docs/observations.md): DHCP option 12 and 81, DHCPv6
// option 39, mDNS, LLMNR and NetBIOS answers for itself, LLDP/CDP/SNMP system names, the syslog HOSTNAME,
// DICOM Station Name.
constexpr std::array kHostnameKeys{
    "dhcp.hostname"sv, "dhcp.client_fqdn"sv, "dhcpv6.fqdn"sv,       "mdns.hostname"sv, "llmnr.name"sv,
    "nbns.name"sv,     "browser.hostname"sv, "lldp.system_name"sv,  "cdp.device_id"sv, "cdp.system_name"sv,
    "snmp.sys_name"sv, "syslog.hostname"sv,  "dicom.station_name"sv};

std::string serial_key(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0)
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string first_label(std::string_view name) {
  return std::string(name.substr(0, name.find('.')));
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// What a device can be matched by, normalised as the CMDB's keys are.
struct DeviceKeys {
  std::string mac;
  std::vector<std::pair<std::string, std::string>> serials;  // (key, as written)
  std::vector<std::string> hostnames;
  std::vector<std::string> ips;
};

DeviceKeys keys_of(const AssetView& a) {
  DeviceKeys k;
  if (a.mac) k.mac = normalize_mac(*a.mac).value_or("");
  for (const auto& addr : a.addresses) {
    if (auto ip = normalize_ip(addr.ip)) add_unique(k.ips, *ip);
  }
  for (const auto& o : a.observations) {
    if (std::find(kHostnameKeys.begin(), kHostnameKeys.end(), o.key) != kHostnameKeys.end()) {
      if (std::string h = normalize_hostname(o.value); !h.empty() && !normalize_ip(h)) add_unique(k.hostnames, h);
    } else if (std::find(serial_number_keys().begin(), serial_number_keys().end(), o.key) != serial_number_keys().end() &&
               !is_placeholder_serial(o.value)) {
      add_unique(k.serials, std::pair{serial_key(o.value), o.value});
    }
  }
  return k;
}

// A device a key of an entry found, and the key on each side.
struct Hit {
  std::size_t device;
  std::string cmdb_value, wire_value;
};

class DeviceIndex {
 public:
  explicit DeviceIndex(const Inventory& inv) {
    keys_.reserve(inv.assets.size());
    for (std::size_t i = 0; i < inv.assets.size(); ++i) {
      keys_.push_back(keys_of(inv.assets[i]));
      const DeviceKeys& k = keys_.back();
      if (!k.mac.empty()) by_mac_.emplace(k.mac, i);
      for (const auto& [key, written] : k.serials) add_unique(by_serial_[key], i);
      for (const auto& h : k.hostnames) add_unique(by_label_[first_label(h)], i);
      for (const auto& ip : k.ips) add_unique(by_ip_[ip], i);
    }
  }

  const DeviceKeys& keys(std::size_t device) const { return keys_[device]; }

  std::vector<Hit> find(const CmdbEntry& e, MatchKind kind) const {
    std::vector<Hit> hits;
    switch (kind) {
      case MatchKind::mac:
        by_macs(e, hits);
        break;
      case MatchKind::serial:
        by_serial(e, hits);
        break;
      case MatchKind::hostname:
        by_hostname(e, hits);
        break;
      case MatchKind::ip:
        by_ips(e, hits);
        break;
    }
    return hits;
  }

 private:
  static void add_hit(std::vector<Hit>& hits, std::size_t device, const std::string& cmdb, const std::string& wire) {
    const bool known = std::any_of(hits.begin(), hits.end(), [&](const Hit& h) { return h.device == device; });
    if (!known) hits.push_back({device, cmdb, wire});
  }

  void by_macs(const CmdbEntry& e, std::vector<Hit>& hits) const {
    for (const auto& m : e.macs) {
      if (const auto it = by_mac_.find(m.address); it != by_mac_.end()) add_hit(hits, it->second, m.address, m.address);
    }
  }

  void by_serial(const CmdbEntry& e, std::vector<Hit>& hits) const {
    if (e.serial.empty()) return;
    const auto it = by_serial_.find(serial_key(e.serial));
    if (it == by_serial_.end()) return;
    for (std::size_t d : it->second) {
      const auto& serials = keys_[d].serials;
      const auto same =
          std::find_if(serials.begin(), serials.end(), [&](const auto& s) { return s.first == it->first; });
      add_hit(hits, d, e.serial, same->second);
    }
  }

  void by_hostname(const CmdbEntry& e, std::vector<Hit>& hits) const {
    if (e.hostname.empty()) return;
    const auto it = by_label_.find(first_label(e.hostname));
    if (it == by_label_.end()) return;
    for (std::size_t d : it->second) {
      for (const auto& h : keys_[d].hostnames) {
        if (hostnames_match(e.hostname, h)) {
          add_hit(hits, d, e.name, h);
          break;
        }
      }
    }
  }

  void by_ips(const CmdbEntry& e, std::vector<Hit>& hits) const {
    for (const auto& ip : e.ips) {
      if (const auto it = by_ip_.find(ip); it != by_ip_.end()) {
        for (std::size_t d : it->second) add_hit(hits, d, ip, ip);
      }
    }
  }

  std::vector<DeviceKeys> keys_;
  std::map<std::string, std::size_t, std::less<>> by_mac_;
  std::map<std::string, std::vector<std::size_t>, std::less<>> by_serial_, by_label_, by_ip_;
};

// What became of one CMDB entry.
struct Resolution {
  MatchKind by = MatchKind::mac;
  std::vector<Hit> matched;                                                 // empty: no match
  std::optional<std::pair<MatchKind, std::vector<std::size_t>>> ambiguity;  // when unmatched
};

std::vector<std::size_t> devices_of(const std::vector<Hit>& hits) {
  std::vector<std::size_t> out;
  for (const auto& h : hits) out.push_back(h.device);
  return out;
}

// Kind by kind, strongest first; a key matching several devices narrows the choice for the weaker keys.
Resolution resolve(const CmdbEntry& e, const DeviceIndex& index) {
  Resolution r;
  std::optional<std::vector<std::size_t>> allowed;
  for (MatchKind kind : kMatchKinds) {
    std::vector<Hit> hits = index.find(e, kind);
    if (allowed) {
      std::erase_if(
          hits, [&](const Hit& h) { return std::find(allowed->begin(), allowed->end(), h.device) == allowed->end(); });
    }
    if (hits.empty()) continue;
    if (kind == MatchKind::mac || hits.size() == 1) {
      r.by = kind;
      r.matched = std::move(hits);
      r.ambiguity.reset();
      return r;
    }
    allowed = devices_of(hits);
    r.ambiguity.emplace(kind, *allowed);
  }
  return r;
}

void add_mismatch(std::vector<CmdbMismatch>& out, const char* attribute, const std::optional<std::string>& wire,
                  const CmdbEntry& e, const std::string& cmdb, bool (*same)(std::string_view, std::string_view)) {
  if (!wire || wire->empty() || cmdb.empty() || same(*wire, cmdb)) return;
  out.push_back({attribute, *wire, cmdb, &e});
}

// Models compared as written and without a maker's name in front, on either side, with either side's maker.
bool same_model_of(const AssetSummary& s, const CmdbEntry& e) {
  std::vector<std::string> wire{*s.model}, cmdb{e.model};
  for (const std::string* maker : {&e.manufacturer, s.vendor ? &*s.vendor : nullptr}) {
    if (maker == nullptr || maker->empty()) continue;
    wire.push_back(model_without_maker(*s.model, *maker));
    cmdb.push_back(model_without_maker(e.model, *maker));
  }
  for (const auto& w : wire) {
    for (const auto& c : cmdb) {
      if (same_model(w, c)) return true;
    }
  }
  return false;
}

void add_mismatches(std::vector<CmdbMismatch>& out, const AssetSummary& s, const DeviceKeys& keys, const CmdbEntry& e) {
  add_mismatch(out, "vendor", s.vendor, e, e.manufacturer, same_maker);
  if (s.model && !s.model->empty() && !e.model.empty() && !same_model_of(s, e)) {
    out.push_back({"model", *s.model, e.model, &e});
  }
  // A device may state several serials (a chassis and a board): it disagrees only when none is the CMDB's.
  const bool any_serial_same = std::any_of(keys.serials.begin(), keys.serials.end(),
                                           [&](const auto& k) { return same_serial(k.second, e.serial); });
  if (!any_serial_same && s.serial_number && !is_placeholder_serial(*s.serial_number)) {
    add_mismatch(out, "serial", s.serial_number, e, e.serial, same_serial);
  }
  add_mismatch(out, "firmware", s.firmware, e, e.firmware, same_firmware);
}

bool before(const CmdbMatch& a, const CmdbMatch& b, const CmdbEntry* base) {
  if (a.by != b.by) return a.by < b.by;
  return a.entry - base < b.entry - base;
}

}  // namespace

std::string_view management_name(Management m) {
  switch (m) {
    case Management::managed:
      return "managed";
    case Management::unmanaged:
      return "unmanaged";
    case Management::mismatched:
      return "mismatched";
  }
  return "unmanaged";
}

std::string_view match_kind_name(MatchKind k) {
  switch (k) {
    case MatchKind::mac:
      return "mac";
    case MatchKind::serial:
      return "serial";
    case MatchKind::hostname:
      return "hostname";
    case MatchKind::ip:
      return "ip";
  }
  return "mac";
}

std::string_view stale_reason_name(StaleReason r) {
  return r == StaleReason::not_seen ? "not-seen" : "not-seen-recently";
}

CmdbComparison compare_with_cmdb(const Inventory& inv, const Cmdb& cmdb, const CmdbOptions& options) {
  CmdbComparison out;
  out.stale_cutoff_us = options.now_us - std::max(options.stale_days, 0) * kMicrosPerDay;
  std::int64_t observed_since = inv.first_us;
  for (const auto& a : inv.assets) {
    if (observed_since == 0 || (a.first_us != 0 && a.first_us < observed_since)) observed_since = a.first_us;
  }
  out.covers_stale_window = observed_since != 0 && observed_since <= out.stale_cutoff_us;

  const DeviceIndex index(inv);
  out.assets.resize(inv.assets.size());
  for (std::size_t d = 0; d < inv.assets.size(); ++d) out.assets[d].asset = &inv.assets[d];

  std::vector<std::vector<CmdbMatch>> matches(inv.assets.size());
  const CmdbEntry* base = cmdb.entries.data();
  for (const CmdbEntry& e : cmdb.entries) {
    const Resolution r = resolve(e, index);
    if (r.ambiguity) {
      AmbiguousEntry a{&e, r.ambiguity->first, {}};
      for (std::size_t d : r.ambiguity->second) {
        a.devices.push_back(&inv.assets[d]);
        out.assets[d].ambiguous.push_back(&e);
      }
      out.ambiguous.push_back(std::move(a));
      continue;
    }
    if (r.matched.empty()) {
      out.stale.push_back({&e, StaleReason::not_seen, nullptr, 0});
      continue;
    }
    const AssetView* latest = nullptr;
    for (const Hit& h : r.matched) {
      matches[h.device].push_back({&e, r.by, h.cmdb_value, h.wire_value});
      if (latest == nullptr || inv.assets[h.device].last_us > latest->last_us) latest = &inv.assets[h.device];
    }
    if (latest->last_us < out.stale_cutoff_us) {
      out.stale.push_back({&e, StaleReason::not_seen_recently, latest, latest->last_us});
    }
    ++out.counts.matched_entries;
  }

  for (std::size_t d = 0; d < inv.assets.size(); ++d) {
    AssetCmdbResult& result = out.assets[d];
    auto& found = matches[d];
    ++out.counts.devices;
    if (found.empty()) {
      ++out.counts.unmanaged;
      continue;
    }
    std::sort(found.begin(), found.end(), [&](const CmdbMatch& a, const CmdbMatch& b) { return before(a, b, base); });
    result.match = found.front();
    result.also_listed.assign(found.begin() + 1, found.end());
    const AssetSummary summary = summarize(inv.assets[d]);
    for (const CmdbMatch& m : found) add_mismatches(result.mismatches, summary, index.keys(d), *m.entry);
    result.management = result.mismatches.empty() ? Management::managed : Management::mismatched;
    ++(result.management == Management::managed ? out.counts.managed : out.counts.mismatched);
    ++out.counts.matched_by[static_cast<std::size_t>(result.match->by)];
  }
  out.counts.entries = cmdb.entries.size();
  out.counts.stale = out.stale.size();
  out.counts.ambiguous = out.ambiguous.size();
  return out;
}

}  // namespace ww
