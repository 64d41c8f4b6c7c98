// What the read, capture and export commands share: the reference data that classification needs, the
// inventory's enrichment, the JSON written atomically, and the end-of-run summary (agent/cli/commands.cpp).
#pragma once

#include <functional>

#include <future>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "agent/cli/commands.hpp"
#include "model/inventory.hpp"
#include "agent/pipeline/stats.hpp"
#include "fingerprints/engine/classifier.hpp"
#include "fingerprints/engine/oui_registry.hpp"

namespace ww {

class PhaseTimes;

class SqliteStore;

void error_line(const std::string& msg);
void warning_line(const std::string& msg);

// The fingerprint rules and the IEEE registries; loaded once per run, on a helper thread.
struct ReferenceData {
  std::optional<RuleSet> rules;
  OuiRegistry oui;
  std::vector<std::string> warnings;
  std::optional<std::string> error;  // a broken rule file: the run fails
};
ReferenceData load_reference_data(const std::optional<std::string>& rules_dir, const std::string& ieee_dir);
std::future<ReferenceData> start_loading_reference_data(const CommonOptions& opts);

// Vendors and classification; prints the reference data's warnings when `report` (once per run).
std::optional<Inventory> enrich_inventory(Inventory inv, const ReferenceData& ref, bool report = true);

// The stored inventory, enriched (the reference data read on a second thread meanwhile). `phases`, when
// given, marks load, inventory, reference and classify.
std::optional<Inventory> build_inventory(SqliteStore& store, const Limits& limits, const std::string& ieee_dir,
                                         const std::optional<std::string>& rules_dir, PhaseTimes* phases = nullptr);

// Evaluates the finding rules on a classified inventory (docs/findings.md). Returns an error line for a broken
// finding file; without any finding rules the inventory is left without findings, with a warning.
std::optional<std::string> add_findings(Inventory& inv, const std::optional<std::string>& findings_dir);

// The inventory of a database: an SQLite file, or a central store URL (only `site`'s rows, given one).
// Throws StoreError (an unreadable file, an unreachable server, --site on a file).
std::optional<Inventory> build_stored_inventory(const std::string& db, const std::optional<std::string>& site,
                                                const Limits& limits, const std::string& ieee_dir,
                                                const std::optional<std::string>& rules_dir,
                                                PhaseTimes* phases = nullptr);

// Writes the JSON to opts.json_path: "-" is stdout; a file is written beside its final name and renamed
// over it (a reader never sees half a file), created 0640.
// Writes --json (if asked) whole or not at all; `before_commit` runs once the file is written and before it
// appears under its name (or before anything goes to standard output); if it throws, no file appears.
bool write_inventory(const CommonOptions& opts, const Inventory& inv, const std::function<void()>& before_commit = {});

// Devices of clinical categories and crown jewels, as the summary and the status lines count them.
struct InventoryCounts {
  std::size_t assets = 0, with_mac = 0, remote = 0, routers = 0, medical = 0, jewels = 0;
};
InventoryCounts count_inventory(const Inventory& inv);

// The one-line end-of-run summary on stderr (not with --quiet).
void print_summary(const CommonOptions& opts, const Inventory& inv, const Stats& stats, double seconds);

}  // namespace ww
