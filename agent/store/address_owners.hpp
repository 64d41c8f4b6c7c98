// Who owns an IP address seen behind a MAC: the router policy (docs/output.md, "Devices", *Routers*). A MAC that sends
// from --router-min-foreign-ips addresses it never proved to hold (by ARP, NDP or DHCP) is a router: the
// hosts behind it become IP-keyed devices, unless another MAC proved to hold the address. Kept apart from
// the storage code so that the rule can be read, tested and changed on its own.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ww {

class AddressOwners {
 public:
  // Views: the bindings' text must outlive the AddressOwners (the builder's rows hold it).
  struct Binding {
    std::string_view ip;
    std::string_view mac;  // "" for a binding without L2 addresses
    bool confirmed;        // proven by ARP, NDP or DHCP
  };
  struct Owner {
    std::string_view mac;  // "" when no MAC owns the address: the device is keyed by its IP
    bool via_router = false;
  };

  // `bindings` in (ip, mac) order: the first proof of ownership of an IP wins.
  AddressOwners(const std::vector<Binding>& bindings, std::size_t router_min_foreign_ips);

  [[nodiscard]] Owner owner_of(const Binding& b) const;
  [[nodiscard]] bool is_router(std::string_view mac) const;
  // The MACs judged routers.
  [[nodiscard]] std::vector<std::string> routers() const;

 private:
  std::size_t min_foreign_;
  absl::flat_hash_map<std::string_view, std::string_view> proven_owner_;  // ip -> the MAC that proved to hold it
  absl::flat_hash_map<std::string_view, std::size_t> foreign_ips_;        // mac -> addresses it carries without proof
  absl::flat_hash_map<std::string_view, std::string_view> l2_owner_;      // ip -> the non-router MAC that carries it
};

}  // namespace ww
