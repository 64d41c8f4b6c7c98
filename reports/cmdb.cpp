// CMDB exports: normalisation of what they write, format detection, the column table, and the joining of
// interface and MAC-address exports to devices. The comparison itself is in reports/cmdb_compare.cpp, the
// CSV reader in reports/cmdb_csv.cpp.
#include "reports/cmdb.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "reports/maker_aliases.hpp"
#include "wardwatch/net_types.hpp"

namespace ww {
namespace {

using namespace std::string_view_literals;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

// Letters and digits only, lower case.
std::string alnum_lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (is_alnum(c)) out += lower(c);
  }
  return out;
}

// Runs of digits, in order ("revo_ct_22.1" → 22, 1).
std::vector<std::string> digit_runs(std::string_view s) {
  std::vector<std::string> runs;
  bool in_run = false;
  for (char c : s) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && !in_run) runs.emplace_back();
    if (digit) runs.back() += c;
    in_run = digit;
  }
  return runs;
}

// What a CMDB writes in a cell it has no value for.
bool is_placeholder(std::string_view value) {
  static constexpr std::array kEmpty{""sv,     "-"sv,    "--"sv,      "n/a"sv, "na"sv,
                                     "none"sv, "null"sv, "unknown"sv, "tbd"sv, "\xe2\x80\x94"sv /* — */};
  const std::string v = [&] {
    std::string s;
    for (char c : trim(value)) s += lower(c);
    return s;
  }();
  return std::find(kEmpty.begin(), kEmpty.end(), v) != kEmpty.end();
}

}  // namespace

// ---- normalisation ---------------------------------------------------------------------------------------

std::optional<std::string> normalize_mac(std::string_view text) {
  text = trim(text);
  // Groups of equal length between one kind of separator: 6×2 (: or -), 3×4 (Cisco's dots), 2×6 (HP's
  // hyphen), or 12 digits in one group.
  std::string digits;
  char separator = '\0';
  std::vector<std::size_t> groups{0};
  for (char c : text) {
    if (is_hex(c)) {
      digits += lower(c);
      ++groups.back();
    } else if ((c == ':' || c == '-' || c == '.') && (separator == '\0' || separator == c)) {
      separator = c;
      groups.push_back(0);
    } else {
      return std::nullopt;
    }
  }
  if (digits.size() != 12) return std::nullopt;
  const std::size_t size = groups.front();
  if (!std::all_of(groups.begin(), groups.end(), [&](std::size_t g) { return g == size; })) return std::nullopt;
  if (size != 2 && size != 4 && size != 6 && size != 12) return std::nullopt;
  if (digits == "000000000000") return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < 12; i += 2) {
    if (i > 0) out += ':';
    out += digits.substr(i, 2);
  }
  return out;
}

std::optional<std::string> normalize_ip(std::string_view text) {
  text = trim(text);
  if (text.starts_with('[') && text.ends_with(']')) text = text.substr(1, text.size() - 2);
  if (const auto slash = text.find('/'); slash != std::string_view::npos) text = text.substr(0, slash);
  const auto ip = IpAddr::parse(text);
  if (!ip) return std::nullopt;
  return ip->to_string();
}

std::string normalize_hostname(std::string_view text) {
  text = trim(text);
  // NetBIOS names carry their type as a suffix: NAME<00>, NAME<20>.
  if (text.size() > 4 && text.ends_with('>') && text[text.size() - 4] == '<') text.remove_suffix(4);
  text = trim(text);
  while (text.ends_with('.')) text.remove_suffix(1);
  std::string out;
  for (char c : text) out += lower(c);
  return out;
}

bool hostnames_match(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  if (a == b) return true;
  const bool a_qualified = a.find('.') != std::string_view::npos;
  const bool b_qualified = b.find('.') != std::string_view::npos;
  if (a_qualified && b_qualified) return false;  // two different FQDNs
  return a.substr(0, a.find('.')) == b.substr(0, b.find('.'));
}

std::string normalized_header(std::string_view header) {
  return alnum_lower(header);
}

bool same_model(std::string_view a, std::string_view b) {
  const std::string na = alnum_lower(a), nb = alnum_lower(b);
  if (na.empty() || nb.empty()) return false;
  return na.find(nb) != std::string::npos || nb.find(na) != std::string::npos;
}

std::string model_without_maker(std::string_view model, std::string_view maker) {
  std::vector<std::string_view> words;
  for (std::size_t at = 0; at < model.size();) {
    const std::size_t end = std::min(model.find(' ', at), model.size());
    if (end > at) words.push_back(model.substr(at, end - at));
    at = end + 1;
  }
  // The longest run of leading words (up to three, never all) that names the maker.
  for (std::size_t n = std::min<std::size_t>(3, words.empty() ? 0 : words.size() - 1); n > 0; --n) {
    const std::string_view lead(words[0].data(),
                                static_cast<std::size_t>(words[n - 1].data() + words[n - 1].size() - words[0].data()));
    if (same_maker(lead, maker))
      return std::string(trim(model.substr(static_cast<std::size_t>(words[n].data() - model.data()))));
  }
  return std::string(trim(model));
}

bool same_serial(std::string_view a, std::string_view b) {
  const std::string na = alnum_lower(a), nb = alnum_lower(b);
  return !na.empty() && na == nb;
}

bool same_firmware(std::string_view a, std::string_view b) {
  const std::string na = alnum_lower(a), nb = alnum_lower(b);
  if (na.empty() || nb.empty()) return false;
  if (na == nb) return true;
  const auto ra = digit_runs(a), rb = digit_runs(b);
  if (ra.empty() || rb.empty()) return false;
  if (ra == rb) return true;
  const auto& shorter = ra.size() < rb.size() ? ra : rb;
  const auto& longer = ra.size() < rb.size() ? rb : ra;
  return shorter.size() >= 2 &&
         std::search(longer.begin(), longer.end(), shorter.begin(), shorter.end()) != longer.end();
}

bool is_placeholder_serial(std::string_view serial) {
  // SMBIOS and vendor defaults seen in asset exports (dmidecode prints them for boards left unprogrammed).
  static constexpr std::array kPlaceholders{""sv,
                                            "na"sv,
                                            "none"sv,
                                            "null"sv,
                                            "unknown"sv,
                                            "tbd"sv,
                                            "tobefilledbyoem"sv,
                                            "defaultstring"sv,
                                            "systemserialnumber"sv,
                                            "chassisserialnumber"sv,
                                            "serialnumber"sv,
                                            "notspecified"sv,
                                            "notavailable"sv,
                                            "notapplicable"sv,
                                            "123456789"sv,
                                            "0123456789"sv,
                                            "1234567890"sv};
  const std::string n = alnum_lower(serial);
  if (std::find(kPlaceholders.begin(), kPlaceholders.end(), n) != kPlaceholders.end()) return true;
  return std::all_of(n.begin(), n.end(), [](char c) { return c == '0'; }) ||
         std::all_of(n.begin(), n.end(), [](char c) { return c == 'x'; });
}

// ---- names of things -------------------------------------------------------------------------------------

std::string_view cmdb_format_name(CmdbFormat format) {
  switch (format) {
    case CmdbFormat::netbox_device:
      return "netbox-device";
    case CmdbFormat::netbox_interface:
      return "netbox-interface";
    case CmdbFormat::netbox_mac_address:
      return "netbox-mac-address";
    case CmdbFormat::servicenow_ci:
      return "servicenow-ci";
    case CmdbFormat::generic:
      return "generic";
  }
  return "generic";
}

std::string_view cmdb_field_name(CmdbField field) {
  static constexpr std::array kNames{"mac"sv,       "ip"sv,           "hostname"sv,  "serial"sv,
                                     "asset_tag"sv, "manufacturer"sv, "model"sv,     "firmware"sv,
                                     "owner"sv,     "location"sv,     "site"sv,      "status"sv,
                                     "last_seen"sv, "device"sv,       "interface"sv, "is_primary"sv};
  return kNames[static_cast<std::size_t>(field)];
}

// ---- the column table ------------------------------------------------------------------------------------

namespace {

// Which exports a header name is understood in: the same word means different things in a device export
// and an interface export ("name" is the device's name in one, the interface's in the other).
enum Scope : unsigned {
  kDevices = 1,     // netbox-device, servicenow-ci, generic
  kInterfaces = 2,  // netbox-interface, netbox-mac-address
  kNetBoxDevices = 4,
  kAll = kDevices | kInterfaces,
};

struct ColumnName {
  std::string_view name;  // normalised (normalized_header)
  CmdbField field;
  unsigned scope;
  int rank;  // where several columns give one field, the lowest rank with a value wins
};

// Sources: NetBox's import forms (netbox/dcim/forms/bulk_import.py: DeviceImportForm, InterfaceImportForm,
// MACAddressImportForm) and table columns (netbox/dcim/tables/devices.py: the display names of the UI's
// CSV export, e.g. primary_ip4 "IPv4 Address", device_type "Type", serial "Serial number"); ServiceNow's
// cmdb_ci / cmdb_ci_hardware fields and their labels (servicenow.itsm configuration_item module:
// name, serial_number, asset_tag, ip_address, mac_address, manufacturer, model_id, install_status, location);
// the generic CSV of docs/reports.md. Common spellings of other tools' exports are accepted alongside.
constexpr std::array kColumns{
    // MAC: NetBox interface ≤ 4.1 and MAC-address 4.2+ mac_address ("MAC Address"), ServiceNow mac_address,
    // generic mac.
    ColumnName{"mac", CmdbField::mac, kAll, 0},
    ColumnName{"macaddress", CmdbField::mac, kAll, 0},
    ColumnName{"macaddr", CmdbField::mac, kAll, 0},
    ColumnName{"macaddresses", CmdbField::mac, kAll, 0},
    ColumnName{"primarymac", CmdbField::mac, kAll, 0},
    ColumnName{"hardwareaddress", CmdbField::mac, kAll, 0},
    ColumnName{"physicaladdress", CmdbField::mac, kAll, 0},  // Windows' getmac / ipconfig
    // IP: NetBox primary_ip4/primary_ip6 (import and API), "IP Address" / "IPv4 Address" / "IPv6 Address" /
    // "OOB IP" (device table), "IP Addresses" (interface table); ServiceNow ip_address; generic ip.
    ColumnName{"ip", CmdbField::ip, kAll, 0},
    ColumnName{"ipaddress", CmdbField::ip, kAll, 0},
    ColumnName{"ipaddresses", CmdbField::ip, kAll, 0},
    ColumnName{"ipaddr", CmdbField::ip, kAll, 0},
    ColumnName{"ipv4", CmdbField::ip, kAll, 0},
    ColumnName{"ipv6", CmdbField::ip, kAll, 0},
    ColumnName{"primaryip", CmdbField::ip, kDevices, 0},
    ColumnName{"primaryip4", CmdbField::ip, kDevices, 0},
    ColumnName{"primaryip6", CmdbField::ip, kDevices, 0},
    ColumnName{"primaryipv4", CmdbField::ip, kDevices, 0},
    ColumnName{"primaryipv6", CmdbField::ip, kDevices, 0},
    ColumnName{"ipv4address", CmdbField::ip, kDevices, 0},
    ColumnName{"ipv6address", CmdbField::ip, kDevices, 0},
    ColumnName{"oobip", CmdbField::ip, kDevices, 0},
    ColumnName{"managementip", CmdbField::ip, kDevices, 0},
    // Host name: NetBox and ServiceNow name ("Name"), generic hostname.
    ColumnName{"hostname", CmdbField::hostname, kDevices, 0},
    ColumnName{"host", CmdbField::hostname, kDevices, 1},
    ColumnName{"fqdn", CmdbField::hostname, kDevices, 1},
    ColumnName{"dnsname", CmdbField::hostname, kDevices, 1},
    ColumnName{"name", CmdbField::hostname, kDevices, 2},
    ColumnName{"devicename", CmdbField::hostname, kDevices, 2},
    ColumnName{"computername", CmdbField::hostname, kDevices, 2},
    // Serial: NetBox serial ("Serial number"), ServiceNow serial_number ("Serial number"), generic serial.
    ColumnName{"serial", CmdbField::serial, kDevices, 0},
    ColumnName{"serialnumber", CmdbField::serial, kDevices, 0},
    ColumnName{"serialno", CmdbField::serial, kDevices, 0},
    // Asset tag: NetBox asset_tag ("Asset tag"), ServiceNow asset_tag, generic asset_tag.
    ColumnName{"assettag", CmdbField::asset_tag, kDevices, 0},
    ColumnName{"assetnumber", CmdbField::asset_tag, kDevices, 1},
    ColumnName{"inventorynumber", CmdbField::asset_tag, kDevices, 1},
    // Maker: NetBox manufacturer (the device type's; "Manufacturer"), its API path device_type.manufacturer,
    // ServiceNow manufacturer (a display value), generic manufacturer.
    ColumnName{"manufacturer", CmdbField::manufacturer, kDevices, 0},
    ColumnName{"devicetypemanufacturer", CmdbField::manufacturer, kDevices, 0},
    ColumnName{"vendor", CmdbField::manufacturer, kDevices, 1},
    ColumnName{"make", CmdbField::manufacturer, kDevices, 1},
    // Model: generic model, ServiceNow model_id ("Model ID", a display value), NetBox device_type (the
    // model; "Type" in the device table), ServiceNow model_number.
    ColumnName{"model", CmdbField::model, kDevices, 0},
    ColumnName{"modelid", CmdbField::model, kDevices, 1},
    ColumnName{"devicetype", CmdbField::model, kDevices, 1},
    ColumnName{"devicetypemodel", CmdbField::model, kDevices, 1},
    ColumnName{"type", CmdbField::model, kNetBoxDevices, 2},
    ColumnName{"modelname", CmdbField::model, kDevices, 2},
    ColumnName{"modelnumber", CmdbField::model, kDevices, 3},
    // Firmware: generic firmware; ServiceNow network gear firmware_version.
    ColumnName{"firmware", CmdbField::firmware, kDevices, 0},
    ColumnName{"firmwareversion", CmdbField::firmware, kDevices, 0},
    ColumnName{"fwversion", CmdbField::firmware, kDevices, 0},
    // Owner: generic owner; ServiceNow owned_by, managed_by, assigned_to; NetBox tenant.
    ColumnName{"owner", CmdbField::owner, kDevices, 0},
    ColumnName{"ownedby", CmdbField::owner, kDevices, 1},
    ColumnName{"managedby", CmdbField::owner, kDevices, 2},
    ColumnName{"assignedto", CmdbField::owner, kDevices, 3},
    ColumnName{"department", CmdbField::owner, kDevices, 3},
    ColumnName{"tenant", CmdbField::owner, kDevices, 4},
    // Location: NetBox location and site, ServiceNow location, generic location.
    ColumnName{"location", CmdbField::location, kDevices, 0},
    ColumnName{"room", CmdbField::location, kDevices, 1},
    ColumnName{"site", CmdbField::site, kDevices, 0},
    // Status: NetBox status, ServiceNow install_status ("Install Status" or "Status") and
    // operational_status.
    ColumnName{"status", CmdbField::status, kDevices, 0},
    ColumnName{"installstatus", CmdbField::status, kDevices, 0},
    ColumnName{"operationalstatus", CmdbField::status, kDevices, 1},
    // When the CMDB last saw the device: generic last_seen, ServiceNow last_discovered ("Most recent
    // discovery").
    ColumnName{"lastseen", CmdbField::last_seen, kDevices, 0},
    ColumnName{"lastdiscovered", CmdbField::last_seen, kDevices, 1},
    ColumnName{"mostrecentdiscovery", CmdbField::last_seen, kDevices, 1},
    // Interface and MAC-address exports: the device (NetBox device / "Device"; the MAC table's "Parent";
    // virtual_machine for a VM's interface), the interface (name / interface / assigned_object), is_primary.
    ColumnName{"device", CmdbField::device, kInterfaces, 0},
    ColumnName{"parent", CmdbField::device, kInterfaces, 1},
    ColumnName{"devicevm", CmdbField::device, kInterfaces, 1},
    ColumnName{"virtualmachine", CmdbField::device, kInterfaces, 2},
    ColumnName{"interface", CmdbField::interface, kInterfaces, 0},
    ColumnName{"name", CmdbField::interface, kInterfaces, 1},
    ColumnName{"assignedobject", CmdbField::interface, kInterfaces, 1},
    ColumnName{"isprimary", CmdbField::is_primary, kInterfaces, 0},
    ColumnName{"primary", CmdbField::is_primary, kInterfaces, 1},
};

// Columns that only a given export has, by which its format is told.
constexpr std::array kServiceNowMarkers{"modelid"sv,       "installstatus"sv,     "sysid"sv,
                                        "sysclassname"sv,  "operationalstatus"sv, "mostrecentdiscovery"sv,
                                        "lastdiscovered"sv};
constexpr std::array kNetBoxDeviceMarkers{
    "devicetype"sv, "role"sv,       "devicerole"sv,     "site"sv,        "rack"sv,     "primaryip"sv,
    "primaryip4"sv, "primaryip6"sv, "ipv4address"sv,    "ipv6address"sv, "platform"sv, "tenant"sv,
    "face"sv,       "airflow"sv,    "virtualchassis"sv, "cluster"sv,     "oobip"sv};
constexpr std::array kMacNames{"mac"sv, "macaddress"sv, "macaddr"sv, "macaddresses"sv};
constexpr std::array kDeviceNames{"device"sv, "parent"sv, "devicevm"sv, "virtualmachine"sv};

template <std::size_t N>
bool has_any(const std::set<std::string, std::less<>>& headers, const std::array<std::string_view, N>& names) {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return headers.contains(n); });
}

CmdbFormat detect_format(const std::set<std::string, std::less<>>& h) {
  const bool mac = has_any(h, kMacNames), device = has_any(h, kDeviceNames);
  // NetBox 4.2 MAC addresses: mac_address with is_primary or its assignment (device/interface).
  if (mac && (h.contains("isprimary") || h.contains("assignedobject") || h.contains("assignedobjecttype") ||
              (device && h.contains("interface")))) {
    return CmdbFormat::netbox_mac_address;
  }
  if (mac && device && h.contains("name")) return CmdbFormat::netbox_interface;
  if (has_any(h, kServiceNowMarkers)) return CmdbFormat::servicenow_ci;
  if (has_any(h, kNetBoxDeviceMarkers)) return CmdbFormat::netbox_device;
  return CmdbFormat::generic;
}

bool is_interface_format(CmdbFormat f) {
  return f == CmdbFormat::netbox_interface || f == CmdbFormat::netbox_mac_address;
}

unsigned scope_of(CmdbFormat f) {
  if (is_interface_format(f)) return kInterfaces;
  return f == CmdbFormat::netbox_device ? (kDevices | kNetBoxDevices) : kDevices;
}

struct MappedColumn {
  std::size_t index;
  CmdbField field;
  int rank;
};

std::vector<MappedColumn> map_columns(const std::vector<std::string>& header, CmdbFormat format,
                                      std::vector<CmdbColumn>& columns) {
  std::vector<MappedColumn> mapped;
  const unsigned scope = scope_of(format);
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string key = normalized_header(header[i]);
    const auto it = std::find_if(kColumns.begin(), kColumns.end(),
                                 [&](const ColumnName& c) { return c.name == key && (c.scope & scope) != 0; });
    columns.push_back({header[i], std::nullopt});
    if (it == kColumns.end()) continue;
    columns.back().field = it->field;
    mapped.push_back({i, it->field, it->rank});
  }
  // Lowest rank first, then column order: the first non-empty value of a field is the one kept.
  std::stable_sort(mapped.begin(), mapped.end(),
                   [](const MappedColumn& a, const MappedColumn& b) { return a.rank < b.rank; });
  return mapped;
}

bool maps(const std::vector<MappedColumn>& mapped, CmdbField field) {
  return std::any_of(mapped.begin(), mapped.end(), [&](const MappedColumn& m) { return m.field == field; });
}

std::string unmapped_list(const std::vector<CmdbColumn>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (c.field) continue;
    if (!out.empty()) out += ", ";
    out += c.header.empty() ? "(empty)" : "'" + c.header + "'";
  }
  return out.empty() ? "(none)" : out;
}

void check_usable(std::string_view source, CmdbFormat format, const std::vector<MappedColumn>& mapped,
                  const std::vector<CmdbColumn>& columns, const std::set<std::string, std::less<>>& headers) {
  if (is_interface_format(format)) return;  // detected by its MAC column
  if (headers.contains("device") && headers.contains("name") && !has_any(headers, kNetBoxDeviceMarkers)) {
    throw CmdbError(std::string(source) +
                    ": an interface export (device, name) without a MAC address column: nothing to match devices by");
  }
  for (CmdbField f : {CmdbField::mac, CmdbField::ip, CmdbField::hostname, CmdbField::serial}) {
    if (maps(mapped, f)) return;
  }
  throw CmdbError(std::string(source) +
                  ": no column to match devices by (a MAC address, IP address, host name or serial number); "
                  "columns not understood: " +
                  unmapped_list(columns));
}

bool has_display_names(const std::vector<std::string>& header) {
  return std::any_of(header.begin(), header.end(), [](const std::string& h) {
    return std::any_of(h.begin(), h.end(),
                       [](char c) { return c == ' ' || std::isupper(static_cast<unsigned char>(c)); });
  });
}

// ---- rows → entries --------------------------------------------------------------------------------------

class RowReader {
 public:
  RowReader(CmdbFile& file, const std::vector<MappedColumn>& mapped) : file_(file), mapped_(mapped) {}

  // The first non-placeholder value of `field`, as written (trimmed).
  std::string value(const CsvRow& row, CmdbField field) const {
    for (const auto& m : mapped_) {
      if (m.field == field && !is_placeholder(row.fields[m.index])) return std::string(trim(row.fields[m.index]));
    }
    return {};
  }

  // Every value of a list field (MACs, IPs): cells may hold several, separated by commas, semicolons,
  // spaces or line breaks.
  std::vector<std::string> values(const CsvRow& row, CmdbField field) const {
    std::vector<std::string> out;
    for (const auto& m : mapped_) {
      if (m.field != field || is_placeholder(row.fields[m.index])) continue;
      std::string item;
      for (char c : row.fields[m.index] + ",") {
        if (c == ',' || c == ';' || c == '|' || std::isspace(static_cast<unsigned char>(c)) != 0) {
          if (!item.empty()) out.push_back(std::move(item));
          item.clear();
        } else {
          item += c;
        }
      }
    }
    return out;
  }

  std::vector<std::string> ips(const CsvRow& row) {
    std::vector<std::string> out;
    for (const auto& text : values(row, CmdbField::ip)) {
      if (const auto ip = normalize_ip(text)) {
        add_unique(out, *ip);
      } else {
        warn(row.line, "'" + text + "' is not an IP address");
      }
    }
    return out;
  }

  std::vector<std::string> macs(const CsvRow& row) {
    std::vector<std::string> out;
    for (const auto& text : values(row, CmdbField::mac)) {
      if (const auto mac = normalize_mac(text)) {
        add_unique(out, *mac);
      } else {
        warn(row.line, "'" + text + "' is not a MAC address");
      }
    }
    return out;
  }

  void warn(std::size_t line, const std::string& what) {
    if (file_.warnings.size() < kCmdbMaxWarnings) {
      file_.warnings.push_back("line " + std::to_string(line) + ": " + what);
    } else {
      ++file_.warnings_dropped;
    }
  }

  static void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  }

 private:
  CmdbFile& file_;
  const std::vector<MappedColumn>& mapped_;
};

// A name that is an address (some CMDBs name devices by IP) is an address, not a host name.
void set_name(CmdbEntry& e, std::string name) {
  e.name = std::move(name);
  if (const auto ip = normalize_ip(e.name)) {
    RowReader::add_unique(e.ips, *ip);
  } else {
    e.hostname = normalize_hostname(e.name);
  }
}

CmdbEntry entry_of(const CsvRow& row, const CmdbFile& file) {
  CmdbEntry e;
  e.source = file.source;
  e.line = row.line;
  e.format = file.format;
  return e;
}

std::optional<CmdbEntry> device_entry(const CsvRow& row, RowReader& r, const CmdbFile& file) {
  CmdbEntry e = entry_of(row, file);
  set_name(e, r.value(row, CmdbField::hostname));
  for (const auto& ip : r.ips(row)) RowReader::add_unique(e.ips, ip);
  for (const auto& mac : r.macs(row)) e.macs.push_back({mac, "", file.source, row.line, false});
  e.serial = r.value(row, CmdbField::serial);
  if (is_placeholder_serial(e.serial)) e.serial.clear();
  e.asset_tag = r.value(row, CmdbField::asset_tag);
  e.manufacturer = r.value(row, CmdbField::manufacturer);
  e.model = r.value(row, CmdbField::model);
  e.firmware = r.value(row, CmdbField::firmware);
  e.owner = r.value(row, CmdbField::owner);
  e.location = r.value(row, CmdbField::location);
  e.site = r.value(row, CmdbField::site);
  e.status = r.value(row, CmdbField::status);
  e.last_seen = r.value(row, CmdbField::last_seen);
  if (e.macs.empty() && e.ips.empty() && e.hostname.empty() && e.serial.empty()) return std::nullopt;
  return e;
}

bool truthy(std::string_view v) {
  const std::string n = alnum_lower(v);
  return n == "true" || n == "yes" || n == "1" || n == "y" || n == "x" || n == "primary";
}

std::optional<CmdbEntry> interface_entry(const CsvRow& row, RowReader& r, const CmdbFile& file) {
  CmdbEntry e = entry_of(row, file);
  set_name(e, r.value(row, CmdbField::device));
  const std::string interface = r.value(row, CmdbField::interface);
  const bool primary = truthy(r.value(row, CmdbField::is_primary));
  for (const auto& mac : r.macs(row)) e.macs.push_back({mac, interface, file.source, row.line, primary});
  for (const auto& ip : r.ips(row)) RowReader::add_unique(e.ips, ip);
  if (e.macs.empty()) return std::nullopt;
  return e;
}

// ---- joining files ---------------------------------------------------------------------------------------

void add_mac(CmdbEntry& into, const CmdbMac& mac) {
  const bool known =
      std::any_of(into.macs.begin(), into.macs.end(), [&](const CmdbMac& m) { return m.address == mac.address; });
  if (!known) into.macs.push_back(mac);
}

void absorb(CmdbEntry& device, const CmdbEntry& interface_row) {
  for (const auto& mac : interface_row.macs) add_mac(device, mac);
  for (const auto& ip : interface_row.ips) RowReader::add_unique(device.ips, ip);
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw CmdbError(path + ": no such file");
  if (!std::filesystem::is_regular_file(status)) throw CmdbError(path + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw CmdbError(path + ": cannot read: " + ec.message());
  if (size > kCmdbMaxFileBytes) {
    throw CmdbError(path + ": " + std::to_string(size >> 20) + " MiB, larger than " +
                    std::to_string(kCmdbMaxFileBytes >> 20) + " MiB (the limit of a CMDB file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CmdbError(path + ": cannot open");
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw CmdbError(path + ": cannot read (changed while read?)");
  return text;
}

}  // namespace

ParsedCmdbFile parse_cmdb_csv(std::string_view text, std::string_view source) {
  const CsvTable table = read_csv(text, source);
  std::set<std::string, std::less<>> headers;
  for (const auto& h : table.header) headers.insert(normalized_header(h));
  ParsedCmdbFile out;
  CmdbFile& file = out.file;
  file.source = std::string(source);
  file.format = detect_format(headers);
  file.display_names = has_display_names(table.header);
  file.delimiter = table.delimiter;
  const auto mapped = map_columns(table.header, file.format, file.columns);
  check_usable(source, file.format, mapped, file.columns, headers);
  RowReader reader(file, mapped);
  const bool interfaces = is_interface_format(file.format);
  for (const auto& row : table.rows) {
    ++file.rows;
    auto entry = interfaces ? interface_entry(row, reader, file) : device_entry(row, reader, file);
    if (entry) {
      out.entries.push_back(std::move(*entry));
    } else {
      ++file.rows_skipped;
    }
  }
  return out;
}

Cmdb merge_cmdb_files(std::vector<ParsedCmdbFile> files) {
  Cmdb cmdb;
  std::vector<CmdbEntry> interface_rows;
  for (auto& f : files) {
    const bool interfaces = is_interface_format(f.file.format);
    auto& into = interfaces ? interface_rows : cmdb.entries;
    std::move(f.entries.begin(), f.entries.end(), std::back_inserter(into));
    cmdb.files.push_back(std::move(f.file));
  }
  std::multimap<std::string, std::size_t, std::less<>> devices_by_name;
  for (std::size_t i = 0; i < cmdb.entries.size(); ++i) {
    if (!cmdb.entries[i].hostname.empty()) devices_by_name.emplace(cmdb.entries[i].hostname, i);
  }
  std::map<std::string, std::size_t, std::less<>> interface_only;  // device name → its new entry
  for (auto& row : interface_rows) {
    const auto [first, last] = devices_by_name.equal_range(row.hostname);
    if (!row.hostname.empty() && first != last) {
      for (auto it = first; it != last; ++it) absorb(cmdb.entries[it->second], row);
    } else if (const auto known = interface_only.find(row.hostname);
               !row.hostname.empty() && known != interface_only.end()) {
      absorb(cmdb.entries[known->second], row);
    } else {
      if (!row.hostname.empty()) interface_only.emplace(row.hostname, cmdb.entries.size());
      cmdb.entries.push_back(std::move(row));
    }
  }
  return cmdb;
}

Cmdb read_cmdb_files(const std::vector<std::string>& paths) {
  std::vector<ParsedCmdbFile> parsed;
  for (const auto& path : paths) parsed.push_back(parse_cmdb_csv(read_file(path), path));
  return merge_cmdb_files(std::move(parsed));
}

}  // namespace ww
