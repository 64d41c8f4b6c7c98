// A bounded scanner for the few XML elements parsers read from SOAP and device descriptions (WS-Discovery,
// DPWS metadata): elements are found by local name (any namespace prefix, any attributes) and their text
// taken up to the next '<'. No XML library, no entity expansion, no DTD, nothing fetched: the values are
// wire text, shown only through printable().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

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

// The five predefined entities of XML 1.0 §4.6 decoded; any other '&' is kept as it is (no character
// references, no DTD entities: nothing is expanded).
inline std::string xml_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool decoded = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size() - 1;
          decoded = true;
          break;
        }
      }
    }
    if (!decoded) out += s[i];
  }
  return out;
}

// The raw value of attribute `name` in the start tag of the first element whose local name is `local`
// ("" if there is no such element or attribute). Values are quoted with " or ' (XML 1.0 §3.1); a tag or a
// value that runs past `xml` yields "". Not unescaped: pass it to xml_unescape().
inline std::string_view attribute_of(std::string_view xml, std::string_view local, std::string_view name) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos || lt + 1 >= xml.size()) return {};
    pos = lt + 1;
    std::size_t end = pos;
    while (end < xml.size() && kWhitespace.find(xml[end]) == std::string_view::npos && xml[end] != '>' &&
           xml[end] != '/') {
      ++end;
    }
    std::string_view qname = xml.substr(pos, end - pos);
    if (const std::size_t colon = qname.find(':'); colon != std::string_view::npos) qname.remove_prefix(colon + 1);
    if (qname != local) continue;
    // The attributes: name = "value" pairs up to the tag's '>'.
    std::size_t i = end;
    while (i < xml.size() && xml[i] != '>' && xml[i] != '/') {
      while (i < xml.size() && kWhitespace.find(xml[i]) != std::string_view::npos) ++i;
      const std::size_t name_start = i;
      while (i < xml.size() && xml[i] != '=' && xml[i] != '>' && xml[i] != '/' &&
             kWhitespace.find(xml[i]) == std::string_view::npos) {
        ++i;
      }
      const std::string_view attr = xml.substr(name_start, i - name_start);
      while (i < xml.size() && kWhitespace.find(xml[i]) != std::string_view::npos) ++i;
      if (i >= xml.size() || xml[i] != '=') return {};
      ++i;
      while (i < xml.size() && kWhitespace.find(xml[i]) != std::string_view::npos) ++i;
      if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) return {};
      const char quote = xml[i];
      const std::size_t close = xml.find(quote, i + 1);
      if (close == std::string_view::npos) return {};
      if (attr == name) return xml.substr(i + 1, close - i - 1);
      i = close + 1;
    }
    return {};
  }
}

}  // namespace ww
