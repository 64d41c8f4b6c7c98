// The SIEM feed's outputs (docs/events.md): ECS documents appended to a file (or standard output), and CEF
// messages in RFC 5424 syslog lines sent over UDP (RFC 5426), TCP (RFC 6587 octet counting) or TLS (RFC 5425).
// The events come from reports/events.hpp; this side opens, sends, rate-limits and counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/cli/commands.hpp"
#include "model/inventory.hpp"
#include "reports/events.hpp"

namespace ww {

class SqliteStore;
struct Stats;

class FeedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A syslog destination. send() never blocks longer than its timeout (3 s); a failure closes the connection,
// which the next send() opens again.
class SyslogTransport {
 public:
  virtual ~SyslogTransport() = default;
  virtual bool send(const std::string& line) = 0;
  // "udp://HOST:PORT", "tcp://HOST:PORT", "tls://HOST:PORT" (IPv6 as [ADDR]:PORT); `ca`: the CA file a TLS
  // server's certificate must chain to (default: the system's). Throws FeedError on a malformed URL.
  static std::unique_ptr<SyslogTransport> open(const std::string& url, const std::optional<std::string>& ca);
};

// Whether the options ask for events at all.
bool events_wanted(const CommonOptions& opts);
EventOrigin event_origin(const CommonOptions& opts);

class EventFeed {
 public:
  // Opens the outputs the options name. Throws FeedError with one line (an unwritable file, a bad URL).
  explicit EventFeed(const CommonOptions& opts);
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  void publish(const std::vector<InventoryEvent>& events);

  struct Figures {
    std::uint64_t written = 0;       // ECS documents written
    std::uint64_t sent = 0;          // syslog messages sent
    std::uint64_t rate_limited = 0;  // syslog messages over --syslog-rate, dropped
    std::uint64_t failed = 0;        // syslog messages the transport could not send
  };
  [[nodiscard]] const Figures& figures() const { return figures_; }
  [[nodiscard]] const EventOrigin& origin() const { return origin_; }

 private:
  bool take_token();

  EventOrigin origin_;
  std::FILE* file_ = nullptr;
  bool own_file_ = false;
  std::unique_ptr<SyslogTransport> syslog_;
  double rate_, tokens_;
  std::chrono::steady_clock::time_point refilled_;
  Figures figures_;
};

// The events of one inventory against the state the store holds (the last stored classification and the
// findings already raised): asset, finding and status events published, the raised findings remembered.
// Call before the store's classification is replaced. Evaluates the findings into `inv`.
void publish_inventory_events(EventFeed& feed, SqliteStore& store, Inventory& inv, const Stats& stats,
                              const std::optional<std::string>& findings_dir);

// One warning line when syslog messages were lost (unsent or over the rate), else nothing.
void report_feed_losses(const EventFeed& feed);

}  // namespace ww
