// Report helpers shared by the exporters.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>

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

#include <nlohmann/json.hpp>

#include "reports/json_writer.hpp"

namespace ww {
namespace {

// JsonWriter must produce the bytes of nlohmann's dump(2, ' ', false, replace) for the same document.
TEST(JsonWriter, WritesExactlyWhatNlohmannDumpWrites) {
  const std::vector<std::string> tricky = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      std::string("controls \b\f\n\r\t \x01\x1f and DEL \x7f", 31),
      "UTF-8: \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\x89",
      "broken UTF-8: \xc3 \xff \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf end",
      std::string("nul \0 inside", 12),
  };
  nlohmann::ordered_json dom;
  std::string text;
  JsonWriter w(text);
  w.begin_object();
  w.key("strings");
  w.begin_array();
  for (const auto& s : tricky) w.value(s);
  w.end_array();
  dom["strings"] = tricky;
  w.key("empty_array");
  w.begin_array();
  w.end_array();
  dom["empty_array"] = nlohmann::ordered_json::array();
  w.key("empty_object");
  w.begin_object();
  w.end_object();
  dom["empty_object"] = nlohmann::ordered_json::object();
  const std::vector<double> doubles = {0.0, 1.0, 0.1, 0.75, 1e-7, 123456.789, 1e21, -2.5};
  w.key("doubles");
  w.begin_array();
  for (double d : doubles) w.value(d);
  w.end_array();
  dom["doubles"] = doubles;
  w.key("numbers");
  w.begin_array();
  w.value(std::uint64_t{18446744073709551615u});
  w.value(std::int64_t{-42});
  w.value(std::uint16_t{65535});
  w.end_array();
  dom["numbers"] = {18446744073709551615u, -42, 65535};
  w.key("nested");
  w.begin_object();
  w.key("flag");
  w.value(true);
  w.key("none");
  w.null();
  w.key(tricky[3]);
  w.strings({"a", "b"});
  w.end_object();
  dom["nested"] = {{"flag", true}, {"none", nullptr}, {tricky[3], {"a", "b"}}};
  w.end_object();

  EXPECT_EQ(text, dom.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

// The inventory JSON is written in chunks of assets, in a large inventory two at a time on two threads:
// whatever the number of assets (one, a chunk's, serial, parallel, with a partial last pair), it is one
// dump(2) of the document, with the assets in order.
TEST(JsonReport, ChunkedAssetsAreOneDocumentInOrder) {
  // Serial below 10,000 assets (chunks of 64), two threads from there on (pairs of chunks).
  for (const std::size_t count : {std::size_t{1}, std::size_t{64}, std::size_t{1300}, std::size_t{10'000},
                                  std::size_t{10'100}}) {
    Inventory inv;
    for (std::size_t i = 0; i < count; ++i) {
      AssetView a;
      a.id = "ip:10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
      a.addresses.push_back(AddressView{a.id.substr(3), 1, 2, {"arp"}});
      a.observations.push_back(ObservationView{"dhcp.hostname", "host-" + std::to_string(i) + " \xc3", 1, 2});
      inv.assets.push_back(std::move(a));
    }
    std::ostringstream out;
    write_json(inv, "test", out);
    const auto dom = nlohmann::ordered_json::parse(out.str(), nullptr, true, false);
    ASSERT_EQ(dom["assets"].size(), count);
    for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(dom["assets"][i]["id"], inv.assets[i].id) << i;
    EXPECT_EQ(out.str(), dom.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n") << count;
  }
}

// Separators and indentation come from a table of 32 levels and short plain strings from a buffer of 64 bytes:
// past both (deeper nesting, longer keys and values, a string that is 64 bytes exactly, escapes in a short
// one) the text is still dump(2)'s.
TEST(JsonWriter, DeepNestingAndLongStringsAsNlohmannDumps) {
  const std::string exactly_short(64, 'k'), long_key(65, 'k'), long_value(300, 'v');
  std::string text;
  JsonWriter w(text);
  nlohmann::ordered_json dom = nlohmann::ordered_json::array();
  nlohmann::ordered_json* innermost = &dom;
  w.begin_array();
  for (int depth = 1; depth < 40; ++depth) {
    w.value(depth);
    w.begin_object();
    w.key(exactly_short);
    w.value(long_value);
    w.key(long_key);
    w.value("short \"escaped\"");
    w.key("next");
    w.begin_array();
    innermost->push_back(depth);
    innermost->push_back(
        {{exactly_short, long_value}, {long_key, "short \"escaped\""}, {"next", nlohmann::ordered_json::array()}});
    innermost = &innermost->back()["next"];
  }
  w.value("");
  innermost->push_back("");
  for (int depth = 1; depth < 40; ++depth) {
    w.end_array();
    w.end_object();
  }
  w.end_array();
  EXPECT_EQ(text, dom.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

// Strings are scanned eight bytes at a time for bytes to escape: each such byte (and a UTF-8 sequence, whole
// or cut), at every position of a string of up to 20 bytes, is found and written as dump(2) writes it.
TEST(JsonWriter, EveryByteToEscapeFoundAtEveryPosition) {
  const std::vector<std::string> specials = {
      "\"", "\\", std::string(1, '\0'), "\x1f", "\n", "\x7f", "\xc3\xa9", "\xc3", "\x80", "\xff"};
  for (const std::string& special : specials) {
    for (std::size_t length = 1; length <= 20; ++length) {
      for (std::size_t at = 0; at + special.size() <= length; ++at) {
        std::string text(length, 'a');
        text.replace(at, special.size(), special);
        std::string written;
        JsonWriter w(written);
        w.value(text);
        ASSERT_EQ(written, nlohmann::json(text).dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
            << "special byte " << static_cast<int>(static_cast<unsigned char>(special[0])) << " at " << at << " of "
            << length;
      }
    }
  }
}

TEST(JsonWriter, NestsAtTheDepthItIsSplicedInto) {
  std::string text;
  JsonWriter w(text, 2);
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.value(1);
  w.end_array();
  w.end_object();
  EXPECT_EQ(text, "{\n      \"a\": [\n        1\n      ]\n    }");
}

}  // namespace
}  // namespace ww
