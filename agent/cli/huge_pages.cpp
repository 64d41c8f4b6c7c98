#include "agent/cli/huge_pages.hpp"

#include <sys/auxv.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wardwatch/thread_name.hpp"

namespace ww {

namespace {

constexpr std::string_view kHugetlbTunable = "glibc.malloc.hugetlb";
constexpr const char* kTunablesVariable = "GLIBC_TUNABLES";

ThpMode thp_mode_of_this_machine() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return ThpMode::unknown;
  return parse_thp_mode(line);
}

}  // namespace

ThpMode parse_thp_mode(std::string_view enabled_file) {
  const auto open = enabled_file.find('[');
  const auto close = enabled_file.find(']', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return ThpMode::unknown;
  const std::string_view word = enabled_file.substr(open + 1, close - open - 1);
  if (word == "always") return ThpMode::always;
  if (word == "madvise") return ThpMode::madvise;
  if (word == "never") return ThpMode::never;
  return ThpMode::unknown;
}

std::optional<std::string> huge_page_tunables(const char* current, ThpMode mode, bool secure_exec) {
  if (mode != ThpMode::madvise || secure_exec) return std::nullopt;
  const std::string_view existing = current == nullptr ? std::string_view{} : std::string_view{current};
  if (existing.find(kHugetlbTunable) != std::string_view::npos) return std::nullopt;
  // Tunables are name=value pairs separated by colons (glibc manual, "Tunables").
  std::string tunables(existing);
  if (!tunables.empty()) tunables += ':';
  tunables += kHugetlbTunable;
  tunables += "=1";
  return tunables;
}

std::uint64_t bytes_of_named_files(std::span<const std::string> args) {
  std::uint64_t bytes = 0;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(arg, ec)) continue;
    const auto size = std::filesystem::file_size(arg, ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

void run_with_heap_huge_pages(char** argv) {
  const char* current = std::getenv(kTunablesVariable);
  const auto tunables = huge_page_tunables(current, thp_mode_of_this_machine(), getauxval(AT_SECURE) != 0);
  if (!tunables) return;
  const std::optional<std::string> before = current == nullptr ? std::nullopt : std::optional<std::string>(current);
  if (setenv(kTunablesVariable, tunables->c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Still here: no /proc, or the binary is gone. Go on as before, with the environment as it was.
  if (before) {
    setenv(kTunablesVariable, before->c_str(), 1);
  } else {
    unsetenv(kTunablesVariable);
  }
}

std::optional<std::string> program_name_after_exec(std::string_view comm, std::string_view argv0) {
  const auto slash = argv0.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
  if (comm != "exe" || base.empty() || base == "exe") return std::nullopt;
  return std::string(base);
}

void keep_program_name(const char* argv0) {
  if (argv0 == nullptr) return;
  std::ifstream in("/proc/self/comm");
  std::string comm;
  if (!std::getline(in, comm)) return;
  if (const auto name = program_name_after_exec(comm, argv0)) name_this_thread(*name);
}

std::string heap_huge_pages_state() {
  const char* current = std::getenv(kTunablesVariable);
  const std::string_view tunables = current == nullptr ? std::string_view{} : std::string_view{current};
  std::string state = "off";
  if (const auto at = tunables.find(kHugetlbTunable); at != std::string_view::npos) {
    state = std::string(tunables.substr(at, tunables.find(':', at) - at));
  }
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    std::istringstream fields(line);
    std::string name;
    long long kib = 0;
    if (fields >> name >> kib && name == "AnonHugePages:") {
      state += ", anon huge pages " + std::to_string(kib / 1024) + " MiB";
    }
  }
  return state;
}

}  // namespace ww
