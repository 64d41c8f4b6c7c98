// The progress line of a long read (agent/cli/progress.hpp): what it says, and that it stays off the terminal
// when disabled.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "agent/cli/progress.hpp"

namespace ww {
namespace {

TEST(ProgressText, BarBytesPacketsRateAndEta) {
  // 388 of 924 MiB in 2 s, 1.21 M packets: 0.61 Mpps, 2.76 s left at that pace.
  const std::string line = progress_text(388ull << 20, 924ull << 20, 1'210'000, 2.0);
  EXPECT_EQ(line, "[########------------]  41%  388 / 924 MiB  1.21 M packets  605 k/s  ETA 0:03");
  EXPECT_LE(line.size(), 79u);
}

TEST(ProgressText, NoRateOrEtaBeforeASecondAndUnitsFollowTheTotal) {
  EXPECT_EQ(progress_text(0, 64ull << 20, 0, 0.2), "[--------------------]   0%  0 / 64 MiB  0 packets  -/s  ETA --:--");
  EXPECT_EQ(progress_text(5ull << 30, 20ull << 30, 40'000'000, 100.0),
            "[#####---------------]  25%  5.0 / 20.0 GiB  40.0 M packets  400 k/s  ETA 5:00");
  // Hours, and done past the total (a file that grew while read) shown as the total.
  EXPECT_EQ(progress_text(1ull << 30, 100ull << 30, 1000, 40.0).substr(0, 22), "[--------------------]");
  EXPECT_NE(progress_text(1ull << 30, 100ull << 30, 1000, 40.0).find("ETA 1:06:00"), std::string::npos);
  EXPECT_EQ(progress_text(30ull << 20, 20ull << 20, 10, 2.0).substr(0, 27), "[####################] 100%");
}

TEST(Progress, WritesNothingWhenDisabledAndClearsItsLine) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress off(false, 1 << 30, out);
    off.update(1 << 29, 100);
    off.finish();
  }
  EXPECT_EQ(std::ftell(out), 0);
  Progress on(true, 1 << 30, out);
  on.update(1 << 29, 100);
  on.update(1 << 29, 200);  // within 200 ms of the last: not redrawn
  on.finish();
  const long size = std::ftell(out);
  std::rewind(out);
  std::string text(static_cast<std::size_t>(size), '\0');
  ASSERT_EQ(std::fread(text.data(), 1, text.size(), out), text.size());
  std::fclose(out);
  EXPECT_EQ(text.find("\r[##########----------]  50%"), 0u) << text;
  EXPECT_NE(text.find(" 100 packets"), std::string::npos) << text;
  EXPECT_EQ(text.find("200 packets"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K");
}

}  // namespace
}  // namespace ww
