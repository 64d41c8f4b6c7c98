// The router policy on its own (agent/store/address_owners.hpp): who owns an address seen behind a MAC.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/store/address_owners.hpp"

namespace ww {
namespace {

struct Seen {
  std::string ip, mac;
  bool confirmed;
};

TEST(AddressOwners, AMacCarryingManyUnprovenAddressesIsARouterAndItsHostsAreKeyedByIp) {
  const std::string router = "00:00:5e:00:00:01", host = "00:00:5e:00:00:02", plain = "00:00:5e:00:00:03";
  // (ip, mac) order, as the builder sorts them.
  const std::vector<Seen> seen = {
      {"10.0.0.2", host, true},          // the host proved its address by ARP
      {"10.0.0.2", router, false},       // ... and the router forwards for it too
      {"10.0.0.3", plain, false},        // an ordinary device, one address, never proven
      {"10.0.0.3", "", false},           // the same address on a link type without MACs
      {"192.0.2.10", router, false},     // remote hosts behind the router
      {"192.0.2.11", router, false},
      {"192.0.2.12", router, false},
      {"fe80::1", router, false},        // link-local: never counted as foreign
  };
  std::vector<AddressOwners::Binding> bindings;
  for (const Seen& s : seen) bindings.push_back({s.ip, s.mac, s.confirmed});
  const AddressOwners owners(bindings, 4);

  EXPECT_TRUE(owners.is_router(router));   // 10.0.0.2 and three 192.0.2.x: four unproven, link-local not counted
  EXPECT_FALSE(owners.is_router(plain));
  EXPECT_EQ(owners.routers(), std::vector<std::string>{router});
  EXPECT_EQ(owners.owner_of(bindings[0]).mac, host);
  EXPECT_EQ(owners.owner_of(bindings[1]).mac, host);  // the proof wins over the router
  EXPECT_EQ(owners.owner_of(bindings[2]).mac, plain);
  EXPECT_EQ(owners.owner_of(bindings[3]).mac, plain);  // no L2 address: the non-router MAC carrying the IP
  const AddressOwners::Owner remote = owners.owner_of(bindings[4]);
  EXPECT_EQ(remote.mac, "");
  EXPECT_TRUE(remote.via_router);

  // With a higher threshold the same MAC is an ordinary device and keeps its addresses.
  const AddressOwners lenient(bindings, 5);
  EXPECT_FALSE(lenient.is_router(router));
  EXPECT_EQ(lenient.owner_of(bindings[4]).mac, router);
  EXPECT_FALSE(lenient.owner_of(bindings[4]).via_router);
}

}  // namespace
}  // namespace ww
