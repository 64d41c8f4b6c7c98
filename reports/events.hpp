// The SIEM feed (docs/events.md): what changed in the inventory, as events — a device discovered, an attribute
// of one changed (addresses, vendor, model, firmware, OS, category, crown jewel), a finding raised on a device,
// and the agent's status — encoded as ECS documents (one JSON object per line) or as CEF messages inside RFC 5424
// syslog lines. Pure functions of the previous state and the inventory; sending them is the CLI's job.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/inventory.hpp"
#include "reports/diff.hpp"

namespace ww {

// Who reports: the agent (id, site), the machine it runs on and wardwatch's version.
struct EventOrigin {
  std::string agent_id, site, hostname, version;
};

struct InventoryEvent {
  enum class Kind { asset_discovered, asset_changed, finding_raised, conversation_started, agent_status };
  Kind kind = Kind::agent_status;
  std::int64_t time_us = 0;             // the device's last sighting (asset events) or now
  const AssetView* asset = nullptr;     // asset and finding events
  Change change;                        // asset_changed
  const Finding* finding = nullptr;     // finding_raised
  const ConversationView* conversation = nullptr;  // conversation_started: `asset` is the client
  const AssetView* server = nullptr;               // conversation_started: the crown jewel it talks to
  std::vector<std::pair<std::string, std::uint64_t>> figures;  // agent_status: packets, devices, ...
  std::string message;                  // agent_status: one line
};

// What the store remembers having reported: findings as (finding id, asset id), conversations with crown
// jewels as (client asset id, conversation_key()).
using ReportedFinding = std::pair<std::string, std::string>;
struct ReportedBefore {
  std::set<ReportedFinding> findings;
  std::set<std::pair<std::string, std::string>> conversations;
};
// "10.77.0.10 tcp/104": the server's address and the service.
std::string conversation_key(const ConversationView& c);

// The events between `previous` (the devices as last classified; empty for a first run) and `inv`: a device
// not in `previous` is discovered, one whose attributes differ changed (one event per attribute), and each
// (finding, device) of inv.findings not in `reported` is raised, and each conversation a device opened with a
// crown jewel (as the client) not reported before has started. Offered services are not compared (the stored
// classification does not hold them). The events point into `inv`.
std::vector<InventoryEvent> inventory_events(std::vector<DeviceState> previous, const Inventory& inv,
                                             const ReportedBefore& reported);

// One ECS document (no newline): event.kind "asset" (ECS 8.8+) for asset events, "alert" for findings,
// "metric" for the agent status; host.*, device.*, observer.*, labels.site, and wardwatch.* for what ECS has
// no field for.
std::string ecs_json(const InventoryEvent& event, const EventOrigin& origin);

// The CEF message (ArcSight "Implementing ArcSight CEF", rev. 25): header fields escaped for '|' and '\',
// extension values for '=', '\' and line breaks.
std::string cef_message(const InventoryEvent& event, const EventOrigin& origin);
// CEF's 0–10 severity of an event.
int cef_severity(const InventoryEvent& event);

// An RFC 5424 syslog line carrying `message` (facility local4; severity from the CEF severity), no framing.
std::string syslog_line(const std::string& message, int cef_severity_value, std::int64_t time_us,
                        const EventOrigin& origin, int pid);

// Escapes of the CEF specification, exposed for the tests.
std::string cef_escape_header(std::string_view text);
std::string cef_escape_extension(std::string_view text);
// A MAC as ECS writes it: upper case, hyphen-separated.
std::string ecs_mac(std::string_view mac);

}  // namespace ww
