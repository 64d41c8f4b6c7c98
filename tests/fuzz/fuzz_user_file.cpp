// libFuzzer targets for files a user hands wardwatch (not packets): WW_FUZZ_INPUT names which.
//   inventory_json: `wardwatch diff` reading an inventory JSON (reports/diff.hpp).
//   cmdb_csv: `wardwatch report --cmdb` reading a CMDB export (reports/cmdb.hpp).
//   udi: a UDI carrier as HL7 fields hold it (wardwatch/udi.hpp): no exception at all, and bounded parts.
// Any input must end in a result or a std::runtime_error (CmdbError is one) with a message — never another
// exception, a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reports/cmdb.hpp"
#include "reports/diff.hpp"
#include "wardwatch/udi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view input = WW_FUZZ_INPUT;
  if constexpr (input == "inventory_json") {
    try {
      const auto devices = ww::device_states_from_json(text);
      for (const auto& d : devices) {
        if (d.id.empty() && !devices.empty() && d.ips.size() > size) std::abort();  // touch the result
      }
    } catch (const std::runtime_error& e) {
      if (std::string_view(e.what()).empty()) std::abort();  // every refusal says why
    }
  }
  if constexpr (input == "udi") {
    const ww::UdiParse p = ww::parse_udi(text);
    if (p.udi && p.bad_check) std::abort();
    if (p.udi && (p.udi->di.empty() || p.udi->serial.size() > 20 || p.udi->lot.size() > 20)) std::abort();
  }
  if constexpr (input == "cmdb_csv") {
    try {
      std::vector<ww::ParsedCmdbFile> files;
      files.push_back(ww::parse_cmdb_csv(text, "fuzz.csv"));
      const ww::Cmdb cmdb = ww::merge_cmdb_files(std::move(files));
      ww::Inventory inv;  // an empty inventory: every entry is stale, and the comparison must say so
      const auto result = ww::compare_with_cmdb(inv, cmdb, ww::CmdbOptions{1'700'000'000'000'000, 30});
      if (result.assets.size() != 0) std::abort();
    } catch (const std::runtime_error& e) {
      if (std::string_view(e.what()).empty()) std::abort();
    }
  }
  return 0;
}
