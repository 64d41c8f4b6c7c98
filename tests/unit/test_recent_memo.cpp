#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wardwatch/recent_memo.hpp"

namespace ww {
namespace {

using Key = std::vector<std::uint8_t>;

TEST(RecentMemo, FindsOnlyTheExactBytes) {
  RecentMemo<std::string> memo;
  memo.insert(Key{1, 2, 3}, "abc");
  ASSERT_NE(memo.find(Key{1, 2, 3}), nullptr);
  EXPECT_EQ(*memo.find(Key{1, 2, 3}), "abc");
  EXPECT_EQ(memo.find(Key{1, 2}), nullptr);        // a prefix
  EXPECT_EQ(memo.find(Key{1, 2, 3, 0}), nullptr);  // longer
  EXPECT_EQ(memo.find(Key{1, 2, 4}), nullptr);     // same size, other bytes
  EXPECT_EQ(memo.find(Key{}), nullptr);
}

TEST(RecentMemo, HoldsAtMostItsEntriesAndForgetsTheOldestFirst) {
  RecentMemo<int, 4> memo;
  for (std::uint8_t i = 0; i < 6; ++i) memo.insert(Key{i}, i);
  EXPECT_EQ(memo.size(), 4U);
  EXPECT_EQ(memo.find(Key{0}), nullptr);
  EXPECT_EQ(memo.find(Key{1}), nullptr);
  for (std::uint8_t i = 2; i < 6; ++i) {
    ASSERT_NE(memo.find(Key{i}), nullptr) << int{i};
    EXPECT_EQ(*memo.find(Key{i}), i);
  }
}

TEST(RecentMemo, KeysLongerThanTheLimitAreNotKept) {
  RecentMemo<int, 4, 8> memo;
  const Key long_key(9, 0xaa);
  memo.insert(long_key, 1);
  EXPECT_EQ(memo.size(), 0U);
  EXPECT_EQ(memo.find(long_key), nullptr);
  memo.insert(Key(8, 0xaa), 2);
  ASSERT_NE(memo.find(Key(8, 0xaa)), nullptr);
}

}  // namespace
}  // namespace ww
