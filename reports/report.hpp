// Exporters: every report is a pure function of the resolved Inventory.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "model/inventory.hpp"

namespace ww {

inline constexpr int kJsonSchemaVersion = 1;

// RFC 3339 UTC with microseconds, e.g. 2019-08-28T12:34:56.000123Z.
std::string format_timestamp(std::int64_t ts_us);

nlohmann::ordered_json to_json(const Inventory& inv, const std::string& generator_version);
void write_json(const Inventory& inv, const std::string& generator_version, std::ostream& out);
// One row per asset; list fields are joined with ';'. RFC 4180 quoting.
void write_csv(const Inventory& inv, std::ostream& out);

}  // namespace ww
