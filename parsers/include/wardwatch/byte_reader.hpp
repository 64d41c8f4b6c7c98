// Bounds-checked, sticky-failure cursor over untrusted wire bytes.
// Every read past the end returns a zero value and latches `ok() == false`, so a parser can read a whole
// header and check validity once (the pattern of Wireshark's tvb and mercury's datum). Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ww {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(Bytes data) : data_(data) {}

  [[nodiscard]] constexpr bool ok() const { return ok_; }
  [[nodiscard]] constexpr std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  [[nodiscard]] constexpr std::size_t position() const { return pos_; }
  [[nodiscard]] constexpr bool empty() const { return remaining() == 0; }
  [[nodiscard]] constexpr Bytes rest() const { return ok_ ? data_.subspan(pos_) : Bytes{}; }
  [[nodiscard]] constexpr bool has(std::size_t n) const { return ok_ && data_.size() - pos_ >= n; }

  constexpr std::uint8_t u8() {
    if (!require(1)) return 0;
    return data_[pos_++];
  }
  constexpr std::uint16_t u16be() {
    if (!require(2)) return 0;
    auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  constexpr std::uint16_t u16le() {
    if (!require(2)) return 0;
    auto v = static_cast<std::uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  constexpr std::uint32_t u24be() {
    if (!require(3)) return 0;
    std::uint32_t v = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) | data_[pos_ + 2];
    pos_ += 3;
    return v;
  }
  constexpr std::uint32_t u32be() {
    if (!require(4)) return 0;
    std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
                      (std::uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return v;
  }
  constexpr std::uint32_t u32le() {
    if (!require(4)) return 0;
    std::uint32_t v = data_[pos_] | (std::uint32_t{data_[pos_ + 1]} << 8) | (std::uint32_t{data_[pos_ + 2]} << 16) |
                      (std::uint32_t{data_[pos_ + 3]} << 24);
    pos_ += 4;
    return v;
  }
  // Returns the next n bytes as a view (empty and failed when fewer remain).
  constexpr Bytes bytes(std::size_t n) {
    if (!require(n)) return {};
    Bytes v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view text(std::size_t n) {
    Bytes b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  constexpr void skip(std::size_t n) { (void)bytes(n); }
  // A sub-reader over the next n bytes; the parent advances past them.
  constexpr ByteReader sub(std::size_t n) {
    if (!require(n)) return failed();
    ByteReader r(data_.subspan(pos_, n));
    pos_ += n;
    return r;
  }
  constexpr std::uint8_t peek_u8(std::size_t offset = 0) const {
    return has(offset + 1) ? data_[pos_ + offset] : 0;
  }
  constexpr void fail() { ok_ = false; }

 private:
  static constexpr ByteReader failed() {
    ByteReader r;
    r.ok_ = false;
    return r;
  }
  constexpr bool require(std::size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  Bytes data_{};
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline std::string_view as_text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace ww
