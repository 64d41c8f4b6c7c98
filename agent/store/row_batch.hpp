// An owning copy of the rows one drain of the tracker produced: what the capture thread hands to the
// database writer thread (agent/store/background_writer.hpp), so that SQLite never runs on the thread that
// reads packets. Rows keep the order the drain gave them (primary-key order: cheap B-tree inserts).
//
// Rows are encoded back to back as bytes (a kind, varint numbers, length-prefixed texts), and a row of the
// same (ip, mac) as the one before does not repeat them: a drain walks one record after the other, so most
// rows share their owner. A final drain at 100,000 devices holds about a million rows: this takes ~45 bytes
// for a typical fact where a struct of fixed fields took 80 plus its texts. Storage grows in fixed chunks,
// never by copy-and-double (a doubling buffer holds up to twice its contents, three times while it moves).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/rows.hpp"

namespace ww {

class RowBatch final : public RowSink {
 public:
  void mac(const MacRow& row) override;
  void vlan(std::string_view mac, std::uint16_t vlan) override;
  void binding(const BindingRow& row) override;
  void service(const ServiceRow& row) override;
  void conversation(const ConversationRow& row) override;
  void observation(const ObservationRow& row) override;

  // Hands every row, in the order received, to `sink`.
  void replay(RowSink& sink) const;
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t bytes() const;  // encoded
  [[nodiscard]] std::size_t reserved_bytes() const;  // the memory its chunks hold (1 MiB at least, once it has a row)

 private:
  class Writer;
  class Reader;
  // A chunk with room for `max_size` more bytes (a row never straddles two chunks).
  std::string& chunk_for(std::size_t max_size);
  // Starts a row of `kind`; with an owner, writes it unless it is the previous row's.
  Writer begin(std::uint8_t kind, std::size_t text_size);
  Writer begin_owned(std::uint8_t kind, std::string_view ip, std::string_view mac, std::size_t text_size);

  static constexpr std::size_t kChunkBytes = 1 << 20;
  std::vector<std::string> chunks_;  // each reserved once
  std::string last_ip_, last_mac_;   // the owner of the last owned row
  bool has_owner_ = false;
  std::size_t rows_ = 0;
};

}  // namespace ww
