#include "agent/store/row_batch.hpp"

namespace ww {

void RowBatch::keep(Op& op, int field, std::string_view s) {
  op.size[field] = static_cast<std::uint32_t>(s.size());
  text_.append(s);
}

std::string_view RowBatch::view(const Op& op, int field) const {
  std::uint64_t at = op.text_start;
  for (int i = 0; i < field; ++i) at += op.size[i];
  return {text_.data() + at, op.size[field]};
}

RowBatch::Op& RowBatch::add(Kind kind) {
  Op& op = ops_.emplace_back();
  op.kind = kind;
  op.text_start = text_.size();
  return op;
}

void RowBatch::mac(const MacRow& row) {
  Op& op = add(Kind::mac);
  keep(op, 0, row.mac);
  op.seen = row.seen;
  op.traffic = row.traffic;
}

void RowBatch::vlan(std::string_view mac, std::uint16_t vlan) {
  Op& op = add(Kind::vlan);
  keep(op, 0, mac);
  op.small = vlan;
}

void RowBatch::binding(const BindingRow& row) {
  Op& op = add(Kind::binding);
  keep(op, 0, row.ip);
  keep(op, 1, row.mac);
  op.seen = row.seen;
  op.traffic = row.traffic;
  op.confirmed = row.confirmed;
}

void RowBatch::service(const ServiceRow& row) {
  Op& op = add(Kind::service);
  keep(op, 0, row.ip);
  keep(op, 1, row.mac);
  keep(op, 2, row.role);
  keep(op, 3, row.proto);
  op.small = row.port;
  op.seen = row.seen;
  op.traffic.packets_sent = row.count;
}

// A conversation's role and transport are one of two words each: kept as bits beside its four texts.
void RowBatch::conversation(const ConversationRow& row) {
  Op& op = add(Kind::conversation);
  keep(op, 0, row.ip);
  keep(op, 1, row.mac);
  keep(op, 2, row.peer);
  keep(op, 3, row.app);
  op.confirmed = (row.role == "server" ? 1 : 0) | (row.proto == "tcp" ? 2 : 0);
  op.small = row.port;
  op.seen = row.seen;
  op.traffic = row.traffic;
}

void RowBatch::observation(const ObservationRow& row) {
  Op& op = add(Kind::observation);
  keep(op, 0, row.ip);
  keep(op, 1, row.mac);
  keep(op, 2, row.key);
  keep(op, 3, row.value);
  op.seen = row.seen;
  op.traffic.packets_sent = row.count;
}

void RowBatch::replay(RowSink& sink) const {
  for (const Op& op : ops_) {
    const auto t = [&](int i) { return view(op, i); };
    switch (op.kind) {
      case Kind::mac: sink.mac({t(0), op.seen, op.traffic}); break;
      case Kind::vlan: sink.vlan(t(0), op.small); break;
      case Kind::binding: sink.binding({t(0), t(1), op.seen, op.traffic, op.confirmed}); break;
      case Kind::service: sink.service({t(0), t(1), t(2), t(3), op.small, op.seen, op.traffic.packets_sent}); break;
      case Kind::conversation:
        sink.conversation({t(0), t(1), t(2), (op.confirmed & 1) != 0 ? "server" : "client",
                           (op.confirmed & 2) != 0 ? "tcp" : "udp", op.small, t(3), op.seen, op.traffic});
        break;
      case Kind::observation: sink.observation({t(0), t(1), t(2), t(3), op.seen, op.traffic.packets_sent}); break;
    }
  }
}

}  // namespace ww
