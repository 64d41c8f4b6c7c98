// Report formats: the generated table, and what each format writes for hand-made inventories.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "reports/csv.hpp"
#include "reports/communication_map.hpp"
#include "reports/graphviz.hpp"
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
  sw.classification.basis = "weak";
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
  EXPECT_TRUE(props.count({"wardwatch:classification-basis", "weak"}));
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
  inv.assets[1].classification.basis = "contested";
  const auto doc = nlohmann::json::parse(written("json", inv));
  ASSERT_EQ(doc["assets"].size(), 2u);
  EXPECT_EQ(doc["assets"][0]["classification_basis"], "none");
  EXPECT_EQ(doc["assets"][1]["classification_basis"], "contested");
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
  EXPECT_NE(dot.find("digraph communication_map {"), std::string::npos);
  EXPECT_NE(dot.find("subgraph cluster_interfaces {"), std::string::npos);
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

// A conversation as the PACS at 10.0.0.10 saw it.
ConversationView conversation(const std::string& peer, const std::string& role, std::uint16_t port, const std::string& app,
                              std::uint64_t bytes) {
  ConversationView c;
  c.peer = peer;
  c.proto = "tcp";
  c.port = port;
  c.role = role;
  c.app = app;
  c.packets_sent = c.packets_received = 2;
  c.bytes_sent = c.bytes_received = bytes / 2;
  c.first_us = 1'000'000;
  c.last_us = 2'000'000;
  return c;
}

TEST(CommunicationMap, CrownJewelsWithWhoTalksToThemMostBytesFirstAndBounded) {
  Inventory inv;
  AssetView pacs = device("00:00:00:00:00:10", "clinical-system", {});
  pacs.addresses = {{"10.0.0.10", 0, 0, {}}};
  pacs.crown_jewel = CrownJewel{"pacs", {}, {}};
  pacs.conversations = {conversation("10.0.0.21", "server", 104, "dicom", 4000),
                        conversation("10.0.0.21", "server", 104, "dicom", 1000),  // same peer and service: summed
                        conversation("10.0.0.30", "client", 11113, "dicom", 9000),
                        conversation("203.0.113.9", "server", 443, "", 100)};
  AssetView ct = device("00:00:00:00:00:21", "medical-imaging", {{"vendor", "GE HealthCare"}, {"model", "Revolution CT"}});
  ct.addresses = {{"10.0.0.21", 0, 0, {}}};
  AssetView ws = device("00:00:00:00:00:30", "clinical-workstation", {});
  ws.addresses = {{"10.0.0.30", 0, 0, {}}};
  ws.observations = {{"dhcp.hostname", "rad\"ws", 0, 0, 1}};
  inv.assets = {pacs, ct, ws};

  const auto jewels = crown_jewel_contacts(inv, 2);
  ASSERT_EQ(jewels.size(), 1u);
  EXPECT_EQ(jewels[0].peers, 3u);
  ASSERT_EQ(jewels[0].contacts.size(), 2u);
  EXPECT_EQ(jewels[0].more, 1u);
  EXPECT_EQ(jewels[0].contacts[0].peer_ip, "10.0.0.30");  // 9000 bytes
  EXPECT_FALSE(jewels[0].contacts[0].jewel_serves);
  EXPECT_EQ(jewels[0].contacts[0].service, "dicom tcp/11113");
  EXPECT_EQ(jewels[0].contacts[1].peer_ip, "10.0.0.21");
  EXPECT_EQ(jewels[0].contacts[1].bytes, 5000u);
  EXPECT_EQ(jewels[0].contacts[1].packets, 8u);
  ASSERT_NE(jewels[0].contacts[1].peer, nullptr);
  EXPECT_EQ(jewels[0].contacts[1].peer->id, "mac:00:00:00:00:00:21");

  const std::string dot = written("dot", inv);
  EXPECT_NE(dot.find("subgraph cluster_jewels {"), std::string::npos) << dot;
  // The CT, named by maker and model, stores to the jewel; the jewel opens a connection to the workstation;
  // the unknown address is named as such.
  EXPECT_NE(dot.find("[label=\"GE HealthCare Revolution CT 10.0.0.21\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"p2\" -> \"cj1\" [label=\"dicom tcp/104, 8 packets\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"cj1\" -> \"p1\" [label=\"dicom tcp/11113, 4 packets\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("203.0.113.9\\n(not in the inventory)"), std::string::npos) << dot;
  // A host name with a quote stays inside its quoted string.
  EXPECT_NE(dot.find("rad\\\"ws 10.0.0.30"), std::string::npos) << dot;
}

}  // namespace
}  // namespace ww

namespace ww {
namespace {

// Graphviz writes label text escaped: wire text that looks like markup stays text in the embedded picture.
TEST(Graphviz, LabelsThatLookLikeMarkupStayTextInTheSvg) {
  const SvgResult r = render_svg("digraph g { a [label=\"<script>alert(1)</script> & <img onerror=x>\"]; }");
  if (!r.svg) {
    if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true") FAIL() << "graphviz is installed in CI";
    GTEST_SKIP() << "needs Graphviz's dot (scripts/install-deps.sh --test): " << r.why_not;
  }
  EXPECT_EQ(r.svg->rfind("<svg", 0), 0u);
  EXPECT_EQ(r.svg->find("<script"), std::string::npos) << *r.svg;
  EXPECT_EQ(r.svg->find("<img"), std::string::npos) << *r.svg;
  EXPECT_NE(r.svg->find("&lt;script&gt;"), std::string::npos) << *r.svg;
}

TEST(Graphviz, ABrokenGraphIsAOneLineReason) {
  const SvgResult r = render_svg("digraph g { a -> ");
  if (!r.svg && r.why_not.find("could not run") != std::string::npos) GTEST_SKIP() << "needs Graphviz's dot";
  EXPECT_FALSE(r.svg.has_value());
  EXPECT_NE(r.why_not.find("dot failed"), std::string::npos) << r.why_not;
  EXPECT_EQ(r.why_not.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ww
