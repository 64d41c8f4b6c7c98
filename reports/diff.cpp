#include "reports/diff.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "reports/report.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::optional<std::string> optional_string(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) throw std::runtime_error(std::string("field '") + key + "' is not a string");
  return j[key].get<std::string>();
}

DeviceState state_from_json(const json& a) {
  if (!a.is_object() || !a.contains("id") || !a["id"].is_string()) {
    throw std::runtime_error("an asset without a string 'id'");
  }
  DeviceState d;
  d.id = a["id"].get<std::string>();
  d.mac = optional_string(a, "mac");
  if (a.contains("ips") && a["ips"].is_array()) {
    for (const auto& ip : a["ips"]) {
      if (ip.is_string()) d.ips.push_back(ip.get<std::string>());
    }
  }
  if (a.contains("services") && a["services"].is_object() && a["services"].contains("offered")) {
    for (const auto& s : a["services"]["offered"]) {
      if (s.is_object() && s.contains("proto") && s["proto"].is_string() && s.contains("port") &&
          s["port"].is_number_unsigned()) {
        d.services.push_back(s["proto"].get<std::string>() + "/" + std::to_string(s["port"].get<unsigned>()));
      }
    }
  }
  if (a.contains("classification") && a["classification"].is_object()) {
    const json& c = a["classification"];
    d.category = optional_string(c, "category");
    d.vendor = optional_string(c, "vendor");
    d.model = optional_string(c, "model");
    d.firmware = optional_string(c, "firmware");
    d.os = optional_string(c, "os");
  }
  if (a.contains("crown_jewel") && a["crown_jewel"].is_object()) d.crown_jewel = optional_string(a["crown_jewel"], "kind");
  d.first_seen = optional_string(a, "first_seen").value_or("");
  d.last_seen = optional_string(a, "last_seen").value_or("");
  sort_unique(d.ips);
  sort_unique(d.services);
  return d;
}

void by_id(std::vector<DeviceState>& devices) {
  std::sort(devices.begin(), devices.end(), [](const DeviceState& a, const DeviceState& b) { return a.id < b.id; });
}

void compare_one(Change&& probe, const std::optional<std::string>& before, const std::optional<std::string>& after,
                 std::vector<Change>& out) {
  if (before == after) return;
  probe.old_value = before;
  probe.new_value = after;
  out.push_back(std::move(probe));
}

void compare_set(const char* attribute, const std::vector<std::string>& before, const std::vector<std::string>& after,
                 std::vector<Change>& out) {
  Change c{attribute, std::nullopt, std::nullopt, {}, {}};
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(c.added));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(c.removed));
  if (!c.added.empty() || !c.removed.empty()) out.push_back(std::move(c));
}

std::vector<Change> changes_between(const DeviceState& b, const DeviceState& a) {
  std::vector<Change> out;
  compare_set("ips", b.ips, a.ips, out);
  for (const auto& [name, before, after] :
       {std::tuple{"category", &b.category, &a.category}, {"vendor", &b.vendor, &a.vendor}, {"model", &b.model, &a.model},
        {"firmware", &b.firmware, &a.firmware}, {"os", &b.os, &a.os}, {"crown_jewel", &b.crown_jewel, &a.crown_jewel}}) {
    compare_one(Change{name, std::nullopt, std::nullopt, {}, {}}, *before, *after, out);
  }
  compare_set("services", b.services, a.services, out);
  return out;
}

ordered_json text_or_null(const std::optional<std::string>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

ordered_json device_json(const DeviceState& d) {
  return {{"id", d.id},           {"mac", text_or_null(d.mac)},       {"ips", d.ips},
          {"category", text_or_null(d.category)}, {"vendor", text_or_null(d.vendor)},
          {"model", text_or_null(d.model)},       {"first_seen", d.first_seen}, {"last_seen", d.last_seen}};
}

ordered_json side_json(const InventorySide& side) {
  std::string last;
  for (const auto& d : side.devices) last = std::max(last, d.last_seen);
  return {{"source", side.source}, {"assets", side.devices.size()}, {"last_seen", last.empty() ? ordered_json(nullptr) : ordered_json(last)}};
}

}  // namespace

std::vector<DeviceState> device_states(const Inventory& inv) {
  std::vector<DeviceState> out;
  out.reserve(inv.assets.size());
  for (const auto& a : inv.assets) {
    const AssetSummary s = summarize(a);
    DeviceState d{a.id, a.mac, s.ips, {}, s.category, s.vendor, s.model, s.firmware, s.os, s.crown_jewel,
                  format_timestamp(a.first_us), format_timestamp(a.last_us)};
    for (const auto& svc : a.offered) d.services.push_back(svc.proto + "/" + std::to_string(svc.port));
    sort_unique(d.ips);
    sort_unique(d.services);
    out.push_back(std::move(d));
  }
  by_id(out);
  return out;
}

std::vector<DeviceState> device_states_from_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("schema_version") || !doc.contains("assets") || !doc["assets"].is_array()) {
    throw std::runtime_error("not a wardwatch inventory (no schema_version and assets; use `read --json` or `export`)");
  }
  std::vector<DeviceState> out;
  for (const auto& a : doc["assets"]) out.push_back(state_from_json(a));
  by_id(out);
  return out;
}

InventoryDiff diff_inventories(const InventorySide& before, const InventorySide& after) {
  InventoryDiff diff;
  auto b = before.devices.begin();
  auto a = after.devices.begin();
  while (b != before.devices.end() || a != after.devices.end()) {
    if (a == after.devices.end() || (b != before.devices.end() && b->id < a->id)) {
      diff.gone.push_back(&*b++);
    } else if (b == before.devices.end() || a->id < b->id) {
      diff.added.push_back(&*a++);
    } else {
      if (auto changes = changes_between(*b, *a); !changes.empty()) diff.changed.push_back({&*b, &*a, std::move(changes)});
      ++a;
      ++b;
    }
  }
  return diff;
}

void write_diff_json(const InventorySide& before, const InventorySide& after, const InventoryDiff& diff,
                     std::ostream& out) {
  ordered_json doc;
  doc["diff_version"] = 1;
  doc["from"] = side_json(before);
  doc["to"] = side_json(after);
  ordered_json added = ordered_json::array(), gone = ordered_json::array(), changed = ordered_json::array();
  for (const DeviceState* d : diff.added) added.push_back(device_json(*d));
  for (const DeviceState* d : diff.gone) gone.push_back(device_json(*d));
  for (const ChangedDevice& c : diff.changed) {
    ordered_json entry = device_json(*c.after);
    ordered_json list = ordered_json::array();
    for (const Change& ch : c.changes) {
      ordered_json j{{"attribute", ch.attribute}};
      if (ch.attribute == "ips" || ch.attribute == "services") {
        j["added"] = ch.added;
        j["removed"] = ch.removed;
      } else {
        j["old"] = text_or_null(ch.old_value);
        j["new"] = text_or_null(ch.new_value);
      }
      list.push_back(std::move(j));
    }
    entry["previous_last_seen"] = c.before->last_seen;
    entry["changes"] = std::move(list);
    changed.push_back(std::move(entry));
  }
  doc["new"] = std::move(added);
  doc["gone"] = std::move(gone);
  doc["changed"] = std::move(changed);
  out << doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) << '\n';
}

}  // namespace ww
