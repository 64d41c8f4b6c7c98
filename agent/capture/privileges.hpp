// Dropping privileges once the capture handles and the database are open: the process then parses hostile
// traffic as an unprivileged user with no capability at all (tcpdump's -Z, with libcap-ng).
#pragma once

#include <optional>
#include <string>

namespace ww {

// Switches to `user` (its uid, gid and only its primary group) when given, and clears every capability
// (effective, permitted, inheritable, ambient; the bounding set too when allowed). Must run before any other
// thread starts: capabilities are per thread. Returns an error text, or nothing on success; on success the
// process's CapEff and CapPrm are verified to be 0.
std::optional<std::string> drop_privileges(const std::optional<std::string>& user);

// Hands `path` to `user` (chown) when the process is root and the file exists: the files created before the
// switch (the database, its WAL and lock files) must stay writable after it.
void give_to_user(const std::string& path, const std::string& user);

// The capability sets of this process as /proc/self/status shows them (for the checks and the tests).
struct CapabilitySets {
  unsigned long long effective = ~0ULL, permitted = ~0ULL;
};
CapabilitySets current_capabilities();

}  // namespace ww
