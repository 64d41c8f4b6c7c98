#include "agent/cli/progress.hpp"

#include "agent/cli/huge_pages.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <sys/resource.h>
#include <unistd.h>

namespace ww {
namespace {

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The resident set now, from /proc/self/statm (pages); 0 where it cannot be read.
long resident_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long size = 0, resident = 0;
  const int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024 : 0;
}

// 1.21 M, 56.3 k, 812: three significant figures for a count.
std::string count_text(double n) {
  if (n >= 1e9) return fixed(n / 1e9, n >= 1e11 ? 0 : n >= 1e10 ? 1 : 2) + " G";
  if (n >= 1e6) return fixed(n / 1e6, n >= 1e8 ? 0 : n >= 1e7 ? 1 : 2) + " M";
  if (n >= 1e3) return fixed(n / 1e3, n >= 1e5 ? 0 : n >= 1e4 ? 1 : 2) + " k";
  return fixed(n, 0);
}

// The done and total sizes in the total's unit: "388 / 924 MiB", "1.2 / 3.5 GiB".
std::string sizes_text(std::uint64_t done, std::uint64_t total) {
  const bool gib = total >= (std::uint64_t{10} << 30);
  const double unit = gib ? double(1 << 30) : double(1 << 20);
  const int decimals = gib || total < (std::uint64_t{10} << 20) ? 1 : 0;
  return fixed(double(done) / unit, decimals) + " / " + fixed(double(total) / unit, decimals) + (gib ? " GiB" : " MiB");
}

std::string eta_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<std::uint64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

}  // namespace

std::string progress_text(std::uint64_t done_bytes, std::uint64_t total_bytes, std::uint64_t packets,
                          double elapsed_s) {
  const std::uint64_t done = std::min(done_bytes, total_bytes);
  const double fraction = total_bytes == 0 ? 0.0 : double(done) / double(total_bytes);
  constexpr int kWidth = 20;
  const int filled = static_cast<int>(fraction * kWidth);
  const int pct = static_cast<int>(fraction * 100);
  std::string line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                     std::string(static_cast<std::size_t>(kWidth - filled), '-') + "] ";
  line += (pct < 10 ? "  " : pct < 100 ? " " : "") + std::to_string(pct) + "%  " + sizes_text(done, total_bytes) + "  " +
          count_text(double(packets)) + " packets";
  const bool timed = elapsed_s >= 1.0 && done > 0;
  line += "  " + (timed ? count_text(double(packets) / elapsed_s) : std::string("-")) + "/s";
  line += "  ETA " + (timed ? eta_text(elapsed_s * double(total_bytes - done) / double(done)) : eta_text(-1));
  return line;
}

Progress::Progress(bool enabled, std::uint64_t total_bytes, std::FILE* out)
    : enabled_(enabled && total_bytes > 0), total_(total_bytes), out_(out) {}

void Progress::update(std::uint64_t done_bytes, std::uint64_t packets) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_drawn_ < std::chrono::milliseconds(200)) return;
  last_drawn_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  std::fprintf(out_, "\r%s\033[K", progress_text(done_bytes, total_, packets, elapsed).c_str());
  std::fflush(out_);
}

void Progress::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

PhaseTimes::PhaseTimes() : enabled_(std::getenv("WARDWATCH_PHASE_TIMES") != nullptr) {}

PhaseTimes::~PhaseTimes() {
  if (enabled_ && !line_.empty()) {
    std::fprintf(stderr, "wardwatch: phases:%s; heap huge pages: %s\n", line_.c_str(), heap_huge_pages_state().c_str());
  }
}

namespace {

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

void PhaseTimes::mark(const char* phase) {
  if (!enabled_) return;
  const auto now = Clock::now();
  // The process's peak RSS so far: which phase raised it is the phase whose figure grew. The CPU time of the
  // process and of the marking thread: a phase whose wall time exceeds its thread's CPU time waited (for a
  // lock, the other thread, the disk); the process's figure says whether the other core worked meanwhile.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  const double thread = thread_cpu_seconds();
  line_ += std::string(line_.empty() ? " " : ", ") + phase + " " +
           fixed(std::chrono::duration<double>(now - last_).count(), 3) + " s (cpu " + fixed(cpu - last_cpu_, 2) +
           ", thread " + fixed(thread - last_thread_cpu_, 2) + " s; rss " + std::to_string(resident_mib()) + ", peak " +
           std::to_string(usage.ru_maxrss / 1024) + " MiB)";
  last_ = now;
  last_cpu_ = cpu;
  last_thread_cpu_ = thread;
}

}  // namespace ww
