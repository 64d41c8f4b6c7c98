#include "agent/cli/commands.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <set>

#include "agent/capture/file_digest.hpp"
#include "agent/capture/pcap_source.hpp"
#include "agent/capture/prefetch_reader.hpp"
#include "agent/cli/event_feed.hpp"
#include "agent/cli/progress.hpp"
#include "agent/cli/run_common.hpp"
#include "agent/pipeline/pipeline.hpp"
#include "agent/store/background_writer.hpp"
#include "agent/store/central_store.hpp"
#include "agent/store/inventory_builder.hpp"
#include "agent/store/row_batch.hpp"
#include "agent/store/sqlite_store.hpp"
#include "fingerprints/engine/classifier.hpp"
#include "fingerprints/engine/findings.hpp"
#include "reports/cmdb.hpp"
#include "reports/diff.hpp"
#include "reports/report.hpp"
#include "reports/report_format.hpp"
#include "wardwatch/thread_name.hpp"

#include <cstdlib>
#include <filesystem>

#ifndef WARDWATCH_VERSION
#define WARDWATCH_VERSION "0.0.0-dev"
#endif
#ifndef WARDWATCH_SOURCE_FINDINGS_DIR
#define WARDWATCH_SOURCE_FINDINGS_DIR ""
#endif
#ifndef WARDWATCH_SOURCE_RULES_DIR
#define WARDWATCH_SOURCE_RULES_DIR ""
#endif

namespace ww {

const char* version() { return WARDWATCH_VERSION; }

void error_line(const std::string& msg) { std::cerr << "wardwatch: error: " << msg << '\n'; }
void warning_line(const std::string& msg) { std::cerr << "wardwatch: warning: " << msg << '\n'; }

namespace {

// Where a shipped data directory is: given on the command line, else $ENV_VAR, else
// <prefix>/share/wardwatch/<name> beside the installed binary, else the source tree this binary was built from.
std::optional<std::string> find_data_dir(const std::optional<std::string>& given, const char* env_var,
                                         const char* name, const std::string& source_dir) {
  if (given) return given;
  if (const char* env = std::getenv(env_var); env && *env) return std::string(env);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "wardwatch" / name;
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  if (!source_dir.empty() && std::filesystem::is_directory(source_dir, ec)) return source_dir;
  return std::nullopt;
}

// The fingerprint rules: --rules, $WARDWATCH_RULES, .../share/wardwatch/rules, the source tree.
std::optional<std::string> find_rules_dir(const std::optional<std::string>& given) {
  return find_data_dir(given, "WARDWATCH_RULES", "rules", WARDWATCH_SOURCE_RULES_DIR);
}

// The finding rules: --findings, $WARDWATCH_FINDINGS, .../share/wardwatch/findings, the source tree.
std::optional<std::string> find_findings_dir(const std::optional<std::string>& given) {
  return find_data_dir(given, "WARDWATCH_FINDINGS", "findings", WARDWATCH_SOURCE_FINDINGS_DIR);
}

}  // namespace

std::optional<std::string> add_findings(Inventory& inv, const std::optional<std::string>& findings_dir) {
  const auto dir = find_findings_dir(findings_dir);
  if (!dir) {
    warning_line("no finding rules found (--findings DIR): the report has no findings");
    return std::nullopt;
  }
  try {
    const Vocabulary vocabulary = declared_vocabulary(make_default_registry());
    const FindingRules rules = FindingRules::load_directory(*dir, &vocabulary);
    rules.check_examples();
    evaluate_findings(inv, rules);
  } catch (const RuleError& e) {
    return std::string("finding rules: ") + e.what();
  }
  return std::nullopt;
}


// What classification needs besides the inventory: the fingerprint rules and the IEEE registries. Loading
// them takes ~0.1 s, so `read` does it on a helper thread while packets are processed; what it has to say
// is printed when the inventory is classified, as if it had been loaded then.
ReferenceData load_reference_data(const std::optional<std::string>& rules_dir, const std::string& ieee_dir) {
  ReferenceData ref;
  if (const auto dir = find_rules_dir(rules_dir); !dir) {
    ref.warnings.emplace_back("no fingerprint rules found (--rules DIR): devices are left unclassified");
  } else {
    try {
      const Vocabulary vocabulary = declared_vocabulary(make_default_registry());
      ref.rules = RuleSet::load_directory(*dir, &vocabulary);
    } catch (const RuleError& e) {
      ref.error = std::string("fingerprint rules: ") + e.what();
      return ref;
    }
  }
  if (ref.oui.load_directory(ieee_dir) == 0) {
    ref.warnings.push_back("no IEEE OUI registry in " + ieee_dir + " (install ieee-data): vendors left empty");
  }
  return ref;
}

// Starts loading the reference data on a helper thread when the run will classify an inventory (a summary
// or a JSON export is wanted); otherwise it is never loaded.
std::future<ReferenceData> start_loading_reference_data(const CommonOptions& opts) {
  const bool wanted = !opts.quiet || opts.json_path || opts.db_path || events_wanted(opts);
  return std::async(wanted ? std::launch::async : std::launch::deferred, load_reference_data, opts.rules_dir,
                    opts.ieee_data_dir);
}

// The inventory as exported: resolved devices, OUI vendors, and the fingerprint engine's classification.
std::optional<Inventory> enrich_inventory(Inventory inv, const ReferenceData& ref, bool report) {
  if (ref.error) {
    if (report) error_line(*ref.error);
    return std::nullopt;
  }
  if (report) {
    for (const auto& w : ref.warnings) warning_line(w);
  }
  enrich_vendors(inv, ref.oui);
  if (ref.rules) classify_inventory(inv, *ref.rules);
  return inv;
}

namespace {

// The rules and the OUI registry (~0.09 s to read, more than the rows of 1,000 devices) are read on a second
// thread while the rows are (async | deferred: where no thread can be started, here afterwards).
std::future<ReferenceData> reference_beside(const std::optional<std::string>& rules_dir, const std::string& ieee_dir) {
  return std::async(std::launch::async | std::launch::deferred, load_reference_data, rules_dir, ieee_dir);
}

// Resolves `builder`'s rows and enriches them, marking the phases (`phases` may be null).
std::optional<Inventory> enrich_built(InventoryBuilder& builder, std::future<ReferenceData>& reference,
                                      PhaseTimes* phases) {
  const auto mark = [&](const char* phase) {
    if (phases != nullptr) phases->mark(phase);
  };
  mark("load");
  Inventory inv = builder.build();
  mark("inventory");
  const ReferenceData& ref = reference.get();
  mark("reference");
  auto enriched = enrich_inventory(std::move(inv), ref);
  mark("classify");
  return enriched;
}

}  // namespace

std::optional<Inventory> build_inventory(SqliteStore& store, const Limits& limits, const std::string& ieee_dir,
                                         const std::optional<std::string>& rules_dir, PhaseTimes* phases) {
  auto reference = reference_beside(rules_dir, ieee_dir);
  InventoryBuilder builder(limits);
  store.load_into(builder);
  return enrich_built(builder, reference, phases);
}

std::optional<Inventory> build_stored_inventory(const std::string& db, const std::optional<std::string>& site,
                                                const Limits& limits, const std::string& ieee_dir,
                                                const std::optional<std::string>& rules_dir, PhaseTimes* phases) {
  if (is_central_store_url(db)) {
    auto reference = reference_beside(rules_dir, ieee_dir);
    const CentralStore central(db);
    InventoryBuilder builder(limits);
    central.load_into(builder, site);
    return enrich_built(builder, reference, phases);
  }
  if (site) throw StoreError("--site selects rows of a central store (--db postgresql://...), not of '" + db + "'");
  if (::access(db.c_str(), R_OK) != 0) throw StoreError("cannot read database '" + db + "'");
  SqliteStore store(db, /*read_only=*/true);
  return build_inventory(store, limits, ieee_dir, rules_dir, phases);
}

namespace {

// Writes an output file whole or not at all: to PATH.tmp.PID, created 0640 (an inventory is sensitive; the
// umask may only take more away), then renamed over PATH. "-" is standard output. On failure one error line
// names `what` and the path, and no partial file is left — also when `write` fails with a ReportError (a
// report that needs a missing tool, reports/report_format.hpp).
template <typename Write>
bool write_output(const std::string& path, const std::string& what, Write write,
                  const std::function<void()>& before_commit = {}) {
  if (path == "-") {
    if (before_commit) before_commit();  // standard output cannot be taken back: write only once committed
    try {
      write(std::cout);
    } catch (const ReportError& e) {
      error_line("cannot write " + what + ": " + e.what());
      return false;
    }
    return static_cast<bool>(std::cout.flush());
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
      error_line("cannot write " + what + " to '" + path + "': " + std::strerror(errno));
      return false;
    }
    ::close(fd);
    std::ofstream out(temp, std::ios::trunc);
    try {
      write(out);
    } catch (const ReportError& e) {
      out.close();
      ::unlink(temp.c_str());
      error_line("cannot write " + what + " to '" + path + "': " + e.what());
      return false;
    }
    if (!out.flush()) {
      out.close();
      ::unlink(temp.c_str());
      error_line("cannot write " + what + " to '" + path + "': write failed (disk full?)");
      return false;
    }
  }
  // What must succeed before the file may appear (read --db: the database write it describes).
  try {
    if (before_commit) before_commit();
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    error_line("cannot write " + what + " to '" + path + "': " + why);
    return false;
  }
  return true;
}

}  // namespace

bool write_inventory(const CommonOptions& opts, const Inventory& inv, const std::function<void()>& before_commit) {
  if (!opts.json_path) {
    if (before_commit) before_commit();
    return true;
  }
  return write_output(
      *opts.json_path, "JSON", [&](std::ostream& out) { write_json(inv, version(), out); }, before_commit);
}

InventoryCounts count_inventory(const Inventory& inv) {
  InventoryCounts c;
  c.assets = inv.assets.size();
  for (const auto& a : inv.assets) {
    c.with_mac += a.mac ? 1 : 0;
    c.remote += a.beyond_router ? 1 : 0;
    c.routers += a.router ? 1 : 0;
    c.medical += is_medical_category(a.classification.category) ? 1 : 0;
    c.jewels += a.crown_jewel ? 1 : 0;
  }
  return c;
}


// The limits a run reached and the floods it saw, one line each: they were only inside the JSON's stats.
void print_limits_reached(const Stats& stats) {
  std::string reached;
  for (const CounterInfo& c : kCounters) {
    if (c.reached.empty() || stats[c.id] == 0) continue;
    reached += (reached.empty() ? "" : "; ") + std::to_string(stats[c.id]) + " " + std::string(c.reached);
  }
  if (!reached.empty()) std::cerr << "wardwatch: limits reached: " << reached << '\n';
  for (const FloodEpisode& f : stats.floods) {
    std::cerr << "wardwatch: " << f.kind << ": " << f.sources << " new sources held, not inventoried (" << f.admitted
              << " came back), peak " << f.peak_per_s << "/s" << (f.vlan >= 0 ? ", VLAN " + std::to_string(f.vlan) : "")
              << (f.sample.empty() ? "" : ", e.g. " + f.sample.front()) << '\n';
  }
}

void print_summary(const CommonOptions& opts, const Inventory& inv, const Stats& stats, double seconds) {
  if (opts.quiet) return;
  const InventoryCounts c = count_inventory(inv);
  std::cerr << "wardwatch: " << stats.packets << " packets (" << stats.bytes << " bytes) in " << seconds
            << " s; " << stats.malformed << " malformed; " << c.assets << " assets in inventory (" << c.with_mac
            << " by MAC, " << c.routers << " routers, " << c.remote << " beyond a router; " << c.medical
            << " medical devices, " << c.jewels << " crown jewels)\n";
  print_limits_reached(stats);
}

namespace {

// The last deltas of a run with a database file, written on a second thread while the first resolves the
// inventory from the database as it was before them (a read snapshot) plus the same deltas: the inventory
// a flush followed by a load would give, without waiting for the write or reading the rows back
// (docs/performance.md, "The export side"). Wait for `write` before touching the store again.
struct LastWrite {
  std::future<void> write;
};

Inventory inventory_while_writing(const CommonOptions& opts, SqliteStore& store, std::unique_ptr<Pipeline>& pipeline,
                                  Stats& stats, LastWrite& last, PhaseTimes& phases) {
  auto batch = std::make_shared<RowBatch>();
  pipeline->tracker().settle();
  drain_deltas(pipeline->tracker(), *batch);
  stats = pipeline->stats();
  pipeline.reset();  // the batch holds copies: the tracker's memory goes before the inventory is built
  phases.mark("drain");
  const SqliteStore snapshot(*opts.db_path, /*read_only=*/true);
  snapshot.begin_read();
  const std::int64_t run = store.run_id();
  auto sources = std::make_shared<std::vector<SourceInfo>>(store.take_pending_sources());
  // Whichever of the two threads finishes with the batch last frees it (std::async keeps its callable, and
  // so a captured copy, until the future is read: the writer lets go of its own).
  last.write = std::async(std::launch::async, [&store, writer_batch = batch, sources, &stats]() mutable {
    name_this_thread("ww-writer");
    store.write_batch(*writer_batch, stats, *sources);
    writer_batch.reset();
    store.complete_run();
  });
  // What the database will hold once the batch is written: its rows, this run's unflushed sources, and this
  // run's statistics as they are now (the snapshot may hold an older copy from a periodic flush).
  InventoryBuilder builder(opts.limits);
  snapshot.load_into(builder, run, SqliteStore::ReadAhead::off);  // the other core is writing the batch
  snapshot.end_read();
  phases.mark("load");
  for (const SourceInfo& s : *sources) builder.source(source_view(s));
  for (const auto& [name, value] : stat_rows(stats)) builder.stat(name, value);
  for (const FloodEpisode& f : stats.floods) builder.flood(f);
  batch->replay(builder);
  batch.reset();
  phases.mark("replay");
  return builder.build();
}

// Ends a read run: the pipeline's last deltas are written out and the pipeline is freed; returns the resolved
// inventory when one is wanted (a summary or a JSON export). With a database file the export shows what the
// database holds, earlier runs included. Without one, the deltas go straight from the tracker to the inventory
// builder that took what was evicted (`spill`): a round trip through an in-memory SQL database would only cost
// time.
std::optional<Inventory> end_run(const CommonOptions& opts, SqliteStore& store, MemorySpill& spill,
                                 std::unique_ptr<Pipeline>& pipeline, Stats& stats, PhaseTimes& phases,
                                 LastWrite& last) {
  const bool want_inventory = !opts.quiet || opts.json_path || events_wanted(opts);
  pipeline->end_of_input();
  if (opts.db_path) {
    // Always resolved with a database: its classification tables are rewritten from it (finish_run).
    Inventory inv = inventory_while_writing(opts, store, pipeline, stats, last, phases);
    // The rows the inventory was built from are freed; glibc keeps most of their pages unless asked (at
    // 100,000 devices 40 MiB of resident memory, for 10-40 ms).
    malloc_trim(0);
    phases.mark("inventory");
    return inv;
  }
  stats = pipeline->stats();
  if (!want_inventory) {
    pipeline.reset();
    return std::nullopt;
  }
  store.commit_pending();
  store.write_run_stats(stats);
  Inventory inv = take_inventory(store, pipeline->tracker(), opts.limits, &spill);
  pipeline.reset();
  phases.mark("inventory");
  return inv;
}

// Classifies the inventory, stores the classification in the database (with --db), prints the summary and
// writes the JSON. Returns the exit code.
int finish_run(const CommonOptions& opts, std::optional<Inventory> resolved, std::future<ReferenceData>& reference,
               const Stats& stats, double seconds, SqliteStore& store, PhaseTimes& phases, LastWrite& last,
               EventFeed* feed) {
  // Every way out waits for the last write: its error (a full disk) is the run's, and the store is ours again.
  const auto wait_for_write = [&] {
    if (!last.write.valid()) return;
    last.write.get();  // a StoreError of the writer thread is thrown here
    phases.mark("write-wait");
  };
  if (!resolved) {
    wait_for_write();
    return kExitOk;
  }
  const ReferenceData& ref = reference.get();
  phases.mark("reference");
  auto inv = enrich_inventory(std::move(*resolved), ref);
  if (!inv) {
    wait_for_write();
    return kExitRuntime;
  }
  phases.mark("classify");
  print_summary(opts, *inv, stats, seconds);
  // The JSON is written while the database write goes on, and appears (renamed into place) only once the
  // database has its rows: a run whose write failed (a full disk) leaves no export of what it does not hold.
  // Without an event feed the classification is saved too on a second thread, once the last write is done,
  // while the JSON is written (the two only read the inventory), and the JSON waits for it as well.
  const bool save_beside = opts.db_path && feed == nullptr;
  std::future<void> saved;
  if (save_beside) {
    saved = std::async(std::launch::async, [&] {
      name_this_thread("ww-save");
      if (last.write.valid()) last.write.get();
      store.save_classifications(*inv);
    });
  }
  const bool written = write_inventory(opts, *inv, [&] {
    phases.mark("json");
    if (!save_beside) {
      wait_for_write();
      return;
    }
    saved.get();  // a StoreError of either write is thrown here
    phases.mark("write-wait+save-classification");
  });
  if (save_beside) {
    if (saved.valid()) saved.get();  // the JSON failed before its rename: the store's error, if any, first
    return written ? kExitOk : kExitRuntime;
  }
  if (feed != nullptr && written) {
    // Against the classification the database holds from the last run (none without --db): before it is
    // replaced.
    wait_for_write();
    publish_inventory_events(*feed, store, *inv, stats, opts.findings_dir);
    report_feed_losses(*feed);
    phases.mark("events");
  }
  if (opts.db_path) {
    store.save_classifications(*inv);
    phases.mark("save-classification");
  }
  return written ? kExitOk : kExitRuntime;
}

// How many packets ahead the flow table is prefetched: measured best among 2–6 on the benchmark capture
// (fewer and the memory is not there yet, more and it is evicted again).
constexpr std::size_t kFlowPrefetchDistance = 3;

// Feeds every packet of the capture file `src` to the pipeline, reading it on a second thread; fills the
// per-source counters in `info`. Returns how it ended: end, truncated (a broken last record) or error (with `error`).
template <typename OnProgress>
PcapSource::Next ingest_file(PcapSource& src, Pipeline& pipeline, SourceInfo& info, std::string& error,
                             OnProgress on_progress) {
  PrefetchReader reader(src);
  CapturedPacket pkt;
  PcapSource::Next rc;
  while ((rc = reader.next(pkt)) == PcapSource::Next::packet) {
    // The reader decoded a few packets ahead: their flow-table memory is fetched while this one is processed.
    if (const DecodedFrame* ahead = reader.peek(kFlowPrefetchDistance)) pipeline.prefetch(*ahead);
    pipeline.process_decoded(reader.decoded());
    ++info.packets;
    info.bytes += pkt.wire_len;
    if (info.first_us == 0 || pkt.ts_us < info.first_us) info.first_us = pkt.ts_us;
    info.last_us = std::max(info.last_us, pkt.ts_us);
    if ((info.packets & 0xffff) == 0) on_progress(reader.file_offset(), info.packets);
  }
  if (rc != PcapSource::Next::end) error = reader.last_error();
  return rc;
}

// Feeds the captures to the pipeline one after the other and records each as a source of the run. A capture
// that ends in a broken record keeps what was read before it, with a warning (and is marked truncated). A
// capture libpcap cannot read on (a pcapng whose interfaces have different link types) is an error: returned,
// never a silently empty inventory.
// `digest_of(i)`: the content hash of capture i, asked for once it is read (it may still be being computed).
using DigestOf = std::function<std::string(std::size_t)>;
std::optional<std::string> ingest_captures(std::vector<PcapSource>& sources, const std::vector<std::string>& paths,
                                           Pipeline& pipeline, SqliteStore& store, Progress& progress,
                                           const DigestOf& digest_of = {}) {
  std::uint64_t done_before = 0, packets_before = 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    PcapSource& src = sources[i];
    SourceInfo info{paths[i], src.format(), src.linktype(), src.linktype_name()};
    std::string error;
    const PcapSource::Next end = ingest_file(src, pipeline, info, error, [&](std::uint64_t offset, std::uint64_t packets) {
      progress.update(done_before + offset, packets_before + packets);
    });
    if (end == PcapSource::Next::error) {
      progress.finish();
      return paths[i] + ": cannot read past packet " + std::to_string(info.packets) + ": " + error +
             (error.find("different from the type of the first") != std::string::npos
                  ? " (libpcap reads one link type per file: split it, e.g. editcap or tshark -Y frame.interface_id==N)"
                  : "");
    }
    if (end == PcapSource::Next::truncated) {
      info.truncated = true;
      progress.finish();
      warning_line(paths[i] + ": " + error + "; keeping the " + std::to_string(info.packets) +
                   " packets read before it");
    }
    done_before += src.file_size();
    packets_before += info.packets;
    if (digest_of) info.content_hash = digest_of(i);
    store.record_source(info);
  }
  progress.finish();
  return std::nullopt;
}

std::string store_path(const CommonOptions& opts) { return opts.db_path.value_or(":memory:"); }

// The captures to read into a database, with their content hashes: a capture a run already read into it (or
// one named twice) is dropped with a warning, unless `force`. Without a database nothing is hashed.
struct CapturesToRead {
  std::vector<PcapSource> sources;
  std::vector<std::string> paths;
  // Their content hashes, in order: computed before (when one may be skipped) or while they are read.
  std::shared_future<std::vector<std::string>> digests;
  [[nodiscard]] DigestOf digest_of() const {
    if (!digests.valid()) return {};
    return [future = digests](std::size_t i) { return i < future.get().size() ? future.get()[i] : std::string(); };
  }
};

std::string content_hash_or_warn(const std::string& path) {
  std::string error;
  std::string digest = file_content_hash(path, error);
  if (!error.empty()) warning_line(path + ": cannot hash it (" + error + "); read without a content hash");
  return digest;
}

CapturesToRead drop_captures_already_read(std::vector<PcapSource> sources, const std::vector<std::string>& paths,
                                          const SqliteStore& store, bool force) {
  CapturesToRead keep;
  // When no capture can be skipped — --force, or one capture and a database that holds no hashed capture — the
  // hashes are computed on a helper thread while the packets are read (0.14 s of a 924 MB capture's run
  // otherwise spent before its first packet); async | deferred: without a thread, when first asked for.
  if (force || (sources.size() == 1 && !store.has_hashed_source())) {
    keep.sources = std::move(sources);
    keep.paths = paths;
    keep.digests = std::async(std::launch::async | std::launch::deferred, [paths] {
                     std::vector<std::string> digests;
                     for (const std::string& path : paths) digests.push_back(content_hash_or_warn(path));
                     return digests;
                   }).share();
    return keep;
  }
  std::vector<std::string> digests;
  std::set<std::string> this_run;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::string digest = content_hash_or_warn(paths[i]);
    if (!digest.empty()) {
      if (const auto earlier = store.find_source(digest)) {
        warning_line(paths[i] + ": already read into this database (same content hash as " + earlier->path + ", run " +
                     std::to_string(earlier->run_id) + " of " + earlier->run_started_at +
                     "): skipped; --force reads it again");
        continue;
      }
      if (!this_run.insert(digest).second) {
        warning_line(paths[i] + ": the same content as a capture named before it: skipped; --force reads it again");
        continue;
      }
    }
    keep.sources.push_back(std::move(sources[i]));
    keep.paths.push_back(paths[i]);
    digests.push_back(std::move(digest));
  }
  std::promise<std::vector<std::string>> ready;
  ready.set_value(std::move(digests));
  keep.digests = ready.get_future().share();
  return keep;
}

}  // namespace

int run_read(const ReadOptions& opts) {
  // Open every capture first: a bad file fails the run before anything is written.
  std::vector<PcapSource> sources;
  try {
    for (const auto& path : opts.captures) sources.push_back(PcapSource::open_file(path, opts.filter));
  } catch (const CaptureError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
  std::optional<EventFeed> feed;
  try {
    if (events_wanted(opts)) feed.emplace(opts);
  } catch (const FeedError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
  try {
    PhaseTimes phases;
    SqliteStore store(store_path(opts));
    CapturesToRead input;
    if (opts.db_path) {
      input = drop_captures_already_read(std::move(sources), opts.captures, store, opts.force);
      phases.mark("hash");
    } else {
      input.sources = std::move(sources);
      input.paths = opts.captures;
    }
    store.begin_run(version(), "read");
    const ParserRegistry registry = make_default_registry();
    MemorySpill spill(opts.limits);  // without a database file, evicted records go here
    // With one, what a periodic flush or an eviction hands over is written on a second thread while packets
    // are read (at 100,000 devices the evictions' SQLite writes were half of the packet phase).
    std::optional<BackgroundWriter> writer;
    if (opts.db_path) writer.emplace(store, nullptr);
    auto pipeline = std::make_unique<Pipeline>(opts.limits, registry,
                                               writer ? static_cast<FlushTarget*>(&*writer) : &spill);
    pipeline->set_periodic_flush(opts.db_path.has_value());
    std::uint64_t total_size = 0;
    for (const auto& s : input.sources) total_size += s.file_size();
    Progress progress(opts.progress && !opts.quiet && isatty(STDERR_FILENO) && total_size > (64u << 20), total_size);
    const auto started = std::chrono::steady_clock::now();
    std::future<ReferenceData> reference = start_loading_reference_data(opts);
    const auto failed = ingest_captures(input.sources, input.paths, *pipeline, store, progress, input.digest_of());
    if (writer) {  // the store is this thread's again once the writer has written what it was handed
      writer->finish();
      if (const auto error = writer->error()) throw StoreError(*error);
    }
    if (failed) {
      error_line(*failed);
      pipeline.reset();
      store.complete_run(/*failed=*/true);
      return kExitRuntime;
    }
    phases.mark("packets");
    Stats stats;
    LastWrite last;
    std::optional<Inventory> inv = end_run(opts, store, spill, pipeline, stats, phases, last);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // A truncated capture still yields its inventory: exit 0 with the warning above.
    return finish_run(opts, std::move(inv), reference, stats, secs, store, phases, last, feed ? &*feed : nullptr);
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

int run_export(const ExportOptions& opts) {
  try {
    PhaseTimes phases;
    const auto built =
        build_stored_inventory(opts.db_path, opts.site, opts.limits, opts.ieee_data_dir, opts.rules_dir, &phases);
    if (!built) return kExitRuntime;
    const Inventory& inv = *built;
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (opts.output != "-") {
      // A new export is created 0640, like the database it comes from (an existing file keeps its mode).
      if (const int fd = ::open(opts.output.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640); fd >= 0) ::close(fd);
      file.open(opts.output, std::ios::trunc);
      if (!file) {
        error_line("cannot write '" + opts.output + "'");
        return kExitRuntime;
      }
      out = &file;
    }
    if (opts.format == "csv") write_csv(inv, *out);
    else write_json(inv, version(), *out);
    out->flush();
    phases.mark(opts.format == "csv" ? "csv" : "json");
    return *out ? kExitOk : kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

int run_report(const ReportOptions& opts) {
  const ReportFormat* format = find_report_format(opts.format);
  if (format == nullptr) {
    error_line("unknown report format '" + opts.format + "'");
    return kExitUsage;
  }
  try {
    if (!is_central_store_url(opts.db_path) && ::access(opts.db_path.c_str(), R_OK) != 0) {
      error_line("cannot read database '" + opts.db_path + "'");
      return kExitRuntime;
    }
    // The CMDB exports first: a bad one stops the report before anything is read or written.
    Cmdb cmdb;
    if (!opts.cmdb_files.empty()) {
      try {
        cmdb = read_cmdb_files(opts.cmdb_files);
      } catch (const CmdbError& e) {
        error_line(e.what());
        return kExitRuntime;
      }
    }
    auto inv = build_stored_inventory(opts.db_path, opts.site, opts.limits, opts.ieee_data_dir, opts.rules_dir);
    if (!inv) return kExitRuntime;
    if (const auto failed = add_findings(*inv, opts.findings_dir)) {
      error_line(*failed);
      return kExitRuntime;
    }
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    std::optional<CmdbComparison> comparison;
    if (!opts.cmdb_files.empty()) comparison = compare_with_cmdb(*inv, cmdb, CmdbOptions{now.count(), opts.stale_days});
    const ReportContext context{*inv, version(), now.count(), comparison ? &*comparison : nullptr};
    const bool ok = write_output(opts.output, std::string(format->name) + " report",
                                 [&](std::ostream& out) { format->write(context, out); });
    return ok ? kExitOk : kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

namespace {

// An inventory JSON larger than this is refused (it is read whole); a JSON export of 100,000 devices is
// about 1 GB (docs/performance.md).
constexpr std::uintmax_t kMaxDiffJsonBytes = 4ull << 30;

// One side of a diff: a database (by its SQLite header) or an inventory JSON. Returns an error line.
std::optional<std::string> load_side(const std::string& path, const DiffOptions& opts, InventorySide& side) {
  side.source = is_central_store_url(path) ? CentralStore::display_name(path) : path;
  if (is_central_store_url(path) || opts.site) {
    const auto inv = build_stored_inventory(path, opts.site, opts.limits, opts.ieee_data_dir, opts.rules_dir);
    if (!inv) return std::string();  // the reason is already printed
    side.devices = device_states(*inv);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) return "cannot read '" + path + "'";
  char header[16] = {};
  in.read(header, sizeof header);
  if (in.gcount() == sizeof header && std::string_view(header, sizeof header) == std::string_view("SQLite format 3\0", 16)) {
    SqliteStore store(path, /*read_only=*/true);
    const auto inv = build_inventory(store, opts.limits, opts.ieee_data_dir, opts.rules_dir);
    if (!inv) return std::string();  // the reason is already printed
    side.devices = device_states(*inv);
    return std::nullopt;
  }
  if (std::filesystem::file_size(path) > kMaxDiffJsonBytes) return path + ": larger than 4 GiB; compare the databases";
  in.clear();
  in.seekg(0);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    side.devices = device_states_from_json(text);
  } catch (const std::runtime_error& e) {
    return path + ": " + e.what();
  }
  return std::nullopt;
}

}  // namespace

int run_diff(const DiffOptions& opts) {
  try {
    InventorySide before, after;
    for (auto [path, side] : {std::pair{&opts.before, &before}, {&opts.after, &after}}) {
      if (const auto failed = load_side(*path, opts, *side)) {
        if (!failed->empty()) error_line(*failed);
        return kExitRuntime;
      }
    }
    const InventoryDiff diff = diff_inventories(before, after);
    const bool ok = write_output(opts.output, "diff", [&](std::ostream& out) { write_diff_json(before, after, diff, out); });
    return ok ? kExitOk : kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  } catch (const std::filesystem::filesystem_error& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

namespace {

// The asset id --explain names ("" for --all): a MAC, an address, or an id as given.
std::string wanted_asset(const FingerprintOptions& opts) {
  std::string wanted = opts.explain_mac.value_or("");
  if (!wanted.empty() && wanted.rfind("mac:", 0) != 0 && wanted.rfind("ip:", 0) != 0) {
    const auto mac = MacAddr::parse(wanted);
    wanted = mac ? "mac:" + mac->to_string() : "ip:" + wanted;
  }
  return wanted;
}

int print_explanations(const std::optional<Inventory>& inv, const std::string& wanted) {
  if (!inv) return kExitRuntime;
  bool found = false;
  for (const auto& a : inv->assets) {
    if (!wanted.empty() && a.id != wanted) continue;
    std::cout << explain(a) << "\n";
    found = true;
  }
  if (!found) {
    error_line("no asset " + wanted + " in the inventory");
    return kExitRuntime;
  }
  return kExitOk;
}

// --explain on the central store: one MAC's device from its rows of every agent, else the whole inventory.
int explain_central(const FingerprintOptions& opts) {
  const std::string wanted = wanted_asset(opts);
  if (wanted.rfind("mac:", 0) != 0) {
    return print_explanations(
        build_stored_inventory(*opts.db_path, opts.site, opts.limits, opts.ieee_data_dir, opts.rules_dir), wanted);
  }
  auto reference = reference_beside(opts.rules_dir, opts.ieee_data_dir);
  const CentralStore central(*opts.db_path);
  InventoryBuilder builder(opts.limits);
  central.load_device_into(builder, wanted.substr(4), opts.site);
  return print_explanations(enrich_built(builder, reference, nullptr), wanted);
}

}  // namespace

int run_fingerprint(const FingerprintOptions& opts) {
  if (opts.check_rules) {
    const auto dir = find_rules_dir(opts.rules_dir);
    if (!dir) {
      error_line("no rules directory found (--rules DIR)");
      return kExitRuntime;
    }
    try {
      const Vocabulary vocabulary = declared_vocabulary(make_default_registry());
      const RuleSet rules = RuleSet::load_directory(*dir, &vocabulary);
      std::size_t examples = 0;
      for (const auto& r : rules.rules()) examples += r.match_examples.size() + r.no_match_examples.size();
      std::cout << *dir << ": " << rules.rules().size() << " rules, " << examples << " examples passed, version "
                << rules.version() << "\n";
      return kExitOk;
    } catch (const RuleError& e) {
      error_line(e.what());
      return kExitRuntime;
    }
  }
  try {
    if (opts.db_path && is_central_store_url(*opts.db_path)) return explain_central(opts);
    if (opts.site) throw StoreError("--site selects rows of a central store (--db postgresql://...)");
    SqliteStore store(opts.db_path.value_or(":memory:"), opts.db_path.has_value());
    if (!opts.db_path) store.set_record_budget(opts.limits.max_memory_store_records);
    if (!opts.captures.empty()) {
      // Build the inventory from capture files first (same pipeline as `read`).
      std::vector<PcapSource> sources;
      for (const auto& path : opts.captures) sources.push_back(PcapSource::open_file(path));
      store.begin_run(version(), "fingerprint");
      const ParserRegistry registry = make_default_registry();
      Pipeline pipeline(opts.limits, registry, &store);
      Progress no_progress(false, 0);
      if (const auto failed = ingest_captures(sources, opts.captures, pipeline, store, no_progress)) {
        error_line(*failed);
        return kExitRuntime;
      }
      pipeline.end_of_input();
      pipeline.flush();
      store.complete_run();
    }
    const std::string wanted = wanted_asset(opts);
    // One MAC's device is explained from its own rows (a database of 100,000 devices answers at once); every
    // device, or one keyed by address, from the whole inventory.
    std::optional<Inventory> inv;
    if (opts.db_path && wanted.rfind("mac:", 0) == 0) {
      auto reference = reference_beside(opts.rules_dir, opts.ieee_data_dir);
      InventoryBuilder builder(opts.limits);
      store.load_device_into(builder, wanted.substr(4));
      inv = enrich_built(builder, reference, nullptr);
    } else {
      inv = build_inventory(store, opts.limits, opts.ieee_data_dir, opts.rules_dir);
    }
    return print_explanations(inv, wanted);
  } catch (const CaptureError& e) {
    error_line(e.what());
    return kExitRuntime;
  } catch (const StoreError& e) {
    error_line(e.what());
    return kExitRuntime;
  }
}

}  // namespace ww
