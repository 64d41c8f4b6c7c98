// The CMDB comparison (reports/cmdb.hpp): the CSV reader and its limits, normalisation, format detection and
// column mapping of NetBox, ServiceNow and generic exports (tests/fixtures/cmdb/, which describe the
// devices of the identity lab and the hospital lab), the maker alias table, matching, mismatches, stale
// entries, and every kind of bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "fingerprints/engine/classifier.hpp"
#include "fingerprints/engine/rules.hpp"
#include "reports/cmdb.hpp"
#include "reports/maker_aliases.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

constexpr std::int64_t kDay = 86'400'000'000;

std::string fixture(const std::string& name) {
  return test::repo_file("tests/fixtures/cmdb/" + name);
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ParsedCmdbFile parse_fixture(const std::string& name) {
  return parse_cmdb_csv(file_text(fixture(name)), name);
}

// The message of the CmdbError that `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const CmdbError& e) {
    return e.what();
  }
  return "";
}

std::optional<CmdbField> field_of(const CmdbFile& f, std::string_view header) {
  for (const auto& c : f.columns) {
    if (c.header == header) return c.field;
  }
  ADD_FAILURE() << "no column " << header << " in " << f.source;
  return std::nullopt;
}

const CmdbEntry* entry_named(const Cmdb& cmdb, std::string_view name, std::string_view source = {}) {
  for (const auto& e : cmdb.entries) {
    if (e.name == name && (source.empty() || e.source == source)) return &e;
  }
  return nullptr;
}

std::vector<std::string> mac_addresses(const CmdbEntry& e) {
  std::vector<std::string> out;
  for (const auto& m : e.macs) out.push_back(m.address);
  return out;
}

// ---- CSV ---------------------------------------------------------------------------------------------

TEST(CmdbCsv, QuotesDoubledQuotesLineBreaksCrlfAndBom) {
  const std::string text =
      "\xef\xbb\xbfname , comment\r\n"
      "pacs1,\"PACS, archive\"\r\n"
      "ct1,\"says \"\"hello\"\"\"\r\n"
      "mr1,\"two\r\nlines\"\r\n"
      "\r\n"
      "us1,last";  // no line end at the end of the file
  const CsvTable t = read_csv(text, "t.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"name", "comment"}));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].fields[1], "PACS, archive");
  EXPECT_EQ(t.rows[1].fields[1], "says \"hello\"");
  EXPECT_EQ(t.rows[2].fields[1], "two\r\nlines");
  EXPECT_EQ(t.rows[0].line, 2u);
  EXPECT_EQ(t.rows[2].line, 4u);
  EXPECT_EQ(t.rows[3].line, 7u);  // after the two-line field and the blank line
  EXPECT_EQ(t.rows[3].fields[1], "last");
}

TEST(CmdbCsv, SemicolonsAsExcelWritesThemShortRowsAndLfOnly) {
  const CsvTable t = read_csv("hostname;ip;model\npump;10.0.0.7\n", "excel.csv");
  EXPECT_EQ(t.delimiter, ';');
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields, (std::vector<std::string>{"pump", "10.0.0.7", ""}));
}

TEST(CmdbCsv, BrokenQuotingNamesTheLine) {
  EXPECT_EQ(error_of([] { read_csv("name,ip\npacs,10.0.0.1\n\"ct,10.0.0.2\nmr,10.0.0.3\n", "q.csv"); }),
            "q.csv: line 3: a quoted field is never closed (unbalanced quotes)");
  EXPECT_EQ(error_of([] { read_csv("name,ip\n\"pacs\"x,10.0.0.1\n", "q.csv"); }),
            "q.csv: line 2: text after the closing quote of a field (a quote inside a quoted field must be doubled)");
  EXPECT_NE(error_of([] {
              read_csv("name,model\nmon,24\" screen\n", "q.csv");
            }).find("q.csv: line 2: a quote inside an unquoted field"),
            std::string::npos);
  EXPECT_EQ(error_of([] { read_csv("name,ip\npacs,10.0.0.1,extra\n", "q.csv"); }),
            "q.csv: line 2: 3 fields where the header has 2");
}

TEST(CmdbCsv, BinaryUtf16AndEmptyFilesAreRefused) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  EXPECT_EQ(error_of([&] { read_csv(png, "logo.png"); }), "logo.png: line 2: not a CSV file: binary data (byte 0x1a)");
  EXPECT_EQ(error_of([] { read_csv(std::string("mac,ip\n\0\0", 9), "x.csv"); }),
            "x.csv: line 2: not a CSV file: binary data (byte 0x00)");
  EXPECT_EQ(error_of([] { read_csv("\xff\xfen\0a\0m\0e\0", "utf16.csv"); }),
            "utf16.csv: UTF-16 text; export the CSV as UTF-8");
  EXPECT_EQ(error_of([] { read_csv("", "empty.csv"); }), "empty.csv: empty file: no header row");
  EXPECT_EQ(error_of([] { read_csv("\xef\xbb\xbf\r\n\r\n", "blank.csv"); }), "blank.csv: empty file: no header row");
}

TEST(CmdbCsv, LimitsAreNamed) {
  const std::string long_field = "name\n" + std::string(kCmdbMaxFieldBytes + 1, 'a') + "\n";
  EXPECT_EQ(error_of([&] { read_csv(long_field, "f.csv"); }),
            "f.csv: line 2: a field longer than 65536 bytes (the limit)");
  EXPECT_NO_THROW(read_csv("name\n" + std::string(kCmdbMaxFieldBytes, 'a') + "\n", "f.csv"));

  std::string wide;
  for (std::size_t i = 0; i <= kCmdbMaxColumns; ++i) wide += "c" + std::to_string(i) + ",";
  EXPECT_EQ(error_of([&] { read_csv(wide + "\n", "w.csv"); }), "w.csv: line 1: more than 256 columns (the limit)");

  std::string rows = "mac\n";
  rows.reserve(4 + 2 * (kCmdbMaxRows + 1));
  for (std::size_t i = 0; i < kCmdbMaxRows; ++i) rows += "a\n";
  EXPECT_EQ(read_csv(rows, "r.csv").rows.size(), kCmdbMaxRows);
  rows += "a\n";
  EXPECT_EQ(error_of([&] { read_csv(rows, "r.csv"); }), "r.csv: line 1000002: more than 1000000 data rows (the limit)");
}

TEST(CmdbCsv, FileSizeLimitIsCheckedBeforeReading) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "ww_cmdb_size";
  std::filesystem::create_directories(dir);
  const auto big = dir / "huge.csv";
  { std::ofstream(big) << "mac\n"; }
  std::filesystem::resize_file(big, kCmdbMaxFileBytes + 1);  // sparse: no disk, no memory
  EXPECT_EQ(error_of([&] { read_cmdb_files({big.string()}); }),
            big.string() + ": 256 MiB, larger than 256 MiB (the limit of a CMDB file)");
  EXPECT_EQ(error_of([&] { read_cmdb_files({(dir / "missing.csv").string()}); }),
            (dir / "missing.csv").string() + ": no such file");
  EXPECT_EQ(error_of([&] { read_cmdb_files({dir.string()}); }), dir.string() + ": not a regular file");
  std::filesystem::remove_all(dir);
}

// ---- normalisation -----------------------------------------------------------------------------------

TEST(CmdbNormalise, MacAddressesInEveryCommonForm) {
  for (const char* form : {"44:4b:5d:77:00:21", "44:4B:5D:77:00:21", "44-4B-5D-77-00-21", "444b.5d77.0021",
                           "444b5d770021", "444B5D-770021", " 44:4b:5d:77:00:21 "}) {
    EXPECT_EQ(normalize_mac(form), "44:4b:5d:77:00:21") << form;
  }
  for (const char* bad : {"", "44:4b:5d:77:00", "44:4b:5d:77:00:21:00", "44:4b-5d:77:00:21", "444b.5d77.00:21",
                          "4:4b:5d:77:00:211", "zz:4b:5d:77:00:21", "00:00:00:00:00:00", "n/a"}) {
    EXPECT_EQ(normalize_mac(bad), std::nullopt) << bad;
  }
}

TEST(CmdbNormalise, AddressesHostNamesAndHeaders) {
  EXPECT_EQ(normalize_ip("10.77.0.10/24"), "10.77.0.10");
  EXPECT_EQ(normalize_ip("FD77::10/64"), "fd77::10");
  EXPECT_EQ(normalize_ip("[fd77:0:0:0::10]"), "fd77::10");
  EXPECT_EQ(normalize_ip("10.77.0"), std::nullopt);
  EXPECT_EQ(normalize_ip("pacs1"), std::nullopt);

  EXPECT_EQ(normalize_hostname(" PACS1.GenHosp.Local. "), "pacs1.genhosp.local");
  EXPECT_EQ(normalize_hostname("RADWS01<20>"), "radws01");
  EXPECT_TRUE(hostnames_match("pacs1", "pacs1.genhosp.local"));
  EXPECT_TRUE(hostnames_match("pacs1.genhosp.local", "pacs1"));
  EXPECT_FALSE(hostnames_match("pacs1.genhosp.local", "pacs1.other.org"));
  EXPECT_FALSE(hostnames_match("pacs1", "pacs10"));
  EXPECT_FALSE(hostnames_match("", ""));

  for (const char* h : {"Serial Number", "serial_number", "serial-number", "serial.number", "SERIALNUMBER"}) {
    EXPECT_EQ(normalized_header(h), "serialnumber") << h;
  }
}

TEST(CmdbNormalise, ModelsByContainmentSerialsAndFirmware) {
  EXPECT_TRUE(same_model("Revolution CT", "GE Revolution CT 64"));
  EXPECT_TRUE(same_model("MX450", "IntelliVue MX450"));
  EXPECT_TRUE(same_model("WardSwitch-24", "wardswitch 24"));
  EXPECT_FALSE(same_model("IntelliVue MX450", "IntelliVue MX800"));
  EXPECT_FALSE(same_model("", "MX450"));
  EXPECT_EQ(model_without_maker("HP LaserJet M507", "Hewlett Packard"), "LaserJet M507");
  EXPECT_EQ(model_without_maker("GE Healthcare Revolution CT", "GE Medical Systems"), "Revolution CT");
  EXPECT_EQ(model_without_maker("LaserJet M507", "HP"), "LaserJet M507");
  EXPECT_EQ(model_without_maker("HP", "HP"), "HP");  // never the whole name

  EXPECT_TRUE(same_serial("CT-SN-000777", "ct sn 000777"));
  EXPECT_FALSE(same_serial("175512", "175513"));
  for (const char* p : {"To Be Filled By O.E.M.", "Default string", "N/A", "0000000", "", "System Serial Number"}) {
    EXPECT_TRUE(is_placeholder_serial(p)) << p;
  }
  EXPECT_FALSE(is_placeholder_serial("SN-WW-0003"));

  EXPECT_TRUE(same_firmware("8.01", "Spectrum 8.01"));
  EXPECT_TRUE(same_firmware("v8.01", "8.01"));
  EXPECT_TRUE(same_firmware("FW-4.0.3", "4.0.3"));
  EXPECT_TRUE(same_firmware("22.1", "revo_ct_22.1"));
  EXPECT_FALSE(same_firmware("8.1", "8.2"));
  EXPECT_FALSE(same_firmware("4.0.3", "14.0.3"));
  EXPECT_FALSE(same_firmware("FW-4.0.3", "FW-4.0.2"));
}

// ---- the maker alias table -----------------------------------------------------------------------------

TEST(CmdbMakers, NamingDifferencesAreOneMaker) {
  const std::vector<std::vector<const char*>> same = {
      {"HP", "Hewlett Packard", "Hewlett-Packard", "HP Inc.", "Hewlett Packard Enterprise"},
      {"Supermicro", "Super Micro Computer, Inc."},
      {"GE Healthcare", "GE HealthCare", "GE Medical Systems", "General Electric", "GE MEDICAL SYSTEMS"},
      {"Siemens Healthineers", "Siemens Healthcare", "Siemens Medical Solutions", "SIEMENS"},
      {"Philips", "Koninklijke Philips N.V.", "Philips Medical Systems"},
      {"Baxter", "Baxter International Inc", "Baxter Healthcare"},
      {"B. Braun", "B.Braun Melsungen AG", "B. Braun Melsungen"},
      {"Dell", "Dell Inc.", "Dell Technologies"},
      {"Cisco", "Cisco Systems, Inc"},
      {"Canon Medical Systems", "Toshiba Medical Systems"},
      {"FUJIFILM", "Fujifilm Corporation"},
      {"Mindray", "Shenzhen Mindray Bio-Medical Electronics Co., Ltd."},
      {"Drägerwerk AG & Co. KGaA", "Draeger", "Dräger", "Draeger Medical Systems"},
      {"Medtronic", "Medtronic plc"},
      {"BD", "Becton, Dickinson and Company", "Becton Dickinson", "CareFusion"},
      {"Roche", "Roche Diagnostics GmbH"},
      {"Sysmex", "Sysmex Corporation"},
      {"Abbott", "Abbott Laboratories"},
  };
  for (const auto& group : same) {
    for (const char* a : group) {
      for (const char* b : group) EXPECT_TRUE(same_maker(a, b)) << a << " = " << b;
    }
  }
}

TEST(CmdbMakers, DifferentMakersStayDifferent) {
  EXPECT_FALSE(same_maker("Philips", "Siemens Healthineers"));
  EXPECT_FALSE(same_maker("GE HealthCare", "Siemens"));
  EXPECT_FALSE(same_maker("HP", "Dell Inc."));
  EXPECT_FALSE(same_maker("Baxter", "B. Braun"));
  EXPECT_FALSE(same_maker("Abbott", "Abbottville Instruments"));  // words, never parts of words
  EXPECT_FALSE(same_maker("", ""));
  EXPECT_TRUE(same_maker("Cisco", "Cisco Meraki"));  // one name's words leading the other's
  EXPECT_EQ(normalized_maker("Super Micro Computer, Inc."), "super micro computer");
  EXPECT_EQ(normalized_maker("Drägerwerk AG & Co. KGaA"), "draegerwerk");
}

TEST(CmdbMakers, EveryGroupHasASourceAndNoNameIsInTwoGroups) {
  std::map<std::string, std::string> owner;
  for (const auto& g : maker_alias_groups()) {
    EXPECT_FALSE(g.source.empty()) << g.canonical;
    EXPECT_FALSE(g.aliases.empty()) << g.canonical;
    std::vector<std::string_view> names{g.canonical};
    names.insert(names.end(), g.aliases.begin(), g.aliases.end());
    for (std::string_view n : names) {
      std::string key = normalized_maker(n);
      std::erase(key, ' ');
      const auto [it, fresh] = owner.emplace(key, std::string(g.canonical));
      EXPECT_TRUE(fresh || it->second == g.canonical) << n << " is in " << it->second << " and " << g.canonical;
    }
  }
  EXPECT_GE(maker_alias_groups().size(), 18u);
}

// ---- formats and columns -------------------------------------------------------------------------------

TEST(CmdbFormats, NetBoxDeviceExport) {
  const ParsedCmdbFile p = parse_fixture("netbox-devices.csv");
  EXPECT_EQ(p.file.format, CmdbFormat::netbox_device);
  EXPECT_FALSE(p.file.display_names);
  EXPECT_EQ(field_of(p.file, "name"), CmdbField::hostname);
  EXPECT_EQ(field_of(p.file, "manufacturer"), CmdbField::manufacturer);
  EXPECT_EQ(field_of(p.file, "device_type"), CmdbField::model);
  EXPECT_EQ(field_of(p.file, "serial"), CmdbField::serial);
  EXPECT_EQ(field_of(p.file, "asset_tag"), CmdbField::asset_tag);
  EXPECT_EQ(field_of(p.file, "primary_ip4"), CmdbField::ip);
  EXPECT_EQ(field_of(p.file, "primary_ip6"), CmdbField::ip);
  EXPECT_EQ(field_of(p.file, "tenant"), CmdbField::owner);
  EXPECT_EQ(field_of(p.file, "site"), CmdbField::site);
  EXPECT_EQ(field_of(p.file, "role"), std::nullopt);
  EXPECT_EQ(field_of(p.file, "rack"), std::nullopt);
  ASSERT_EQ(p.entries.size(), 8u);
  const CmdbEntry& pacs = p.entries[0];
  EXPECT_EQ(pacs.name, "pacs-archive");
  EXPECT_EQ(pacs.line, 2u);
  EXPECT_EQ(pacs.ips, (std::vector<std::string>{"10.77.0.10", "fd77::10"}));  // prefix lengths stripped
  EXPECT_EQ(pacs.manufacturer, "Dell Inc.");
  EXPECT_EQ(pacs.model, "PowerEdge R740");
  EXPECT_EQ(pacs.location, "Radiology data room");
  EXPECT_EQ(p.entries[1].serial, "CT-SN-000777");
}

TEST(CmdbFormats, NetBoxInterfaceAndMacAddressExports) {
  const ParsedCmdbFile ifaces = parse_fixture("netbox-interfaces.csv");
  EXPECT_EQ(ifaces.file.format, CmdbFormat::netbox_interface);
  EXPECT_EQ(field_of(ifaces.file, "device"), CmdbField::device);
  EXPECT_EQ(field_of(ifaces.file, "name"), CmdbField::interface);
  EXPECT_EQ(field_of(ifaces.file, "mac_address"), CmdbField::mac);
  EXPECT_EQ(field_of(ifaces.file, "type"), std::nullopt);  // the interface's type, not a model
  EXPECT_EQ(ifaces.file.rows, 4u);
  EXPECT_EQ(ifaces.file.rows_skipped, 1u);  // mr-3t eth0 has no MAC
  ASSERT_EQ(ifaces.entries.size(), 3u);
  EXPECT_EQ(ifaces.entries[1].macs[0].address, "02:77:00:00:00:10");  // Cisco's dotted form
  EXPECT_EQ(ifaces.entries[1].macs[0].interface, "eno1");

  const ParsedCmdbFile macs = parse_fixture("netbox-mac-addresses.csv");
  EXPECT_EQ(macs.file.format, CmdbFormat::netbox_mac_address);
  EXPECT_EQ(field_of(macs.file, "is_primary"), CmdbField::is_primary);
  EXPECT_EQ(field_of(macs.file, "virtual_machine"), CmdbField::device);
  ASSERT_EQ(macs.entries.size(), 2u);
  EXPECT_EQ(macs.entries[0].name, "infusion-pump-07");
  EXPECT_EQ(macs.entries[0].macs[0].address, "58:46:e1:77:00:07");
  EXPECT_TRUE(macs.entries[0].macs[0].primary);
  EXPECT_EQ(macs.entries[1].name, "");  // a MAC not assigned to any device
}

TEST(CmdbFormats, NetBoxUiTableExportsWithDisplayNames) {
  const ParsedCmdbFile devices = parse_fixture("netbox-ui-devices.csv");
  EXPECT_EQ(devices.file.format, CmdbFormat::netbox_device);
  EXPECT_TRUE(devices.file.display_names);
  EXPECT_EQ(field_of(devices.file, "Name"), CmdbField::hostname);
  EXPECT_EQ(field_of(devices.file, "Type"), CmdbField::model);  // the device table's "Type" is the device type
  EXPECT_EQ(field_of(devices.file, "IP Address"), CmdbField::ip);
  EXPECT_EQ(field_of(devices.file, "Serial number"), CmdbField::serial);
  EXPECT_EQ(field_of(devices.file, "Asset tag"), CmdbField::asset_tag);
  EXPECT_EQ(field_of(devices.file, "Tenant"), CmdbField::owner);
  ASSERT_EQ(devices.entries.size(), 3u);
  EXPECT_EQ(devices.entries[0].serial, "WG-0003");
  EXPECT_EQ(devices.entries[1].model, "LaserJet M507dn");

  const ParsedCmdbFile ifaces = parse_fixture("netbox-ui-interfaces.csv");
  EXPECT_EQ(ifaces.file.format, CmdbFormat::netbox_interface);
  EXPECT_EQ(field_of(ifaces.file, "MAC Address"), CmdbField::mac);
  EXPECT_EQ(field_of(ifaces.file, "Device"), CmdbField::device);
}

TEST(CmdbFormats, ServiceNowHardwareExportWithDisplayValuesAndFieldNames) {
  const ParsedCmdbFile display = parse_fixture("servicenow-cmdb_ci_hardware.csv");  // with a UTF-8 BOM
  EXPECT_EQ(display.file.format, CmdbFormat::servicenow_ci);
  EXPECT_TRUE(display.file.display_names);
  EXPECT_EQ(field_of(display.file, "Name"), CmdbField::hostname);
  EXPECT_EQ(field_of(display.file, "Model ID"), CmdbField::model);
  EXPECT_EQ(field_of(display.file, "Install Status"), CmdbField::status);
  EXPECT_EQ(field_of(display.file, "MAC Address"), CmdbField::mac);
  EXPECT_EQ(field_of(display.file, "Owned by"), CmdbField::owner);
  ASSERT_EQ(display.entries.size(), 6u);
  EXPECT_EQ(display.entries[0].manufacturer, "Hewlett Packard");
  EXPECT_EQ(display.entries[5].status, "Retired");

  const ParsedCmdbFile fields = parse_cmdb_csv(
      "name,serial_number,asset_tag,ip_address,mac_address,manufacturer,model_id,install_status,location\n"
      "ct-scanner-1,CT-SN-000777,GH-0021,10.77.0.21,44:4b:5d:77:00:21,GE Medical Systems,Revolution CT,1,CT room 1\n",
      "cmdb_ci_hardware.csv");
  EXPECT_EQ(fields.file.format, CmdbFormat::servicenow_ci);
  EXPECT_FALSE(fields.file.display_names);
  ASSERT_EQ(fields.entries.size(), 1u);
  EXPECT_EQ(mac_addresses(fields.entries[0]), (std::vector<std::string>{"44:4b:5d:77:00:21"}));
  EXPECT_EQ(fields.entries[0].ips, (std::vector<std::string>{"10.77.0.21"}));
  EXPECT_EQ(fields.entries[0].model, "Revolution CT");
}

TEST(CmdbFormats, GenericCsv) {
  const ParsedCmdbFile p = parse_fixture("generic.csv");
  EXPECT_EQ(p.file.format, CmdbFormat::generic);
  for (const auto& [header, field] :
       std::vector<std::pair<std::string, CmdbField>>{{"mac", CmdbField::mac},
                                                      {"ip", CmdbField::ip},
                                                      {"hostname", CmdbField::hostname},
                                                      {"serial", CmdbField::serial},
                                                      {"asset_tag", CmdbField::asset_tag},
                                                      {"manufacturer", CmdbField::manufacturer},
                                                      {"model", CmdbField::model},
                                                      {"firmware", CmdbField::firmware},
                                                      {"owner", CmdbField::owner},
                                                      {"location", CmdbField::location},
                                                      {"last_seen", CmdbField::last_seen}}) {
    EXPECT_EQ(field_of(p.file, header), field) << header;
  }
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].firmware, "FW-4.0.2");
  EXPECT_EQ(p.entries[0].last_seen, "2026-11-30");
  EXPECT_EQ(mac_addresses(p.entries[1]), (std::vector<std::string>{"02:88:00:00:00:20"}));

  // Tolerant spellings; a name that is an address is an address; a cell may list several.
  const ParsedCmdbFile loose =
      parse_cmdb_csv("Host-Name;MAC.Address;IP Addr\n10.0.0.9;aa-bb-cc-dd-ee-01, AABB.CCDD.EE02;\n", "x.csv");
  EXPECT_EQ(loose.file.format, CmdbFormat::generic);
  ASSERT_EQ(loose.entries.size(), 1u);
  EXPECT_EQ(loose.entries[0].hostname, "");
  EXPECT_EQ(loose.entries[0].ips, (std::vector<std::string>{"10.0.0.9"}));
  EXPECT_EQ(mac_addresses(loose.entries[0]), (std::vector<std::string>{"aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"}));
}

TEST(CmdbFormats, InterfaceExportsJoinTheirDevicesByName) {
  std::vector<ParsedCmdbFile> files;
  for (const char* f : {"netbox-devices.csv", "netbox-interfaces.csv", "netbox-mac-addresses.csv"})
    files.push_back(parse_fixture(f));
  const Cmdb cmdb = merge_cmdb_files(std::move(files));
  ASSERT_EQ(cmdb.files.size(), 3u);
  ASSERT_EQ(cmdb.entries.size(), 9u);  // 8 devices, and the MAC assigned to none
  const CmdbEntry* pacs = entry_named(cmdb, "pacs-archive");
  ASSERT_NE(pacs, nullptr);
  EXPECT_EQ(pacs->source, "netbox-devices.csv");
  EXPECT_EQ(mac_addresses(*pacs), (std::vector<std::string>{"02:77:00:00:00:10", "02:77:00:00:0f:10"}));
  EXPECT_EQ(pacs->macs[1].interface, "idrac");
  EXPECT_EQ(pacs->macs[1].source, "netbox-interfaces.csv");
  EXPECT_EQ(pacs->macs[1].line, 4u);
  EXPECT_EQ(mac_addresses(*entry_named(cmdb, "infusion-pump-07")), (std::vector<std::string>{"58:46:e1:77:00:07"}));
  EXPECT_TRUE(entry_named(cmdb, "mr-3t")->macs.empty());
  EXPECT_EQ(cmdb.entries.back().format, CmdbFormat::netbox_mac_address);
  EXPECT_EQ(mac_addresses(cmdb.entries.back()), (std::vector<std::string>{"0a:77:00:00:00:99"}));

  // An interface export alone: one entry per device name.
  const Cmdb alone = merge_cmdb_files({parse_fixture("netbox-interfaces.csv")});
  ASSERT_EQ(alone.entries.size(), 2u);
  EXPECT_EQ(alone.entries[1].name, "pacs-archive");
  EXPECT_EQ(alone.entries[1].macs.size(), 2u);
}

// ---- bad input -------------------------------------------------------------------------------------------

TEST(CmdbBadInput, NoUsableColumnsListsThem) {
  EXPECT_EQ(error_of([] { parse_cmdb_csv("Colour,Weight (kg),,comment\nred,3,,x\n", "inventory.csv"); }),
            "inventory.csv: no column to match devices by (a MAC address, IP address, host name or serial number); "
            "columns not understood: 'Colour', 'Weight (kg)', (empty), 'comment'");
  // Asset tags and makers alone do not identify anything on the wire.
  EXPECT_NE(error_of([] {
              parse_cmdb_csv("asset_tag,manufacturer\nGH-1,HP\n", "tags.csv");
            }).find("columns not understood: (none)"),
            std::string::npos);
  // Not CSV at all, but text: YAML's first line is one column that means nothing; JSON's quotes break.
  EXPECT_NE(error_of([] {
              parse_cmdb_csv("devices:\n  - name: pacs1\n", "cmdb.yaml");
            }).find("cmdb.yaml: no column to match devices by"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_cmdb_csv("{\"devices\": []}\n", "cmdb.json");
            }).find("cmdb.json: line 1: a quote inside an unquoted field"),
            std::string::npos);
  EXPECT_EQ(error_of([] { parse_cmdb_csv("device,name,type,enabled\npacs,eth0,1000base-t,true\n", "ifaces.csv"); }),
            "ifaces.csv: an interface export (device, name) without a MAC address column: nothing to match devices by");
}

TEST(CmdbBadInput, BadValuesAreWarnedAboutAndTheRowKeptByItsOtherKeys) {
  const ParsedCmdbFile p = parse_cmdb_csv("hostname,mac,ip\npacs1,zz:01,10.0.0.300\n,,\n", "w.csv");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].hostname, "pacs1");
  EXPECT_EQ(p.file.warnings, (std::vector<std::string>{"line 2: '10.0.0.300' is not an IP address",
                                                       "line 2: 'zz:01' is not a MAC address"}));
  EXPECT_EQ(p.file.rows_skipped, 1u);
  // A header and no rows: nothing listed, not an error.
  EXPECT_TRUE(parse_cmdb_csv("mac,ip,hostname\r\n", "h.csv").entries.empty());
}

TEST(CmdbBadInput, AFileErrorNamesTheFileAndStopsTheWholeRead) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "ww_cmdb_bad";
  std::filesystem::create_directories(dir);
  const auto good = (dir / "good.csv").string(), bad = (dir / "bad.csv").string();
  { std::ofstream(good) << "mac\n02:88:00:00:00:01\n"; }
  { std::ofstream(bad) << "mac,name\n02:88:00:00:00:02,\"pacs\n"; }
  EXPECT_EQ(error_of([&] {
              read_cmdb_files({good, bad});
            }),
            bad + ": line 2: a quoted field is never closed (unbalanced quotes)");
  EXPECT_EQ(read_cmdb_files({good}).entries.size(), 1u);
  std::filesystem::remove_all(dir);
}

// ---- the comparison on hand-made inventories ---------------------------------------------------------------

AssetView device(const std::string& mac, const std::string& ip, std::int64_t last_us = 100 * kDay) {
  AssetView a;
  a.id = "mac:" + mac;
  a.mac = mac;
  a.addresses.push_back({ip, 0, 0, {}});
  a.first_us = kDay;
  a.last_us = last_us;
  return a;
}

AssetView& with_fact(AssetView& a, const std::string& key, const std::string& value) {
  a.observations.push_back({key, value, 0, 0, 1});
  return a;
}

Cmdb cmdb_of(const std::string& csv) {
  return merge_cmdb_files({parse_cmdb_csv(csv, "cmdb.csv")});
}

const CmdbOptions kNow{101 * kDay, 30};

TEST(CmdbCompare, PrecedenceMacThenSerialThenHostnameThenIp) {
  Inventory inv;
  inv.assets = {device("02:00:00:00:00:01", "10.0.0.1"), device("02:00:00:00:00:02", "10.0.0.2"),
                device("02:00:00:00:00:03", "10.0.0.3"), device("02:00:00:00:00:04", "10.0.0.4")};
  with_fact(inv.assets[0], "dhcp.hostname", "pacs1");
  with_fact(inv.assets[1], "mdns.hostname", "ct1");
  with_fact(inv.assets[2], "dicom.device_serial_number", "CT-SN-000777");
  with_fact(inv.assets[2], "dicom.station_name", "mr1");
  const Cmdb cmdb = cmdb_of(
      "hostname,mac,serial,ip\n"
      "ct1,02-00-00-00-00-01,,10.0.0.4\n"     // its MAC is device 1's: the name and address do not count
      "pacs1.genhosp.local,,ct sn 000777,\n"  // its serial is device 3's
      "CT1,,,10.0.0.4\n"                      // the name of device 2 beats the address of device 4
      ",,,10.0.0.4\n");
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, kNow);
  ASSERT_EQ(r.assets.size(), 4u);
  ASSERT_TRUE(r.assets[0].match);
  EXPECT_EQ(r.assets[0].match->entry->line, 2u);
  EXPECT_EQ(r.assets[0].match->by, MatchKind::mac);
  EXPECT_EQ(r.assets[0].match->wire_value, "02:00:00:00:00:01");
  ASSERT_TRUE(r.assets[2].match);
  EXPECT_EQ(r.assets[2].match->by, MatchKind::serial);
  EXPECT_EQ(r.assets[2].match->cmdb_value, "ct sn 000777");
  EXPECT_EQ(r.assets[2].match->wire_value, "CT-SN-000777");
  ASSERT_TRUE(r.assets[1].match);
  EXPECT_EQ(r.assets[1].match->by, MatchKind::hostname);
  EXPECT_EQ(r.assets[1].match->cmdb_value, "CT1");
  EXPECT_EQ(r.assets[1].match->wire_value, "ct1");
  ASSERT_TRUE(r.assets[3].match);
  EXPECT_EQ(r.assets[3].match->by, MatchKind::ip);
  EXPECT_EQ(r.assets[3].match->entry->line, 5u);
  EXPECT_EQ(r.counts.matched_by, (std::array<std::size_t, 4>{1, 1, 1, 1}));
  EXPECT_EQ(r.counts.managed, 4u);
  EXPECT_TRUE(r.stale.empty());
}

TEST(CmdbCompare, ANameOrAddressOnTwoDevicesIsAmbiguousUnlessAWeakerKeyChooses) {
  Inventory inv;
  inv.assets = {device("02:00:00:00:00:01", "10.0.0.1"), device("02:00:00:00:00:02", "10.0.0.2"),
                device("02:00:00:00:00:03", "10.0.0.9"), device("02:00:00:00:00:04", "10.0.0.9")};
  with_fact(inv.assets[0], "dhcp.hostname", "pacs1");
  with_fact(inv.assets[1], "dhcp.client_fqdn", "pacs1.genhosp.local");
  const Cmdb cmdb = cmdb_of(
      "hostname,ip\n"
      "pacs1,\n"            // two devices answer to pacs1: ambiguous
      "pacs1,10.0.0.2\n"    // the address chooses between them
      ",10.0.0.9\n"         // two devices hold 10.0.0.9: ambiguous
      "pacs1,10.0.0.9\n");  // the address may not pick a device the name did not find
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, kNow);
  ASSERT_EQ(r.ambiguous.size(), 3u);
  EXPECT_EQ(r.ambiguous[0].entry->line, 2u);
  EXPECT_EQ(r.ambiguous[0].by, MatchKind::hostname);
  EXPECT_EQ(r.ambiguous[0].devices, (std::vector<const AssetView*>{&inv.assets[0], &inv.assets[1]}));
  EXPECT_EQ(r.ambiguous[1].entry->line, 4u);
  EXPECT_EQ(r.ambiguous[1].by, MatchKind::ip);
  EXPECT_EQ(r.ambiguous[2].entry->line, 5u);
  EXPECT_EQ(r.ambiguous[2].by, MatchKind::hostname);
  ASSERT_TRUE(r.assets[1].match);
  EXPECT_EQ(r.assets[1].match->by, MatchKind::ip);
  EXPECT_EQ(r.assets[1].match->entry->line, 3u);
  EXPECT_FALSE(r.assets[0].match);
  EXPECT_EQ(r.assets[0].management, Management::unmanaged);
  EXPECT_EQ(r.assets[0].ambiguous.size(), 2u);
  EXPECT_EQ(r.assets[2].ambiguous.size(), 1u);
  EXPECT_TRUE(r.stale.empty());  // an ambiguous entry was seen, in a way
  EXPECT_EQ(r.counts.ambiguous, 3u);
  EXPECT_EQ(r.counts.unmanaged, 3u);
}

TEST(CmdbCompare, SeveralMacsMatchSeveralCardsAndDuplicateEntriesAreListed) {
  Inventory inv;
  inv.assets = {device("02:00:00:00:00:01", "10.0.0.1"), device("02:00:00:00:00:02", "10.0.0.2")};
  const Cmdb cmdb = cmdb_of(
      "hostname,mac\n"
      "mr1,\"02:00:00:00:00:01,02:00:00:00:00:02\"\n"  // a modality with two network cards
      "mr1-dup,02:00:00:00:00:02\n");
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, kNow);
  ASSERT_TRUE(r.assets[0].match && r.assets[1].match);
  EXPECT_EQ(r.assets[0].match->entry->line, 2u);
  EXPECT_EQ(r.assets[1].match->entry->line, 2u);
  ASSERT_EQ(r.assets[1].also_listed.size(), 1u);
  EXPECT_EQ(r.assets[1].also_listed[0].entry->name, "mr1-dup");
  EXPECT_EQ(r.counts.matched_entries, 2u);
}

TEST(CmdbCompare, MismatchesCarryBothSidesAndNamingDifferencesAreNone) {
  Inventory inv;
  inv.assets = {device("02:00:00:00:00:01", "10.0.0.1"), device("02:00:00:00:00:02", "10.0.0.2"),
                device("02:00:00:00:00:03", "10.0.0.3")};
  inv.assets[0].classification.attributes = {
      {"vendor", "Philips"}, {"model", "IntelliVue MX450"}, {"firmware", "M.00.03"}};
  with_fact(inv.assets[0], "hl7.device_serial_number", "DE12345678");
  inv.assets[1].classification.attributes = {
      {"vendor", "GE HealthCare"}, {"model", "Revolution CT"}, {"firmware", "RevoCT 2.0"}};
  inv.assets[2].classification.attributes = {{"vendor", "HP"}, {"model", "HP LaserJet M507"}};
  inv.assets[2].vendor = "Intel Corporate";  // the network card's maker is never compared
  const Cmdb cmdb = cmdb_of(
      "mac,manufacturer,model,serial,firmware\n"
      "02:00:00:00:00:01,Siemens Healthineers,IntelliVue MX800,DE87654321,M.00.04\n"
      "02:00:00:00:00:02,GE Medical Systems,GE Revolution CT 64,,2.0\n"
      "02:00:00:00:00:03,Hewlett Packard,LaserJet M507dn,,\n");
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, kNow);
  EXPECT_EQ(r.assets[0].management, Management::mismatched);
  ASSERT_EQ(r.assets[0].mismatches.size(), 4u);
  const CmdbMismatch& vendor = r.assets[0].mismatches[0];
  EXPECT_EQ(vendor.attribute, "vendor");
  EXPECT_EQ(vendor.wire, "Philips");
  EXPECT_EQ(vendor.cmdb, "Siemens Healthineers");
  EXPECT_EQ(vendor.entry->line, 2u);
  EXPECT_EQ(r.assets[0].mismatches[1].attribute, "model");
  EXPECT_EQ(r.assets[0].mismatches[2].attribute, "serial");
  EXPECT_EQ(r.assets[0].mismatches[2].wire, "DE12345678");
  EXPECT_EQ(r.assets[0].mismatches[3].attribute, "firmware");
  EXPECT_EQ(r.assets[1].management, Management::managed) << r.assets[1].mismatches.size();
  EXPECT_EQ(r.assets[2].management, Management::managed) << r.assets[2].mismatches.size();
  EXPECT_EQ(r.counts.mismatched, 1u);
  EXPECT_EQ(r.counts.managed, 2u);
}

TEST(CmdbCompare, StaleEntriesAreUnseenOrSeenTooLongAgo) {
  Inventory inv;
  inv.assets = {device("02:00:00:00:00:01", "10.0.0.1", 100 * kDay),
                device("02:00:00:00:00:02", "10.0.0.2", 60 * kDay)};
  const Cmdb cmdb = cmdb_of("mac,hostname\n02:00:00:00:00:01,fresh\n02:00:00:00:00:02,old\n02:00:00:00:00:09,gone\n");
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, {101 * kDay, 30});
  ASSERT_EQ(r.stale.size(), 2u);
  EXPECT_EQ(r.stale[0].entry->name, "old");
  EXPECT_EQ(r.stale[0].reason, StaleReason::not_seen_recently);
  EXPECT_EQ(r.stale[0].device, &inv.assets[1]);
  EXPECT_EQ(r.stale[0].last_seen_us, 60 * kDay);
  EXPECT_EQ(r.stale[1].entry->name, "gone");
  EXPECT_EQ(r.stale[1].reason, StaleReason::not_seen);
  EXPECT_EQ(r.stale_cutoff_us, 71 * kDay);
  EXPECT_TRUE(r.covers_stale_window);
  // The device itself is still managed: stale is about the entry.
  EXPECT_EQ(r.assets[1].management, Management::managed);
  EXPECT_EQ(compare_with_cmdb(inv, cmdb, {101 * kDay, 60}).stale.size(), 1u);
  EXPECT_FALSE(compare_with_cmdb(inv, cmdb, {101 * kDay, 200}).covers_stale_window);
  EXPECT_EQ(stale_reason_name(StaleReason::not_seen), "not-seen");
}

// ---- the labs' captures against exports describing them ---------------------------------------------------

Inventory classified(const std::string& pcap) {
  Inventory inv = test::run_capture(pcap);
  classify_inventory(inv, RuleSet::load_directory(test::repo_file("fingerprints/rules")));
  return inv;
}

std::int64_t newest(const Inventory& inv) {
  std::int64_t last = 0;
  for (const auto& a : inv.assets) last = std::max(last, a.last_us);
  return last;
}

const AssetCmdbResult& result_for(const CmdbComparison& r, const std::string& id) {
  for (const auto& a : r.assets) {
    if (a.asset->id == id) return a;
  }
  ADD_FAILURE() << "no device " << id;
  return r.assets.front();
}

TEST(CmdbCapture, HospitalLabAgainstNetBoxDeviceInterfaceAndMacExports) {
  const Inventory inv = classified(test::hospital_lab_pcap());
  const Cmdb cmdb = read_cmdb_files(
      {fixture("netbox-devices.csv"), fixture("netbox-interfaces.csv"), fixture("netbox-mac-addresses.csv")});
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, {newest(inv) + kDay, 30});
  struct Expect {
    const char* id;
    Management management;
    std::optional<MatchKind> by;
    const char* entry;
  };
  for (const Expect& x :
       std::vector<Expect>{{"mac:44:4b:5d:77:00:21", Management::managed, MatchKind::mac,
                            "ct-scanner-1"},  // GE HealthCare = GE Medical Systems
                           {"mac:88:4b:39:77:00:22", Management::managed, MatchKind::serial,
                            "mr-3t"},  // Siemens Healthineers = Siemens Healthcare
                           {"mac:58:46:e1:77:00:07", Management::managed, MatchKind::mac, "infusion-pump-07"},
                           {"mac:02:77:00:00:00:10", Management::managed, MatchKind::mac, "pacs-archive"},
                           {"mac:02:77:00:00:00:30", Management::managed, MatchKind::ip, "radws01"},
                           {"mac:02:77:00:00:00:40", Management::managed, MatchKind::ip, "ehr-app1"},
                           {"mac:02:77:00:00:00:50", Management::managed, MatchKind::ip, "ris"},
                           {"mac:02:77:00:00:00:02", Management::unmanaged, std::nullopt, ""},
                           {"mac:02:77:00:00:00:41", Management::unmanaged, std::nullopt, ""}}) {
    const AssetCmdbResult& a = result_for(r, x.id);
    EXPECT_EQ(a.management, x.management)
        << x.id
        << (a.mismatches.empty()
                ? ""
                : ": " + a.mismatches[0].attribute + " " + a.mismatches[0].wire + " / " + a.mismatches[0].cmdb);
    EXPECT_EQ(a.match.has_value(), x.by.has_value()) << x.id;
    if (a.match && x.by) {
      EXPECT_EQ(a.match->by, *x.by) << x.id;
      EXPECT_EQ(a.match->entry->name, x.entry) << x.id;
    }
  }
  EXPECT_EQ(r.counts.devices, 9u);
  EXPECT_EQ(r.counts.managed, 7u);
  EXPECT_EQ(r.counts.unmanaged, 2u);
  EXPECT_EQ(r.counts.mismatched, 0u);
  ASSERT_EQ(r.stale.size(), 2u);
  EXPECT_EQ(r.stale[0].entry->name, "old-us-2");
  EXPECT_EQ(r.stale[1].entry->macs[0].address, "0a:77:00:00:00:99");

  // Forty days on, every entry is stale: the matched ones because their devices were last seen then.
  EXPECT_EQ(compare_with_cmdb(inv, cmdb, {newest(inv) + 40 * kDay, 30}).stale.size(), cmdb.entries.size());
}

TEST(CmdbCapture, IdentityLabAgainstServiceNowNetBoxUiAndGenericExports) {
  const Inventory inv = classified(test::identity_lab_pcap());
  const Cmdb cmdb = read_cmdb_files({fixture("netbox-ui-devices.csv"), fixture("netbox-ui-interfaces.csv"),
                                     fixture("servicenow-cmdb_ci_hardware.csv"), fixture("generic.csv")});
  const CmdbComparison r = compare_with_cmdb(inv, cmdb, {newest(inv) + kDay, 30});

  // HP on the wire, "Hewlett Packard" (ServiceNow) and "Hewlett-Packard" (NetBox) in the CMDB; the model
  // "HP LaserJet M507" against "LaserJet M507dn": naming differences, no mismatch.
  const AssetCmdbResult& printer = result_for(r, "mac:02:88:00:00:00:11");
  EXPECT_EQ(printer.management, Management::managed);
  ASSERT_TRUE(printer.match);
  EXPECT_EQ(printer.match->by, MatchKind::mac);
  EXPECT_EQ(printer.match->entry->source, fixture("servicenow-cmdb_ci_hardware.csv"));
  ASSERT_EQ(printer.also_listed.size(), 1u);
  EXPECT_EQ(printer.also_listed[0].by, MatchKind::hostname);
  EXPECT_EQ(printer.also_listed[0].entry->source, fixture("netbox-ui-devices.csv"));

  // The gateway: NetBox's MAC (from its interface table) and model agree; ServiceNow's model does not.
  const AssetCmdbResult& gw = result_for(r, "mac:02:88:00:00:00:01");
  EXPECT_EQ(gw.management, Management::mismatched);
  ASSERT_EQ(gw.mismatches.size(), 1u);
  EXPECT_EQ(gw.mismatches[0].attribute, "model");
  EXPECT_EQ(gw.mismatches[0].wire, "WardGW");
  EXPECT_EQ(gw.mismatches[0].cmdb, "WardRouter 5");
  EXPECT_EQ(gw.mismatches[0].entry->line, 6u);

  // The switch: LLDP-MED says FW-4.0.3, the generic CSV FW-4.0.2.
  const AssetCmdbResult& sw = result_for(r, "mac:02:88:00:00:00:03");
  EXPECT_EQ(sw.management, Management::mismatched);
  ASSERT_EQ(sw.mismatches.size(), 1u);
  EXPECT_EQ(sw.mismatches[0].attribute, "firmware");
  EXPECT_EQ(sw.mismatches[0].wire, "FW-4.0.3");
  EXPECT_EQ(sw.mismatches[0].cmdb, "FW-4.0.2");

  // Host names: DHCP's infusion-pump-07 (Baxter = Baxter Healthcare, Spectrum = SIGMA Spectrum), mDNS's pacs1
  // for the CMDB's pacs1.genhosp.local, NetBIOS's RADWS01 for radws01.
  for (const char* id :
       {"mac:02:88:00:00:00:07", "mac:02:88:00:00:00:08", "mac:02:88:00:00:00:10", "mac:02:88:00:00:00:30"}) {
    const AssetCmdbResult& a = result_for(r, id);
    EXPECT_EQ(a.management, Management::managed) << id;
    ASSERT_TRUE(a.match) << id;
    EXPECT_EQ(a.match->by, MatchKind::hostname) << id;
  }
  EXPECT_EQ(result_for(r, "mac:02:88:00:00:00:10").match->wire_value, "pacs1");
  EXPECT_EQ(result_for(r, "mac:02:88:00:00:00:10").match->cmdb_value, "pacs1.genhosp.local");
  EXPECT_EQ(result_for(r, "mac:02:88:00:00:00:05").management, Management::unmanaged);  // nms: in no export

  EXPECT_EQ(r.counts.devices, 10u);
  EXPECT_EQ(r.counts.managed, 7u);
  EXPECT_EQ(r.counts.mismatched, 2u);
  EXPECT_EQ(r.counts.unmanaged, 1u);
  EXPECT_EQ(r.counts.matched_by, (std::array<std::size_t, 4>{5, 0, 4, 0}));
  ASSERT_EQ(r.stale.size(), 1u);
  EXPECT_EQ(r.stale[0].entry->name, "old-infusion-03");
  EXPECT_EQ(r.stale[0].reason, StaleReason::not_seen);
}

}  // namespace
}  // namespace ww
