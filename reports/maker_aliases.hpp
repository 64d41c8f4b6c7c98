// Maker names compared across naming conventions: "HP" = "Hewlett Packard", "Supermicro" = "Super Micro
// Computer, Inc.", "GE Healthcare" = "GE HealthCare" = "GE Medical Systems". The alias groups are data
// (reports/maker_aliases.cpp), each with where its names come from; docs/reports.md, "CMDB comparison".
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ww {

// One company under the names it goes by: the IEEE OUI registry's organisation names
// (/usr/share/ieee-data/oui.csv), the names in DICOM Manufacturer (0008,0070), the company's own
// styling, and names it had before a rename, merger or spin-off.
struct MakerAliasGroup {
  std::string_view canonical;                 // the name the report prefers
  std::span<const std::string_view> aliases;  // every other spelling, as written by its source
  std::string_view source;                    // where the names come from, and any decision taken
};

std::span<const MakerAliasGroup> maker_alias_groups();

// A maker name reduced for comparison: lower case, German umlauts spelt out (ä → ae), punctuation dropped,
// legal forms dropped wherever they stand (Inc, Corp, Corporation, Ltd, Limited, LLC, PLC, GmbH, AG, Co,
// Company, KG, KGaA, S.A., B.V., N.V., SE, S.p.A., S.r.l., Oy, AB, K.K., Pty), the words left joined with
// single spaces. "Super Micro Computer, Inc." → "super micro computer"; "Drägerwerk AG & Co. KGaA" →
// "draegerwerk".
std::string normalized_maker(std::string_view name);

// The same maker after normalisation: equal names without spaces ("Hill-Rom" = "Hillrom"), names in one
// alias group, or one name's words leading the other's ("Baxter" = "Baxter Healthcare", "Cisco" = "Cisco
// Meraki"; never a part of a word: "Abbott" ≠ "Abbottville"). An empty name matches nothing.
bool same_maker(std::string_view a, std::string_view b);

}  // namespace ww
