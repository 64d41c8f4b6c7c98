// `wardwatch capture` and `wardwatch status`: the live agent on one or more SPAN ports.
//
// Threads: the main thread waits in poll() on every interface's descriptor and a signalfd together, reads
// what is waiting (non-blocking) and runs the pipeline; the database writer thread (BackgroundWriter) commits
// the flushes and runs the periodic jobs (JSON export, status line, ageing); the reference data (rules, OUI
// registry) loads on a helper thread. Privileges are dropped before any of these threads starts.
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "agent/capture/pcap_source.hpp"
#include "agent/capture/privileges.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/run_common.hpp"
#include "agent/cli/event_feed.hpp"
#include "agent/cli/push.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/background_writer.hpp"
#include "agent/store/sqlite_store.hpp"
#include "wardwatch/text.hpp"

namespace ww {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// SIGINT and SIGTERM, blocked and read from a descriptor that poll() watches beside the interfaces: no
// handler, no global flag, and a stop is seen within one poll() however quiet the interfaces are.
class SignalFd {
 public:
  SignalFd() {
    sigemptyset(&mask_);
    sigaddset(&mask_, SIGINT);
    sigaddset(&mask_, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask_, nullptr);
    fd_ = signalfd(-1, &mask_, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  ~SignalFd() {
    if (fd_ >= 0) close(fd_);
  }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  // The signal that arrived (0 if none).
  int take() const {
    signalfd_siginfo info{};
    return read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
  }

 private:
  sigset_t mask_{};
  int fd_ = -1;
};

// One interface: its handle, its source record and libpcap's 32-bit counters widened (they wrap after
// 4 G packets: a month at 1,600 packets/s).
struct LiveInput {
  std::string name;
  PcapSource source;
  SourceInfo info;
  std::uint32_t raw_received = 0, raw_dropped = 0, raw_if_dropped = 0;
  std::uint64_t received = 0, dropped = 0, if_dropped = 0;

  void update_counters() {
    std::uint64_t r = 0, d = 0, i = 0;
    if (!source.counters(r, d, i)) return;
    received += static_cast<std::uint32_t>(static_cast<std::uint32_t>(r) - raw_received);
    dropped += static_cast<std::uint32_t>(static_cast<std::uint32_t>(d) - raw_dropped);
    if_dropped += static_cast<std::uint32_t>(static_cast<std::uint32_t>(i) - raw_if_dropped);
    raw_received = static_cast<std::uint32_t>(r);
    raw_dropped = static_cast<std::uint32_t>(d);
    raw_if_dropped = static_cast<std::uint32_t>(i);
  }
};

void put_counters(const std::vector<LiveInput>& inputs, Stats& stats) {
  stats[Counter::pcap_received] = stats[Counter::pcap_dropped] = stats[Counter::pcap_if_dropped] = 0;
  for (const LiveInput& in : inputs) {
    stats[Counter::pcap_received] += in.received;
    stats[Counter::pcap_dropped] += in.dropped;
    stats[Counter::pcap_if_dropped] += in.if_dropped;
  }
}

std::string now_utc_text() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t retention_cutoff_us(int days) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return now - static_cast<std::int64_t>(days) * 86'400'000'000LL;
}

void age_out(SqliteStore& store, int days) {
  const std::uint64_t gone = store.age_out(retention_cutoff_us(days));
  if (gone != 0) {
    std::cerr << "wardwatch: aged out " << gone << " device records not seen for " << days
              << " days (--retention-days)\n";
  }
}

// The periodic jobs that read the database, run on the writer thread after a committed flush: the status
// line (stderr, journald under systemd, and systemd's STATUS=), the JSON export, and ageing once a day.
class LiveReporter {
 public:
  LiveReporter(const CaptureOptions& opts, std::shared_future<ReferenceData> reference, EventFeed* feed)
      : opts_(opts), reference_(std::move(reference)), feed_(feed), started_(Clock::now()), last_status_(started_),
        last_json_(started_), last_ageing_(started_), last_events_(started_) {}

  void after_write(SqliteStore& store, const Stats& stats) {
    const auto now = Clock::now();
    const bool status_due = opts_.status_interval_s > 0 && seconds_between(last_status_, now) >= opts_.status_interval_s;
    const bool json_due = opts_.json_path && *opts_.json_path != "-" && opts_.json_interval_s > 0 &&
                          seconds_between(last_json_, now) >= opts_.json_interval_s;
    if (opts_.retention_days > 0 && seconds_between(last_ageing_, now) >= 86'400) {
      last_ageing_ = now;
      age_out(store, opts_.retention_days);
    }
    const bool events_due = feed_ != nullptr && seconds_between(last_events_, now) >= opts_.events_interval_s;
    if (!status_due && !json_due && !events_due) return;
    report(store, stats, now, status_due, json_due);
    // The inventory and the rows it was built from are freed by now, but glibc keeps their pages (this
    // thread's arena) unless asked: at 100,000 devices the agent held ~430 MiB between builds, ~300 MiB
    // with the trim (docs/performance.md, "A live flush at 100,000 devices").
    malloc_trim(0);
  }

 private:
  void report(SqliteStore& store, const Stats& stats, Clock::time_point now, bool status_due, bool json_due) {
    auto inv = enrich_inventory(store.load(opts_.limits), reference_.get(), /*report=*/false);
    if (!inv) return;  // a broken rule file: reported when the run ends
    if (feed_ != nullptr) {  // every build of the inventory is compared with the last stored one
      last_events_ = now;
      publish_inventory_events(*feed_, store, *inv, stats, opts_.findings_dir);
    }
    if (opts_.db_path) store.save_classifications(*inv);
    if (json_due) {
      last_json_ = now;
      write_inventory(opts_, *inv);
    }
    if (status_due) {
      print_status(*inv, stats, now);
      last_status_ = now;
    }
  }

  void print_status(const Inventory& inv, const Stats& stats, Clock::time_point now) {
    const InventoryCounts c = count_inventory(inv);
    const double span = seconds_between(last_status_, now);
    const double rate = span > 0 ? static_cast<double>(stats.packets - last_packets_) / span : 0;
    last_packets_ = stats.packets;
    const Stats::Writer& w = stats.writer;
    std::ostringstream line;
    line << stats.packets << " packets (" << static_cast<std::uint64_t>(rate) << "/s), " << stats[Counter::pcap_dropped]
         << " dropped by kernel, " << stats[Counter::pcap_if_dropped] << " by interface, " << stats.malformed << " malformed; "
         << c.assets << " assets, " << c.medical << " medical devices, " << c.jewels << " crown jewels; "
         << w.flushes << " flushes (last at " << now_utc_text() << ", longest " << w.max_flush_us / 1000
         << " ms), writer waits " << w.waits << ", flushes put off " << w.deferred;
    std::cerr << "wardwatch: status: " << line.str() << '\n';
    sd_notify(0, ("STATUS=" + line.str()).c_str());
  }

  const CaptureOptions& opts_;
  std::shared_future<ReferenceData> reference_;
  EventFeed* feed_;
  Clock::time_point started_, last_status_, last_json_, last_ageing_, last_events_;
  std::uint64_t last_packets_ = 0;
};

// Opens every interface (this needs CAP_NET_RAW); throws CaptureError.
std::vector<LiveInput> open_interfaces(const CaptureOptions& opts) {
  LiveOptions live;
  live.bpf_filter = opts.filter;
  live.snaplen = opts.snaplen;
  live.buffer_bytes = opts.buffer_mib * 1024 * 1024;
  std::vector<LiveInput> inputs;
  for (const std::string& name : opts.interfaces) {
    PcapSource src = PcapSource::open_live(name, live);
    SourceInfo info{"live:" + name, "live", src.linktype(), src.linktype_name()};
    inputs.push_back(LiveInput{name, std::move(src), std::move(info)});
  }
  return inputs;
}

// The database files created before privileges are dropped, handed to the user who will write them.
void give_database_to(const std::optional<std::string>& db_path, const std::optional<std::string>& user) {
  if (!db_path || !user) return;
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) give_to_user(*db_path + suffix, *user);
}

// Reads what is waiting on one interface (at most a burst, so that the others and the signals get their
// turn). Returns false when the interface failed (gone, or a read error).
bool read_burst(LiveInput& in, Pipeline& pipeline, std::string& error) {
  constexpr int kBurst = 4096;
  CapturedPacket pkt;
  for (int i = 0; i < kBurst; ++i) {
    const auto rc = in.source.next(pkt);
    if (rc == PcapSource::Next::timeout) return true;  // nothing more waiting
    if (rc != PcapSource::Next::packet) {
      error = in.name + ": " + in.source.last_error();
      return false;
    }
    pipeline.process_frame(in.source.linktype(), pkt.data, pkt.wire_len, pkt.ts_us);
    ++in.info.packets;
    in.info.bytes += pkt.wire_len;
    if (in.info.first_us == 0) in.info.first_us = pkt.ts_us;
    in.info.last_us = std::max(in.info.last_us, pkt.ts_us);
  }
  return true;
}

// poll() said the descriptor is in error or hung up: tell why in one line.
std::string interface_failure(const LiveInput& in) {
  if (if_nametoindex(in.name.c_str()) == 0) return in.name + ": the interface disappeared";
  const std::string err = in.source.last_error();
  return in.name + ": " + (err.empty() ? "capture descriptor failed" : err);
}

struct LoopResult {
  std::optional<std::string> error;  // the reason the capture stopped early, if it failed
  int signal = 0;
};

// The capture loop: until a signal, the end of --duration, an interface failure or a database error.
LoopResult capture_loop(const CaptureOptions& opts, const SignalFd& signals, std::vector<LiveInput>& inputs,
                        Pipeline& pipeline, BackgroundWriter& writer) {
  std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
  for (const LiveInput& in : inputs) fds.push_back({in.source.selectable_fd(), POLLIN, 0});
  const auto started = Clock::now();
  const auto flush_every = std::chrono::seconds(opts.limits.flush_interval_s);
  auto next_flush = started + flush_every;
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  auto last_watchdog = started;
  LoopResult result;
  for (;;) {
    auto now = Clock::now();
    auto wake = std::min(next_flush, now + std::chrono::seconds(1));
    // systemd kills a service whose pings stop for WatchdogSec: wake for them however quiet the network.
    if (watchdog) wake = std::min(wake, last_watchdog + std::chrono::microseconds(watchdog_usec / 4));
    if (opts.duration_s > 0) {
      const auto end = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.duration_s));
      if (now >= end) return result;
      wake = std::min(wake, end);
    }
    const int timeout_ms = static_cast<int>(
        std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()) + 1);
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      result.error = std::string("poll: ") + std::strerror(errno);
      return result;
    }
    if (fds[0].revents & POLLIN) {
      result.signal = signals.take();
      if (result.signal != 0) return result;
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      std::string error;
      if (!read_burst(inputs[i], pipeline, error)) {
        result.error = error;
        return result;
      }
      if (fds[i + 1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
        result.error = interface_failure(inputs[i]);
        return result;
      }
    }
    if (const auto failed = writer.error()) {
      result.error = "database: " + *failed;
      return result;
    }
    now = Clock::now();
    if (now >= next_flush) {
      if (writer.has_room()) {
        for (LiveInput& in : inputs) in.update_counters();
        put_counters(inputs, pipeline.stats());
        pipeline.flush();
        next_flush = now + flush_every;
      } else {
        writer.note_deferred();  // still writing the last one: the deltas wait in the tracker
        next_flush = now + std::chrono::milliseconds(200);
      }
    }
    if (watchdog && now - last_watchdog >= std::chrono::microseconds(watchdog_usec / 4)) {
      sd_notify(0, "WATCHDOG=1");
      last_watchdog = now;
    }
  }
}

}  // namespace

int run_capture(const CaptureOptions& opts) {
  const SignalFd signals;
  if (signals.fd() < 0) {
    error_line("cannot set up signal handling");
    return kExitRuntime;
  }
  try {
    // Everything that needs privileges first: the interfaces, then the database and its lock.
    std::vector<LiveInput> inputs = open_interfaces(opts);
    SqliteStore store(opts.db_path.value_or(":memory:"));
    if (!opts.db_path) store.set_record_budget(opts.limits.max_memory_store_records);
    give_database_to(opts.db_path, opts.user);
    if (const auto failed = drop_privileges(opts.user)) {
      error_line(*failed);
      return kExitRuntime;
    }
    // From here on: no capability, and (with -Z) another user. Only now may threads start.
    store.begin_run(version(), "capture");
    if (opts.retention_days > 0) age_out(store, opts.retention_days);
    const ParserRegistry registry = make_default_registry();
    std::shared_future<ReferenceData> reference = start_loading_reference_data(opts).share();
    std::optional<EventFeed> feed;
    if (events_wanted(opts)) feed.emplace(opts);
    LiveReporter reporter(opts, reference, feed ? &*feed : nullptr);
    BackgroundWriter writer(
        store, [&reporter](SqliteStore& s, const Stats& st) { reporter.after_write(s, st); }, 2,
        BackgroundWriter::kWriterNice);
    // Pushes to the central store on a thread of their own, with their own connections (agent/cli/push.hpp).
    std::optional<PeriodicPush> pusher;
    if (opts.push_to) {
      pusher.emplace(*opts.db_path, *opts.push_to,
                     AgentIdentity{opts.agent_id.empty() ? default_agent_id() : opts.agent_id,
                                   opts.site.empty() ? kDefaultSite : opts.site},
                     opts.push_interval_s);
      pusher->start();
    }
    auto pipeline = std::make_unique<Pipeline>(opts.limits, registry, &writer);
    pipeline->set_periodic_flush(false);  // the loop flushes on the clock, also when no packet comes
    const auto started = Clock::now();
    std::string names;
    for (const auto& in : inputs) names += (names.empty() ? "" : ", ") + in.name;
    if (!opts.quiet) std::cerr << "wardwatch: capturing on " << names << " (passive; Ctrl-C to stop)\n";
    sd_notify(0, ("READY=1\nSTATUS=capturing on " + names).c_str());

    const LoopResult loop = capture_loop(opts, signals, inputs, *pipeline, writer);
    sd_notify(0, "STOPPING=1");

    // The last flush: every source with the rows read from it, in one transaction.
    for (LiveInput& in : inputs) {
      in.update_counters();
      writer.record_source(in.info);
    }
    put_counters(inputs, pipeline->stats());
    pipeline->end_of_input();
    pipeline->flush();
    writer.finish();
    Stats stats = pipeline->stats();
    stats.writer = writer.figures();
    pipeline.reset();
    if (const auto failed = writer.error()) {
      error_line("database: " + *failed);
      try {
        store.complete_run(/*failed=*/true);  // may fail the same way (a full disk): the next writer says interrupted
      } catch (const StoreError&) {
      }
      if (pusher) pusher->stop();
      return kExitRuntime;
    }
    store.write_run_stats(stats);
    store.complete_run(loop.error.has_value());
    if (pusher) pusher->stop();  // its last push carries the last flush and the run's end
    std::cerr << "wardwatch: libpcap counters: " << stats[Counter::pcap_received] << " received, " << stats[Counter::pcap_dropped]
              << " dropped by kernel, " << stats[Counter::pcap_if_dropped] << " dropped by interface\n";
    if (loop.error) error_line(*loop.error + "; the last flush is written");
    const int code = loop.error ? kExitRuntime : kExitOk;
    if (opts.quiet && !opts.json_path && !opts.db_path && !feed) return code;
    auto inv = enrich_inventory(store.load(opts.limits), reference.get());
    if (!inv) return kExitRuntime;
    if (feed) {
      publish_inventory_events(*feed, store, *inv, stats, opts.findings_dir);
      report_feed_losses(*feed);
    }
    if (opts.db_path) store.save_classifications(*inv);
    print_summary(opts, *inv, stats, seconds_between(started, Clock::now()));
    return write_inventory(opts, *inv) ? code : kExitRuntime;
  } catch (const CaptureError& e) {
    error_line(e.what());
    return kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  } catch (const FeedError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

namespace {

// Whether a wardwatch holds the database's writer lock now (the run shown as "running" is alive).
bool writer_alive(const std::string& db_path) {
  const int fd = ::open((db_path + ".lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);
  return !free;
}

std::uint64_t stat_of(const RunStatus& run, std::string_view name) {
  for (const auto& [n, v] : run.stats) {
    if (n == name) return v;
  }
  return 0;
}

}  // namespace

int run_status(const StatusOptions& opts) {
  try {
    if (::access(opts.db_path.c_str(), R_OK) != 0) {
      error_line("cannot read database '" + opts.db_path + "'");
      return kExitRuntime;
    }
    SqliteStore store(opts.db_path, /*read_only=*/true);
    const RunStatus run = store.last_run();
    if (run.id == 0) {
      std::cout << opts.db_path << ": no run recorded yet\n";
      return kExitOk;
    }
    std::string state = run.state;
    if (state == "running" && !writer_alive(opts.db_path)) state = "interrupted (its process is gone)";
    std::cout << "last run:     " << run.id << " (" << run.generator << ", " << run.command << "): " << state << '\n'
              << "started:      " << run.started_at << '\n'
              << "last flush:   " << (run.last_flush_at.empty() ? "none" : run.last_flush_at) << '\n'
              << "ended:        " << (run.ended_at.empty() ? "-" : run.ended_at) << '\n'
              << "packets:      " << stat_of(run, "packets") << " (" << stat_of(run, "bytes") << " bytes), "
              << stat_of(run, "malformed") << " malformed\n"
              << "drops:        " << stat_of(run, info(Counter::pcap_dropped).name) << " by kernel, " << stat_of(run, info(Counter::pcap_if_dropped).name)
              << " by interface\n";
    if (const std::uint64_t flushes = stat_of(run, "writer.flushes"); flushes != 0) {
      std::cout << "writer:       " << flushes << " flushes, " << stat_of(run, "writer.flush_us") / flushes / 1000
                << " ms each on average; " << stat_of(run, "writer.waits") << " waits ("
                << stat_of(run, "writer.wait_us") / 1000 << " ms), " << stat_of(run, "writer.deferred")
                << " flushes put off\n";
    }
    for (const SourceInfo& s : run.sources) {
      std::cout << "source:       " << printable(s.path) << " (" << s.format << ", " << s.linktype_name
                << "): " << s.packets << " packets" << (s.truncated ? ", truncated" : "") << '\n';
    }
    if (const auto inv = build_inventory(store, opts.limits, opts.ieee_data_dir, opts.rules_dir)) {
      const InventoryCounts c = count_inventory(*inv);
      std::cout << "inventory:    " << c.assets << " assets, " << c.medical << " medical devices, " << c.jewels
                << " crown jewels\n";
    }
    std::cout << "interrupted:  " << run.interrupted_runs << " earlier runs in this database\n";
    return kExitOk;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

}  // namespace ww
