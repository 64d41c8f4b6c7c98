#include "agent/capture/privileges.hpp"

#include <cap-ng.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace ww {
namespace {

std::optional<passwd> find_user(const std::string& user, std::vector<char>& buffer) {
  passwd pw{};
  passwd* found = nullptr;
  buffer.resize(16384);
  if (getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 || !found) return std::nullopt;
  return pw;
}

}  // namespace

CapabilitySets current_capabilities() {
  CapabilitySets sets;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) sets.effective = std::stoull(line.substr(7), nullptr, 16);
    if (line.rfind("CapPrm:", 0) == 0) sets.permitted = std::stoull(line.substr(7), nullptr, 16);
  }
  return sets;
}

void give_to_user(const std::string& path, const std::string& user) {
  std::vector<char> buffer;
  const auto pw = find_user(user, buffer);
  if (!pw || geteuid() != 0) return;
  if (::access(path.c_str(), F_OK) == 0 && ::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    // Not fatal here: drop_privileges' caller reports the first write that fails, naming the file.
  }
}

std::optional<std::string> drop_privileges(const std::optional<std::string>& user) {
  // The bounding set can only be cleared with CAP_SETPCAP, which a service rarely has (its manager limited
  // the set already): look before clearing our view of the capabilities.
  capng_get_caps_process();
  const bool may_clear_bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) != 0;
  capng_clear(CAPNG_SELECT_ALL);
  if (user) {
    std::vector<char> buffer;
    const auto pw = find_user(*user, buffer);
    if (!pw) return "-Z " + *user + ": no such user";
    if (pw->pw_uid != geteuid() || pw->pw_gid != getegid()) {
      if (geteuid() != 0) return "-Z " + *user + ": switching user needs root";
      // Keeps no capability (cleared above), drops supplementary groups, sets gid then uid.
      const int flags = CAPNG_DROP_SUPP_GRP | (may_clear_bounding ? CAPNG_CLEAR_BOUNDING : 0);
      const int rc = capng_change_id(static_cast<int>(pw->pw_uid), static_cast<int>(pw->pw_gid),
                                     static_cast<capng_flags_t>(flags));
      if (rc != 0) return "-Z " + *user + ": cannot switch to this user (libcap-ng error " + std::to_string(rc) + ")";
    }
  }
  // Whatever is left (no -Z, or already the right user as a systemd unit's User= with ambient capabilities).
  capng_clear(CAPNG_SELECT_ALL);
  const int sets = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT | (may_clear_bounding ? CAPNG_SELECT_BOUNDS : 0);
  if (capng_apply(static_cast<capng_select_t>(sets)) != 0) return "cannot clear capabilities";
  const CapabilitySets now = current_capabilities();
  if (now.effective != 0 || now.permitted != 0) return "capabilities remain after dropping them";
  return std::nullopt;
}

}  // namespace ww
