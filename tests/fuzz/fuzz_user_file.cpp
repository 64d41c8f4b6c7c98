// libFuzzer targets for files a user hands wardwatch (not packets): WW_FUZZ_INPUT names which.
//   inventory_json: `wardwatch diff` reading an inventory JSON (reports/diff.hpp). Any input must end in
//   devices or a std::runtime_error with a message — never another exception, a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reports/diff.hpp"

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
  return 0;
}
