// Renders a DOT graph to SVG with Graphviz's `dot` (Debian package graphviz), when it is installed: the
// communication map's picture in the SVG and HTML reports. wardwatch does not depend on Graphviz; without
// it those reports say so (docs/reports.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ww {

struct SvgResult {
  std::optional<std::string> svg;  // the <svg> element (XML prolog and doctype removed), when rendered
  std::string why_not;             // one line, when not
};

// Runs `dot -Tsvg` (found on PATH) on `dot_text` through files in a private temporary directory; no shell.
SvgResult render_svg(std::string_view dot_text);

}  // namespace ww
