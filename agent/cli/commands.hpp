// The agent's commands as library functions; main.cpp only parses arguments and calls these.
// Exit codes (docs/usage.md): 0 ok, 1 runtime error, 2 usage error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/limits.hpp"

namespace ww {

inline constexpr int kExitOk = 0, kExitRuntime = 1, kExitUsage = 2;

struct CommonOptions {
  std::optional<std::string> db_path;    // none: a private in-memory database
  std::optional<std::string> json_path;  // "-" for stdout
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;  // none: WARDWATCH_RULES, installed share dir, or the source tree
  Limits limits;
  bool quiet = false;
  // The SIEM feed (docs/events.md): ECS NDJSON (--events, "-" for stdout) and CEF over syslog (--syslog
  // udp://|tcp://|tls://HOST:PORT), at most syslog_rate events a second to syslog.
  std::optional<std::string> events_path, syslog_url, syslog_ca;
  double syslog_rate = 100;
  std::optional<std::string> findings_dir;  // finding rules for the feed's finding events
  std::string agent_id, site;  // who reports (events, pushes); empty: the defaults (agent/cli/push.hpp)
};

struct ReadOptions : CommonOptions {
  std::vector<std::string> captures;  // "-": standard input
  std::string filter;                 // BPF, as tcpdump -r FILE FILTER
  bool progress = true;  // shown only when stderr is a terminal and the input is large
  bool force = false;    // read a capture even if this database already holds it (same SHA-256)
};

struct CaptureOptions : CommonOptions {
  std::vector<std::string> interfaces;
  std::string filter;
  double duration_s = 0;                 // 0: until SIGINT/SIGTERM
  std::optional<std::string> user;       // -Z: run as this user once the interfaces and database are open
  int snaplen = 262144;
  int buffer_mib = 32;                   // kernel ring per interface
  double json_interval_s = 0;            // 0: the JSON is written at exit only
  double status_interval_s = 300;        // 0: no status lines
  int retention_days = 0;                // 0: devices are kept forever
  std::optional<std::string> push_to;    // a central store URL (docs/central.md); needs db_path
  double push_interval_s = 3600;
  double events_interval_s = 60;         // events computed at most this often (and at exit)
};

struct PushOptions {
  std::string db_path;
  std::string to;                // postgresql://...
  std::string agent_id, site;    // empty: the defaults (agent/cli/push.hpp)
  bool quiet = false, verbose = false;
};

struct StatusOptions {
  std::string db_path;
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;
  Limits limits;
};

struct ExportOptions {
  std::string db_path;
  std::optional<std::string> site;  // only this site's rows (a central store)
  std::string format = "json";  // json | csv
  std::string output = "-";
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;
  Limits limits;
};

struct ReportOptions {
  std::string db_path;
  std::optional<std::string> site;  // only this site's rows (a central store)
  std::string format;  // a name in report_formats() (reports/report_format.hpp)
  std::string output = "-";
  std::vector<std::string> cmdb_files;  // --cmdb, repeatable: CSV exports (reports/cmdb.hpp)
  int stale_days = 30;                  // a CMDB entry not seen for this long is stale
  std::optional<std::string> findings_dir;  // none: WARDWATCH_FINDINGS, the installed share dir, or the source tree
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;
  Limits limits;
};

struct DiffOptions {
  std::string before, after;  // databases (SQLite files or central store URLs) or inventory JSON files
  std::optional<std::string> site;  // central stores: only this site's rows
  std::string format = "json";
  std::string output = "-";
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;
  Limits limits;
};

struct FingerprintOptions {
  std::optional<std::string> db_path;
  std::optional<std::string> site;  // a central store: only this site's rows
  std::vector<std::string> captures;
  std::optional<std::string> explain_mac;  // a MAC, or an asset id (mac:..., ip:...)
  bool check_rules = false;
  std::string ieee_data_dir = "/usr/share/ieee-data";
  std::optional<std::string> rules_dir;
  Limits limits;
};

int run_read(const ReadOptions& opts);
int run_capture(const CaptureOptions& opts);
int run_export(const ExportOptions& opts);
int run_report(const ReportOptions& opts);
int run_diff(const DiffOptions& opts);
int run_status(const StatusOptions& opts);
int run_fingerprint(const FingerprintOptions& opts);
int run_push(const PushOptions& opts);

const char* version();

}  // namespace ww
