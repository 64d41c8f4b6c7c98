// `wardwatch push` and a live agent's periodic push (--push-to): the local SQLite database's changes sent to
// the central PostgreSQL store (agent/store/central_store.hpp, docs/central.md).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "agent/store/central_store.hpp"

namespace ww {

// The agent identity's defaults: this machine's host name, and the site "default".
std::string default_agent_id();
inline constexpr const char* kDefaultSite = "default";

// Pushes from a live agent every `interval_s` seconds (and once more at stop()), on a thread of its own with
// its own read-only connection to the database: a slow or unreachable server never holds up the capture or
// the database writer. A failed push is reported on stderr (one line) and retried at the next interval; the
// local database keeps everything meanwhile.
class PeriodicPush {
 public:
  PeriodicPush(std::string db_path, std::string url, AgentIdentity agent, double interval_s);
  ~PeriodicPush();
  PeriodicPush(const PeriodicPush&) = delete;
  PeriodicPush& operator=(const PeriodicPush&) = delete;

  void start();
  // Wakes the thread for a last push (of what the capture's last flush wrote) and joins it.
  void stop();
  [[nodiscard]] unsigned long pushes_ok() const;
  [[nodiscard]] unsigned long pushes_failed() const;

 private:
  void run();
  bool push_once();

  std::string db_path_, url_;
  AgentIdentity agent_;
  double interval_s_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  unsigned long ok_ = 0, failed_ = 0;
  std::thread thread_;
};

}  // namespace ww
