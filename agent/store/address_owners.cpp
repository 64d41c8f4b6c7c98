#include "agent/store/address_owners.hpp"

#include "wardwatch/net_types.hpp"

namespace ww {

AddressOwners::AddressOwners(const std::vector<Binding>& bindings, std::size_t router_min_foreign_ips)
    : min_foreign_(router_min_foreign_ips) {
  for (const Binding& b : bindings) {
    if (!b.mac.empty() && b.confirmed) proven_owner_.emplace(b.ip, b.mac);
  }
  for (const Binding& b : bindings) {
    if (b.mac.empty() || b.confirmed) continue;
    const auto ip = IpAddr::parse(b.ip);
    if (ip && ip->is_link_local()) continue;  // link-local never crosses a router
    ++foreign_ips_[b.mac];
  }
  // The owner of a binding without L2 addresses: the non-router MAC that carries the same IP.
  for (const Binding& b : bindings) {
    if (!b.mac.empty() && (b.confirmed || !is_router(b.mac))) l2_owner_.emplace(b.ip, b.mac);
  }
}

bool AddressOwners::is_router(std::string_view mac) const {
  const auto it = foreign_ips_.find(mac);
  return it != foreign_ips_.end() && it->second >= min_foreign_;
}

AddressOwners::Owner AddressOwners::owner_of(const Binding& b) const {
  if (b.mac.empty()) {
    const auto it = l2_owner_.find(b.ip);
    return {it == l2_owner_.end() ? std::string_view() : it->second, false};
  }
  if (b.confirmed || !is_router(b.mac)) return {b.mac, false};
  if (const auto it = proven_owner_.find(b.ip); it != proven_owner_.end()) return {it->second, false};
  return {std::string_view(), true};  // a host behind a router
}

std::vector<std::string> AddressOwners::routers() const {
  std::vector<std::string> out;
  for (const auto& [mac, n] : foreign_ips_) {
    if (n >= min_foreign_) out.emplace_back(mac);
  }
  return out;
}

}  // namespace ww
