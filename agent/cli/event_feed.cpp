#include "agent/cli/event_feed.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "agent/cli/push.hpp"
#include "agent/cli/run_common.hpp"
#include "agent/pipeline/stats.hpp"
#include "agent/store/sqlite_store.hpp"

namespace ww {
namespace {

constexpr int kTimeoutMs = 3000;
// RFC 5426 §3.2: a receiver must take 480 octets, should take 2048; rsyslog takes 8 KiB by default. A longer
// message goes over UDP cut to this length.
constexpr std::size_t kMaxUdpMessage = 8000;

struct Endpoint {
  std::string scheme, host, port;
};

Endpoint parse_url(const std::string& url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string::npos) throw FeedError("--syslog: expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT");
  Endpoint e{url.substr(0, sep), {}, {}};
  if (e.scheme != "udp" && e.scheme != "tcp" && e.scheme != "tls") {
    throw FeedError("--syslog: unknown transport '" + e.scheme + "' (udp, tcp or tls)");
  }
  std::string rest = url.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const std::size_t close = rest.find(']');
    if (close == std::string::npos) throw FeedError("--syslog: unclosed '[' in '" + url + "'");
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') e.port = rest.substr(close + 2);
  } else {
    const std::size_t colon = rest.rfind(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) e.port = rest.substr(colon + 1);
  }
  if (e.port.empty()) e.port = e.scheme == "tls" ? "6514" : "514";  // RFC 5425 §4.1, RFC 5426 §3.3
  if (e.host.empty() || e.port.find_first_not_of("0123456789") != std::string::npos) {
    throw FeedError("--syslog: expected HOST:PORT in '" + url + "'");
  }
  return e;
}

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A connected socket (UDP: connected for send(); TCP: with a bounded connect), or -1.
int connect_to(const Endpoint& e, int type) {
  addrinfo hints{};
  hints.ai_socktype = type;
  addrinfo* found = nullptr;
  if (::getaddrinfo(e.host.c_str(), e.port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      rc = ::poll(&p, 1, kTimeoutMs) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    }
    if (rc != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    // Blocking from here on, with a send timeout: a stalled server costs at most kTimeoutMs per message.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const timeval tv{kTimeoutMs / 1000, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// RFC 6587 §3.4.1 octet counting: "LENGTH SP MESSAGE" (also RFC 5425 §4.3 over TLS).
std::string octet_counted(const std::string& line) { return std::to_string(line.size()) + " " + line; }

class UdpTransport final : public SyslogTransport {
 public:
  explicit UdpTransport(Endpoint e) : endpoint_(std::move(e)) {}
  bool send(const std::string& line) override {
    if (fd_.get() < 0) fd_.reset(connect_to(endpoint_, SOCK_DGRAM));
    if (fd_.get() < 0) return false;
    const std::string_view datagram(line.data(), std::min(line.size(), kMaxUdpMessage));
    if (::send(fd_.get(), datagram.data(), datagram.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(datagram.size())) {
      return true;
    }
    fd_.reset();
    return false;
  }

 private:
  Endpoint endpoint_;
  FileDescriptor fd_;
};

class TcpTransport final : public SyslogTransport {
 public:
  explicit TcpTransport(Endpoint e) : endpoint_(std::move(e)) {}
  bool send(const std::string& line) override {
    if (fd_.get() < 0) fd_.reset(connect_to(endpoint_, SOCK_STREAM));
    if (fd_.get() >= 0 && send_all(fd_.get(), octet_counted(line))) return true;
    fd_.reset();
    return false;
  }

 private:
  Endpoint endpoint_;
  FileDescriptor fd_;
};

// TLS with OpenSSL: the server's certificate must chain to the CA file (or the system's CAs) and name the host.
class TlsTransport final : public SyslogTransport {
 public:
  TlsTransport(Endpoint e, const std::optional<std::string>& ca) : endpoint_(std::move(e)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) throw FeedError("--syslog: cannot set up TLS");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    const int loaded = ca ? SSL_CTX_load_verify_locations(ctx_, ca->c_str(), nullptr) : SSL_CTX_set_default_verify_paths(ctx_);
    if (loaded != 1) {
      SSL_CTX_free(ctx_);
      throw FeedError("--syslog-ca: cannot load CA certificates from '" + ca.value_or("the system") + "'");
    }
  }
  ~TlsTransport() override {
    close_gracefully();
    SSL_CTX_free(ctx_);
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  bool send(const std::string& line) override {
    if (ssl_ == nullptr && !connect()) return false;
    const std::string frame = octet_counted(line);
    std::size_t at = 0;
    while (at < frame.size()) {
      const int n = SSL_write(ssl_, frame.data() + at, static_cast<int>(frame.size() - at));
      if (n <= 0) {
        close();
        return false;
      }
      at += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  bool connect() {
    fd_.reset(connect_to(endpoint_, SOCK_STREAM));
    if (fd_.get() < 0) return false;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_.get());
    SSL_set_tlsext_host_name(ssl_, endpoint_.host.c_str());
    SSL_set1_host(ssl_, endpoint_.host.c_str());
    if (SSL_connect(ssl_) != 1) {
      if (!warned_) {
        warning_line("syslog: TLS handshake with " + endpoint_.host + " failed: " +
                     ERR_reason_error_string(ERR_peek_last_error() ? ERR_peek_last_error() : 0) +
                     " (events are not sent until it succeeds)");
        warned_ = true;
      }
      ERR_clear_error();
      close();
      return false;
    }
    return true;
  }
  void close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    fd_.reset();
  }
  // close_notify, then read what the server still sends (TLS 1.3 session tickets) until it closes: closing a
  // socket with unread data sends a TCP reset, and the server drops the messages it had not yet read.
  void close_gracefully() {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      ::shutdown(fd_.get(), SHUT_WR);
      char sink[4096];
      pollfd p{fd_.get(), POLLIN, 0};
      for (int rounds = 0; rounds < 100 && ::poll(&p, 1, 1000) == 1; ++rounds) {
        if (::recv(fd_.get(), sink, sizeof sink, 0) <= 0) break;
      }
    }
    close();
  }

  Endpoint endpoint_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  FileDescriptor fd_;
  bool warned_ = false;
};

}  // namespace

std::unique_ptr<SyslogTransport> SyslogTransport::open(const std::string& url, const std::optional<std::string>& ca) {
  Endpoint e = parse_url(url);
  if (e.scheme == "udp") return std::make_unique<UdpTransport>(std::move(e));
  if (e.scheme == "tcp") return std::make_unique<TcpTransport>(std::move(e));
  return std::make_unique<TlsTransport>(std::move(e), ca);
}

bool events_wanted(const CommonOptions& opts) { return opts.events_path || opts.syslog_url; }

EventOrigin event_origin(const CommonOptions& opts) {
  return {opts.agent_id.empty() ? default_agent_id() : opts.agent_id, opts.site.empty() ? kDefaultSite : opts.site,
          default_agent_id(), version()};
}

EventFeed::EventFeed(const CommonOptions& opts)
    : origin_(event_origin(opts)), rate_(opts.syslog_rate), tokens_(opts.syslog_rate * 10),
      refilled_(std::chrono::steady_clock::now()) {
  if (opts.syslog_url) syslog_ = SyslogTransport::open(*opts.syslog_url, opts.syslog_ca);
  if (opts.events_path) {
    if (*opts.events_path == "-") {
      file_ = stdout;
    } else {
      // Appended: a live agent's feed grows across restarts; created 0640 like the inventory.
      const int fd = ::open(opts.events_path->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      file_ = fd >= 0 ? ::fdopen(fd, "a") : nullptr;
      if (file_ == nullptr) {
        if (fd >= 0) ::close(fd);
        throw FeedError("cannot write events to '" + *opts.events_path + "': " + std::strerror(errno));
      }
      own_file_ = true;
    }
  }
}

EventFeed::~EventFeed() {
  if (own_file_) std::fclose(file_);
}

// A token bucket: `rate` a second, holding at most ten seconds' worth (a first inventory's burst).
bool EventFeed::take_token() {
  const auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(rate_ * 10, tokens_ + rate_ * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void EventFeed::publish(const std::vector<InventoryEvent>& events) {
  for (const InventoryEvent& e : events) {
    if (file_ != nullptr) {
      const std::string doc = ecs_json(e, origin_);
      std::fwrite(doc.data(), 1, doc.size(), file_);
      std::fputc('\n', file_);
      ++figures_.written;
    }
    if (syslog_) {
      if (!take_token()) {
        ++figures_.rate_limited;
        continue;
      }
      const std::string line = syslog_line(cef_message(e, origin_), cef_severity(e), e.time_us, origin_, ::getpid());
      if (syslog_->send(line)) ++figures_.sent;
      else ++figures_.failed;
    }
  }
  if (file_ != nullptr) std::fflush(file_);
}

void report_feed_losses(const EventFeed& feed) {
  const EventFeed::Figures& f = feed.figures();
  if (f.failed == 0 && f.rate_limited == 0) return;
  warning_line("syslog: " + std::to_string(f.failed) + " events could not be sent (server unreachable), " +
               std::to_string(f.rate_limited) + " dropped over --syslog-rate; the --events file has them all");
}

void publish_inventory_events(EventFeed& feed, SqliteStore& store, Inventory& inv, const Stats& stats,
                              const std::optional<std::string>& findings_dir) {
  if (const auto failed = add_findings(inv, findings_dir)) warning_line(*failed + " (no finding events)");
  std::vector<DeviceState> previous;
  for (StoredClassification& c : store.stored_classifications()) {
    DeviceState d;
    d.id = std::move(c.asset_id);
    d.mac = std::move(c.mac);
    for (std::size_t at = 0; at < c.ips.size();) {
      const std::size_t end = std::min(c.ips.find(' ', at), c.ips.size());
      if (end > at) d.ips.push_back(c.ips.substr(at, end - at));
      at = end + 1;
    }
    std::sort(d.ips.begin(), d.ips.end());
    d.category = std::move(c.category);
    d.vendor = std::move(c.vendor);
    d.model = std::move(c.model);
    d.firmware = std::move(c.firmware);
    d.os = std::move(c.os);
    d.crown_jewel = std::move(c.crown_jewel);
    d.first_seen = std::move(c.first_seen);
    d.last_seen = std::move(c.last_seen);
    previous.push_back(std::move(d));
  }
  const ReportedBefore before{store.reported(SqliteStore::Reported::findings),
                              store.reported(SqliteStore::Reported::conversations)};
  std::vector<InventoryEvent> events = inventory_events(std::move(previous), inv, before);
  std::vector<std::pair<std::string, std::string>> raised, started;
  for (const InventoryEvent& e : events) {
    if (e.kind == InventoryEvent::Kind::finding_raised) raised.emplace_back(e.finding->id, e.asset->id);
    if (e.kind == InventoryEvent::Kind::conversation_started) {
      started.emplace_back(e.asset->id, conversation_key(*e.conversation));
    }
  }
  const InventoryCounts counts = count_inventory(inv);
  InventoryEvent status;
  status.kind = InventoryEvent::Kind::agent_status;
  status.time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  status.figures = {{"packets", stats.packets},
                    {"malformed", stats.malformed},
                    {"kernel_drops", stats[Counter::pcap_dropped]},
                    {"assets", counts.assets},
                    {"medical_devices", counts.medical},
                    {"crown_jewels", counts.jewels},
                    {"events", events.size()},
                    {"syslog_rate_limited", feed.figures().rate_limited},
                    {"syslog_failed", feed.figures().failed}};
  status.message = std::to_string(counts.assets) + " assets, " + std::to_string(counts.medical) +
                   " medical devices, " + std::to_string(events.size()) + " events";
  events.push_back(std::move(status));
  feed.publish(events);
  store.remember(SqliteStore::Reported::findings, raised);
  store.remember(SqliteStore::Reported::conversations, started);
}

}  // namespace ww
