// Resolves device rows into the inventory: bindings folded into MAC devices, routers split from remote hosts.
// Rows may come from SQLite (a load), straight from the tracker (a run without a database file: its deltas
// need not pass through SQL), or both; rows with the same key are merged as the store's upserts would.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/limits.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/rows.hpp"
#include "agent/store/string_pool.hpp"
#include "model/inventory.hpp"

namespace ww {

class InventoryBuilder final : public RowSink {
 public:
  explicit InventoryBuilder(const Limits& limits) : limits_(limits) {}

  // Rows from the central store carry the agent (and its site) that pushed them: the rows handed after this
  // call are that agent's, and the devices they make list it in seen_by.
  void set_origin(std::string_view agent_id, std::string_view site);

  void source(SourceView s);
  void stat(std::string_view name, std::uint64_t value);  // summed over runs
  void flood(FloodEpisode f) { inv_.floods.push_back(std::move(f)); }

  void mac(const MacRow& row) override;
  void vlan(std::string_view mac, std::uint16_t vlan) override;
  void binding(const BindingRow& row) override;
  void service(const ServiceRow& row) override;
  void conversation(const ConversationRow& row) override;
  void observation(const ObservationRow& row) override;

  // The inventory, sorted by asset id (stable, diffable). Call once.
  [[nodiscard]] Inventory build();

 private:
  using Origins = std::vector<std::uint16_t>;  // indexes into origins_
  struct MacEntry {
    Seen seen;
    Traffic traffic;
    std::vector<std::uint16_t> vlans;
    Origins origins;
  };
  struct BindingEntry {
    std::uint32_t owner;       // the binding's rows (services, conversations, facts) carry the same owner id
    std::string_view ip, mac;  // text_'s
    Seen seen;
    Traffic traffic;
    int confirmed = 0;
    Origins origins;
  };
  struct ServiceEntry {
    std::uint32_t owner;
    bool offered;
    std::string_view proto;  // text_'s
    std::uint16_t port;
    Seen seen;
    std::uint64_t count;
  };
  struct ConversationEntry {
    std::uint32_t owner;
    std::string_view peer, proto, role, app;  // text_'s
    std::uint16_t port;
    Seen seen;
    Traffic traffic;
  };
  struct ObservationEntry {
    std::uint32_t owner;
    std::string_view key, value;  // text_'s
    Seen seen;
    std::uint64_t count;
  };

  // The devices, in id order (stable, diffable output), made once in place: never a map of them and then a
  // vector (at 100,000 devices both would hold ~70 MB of AssetViews at once).
  struct Assets {
    std::vector<AssetView> list;
    absl::flat_hash_map<std::string_view, std::uint32_t> index;  // id -> position; views into list[i].id
    AssetView* find(std::string_view id) {
      const auto it = index.find(id);
      return it == index.end() ? nullptr : &list[it->second];
    }
  };
  // The device of each owner's rows (kNoDevice: skipped), as its position in id order.
  static constexpr std::uint32_t kNoDevice = UINT32_MAX;
  struct Ranks {
    std::vector<std::uint32_t> of_owner;
    std::vector<AssetView>* devices = nullptr;
    [[nodiscard]] AssetView* device(std::uint32_t owner) const {
      const std::uint32_t r = of_owner[owner];
      return r == kNoDevice ? nullptr : &(*devices)[r];
    }
  };
  // The steps of build(): every address binding given to its device (AddressOwners decides who owns an
  // address behind a router), giving the device id of each binding's owner; every device made, in id order;
  // MAC devices and addresses filled in; then the rows of each device merged per key.
  struct AddressPlan {
    std::vector<std::string> owner_asset;  // per owner id: the id of the device a binding's rows go to
    std::vector<bool> via_router;          // per binding (bindings_ order)
    std::vector<std::string> routers;      // MACs
  };
  AddressPlan assign_owners();
  Assets make_assets(const AddressPlan& plan) const;
  void add_mac_devices(Assets& assets);
  void add_addresses(Assets& assets, const AddressPlan& plan);
  Ranks rank_owners(Assets& assets, const AddressPlan& plan) const;
  void merge_services(const Ranks& ranks);
  void merge_conversations(const Ranks& ranks);
  void merge_observations(const Ranks& ranks);

  static constexpr std::size_t kNoBinding = SIZE_MAX;
  // An owner is the (ip, mac) a row belongs to ("" ip for MAC facts); ids index owners_.
  std::uint32_t owner_id(std::string_view ip, std::string_view mac);
  BindingEntry& binding_entry(std::string_view ip, std::string_view mac);

  void note_origin(Origins& origins) const;
  void add_seen_by(AssetView& a, const Origins& origins) const;

  const Limits& limits_;
  Inventory inv_;
  static constexpr std::uint16_t kNoOrigin = UINT16_MAX;
  std::vector<SeenBy> origins_;
  std::uint16_t origin_ = kNoOrigin;
  // Every text of the rows below, once (rows hold views of it); destroyed after them.
  StringPool text_;
  absl::flat_hash_map<std::string_view, MacEntry> macs_;  // by MAC (text_'s)
  std::vector<BindingEntry> bindings_;
  std::vector<std::size_t> binding_of_owner_;  // owner id -> position in bindings_ (kNoBinding: none)
  // (ip, mac) -> owner id.
  absl::flat_hash_map<std::pair<std::string_view, std::string_view>, std::uint32_t> owner_ids_;
  std::vector<std::pair<std::string_view, std::string_view>> owners_;  // text_'s
  std::uint32_t last_owner_ = 0;
  // Deques: they grow without the copy-and-double peak of a vector (these hold every row of a run).
  std::deque<ServiceEntry> services_;
  std::deque<ConversationEntry> conversations_;
  std::deque<ObservationEntry> observations_;
};

class SqliteStore;
class Tracker;

// Where a run without a database file puts the records the tracker evicts: straight into an inventory
// builder, not through an SQL database in memory (several times cheaper per record), within a RecordBudget
// of Limits::max_memory_store_records.
class MemorySpill final : public FlushTarget {
 public:
  explicit MemorySpill(const Limits& limits) : builder_(limits), budget_(limits.max_memory_store_records) {}
  void flush(Tracker& tracker, Stats& /*stats*/, DrainScope scope) override {
    drain_deltas(tracker, builder_, false, scope, &budget_);
  }
  [[nodiscard]] InventoryBuilder& builder() { return builder_; }

 private:
  InventoryBuilder builder_;
  RecordBudget budget_;
};

// The inventory of what `store` holds merged with what `tracker` has not flushed (and, given a `spill`,
// what it took): the same result as a flush followed by a load, without writing the tracker's rows to SQL.
// Consumes the tracker's flows and facts, and the spill (the end of a run).
Inventory take_inventory(const SqliteStore& store, Tracker& tracker, const Limits& limits,
                         MemorySpill* spill = nullptr);

}  // namespace ww
