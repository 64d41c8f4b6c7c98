// Names the calling thread, so that `top -H`, `ps -L`, /proc/PID/task/*/comm and perf's per-thread reports
// tell wardwatch's threads apart (the capture thread keeps the program's name; docs/performance.md lists
// the others). Linux takes at most 15 bytes: longer names are cut, never refused. A failure leaves the name
// as it was: a name is for people reading a process list, nothing depends on it.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <string_view>

namespace ww {

inline void name_this_thread(std::string_view name) {
  constexpr std::size_t kMaxName = 15;  // pthread_setname_np(3): 16 bytes with the terminating NUL
  char buf[kMaxName + 1] = {};
  name.copy(buf, kMaxName);
  (void)pthread_setname_np(pthread_self(), buf);
}

}  // namespace ww
