// The progress line of a long read on a terminal (docs/usage.md): how far, how fast, how long still.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ww {

// "[########------------]  41%  388 / 924 MiB  1.21 M packets  605 k/s  ETA 0:03": the bar and percentage
// of bytes read, the packets and their rate (packets a second) since the start, and the time left at that
// rate ("ETA --:--" until a second has passed). Under 80 columns below 10 GiB and an hour.
std::string progress_text(std::uint64_t done_bytes, std::uint64_t total_bytes, std::uint64_t packets,
                          double elapsed_s);

// Draws progress_text on `out` (stderr), redrawn in place at most five times a second; `enabled` is false
// when stderr is not a terminal, with --quiet or --no-progress, or for a small capture.
class Progress {
 public:
  Progress(bool enabled, std::uint64_t total_bytes, std::FILE* out = stderr);
  void update(std::uint64_t done_bytes, std::uint64_t packets);
  // Clears the line (before anything else is written to the terminal, and at the end).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  std::uint64_t total_;
  std::FILE* out_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_drawn_{};
  bool drawn_ = false;
};

// The wall time of each phase of a run (hashing, packets, flush, load, classification, ...), printed as one
// line on stderr at the end when the environment has WARDWATCH_PHASE_TIMES set (docs/performance.md): how
// the export side's cost is measured, without a profiler.
class PhaseTimes {
 public:
  PhaseTimes();
  ~PhaseTimes();
  PhaseTimes(const PhaseTimes&) = delete;
  PhaseTimes& operator=(const PhaseTimes&) = delete;
  // Ends the phase running since the last mark (or construction), naming it.
  void mark(const char* phase);

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  Clock::time_point last_ = Clock::now();
  double last_cpu_ = 0;         // the process's user + system CPU seconds at the last mark
  double last_thread_cpu_ = 0;  // the marking thread's
  std::string line_;
};

}  // namespace ww
