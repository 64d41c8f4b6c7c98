#include "agent/store/row_batch.hpp"

namespace ww {

RowBatch::Span RowBatch::keep(std::string_view s) {
  const Span span{text_.size(), static_cast<std::uint32_t>(s.size())};
  text_.append(s);
  return span;
}

RowBatch::Op& RowBatch::add(Kind kind) {
  Op& op = ops_.emplace_back();
  op.kind = kind;
  return op;
}

void RowBatch::mac(const MacRow& row) {
  Op& op = add(Kind::mac);
  op.text[0] = keep(row.mac);
  op.seen = row.seen;
  op.traffic = row.traffic;
}

void RowBatch::vlan(std::string_view mac, std::uint16_t vlan) {
  Op& op = add(Kind::vlan);
  op.text[0] = keep(mac);
  op.small = vlan;
}

void RowBatch::binding(const BindingRow& row) {
  Op& op = add(Kind::binding);
  op.text[0] = keep(row.ip);
  op.text[1] = keep(row.mac);
  op.seen = row.seen;
  op.traffic = row.traffic;
  op.confirmed = row.confirmed;
}

void RowBatch::service(const ServiceRow& row) {
  Op& op = add(Kind::service);
  op.text[0] = keep(row.ip);
  op.text[1] = keep(row.mac);
  op.text[2] = keep(row.role);
  op.text[3] = keep(row.proto);
  op.small = row.port;
  op.seen = row.seen;
  op.count = row.count;
}

// A conversation's role and transport are one of two words each: kept as bits beside its four texts.
void RowBatch::conversation(const ConversationRow& row) {
  Op& op = add(Kind::conversation);
  op.text[0] = keep(row.ip);
  op.text[1] = keep(row.mac);
  op.text[2] = keep(row.peer);
  op.text[3] = keep(row.app);
  op.confirmed = (row.role == "server" ? 1 : 0) | (row.proto == "tcp" ? 2 : 0);
  op.small = row.port;
  op.seen = row.seen;
  op.traffic = row.traffic;
}

void RowBatch::observation(const ObservationRow& row) {
  Op& op = add(Kind::observation);
  op.text[0] = keep(row.ip);
  op.text[1] = keep(row.mac);
  op.text[2] = keep(row.key);
  op.text[3] = keep(row.value);
  op.seen = row.seen;
  op.count = row.count;
}

void RowBatch::replay(RowSink& sink) const {
  for (const Op& op : ops_) {
    const auto t = [&](int i) { return view(op.text[i]); };
    switch (op.kind) {
      case Kind::mac: sink.mac({t(0), op.seen, op.traffic}); break;
      case Kind::vlan: sink.vlan(t(0), op.small); break;
      case Kind::binding: sink.binding({t(0), t(1), op.seen, op.traffic, op.confirmed}); break;
      case Kind::service: sink.service({t(0), t(1), t(2), t(3), op.small, op.seen, op.count}); break;
      case Kind::conversation:
        sink.conversation({t(0), t(1), t(2), (op.confirmed & 1) != 0 ? "server" : "client",
                           (op.confirmed & 2) != 0 ? "tcp" : "udp", op.small, t(3), op.seen, op.traffic});
        break;
      case Kind::observation: sink.observation({t(0), t(1), t(2), t(3), op.seen, op.count}); break;
    }
  }
}

}  // namespace ww
