// Report formats: the generated table, and what each format writes for hand-made inventories.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "reports/csv.hpp"
#include "reports/report_format.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

AssetView device(const std::string& mac, const std::string& category,
                 const std::map<std::string, std::string>& attributes) {
  AssetView a;
  a.id = "mac:" + mac;
  a.mac = mac;
  a.addresses.push_back({"10.0.0.1", 0, 0, {}});
  a.classification.category = category;
  a.classification.attributes = attributes;
  return a;
}

std::string written(std::string_view format, const Inventory& inv) {
  const ReportFormat* f = find_report_format(format);
  EXPECT_NE(f, nullptr) << format;
  if (f == nullptr) return {};
  std::ostringstream out;
  f->write(ReportContext{inv, "test", 1'700'000'000'000'000}, out);
  return out.str();
}

TEST(ReportFormats, TheTableIsSortedUniqueAndComplete) {
  std::vector<std::string> names;
  for (const ReportFormat& f : report_formats()) {
    names.emplace_back(f.name);
    EXPECT_NE(f.write, nullptr) << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  for (const char* expected : {"csv", "cyclonedx", "dot", "html", "json"}) EXPECT_NE(find_report_format(expected), nullptr) << expected;
  EXPECT_EQ(find_report_format("xml"), nullptr);
  EXPECT_EQ(report_format_names().find("csv|"), 0u);
}

TEST(ReportCsv, CellsNeverStartAFormulaAndAreQuoted) {
  EXPECT_EQ(csv_field("=1+1"), "'=1+1");
  EXPECT_EQ(csv_field("+cmd"), "'+cmd");
  EXPECT_EQ(csv_field("-2"), "'-2");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("\t=1"), "'\t=1");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(csv_field("plain"), "plain");
}

TEST(ReportModel, SupplyChainGroupsByClassifiedVendorNotByOui) {
  Inventory inv;
  inv.assets = {device("00:00:00:00:00:01", "infusion", {{"vendor", "Baxter"}, {"model", "Spectrum"}, {"firmware", "8.01"}}),
                device("00:00:00:00:00:02", "infusion", {{"vendor", "Baxter"}, {"model", "Spectrum"}, {"firmware", "8.01"}}),
                device("00:00:00:00:00:03", "infusion", {{"vendor", "Baxter"}, {"model", "Spectrum"}}),
                device("00:00:00:00:00:04", "printer", {{"vendor", "HP"}}),
                device("00:00:00:00:00:05", "computer", {})};
  inv.assets[4].vendor = "Intel Corporate";  // the NIC's maker: not a supplier of the device
  const auto chain = supply_chain(inv);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].vendor, "Baxter");
  EXPECT_EQ(chain[0].devices, 3u);
  EXPECT_EQ(chain[0].medical, 3u);
  ASSERT_EQ(chain[0].models.size(), 1u);
  ASSERT_EQ(chain[0].models[0].firmware.size(), 2u);
  EXPECT_EQ(chain[0].models[0].firmware[0].version, "");
  EXPECT_EQ(chain[0].models[0].firmware[1].version, "8.01");
  EXPECT_EQ(chain[0].models[0].firmware[1].assets.size(), 2u);
  EXPECT_EQ(chain[1].vendor, "HP");
  EXPECT_EQ(chain[1].models[0].model, "");
}

TEST(ReportCycloneDx, DevicesWithNestedFirmwareOsAndProperties) {
  Inventory inv;
  inv.rules.version = "sha256:x";
  AssetView sw = device("02:88:00:00:00:03", "network-infrastructure",
                        {{"vendor", "GenHosp"}, {"model", "WardSwitch 24"}, {"firmware", "FW-4.0.3"}, {"os", "Linux 5.10"},
                         {"software", "OFFIS DCMTK 3.6.7"}});
  sw.observations.push_back({"lldp.med.serial_number", "SN-1", 0, 0, 1});
  AssetView unnamed = device("02:88:00:00:00:04", "unknown", {});
  unnamed.observations.push_back({"dhcp.hostname", "icu-monitor-12", 0, 0, 1});
  inv.assets = {sw, unnamed};
  const auto bom = nlohmann::json::parse(written("cyclonedx", inv));
  EXPECT_EQ(bom["specVersion"], "1.6");
  EXPECT_EQ(bom["metadata"]["timestamp"], "2023-11-14T22:13:20.000000Z");
  const auto& c = bom["components"][0];
  EXPECT_EQ(c["type"], "device");
  EXPECT_EQ(c["manufacturer"]["name"], "GenHosp");
  EXPECT_EQ(c["name"], "WardSwitch 24");
  ASSERT_EQ(c["components"].size(), 3u);
  EXPECT_EQ(c["components"][0]["type"], "firmware");
  EXPECT_EQ(c["components"][0]["version"], "FW-4.0.3");
  EXPECT_EQ(c["components"][1]["type"], "operating-system");
  EXPECT_EQ(c["components"][1]["name"], "Linux");
  EXPECT_EQ(c["components"][1]["version"], "5.10");
  EXPECT_EQ(c["components"][2]["type"], "application");
  EXPECT_EQ(c["components"][2]["name"], "OFFIS DCMTK");
  EXPECT_EQ(c["components"][2]["version"], "3.6.7");
  std::set<std::pair<std::string, std::string>> props;
  for (const auto& p : c["properties"]) props.emplace(p["name"], p["value"]);
  EXPECT_TRUE(props.count({"cdx:device:serialNumber", "SN-1"}));
  EXPECT_TRUE(props.count({"cdx:device:macAddress", "02:88:00:00:00:03"}));
  EXPECT_TRUE(props.count({"wardwatch:ip", "10.0.0.1"}));
  // No model: the device's own name; no vendor: no manufacturer; nothing running: no nested components.
  const auto& u = bom["components"][1];
  EXPECT_EQ(u["name"], "icu-monitor-12");
  EXPECT_FALSE(u.contains("manufacturer"));
  EXPECT_FALSE(u.contains("components"));
}

TEST(ReportJson, ContractFieldsAndCounts) {
  Inventory inv;
  inv.assets = {device("00:00:00:00:00:01", "infusion", {{"vendor", "Baxter"}}), device("00:00:00:00:00:02", "printer", {})};
  inv.assets[1].crown_jewel = CrownJewel{"pacs", {}, {}};
  const auto doc = nlohmann::json::parse(written("json", inv));
  ASSERT_EQ(doc["assets"].size(), 2u);
  EXPECT_EQ(doc["assets"][0]["mac"], "00:00:00:00:00:01");
  EXPECT_TRUE(doc["assets"][0]["management"].is_null());
  EXPECT_TRUE(doc["stale"].is_array());
  EXPECT_EQ(doc["summary"]["medical_devices"], 1);
  EXPECT_EQ(doc["summary"]["crown_jewels"], 1);
  EXPECT_EQ(doc["summary"]["with"]["vendor"], 1);
  EXPECT_EQ(doc["summary"]["by_category"]["printer"], 1);
}

TEST(ReportDot, Hl7LinksAndDicomAssociationsWithEscapedNames) {
  Inventory inv;
  AssetView ehr = device("00:00:00:00:00:40", "clinical-system", {});
  ehr.observations = {{"hl7.link", "EPIC@GENHOSP -> ENGINE@LAB ADT^A01 port 2575", 0, 0, 1},
                      {"hl7.link", "EPIC@GENHOSP -> ENGINE@LAB ORU^R01 port 2575", 0, 0, 1},
                      {"dhcp.hostname", "ehr\"1\\x\ny", 0, 0, 1}};
  AssetView engine = device("00:00:00:00:00:41", "clinical-system", {});
  engine.observations = {{"hl7.link", "ENGINE@LAB -> EPIC@GENHOSP ACK^A01 port 2575", 0, 0, 1}};
  AssetView pacs = device("00:00:00:00:00:10", "clinical-system", {});
  pacs.crown_jewel = CrownJewel{"pacs", {}, {}};
  pacs.observations = {{"dicom.ae_title", "PACS", 0, 0, 1}, {"dicom.association", "CT1->PACS", 0, 0, 1}};
  inv.assets = {pacs, ehr, engine};
  const std::string dot = written("dot", inv);
  EXPECT_NE(dot.find("digraph clinical_interfaces {"), std::string::npos);
  // One edge per link, the message types together; the ACK runs back along it and draws nothing.
  EXPECT_NE(dot.find("\"EPIC@GENHOSP\" -> \"ENGINE@LAB\" [label=\"ADT^A01 tcp/2575\\nORU^R01 tcp/2575\"]"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("\"ENGINE@LAB\" -> \"EPIC@GENHOSP\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"AE CT1\" -> \"AE PACS\""), std::string::npos) << dot;
  // The PACS's AE is a crown jewel, drawn filled; its device named under it.
  const auto pacs_node = dot.find("\"AE PACS\" [label=\"AE PACS\\n");
  ASSERT_NE(pacs_node, std::string::npos) << dot;
  EXPECT_NE(dot.find("fillcolor", pacs_node), std::string::npos);
  // A host name with a quote, a backslash and a line break stays inside its quoted string.
  EXPECT_NE(dot.find("ehr\\\"1\\\\x\\ny"), std::string::npos) << dot;
}

}  // namespace
}  // namespace ww
