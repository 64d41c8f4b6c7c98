// Applies a RuleSet to the resolved inventory: per-attribute evidence combination, alternatives,
// contradictions, crown jewels, and the raw signatures that let new rules be written (docs/fingerprints.md).
#pragma once

#include "model/inventory.hpp"
#include "fingerprints/engine/rules.hpp"

namespace ww {

FactSet facts_of(const AssetView& asset);
Classification classify(const AssetView& asset, const RuleSet& rules, std::optional<CrownJewel>& crown_jewel);
void classify_inventory(Inventory& inv, const RuleSet& rules);

// Human-readable explanation of every claim about one asset (`wardwatch fingerprint --explain`).
std::string explain(const AssetView& asset);

}  // namespace ww
