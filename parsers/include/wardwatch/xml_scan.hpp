// A bounded scanner for the few XML elements parsers read from SOAP and device descriptions (WS-Discovery,
// DPWS metadata): elements are found by local name (any namespace prefix, any attributes) and their text
// taken up to the next '<'. No XML library, no entity expansion, no DTD, nothing fetched: the values are
// wire text, shown only through printable().
#pragma once

#include <cstddef>
#include <string_view>

#include "wardwatch/text.hpp"

namespace ww {

// Calls f(text) for the character content of each element whose local name is `local` (at most `max`).
template <typename F>
void for_each_element(std::string_view xml, std::string_view local, std::size_t max, F&& f) {
  std::size_t pos = 0, found = 0;
  while (found < max) {
    const std::size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos || lt + 1 >= xml.size()) return;
    pos = lt + 1;
    const char first = xml[pos];
    if (first == '/' || first == '?' || first == '!') continue;
    std::size_t end = pos;
    while (end < xml.size() && kWhitespace.find(xml[end]) == std::string_view::npos && xml[end] != '>' &&
           xml[end] != '/') {
      ++end;
    }
    std::string_view qname = xml.substr(pos, end - pos);
    const std::size_t colon = qname.find(':');
    if (colon != std::string_view::npos) qname.remove_prefix(colon + 1);
    if (qname != local) continue;
    const std::size_t gt = xml.find('>', end);
    if (gt == std::string_view::npos) return;
    if (xml[gt - 1] == '/') continue;  // empty element
    const std::size_t close = xml.find('<', gt + 1);
    if (close == std::string_view::npos) return;
    ++found;
    f(trim(xml.substr(gt + 1, close - gt - 1)));
    pos = close;
  }
}

}  // namespace ww
