// Report formats (`wardwatch report --format NAME`), registered in one table that the CLI's help, its option
// check and its dispatch all read. A format is one file, reports/formats/<name>.cpp, defining
// `ReportFormat report_format_<name>()`; cmake/report_registry.cmake generates the table from the files.
#pragma once

#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "model/inventory.hpp"

namespace ww {

struct CmdbComparison;

// What every format is written from: the resolved, classified inventory and when the report was made.
struct ReportContext {
  const Inventory& inventory;
  std::string generator_version;  // wardwatch's version
  std::int64_t generated_us = 0;  // wall-clock time of the report (µs since the epoch)
  // With --cmdb: each device's management state and the CMDB entries not seen (reports/cmdb.hpp); null
  // without a CMDB.
  const CmdbComparison* cmdb = nullptr;
};

// A report that cannot be made (a tool it needs is missing): thrown by a format's write before it writes
// anything; the CLI prints it as one line and leaves no file.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReportFormat {
  std::string_view name;         // the --format value
  std::string_view description;  // one line, for --help
  std::string_view extension;    // of a file written with -o (documentation only)
  void (*write)(const ReportContext& context, std::ostream& out) = nullptr;
};

// Every format, sorted by name (generated).
std::span<const ReportFormat> report_formats();
// The format called `name`, or nullptr.
const ReportFormat* find_report_format(std::string_view name);
// "json|csv|..." for usage lines and errors.
std::string report_format_names();

}  // namespace ww
