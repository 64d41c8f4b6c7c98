// SQLite store: schema migrations, accumulation across runs, a concurrent reader, and bad paths.
#include <gtest/gtest.h>
#include <tins/tins.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/pipeline/pipeline.hpp"
#include "agent/store/sqlite_store.hpp"
#include "support/run_capture.hpp"

namespace ww {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "wwtest-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

void feed_one_flow(Pipeline& p, std::int64_t ts_s) {
  Tins::EthernetII pkt = Tins::EthernetII("00:00:00:00:00:0b", "00:00:00:00:00:0a") /
                         Tins::IP("10.0.0.11", "10.0.0.10") / Tins::UDP(53, 40000);
  const auto frame = pkt.serialize();
  p.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), ts_s * 1'000'000);
}

TEST(Store, FreshDatabaseIsMigratedToTheCurrentSchema) {
  TempDir dir;
  SqliteStore store(dir.file("a.db"));
  EXPECT_EQ(store.schema_version(), SqliteStore::kSchemaVersion);
  EXPECT_EQ(static_cast<int>(schema_migrations().size()), SqliteStore::kSchemaVersion);
  char* mode = nullptr;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(store.handle(), "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  mode = reinterpret_cast<char*>(const_cast<unsigned char*>(sqlite3_column_text(st, 0)));
  EXPECT_STREQ(mode, "wal");
  sqlite3_finalize(st);
}

TEST(Store, ReopeningDoesNotReapplyMigrations) {
  TempDir dir;
  { SqliteStore first(dir.file("a.db")); }
  SqliteStore again(dir.file("a.db"));
  EXPECT_EQ(again.schema_version(), SqliteStore::kSchemaVersion);
}

// A database written by a wardwatch of schema 4 (peers, no conversations), opened by a reader (report, export):
// it is migrated first, its peers carried over as conversations with no service.
TEST(Store, AReaderMigratesASchema4DatabaseAndKeepsItsPeers) {
  TempDir dir;
  const std::string path = dir.file("v4.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (int v = 0; v < 4; ++v) ASSERT_EQ(sqlite3_exec(db, schema_migrations()[v], nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA user_version=4;"
                           "INSERT INTO macs VALUES('00:00:00:00:00:0a', 1000000, 2000000, 1, 1, 60, 60);"
                           "INSERT INTO bindings VALUES('10.0.0.10', '00:00:00:00:00:0a', 1000000, 2000000, 1, 1, 60, "
                           "60, 1);"
                           "INSERT INTO peers VALUES('10.0.0.10', '00:00:00:00:00:0a', '10.0.0.11');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const SqliteStore reader(path, /*read_only=*/true);
  EXPECT_EQ(reader.schema_version(), SqliteStore::kSchemaVersion);
  const Inventory inv = reader.load(Limits{});
  ASSERT_EQ(inv.assets.size(), 1u);
  EXPECT_EQ(inv.assets[0].peer_count, 1u);
  ASSERT_EQ(inv.assets[0].conversations.size(), 1u);
  const ConversationView& c = inv.assets[0].conversations[0];
  EXPECT_EQ(c.peer, "10.0.0.11");
  EXPECT_EQ(c.proto, "");
  EXPECT_EQ(c.role, "");
  EXPECT_EQ(c.packets_sent + c.packets_received, 0u);
}

std::int64_t count_where(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  const std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

// The change clock (schema 6, for `push`): each flush advances it and stamps exactly the rows it wrote.
TEST(Store, EachFlushAdvancesTheChangeClockAndStampsOnlyTheRowsItWrote) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("clock.db"));
  EXPECT_EQ(store.change_clock(), 1);
  EXPECT_EQ(store.store_id().size(), 32u);
  Pipeline p(limits, registry, &store);
  store.begin_run("test");
  feed_one_flow(p, 100);
  p.flush();
  EXPECT_EQ(store.change_clock(), 2);
  const std::int64_t macs = count_where(store.handle(), "SELECT count(*) FROM macs");
  EXPECT_EQ(macs, 2);
  EXPECT_EQ(count_where(store.handle(), "SELECT count(*) FROM macs WHERE change_seq = 2"), macs);
  EXPECT_GT(count_where(store.handle(), "SELECT count(*) FROM observations WHERE change_seq = 2"), -1);
  // A frame of one new device only: the old rows keep their stamp.
  Tins::EthernetII pkt = Tins::EthernetII("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:0c") /
                         Tins::ARP("10.0.0.10", "10.0.0.12", "00:00:00:00:00:00", "00:00:00:00:00:0c");
  const auto frame = pkt.serialize();
  p.process_frame(linktype::ethernet, frame, static_cast<std::uint32_t>(frame.size()), 300'000'000);
  p.flush();
  EXPECT_EQ(store.change_clock(), 3);
  EXPECT_EQ(count_where(store.handle(), "SELECT count(*) FROM macs WHERE change_seq = 3"), 1);
  EXPECT_EQ(count_where(store.handle(), "SELECT mac = '00:00:00:00:00:0c' FROM macs WHERE change_seq = 3"), 1);
  EXPECT_EQ(count_where(store.handle(), "SELECT count(*) FROM macs WHERE change_seq = 2"), macs);
}

// A schema 5 database's rows count as changed at 1: the first push after the upgrade takes them all.
TEST(Store, UpgradedRowsAreStampedOne) {
  TempDir dir;
  const std::string path = dir.file("v5.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (int v = 0; v < 5; ++v) ASSERT_EQ(sqlite3_exec(db, schema_migrations()[v], nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA user_version=5;"
                           "INSERT INTO macs VALUES('00:00:00:00:00:0a', 1000000, 2000000, 1, 1, 60, 60);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const SqliteStore reader(path, /*read_only=*/true);
  EXPECT_EQ(reader.change_clock(), 1);
  EXPECT_EQ(count_where(reader.handle(), "SELECT change_seq FROM macs"), 1);
}

// A flow's packets and bytes land in both ends' conversations, with the service port and each end's role,
// and accumulate over flushes as the store's upserts add them.
TEST(Store, ConversationsAccumulateOverFlushesWithRolesAndService) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore store(dir.file("c.db"));
  Pipeline p(limits, registry, &store);
  store.begin_run("test");
  feed_one_flow(p, 100);  // 10.0.0.10:40000 -> 10.0.0.11:53, a query
  p.flush();
  feed_one_flow(p, 200);
  feed_one_flow(p, 201);
  p.flush();
  const Inventory inv = store.load(limits);
  const AssetView* server = nullptr;
  const AssetView* client = nullptr;
  for (const AssetView& a : inv.assets) (a.id == "mac:00:00:00:00:00:0b" ? server : client) = &a;
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(server->conversations.size(), 1u);
  ASSERT_EQ(client->conversations.size(), 1u);
  const ConversationView& s = server->conversations[0];
  const ConversationView& c = client->conversations[0];
  EXPECT_EQ(s.peer, "10.0.0.10");
  EXPECT_EQ(c.peer, "10.0.0.11");
  EXPECT_EQ(s.proto, "udp");
  EXPECT_EQ(s.port, 53);
  EXPECT_EQ(c.port, 53);
  EXPECT_EQ(s.role, "server");
  EXPECT_EQ(c.role, "client");
  EXPECT_EQ(s.packets_received, 3u);
  EXPECT_EQ(s.packets_sent, 0u);
  EXPECT_EQ(c.packets_sent, 3u);
  EXPECT_EQ(c.bytes_sent, s.bytes_received);
  EXPECT_GT(c.bytes_sent, 3u * 28);
  EXPECT_EQ(s.first_us, 100'000'000);
  EXPECT_EQ(s.last_us, 201'000'000);
}

TEST(Store, NewerSchemaIsRefusedWithAClearMessage) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    sqlite3_open(dir.file("future.db").c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  try {
    SqliteStore store(dir.file("future.db"));
    FAIL() << "a newer schema must be refused";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(Store, NotADatabaseAndUnwritablePathFailCleanly) {
  TempDir dir;
  {
    std::ofstream junk(dir.file("junk.db"));
    junk << "this is not an sqlite database, just some text that is long enough to fill a header page......";
  }
  EXPECT_THROW(SqliteStore(dir.file("junk.db")), StoreError);
  EXPECT_THROW(SqliteStore("/nonexistent-dir/sub/x.db"), StoreError);
}

TEST(Store, RunsAccumulateMinMaxAndCounters) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  for (std::int64_t ts : {100, 50}) {
    SqliteStore store(dir.file("acc.db"));
    store.begin_run("test");
    Pipeline pipeline(limits, registry, &store);
    feed_one_flow(pipeline, ts);
    feed_one_flow(pipeline, ts + 10);
    pipeline.flush();
  }
  SqliteStore store(dir.file("acc.db"), true);
  const Inventory inv = store.load(limits);
  const AssetView* a = test::find_asset(inv, "mac:00:00:00:00:00:0a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->packets_sent, 4u);  // 2 per run, added
  EXPECT_EQ(a->first_us, 50'000'000);
  EXPECT_EQ(a->last_us, 110'000'000);
  EXPECT_EQ(inv.stats.at("packets"), 4u);  // summed over the two runs
}

TEST(Store, FlushTwiceDoesNotDoubleCount) {
  SqliteStore store(":memory:");
  store.begin_run("test");
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  Pipeline pipeline(limits, registry, &store);
  feed_one_flow(pipeline, 1);
  pipeline.flush();
  pipeline.flush();
  feed_one_flow(pipeline, 2);
  pipeline.flush();
  const Inventory inv = store.load(limits);
  EXPECT_EQ(test::find_asset(inv, "mac:00:00:00:00:00:0a")->packets_sent, 2u);
  EXPECT_EQ(test::find_asset(inv, "mac:00:00:00:00:00:0b")->packets_received, 2u);
}

TEST(Store, ASecondConnectionSeesEachFlushWhole) {
  TempDir dir;
  const Limits limits;
  const ParserRegistry registry = make_default_registry();
  SqliteStore writer(dir.file("live.db"));
  writer.begin_run("test");
  Pipeline pipeline(limits, registry, &writer);
  feed_one_flow(pipeline, 1);
  pipeline.flush();
  SqliteStore reader(dir.file("live.db"), true);
  Inventory seen = reader.load(limits);
  EXPECT_EQ(seen.assets.size(), 2u);
  // The writer holds an open transaction while flushing; the reader keeps seeing the last committed state.
  ASSERT_EQ(sqlite3_exec(writer.handle(), "BEGIN IMMEDIATE; DELETE FROM macs;", nullptr, nullptr, nullptr), SQLITE_OK);
  seen = reader.load(limits);
  EXPECT_EQ(seen.assets.size(), 2u);
  ASSERT_EQ(sqlite3_exec(writer.handle(), "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
}

}  // namespace
}  // namespace ww

namespace ww {
namespace {

TEST(StoreSources, ASourceIsFoundByItsContentHashOnlyOnceCommitted) {
  TempDir dir;
  SqliteStore store(dir.file("h.db"));
  store.begin_run("test", "read");
  const std::string digest(64, 'a');
  EXPECT_FALSE(store.find_source(digest));
  SourceInfo info{"/captures/a.pcap", "pcap", 1, "EN10MB"};
  info.content_hash = digest;
  store.record_source(info);
  EXPECT_FALSE(store.find_source(digest)) << "recorded, not yet written with its rows";
  store.commit_pending();
  const auto earlier = store.find_source(digest);
  ASSERT_TRUE(earlier);
  EXPECT_EQ(earlier->path, "/captures/a.pcap");
  EXPECT_GT(earlier->run_id, 0);
  EXPECT_FALSE(earlier->run_started_at.empty());
  EXPECT_FALSE(store.find_source(std::string(64, 'b')));
  EXPECT_FALSE(store.find_source("")) << "standard input has no hash and matches nothing";
}

TEST(StoreClassifications, SavedRowsReplaceTheLastClassificationWhole) {
  TempDir dir;
  SqliteStore store(dir.file("c.db"));
  Inventory inv;
  inv.rules.version = "sha256:test";
  AssetView pump;
  pump.id = "mac:00:00:00:00:00:07";
  pump.mac = "00:00:00:00:00:07";
  pump.addresses.push_back({"10.0.0.7", 0, 0, {}});
  pump.classification.category = "infusion";
  pump.classification.attributes = {{"vendor", "Baxter"}, {"model", "Spectrum"}};
  pump.classification.confidence = 0.9;
  pump.classification.evidence.push_back(
      {"category", "infusion", 0.9, {{"dhcp.vendor-class.baxter", 0.9, true, "src", {"dhcp.vendor_class=Baxter"}}}});
  AssetView pacs;
  pacs.id = "ip:10.0.0.10";
  pacs.crown_jewel = CrownJewel{"pacs", {"DICOM SCP"}, {"dicom.scp"}};
  inv.assets = {pump, pacs};
  store.save_classifications(inv);
  sqlite3* db = store.handle();
  const auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(scalar("SELECT vendor || '/' || model || '/' || ips FROM classifications WHERE category='infusion'"),
            "Baxter/Spectrum/10.0.0.7");
  EXPECT_EQ(scalar("SELECT asset_id FROM classifications WHERE crown_jewel='pacs'"), "ip:10.0.0.10");
  EXPECT_EQ(scalar("SELECT count(*) FROM classifications WHERE mac IS NULL"), "1");
  EXPECT_EQ(scalar("SELECT rules_version FROM classifications LIMIT 1"), "sha256:test");
  EXPECT_EQ(scalar("SELECT attribute || ' ' || rule_id || ' ' || facts FROM classification_rules"),
            "category dhcp.vendor-class.baxter dhcp.vendor_class=Baxter");
  // A second classification replaces the first: no row of a device that is gone survives.
  inv.assets = {pacs};
  store.save_classifications(inv);
  EXPECT_EQ(scalar("SELECT count(*) FROM classifications"), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM classification_rules"), "0");
}

}  // namespace
}  // namespace ww
