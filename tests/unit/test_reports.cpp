// Report helpers shared by the exporters.
#include <gtest/gtest.h>

#include <cstdint>

#include "reports/report.hpp"

namespace ww {
namespace {

TEST(Timestamps, AreRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(1'795'852'802'271'669), "2026-11-28T08:00:02.271669Z");
  EXPECT_EQ(format_timestamp(951'782'400'000'001), "2000-02-29T00:00:00.000001Z");  // leap day
  EXPECT_EQ(format_timestamp(1'709'251'199'999'999), "2024-02-29T23:59:59.999999Z");
}

TEST(Timestamps, OutOfRangeClaimsFromHostileCapturesAreClamped) {
  EXPECT_EQ(format_timestamp(-5'000'000), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(INT64_MAX), "9999-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace ww
