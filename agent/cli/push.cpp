#include "agent/cli/push.hpp"

#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "agent/cli/commands.hpp"
#include "agent/cli/run_common.hpp"
#include "agent/store/sqlite_store.hpp"
#include "wardwatch/thread_name.hpp"

namespace ww {

std::string default_agent_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "wardwatch";
  return host;
}

namespace {

std::string push_summary(const PushResult& r, const std::string& url, const AgentIdentity& agent, double seconds) {
  std::ostringstream line;
  line << "wardwatch: pushed " << r.total_rows() << " rows (" << (r.full ? "everything" : "changes") << ", clock "
       << r.from_clock << " -> " << r.to_clock << ") to " << url << " as agent '" << agent.agent_id << "', site '"
       << agent.site << "' in " << std::fixed << std::setprecision(2) << seconds << " s:";
  for (const auto& [table, count] : r.rows) {
    if (count != 0) line << ' ' << table << ' ' << count;
  }
  return line.str();
}

// One push of a database file (shared by the command and the live agent).
PushResult push_database(const std::string& db_path, const std::string& url, const AgentIdentity& agent,
                         const std::function<void(std::string_view)>& progress) {
  if (::access(db_path.c_str(), R_OK) != 0) throw StoreError("cannot read database '" + db_path + "'");
  const SqliteStore local(db_path, /*read_only=*/true);
  local.check_integrity();  // a damaged database is refused before anything is sent
  CentralStore central(url);
  return central.push(local, agent, progress);
}

}  // namespace

int run_push(const PushOptions& opts) {
  try {
    const auto started = std::chrono::steady_clock::now();
    const AgentIdentity agent{opts.agent_id.empty() ? default_agent_id() : opts.agent_id,
                              opts.site.empty() ? kDefaultSite : opts.site};
    const auto progress = [&](std::string_view table) {
      if (opts.verbose) std::cerr << "wardwatch: pushing " << table << std::endl;
    };
    const PushResult r = push_database(opts.db_path, opts.to, agent, progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!opts.quiet) std::cerr << push_summary(r, CentralStore::display_name(opts.to), agent, seconds) << '\n';
    return kExitOk;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

PeriodicPush::PeriodicPush(std::string db_path, std::string url, AgentIdentity agent, double interval_s)
    : db_path_(std::move(db_path)), url_(std::move(url)), agent_(std::move(agent)), interval_s_(interval_s) {}

PeriodicPush::~PeriodicPush() { stop(); }

void PeriodicPush::start() { thread_ = std::thread([this] { run(); }); }

void PeriodicPush::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

unsigned long PeriodicPush::pushes_ok() const {
  const std::lock_guard lock(mutex_);
  return ok_;
}

unsigned long PeriodicPush::pushes_failed() const {
  const std::lock_guard lock(mutex_);
  return failed_;
}

bool PeriodicPush::push_once() {
  try {
    push_database(db_path_, url_, agent_, {});
    const std::lock_guard lock(mutex_);
    ++ok_;
    return true;
  } catch (const StoreError& e) {
    warning_line(std::string("push failed (retried at the next interval): ") + e.what());
    const std::lock_guard lock(mutex_);
    ++failed_;
    return false;
  }
}

void PeriodicPush::run() {
  name_this_thread("ww-push");
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool stop = wake_.wait_for(lock, std::chrono::duration<double>(interval_s_), [this] { return stopping_; });
    lock.unlock();
    push_once();  // the last one (at stop) sends what the capture's final flush wrote
    lock.lock();
    if (stop) return;
  }
}

}  // namespace ww
