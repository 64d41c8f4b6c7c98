// The communication map as a Graphviz graph (docs/reports.md, "dot"): the clinical interfaces — HL7 v2 links
// (application@facility → application@facility, with the message types and the server port) and DICOM
// associations (calling AE → called AE), each endpoint with the device that holds it — and the crown jewels
// with the devices that talk to them, from their conversations (reports/communication_map.hpp).
#include "reports/communication_map.hpp"
#include "reports/report_format.hpp"

namespace ww {
namespace {

void write_dot(const ReportContext& ctx, std::ostream& out) { out << communication_map_dot(ctx); }

}  // namespace

ReportFormat report_format_dot() {
  return {"dot", "the communication map as a Graphviz graph: clinical interfaces, crown jewels and who talks to them (docs/reports.md)",
          "dot", &write_dot};
}

}  // namespace ww
