// wardwatch: the command line. Parses arguments with Boost.Program_options and hands over to the core
// library (agent/cli/commands.hpp). Exit codes: 0 ok, 1 runtime error, 2 usage error.
#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/commands.hpp"
#include "agent/cli/huge_pages.hpp"
#include "agent/store/central_store.hpp"
#include "agent/store/sqlite_store.hpp"
#include "reports/report_format.hpp"
#include "wardwatch/text.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: wardwatch <command> [options]\n"
    "\n"
    "Passive network and asset discovery for hospital networks.\n"
    "\n"
    "commands:\n"
    "  read CAPTURE...        build the inventory from pcap/pcapng files\n"
    "  capture -i IFACE       listen passively on interfaces (SPAN/mirror ports)\n"
    "  status --db PATH       the last run's figures (a live agent's too)\n"
    "  export --db PATH       export a stored inventory as JSON or CSV\n"
    "  report --db PATH --format FORMAT   a report for auditors, procurement, network teams\n"
    "  diff OLD NEW           what changed between two databases or inventory JSON files\n"
    "  fingerprint --explain MAC   explain what a device is, claim by claim\n"
    "  push --db PATH --to URL     send a database's changes to the central PostgreSQL store\n"
    "\n"
    "options:\n"
    "  -h [ --help ]          this help (also: wardwatch <command> --help)\n"
    "  --version              print the version\n";

po::options_description limit_options(ww::Limits& l) {
  po::options_description d("limits (docs/limits.md)");
  d.add_options()
      ("max-flows", po::value(&l.max_flows)->default_value(l.max_flows), "flows tracked at once")
      ("max-assets", po::value(&l.max_assets)->default_value(l.max_assets), "device records kept in memory")
      ("max-memory-store", po::value(&l.max_memory_store_records)->default_value(l.max_memory_store_records),
       "without --db: evicted device records kept in memory")
      ("max-streams", po::value(&l.max_streams)->default_value(l.max_streams), "TCP streams followed for parsers at once")
      ("max-stream-buffer", po::value(&l.max_stream_buffer_bytes)->default_value(l.max_stream_buffer_bytes),
       "bytes buffered per stream direction")
      ("max-stream-memory", po::value(&l.max_stream_buffer_total_bytes)->default_value(l.max_stream_buffer_total_bytes),
       "bytes buffered by all streams together")
      ("flood-threshold", po::value(&l.flood_new_sources_per_s)->default_value(l.flood_new_sources_per_s),
       "new sources per second that start probation (floods, scans)")
      ("max-probation", po::value(&l.max_probation)->default_value(l.max_probation),
       "sources held on probation during a flood")
      ("max-observations", po::value(&l.max_observations_per_asset)->default_value(l.max_observations_per_asset),
       "observations per device")
      ("max-values-per-key", po::value(&l.max_values_per_key)->default_value(l.max_values_per_key),
       "values per observation key per device")
      ("max-peers", po::value(&l.max_peers_per_asset)->default_value(l.max_peers_per_asset), "conversations (peer, service, role) per address binding")
      ("router-min-foreign-ips", po::value(&l.router_min_foreign_ips)->default_value(l.router_min_foreign_ips),
       "unproven IPs behind one MAC that make it a router")
      ("flow-idle-timeout", po::value(&l.flow_idle_timeout_s)->default_value(l.flow_idle_timeout_s),
       "seconds before an idle flow is dropped")
      ("stream-idle-timeout", po::value(&l.stream_idle_timeout_s)->default_value(l.stream_idle_timeout_s),
       "seconds before an idle TCP stream's parser state is freed")
      ("flush-interval", po::value(&l.flush_interval_s)->default_value(l.flush_interval_s),
       "seconds between database flushes");
  return d;
}

po::options_description output_options(ww::CommonOptions& o) {
  po::options_description d("output");
  d.add_options()
      ("db", po::value<std::string>(), "SQLite database to create or add to (default: in memory only)")
      ("json", po::value<std::string>(), "write the inventory as JSON to PATH ('-' for stdout)")
      ("ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs")
      ("rules", po::value<std::string>(), "fingerprint rules directory (default: the installed rules)")
      ("quiet,q", po::bool_switch(&o.quiet), "no summary on stderr");
  return d;
}

po::options_description feed_options(ww::CommonOptions& o) {
  po::options_description d("SIEM feed and identity (docs/events.md)");
  d.add_options()
      ("events", po::value<std::string>(), "append ECS events (NDJSON) to PATH ('-' for stdout)")
      ("syslog", po::value<std::string>(), "send CEF events over syslog: udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT")
      ("syslog-ca", po::value<std::string>(), "CA certificates a tls:// syslog server must chain to (default: the system's)")
      ("syslog-rate", po::value(&o.syslog_rate)->default_value(o.syslog_rate), "syslog events a second at most (more are dropped and counted)")
      ("findings", po::value<std::string>(), "finding rules directory, for finding events (default: the installed rules)")
      ("agent-id", po::value(&o.agent_id), "this agent's id in events and the central store (default: the host name)")
      ("site", po::value(&o.site), "this agent's site in events and the central store (default: \"default\")");
  return d;
}

// Limits must be positive: a zero would make every packet evict the whole table. Returns an error text.
std::string check_limits(const ww::Limits& l) {
  const std::pair<const char*, long long> values[] = {
      {"--max-flows", static_cast<long long>(l.max_flows)},
      {"--max-assets", static_cast<long long>(l.max_assets)},
      {"--max-memory-store", static_cast<long long>(l.max_memory_store_records)},
      {"--max-streams", static_cast<long long>(l.max_streams)},
      {"--max-stream-buffer", static_cast<long long>(l.max_stream_buffer_bytes)},
      {"--max-stream-memory", static_cast<long long>(l.max_stream_buffer_total_bytes)},
      {"--flood-threshold", static_cast<long long>(l.flood_new_sources_per_s)},
      {"--max-probation", static_cast<long long>(l.max_probation)},
      {"--max-observations", static_cast<long long>(l.max_observations_per_asset)},
      {"--max-values-per-key", static_cast<long long>(l.max_values_per_key)},
      {"--max-peers", static_cast<long long>(l.max_peers_per_asset)},
      {"--router-min-foreign-ips", static_cast<long long>(l.router_min_foreign_ips)},
      {"--flow-idle-timeout", l.flow_idle_timeout_s},
      {"--stream-idle-timeout", l.stream_idle_timeout_s},
      {"--flush-interval", l.flush_interval_s}};
  for (const auto& [name, value] : values) {
    // Size options wrap around when given a negative number: treat anything above 2^40 as nonsense too.
    if (value <= 0 || value > (1LL << 40)) return std::string(name) + " must be a positive number";
  }
  return {};
}

void take_outputs(const po::variables_map& vm, ww::CommonOptions& o) {
  if (vm.count("db")) o.db_path = vm["db"].as<std::string>();
  if (vm.count("json")) o.json_path = vm["json"].as<std::string>();
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  if (vm.count("events")) o.events_path = vm["events"].as<std::string>();
  if (vm.count("syslog")) o.syslog_url = vm["syslog"].as<std::string>();
  if (vm.count("syslog-ca")) o.syslog_ca = vm["syslog-ca"].as<std::string>();
  if (vm.count("findings")) o.findings_dir = vm["findings"].as<std::string>();
}

// The feed's options that cannot be checked one by one. Returns an error text.
std::string check_feed(const ww::CommonOptions& o) {
  if (o.events_path && o.json_path && *o.events_path == "-" && *o.json_path == "-") {
    return "--events - and --json - would both write to standard output";
  }
  if (!(o.syslog_rate > 0)) return "--syslog-rate must be positive";
  if (o.syslog_ca && !o.syslog_url) return "--syslog-ca needs --syslog tls://...";
  return {};
}

// Parses `args` against `desc`; prints help and returns 0, or reports a usage error and returns 2.
std::optional<int> parse(const std::vector<std::string>& args, const po::options_description& desc,
                         const po::positional_options_description* positional, po::variables_map& vm,
                         const char* usage_line) {
  try {
    po::command_line_parser parser(args);
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << usage_line << "\n\n" << desc << '\n';
      return ww::kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "wardwatch: usage error: " << e.what() << "\n" << usage_line << "\n";
    return ww::kExitUsage;
  }
  return std::nullopt;
}

int cmd_read(const std::vector<std::string>& args) {
  ww::ReadOptions o;
  po::options_description desc("read options");
  desc.add_options()("help,h", "this help")(
      "capture,r", po::value(&o.captures)->multitoken()->composing(), "capture files ('-' for standard input)")(
      "filter", po::value(&o.filter), "BPF filter applied to the packets read")(
      "force", "with --db: read a capture even if the database already holds it (same content hash)")(
      "no-progress", "never draw a progress bar");
  desc.add(output_options(o)).add(feed_options(o)).add(limit_options(o.limits));
  po::positional_options_description pos;
  pos.add("capture", -1);
  po::variables_map vm;
  const char* usage = "usage: wardwatch read [-r] CAPTURE...|- [--filter BPF] [--db PATH [--force]] [--json PATH|-]";
  if (auto rc = parse(args, desc, &pos, vm, usage)) return *rc;
  if (o.captures.empty()) {
    std::cerr << "wardwatch: usage error: no capture file given\n" << usage << "\n";
    return ww::kExitUsage;
  }
  if (const std::string err = check_limits(o.limits); !err.empty()) {
    std::cerr << "wardwatch: usage error: " << err << "\n" << usage << "\n";
    return ww::kExitUsage;
  }
  take_outputs(vm, o);
  if (const std::string err = check_feed(o); !err.empty()) {
    std::cerr << "wardwatch: usage error: " << err << "\n" << usage << "\n";
    return ww::kExitUsage;
  }
  o.progress = vm.count("no-progress") == 0;
  o.force = vm.count("force") > 0;
  return ww::run_read(o);
}

constexpr const char* kDefaultConfig = "/etc/wardwatch/wardwatch.conf";

std::string trimmed(std::string_view s) { return std::string(ww::trim(s, " \t\r")); }

// Checks a configuration file line by line before Boost reads it, so that a mistake is reported with its
// line: "name = value" lines, '#' comments, names of the command's long options. Returns an error text.
std::string check_config_file(const std::string& path, const po::options_description& desc) {
  std::ifstream in(path);
  if (!in) return "cannot read configuration file '" + path + "'";
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trimmed(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const auto eq = text.find('=');
    if (eq == std::string::npos) return where + "expected 'name = value', got '" + text + "'";
    const std::string name = trimmed(std::string_view(text).substr(0, eq));
    if (name == "config" || name == "help") return where + "'" + name + "' cannot be set in a configuration file";
    const auto* option = desc.find_nothrow(name, false, false, false);
    if (name.empty() || !option || option->long_name() != name) return where + "unknown option '" + name + "'";
  }
  return {};
}

// "FILE:LINE" of the line that sets the option a Boost error names (a bad value), or "FILE" when the error
// is not about a line of the file.
std::string config_line_of(const std::string& path, const po::error& e) {
  const auto* with_name = dynamic_cast<const po::error_with_option_name*>(&e);
  std::string name = with_name ? with_name->get_option_name() : "";
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  std::ifstream in(path);
  std::string line;
  for (int number = 1; !name.empty() && std::getline(in, line); ++number) {
    const std::string text = trimmed(line.substr(0, line.find('#')));
    if (trimmed(std::string_view(text).substr(0, text.find('='))) == name) return path + ":" + std::to_string(number);
  }
  return path;
}

// Adds the configuration file's values under those of the command line (which win), then notifies.
// Returns an exit code when the run must stop (a usage error).
std::optional<int> apply_config(po::variables_map& vm, const po::options_description& desc, const char* usage) {
  std::string path;
  if (vm.count("config")) {
    path = vm["config"].as<std::string>();
  } else if (std::error_code ec; std::filesystem::exists(kDefaultConfig, ec)) {
    path = kDefaultConfig;
  }
  try {
    if (!path.empty()) {
      if (const std::string err = check_config_file(path, desc); !err.empty()) {
        std::cerr << "wardwatch: usage error: " << err << "\n";
        return ww::kExitUsage;
      }
      po::store(po::parse_config_file<char>(path.c_str(), desc, false), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "wardwatch: usage error: " << (path.empty() ? "" : config_line_of(path, e) + ": ") << e.what() << "\n"
              << usage << "\n";
    return ww::kExitUsage;
  }
  return std::nullopt;
}

int cmd_capture(const std::vector<std::string>& args) {
  ww::CaptureOptions o;
  po::options_description desc("capture options");
  desc.add_options()("help,h", "this help")(
      "config", po::value<std::string>(), "configuration file (default: /etc/wardwatch/wardwatch.conf if it exists)")(
      "interface,i", po::value(&o.interfaces), "interface to listen on (repeat for several)")(
      "user,Z", po::value<std::string>(), "run as this user once the interfaces and the database are open")(
      "filter", po::value(&o.filter), "BPF capture filter")(
      "duration", po::value(&o.duration_s), "stop after this many seconds (default: until SIGINT/SIGTERM)")(
      "snaplen", po::value(&o.snaplen)->default_value(o.snaplen), "bytes kept of each packet")(
      "buffer-size", po::value(&o.buffer_mib)->default_value(o.buffer_mib), "kernel capture buffer per interface, MiB")(
      "json-interval", po::value(&o.json_interval_s)->default_value(o.json_interval_s),
      "seconds between JSON rewrites while capturing (0: at exit only)")(
      "status-interval", po::value(&o.status_interval_s)->default_value(o.status_interval_s),
      "seconds between status lines on stderr (0: none)")(
      "retention-days", po::value(&o.retention_days)->default_value(o.retention_days),
      "delete devices not seen for this many days (0: keep forever)")(
      "push-to", po::value<std::string>(), "central store to push the database's changes to (postgresql://...)")(
      "push-interval", po::value(&o.push_interval_s)->default_value(o.push_interval_s),
      "seconds between pushes to the central store")(
      "events-interval", po::value(&o.events_interval_s)->default_value(o.events_interval_s),
      "seconds between event computations (--events, --syslog)");
  desc.add(output_options(o)).add(feed_options(o)).add(limit_options(o.limits));
  po::variables_map vm;
  const char* usage =
      "usage: wardwatch capture -i IFACE [-i IFACE2] [-Z USER] [--filter BPF] [--duration SECONDS] [--db PATH] "
      "[--json PATH]";
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
  } catch (const po::error& e) {
    std::cerr << "wardwatch: usage error: " << e.what() << "\n" << usage << "\n";
    return ww::kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << desc << '\n';
    return ww::kExitOk;
  }
  if (auto rc = apply_config(vm, desc, usage)) return *rc;
  const auto usage_error = [&](const std::string& what) {
    std::cerr << "wardwatch: usage error: " << what << "\n" << usage << "\n";
    return ww::kExitUsage;
  };
  if (o.interfaces.empty()) return usage_error("no interface given (-i IFACE)");
  if (!(o.events_interval_s >= 1)) return usage_error("--events-interval must be at least 1 second");
  if (o.duration_s < 0) return usage_error("--duration must be positive");
  if (o.snaplen < 64 || o.snaplen > 262144) return usage_error("--snaplen must be between 64 and 262144");
  if (o.buffer_mib < 1 || o.buffer_mib > 4096) return usage_error("--buffer-size must be between 1 and 4096 MiB");
  if (o.json_interval_s < 0 || o.status_interval_s < 0 || o.retention_days < 0) {
    return usage_error("--json-interval, --status-interval and --retention-days cannot be negative");
  }
  if (const std::string err = check_limits(o.limits); !err.empty()) return usage_error(err);
  if (vm.count("user")) o.user = vm["user"].as<std::string>();
  take_outputs(vm, o);
  if (const std::string err = check_feed(o); !err.empty()) return usage_error(err);
  if (vm.count("push-to")) {
    o.push_to = vm["push-to"].as<std::string>();
    if (!ww::is_central_store_url(*o.push_to)) return usage_error("--push-to must be a postgresql:// URL");
    if (!o.db_path) return usage_error("--push-to needs --db (a push sends the database's changes)");
    if (o.push_interval_s < 1) return usage_error("--push-interval must be at least 1 second");
  }
  return ww::run_capture(o);
}

int cmd_status(const std::vector<std::string>& args) {
  ww::StatusOptions o;
  po::options_description desc("status options");
  desc.add_options()("help,h", "this help")("db", po::value(&o.db_path)->required(), "SQLite database")(
      "ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs")(
      "rules", po::value<std::string>(), "fingerprint rules directory");
  po::variables_map vm;
  const char* usage = "usage: wardwatch status --db PATH";
  if (auto rc = parse(args, desc, nullptr, vm, usage)) return *rc;
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  return ww::run_status(o);
}

int cmd_export(const std::vector<std::string>& args) {
  ww::ExportOptions o;
  po::options_description desc("export options");
  desc.add_options()("help,h", "this help")("db", po::value(&o.db_path)->required(),
                                             "SQLite database, or a central store (postgresql://...)")(
      "site", po::value<std::string>(), "a central store: only this site's devices")(
      "format", po::value(&o.format)->default_value("json"), "json | csv")(
      "output,o", po::value(&o.output)->default_value("-"), "output file ('-' for stdout)")(
      "ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs")(
      "rules", po::value<std::string>(), "fingerprint rules directory");
  po::variables_map vm;
  const char* usage = "usage: wardwatch export --db PATH|URL [--site SITE] --format json|csv [-o PATH]";
  if (auto rc = parse(args, desc, nullptr, vm, usage)) return *rc;
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  if (vm.count("site")) o.site = vm["site"].as<std::string>();
  if (o.format != "json" && o.format != "csv") {
    std::cerr << "wardwatch: usage error: --format must be json or csv\n" << usage << "\n";
    return ww::kExitUsage;
  }
  return ww::run_export(o);
}

int cmd_report(const std::vector<std::string>& args) {
  ww::ReportOptions o;
  // The formats' help comes from their table (reports/formats/), as do the check and the dispatch.
  std::string formats_help = "report format:";
  for (const ww::ReportFormat& f : ww::report_formats()) {
    formats_help += "\n  " + std::string(f.name) + ": " + std::string(f.description);
  }
  po::options_description desc("report options");
  desc.add_options()("help,h", "this help")("db", po::value(&o.db_path)->required(),
                                             "SQLite database, or a central store (postgresql://...), to report on")(
      "site", po::value<std::string>(), "a central store: only this site's devices")(
      "format", po::value(&o.format)->required(), formats_help.c_str())(
      "output,o", po::value(&o.output)->default_value("-"), "output file ('-' for stdout)")(
      "cmdb", po::value(&o.cmdb_files)->composing(),
      "CMDB export (CSV: NetBox, ServiceNow or generic; repeatable): devices managed, unmanaged, mismatched")(
      "stale-days", po::value(&o.stale_days)->default_value(o.stale_days),
      "a CMDB entry not seen for this many days is stale")(
      "findings", po::value<std::string>(), "finding rules directory (default: the installed finding rules)")(
      "ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs")(
      "rules", po::value<std::string>(), "fingerprint rules directory");
  po::variables_map vm;
  const std::string usage =
      "usage: wardwatch report --db PATH|URL [--site SITE] --format " + ww::report_format_names() +
      " [-o FILE] [--cmdb CSV]...";
  if (auto rc = parse(args, desc, nullptr, vm, usage.c_str())) return *rc;
  if (vm.count("site")) o.site = vm["site"].as<std::string>();
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  if (vm.count("findings")) o.findings_dir = vm["findings"].as<std::string>();
  if (o.stale_days < 0) {
    std::cerr << "wardwatch: usage error: --stale-days must be 0 or more\n" << usage << "\n";
    return ww::kExitUsage;
  }
  if (!ww::find_report_format(o.format)) {
    std::cerr << "wardwatch: usage error: unknown report format '" << o.format << "' (" << ww::report_format_names()
              << ")\n" << usage << "\n";
    return ww::kExitUsage;
  }
  return ww::run_report(o);
}

int cmd_diff(const std::vector<std::string>& args) {
  ww::DiffOptions o;
  std::vector<std::string> sides;
  po::options_description desc("diff options");
  desc.add_options()("help,h", "this help")("inventory", po::value(&sides)->multitoken(),
                                             "OLD and NEW: databases (or central store URLs) or inventory JSON files")(
      "site", po::value<std::string>(), "central stores: only this site's devices")(
      "format", po::value(&o.format)->default_value("json"), "json")(
      "output,o", po::value(&o.output)->default_value("-"), "output file ('-' for stdout)")(
      "ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs")(
      "rules", po::value<std::string>(), "fingerprint rules directory");
  po::positional_options_description pos;
  pos.add("inventory", 2);
  po::variables_map vm;
  const char* usage = "usage: wardwatch diff OLD NEW [--format json] [-o FILE]";
  if (auto rc = parse(args, desc, &pos, vm, usage)) return *rc;
  if (sides.size() != 2) {
    std::cerr << "wardwatch: usage error: diff needs two inventories, OLD and NEW\n" << usage << "\n";
    return ww::kExitUsage;
  }
  if (o.format != "json") {
    std::cerr << "wardwatch: usage error: --format must be json\n" << usage << "\n";
    return ww::kExitUsage;
  }
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  if (vm.count("site")) o.site = vm["site"].as<std::string>();
  o.before = sides[0];
  o.after = sides[1];
  return ww::run_diff(o);
}

int cmd_fingerprint(const std::vector<std::string>& args) {
  ww::FingerprintOptions o;
  po::options_description desc("fingerprint options");
  desc.add_options()("help,h", "this help")("explain", po::value<std::string>(), "explain every claim about this MAC (or asset id)")(
      "all", "explain every asset")("check-rules", "load the rules, run every rule's examples, print the rules version")(
      "db", po::value<std::string>(), "SQLite database, or a central store (postgresql://...), to read")(
      "site", po::value<std::string>(), "a central store: only this site's rows")("capture", po::value(&o.captures)->multitoken(),
                                                                  "capture files to read instead of a database")(
      "rules", po::value<std::string>(), "fingerprint rules directory")(
      "ieee-data", po::value(&o.ieee_data_dir)->default_value(o.ieee_data_dir), "directory of the IEEE OUI CSVs");
  po::positional_options_description pos;
  pos.add("capture", -1);
  po::variables_map vm;
  const char* usage =
      "usage: wardwatch fingerprint --explain MAC (--db PATH | CAPTURE...)\n"
      "       wardwatch fingerprint --all (--db PATH | CAPTURE...)\n"
      "       wardwatch fingerprint --check-rules [--rules DIR]";
  if (auto rc = parse(args, desc, &pos, vm, usage)) return *rc;
  if (vm.count("rules")) o.rules_dir = vm["rules"].as<std::string>();
  if (vm.count("db")) o.db_path = vm["db"].as<std::string>();
  if (vm.count("explain")) o.explain_mac = vm["explain"].as<std::string>();
  if (vm.count("site")) o.site = vm["site"].as<std::string>();
  o.check_rules = vm.count("check-rules") > 0;
  const bool source = o.db_path.has_value() != !o.captures.empty();
  if (!o.check_rules && (!source || (!o.explain_mac && !vm.count("all")))) {
    std::cerr << "wardwatch: usage error: give --explain MAC or --all, and either --db or capture files\n" << usage << "\n";
    return ww::kExitUsage;
  }
  return ww::run_fingerprint(o);
}

int cmd_push(const std::vector<std::string>& args) {
  ww::PushOptions o;
  po::options_description desc("push options");
  desc.add_options()("help,h", "this help")("db", po::value(&o.db_path)->required(), "the agent's SQLite database")(
      "to", po::value(&o.to)->required(),
      "the central store: postgresql://[user@]host[:port]/dbname (password from ~/.pgpass, PGPASSFILE or a service "
      "file)")("agent-id", po::value(&o.agent_id), "this agent's id (default: the host name)")(
      "site", po::value(&o.site), "this agent's site (default: \"default\")")(
      "verbose,v", po::bool_switch(&o.verbose), "name each table as it is sent")(
      "quiet,q", po::bool_switch(&o.quiet), "no summary on stderr");
  po::variables_map vm;
  const char* usage = "usage: wardwatch push --db LOCAL.db --to postgresql://... [--agent-id ID] [--site SITE]";
  if (auto rc = parse(args, desc, nullptr, vm, usage)) return *rc;
  if (!ww::is_central_store_url(o.to)) {
    std::cerr << "wardwatch: usage error: --to must be a postgresql:// URL\n" << usage << "\n";
    return ww::kExitUsage;
  }
  return ww::run_push(o);
}

struct Command {
  std::string_view name;
  int (*run)(const std::vector<std::string>& args);
  // Builds a whole inventory at once and exits: given large inputs, its heap asks for huge pages
  // (huge_pages.hpp). Not capture (months-long) nor the small ones.
  bool builds_inventory_and_exits;
};

constexpr std::array kCommands = {
    Command{"read", cmd_read, true},
    Command{"capture", cmd_capture, false},
    Command{"status", cmd_status, false},
    Command{"export", cmd_export, true},
    Command{"report", cmd_report, true},
    Command{"diff", cmd_diff, true},
    Command{"fingerprint", cmd_fingerprint, true},
    Command{"push", cmd_push, false},
};

const Command* find_command(std::string_view name) {
  const auto it = std::find_if(kCommands.begin(), kCommands.end(), [&](const Command& c) { return c.name == name; });
  return it == kCommands.end() ? nullptr : &*it;
}

}  // namespace

int main(int argc, char** argv) {
  ww::keep_program_name(argc > 0 ? argv[0] : nullptr);  // after run_with_heap_huge_pages' exec
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return ww::kExitUsage;
  }
  const Command* const known = find_command(args.front());
  if (known != nullptr && known->builds_inventory_and_exits &&
      ww::bytes_of_named_files(std::span(args).subspan(1)) >= ww::kHugePagesFromInputBytes) {
    ww::run_with_heap_huge_pages(argv);
  }
  ww::SqliteStore::configure_library();
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--version" || command == "-V") {
    std::cout << "wardwatch " << ww::version() << '\n';
    return ww::kExitOk;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return ww::kExitOk;
  }
  if (known == nullptr) {
    std::cerr << "wardwatch: usage error: unknown command '" << command << "'\n" << kUsage;
    return ww::kExitUsage;
  }
  try {
    return known->run(args);
  } catch (const std::exception& e) {
    std::cerr << "wardwatch: error: " << e.what() << '\n';
    return ww::kExitRuntime;
  }
}
