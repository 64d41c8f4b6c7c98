// The CMDB comparison (docs/reports.md, "CMDB comparison"): the devices seen on the wire against the CSV
// exports a hospital's CMDB gives — NetBox device, interface (≤ 4.1) and MAC-address (4.2+) exports and
// their UI table exports, ServiceNow cmdb_ci / cmdb_ci_hardware exports, and a documented generic CSV.
// Each seen device is managed, unmanaged or mismatched; each CMDB entry not seen recently is stale.
//
// A pure library: reading the files (`--cmdb FILE`, repeatable) and writing the result are the CLI's and
// the report formats'. Bad input is a CmdbError with one line naming the file (and the line in it); a
// file beyond a limit below is refused whole, never read in part.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/inventory.hpp"

namespace ww {

class CmdbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Limits on one CMDB file. A hospital CMDB holds tens of thousands of devices; an export of a million rows
// is far beyond any, and reading one stays within a few times the file's size in memory.
inline constexpr std::uint64_t kCmdbMaxFileBytes = 256ULL << 20;  // 256 MiB
inline constexpr std::size_t kCmdbMaxRows = 1'000'000;            // data rows, after the header row
inline constexpr std::size_t kCmdbMaxColumns = 256;
inline constexpr std::size_t kCmdbMaxFieldBytes = 64 * 1024;  // one cell, after unquoting
inline constexpr std::size_t kCmdbMaxWarnings = 50;           // kept per file; the rest are counted

// ---- CSV (RFC 4180) ------------------------------------------------------------------------------------

struct CsvRow {
  std::size_t line = 0;  // where the row starts in the file (the first line is 1)
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;  // the first row, each name trimmed of spaces
  std::vector<CsvRow> rows;         // the data rows; blank lines are skipped
  char delimiter = ',';
};

// RFC 4180: fields separated by commas (or semicolons, as Excel writes CSV where the decimal mark is a
// comma: chosen when the header row has no comma outside quotes but a semicolon), quoted fields holding
// delimiters, line breaks and doubled quotes, CRLF or LF line ends, a UTF-8 byte order mark at the start.
// A data row shorter than the header is padded with empty fields. Throws CmdbError naming `source` and the
// line for: a quoted field never closed, a character after a closing quote, a quote inside an unquoted
// field, a row longer than the header, control bytes (binary data, not text), UTF-16 text, an empty file,
// and any of the limits above.
CsvTable read_csv(std::string_view text, std::string_view source);

// ---- normalisation ---------------------------------------------------------------------------------------

// aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff (Cisco), aabbcc-ddeeff (HP) or aabbccddeeff → the
// lower-case colon form; nullopt for anything else, and for 00:00:00:00:00:00.
std::optional<std::string> normalize_mac(std::string_view text);
// An IPv4 or IPv6 address, with or without a /prefix length (NetBox writes 10.0.0.5/24) or [brackets], in
// its canonical text (fd77::10); nullopt for anything else.
std::optional<std::string> normalize_ip(std::string_view text);
// Lower case, without a trailing dot or a NetBIOS suffix (NAME<20>); "" for an empty name.
std::string normalize_hostname(std::string_view text);
// Two normalised names denote one host: equal, or equal first labels when at least one of them is a bare
// name ("pacs1" = "pacs1.genhosp.local"; "pacs1.a.org" ≠ "pacs1.b.org").
bool hostnames_match(std::string_view a, std::string_view b);
// A CSV header reduced for matching: lower case, letters and digits only ("Serial Number" = serial_number
// = serial-number = "serial.number").
std::string normalized_header(std::string_view header);

// What the comparison takes as "the same" (only ever asked when both sides have a value):
// models by normalised containment — case, spaces and punctuation ignored, one inside the other
// ("Revolution CT" = "GE Revolution CT 64", "MX450" = "IntelliVue MX450");
bool same_model(std::string_view a, std::string_view b);
// A model name without its maker's name in front ("HP LaserJet M507" with maker "Hewlett Packard" →
// "LaserJet M507"; makers compared as same_maker() does); the name unchanged when it does not start so.
// The comparison compares models this way too, so that "HP LaserJet M507" = "LaserJet M507dn".
std::string model_without_maker(std::string_view model, std::string_view maker);
// serial numbers equal ignoring case, spaces and punctuation ("CT-SN-000777" = "ct sn 000777");
bool same_serial(std::string_view a, std::string_view b);
// firmware versions equal ignoring case and punctuation, or with the same numbers, or the numbers of one
// (two at least) standing together in the other ("8.01" = "Spectrum 8.01" = "v8.01"; "22.1" =
// "revo_ct_22.1"; "8.1" ≠ "8.2"; "4.0.3" ≠ "14.0.3").
bool same_firmware(std::string_view a, std::string_view b);
// Placeholder serials that name no device (SMBIOS defaults such as "To Be Filled By O.E.M.", "N/A", all
// zeros): never matched on, never compared.
bool is_placeholder_serial(std::string_view serial);

// ---- CMDB files ----------------------------------------------------------------------------------------

enum class CmdbFormat {
  netbox_device,       // NetBox devices (import/export field names or the device table's display names)
  netbox_interface,    // NetBox interfaces ≤ 4.1: device, name, mac_address
  netbox_mac_address,  // NetBox 4.2+ MAC addresses: mac_address, device, interface, is_primary
  servicenow_ci,       // ServiceNow cmdb_ci / cmdb_ci_hardware (field names or display names)
  generic,             // docs/reports.md: mac, ip, hostname, serial, asset_tag, manufacturer, model, ...
};
std::string_view cmdb_format_name(CmdbFormat format);  // "netbox-device", ..., "generic"

enum class CmdbField {
  mac,
  ip,
  hostname,
  serial,
  asset_tag,
  manufacturer,
  model,
  firmware,
  owner,
  location,
  site,
  status,
  last_seen,
  device,
  interface,
  is_primary,  // interface and MAC-address exports
};
std::string_view cmdb_field_name(CmdbField field);  // "mac", "ip", "hostname", ...

struct CmdbColumn {
  std::string header;              // as written
  std::optional<CmdbField> field;  // nullopt: not used (listed so that a reader sees what was ignored)
};

// A MAC address the CMDB lists, with where it was written.
struct CmdbMac {
  std::string address;    // normalised
  std::string interface;  // from interface and MAC-address exports ("" otherwise)
  std::string source;
  std::size_t line = 0;
  bool primary = false;  // NetBox 4.2 is_primary
};

// One device the CMDB lists.
struct CmdbEntry {
  std::string source;    // the file it came from
  std::size_t line = 0;  // its row's line in that file (the header row is line 1)
  CmdbFormat format = CmdbFormat::generic;
  std::string name;              // as written: NetBox device name, ServiceNow name, generic hostname
  std::string hostname;          // `name` normalised ("" when the name is empty or an IP address, which goes to ips)
  std::vector<CmdbMac> macs;     // its own column's, and those of interface/MAC-address exports for it
  std::vector<std::string> ips;  // normalised
  // As written; "" when the export has no such column or the cell is empty or a placeholder (-, N/A, ...).
  std::string serial, asset_tag, manufacturer, model, firmware, owner, location, site, status, last_seen;
};

struct CmdbFile {
  std::string source;
  CmdbFormat format = CmdbFormat::generic;
  bool display_names = false;  // headers as a UI shows them ("Serial number") rather than field names
  char delimiter = ',';
  std::vector<CmdbColumn> columns;
  std::size_t rows = 0;               // data rows
  std::size_t rows_skipped = 0;       // rows with nothing to match by (no MAC, IP, name or serial)
  std::vector<std::string> warnings;  // "line 7: 'zz-01' is not a MAC address"; at most kCmdbMaxWarnings
  std::size_t warnings_dropped = 0;
};

struct ParsedCmdbFile {
  CmdbFile file;
  // Device exports: one entry per row. Interface and MAC-address exports: one entry per row with the device
  // name and that MAC, which merge_cmdb_files() attaches to the device of that name.
  std::vector<CmdbEntry> entries;
};

// Detects the format from the header row and maps the columns (docs/reports.md has the table). Throws
// CmdbError for CSV errors (read_csv), for a header with no column to match by (naming the file and
// listing the columns it could not map), and for an interface export without a MAC column.
ParsedCmdbFile parse_cmdb_csv(std::string_view text, std::string_view source);

struct Cmdb {
  std::vector<CmdbFile> files;
  std::vector<CmdbEntry> entries;  // device exports' entries in file and row order, then devices known only
                                   // from interface or MAC-address exports
};

// Joins parsed files: the MACs of interface and MAC-address rows go to every device entry of any file whose
// name is the row's device name (case-insensitive); the rows of a device that no device export lists become
// one entry per device name (a row without a device name, one entry of its own).
Cmdb merge_cmdb_files(std::vector<ParsedCmdbFile> files);
// Reads each path (a regular file of at most kCmdbMaxFileBytes), parses and merges them. Throws CmdbError.
Cmdb read_cmdb_files(const std::vector<std::string>& paths);

// ---- the comparison --------------------------------------------------------------------------------------

enum class Management { managed, unmanaged, mismatched };
std::string_view management_name(Management m);  // "managed", "unmanaged", "mismatched"

// The keys a CMDB entry is matched by, strongest first: a MAC names one network card, a serial one device,
// a host name or an address only what holds it today.
enum class MatchKind { mac, serial, hostname, ip };
inline constexpr std::array kMatchKinds{MatchKind::mac, MatchKind::serial, MatchKind::hostname, MatchKind::ip};
std::string_view match_kind_name(MatchKind k);  // "mac", "serial", "hostname", "ip"

struct CmdbMatch {
  const CmdbEntry* entry = nullptr;
  MatchKind by = MatchKind::mac;
  std::string cmdb_value, wire_value;  // what matched, on each side ("pacs1" / "pacs1.genhosp.local")
};

// An attribute on which the wire and a CMDB entry disagree; both values as written.
struct CmdbMismatch {
  std::string attribute;  // "vendor", "model", "serial", "firmware"
  std::string wire, cmdb;
  const CmdbEntry* entry = nullptr;  // the entry that says `cmdb`
};

struct AssetCmdbResult {
  const AssetView* asset = nullptr;
  Management management = Management::unmanaged;
  // The entry the device is compared with: of the entries matching it, the one with the strongest key,
  // then the first in file order.
  std::optional<CmdbMatch> match;
  // Further entries naming the same device (listed in two exports, or a duplicate row): matched, not stale.
  std::vector<CmdbMatch> also_listed;
  // Against every matched entry (match, then also_listed): vendor (the classified maker, never the network
  // card's OUI organisation), model, serial, firmware; only where both sides have a value and they differ
  // after normalisation. Any mismatch makes the device `mismatched`.
  std::vector<CmdbMismatch> mismatches;
  // Entries whose key matched this device and others alike, so that none was chosen (see AmbiguousEntry).
  std::vector<const CmdbEntry*> ambiguous;
};

// A CMDB entry whose strongest key matching anything matched several devices (one host name on two
// devices, one IP address held by two), and no weaker key of it singled one of them out: reported, never
// guessed. Not stale: something that answers to it was seen.
struct AmbiguousEntry {
  const CmdbEntry* entry = nullptr;
  MatchKind by = MatchKind::hostname;
  std::vector<const AssetView*> devices;
};

enum class StaleReason {
  not_seen,           // no seen device matches it
  not_seen_recently,  // its device was last seen before the cutoff
};
std::string_view stale_reason_name(StaleReason r);  // "not-seen", "not-seen-recently"

struct StaleEntry {
  const CmdbEntry* entry = nullptr;
  StaleReason reason = StaleReason::not_seen;
  const AssetView* device = nullptr;  // not_seen_recently: the matched device (the one seen last)
  std::int64_t last_seen_us = 0;      // not_seen_recently: when that device was last seen
};

struct CmdbCounts {
  std::size_t devices = 0, managed = 0, unmanaged = 0, mismatched = 0;
  std::array<std::size_t, kMatchKinds.size()> matched_by{};  // devices (managed + mismatched) per MatchKind
  std::size_t entries = 0, matched_entries = 0, stale = 0, ambiguous = 0;
};

struct CmdbComparison {
  std::vector<AssetCmdbResult> assets;  // one per device, in the inventory's order
  std::vector<StaleEntry> stale;        // in the CMDB's order
  std::vector<AmbiguousEntry> ambiguous;
  CmdbCounts counts;
  std::int64_t stale_cutoff_us = 0;  // now − stale_days
  // The inventory holds traffic from before the cutoff (its first packet, else its first device's). When false, "not
  // seen" means only "not seen in the (shorter) time the inventory covers": a report should say so.
  bool covers_stale_window = false;
};

struct CmdbOptions {
  std::int64_t now_us = 0;  // "now" (µs since the epoch): the report's time
  int stale_days = 30;      // --stale-days; below 0 counts as 0
};

// Matching, per CMDB entry, key kind by key kind (MatchKind order):
//  - mac: each MAC the entry lists matches the device with that MAC; an entry with several MACs may match
//    several devices (a device with two network cards is two devices on the wire), one per MAC;
//  - serial, hostname, ip: a key matching exactly one device matches it; matching several is ambiguous, and
//    a weaker key may then only choose among those devices (it settles the ambiguity, never overrides it);
//  - the first kind that matches decides: an entry whose MAC matches device A is not matched to device B by
//    its host name.
// Stale, exactly: an entry that matches no device and is not ambiguous (not_seen), or whose matched devices
// were all last seen before now − stale_days (not_seen_recently).
// The result points into `inv` and `cmdb`, which must outlive it.
CmdbComparison compare_with_cmdb(const Inventory& inv, const Cmdb& cmdb, const CmdbOptions& options);

}  // namespace ww
