// Streams JSON text in exactly the layout of nlohmann's dump(2) — two-space indent, `"key": value`, empty
// containers as `[]` / `{}` — so that an export is written as it is walked instead of first being built as
// a DOM (for a large inventory the DOM cost more time than the walk and several times the text's size).
// Text that is not valid UTF-8 and floating-point numbers are formatted by nlohmann itself, so the bytes
// stay those of dump(2, ' ', false, error_handler_t::replace) (the golden tests diff them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ww {

class JsonWriter {
 public:
  // Appends to `out`; containers opened at the top start at nesting depth `depth` (for splicing into a
  // document that is already `depth` levels deep).
  explicit JsonWriter(std::string& out, unsigned depth = 0) : out_(out), base_depth_(depth) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view name);

  void value(std::string_view text);
  void value(const char* text) { value(std::string_view(text)); }
  void value(const std::string& text) { value(std::string_view(text)); }
  void value(std::uint64_t number);
  void value(std::uint32_t number) { value(std::uint64_t{number}); }
  void value(std::uint16_t number) { value(std::uint64_t{number}); }
  void value(std::int64_t number);
  void value(int number) { value(std::int64_t{number}); }
  void value(double number);
  void value(bool flag);
  void null();

  // Writes `list` (std::string or std::string_view elements) as an array of strings.
  template <typename Strings = std::vector<std::string>>  // (the default: for a braced list of literals)
  void strings(const Strings& list) {
    begin_array();
    for (const auto& s : list) value(std::string_view(s));
    end_array();
  }

 private:
  struct Level {
    bool empty = true;
  };
  void before_value();
  void open(char bracket);
  void close(char bracket);
  // A newline and the indentation of `depth` levels, after a comma if `comma`.
  void newline_indent(std::size_t depth, bool comma);
  // `text` as a JSON string, then `suffix`.
  void quoted(std::string_view text, std::string_view suffix);
  void escaped(std::string_view text);

  std::string& out_;
  unsigned base_depth_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace ww
