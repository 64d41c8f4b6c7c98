// The per-record fact set: exact matching of (key, value), counts, limits, and texts longer than an item
// holds inline (kept in the set's spill chunks, which must survive growth and moves of the set).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "agent/pipeline/records.hpp"

namespace ww {
namespace {

std::string long_value(int i) {
  return "Mozilla/5.0 (compatible; Modality-Workstation build " + std::to_string(i) + "; " +
         std::string(static_cast<std::size_t>(40 + i), 'x') + ")";
}

TEST(ObservationSet, LongAndShortFactsAreKeptExactlyThroughGrowthAndMoves) {
  ObservationSet set;
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(set.add("http.user_agent", long_value(i), 1000 + i, 512, 256), ObservationSet::Added::added) << i;
  }
  for (int i = 0; i < 20; ++i) {  // short ones, 16 values at most for the key
    EXPECT_EQ(set.add("dns.query", "host" + std::to_string(i), 2000, 512, 16),
              i < 16 ? ObservationSet::Added::added : ObservationSet::Added::dropped)
        << i;
  }
  ObservationSet moved = std::move(set);
  // Every long value is found again (a repeat, not a new fact) and reads back whole.
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(moved.add("http.user_agent", long_value(i), 5000, 256, 256), ObservationSet::Added::existing) << i;
  }
  std::size_t long_ones = 0;
  for (const ObservationStat& o : moved.items()) {
    if (o.key() != "http.user_agent") continue;
    const int i = std::stoi(std::string(o.value().substr(o.value().find("build ") + 6)));
    EXPECT_EQ(o.value(), long_value(i));
    EXPECT_GT(o.value().size(), ObservationStat::kInlineText);
    EXPECT_EQ(o.count, 2U);
    EXPECT_EQ(o.seen.first_us, 1000 + i);
    EXPECT_EQ(o.seen.last_us, 5000);
    ++long_ones;
  }
  EXPECT_EQ(long_ones, 200U);
  EXPECT_EQ(moved.add("dns.query", "host3", 7000, 512, 16), ObservationSet::Added::existing);
  // A value differing in its last character only is another fact.
  std::string almost = long_value(7);
  almost.back() = ']';
  EXPECT_EQ(moved.add("http.user_agent", almost, 6000, 512, 512), ObservationSet::Added::added);
}

}  // namespace
}  // namespace ww
