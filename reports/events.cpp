#include "reports/events.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "reports/report.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

using ordered_json = nlohmann::ordered_json;

// The ECS version whose field definitions the documents follow (event.kind "asset" is 8.8+, device.* 8.9+).
constexpr const char* kEcsVersion = "8.11.0";

std::string action_of(const InventoryEvent& e) {
  switch (e.kind) {
    case InventoryEvent::Kind::asset_discovered: return "asset-discovered";
    case InventoryEvent::Kind::asset_changed: return "asset-changed";
    case InventoryEvent::Kind::finding_raised: return "finding-raised";
    case InventoryEvent::Kind::conversation_started: return "conversation-started";
    case InventoryEvent::Kind::agent_status: return "agent-status";
  }
  return "unknown";
}

int finding_severity(const std::string& severity) {
  static const std::map<std::string, int, std::less<>> scale{
      {"info", 1}, {"low", 3}, {"medium", 5}, {"high", 8}, {"critical", 10}};
  const auto it = scale.find(severity);
  return it == scale.end() ? 5 : it->second;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : " ") + v;
  return out;
}

// What changed, in one line: "firmware: 2.1 -> 2.3", "ips: +10.0.0.5 -10.0.0.4".
std::string change_text(const Change& c) {
  if (!c.added.empty() || !c.removed.empty()) {
    std::string out = c.attribute + ":";
    for (const auto& a : c.added) out += " +" + a;
    for (const auto& r : c.removed) out += " -" + r;
    return out;
  }
  return c.attribute + ": " + c.old_value.value_or("(none)") + " -> " + c.new_value.value_or("(none)");
}

void put_optional(ordered_json& j, const char* key, const std::optional<std::string>& value) {
  if (value && !value->empty()) j[key] = *value;
}

ordered_json host_json(const AssetSummary& s) {
  ordered_json host;
  host["id"] = s.asset->id;
  if (s.display_name != s.asset->id) host["name"] = s.display_name;
  if (!s.ips.empty()) host["ip"] = s.ips;
  if (s.asset->mac) host["mac"] = ordered_json::array({ecs_mac(*s.asset->mac)});
  if (s.os) host["os"] = {{"full", *s.os}};
  host["type"] = s.category;
  return host;
}

ordered_json device_json(const AssetSummary& s) {
  ordered_json device;
  device["id"] = s.asset->id;
  put_optional(device, "manufacturer", s.vendor);
  if (s.model && !s.model->empty()) device["model"]["name"] = *s.model;
  if (s.model_identifier) device["model"]["identifier"] = *s.model_identifier;  // the UDI-DI (GTIN / HIBCC)
  put_optional(device, "serial_number", s.serial_number);
  return device;
}

ordered_json wardwatch_json(const AssetSummary& s) {
  ordered_json w;
  w["category"] = s.category;
  put_optional(w, "device_type", s.device_type);
  put_optional(w, "firmware", s.firmware);
  put_optional(w, "crown_jewel", s.crown_jewel);
  put_optional(w, "modality", s.modality);
  put_optional(w, "role", s.role);
  w["medical"] = s.medical;
  return w;
}

// CEF extension keys in a fixed order; values escaped.
class Extension {
 public:
  void add(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!text_.empty()) text_ += ' ';
    text_.append(key).push_back('=');
    text_ += cef_escape_extension(value);
  }
  void custom(int n, std::string_view label, const std::optional<std::string>& value) {
    if (!value || value->empty()) return;
    add("cs" + std::to_string(n) + "Label", label);
    add("cs" + std::to_string(n), *value);
  }
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// CEF's MAC form: six colon-separated hexadecimal bytes (upper case).
std::string cef_mac(std::string_view mac) {
  std::string out(mac);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::string ecs_mac(std::string_view mac) {
  std::string out = cef_mac(mac);
  std::replace(out.begin(), out.end(), ':', '-');
  return out;
}

std::string cef_escape_header(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '|') out += '\\';
    if (c == '\n' || c == '\r') {
      out += ' ';  // the header is one line; the specification allows no line break there
      continue;
    }
    out += c;
  }
  return out;
}

std::string cef_escape_extension(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '=': out += "\\="; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out;
}

std::string conversation_key(const ConversationView& c) {
  return c.peer + " " + c.proto + "/" + std::to_string(c.port);
}

std::vector<InventoryEvent> inventory_events(std::vector<DeviceState> previous, const Inventory& inv,
                                             const ReportedBefore& reported) {
  InventorySide before{"previous", std::move(previous)};
  InventorySide after{"inventory", device_states(inv)};
  for (InventorySide* side : {&before, &after}) {
    for (DeviceState& d : side->devices) d.services.clear();  // not compared: the stored state lacks them
    std::sort(side->devices.begin(), side->devices.end(),
              [](const DeviceState& a, const DeviceState& b) { return a.id < b.id; });
  }
  const InventoryDiff diff = diff_inventories(before, after);
  std::map<std::string_view, const AssetView*> by_id;
  for (const AssetView& a : inv.assets) by_id.emplace(a.id, &a);
  std::vector<InventoryEvent> events;
  for (const DeviceState* d : diff.added) {
    InventoryEvent e;
    e.kind = InventoryEvent::Kind::asset_discovered;
    e.asset = by_id.at(d->id);
    e.time_us = e.asset->last_us;
    events.push_back(std::move(e));
  }
  for (const ChangedDevice& c : diff.changed) {
    for (const Change& change : c.changes) {
      InventoryEvent e;
      e.kind = InventoryEvent::Kind::asset_changed;
      e.asset = by_id.at(c.after->id);
      e.time_us = e.asset->last_us;
      e.change = change;
      events.push_back(std::move(e));
    }
  }
  for (const Finding& f : inv.findings) {
    for (const std::string& asset : f.assets) {
      if (reported.findings.count({f.id, asset}) != 0) continue;
      const auto it = by_id.find(asset);
      if (it == by_id.end()) continue;
      InventoryEvent e;
      e.kind = InventoryEvent::Kind::finding_raised;
      e.asset = it->second;
      e.time_us = e.asset->last_us;
      e.finding = &f;
      events.push_back(std::move(e));
    }
  }
  // Who talks to the crown jewels: each (client, jewel address, service) once.
  std::map<std::string_view, const AssetView*> jewel_at;
  for (const AssetView& a : inv.assets) {
    if (!a.crown_jewel) continue;
    for (const AddressView& addr : a.addresses) jewel_at.emplace(addr.ip, &a);
  }
  for (const AssetView& a : inv.assets) {
    for (const ConversationView& c : a.conversations) {
      if (c.role != "client") continue;
      const auto jewel = jewel_at.find(c.peer);
      if (jewel == jewel_at.end() || jewel->second == &a) continue;
      if (reported.conversations.count({a.id, conversation_key(c)}) != 0) continue;
      InventoryEvent e;
      e.kind = InventoryEvent::Kind::conversation_started;
      e.asset = &a;
      e.server = jewel->second;
      e.conversation = &c;
      e.time_us = c.first_us;
      events.push_back(std::move(e));
    }
  }
  return events;
}

int cef_severity(const InventoryEvent& e) {
  switch (e.kind) {
    case InventoryEvent::Kind::asset_discovered: return e.asset && e.asset->crown_jewel ? 5 : 3;
    case InventoryEvent::Kind::asset_changed:
      return e.change.attribute == "firmware" || e.change.attribute == "crown_jewel" ||
                     e.change.attribute == "category"
                 ? 5
                 : 3;
    case InventoryEvent::Kind::finding_raised: return finding_severity(e.finding->severity);
    case InventoryEvent::Kind::conversation_started: return 3;
    case InventoryEvent::Kind::agent_status: return 1;
  }
  return 3;
}

std::string ecs_json(const InventoryEvent& e, const EventOrigin& origin) {
  ordered_json doc;
  doc["@timestamp"] = format_timestamp(e.time_us);
  doc["ecs"] = {{"version", kEcsVersion}};
  ordered_json event;
  switch (e.kind) {
    case InventoryEvent::Kind::asset_discovered:
    case InventoryEvent::Kind::asset_changed:
      event["kind"] = "asset";
      event["category"] = {"host"};
      event["type"] = {e.kind == InventoryEvent::Kind::asset_discovered ? "info" : "change"};
      event["dataset"] = "wardwatch.asset";
      break;
    case InventoryEvent::Kind::finding_raised:
      event["kind"] = "alert";
      event["category"] = {"vulnerability"};
      event["type"] = {"info"};
      event["dataset"] = "wardwatch.finding";
      break;
    case InventoryEvent::Kind::conversation_started:
      event["kind"] = "event";
      event["category"] = {"network"};
      event["type"] = {"connection", "start"};
      event["dataset"] = "wardwatch.conversation";
      break;
    case InventoryEvent::Kind::agent_status:
      event["kind"] = "metric";
      event["category"] = {"host"};
      event["type"] = {"info"};
      event["dataset"] = "wardwatch.status";
      break;
  }
  event["action"] = action_of(e);
  event["module"] = "wardwatch";
  event["severity"] = cef_severity(e);
  doc["event"] = std::move(event);
  doc["observer"] = {{"type", "sensor"}, {"vendor", "wardwatch"}, {"product", "wardwatch"},
                     {"version", origin.version}, {"hostname", origin.hostname}, {"name", origin.agent_id}};
  doc["labels"] = {{"site", origin.site}};
  if (e.asset) {
    const AssetSummary s = summarize(*e.asset);
    doc["host"] = host_json(s);
    ordered_json device = device_json(s);
    doc["device"] = std::move(device);
    ordered_json w = wardwatch_json(s);
    if (e.kind == InventoryEvent::Kind::asset_changed) {
      ordered_json change{{"attribute", e.change.attribute}};
      if (!e.change.added.empty() || !e.change.removed.empty()) {
        change["added"] = e.change.added;
        change["removed"] = e.change.removed;
      } else {
        change["old"] = e.change.old_value ? ordered_json(*e.change.old_value) : ordered_json(nullptr);
        change["new"] = e.change.new_value ? ordered_json(*e.change.new_value) : ordered_json(nullptr);
      }
      w["change"] = std::move(change);
      doc["message"] = change_text(e.change);
    }
    doc["wardwatch"] = std::move(w);
  }
  if (e.finding) {
    const Finding& f = *e.finding;
    doc["rule"] = {{"id", f.id}, {"name", f.title}};
    doc["vulnerability"] = {{"id", f.id},
                            {"description", f.description},
                            {"severity", f.severity},
                            {"category", {"configuration"}},
                            {"reference", joined(f.references)}};
    doc["message"] = f.title;
  }
  if (e.conversation) {
    const ConversationView& c = *e.conversation;
    const AssetSummary server = summarize(*e.server);
    const AssetSummary client = summarize(*e.asset);
    ordered_json source;
    if (!client.ips.empty()) source["ip"] = client.ips.front();
    if (e.asset->mac) source["mac"] = ecs_mac(*e.asset->mac);
    doc["source"] = std::move(source);
    ordered_json destination{{"ip", c.peer}, {"port", c.port}};
    if (e.server->mac) destination["mac"] = ecs_mac(*e.server->mac);
    doc["destination"] = std::move(destination);
    ordered_json network{{"transport", c.proto}};
    if (!c.app.empty()) network["protocol"] = c.app;
    network["packets"] = c.packets_sent + c.packets_received;
    network["bytes"] = c.bytes_sent + c.bytes_received;
    doc["network"] = std::move(network);
    doc["wardwatch"]["server"] = {{"id", e.server->id}, {"crown_jewel", server.crown_jewel.value_or("")},
                                  {"category", server.category}};
    doc["message"] = client.display_name + " -> " + c.peer + " " + c.proto + "/" + std::to_string(c.port) +
                     (c.app.empty() ? "" : " (" + c.app + ")") + ", crown jewel " + server.crown_jewel.value_or("");
  }
  if (e.kind == InventoryEvent::Kind::agent_status) {
    ordered_json figures = ordered_json::object();
    for (const auto& [name, value] : e.figures) figures[name] = value;
    doc["wardwatch"] = {{"status", std::move(figures)}};
    doc["message"] = e.message;
  }
  return doc.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string cef_message(const InventoryEvent& e, const EventOrigin& origin) {
  std::string class_id = action_of(e), name;
  switch (e.kind) {
    case InventoryEvent::Kind::asset_discovered: name = "Asset discovered"; break;
    case InventoryEvent::Kind::asset_changed:
      class_id += ":" + e.change.attribute;
      name = "Asset " + e.change.attribute + " changed";
      break;
    case InventoryEvent::Kind::finding_raised:
      class_id = "finding:" + e.finding->id;
      name = e.finding->title;
      break;
    case InventoryEvent::Kind::conversation_started: name = "Conversation with a crown jewel"; break;
    case InventoryEvent::Kind::agent_status: name = "Agent status"; break;
  }
  std::string out = "CEF:0|wardwatch|wardwatch|" + cef_escape_header(origin.version) + "|" +
                    cef_escape_header(class_id) + "|" + cef_escape_header(name) + "|" +
                    std::to_string(cef_severity(e)) + "|";
  Extension x;
  x.add("rt", std::to_string(std::max<std::int64_t>(e.time_us, 0) / 1000));
  x.add("dvchost", origin.hostname);
  x.add("deviceExternalId", origin.agent_id);
  if (e.asset) {
    const AssetSummary s = summarize(*e.asset);
    for (const std::string& ip : s.ips) {
      if (ip.find(':') == std::string::npos) {
        x.add("src", ip);
        break;
      }
    }
    if (e.asset->mac) x.add("smac", cef_mac(*e.asset->mac));
    if (s.display_name != e.asset->id) x.add("shost", s.display_name);
    x.custom(1, "category", s.category);
    x.custom(2, "vendor", s.vendor);
    x.custom(3, "model", s.model);
    x.custom(4, "firmware", s.firmware);
    x.custom(6, "crownJewel", s.crown_jewel);
    x.add("cat", s.category);
  }
  if (e.conversation) {
    const ConversationView& c = *e.conversation;
    if (c.peer.find(':') == std::string::npos) x.add("dst", c.peer);
    if (e.server->mac) x.add("dmac", cef_mac(*e.server->mac));
    x.add("dpt", std::to_string(c.port));
    x.add("proto", c.proto);
    x.add("app", c.app);
  }
  x.custom(5, "site", origin.site);
  if (e.kind == InventoryEvent::Kind::asset_changed) x.add("msg", change_text(e.change));
  if (e.finding) x.add("msg", e.finding->title + " (" + joined(e.finding->references) + ")");
  if (e.kind == InventoryEvent::Kind::agent_status) x.add("msg", e.message);
  return out + x.text();
}

std::string syslog_line(const std::string& message, int cef_severity_value, std::int64_t time_us,
                        const EventOrigin& origin, int pid) {
  // RFC 5424 §6.2.1: PRI = facility * 8 + severity; local4 (20). CEF 0–3 info (6), 4–6 notice (5),
  // 7–8 warning (4), 9–10 error (3).
  const int severity = cef_severity_value <= 3 ? 6 : cef_severity_value <= 6 ? 5 : cef_severity_value <= 8 ? 4 : 3;
  std::string host = origin.hostname.empty() ? "-" : origin.hostname;
  // HOSTNAME is PRINTUSASCII, at most 255 characters (§6.2.4).
  host.erase(std::remove_if(host.begin(), host.end(), [](unsigned char c) { return c < 33 || c > 126; }), host.end());
  if (host.size() > 255) host.resize(255);
  if (host.empty()) host = "-";
  std::string stamp = format_timestamp(time_us);  // RFC 3339 with microseconds, as §6.2.3 allows
  return "<" + std::to_string(20 * 8 + severity) + ">1 " + stamp + " " + host + " wardwatch " + std::to_string(pid) +
         " " + (message.rfind("CEF:", 0) == 0 ? "cef" : "-") + " - " + message;
}

}  // namespace ww
