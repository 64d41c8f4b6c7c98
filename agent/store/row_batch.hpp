// An owning copy of the rows one drain of the tracker produced: what the capture thread hands to the
// database writer thread (agent/store/background_writer.hpp), so that SQLite never runs on the thread that
// reads packets. Rows keep the order the drain gave them (primary-key order: cheap B-tree inserts).
#pragma once

#include <cstdint>
#include <string>
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
  [[nodiscard]] std::size_t rows() const { return ops_.size(); }
  [[nodiscard]] std::size_t bytes() const { return text_.size() + ops_.size() * sizeof(Op); }

 private:
  enum class Kind : std::uint8_t { mac, vlan, binding, service, conversation, observation };
  // One row: its kind, up to four text fields (back to back in text_, from text_start), and its numbers.
  // 80 bytes: a final flush of the benchmark capture holds a quarter of a million of them.
  struct Op {
    std::uint64_t text_start = 0;
    std::uint32_t size[4] = {};  // each text field's length (a fact's value is far below 4 GiB)
    Kind kind{};
    std::uint16_t small = 0;  // vlan, port
    int confirmed = 0;        // a binding's confirmed_by bits; a conversation's role (1 server) and proto
    Seen seen;
    Traffic traffic;  // services and facts have no traffic: their count is in traffic.packets_sent
  };
  Op& add(Kind kind);
  // Appends `s` as the op's next text field (fields are kept in order, 0 to 3).
  void keep(Op& op, int field, std::string_view s);
  [[nodiscard]] std::string_view view(const Op& op, int field) const;

  std::string text_;  // every row's text back to back: one allocation that grows, not one per field
  std::vector<Op> ops_;
};

}  // namespace ww
