#include "reports/report_format.hpp"

namespace ww {

const ReportFormat* find_report_format(std::string_view name) {
  for (const ReportFormat& f : report_formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string report_format_names() {
  std::string out;
  for (const ReportFormat& f : report_formats()) out += (out.empty() ? "" : "|") + std::string(f.name);
  return out;
}

}  // namespace ww
