#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fingerprints/engine/oui_registry.hpp"

namespace ww {
namespace {

TEST(OuiRegistry, LongestPrefixWinsAcrossRegistries) {
  const auto dir = std::filesystem::temp_directory_path() / "ww-oui-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "oui.csv") << "Registry,Assignment,Organization Name,Organization Address\n"
                                 << "MA-L,70B3D5,IEEE Registration Authority,445 Hoes Lane\n"
                                 << "MA-L,444B5D,GE Healthcare,9900 Innovation Dr\n";
  std::ofstream(dir / "oui36.csv") << "Registry,Assignment,Organization Name,Organization Address\n"
                                   << "MA-S,70B3D5F2F,\"Quoted, Inc.\",\"Somewhere\"\n";
  std::ofstream(dir / "mam.csv") << "Registry,Assignment,Organization Name,Organization Address\n"
                                 << "MA-M,70B3D51,Twenty Eight Bits Ltd,Addr\n";
  OuiRegistry oui;
  EXPECT_EQ(oui.load_directory(dir.string()), 4u);
  auto m = oui.lookup(*MacAddr::parse("70:b3:d5:f2:f0:01"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->organization, "Quoted, Inc.");
  EXPECT_EQ(m->registry, "MA-S");
  EXPECT_EQ(m->prefix_bits, 36);
  m = oui.lookup(*MacAddr::parse("70:b3:d5:10:00:00"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->organization, "Twenty Eight Bits Ltd");
  m = oui.lookup(*MacAddr::parse("70:b3:d5:00:00:00"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->organization, "IEEE Registration Authority");
  m = oui.lookup(*MacAddr::parse("44:4B:5D:01:02:03"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->organization, "GE Healthcare");
  EXPECT_FALSE(oui.lookup(*MacAddr::parse("02:77:00:00:00:01")));
  std::filesystem::remove_all(dir);
}

TEST(OuiRegistry, DebianIeeeDataResolvesKnownMedicalVendors) {
  OuiRegistry oui;
  if (oui.load_directory(OuiRegistry::kDefaultDir) == 0) GTEST_SKIP() << "ieee-data not installed";
  EXPECT_GT(oui.size(), 30000u);
  // Values as printed by: grep -i '^444B5D\|^884B39\|^5846E1' /usr/share/ieee-data/oui.txt
  EXPECT_EQ(oui.lookup(*MacAddr::parse("44:4b:5d:00:00:01"))->organization, "GE Healthcare");
  EXPECT_EQ(oui.lookup(*MacAddr::parse("58:46:e1:00:00:07"))->organization, "Baxter International Inc");
}

TEST(OuiRegistry, MissingDirectoryLoadsNothing) {
  OuiRegistry oui;
  EXPECT_EQ(oui.load_directory("/nonexistent"), 0u);
  EXPECT_FALSE(oui.lookup(*MacAddr::parse("44:4b:5d:00:00:01")));
}

}  // namespace
}  // namespace ww
