// What the reports say about each device, computed once for every format: the classification's claims in
// plain fields, and the supply-chain roll-up (vendor → model → firmware, with the devices).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/inventory.hpp"

namespace ww {

struct AssetSummary {
  const AssetView* asset = nullptr;
  std::vector<std::string> ips;
  std::string category;
  std::optional<std::string> device_type, vendor, model, firmware, os, modality, role, software;
  std::optional<std::string> crown_jewel;
  bool medical = false;
  // A name for the device where it has no model: its first host name fact, else its id.
  std::string display_name;
  // The serial number the device states about itself (serial_number_keys()), if any.
  std::optional<std::string> serial_number;
  // A machine-readable model identity: the UDI-DI (GTIN or HIBCC LIC+product) of its HL7 UDI, when the
  // device stated exactly one (a gateway forwarding several devices' UDIs has none).
  std::optional<std::string> model_identifier;
};

AssetSummary summarize(const AssetView& asset);

// Fact keys in which a device states its own serial number (docs/observations.md), most specific first:
// the reports' serial and the CMDB comparison's serial key read the same list.
std::span<const std::string_view> serial_number_keys();

struct FirmwareRollup {
  std::string version;              // "" when the wire named none
  std::vector<std::string> assets;  // asset ids
};
struct ModelRollup {
  std::string model;  // "" when the wire named none
  std::size_t devices = 0;
  std::vector<FirmwareRollup> firmware;
};
struct VendorRollup {
  std::string vendor;  // the classified maker (never the NIC's OUI organisation)
  std::size_t devices = 0, medical = 0;
  std::vector<ModelRollup> models;
};

// Devices with a classified vendor, grouped; vendors by device count (then name), models and firmware
// versions by name.
std::vector<VendorRollup> supply_chain(const Inventory& inv);

}  // namespace ww
