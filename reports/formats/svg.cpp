// The communication map drawn by Graphviz (docs/reports.md, "svg"): the DOT report's graph rendered with
// `dot -Tsvg` when Graphviz is installed; without it, a one-line error and no file (the dot format needs
// nothing).
#include "reports/communication_map.hpp"
#include "reports/graphviz.hpp"
#include "reports/report_format.hpp"

namespace ww {
namespace {

void write_svg(const ReportContext& ctx, std::ostream& out) {
  const SvgResult r = render_svg(communication_map_dot(ctx));
  if (!r.svg) throw ReportError(r.why_not + " (--format dot needs no Graphviz)");
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n" << *r.svg;
}

}  // namespace

ReportFormat report_format_svg() {
  return {"svg", "the communication map drawn by Graphviz's dot, when installed (docs/reports.md)", "svg", &write_svg};
}

}  // namespace ww
