// The live agent's database path: rows drained into a batch and replayed, the writer thread's bounded
// hand-off (periodic flushes put off, forced flushes wait, both counted), its errors, and the store's run
// records (sources in the flush transaction, interrupted runs, ageing, the v1 -> v2 migration).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tins/tins.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/background_writer.hpp"
#include "agent/store/row_batch.hpp"
#include "agent/store/row_pipe.hpp"
#include "agent/store/sqlite_store.hpp"
#include "agent/store/statement.hpp"
#include "support/run_capture.hpp"
#include "wardwatch/thread_name.hpp"

namespace ww {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "wwwriter-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

void feed(Pipeline& p, int host, std::int64_t ts_s) {
  const std::string mac = "00:00:00:00:01:" + std::string(host < 16 ? "0" : "") + [&] {
    char b[3];
    std::snprintf(b, sizeof b, "%x", host);
    return std::string(b);
  }();
  Tins::EthernetII pkt = Tins::EthernetII("00:00:00:00:00:0b", mac) /
                         Tins::IP("10.0.0.11", "10.0.1." + std::to_string(host)) / Tins::UDP(53, 40000);
  const auto frame = pkt.serialize();
  p.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), ts_s * 1'000'000);
}

std::int64_t count(SqliteStore& store, const char* sql) {
  Stmt q(store.handle(), sql);
  return q.step() ? q.i64(0) : -1;
}

// Records every row it gets as one line of text (to compare two ways of producing rows).
class TextSink final : public RowSink {
 public:
  std::vector<std::string> lines;
  void mac(const MacRow& r) override {
    lines.push_back("mac " + std::string(r.mac) + " " + std::to_string(r.seen.first_us) + " " +
                    std::to_string(r.traffic.packets_sent));
  }
  void vlan(std::string_view mac, std::uint16_t vlan) override {
    lines.push_back("vlan " + std::string(mac) + " " + std::to_string(vlan));
  }
  void binding(const BindingRow& r) override {
    lines.push_back("binding " + std::string(r.ip) + " " + std::string(r.mac) + " " + std::to_string(r.confirmed));
  }
  void service(const ServiceRow& r) override {
    lines.push_back("service " + std::string(r.ip) + " " + std::string(r.role) + " " + std::string(r.proto) + " " +
                    std::to_string(r.port) + " " + std::to_string(r.count));
  }
  void conversation(const ConversationRow& r) override {
    lines.push_back("conversation " + std::string(r.ip) + " " + std::string(r.peer) + " " + std::string(r.role) + " " +
                    std::string(r.proto) + "/" + std::to_string(r.port) + " " + std::string(r.app) + " " +
                    std::to_string(r.seen.first_us) + "-" + std::to_string(r.seen.last_us) + " " +
                    std::to_string(r.traffic.packets_sent) + "/" + std::to_string(r.traffic.packets_received) + " " +
                    std::to_string(r.traffic.bytes_sent) + "/" + std::to_string(r.traffic.bytes_received));
  }
  void observation(const ObservationRow& r) override {
    lines.push_back("obs " + std::string(r.ip) + " " + std::string(r.mac) + " " + std::string(r.key) + "=" +
                    std::string(r.value) + " " + std::to_string(r.count));
  }
};

TEST(RowBatch, ReplaysExactlyTheRowsOfADrain) {
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  // The same capture twice: one drained straight into a sink, one through a batch.
  auto drain_lab = [&](RowSink& sink) {
    Pipeline pipeline(limits, registry, nullptr);
    test::feed_capture(pipeline, test::repo_file("tests/fixtures/lab/hospital-lab.pcap"));
    pipeline.tracker().settle();
    drain_deltas(pipeline.tracker(), sink);
  };
  TextSink direct;
  drain_lab(direct);
  RowBatch batch;
  drain_lab(batch);
  TextSink replayed;
  batch.replay(replayed);
  ASSERT_GT(direct.lines.size(), 100u);
  EXPECT_EQ(batch.rows(), direct.lines.size());
  EXPECT_EQ(replayed.lines, direct.lines);
}

// Every field of every kind of row, at the edges of its range, owners alternating and repeating, and rows
// that fill several of the batch's chunks (and one larger than a chunk).
class EveryFieldSink final : public RowSink {
 public:
  std::vector<std::string> lines;
  static std::string seen(const Seen& s) { return std::to_string(s.first_us) + "-" + std::to_string(s.last_us); }
  static std::string traffic(const Traffic& t) {
    return std::to_string(t.packets_sent) + "/" + std::to_string(t.packets_received) + "/" +
           std::to_string(t.bytes_sent) + "/" + std::to_string(t.bytes_received);
  }
  void mac(const MacRow& r) override { lines.push_back("mac " + std::string(r.mac) + seen(r.seen) + traffic(r.traffic)); }
  void vlan(std::string_view mac, std::uint16_t vlan) override {
    lines.push_back("vlan " + std::string(mac) + " " + std::to_string(vlan));
  }
  void binding(const BindingRow& r) override {
    lines.push_back("binding [" + std::string(r.ip) + "][" + std::string(r.mac) + "]" + seen(r.seen) +
                    traffic(r.traffic) + std::to_string(r.confirmed));
  }
  void service(const ServiceRow& r) override {
    lines.push_back("service [" + std::string(r.ip) + "][" + std::string(r.mac) + "]" + std::string(r.role) + "/" +
                    std::string(r.proto) + "/" + std::to_string(r.port) + seen(r.seen) + std::to_string(r.count));
  }
  void conversation(const ConversationRow& r) override {
    lines.push_back("conv [" + std::string(r.ip) + "][" + std::string(r.mac) + "]" + std::string(r.peer) + "/" +
                    std::string(r.role) + "/" + std::string(r.proto) + "/" + std::to_string(r.port) + "/" +
                    std::string(r.app) + seen(r.seen) + traffic(r.traffic));
  }
  void observation(const ObservationRow& r) override {
    lines.push_back("obs [" + std::string(r.ip) + "][" + std::string(r.mac) + "]" + std::string(r.key) + "=" +
                    std::string(r.value) + seen(r.seen) + std::to_string(r.count));
  }
};

TEST(RowBatch, ReservedBytesAreTheChunksItHolds) {
  RowBatch batch;
  EXPECT_EQ(batch.reserved_bytes(), 0u);
  batch.mac({"00:00:00:00:00:01", {1, 2}, {}});
  EXPECT_GE(batch.reserved_bytes(), std::size_t{1} << 20);  // one chunk, reserved whole
  EXPECT_LT(batch.bytes(), batch.reserved_bytes());
}

TEST(RowBatch, KeepsEveryFieldOfExtremeRows) {
  constexpr std::uint64_t kMax = UINT64_MAX;
  const Seen extreme{INT64_MIN, INT64_MAX};
  const Seen negative{-5, 0};
  const Traffic big{kMax, 0, kMax - 1, 1};
  const std::string huge(3 << 20, 'v');  // larger than a chunk
  const auto feed = [&](RowSink& sink) {
    sink.mac({"aa:bb:cc:dd:ee:ff", extreme, big});
    sink.vlan("aa:bb:cc:dd:ee:ff", 4095);
    sink.binding({"10.0.0.1", "aa:bb:cc:dd:ee:ff", negative, big, 7});
    sink.observation({"10.0.0.1", "aa:bb:cc:dd:ee:ff", "dhcp.hostname", "", extreme, kMax});  // same owner
    sink.observation({"", "aa:bb:cc:dd:ee:ff", "lldp.system_name", "x", negative, 0});      // MAC fact
    sink.observation({"10.0.0.1", "", "dns.query", huge, negative, 1});                      // no MAC
    sink.service({"10.0.0.1", "", "offered", "udp", 65535, extreme, 3});                    // same owner again
    sink.conversation({"10.0.0.1", "", "10.0.0.2", "server", "tcp", 0, "", negative, big});
    sink.conversation({"10.0.0.1", "", "10.0.0.2", "client", "udp", 53, "dns", negative, Traffic{}});
    sink.conversation({"10.0.0.1", "", "10.0.0.3", "", "", 0, "", Seen{}, Traffic{}});  // a schema 4 peer, migrated
    sink.conversation({"10.0.0.1", "", "10.0.0.4", "client", "sctp", 0, "", Seen{}, Traffic{}});
    sink.binding({"", "", Seen{}, Traffic{}, 0});  // empty owner after a non-empty one
    sink.observation({"", "", "k", "v", Seen{}, 2});
    for (int i = 0; i < 60'000; ++i) {  // several 1 MiB chunks
      const std::string ip = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
      sink.observation({ip, "02:00:00:00:00:01", "tcp.syn_signature", "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0",
                        Seen{i, i + 1}, static_cast<std::uint64_t>(i)});
    }
  };
  EveryFieldSink direct, replayed;
  feed(direct);
  RowBatch batch;
  feed(batch);
  batch.replay(replayed);
  ASSERT_EQ(replayed.lines.size(), direct.lines.size());
  EXPECT_EQ(replayed.lines, direct.lines);
  EXPECT_EQ(batch.rows(), direct.lines.size());
  // Each of the 60,000 rows holds ~94 bytes of text (ip, mac, key, value); its numbers and lengths take a
  // few more, where a fixed struct took 80 beside the text.
  EXPECT_LT(batch.bytes(), huge.size() + 60'000u * 110u);
}

// Rows of every kind, owners repeating and alternating (a batch encodes an owner once per run of its rows):
// `n` of them.
void feed_rows(RowSink& sink, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string ip = "10.2." + std::to_string(i / 3 / 256) + "." + std::to_string(i / 3 % 256);
    const std::string mac = "02:00:00:00:00:" + std::to_string(10 + i % 7);
    switch (i % 6) {
      case 0:
        sink.mac({mac, Seen{i, i + 1}, Traffic{1, 2, 3, static_cast<std::uint64_t>(i)}});
        break;
      case 1:
        sink.vlan(mac, static_cast<std::uint16_t>(i % 4096));
        break;
      case 2:
        sink.binding({ip, mac, Seen{i, i}, Traffic{}, i % 8});
        break;
      case 3:
        sink.service({ip, mac, "offered", "tcp", static_cast<std::uint16_t>(i), Seen{0, i}, 1});
        break;
      case 4:
        sink.conversation({ip, mac, "10.9.9.9", "client", "udp", 53, "dns", Seen{i, i}, Traffic{}});
        break;
      default:
        sink.observation({ip, "", "dhcp.hostname", "host-" + std::to_string(i), Seen{i, i}, 1});
        break;
    }
  }
}

TEST(RowPipe, ReplaysEveryRowInOrderAcrossBatches) {
  EveryFieldSink direct, piped;
  feed_rows(direct, 20'000);
  // Batches of 7 rows, 2 waiting at most: the producer waits for the consumer thousands of times.
  RowPipe::run([](RowSink& rows) { feed_rows(rows, 20'000); }, piped, 7, 2);
  ASSERT_EQ(piped.lines.size(), 20'000u);
  EXPECT_EQ(piped.lines, direct.lines);
}

TEST(RowPipe, AProducerErrorComesAfterTheRowsBeforeIt) {
  EveryFieldSink piped;
  const auto failing = [](RowSink& rows) {
    feed_rows(rows, 100);
    throw StoreError("database error: disk I/O error");
  };
  EXPECT_THROW(RowPipe::run(failing, piped, 16, 2), StoreError);
  EXPECT_EQ(piped.lines.size(), 100u);  // the 4 full batches and the partial one before the error
}

// A sink that fails at its 50th row (out of memory, say).
class FailingSink final : public RowSink {
 public:
  int rows = 0;
  void count() {
    if (++rows == 50) throw std::runtime_error("out of memory");
  }
  void mac(const MacRow&) override { count(); }
  void vlan(std::string_view, std::uint16_t) override { count(); }
  void binding(const BindingRow&) override { count(); }
  void service(const ServiceRow&) override { count(); }
  void conversation(const ConversationRow&) override { count(); }
  void observation(const ObservationRow&) override { count(); }
};

TEST(RowPipe, AConsumerErrorStopsTheProducer) {
  FailingSink sink;
  std::atomic<int> produced{0};
  const auto endless = [&](RowSink& rows) {
    for (int i = 0; i < 10'000'000; ++i) {
      rows.observation({"10.0.0.1", "", "k", "v", Seen{}, 1});
      produced.fetch_add(1, std::memory_order_relaxed);
    }
  };
  EXPECT_THROW(RowPipe::run(endless, sink, 10, 2), std::runtime_error);
  EXPECT_EQ(sink.rows, 50);
  // The producer stopped at its next batch: at most the queue (2 batches), the one it was filling and the
  // one being replayed, not ten million rows.
  EXPECT_LT(produced.load(), 100);
}

TEST(BackgroundWriter, WritesEveryBatchAndTheSourcesWithTheLastOne) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("w.db"));
  store.begin_run("test", "capture");
  int after_writes = 0;
  {
    BackgroundWriter writer(store, [&](SqliteStore&, const Stats& st) {
      ++after_writes;
      EXPECT_GE(st.writer.flushes, 1u);  // the figures include the flush just written
    });
    Pipeline pipeline(limits, registry, &writer);
    for (int round = 0; round < 5; ++round) {
      for (int h = 1; h <= 20; ++h) feed(pipeline, h + round * 20, round + 1);
      pipeline.flush();
    }
    SourceInfo src{"live:test0", "live", 1, "EN10MB"};
    src.packets = 100;
    writer.record_source(src);
    pipeline.flush();
    writer.finish();
    EXPECT_FALSE(writer.error());
    EXPECT_EQ(writer.figures().flushes, 6u);
  }
  EXPECT_EQ(after_writes, 6);
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac LIKE '00:00:00:00:01:%'"), 100);
  EXPECT_EQ(count(store, "SELECT count(*) FROM sources WHERE path='live:test0'"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE last_flush_at IS NOT NULL"), 1);
}

// A periodic job that holds the writer thread until `release` (a slow disk, a long inventory build).
BackgroundWriter::AfterWrite held_until(const std::atomic<bool>& release) {
  return [&release](SqliteStore&, const Stats&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
}

TEST(BackgroundWriter, AFullHandOffPutsNothingOnTheCaptureThreadButCountsTheWaits) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("slow.db"));
  store.begin_run("test");
  std::atomic<bool> release{false};
  BackgroundWriter writer(store, held_until(release), /*max_pending=*/1, /*nice=*/0, /*max_forced_bytes=*/0);
  Pipeline pipeline(limits, registry, &writer);
  feed(pipeline, 1, 1);
  pipeline.flush();
  // One batch in flight: a periodic flush now would have to wait, so the loop puts it off.
  EXPECT_FALSE(writer.has_room());
  writer.note_deferred();
  feed(pipeline, 2, 2);
  std::thread unblock([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release = true;
  });
  pipeline.flush();  // a forced flush (as an eviction's) waits for room
  unblock.join();
  writer.finish();
  const Stats::Writer w = writer.figures();
  EXPECT_EQ(w.deferred, 1u);
  EXPECT_EQ(w.waits, 1u);
  EXPECT_GE(w.wait_us, 20'000u);
  EXPECT_EQ(w.flushes, 2u);
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac LIKE '00:00:00:00:01:%'"), 2);
}

TEST(BackgroundWriter, FlushesThatCannotWaitAreQueuedWithinTheirMemoryBudgetThenWait) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("burst.db"));
  store.begin_run("test");
  std::atomic<bool> release{false};
  // One batch of one row holds one 1 MiB chunk: a budget of 2 MiB takes the batch being written and one more.
  BackgroundWriter writer(store, held_until(release), /*max_pending=*/1, /*nice=*/0,
                          /*max_forced_bytes=*/2u << 20);
  Pipeline pipeline(limits, registry, &writer);
  feed(pipeline, 1, 1);
  pipeline.flush();                 // in flight: the writer is held in its periodic job
  EXPECT_FALSE(writer.has_room());  // periodic flushes are still put off past max_pending
  feed(pipeline, 2, 2);
  pipeline.flush();  // past max_pending, within the budget: queued, no wait
  EXPECT_EQ(writer.figures().waits, 0u);
  feed(pipeline, 3, 3);
  std::thread unblock([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release = true;
  });
  pipeline.flush();  // past the budget: waits until the writer has written a batch
  unblock.join();
  writer.finish();
  const Stats::Writer w = writer.figures();
  EXPECT_EQ(w.waits, 1u);
  EXPECT_GE(w.wait_us, 20'000u);
  EXPECT_EQ(w.flushes, 3u);
  EXPECT_FALSE(writer.error());
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac LIKE '00:00:00:00:01:%'"), 3);
}

TEST(BackgroundWriter, AWriteErrorIsReportedAndStopsFurtherWrites) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("broken.db"));
  store.begin_run("test");
  // A table the writer needs is gone (as a corrupted or foreign database would be).
  ASSERT_EQ(sqlite3_exec(store.handle(), "DROP TABLE observations", nullptr, nullptr, nullptr), SQLITE_OK);
  BackgroundWriter writer(store, {});
  Pipeline pipeline(limits, registry, &writer);
  Tins::EthernetII dhcp = Tins::EthernetII("ff:ff:ff:ff:ff:ff", "00:00:00:00:02:01") / Tins::IP("255.255.255.255", "0.0.0.0") /
                          Tins::UDP(67, 68) / [] {
                            Tins::DHCP d;
                            d.type(Tins::DHCP::REQUEST);
                            d.hostname("pump-7");
                            d.chaddr(Tins::HWAddress<6>("00:00:00:00:02:01"));
                            d.end();
                            return d;
                          }();
  const auto frame = dhcp.serialize();
  pipeline.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 1'000'000);
  pipeline.flush();
  writer.finish();
  ASSERT_TRUE(writer.error());
  EXPECT_NE(writer.error()->find("observations"), std::string::npos) << *writer.error();
  EXPECT_EQ(writer.figures().flushes, 0u);
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs"), 0);  // the failed transaction was rolled back whole
}

TEST(StoreRuns, ASourceIsRecordedOnlyByTheFlushThatWritesItsRows) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("s.db"));
  store.begin_run("test", "read");
  Pipeline pipeline(limits, registry, &store);
  feed(pipeline, 1, 1);
  store.record_source(SourceInfo{"a.pcap", "pcap", 1, "EN10MB"});
  EXPECT_EQ(count(store, "SELECT count(*) FROM sources"), 0);
  pipeline.flush();
  EXPECT_EQ(count(store, "SELECT count(*) FROM sources"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE state='running'"), 1);
  store.complete_run();
  EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE state='complete' AND ended_at IS NOT NULL"), 1);
}

TEST(StoreRuns, ARunLeftRunningIsMarkedInterruptedByTheNextWriter) {
  TempDir dir;
  {
    SqliteStore killed(dir.file("k.db"));
    killed.begin_run("test", "capture");  // never completed: the process "died"
  }
  {
    SqliteStore reader(dir.file("k.db"), true);  // a reader changes nothing
    EXPECT_EQ(reader.last_run().state, "running");
  }
  SqliteStore next(dir.file("k.db"));
  const RunStatus st = next.last_run();
  EXPECT_EQ(st.state, "interrupted");
  EXPECT_EQ(st.command, "capture");
  EXPECT_EQ(st.interrupted_runs, 1);
}

TEST(StoreRuns, NewDatabasesAreNotWorldReadable) {
  TempDir dir;
  { SqliteStore store(dir.file("perm.db")); }
  struct stat st{};
  ASSERT_EQ(::stat(dir.file("perm.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
  ASSERT_EQ(::stat(dir.file("perm.db.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
}

TEST(StoreRuns, AgeingDeletesDevicesNotSeenSinceTheCutoffWithTheirFacts) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("age.db"));
  store.begin_run("test");
  Pipeline pipeline(limits, registry, &store);
  feed(pipeline, 1, 100);   // old
  feed(pipeline, 2, 5000);  // recent
  pipeline.flush();
  ASSERT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac='00:00:00:00:01:01'"), 1);
  const std::uint64_t gone = store.age_out(1000 * 1'000'000LL);
  EXPECT_GE(gone, 2u);  // host 1's MAC and its (ip, mac) binding
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac='00:00:00:00:01:01'"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM bindings WHERE mac='00:00:00:00:01:01'"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM services WHERE mac='00:00:00:00:01:01'"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM macs WHERE mac='00:00:00:00:01:02'"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM bindings WHERE mac='00:00:00:00:01:02'"), 1);
}

TEST(StoreRuns, AVersion1DatabaseIsMigratedAndItsRunsCountAsComplete) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("v1.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, schema_migrations()[0], nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=1; INSERT INTO runs(generator, started_at) VALUES('old', 'x')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  SqliteStore store(dir.file("v1.db"));
  EXPECT_EQ(store.schema_version(), SqliteStore::kSchemaVersion);
  EXPECT_EQ(store.last_run().state, "complete");
}

// The names of this process's threads (/proc/self/task/*/comm), for `top -H` and perf.
std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  return names;
}

long count_named(const std::string& name) {
  const auto names = thread_names();
  return std::count(names.begin(), names.end(), name);
}

TEST(ThreadNames, TheWriterThreadIsNamedWhileItRuns) {
  TempDir dir;
  SqliteStore store(dir.file("named.db"));
  {
    BackgroundWriter writer(store, nullptr);
    // The thread names itself when it starts: wait for it (bounded; not a timing assertion).
    for (int i = 0; i < 2000 && count_named("ww-writer") == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(count_named("ww-writer"), 1);
    writer.finish();
    EXPECT_EQ(count_named("ww-writer"), 0);
  }
}

TEST(ThreadNames, ALongNameIsCutToWhatLinuxKeeps) {
  std::string seen;
  std::thread t([&] {
    name_this_thread("ww-a-name-longer-than-fifteen");
    std::ifstream comm("/proc/thread-self/comm");
    std::getline(comm, seen);
  });
  t.join();
  EXPECT_EQ(seen, "ww-a-name-longe");
}

}  // namespace
}  // namespace ww
