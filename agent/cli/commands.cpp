#include "agent/cli/commands.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "agent/capture/pcap_source.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/sqlite_store.hpp"
#include "reports/report.hpp"

#ifndef WARDWATCH_VERSION
#define WARDWATCH_VERSION "0.0.0-dev"
#endif

namespace ww {

const char* version() { return WARDWATCH_VERSION; }

namespace {

void error_line(const std::string& msg) { std::cerr << "wardwatch: error: " << msg << '\n'; }
void warning_line(const std::string& msg) { std::cerr << "wardwatch: warning: " << msg << '\n'; }

// Draws a one-line progress bar on stderr (only used when stderr is a terminal).
class Progress {
 public:
  Progress(bool enabled, std::uint64_t total) : enabled_(enabled && total > 0), total_(total) {}
  void update(std::uint64_t done) {
    if (!enabled_) return;
    const int pct = static_cast<int>(done * 100 / total_);
    if (pct == last_pct_) return;
    last_pct_ = pct;
    const int width = 40, filled = pct * width / 100;
    std::fprintf(stderr, "\r[%.*s%*s] %3d%%", filled, "########################################", width - filled, "", pct);
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_ && last_pct_ >= 0) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool enabled_;
  std::uint64_t total_;
  int last_pct_ = -1;
};

bool write_inventory(const CommonOptions& opts, SqliteStore& store) {
  if (!opts.json_path) return true;
  Inventory inv = store.load(opts.limits);
  OuiRegistry oui;
  if (oui.load_directory(opts.ieee_data_dir) == 0) {
    warning_line("no IEEE OUI registry in " + opts.ieee_data_dir + " (install ieee-data): vendors left empty");
  }
  enrich_vendors(inv, oui);
  if (*opts.json_path == "-") {
    write_json(inv, version(), std::cout);
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(*opts.json_path, std::ios::trunc);
  if (!out) {
    error_line("cannot write JSON to '" + *opts.json_path + "'");
    return false;
  }
  write_json(inv, version(), out);
  return static_cast<bool>(out.flush());
}

void print_summary(const CommonOptions& opts, SqliteStore& store, const Stats& stats, double seconds) {
  if (opts.quiet) return;
  const Inventory inv = store.load(opts.limits);
  std::size_t with_mac = 0, remote = 0, routers = 0;
  for (const auto& a : inv.assets) {
    with_mac += a.mac ? 1 : 0;
    remote += a.beyond_router ? 1 : 0;
    routers += a.router ? 1 : 0;
  }
  std::cerr << "wardwatch: " << stats.packets << " packets (" << stats.bytes << " bytes) in " << seconds
            << " s; " << stats.malformed << " malformed; " << inv.assets.size() << " assets in inventory ("
            << with_mac << " by MAC, " << routers << " routers, " << remote << " beyond a router)\n";
}

std::string store_path(const CommonOptions& opts) { return opts.db_path.value_or(":memory:"); }

}  // namespace

int run_read(const ReadOptions& opts) {
  // Open every capture first: a bad file fails the run before anything is written.
  std::vector<PcapSource> sources;
  try {
    for (const auto& path : opts.captures) sources.push_back(PcapSource::open_file(path));
  } catch (const CaptureError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
  try {
    SqliteStore store(store_path(opts));
    store.begin_run(version());
    const ParserRegistry registry = make_default_registry();
    Pipeline pipeline(opts.limits, registry, &store);
    std::uint64_t total_size = 0;
    for (const auto& s : sources) total_size += s.file_size();
    Progress progress(opts.progress && !opts.quiet && isatty(STDERR_FILENO) && total_size > (64u << 20), total_size);
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t done_before = 0;
    bool any_truncated = false;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      PcapSource& src = sources[i];
      SourceInfo info{opts.captures[i], src.format(), src.linktype(), src.linktype_name()};
      CapturedPacket pkt;
      PcapSource::Next rc;
      while ((rc = src.next(pkt)) == PcapSource::Next::packet) {
        pipeline.process_frame(src.linktype(), pkt.data, pkt.wire_len, pkt.ts_us);
        ++info.packets;
        info.bytes += pkt.wire_len;
        if (info.first_us == 0 || pkt.ts_us < info.first_us) info.first_us = pkt.ts_us;
        info.last_us = std::max(info.last_us, pkt.ts_us);
        if ((info.packets & 0xffff) == 0) progress.update(done_before + src.file_offset());
      }
      if (rc == PcapSource::Next::truncated || rc == PcapSource::Next::error) {
        info.truncated = true;
        any_truncated = true;
        progress.finish();
        warning_line(opts.captures[i] + ": " + src.last_error() + "; keeping the " + std::to_string(info.packets) +
                     " packets read before it");
      }
      done_before += src.file_size();
      store.record_source(info);
    }
    progress.finish();
    pipeline.flush();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    print_summary(opts, store, pipeline.stats(), secs);
    if (!write_inventory(opts, store)) return kExitRuntime;
    (void)any_truncated;  // a truncated capture still yields its inventory: exit 0 with the warning above
    return kExitOk;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

int run_capture(const CaptureOptions& opts) {
  // SIGINT/SIGTERM are read from a signalfd: no handler, no global flag, and a clean flush on exit.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) {
    error_line("cannot set up signal handling");
    return kExitRuntime;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{sigfd};
  try {
    PcapSource src = PcapSource::open_live(opts.interface, opts.filter);
    SqliteStore store(store_path(opts));
    store.begin_run(version());
    const ParserRegistry registry = make_default_registry();
    Pipeline pipeline(opts.limits, registry, &store);
    SourceInfo info{"live:" + opts.interface, "live", src.linktype(), src.linktype_name()};
    const auto started = std::chrono::steady_clock::now();
    auto last_flush = started;
    if (!opts.quiet) std::cerr << "wardwatch: capturing on " << opts.interface << " (passive; Ctrl-C to stop)\n";
    for (;;) {
      pollfd pfd{sigfd, POLLIN, 0};
      if (poll(&pfd, 1, 0) > 0) break;
      const auto now = std::chrono::steady_clock::now();
      if (opts.duration_s > 0 && std::chrono::duration<double>(now - started).count() >= opts.duration_s) break;
      CapturedPacket pkt;
      const auto rc = src.next(pkt);
      if (rc == PcapSource::Next::packet) {
        pipeline.process_frame(src.linktype(), pkt.data, pkt.wire_len, pkt.ts_us);
        ++info.packets;
        info.bytes += pkt.wire_len;
        if (info.first_us == 0) info.first_us = pkt.ts_us;
        info.last_us = std::max(info.last_us, pkt.ts_us);
      } else if (rc != PcapSource::Next::timeout) {
        error_line(opts.interface + ": " + src.last_error());
        break;
      }
      if (now - last_flush >= std::chrono::seconds(opts.limits.flush_interval_s)) {
        pipeline.flush();
        last_flush = now;
      }
    }
    Stats& stats = pipeline.stats();
    src.counters(stats.pcap_received, stats.pcap_dropped, stats.pcap_if_dropped);
    store.record_source(info);
    pipeline.flush();
    std::cerr << "wardwatch: libpcap counters: " << stats.pcap_received << " received, " << stats.pcap_dropped
              << " dropped by kernel, " << stats.pcap_if_dropped << " dropped by interface\n";
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    print_summary(opts, store, stats, secs);
    return write_inventory(opts, store) ? kExitOk : kExitRuntime;
  } catch (const CaptureError& e) {
    error_line(e.what());
    return kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

int run_export(const ExportOptions& opts) {
  try {
    if (::access(opts.db_path.c_str(), R_OK) != 0) {
      error_line("cannot read database '" + opts.db_path + "'");
      return kExitRuntime;
    }
    SqliteStore store(opts.db_path, /*read_only=*/true);
    Inventory inv = store.load(opts.limits);
    OuiRegistry oui;
    if (oui.load_directory(opts.ieee_data_dir) == 0) warning_line("no IEEE OUI registry: vendors left empty");
    enrich_vendors(inv, oui);
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (opts.output != "-") {
      file.open(opts.output, std::ios::trunc);
      if (!file) {
        error_line("cannot write '" + opts.output + "'");
        return kExitRuntime;
      }
      out = &file;
    }
    if (opts.format == "csv") write_csv(inv, *out);
    else write_json(inv, version(), *out);
    out->flush();
    return *out ? kExitOk : kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

}  // namespace ww
