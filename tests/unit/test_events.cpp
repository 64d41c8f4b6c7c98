// The SIEM feed's events (reports/events.hpp): which events an inventory makes against the previous state,
// and their ECS, CEF and syslog encodings (escaping above all: the text comes from the wire).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reports/events.hpp"

namespace ww {
namespace {

AssetView device(const std::string& mac, const std::string& ip, const std::string& firmware) {
  AssetView a;
  a.id = "mac:" + mac;
  a.mac = mac;
  a.addresses.push_back({ip, 1'000'000, 2'000'000, {"arp"}});
  a.first_us = 1'000'000;
  a.last_us = 2'000'000;
  a.classification.category = "patient-monitoring";
  a.classification.attributes["vendor"] = "Acme Medical";
  a.classification.attributes["model"] = "Monitor | 5=x\\y";
  if (!firmware.empty()) a.classification.attributes["firmware"] = firmware;
  a.observations.push_back({"dhcp.hostname", "bed-12\nICU", 1'000'000, 2'000'000, 1});
  return a;
}

const EventOrigin kOrigin{"span-1", "st-luc", "sensor1", "1.2.3"};

TEST(Events, FirstRunDiscoversEveryDeviceAndRaisesEachFindingOnce) {
  Inventory inv;
  inv.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", "2.1"));
  inv.assets.push_back(device("02:00:00:00:00:02", "10.0.0.2", ""));
  Finding f;
  f.id = "cleartext.hl7";
  f.title = "HL7 in clear";
  f.severity = "high";
  f.assets = {"mac:02:00:00:00:00:01", "mac:02:00:00:00:00:02"};
  inv.findings.push_back(f);
  auto events = inventory_events({}, inv, {});
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, InventoryEvent::Kind::asset_discovered);
  EXPECT_EQ(events[1].kind, InventoryEvent::Kind::asset_discovered);
  EXPECT_EQ(events[2].kind, InventoryEvent::Kind::finding_raised);
  EXPECT_EQ(cef_severity(events[2]), 8);
  // The next run: nothing new, the finding on device 1 already reported.
  std::vector<DeviceState> previous = device_states(inv);
  events = inventory_events(previous, inv, {{{"cleartext.hl7", "mac:02:00:00:00:00:01"}}, {}});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, InventoryEvent::Kind::finding_raised);
  EXPECT_EQ(events[0].asset->id, "mac:02:00:00:00:00:02");
}

TEST(Events, DeviceModelIdentifierIsTheOneUdiDiTheDeviceStated) {
  Inventory inv;
  inv.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", "2.1"));
  inv.assets[0].observations.push_back({"hl7.udi_di", "00643169001763", 1'000'000, 2'000'000, 1});
  inv.assets[0].observations.push_back({"hl7.udi_serial", "21A11F4855", 1'000'000, 2'000'000, 1});
  inv.assets.push_back(device("02:00:00:00:00:02", "10.0.0.2", ""));  // a gateway: two devices' UDIs
  inv.assets[1].observations.push_back({"hl7.udi_di", "00643169001763", 1'000'000, 2'000'000, 1});
  inv.assets[1].observations.push_back({"hl7.udi_di", "00884426123457", 1'000'000, 2'000'000, 1});
  const auto events = inventory_events({}, inv, {});
  ASSERT_EQ(events.size(), 2u);
  const auto one = nlohmann::json::parse(ecs_json(events[0], kOrigin));
  EXPECT_EQ(one["device"]["model"]["identifier"], "00643169001763");
  EXPECT_EQ(one["device"]["model"]["name"], "Monitor | 5=x\\y");
  EXPECT_EQ(one["device"]["serial_number"], "21A11F4855");
  const auto gateway = nlohmann::json::parse(ecs_json(events[1], kOrigin));
  EXPECT_FALSE(gateway["device"]["model"].contains("identifier"));
}

TEST(Events, APlaceholderSerialIsNotTheDevicesSerial) {
  Inventory inv;
  inv.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", "2.1"));
  inv.assets[0].observations.push_back({"upnp.serial_number", "00000000", 1'000'000, 2'000'000, 1});  // MiniDLNA's
  auto doc = nlohmann::json::parse(ecs_json(inventory_events({}, inv, {})[0], kOrigin));
  EXPECT_FALSE(doc["device"].contains("serial_number"));
  inv.assets[0].observations.push_back({"dpws.serial_number", "SN-0042", 1'000'000, 2'000'000, 1});
  doc = nlohmann::json::parse(ecs_json(inventory_events({}, inv, {})[0], kOrigin));
  EXPECT_EQ(doc["device"]["serial_number"], "SN-0042");
}

TEST(Events, AChangedFirmwareAndAddressAreOneEventEach) {
  Inventory before;
  before.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", "2.1"));
  Inventory after;
  after.assets.push_back(device("02:00:00:00:00:01", "10.0.0.9", "2.3"));
  const auto events = inventory_events(device_states(before), after, {});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].change.attribute, "ips");
  EXPECT_EQ(events[0].change.added, std::vector<std::string>{"10.0.0.9"});
  EXPECT_EQ(events[0].change.removed, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(events[1].change.attribute, "firmware");
  const auto doc = nlohmann::json::parse(ecs_json(events[1], kOrigin));
  EXPECT_EQ(doc["event"]["kind"], "asset");
  EXPECT_EQ(doc["event"]["type"], nlohmann::json::array({"change"}));
  EXPECT_EQ(doc["wardwatch"]["change"]["old"], "2.1");
  EXPECT_EQ(doc["wardwatch"]["change"]["new"], "2.3");
  EXPECT_EQ(doc["message"], "firmware: 2.1 -> 2.3");
  EXPECT_EQ(doc["host"]["mac"], nlohmann::json::array({"02-00-00-00-00-01"}));
  EXPECT_EQ(doc["host"]["name"], "bed-12\nICU");  // JSON escapes it; the text is kept as the wire said it
  EXPECT_EQ(doc["device"]["manufacturer"], "Acme Medical");
  EXPECT_EQ(doc["observer"]["name"], "span-1");
  EXPECT_EQ(doc["labels"]["site"], "st-luc");
  const std::string cef = cef_message(events[1], kOrigin);
  EXPECT_EQ(cef.rfind("CEF:0|wardwatch|wardwatch|1.2.3|asset-changed:firmware|Asset firmware changed|5|", 0), 0u) << cef;
  EXPECT_NE(cef.find("msg=firmware: 2.1 -> 2.3"), std::string::npos) << cef;
}

TEST(Events, AConversationWithACrownJewelStartsOnceFromTheClientSide) {
  Inventory inv;
  inv.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", ""));
  inv.assets.push_back(device("02:00:00:00:00:10", "10.0.0.10", ""));
  inv.assets[1].crown_jewel = CrownJewel{"pacs", {}, {}};
  inv.assets[0].conversations.push_back({"10.0.0.10", "tcp", 104, "client", "dicom", 5, 6, 3, 2, 300, 200});
  inv.assets[1].conversations.push_back({"10.0.0.1", "tcp", 104, "server", "dicom", 5, 6, 2, 3, 200, 300});
  auto events = inventory_events(device_states(inv), inv, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, InventoryEvent::Kind::conversation_started);
  EXPECT_EQ(events[0].asset, &inv.assets[0]);
  EXPECT_EQ(events[0].server, &inv.assets[1]);
  const auto doc = nlohmann::json::parse(ecs_json(events[0], kOrigin));
  EXPECT_EQ(doc["event"]["category"], nlohmann::json::array({"network"}));
  EXPECT_EQ(doc["source"]["ip"], "10.0.0.1");
  EXPECT_EQ(doc["destination"]["port"], 104);
  EXPECT_EQ(doc["network"]["protocol"], "dicom");
  EXPECT_EQ(doc["network"]["bytes"], 500);
  const std::string cef = cef_message(events[0], kOrigin);
  EXPECT_NE(cef.find("dst=10.0.0.10 dmac=02:00:00:00:00:10 dpt=104 proto=tcp app=dicom"), std::string::npos) << cef;
  // Reported once: not again.
  events = inventory_events(device_states(inv), inv, {{}, {{"mac:02:00:00:00:00:01", "10.0.0.10 tcp/104"}}});
  EXPECT_TRUE(events.empty());
}

TEST(Events, CefEscapesHeaderAndExtensionAsTheSpecificationSays) {
  EXPECT_EQ(cef_escape_header("a|b\\c\nd"), "a\\|b\\\\c d");
  EXPECT_EQ(cef_escape_extension("a=b\\c\nd\re|f"), "a\\=b\\\\c\\nd\\re|f");
  Inventory inv;
  inv.assets.push_back(device("02:00:00:00:00:01", "10.0.0.1", "2.1"));
  const auto events = inventory_events({}, inv, {});
  const std::string cef = cef_message(events[0], kOrigin);
  // One line, the model's '|', '=' and '\' escaped, the host name's line break as \n.
  EXPECT_EQ(cef.find('\n'), std::string::npos);
  EXPECT_NE(cef.find("cs3Label=model cs3=Monitor | 5\\=x\\\\y"), std::string::npos) << cef;
  EXPECT_NE(cef.find("shost=bed-12\\nICU"), std::string::npos) << cef;
  EXPECT_NE(cef.find("smac=02:00:00:00:00:01 "), std::string::npos) << cef;
  EXPECT_NE(cef.find("src=10.0.0.1 "), std::string::npos) << cef;
  EXPECT_NE(cef.find("rt=2000 "), std::string::npos) << cef;
  EXPECT_NE(cef.find("cs5Label=site cs5=st-luc"), std::string::npos) << cef;
}

TEST(Events, SyslogLineIsRfc5424WithLocal4) {
  const std::string line = syslog_line("CEF:0|x", 8, 2'000'000, {"a", "s", "host name\x01", "1"}, 42);
  // local4 (20) * 8 + warning (4); RFC 3339 time; HOSTNAME printable ASCII only; MSGID cef; no SD.
  EXPECT_EQ(line, "<164>1 1970-01-01T00:00:02.000000Z hostname wardwatch 42 cef - CEF:0|x");
  EXPECT_EQ(syslog_line("x", 1, 0, {"a", "s", "", "1"}, 1).substr(0, 8), "<166>1 1");
}

}  // namespace
}  // namespace ww
