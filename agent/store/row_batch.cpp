#include "agent/store/row_batch.hpp"

#include <algorithm>
#include <cassert>

namespace ww {
namespace {

enum Kind : std::uint8_t { kMac = 1, kVlan, kBinding, kService, kConversation, kObservation };
constexpr std::uint8_t kSameOwner = 0x80;  // flag on an owned row's kind: (ip, mac) as the row before
constexpr std::size_t kMaxNumbers = 12;    // numbers in any row
constexpr std::size_t kMaxVarint = 10;
constexpr std::size_t kMaxTexts = 6;

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace

class RowBatch::Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  Writer& u(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& s(std::int64_t v) { return u(zigzag(v)); }
  Writer& text(std::string_view t) {
    u(t.size());
    out_.append(t);
    return *this;
  }
  Writer& seen(const Seen& x) { return s(x.first_us).s(x.last_us); }
  Writer& traffic(const Traffic& t) {
    return u(t.packets_sent).u(t.packets_received).u(t.bytes_sent).u(t.bytes_received);
  }

 private:
  std::string& out_;
};

// Reads what Writer wrote; the batch wrote it, so it is trusted (asserted, not checked).
class RowBatch::Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool more() const { return at_ < in_.size(); }
  std::uint8_t byte() { return static_cast<std::uint8_t>(in_[at_++]); }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const std::uint8_t b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
  }
  std::int64_t s() { return unzigzag(u()); }
  std::string_view text() {
    const std::size_t n = u();
    assert(at_ + n <= in_.size());
    const std::string_view t = in_.substr(at_, n);
    at_ += n;
    return t;
  }
  Seen seen() {
    Seen x;
    x.first_us = s();
    x.last_us = s();
    return x;
  }
  Traffic traffic() {
    Traffic t;
    t.packets_sent = u();
    t.packets_received = u();
    t.bytes_sent = u();
    t.bytes_received = u();
    return t;
  }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

std::string& RowBatch::chunk_for(std::size_t max_size) {
  if (chunks_.empty() || chunks_.back().capacity() - chunks_.back().size() < max_size) {
    chunks_.emplace_back().reserve(std::max(kChunkBytes, max_size));
  }
  return chunks_.back();
}

RowBatch::Writer RowBatch::begin(std::uint8_t kind, std::size_t text_size) {
  std::string& out = chunk_for(1 + text_size + (kMaxNumbers + kMaxTexts) * kMaxVarint);
  ++rows_;
  out.push_back(static_cast<char>(kind));
  return Writer(out);
}

RowBatch::Writer RowBatch::begin_owned(std::uint8_t kind, std::string_view ip, std::string_view mac,
                                       std::size_t text_size) {
  const bool same = has_owner_ && ip == last_ip_ && mac == last_mac_;
  Writer w = begin(same ? kind | kSameOwner : kind, text_size + ip.size() + mac.size());
  if (!same) {
    w.text(ip).text(mac);
    last_ip_.assign(ip);
    last_mac_.assign(mac);
    has_owner_ = true;
  }
  return w;
}

std::size_t RowBatch::bytes() const {
  std::size_t n = 0;
  for (const std::string& chunk : chunks_) n += chunk.size();
  return n;
}

std::size_t RowBatch::reserved_bytes() const {
  std::size_t n = 0;
  for (const std::string& chunk : chunks_) n += chunk.capacity();
  return n;
}

void RowBatch::mac(const MacRow& row) {
  begin(kMac, row.mac.size()).text(row.mac).seen(row.seen).traffic(row.traffic);
}

void RowBatch::vlan(std::string_view mac, std::uint16_t vlan) {
  begin(kVlan, mac.size()).text(mac).u(vlan);
}

void RowBatch::binding(const BindingRow& row) {
  begin_owned(kBinding, row.ip, row.mac, 0).seen(row.seen).traffic(row.traffic).u(static_cast<unsigned>(row.confirmed));
}

void RowBatch::service(const ServiceRow& row) {
  begin_owned(kService, row.ip, row.mac, row.role.size() + row.proto.size())
      .text(row.role)
      .text(row.proto)
      .u(row.port)
      .seen(row.seen)
      .u(row.count);
}

// A conversation's role and transport are one of two words each, kept as bits; anything else is spelled out
// (a conversation migrated from a schema 4 peer has neither: '' and '', docs/output.md).
namespace conversation_bits {
constexpr unsigned kServer = 1, kTcp = 2, kRoleText = 4, kProtoText = 8;
}

void RowBatch::conversation(const ConversationRow& row) {
  using namespace conversation_bits;
  const bool role_word = row.role == "server" || row.role == "client";
  const bool proto_word = row.proto == "tcp" || row.proto == "udp";
  const unsigned bits = (row.role == "server" ? kServer : 0U) | (row.proto == "tcp" ? kTcp : 0U) |
                        (role_word ? 0U : kRoleText) | (proto_word ? 0U : kProtoText);
  const std::size_t spelled = (role_word ? 0 : row.role.size()) + (proto_word ? 0 : row.proto.size());
  Writer w = begin_owned(kConversation, row.ip, row.mac, row.peer.size() + row.app.size() + spelled);
  w.text(row.peer).text(row.app).u(bits);
  if (!role_word) w.text(row.role);
  if (!proto_word) w.text(row.proto);
  w.u(row.port).seen(row.seen).traffic(row.traffic);
}

void RowBatch::observation(const ObservationRow& row) {
  begin_owned(kObservation, row.ip, row.mac, row.key.size() + row.value.size())
      .text(row.key)
      .text(row.value)
      .seen(row.seen)
      .u(row.count);
}

void RowBatch::replay(RowSink& sink) const {
  std::string_view ip, mac;  // the owner of the last owned row: views into a chunk, which stays put
  for (const std::string& chunk : chunks_) {
    Reader r(chunk);
    while (r.more()) {
      const std::uint8_t tag = r.byte();
      const std::uint8_t kind = tag & ~kSameOwner;
      if (kind >= kBinding && (tag & kSameOwner) == 0) {
        ip = r.text();
        mac = r.text();
      }
      switch (kind) {
        case kMac: {
          const std::string_view m = r.text();
          const Seen seen = r.seen();
          sink.mac({m, seen, r.traffic()});
          break;
        }
        case kVlan: {
          const std::string_view m = r.text();
          sink.vlan(m, static_cast<std::uint16_t>(r.u()));
          break;
        }
        case kBinding: {
          const Seen seen = r.seen();
          const Traffic traffic = r.traffic();
          sink.binding({ip, mac, seen, traffic, static_cast<int>(r.u())});
          break;
        }
        case kService: {
          const std::string_view role = r.text(), proto = r.text();
          const auto port = static_cast<std::uint16_t>(r.u());
          const Seen seen = r.seen();
          sink.service({ip, mac, role, proto, port, seen, r.u()});
          break;
        }
        case kConversation: {
          using namespace conversation_bits;
          const std::string_view peer = r.text(), app = r.text();
          const std::uint64_t bits = r.u();
          const std::string_view role = (bits & kRoleText) != 0 ? r.text()
                                        : (bits & kServer) != 0 ? "server"
                                                                : "client";
          const std::string_view proto = (bits & kProtoText) != 0 ? r.text() : (bits & kTcp) != 0 ? "tcp" : "udp";
          const auto port = static_cast<std::uint16_t>(r.u());
          const Seen seen = r.seen();
          sink.conversation({ip, mac, peer, role, proto, port, app, seen, r.traffic()});
          break;
        }
        case kObservation: {
          const std::string_view key = r.text(), value = r.text();
          const Seen seen = r.seen();
          sink.observation({ip, mac, key, value, seen, r.u()});
          break;
        }
        default:
          assert(false && "a row kind RowBatch never writes");
          return;
      }
    }
  }
}

}  // namespace ww
