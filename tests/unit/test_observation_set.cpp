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

// Up to kUnindexedItems facts are found by reading the items in turn; past that by the index built then (it
// takes the facts already there). Every size around the switch: repeats found in reverse order (not the item
// after the last one, which is tried first), the key/value split told apart, nothing counted twice.
TEST(ObservationSet, FactsAreFoundBeforeAndAfterTheIndexIsBuilt) {
  for (int n = 1; n <= 12; ++n) {
    ObservationSet set;
    const auto key_of = [](int i) { return i % 2 ? std::string("a") : std::string("ab"); };
    const auto value_of = [](int i) { return (i % 2 ? "bc" : "c") + std::to_string(i); };
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(set.add(key_of(i), value_of(i), 100 + i, 64, 64), ObservationSet::Added::added) << n << ' ' << i;
    }
    for (int i = n - 1; i >= 0; --i) {
      EXPECT_EQ(set.add(key_of(i), value_of(i), 500, 64, 64), ObservationSet::Added::existing) << n << ' ' << i;
    }
    // "ab" + "c1" is not "a" + "bc1" (there from two facts on), though the two are the same bytes.
    EXPECT_EQ(set.add("ab", "c1", 600, 64, 64), ObservationSet::Added::added) << n;
    EXPECT_EQ(set.add("ab", "c1", 700, 64, 64), ObservationSet::Added::existing) << n;
    ASSERT_EQ(set.items().size(), static_cast<std::size_t>(n) + 1);
    for (const ObservationStat& o : set.items()) {
      EXPECT_EQ(o.count, 2U) << n << ' ' << o.key() << '=' << o.value();
      EXPECT_EQ(o.seen.last_us, o.key() == "ab" && o.value() == "c1" ? 700 : 500);
    }
  }
}

}  // namespace
}  // namespace ww
