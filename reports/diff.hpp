// `wardwatch diff OLD NEW`: what changed between two inventories (docs/reports.md, "diff") — devices that
// are new, devices that are gone, and devices whose addresses, identity, classification, crown-jewel kind
// or offered services changed. Either side is a database or an inventory JSON (`read --json`, `export`).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "model/inventory.hpp"

namespace ww {

// What the diff compares of one device.
struct DeviceState {
  std::string id;
  std::optional<std::string> mac;
  std::vector<std::string> ips;       // sorted
  std::vector<std::string> services;  // offered, "tcp/104", sorted
  std::optional<std::string> category, vendor, model, firmware, os, crown_jewel;
  std::string first_seen, last_seen;  // RFC 3339, as in the JSON
};

struct InventorySide {
  std::string source;  // the path given
  std::vector<DeviceState> devices;  // sorted by id
};

struct Change {
  std::string attribute;
  std::optional<std::string> old_value, new_value;  // single-valued attributes
  std::vector<std::string> added, removed;         // set-valued attributes (ips, services)
};

struct ChangedDevice {
  const DeviceState* before = nullptr;
  const DeviceState* after = nullptr;
  std::vector<Change> changes;
};

struct InventoryDiff {
  std::vector<const DeviceState*> added, gone;  // "new" and "gone"
  std::vector<ChangedDevice> changed;
};

std::vector<DeviceState> device_states(const Inventory& inv);
// The devices of an inventory JSON document (docs/output.md). Throws std::runtime_error with a one-line
// reason when the text is not one.
std::vector<DeviceState> device_states_from_json(const std::string& text);

// Devices matched by asset id. The sides must outlive the result.
InventoryDiff diff_inventories(const InventorySide& before, const InventorySide& after);
void write_diff_json(const InventorySide& before, const InventorySide& after, const InventoryDiff& diff,
                     std::ostream& out);

}  // namespace ww
