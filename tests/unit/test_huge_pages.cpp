// The decision to re-execute a batch command with glibc.malloc.hugetlb=1 (agent/cli/huge_pages.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/cli/huge_pages.hpp"

namespace ww {
namespace {

TEST(HugePages, ReadsTheBracketedModeOfTheSysfsFile) {
  EXPECT_EQ(parse_thp_mode("always [madvise] never\n"), ThpMode::madvise);
  EXPECT_EQ(parse_thp_mode("[always] madvise never"), ThpMode::always);
  EXPECT_EQ(parse_thp_mode("always madvise [never]"), ThpMode::never);
  EXPECT_EQ(parse_thp_mode(""), ThpMode::unknown);
  EXPECT_EQ(parse_thp_mode("always madvise never"), ThpMode::unknown);
  EXPECT_EQ(parse_thp_mode("] madvise ["), ThpMode::unknown);
  EXPECT_EQ(parse_thp_mode("[sometimes]"), ThpMode::unknown);
}

TEST(HugePages, TheReExecutedProcessGetsItsNameBack) {
  EXPECT_EQ(program_name_after_exec("exe", "/usr/bin/wardwatch"), "wardwatch");
  EXPECT_EQ(program_name_after_exec("exe", "build/wardwatch"), "wardwatch");
  EXPECT_EQ(program_name_after_exec("exe", "wardwatch"), "wardwatch");
  // Not re-executed, or nothing better to say: left as it is.
  EXPECT_EQ(program_name_after_exec("wardwatch", "/usr/bin/wardwatch"), std::nullopt);
  EXPECT_EQ(program_name_after_exec("exe", "/opt/exe"), std::nullopt);
  EXPECT_EQ(program_name_after_exec("exe", "/usr/bin/"), std::nullopt);
  EXPECT_EQ(program_name_after_exec("exe", ""), std::nullopt);
}

TEST(HugePages, AsksOnlyWhereTheKernelWaitsToBeAsked) {
  EXPECT_EQ(huge_page_tunables(nullptr, ThpMode::madvise, false), "glibc.malloc.hugetlb=1");
  EXPECT_FALSE(huge_page_tunables(nullptr, ThpMode::always, false));
  EXPECT_FALSE(huge_page_tunables(nullptr, ThpMode::never, false));
  EXPECT_FALSE(huge_page_tunables(nullptr, ThpMode::unknown, false));
}

TEST(HugePages, KeepsTheUsersTunablesAndTheirChoice) {
  EXPECT_EQ(huge_page_tunables("", ThpMode::madvise, false), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(huge_page_tunables("glibc.malloc.check=3", ThpMode::madvise, false),
            "glibc.malloc.check=3:glibc.malloc.hugetlb=1");
  // Set by the user (to either value) or by the first execution: never a second re-execution.
  EXPECT_FALSE(huge_page_tunables("glibc.malloc.hugetlb=0", ThpMode::madvise, false));
  EXPECT_FALSE(huge_page_tunables("glibc.malloc.check=3:glibc.malloc.hugetlb=1", ThpMode::madvise, false));
}

TEST(HugePages, NotForAProcessGivenPrivilegesOnExec) {
  // glibc ignores GLIBC_TUNABLES under AT_SECURE: asking would change nothing.
  EXPECT_FALSE(huge_page_tunables(nullptr, ThpMode::madvise, true));
}

TEST(HugePages, CountsOnlyTheRegularFilesNamed) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ww-huge-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  const auto file = [&](const char* name, std::size_t size) {
    std::ofstream(dir / name) << std::string(size, 'x');
    return (dir / name).string();
  };
  const std::vector<std::string> args = {"--db",    file("a.db", 3000),  file("b.pcap", 500),    "-", dir.string(),
                                         "--quiet", "postgresql://h/db", (dir / "none").string()};
  EXPECT_EQ(bytes_of_named_files(args), 3500u);
  EXPECT_EQ(bytes_of_named_files({}), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ww
