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
  struct Span {
    std::size_t offset = 0;
    std::uint32_t size = 0;  // one field: a fact's value is far below 4 GiB
  };
  // One row: its kind, up to four text fields (in text_), and its numbers.
  struct Op {
    Kind kind{};
    std::uint16_t small = 0;  // vlan, port
    int confirmed = 0;        // a binding's confirmed_by bits; a conversation's role (1 server) and proto
    Span text[4];
    Seen seen;
    Traffic traffic;
    std::uint64_t count = 0;
  };
  Span keep(std::string_view s);
  Op& add(Kind kind);
  [[nodiscard]] std::string_view view(Span s) const { return {text_.data() + s.offset, s.size}; }

  std::string text_;  // every row's text back to back: one allocation that grows, not one per field
  std::vector<Op> ops_;
};

}  // namespace ww
