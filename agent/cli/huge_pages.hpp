// Transparent huge pages for the batch commands' heap (docs/performance.md, "Huge pages for the heap").
//
// `read`, `export`, `report`, `diff` and `fingerprint` build an inventory of up to hundreds of MiB in
// a few seconds. On a machine whose kernel gives huge pages only where a process asks
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise, as on the build machine), an eighth of an export's time
// went to the page faults of 4 KiB pages. glibc asks for huge pages for its heap when the tunable
// glibc.malloc.hugetlb=1 is set, which it reads only at start-up (glibc manual, "Memory Allocation
// Tunables"): so such a command, given at least kHugePagesFromInputBytes of input files, re-executes itself
// once with it, before anything else has run. The live
// agent (`capture`) does not: it runs for months, and a huge page held by a few live objects is 2 MiB of
// resident memory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ww {

// /sys/kernel/mm/transparent_hugepage/enabled: the bracketed word ("always [madvise] never").
enum class ThpMode { always, madvise, never, unknown };
ThpMode parse_thp_mode(std::string_view enabled_file);

// The GLIBC_TUNABLES value to re-execute with (`current` kept, glibc.malloc.hugetlb=1 added), or nothing
// when the process should run as it is: the kernel gives huge pages without asking (always) or not at all
// (never, unknown); the user set glibc.malloc.hugetlb already (either way: theirs to choose, and what
// stops a second re-execution); or the process runs with privileges it was given on exec (AT_SECURE,
// where glibc ignores the variable).
std::optional<std::string> huge_page_tunables(const char* current, ThpMode mode, bool secure_exec);

// Below this many bytes of input, the exec (~30 ms: the dynamic loader and the libraries' start-up) costs
// more than the page faults it saves: at 10,000 devices (a 4.8 MB capture) the two were even.
inline constexpr std::uint64_t kHugePagesFromInputBytes = 32ull << 20;

// The bytes of the regular files among `args` (captures, --db), the rest (options, URLs, "-") counted as 0.
std::uint64_t bytes_of_named_files(std::span<const std::string> args);

// Re-executes this program (/proc/self/exe, the same argv and environment) with the tunables above when
// they apply. Returns only when it does not re-execute, or when the exec fails (the process then goes on
// with 4 KiB pages and its environment as it was).
void run_with_heap_huge_pages(char** argv);

// An exec of /proc/self/exe names the process "exe" (the kernel takes the name from the path executed), and
// `ps`, `top`, `pgrep wardwatch` and the system journal would show that. The name to give the process back:
// the last part of argv[0], when the process is called "exe" and argv[0] does not say so itself.
std::optional<std::string> program_name_after_exec(std::string_view comm, std::string_view argv0);
// Applies it to this process (the main thread's name is the process's); call first thing in main().
void keep_program_name(const char* argv0);

// What the process runs with, for WARDWATCH_PHASE_TIMES: "glibc.malloc.hugetlb=1" or "off", and the
// anonymous memory in huge pages now (AnonHugePages of /proc/self/smaps_rollup), in MiB.
std::string heap_huge_pages_state();

}  // namespace ww
