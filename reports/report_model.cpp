#include "reports/report_model.hpp"

#include <algorithm>
#include <map>

#include "reports/cmdb.hpp"

namespace ww {
namespace {

std::optional<std::string> attribute(const Classification& c, const char* name) {
  const auto it = c.attributes.find(name);
  if (it == c.attributes.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string display_name(const AssetView& a) {
  for (const char* key : {"dhcp.hostname", "mdns.hostname", "browser.hostname", "lldp.system_name", "snmp.sys_name",
                          "cdp.device_id", "syslog.hostname"}) {
    for (const auto& o : a.observations) {
      if (o.key == key) return o.value;
    }
  }
  return a.id;
}

constexpr std::string_view kSerialNumberKeys[] = {
    "lldp.med.serial_number", "upnp.serial_number", "dicom.device_serial_number", "hl7.device_serial_number",
    "astm.serial_number",     "dpws.serial_number", "intellivue.serial_number",   "poct1.serial_number",
    "hl7.udi_serial"};

// The first serial the device stated that is not a placeholder (MiniDLNA's "00000000", "To Be Filled By O.E.M.").
std::optional<std::string> serial_number(const AssetView& a) {
  for (const std::string_view key : kSerialNumberKeys) {
    for (const auto& o : a.observations) {
      if (o.key == key && !is_placeholder_serial(o.value)) return o.value;
    }
  }
  return std::nullopt;
}

// The value of `key` when the device stated exactly one.
std::optional<std::string> single_value(const AssetView& a, std::string_view key) {
  std::optional<std::string> found;
  for (const auto& o : a.observations) {
    if (o.key != key || o.value.empty()) continue;
    if (found && *found != o.value) return std::nullopt;
    found = o.value;
  }
  return found;
}

}  // namespace

AssetSummary summarize(const AssetView& a) {
  AssetSummary s;
  s.asset = &a;
  for (const auto& addr : a.addresses) s.ips.push_back(addr.ip);
  const Classification& c = a.classification;
  s.category = c.category;
  s.device_type = attribute(c, "device_type");
  s.vendor = attribute(c, "vendor");
  s.model = attribute(c, "model");
  s.firmware = attribute(c, "firmware");
  s.os = attribute(c, "os");
  s.modality = attribute(c, "modality");
  s.role = attribute(c, "role");
  s.software = attribute(c, "software");
  if (a.crown_jewel) s.crown_jewel = a.crown_jewel->kind;
  s.medical = is_medical_category(c.category);
  s.display_name = display_name(a);
  s.serial_number = serial_number(a);
  s.model_identifier = single_value(a, "hl7.udi_di");
  return s;
}

std::span<const std::string_view> serial_number_keys() {
  return kSerialNumberKeys;
}

std::vector<VendorRollup> supply_chain(const Inventory& inv) {
  // vendor -> model -> firmware -> asset ids (std::map: names sorted, deterministic output)
  std::map<std::string, std::map<std::string, std::map<std::string, std::vector<std::string>>>> tree;
  std::map<std::string, std::size_t> medical;
  for (const auto& a : inv.assets) {
    const AssetSummary s = summarize(a);
    if (!s.vendor) continue;
    tree[*s.vendor][s.model.value_or("")][s.firmware.value_or("")].push_back(a.id);
    medical[*s.vendor] += s.medical ? 1 : 0;
  }
  std::vector<VendorRollup> out;
  for (auto& [vendor, models] : tree) {
    VendorRollup v{vendor, 0, medical[vendor], {}};
    for (auto& [model, versions] : models) {
      ModelRollup m{model, 0, {}};
      for (auto& [version, assets] : versions) {
        m.devices += assets.size();
        m.firmware.push_back({version, std::move(assets)});
      }
      v.devices += m.devices;
      v.models.push_back(std::move(m));
    }
    out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const VendorRollup& a, const VendorRollup& b) { return a.devices > b.devices; });
  return out;
}

}  // namespace ww
