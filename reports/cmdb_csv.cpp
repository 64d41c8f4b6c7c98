// The CSV reader of the CMDB comparison: RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180), strict about
// quoting so that a broken file is an error naming its line rather than columns silently shifted, and
// bounded (reports/cmdb.hpp: rows, columns, field size, file size).
#include <string>

#include "reports/cmdb.hpp"

namespace ww {
namespace {

std::string at_line(std::string_view source, std::size_t line, std::string_view what) {
  return std::string(source) + ": line " + std::to_string(line) + ": " + std::string(what);
}

std::string hex_byte(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 0xf];
}

// Bytes no text file holds: C0 controls other than tab, CR and LF, and DEL.
bool is_binary_byte(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

std::string_view without_bom(std::string_view text, std::string_view source) {
  if (text.starts_with("\xff\xfe") || text.starts_with("\xfe\xff")) {
    throw CmdbError(std::string(source) + ": UTF-16 text; export the CSV as UTF-8");
  }
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  return text;
}

// The delimiter of the header row: a comma, unless the row has none outside quotes and has a semicolon
// (Excel's "CSV" where the list separator is ';') or a tab.
char detect_delimiter(std::string_view text) {
  std::size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (commas > 0) return ',';
  if (semicolons > 0) return ';';
  if (tabs > 0) return '\t';
  return ',';
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// A state machine over the bytes: one pass, each field copied once.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view source, char delimiter)
      : text_(text), source_(source), delimiter_(delimiter) {}

  CsvTable read() {
    for (pos_ = 0; pos_ < text_.size(); ++pos_) step(static_cast<unsigned char>(text_[pos_]));
    if (state_ == State::quoted) fail(quote_line_, "a quoted field is never closed (unbalanced quotes)");
    if (state_ != State::field_start || !fields_.empty()) end_row();
    if (!have_header_) throw CmdbError(std::string(source_) + ": empty file: no header row");
    table_.delimiter = delimiter_;
    return std::move(table_);
  }

 private:
  enum class State { field_start, unquoted, quoted, after_quote };

  [[noreturn]] void fail(std::size_t line, std::string_view what) const {
    throw CmdbError(at_line(source_, line, what));
  }

  void step(unsigned char c) {
    if (is_binary_byte(c)) fail(line_, "not a CSV file: binary data (byte " + hex_byte(c) + ")");
    switch (state_) {
      case State::field_start:
        return start_field(c);
      case State::unquoted:
        return in_unquoted(c);
      case State::quoted:
        return in_quoted(c);
      case State::after_quote:
        return after_quote(c);
    }
  }

  void start_field(unsigned char c) {
    if (c == '"') {
      state_ = State::quoted;
      quote_line_ = line_;
    } else if (c == static_cast<unsigned char>(delimiter_)) {
      end_field();
    } else if (c == '\r' || c == '\n') {
      end_line(c);
      end_row();
    } else {
      append(c);
      state_ = State::unquoted;
    }
  }

  void in_unquoted(unsigned char c) {
    if (c == static_cast<unsigned char>(delimiter_)) {
      end_field();
    } else if (c == '\r' || c == '\n') {
      end_line(c);
      end_row();
    } else if (c == '"') {
      fail(line_, "a quote inside an unquoted field (RFC 4180: a field holding quotes is quoted, its quotes doubled)");
    } else {
      append(c);
    }
  }

  void in_quoted(unsigned char c) {
    if (c == '"') {
      state_ = State::after_quote;
      return;
    }
    if (c == '\n' || (c == '\r' && next() != '\n')) ++line_;  // a line break inside the field
    append(c);
  }

  void after_quote(unsigned char c) {
    if (c == '"') {  // a doubled quote: one quote in the value
      append(c);
      state_ = State::quoted;
    } else if (c == static_cast<unsigned char>(delimiter_)) {
      end_field();
    } else if (c == '\r' || c == '\n') {
      end_line(c);
      end_row();
    } else {
      fail(line_, "text after the closing quote of a field (a quote inside a quoted field must be doubled)");
    }
  }

  char next() const { return pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0'; }

  // A line ends at LF, CRLF or a lone CR (old Mac text).
  void end_line(unsigned char c) {
    if (c == '\r' && next() == '\n') ++pos_;
    ++line_;
  }

  void append(unsigned char c) {
    if (field_.size() >= kCmdbMaxFieldBytes) {
      fail(row_line_, "a field longer than " + std::to_string(kCmdbMaxFieldBytes) + " bytes (the limit)");
    }
    field_.push_back(static_cast<char>(c));
  }

  void end_field() {
    if (fields_.size() >= kCmdbMaxColumns) {
      fail(row_line_, "more than " + std::to_string(kCmdbMaxColumns) + " columns (the limit)");
    }
    fields_.push_back(std::move(field_));
    field_.clear();
    state_ = State::field_start;
  }

  void end_row() {
    end_field();
    const bool blank = fields_.size() == 1 && fields_[0].empty();
    if (!blank) add_row();
    fields_.clear();
    row_line_ = line_;
  }

  void add_row() {
    if (!have_header_) {
      for (auto& name : fields_) table_.header.push_back(trimmed(name));
      have_header_ = true;
      return;
    }
    if (table_.rows.size() >= kCmdbMaxRows) {
      fail(row_line_, "more than " + std::to_string(kCmdbMaxRows) + " data rows (the limit)");
    }
    if (fields_.size() > table_.header.size()) {
      fail(row_line_,
           std::to_string(fields_.size()) + " fields where the header has " + std::to_string(table_.header.size()));
    }
    fields_.resize(table_.header.size());
    table_.rows.push_back({row_line_, std::move(fields_)});
  }

  std::string_view text_, source_;
  char delimiter_;
  std::size_t pos_ = 0, line_ = 1, row_line_ = 1, quote_line_ = 1;
  State state_ = State::field_start;
  std::string field_;
  std::vector<std::string> fields_;
  bool have_header_ = false;
  CsvTable table_;
};

}  // namespace

CsvTable read_csv(std::string_view text, std::string_view source) {
  if (text.size() > kCmdbMaxFileBytes) {
    throw CmdbError(std::string(source) + ": larger than " + std::to_string(kCmdbMaxFileBytes >> 20) +
                    " MiB (the limit of a CMDB file)");
  }
  text = without_bom(text, source);
  return CsvReader(text, source, detect_delimiter(text)).read();
}

}  // namespace ww
