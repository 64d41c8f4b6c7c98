// The maker alias table: which names denote one company, and where each name comes from. "IEEE" is the
// organisation name in the IEEE OUI registry (/usr/share/ieee-data/oui.csv, Debian's ieee-data), written
// as it stands there; "DICOM" is what the maker's modalities write in Manufacturer (0008,0070).
#include "reports/maker_aliases.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <vector>

namespace ww {
namespace {

using namespace std::string_view_literals;

constexpr std::array kHp{
    "HP Inc."sv, "Hewlett Packard"sv, "Hewlett-Packard"sv, "Hewlett-Packard Company"sv, "Hewlett Packard Enterprise"sv,
    "HPE"sv};
constexpr std::array kSupermicro{"Super Micro Computer, Inc."sv, "Super Micro"sv, "Super Micro Computer"sv};
constexpr std::array kGe{"GE Healthcare"sv,    "GE Medical Systems"sv,       "GE Medical System(China) Co., Ltd."sv,
                         "General Electric"sv, "General Electric Company"sv, "GE"sv};
constexpr std::array kSiemensHealthineers{"Siemens Healthcare"sv, "Siemens Healthcare Diagnostics"sv,
                                          "Siemens Medical Solutions"sv, "Siemens Medical"sv, "Siemens"sv};
constexpr std::array kPhilips{"Koninklijke Philips"sv, "Koninklijke Philips N.V."sv, "Philips Medical Systems"sv,
                              "Philips Healthcare"sv, "Philips Patient Monitoring"sv};
constexpr std::array kBaxter{"Baxter International"sv, "Baxter International Inc"sv, "Baxter Healthcare"sv,
                             "Baxter Healthcare Corporation"sv};
constexpr std::array kBBraun{"B.Braun"sv, "B.Braun Melsungen AG"sv, "B. Braun Melsungen"sv, "B. Braun Medical"sv,
                             "Braun Melsungen"sv};
constexpr std::array kDell{"Dell Inc."sv, "Dell Technologies"sv, "Dell EMC"sv};
constexpr std::array kCisco{"Cisco Systems"sv, "Cisco Systems, Inc"sv};
constexpr std::array kCanonMedical{"Canon Medical"sv, "Toshiba Medical Systems"sv, "Toshiba Medical"sv,
                                   "Toshiba America Medical Systems"sv};
constexpr std::array kFujifilm{"FUJIFILM Corporation"sv, "Fujifilm Healthcare"sv, "FUJIFILM Medical Systems"sv,
                               "Fuji Photo Film"sv};
constexpr std::array kMindray{"Shenzhen Mindray"sv, "Shenzhen Mindray Bio-Medical Electronics"sv, "Mindray Co., Ltd."sv,
                              "Mindray DS USA, Inc."sv};
constexpr std::array kDraeger{"Draeger"sv,
                              "Drager"sv,
                              "Drägerwerk"sv,
                              "Draegerwerk"sv,
                              "Drägerwerk AG & Co. KG aA"sv,
                              "Draeger Medical"sv,
                              "Draeger Medical Systems"sv};
constexpr std::array kMedtronic{"Medtronic plc"sv, "Medtronic Diabetes"sv, "Medtronic MiniMed"sv, "Covidien"sv};
constexpr std::array kBd{"BD"sv, "Becton Dickinson"sv, "Becton, Dickinson and Company"sv, "CareFusion"sv,
                         "Alaris Medical Systems"sv};
constexpr std::array kRoche{"Roche Diagnostics"sv, "Roche Diagnostics GmbH"sv, "Roche Diagnostics International Ltd."sv,
                            "F. Hoffmann-La Roche"sv, "Hoffmann-La Roche"sv};
constexpr std::array kSysmex{"Sysmex Corporation"sv};
constexpr std::array kAbbott{"Abbott Laboratories"sv, "Abbott Diagnostics"sv, "Abbott Point of Care"sv};
constexpr std::array kOracleHealth{"Oracle Health"sv, "Cerner"sv, "Cerner Corporation"sv};
constexpr std::array kAruba{"Aruba Networks"sv, "Aruba, a Hewlett Packard Enterprise Company"sv, "Aruba"sv};
constexpr std::array kPoly{"Polycom"sv, "Poly"sv, "HP Poly"sv, "Plantronics"sv};

constexpr std::array kGroups{
    MakerAliasGroup{"HP", kHp,
                    "IEEE: Hewlett Packard, Hewlett Packard Enterprise, HP Inc. Hewlett-Packard split in 2015 into "
                    "HP Inc. (PCs, printers) and Hewlett Packard Enterprise (servers, networks); both keep blocks "
                    "registered as Hewlett Packard, devices made before the split carry the old name, and the wire "
                    "cannot tell the halves apart, so for this comparison they are one maker"},
    MakerAliasGroup{"Supermicro", kSupermicro,
                    "IEEE: Super Micro Computer, Inc.; Supermicro is the company's own brand"},
    MakerAliasGroup{"GE HealthCare", kGe,
                    "the company's own styling since its 2023 spin-off from General Electric; IEEE: GE Healthcare, "
                    "GE Medical System(China) Co., Ltd.; DICOM: GE MEDICAL SYSTEMS (the hospital lab's CT)"},
    MakerAliasGroup{"Siemens Healthineers", kSiemensHealthineers,
                    "the company's name since 2016 (Siemens Healthcare before, Siemens Medical Solutions before "
                    "2008); IEEE: Siemens Healthcare Diagnostics; DICOM: SIEMENS"},
    MakerAliasGroup{"Philips", kPhilips,
                    "Koninklijke Philips N.V. is the legal name; IEEE: Philips Medical Systems - Cardiac and "
                    "Monitoring Systems, Philips Patient Monitoring; DICOM: Philips Medical Systems"},
    MakerAliasGroup{"Baxter", kBaxter,
                    "IEEE: Baxter International Inc; Baxter Healthcare Corporation is its US operating company"},
    MakerAliasGroup{"B. Braun", kBBraun, "IEEE: B.Braun Melsungen AG; the company writes B. Braun"},
    MakerAliasGroup{"Dell", kDell, "IEEE: Dell Inc., Dell EMC; Dell Technologies is the parent since 2016"},
    MakerAliasGroup{"Cisco", kCisco, "IEEE: Cisco Systems, Inc"},
    MakerAliasGroup{"Canon Medical Systems", kCanonMedical,
                    "Toshiba Medical Systems was renamed Canon Medical Systems in 2018 after Canon bought it; "
                    "older modalities still name Toshiba"},
    MakerAliasGroup{"FUJIFILM", kFujifilm,
                    "IEEE: FUJIFILM Corporation; Fuji Photo Film until 2006; Fujifilm Healthcare is the former "
                    "Hitachi medical business (2021)"},
    MakerAliasGroup{"Mindray", kMindray,
                    "Shenzhen Mindray Bio-Medical Electronics Co., Ltd. is the legal name; IEEE: Mindray Co., "
                    "Ltd., Mindray DS USA, Inc."},
    MakerAliasGroup{"Dräger", kDraeger,
                    "IEEE: Drägerwerk AG & Co. KG aA, Draeger Medical, Draeger Medical Systems; Draeger is the "
                    "spelling without the umlaut"},
    MakerAliasGroup{"Medtronic", kMedtronic, "IEEE: Medtronic Diabetes; Covidien belongs to Medtronic since 2015"},
    MakerAliasGroup{"BD", kBd,
                    "IEEE: Becton, Dickinson and Company, Carefusion; BD bought CareFusion (Alaris pumps) in 2015"},
    MakerAliasGroup{"Roche", kRoche,
                    "IEEE: Roche Diagnostics GmbH, Roche Diagnostics International Ltd.; F. Hoffmann-La Roche is "
                    "the parent"},
    MakerAliasGroup{"Sysmex", kSysmex, "IEEE: Sysmex Corporation"},
    MakerAliasGroup{"Abbott", kAbbott,
                    "IEEE: Abbott Diagnostics, Abbott Point of Care; Abbott Laboratories is the legal name"},
    MakerAliasGroup{"Oracle Health (Cerner)", kOracleHealth,
                    "Oracle bought Cerner in 2022 and renamed it Oracle Health (the rule library's vendor name)"},
    MakerAliasGroup{"HPE Aruba Networking", kAruba,
                    "IEEE: Aruba, a Hewlett Packard Enterprise Company; renamed HPE Aruba Networking in 2023"},
    MakerAliasGroup{"Poly", kPoly, "Polycom and Plantronics merged as Poly (2019), part of HP since 2022 (HP Poly)"},
};

// Legal forms: words that say how a company is registered, not which company it is.
constexpr std::array kLegalForms{"inc"sv, "incorporated"sv, "corp"sv, "corporation"sv, "ltd"sv, "limited"sv,
                                 "llc"sv, "plc"sv,          "gmbh"sv, "ag"sv,          "co"sv,  "company"sv,
                                 "kg"sv,  "kgaa"sv,         "sa"sv,   "bv"sv,          "nv"sv,  "se"sv,
                                 "spa"sv, "srl"sv,          "oy"sv,   "ab"sv,          "kk"sv,  "pty"sv};

// German umlauts and ß spelt out, as a name typed without them would be (Dräger → Draeger).
std::string_view transliteration(std::string_view text, std::size_t at, std::size_t& length) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kSpelt{{{"\xc3\xa4", "ae"},
                                                                                        {"\xc3\xb6", "oe"},
                                                                                        {"\xc3\xbc", "ue"},
                                                                                        {"\xc3\x84", "ae"},
                                                                                        {"\xc3\x96", "oe"},
                                                                                        {"\xc3\x9c", "ue"},
                                                                                        {"\xc3\x9f", "ss"}}};
  for (const auto& [from, to] : kSpelt) {
    if (text.substr(at, from.size()) == from) {
      length = from.size();
      return to;
    }
  }
  length = 1;
  return {};
}

std::vector<std::string> maker_words(std::string_view name) {
  std::vector<std::string> words(1);
  for (std::size_t i = 0; i < name.size();) {
    std::size_t length = 1;
    const std::string_view spelt = transliteration(name, i, length);
    const char c = name[i];
    i += length;
    if (!spelt.empty()) {
      words.back() += spelt;
    } else if (c == '.' || c == '\'') {
      continue;  // "S.A." is one word, "B. Braun" two
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  std::erase_if(words, [](const std::string& w) {
    return w.empty() || std::find(kLegalForms.begin(), kLegalForms.end(), w) != kLegalForms.end();
  });
  return words;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += separator;
    out += w;
  }
  return out;
}

// Normalised name without spaces → its group's index.
const std::map<std::string, std::size_t, std::less<>>& alias_index() {
  static const auto index = [] {
    std::map<std::string, std::size_t, std::less<>> m;
    for (std::size_t g = 0; g < kGroups.size(); ++g) {
      m.emplace(joined(maker_words(kGroups[g].canonical), ""), g);
      for (std::string_view alias : kGroups[g].aliases) m.emplace(joined(maker_words(alias), ""), g);
    }
    return m;
  }();
  return index;
}

bool words_lead(const std::vector<std::string>& shorter, const std::vector<std::string>& longer) {
  return shorter.size() <= longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

}  // namespace

std::span<const MakerAliasGroup> maker_alias_groups() {
  return kGroups;
}

std::string normalized_maker(std::string_view name) {
  return joined(maker_words(name), " ");
}

bool same_maker(std::string_view a, std::string_view b) {
  const auto wa = maker_words(a), wb = maker_words(b);
  if (wa.empty() || wb.empty()) return false;
  const std::string ka = joined(wa, ""), kb = joined(wb, "");
  if (ka == kb) return true;
  const auto& index = alias_index();
  const auto ga = index.find(ka), gb = index.find(kb);
  if (ga != index.end() && gb != index.end() && ga->second == gb->second) return true;
  return words_lead(wa, wb) || words_lead(wb, wa);
}

}  // namespace ww
