// `wardwatch diff`: devices matched by id; new, gone and changed attributes; the inventory JSON reader.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>

#include "reports/diff.hpp"

namespace ww {
namespace {

DeviceState state(const std::string& id, std::vector<std::string> ips, std::optional<std::string> firmware = {}) {
  DeviceState d;
  d.id = id;
  d.mac = id.substr(4);
  d.ips = std::move(ips);
  d.category = "infusion";
  d.firmware = std::move(firmware);
  d.last_seen = "2026-01-01T00:00:00.000000Z";
  return d;
}

TEST(Diff, NewGoneAndChangedDevicesByIdWithWhatChanged) {
  InventorySide before{"old.db", {state("mac:00:00:00:00:00:01", {"10.0.0.1"}, "1.0"), state("mac:00:00:00:00:00:02", {"10.0.0.2"}),
                                  state("mac:00:00:00:00:00:03", {"10.0.0.3"})}};
  InventorySide after{"new.db", {state("mac:00:00:00:00:00:01", {"10.0.0.1", "10.0.0.9"}, "1.1"),
                                 state("mac:00:00:00:00:00:03", {"10.0.0.3"}), state("mac:00:00:00:00:00:04", {"10.0.0.4"})}};
  after.devices[1].services = {"tcp/23"};
  const InventoryDiff diff = diff_inventories(before, after);
  ASSERT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.added[0]->id, "mac:00:00:00:00:00:04");
  ASSERT_EQ(diff.gone.size(), 1u);
  EXPECT_EQ(diff.gone[0]->id, "mac:00:00:00:00:00:02");
  ASSERT_EQ(diff.changed.size(), 2u);
  const auto& first = diff.changed[0];
  ASSERT_EQ(first.changes.size(), 2u);
  EXPECT_EQ(first.changes[0].attribute, "ips");
  EXPECT_EQ(first.changes[0].added, std::vector<std::string>{"10.0.0.9"});
  EXPECT_TRUE(first.changes[0].removed.empty());
  EXPECT_EQ(first.changes[1].attribute, "firmware");
  EXPECT_EQ(first.changes[1].old_value, "1.0");
  EXPECT_EQ(first.changes[1].new_value, "1.1");
  EXPECT_EQ(diff.changed[1].changes[0].attribute, "services");
  EXPECT_EQ(diff.changed[1].changes[0].added, std::vector<std::string>{"tcp/23"});

  std::ostringstream out;
  write_diff_json(before, after, diff, out);
  const auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["new"][0]["mac"], "00:00:00:00:00:04");
  EXPECT_EQ(doc["gone"][0]["mac"], "00:00:00:00:00:02");
  EXPECT_EQ(doc["changed"][0]["changes"][1]["old"], "1.0");
  EXPECT_EQ(doc["from"]["source"], "old.db");
  EXPECT_EQ(doc["to"]["assets"], 3);
}

TEST(Diff, TheSameInventoryHasNoDifference) {
  const InventorySide side{"a", {state("mac:00:00:00:00:00:01", {"10.0.0.1"}, "1.0")}};
  const InventoryDiff diff = diff_inventories(side, side);
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.gone.empty());
  EXPECT_TRUE(diff.changed.empty());
}

TEST(DiffJson, ReadsAnInventoryAndRefusesWhatIsNotOne) {
  const auto devices = device_states_from_json(R"({"schema_version": 1, "assets": [
      {"id": "mac:00:00:00:00:00:02", "mac": "00:00:00:00:00:02", "ips": ["10.0.0.2", "10.0.0.2"],
       "services": {"offered": [{"proto": "tcp", "port": 104}], "used": []},
       "classification": {"category": "clinical-system", "vendor": null, "firmware": "3.6"},
       "crown_jewel": {"kind": "pacs"}, "first_seen": "a", "last_seen": "b"},
      {"id": "ip:10.0.0.9", "mac": null}]})");
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].id, "ip:10.0.0.9");  // sorted by id
  EXPECT_FALSE(devices[0].mac);
  const DeviceState& pacs = devices[1];
  EXPECT_EQ(pacs.ips, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(pacs.services, std::vector<std::string>{"tcp/104"});
  EXPECT_EQ(pacs.category, "clinical-system");
  EXPECT_FALSE(pacs.vendor);
  EXPECT_EQ(pacs.firmware, "3.6");
  EXPECT_EQ(pacs.crown_jewel, "pacs");
  EXPECT_THROW(device_states_from_json("not json"), std::runtime_error);
  EXPECT_THROW(device_states_from_json(R"({"assets": []})"), std::runtime_error);
  EXPECT_THROW(device_states_from_json(R"({"schema_version": 1, "assets": [{"mac": "x"}]})"), std::runtime_error);
  EXPECT_THROW(device_states_from_json(R"({"schema_version": 1, "assets": [{"id": "x", "mac": 5}]})"), std::runtime_error);
}

}  // namespace
}  // namespace ww
