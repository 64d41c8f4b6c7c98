#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <fstream>
#include <string>
#include <vector>

#include "support/recording_sink.hpp"
#include "support/run_capture.hpp"
#include "support/stream_feeder.hpp"
#include "wardwatch/dicom_pdu.hpp"

namespace ww {
namespace {

using Buf = std::vector<std::uint8_t>;

// ---- PDU builders (PS3.8 §9.3) ----------------------------------------------------------------------

void put16(Buf& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Buf& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void put16le(Buf& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32le(Buf& b, std::uint32_t v) {
  put16le(b, static_cast<std::uint16_t>(v));
  put16le(b, static_cast<std::uint16_t>(v >> 16));
}
void append(Buf& b, const Buf& x) { b.insert(b.end(), x.begin(), x.end()); }
void append(Buf& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

Buf pdu(std::uint8_t type, const Buf& body) {
  Buf b{type, 0};
  put32(b, static_cast<std::uint32_t>(body.size()));
  append(b, body);
  return b;
}
Buf item(std::uint8_t type, const Buf& body) {
  Buf b{type, 0};
  put16(b, static_cast<std::uint16_t>(body.size()));
  append(b, body);
  return b;
}
Buf text_item(std::uint8_t type, std::string_view s) {
  Buf body(s.begin(), s.end());
  return item(type, body);
}
Buf pres_ctx_rq(std::uint8_t id, std::string_view abstract, const std::vector<std::string_view>& ts) {
  Buf body{id, 0, 0, 0};
  append(body, text_item(0x30, abstract));
  for (auto t : ts) append(body, text_item(0x40, t));
  return item(0x20, body);
}
Buf pres_ctx_ac(std::uint8_t id, std::uint8_t result, std::string_view ts) {
  Buf body{id, 0, result, 0};
  append(body, text_item(0x40, ts));
  return item(0x21, body);
}
Buf max_length(std::uint32_t v) {
  Buf body;
  put32(body, v);
  return item(0x51, body);
}
Buf role_selection(std::string_view uid, std::uint8_t scu, std::uint8_t scp) {
  Buf body;
  put16(body, static_cast<std::uint16_t>(uid.size()));
  append(body, uid);
  body.push_back(scu);
  body.push_back(scp);
  return item(0x54, body);
}
Buf user_identity(std::uint8_t type, std::string_view primary, std::string_view secondary) {
  Buf body{type, 1};
  put16(body, static_cast<std::uint16_t>(primary.size()));
  append(body, primary);
  put16(body, static_cast<std::uint16_t>(secondary.size()));
  append(body, secondary);
  return item(0x58, body);
}
Buf user_info(const std::vector<Buf>& subs) {
  Buf body;
  for (const auto& s : subs) append(body, s);
  return item(0x50, body);
}
std::string ae(std::string_view s) {
  std::string out(s);
  out.resize(16, ' ');
  return out;
}
Buf associate(std::uint8_t type, std::string_view called, std::string_view calling, const std::vector<Buf>& items) {
  Buf body;
  put16(body, 0x0001);  // protocol version
  put16(body, 0);
  append(body, ae(called));
  append(body, ae(calling));
  body.resize(body.size() + 32, 0);
  for (const auto& i : items) append(body, i);
  return pdu(type, body);
}

constexpr std::string_view kCt = "1.2.840.10008.5.1.4.1.1.2";
constexpr std::string_view kMr = "1.2.840.10008.5.1.4.1.1.4";
constexpr std::string_view kVerification = "1.2.840.10008.1.1";
constexpr std::string_view kStudyMove = "1.2.840.10008.5.1.4.1.2.2.2";
constexpr std::string_view kImplicit = "1.2.840.10008.1.2";
constexpr std::string_view kExplicit = "1.2.840.10008.1.2.1";
constexpr std::string_view kAppContext = "1.2.840.10008.3.1.1.1";

Buf standard_rq() {
  return associate(0x01, "PACS_ARCHIVE", "CT_SCANNER1",
                   {text_item(0x10, kAppContext), pres_ctx_rq(1, kCt, {kExplicit, kImplicit}),
                    pres_ctx_rq(3, kVerification, {kImplicit}),
                    user_info({max_length(16384), text_item(0x52, "1.2.276.0.7230010.3.0.3.6.7"),
                               item(0x53, Buf{0, 3, 0, 1}), role_selection(kCt, 1, 0),
                               text_item(0x55, "OFFIS_DCMTK_367"),
                               user_identity(2, "secretuser", "hunter2-passcode")})});
}
Buf standard_ac(std::uint8_t verification_result = 0) {
  return associate(0x02, "PACS_ARCHIVE", "CT_SCANNER1",
                   {text_item(0x10, kAppContext), pres_ctx_ac(1, 0, kExplicit),
                    pres_ctx_ac(3, verification_result, kImplicit),
                    user_info({max_length(262144), text_item(0x52, "1.2.3.4.5.6"), text_item(0x55, "PACS_9")})});
}

// ---- DIMSE command sets (implicit VR LE, PS3.7 §6.3.1) and data sets (PS3.5 §7.1) ----------------------

void element_le(Buf& b, std::uint16_t g, std::uint16_t e, const Buf& value) {
  put16le(b, g);
  put16le(b, e);
  put32le(b, static_cast<std::uint32_t>(value.size()));
  append(b, value);
}
Buf us(std::uint16_t v) {
  Buf b;
  put16le(b, v);
  return b;
}
Buf str(std::string_view s, char pad = '\0') {
  Buf b(s.begin(), s.end());
  if (b.size() % 2) b.push_back(static_cast<std::uint8_t>(pad));
  return b;
}
Buf command(std::uint16_t field, std::string_view sop, std::vector<std::pair<std::uint16_t, Buf>> extra = {},
            std::uint16_t dataset_type = 0x0101) {
  Buf b;
  element_le(b, 0, 0x0002, str(sop));
  element_le(b, 0, 0x0100, us(field));
  element_le(b, 0, 0x0110, us(7));
  element_le(b, 0, 0x0800, us(dataset_type));
  for (auto& [e, v] : extra) element_le(b, 0, e, v);
  Buf out;
  element_le(out, 0, 0x0000, Buf{static_cast<std::uint8_t>(b.size()), static_cast<std::uint8_t>(b.size() >> 8), 0, 0});
  append(out, b);
  return out;
}
// Explicit VR little endian element with a 2-byte length.
void explicit_short(Buf& b, std::uint16_t g, std::uint16_t e, std::string_view vr, std::string_view value) {
  put16le(b, g);
  put16le(b, e);
  append(b, vr);
  const Buf v = str(value, ' ');
  put16le(b, static_cast<std::uint16_t>(v.size()));
  append(b, v);
}
// PDV item: length, context ID, message control header (bit 0 command, bit 1 last), fragment.
Buf pdv(std::uint8_t ctx, std::uint8_t mch, const Buf& fragment) {
  Buf b;
  put32(b, static_cast<std::uint32_t>(fragment.size() + 2));
  b.push_back(ctx);
  b.push_back(mch);
  append(b, fragment);
  return b;
}
Buf pdata(const std::vector<Buf>& pdvs) {
  Buf body;
  for (const auto& p : pdvs) append(body, p);
  return pdu(0x04, body);
}

// A CT data set carrying the five device elements among PHI (explicit VR LE), then pixel data.
Buf ct_dataset(std::size_t pixel_bytes) {
  Buf b;
  explicit_short(b, 0x0008, 0x0060, "CS", "CT");
  explicit_short(b, 0x0008, 0x0070, "LO", "GE MEDICAL SYSTEMS");
  explicit_short(b, 0x0008, 0x0080, "LO", "ZZPLANTED Institution");
  explicit_short(b, 0x0008, 0x1010, "SH", "CTSCAN01");
  // (0008,1032) Procedure Code Sequence, undefined length, one undefined-length item.
  put16le(b, 0x0008);
  put16le(b, 0x1032);
  append(b, "SQ");
  put16le(b, 0);
  put32le(b, 0xFFFFFFFF);
  put16le(b, 0xFFFE);
  put16le(b, 0xE000);
  put32le(b, 0xFFFFFFFF);
  explicit_short(b, 0x0008, 0x0100, "SH", "PLANTED-CODE");
  put16le(b, 0xFFFE);
  put16le(b, 0xE00D);
  put32le(b, 0);
  put16le(b, 0xFFFE);
  put16le(b, 0xE0DD);
  put32le(b, 0);
  explicit_short(b, 0x0008, 0x1090, "LO", "Revolution CT");
  explicit_short(b, 0x0010, 0x0010, "PN", "ZZPLANTED^ALICE");
  explicit_short(b, 0x0010, 0x0020, "LO", "PLANTED-PID-4711");
  explicit_short(b, 0x0018, 0x1000, "LO", "CT-SN-000777");
  explicit_short(b, 0x0018, 0x1020, "LO", "revo_ct_22.1\\RevoCT 2.0");
  explicit_short(b, 0x0018, 0x5100, "CS", "HFS");
  put16le(b, 0x7FE0);
  put16le(b, 0x0010);
  append(b, "OW");
  put16le(b, 0);
  put32le(b, static_cast<std::uint32_t>(pixel_bytes));
  b.resize(b.size() + pixel_bytes, 0x5A);
  return b;
}

// ---- a stand-in for the stream follower --------------------------------------------------------------

using test::contains_ci;
using test::SideSink;
using Feeder = test::StreamFeeder;

class DicomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parser = test::find_stream(registry, "dicom");
    ASSERT_NE(parser, nullptr);
    meta.client_port = 40000;
    meta.server_port = 104;
    meta.saw_handshake = true;
    f.session = parser->open(meta);
  }
  void expect_no_secret() {
    for (const auto& fact : f.sink.facts) {
      for (std::string_view s : {"secretuser", "hunter2", "ZZPLANTED", "PLANTED-PID", "PLANTED-CODE", "HFS"}) {
        EXPECT_FALSE(contains_ci(fact.value, s)) << fact.key << "=" << fact.value;
      }
    }
  }

  ParserRegistry registry = make_default_registry();
  const StreamParser* parser = nullptr;
  StreamMeta meta;
  Feeder f;
};

TEST_F(DicomTest, AssociateRqNamesScuAndScpAndNeverReadsIdentityFields) {
  const Buf rq = standard_rq();
  ASSERT_TRUE(parser->probe(StreamDir::to_server, rq));
  f.feed(StreamDir::to_server, rq);
  EXPECT_EQ(f.last, ParseStatus::ok);
  EXPECT_TRUE(f.has("client", "dicom.ae_title", "CT_SCANNER1"));
  EXPECT_TRUE(f.has("client", "dicom.role", "scu"));
  EXPECT_TRUE(f.has("client", "dicom.called_ae", "PACS_ARCHIVE"));
  EXPECT_TRUE(f.has("client", "dicom.association", "CT_SCANNER1->PACS_ARCHIVE"));
  EXPECT_TRUE(f.has("server", "dicom.ae_title", "PACS_ARCHIVE"));
  EXPECT_TRUE(f.has("server", "dicom.role", "scp"));
  EXPECT_TRUE(f.has("server", "dicom.calling_ae", "CT_SCANNER1"));
  EXPECT_TRUE(f.has("server", "dicom.scp_port", "104"));
  EXPECT_TRUE(f.has("server", "dicom.association", "CT_SCANNER1->PACS_ARCHIVE"));
  EXPECT_TRUE(f.has("client", "dicom.application_context", std::string(kAppContext)));
  EXPECT_TRUE(f.has("client", "dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.7"));
  EXPECT_TRUE(f.has("client", "dicom.implementation_version_name", "OFFIS_DCMTK_367"));
  EXPECT_TRUE(f.has("client", "dicom.max_pdu_length", "16384"));
  EXPECT_TRUE(f.has("client", "dicom.async_ops_window", "3/1"));
  EXPECT_TRUE(f.has("client", "dicom.role_selection", "CTImageStorage:scu=1,scp=0"));
  EXPECT_TRUE(f.has("client", "dicom.user_identity_type", "username-passcode"));
  EXPECT_TRUE(f.has("client", "dicom.abstract_syntax", std::string(kCt)));
  EXPECT_TRUE(f.has("client", "dicom.sop_class", "CTImageStorage"));
  EXPECT_TRUE(f.has("client", "dicom.sop_class", "VerificationSOPClass"));
  EXPECT_TRUE(f.has("client", "dicom.service", "storage"));
  EXPECT_TRUE(f.has("client", "dicom.service", "verification"));
  EXPECT_TRUE(f.has("client", "dicom.transfer_syntax", std::string(kExplicit)));
  EXPECT_TRUE(f.has("client", "dicom.transfer_syntax", std::string(kImplicit)));
  // The proposal names a single storage modality.
  EXPECT_EQ(f.values("client", "dicom.modality"), std::vector<std::string>{"CT"});
  EXPECT_TRUE(f.values("server", "dicom.implementation_class_uid").empty());
  EXPECT_TRUE(f.sink.anomalies.empty());
  expect_no_secret();
}

// The parser remembers what DCMTK says of each UID (its catalog is bounded: past a few thousand distinct
// UIDs it starts afresh). Sessions before, between and after 5,000 private UIDs all name the same classes.
TEST_F(DicomTest, UidAnswersStayRightAcrossManyDistinctUids) {
  auto facts_of = [&](const Buf& rq) {
    Feeder g;
    g.session = parser->open(meta);
    g.feed(StreamDir::to_server, rq);
    return g;
  };
  const Feeder before = facts_of(standard_rq());
  for (int assoc = 0; assoc < 40; ++assoc) {
    std::vector<Buf> items{text_item(0x10, kAppContext)};
    std::vector<std::string> uids;
    for (int ctx = 0; ctx < 125; ++ctx) uids.push_back("1.2.826.0.1.3680043.9." + std::to_string(assoc * 125 + ctx));
    for (int ctx = 0; ctx < 125; ++ctx) items.push_back(pres_ctx_rq(static_cast<std::uint8_t>(2 * ctx + 1), uids[ctx], {kImplicit}));
    const Feeder priv = facts_of(associate(0x01, "PACS_ARCHIVE", "RESEARCH_SCU", items));
    ASSERT_TRUE(priv.values("client", "dicom.sop_class").empty()) << "assoc " << assoc;
    ASSERT_TRUE(priv.values("client", "dicom.service").empty());
  }
  const Feeder after = facts_of(standard_rq());
  for (const Feeder* g : {&before, &after}) {
    EXPECT_TRUE(g->has("client", "dicom.sop_class", "CTImageStorage"));
    EXPECT_TRUE(g->has("client", "dicom.sop_class", "VerificationSOPClass"));
    EXPECT_TRUE(g->has("client", "dicom.service", "storage"));
    EXPECT_TRUE(g->has("client", "dicom.service", "verification"));
    EXPECT_EQ(g->values("client", "dicom.modality"), std::vector<std::string>{"CT"});
    EXPECT_TRUE(g->has("client", "dicom.role_selection", "CTImageStorage:scu=1,scp=0"));
  }
}

TEST_F(DicomTest, AssociateAcReportsAcceptorAndRejectedContexts) {
  f.feed(StreamDir::to_server, standard_rq());
  f.sink.facts.clear();
  f.feed(StreamDir::to_client, standard_ac(3));
  EXPECT_TRUE(f.has("server", "dicom.implementation_class_uid", "1.2.3.4.5.6"));
  EXPECT_TRUE(f.has("server", "dicom.implementation_version_name", "PACS_9"));
  EXPECT_TRUE(f.has("server", "dicom.max_pdu_length", "262144"));
  EXPECT_TRUE(f.has("server", "dicom.sop_class", "CTImageStorage"));
  EXPECT_TRUE(f.has("server", "dicom.service", "storage"));
  EXPECT_TRUE(f.has("server", "dicom.transfer_syntax", std::string(kExplicit)));
  EXPECT_TRUE(f.has("server", "dicom.rejected_sop_class", "VerificationSOPClass (abstract-syntax-not-supported)"));
  EXPECT_FALSE(f.has("server", "dicom.service", "verification"));
  // The AE titles echoed in the AC are not re-reported once the RQ was seen.
  EXPECT_TRUE(f.values("server", "dicom.ae_title").empty());
  EXPECT_TRUE(f.values("client", "dicom.implementation_class_uid").empty());
}

TEST_F(DicomTest, AssociateAcAloneStillNamesBothSides) {
  f.feed(StreamDir::to_client, standard_ac());
  EXPECT_TRUE(f.has("server", "dicom.ae_title", "PACS_ARCHIVE"));
  EXPECT_TRUE(f.has("server", "dicom.scp_port", "104"));
  EXPECT_TRUE(f.has("client", "dicom.ae_title", "CT_SCANNER1"));
  EXPECT_TRUE(f.has("server", "dicom.transfer_syntax", std::string(kExplicit)));
}

TEST_F(DicomTest, RejectReleaseAndAbortAreDescribed) {
  f.feed(StreamDir::to_server, standard_rq());
  f.feed(StreamDir::to_client, pdu(0x03, Buf{0, 1, 1, 7}));
  EXPECT_EQ(f.last, ParseStatus::done);
  EXPECT_TRUE(f.has("server", "dicom.reject",
                    "rejected-permanent, source service-user, reason called-AE-title-not-recognized"));

  Feeder g;
  g.session = parser->open(StreamMeta{});
  g.feed(StreamDir::to_server, pdu(0x05, Buf{0, 0, 0, 0}));
  EXPECT_TRUE(g.has("client", "dicom.release", "requested"));
  g.feed(StreamDir::to_client, pdu(0x06, Buf{0, 0, 0, 0}));
  EXPECT_TRUE(g.has("server", "dicom.release", "confirmed"));
  EXPECT_EQ(g.last, ParseStatus::done);

  Feeder h;
  h.session = parser->open(StreamMeta{});
  h.feed(StreamDir::to_client, pdu(0x07, Buf{0, 0, 2, 2}));
  EXPECT_TRUE(h.has("server", "dicom.abort", "service-provider, unexpected-PDU"));
  EXPECT_EQ(h.last, ParseStatus::done);
}

TEST_F(DicomTest, CStoreCommandAndDeviceAllowListSkipPixelData) {
  f.feed(StreamDir::to_server, standard_rq());
  f.feed(StreamDir::to_client, standard_ac());
  f.sink.facts.clear();
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0001, kCt, {}, 0x0000))}));
  EXPECT_TRUE(f.has("client", "dicom.command", "C-STORE-RQ"));
  EXPECT_TRUE(f.has("client", "dicom.sop_class", "CTImageStorage"));
  EXPECT_TRUE(f.has("client", "dicom.modality", "CT"));
  // 200 KB of pixel data in one PDU, sent in 1460-byte segments: only the head is ever buffered.
  const Buf data = pdata({pdv(1, 0x02, ct_dataset(200'000))});
  f.max_buffered = 0;
  for (std::size_t i = 0; i < data.size(); i += 1460) {
    f.feed(StreamDir::to_server, Bytes(data).subspan(i, std::min<std::size_t>(1460, data.size() - i)));
  }
  EXPECT_LT(f.max_buffered, 2000u);
  EXPECT_TRUE(f.buf[0].empty());
  EXPECT_EQ(f.skip[0], 0u);
  EXPECT_TRUE(f.has("client", "dicom.manufacturer", "GE MEDICAL SYSTEMS"));
  EXPECT_TRUE(f.has("client", "dicom.model_name", "Revolution CT"));
  EXPECT_TRUE(f.has("client", "dicom.station_name", "CTSCAN01"));
  EXPECT_TRUE(f.has("client", "dicom.device_serial_number", "CT-SN-000777"));
  EXPECT_TRUE(f.has("client", "dicom.software_versions", "revo_ct_22.1"));
  EXPECT_TRUE(f.has("client", "dicom.software_versions", "RevoCT 2.0"));
  // The response after the bulk is still in sync.
  f.feed(StreamDir::to_client, pdata({pdv(1, 0x03, command(0x8001, kCt, {{0x0900, us(0x0000)}}))}));
  EXPECT_TRUE(f.has("server", "dicom.command", "C-STORE-RSP"));
  EXPECT_TRUE(f.has("server", "dicom.status", "C-STORE-RSP: success (0x0000)"));
  // Then the next C-STORE on the same association.
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0001, kCt, {}, 0x0000)), pdv(1, 0x02, ct_dataset(10))}));
  EXPECT_EQ(f.last, ParseStatus::ok);
  EXPECT_TRUE(f.sink.anomalies.empty());
  expect_no_secret();
}

TEST_F(DicomTest, ImplicitVrDatasetIsWalkedByLength) {
  f.feed(StreamDir::to_server, standard_rq());
  f.feed(StreamDir::to_client, associate(0x02, "PACS_ARCHIVE", "CT_SCANNER1", {pres_ctx_ac(1, 0, kImplicit)}));
  Buf ds;
  element_le(ds, 0x0008, 0x0070, str("SIEMENS", ' '));
  element_le(ds, 0x0008, 0x1090, str("MAGNETOM Vida", ' '));
  element_le(ds, 0x0010, 0x0010, str("ZZPLANTED^ALICE", ' '));
  element_le(ds, 0x0018, 0x1000, str("175512", ' '));
  element_le(ds, 0x0018, 0x1030, str("ZZPLANTED protocol", ' '));
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0001, kMr, {}, 0x0000)), pdv(1, 0x02, ds)}));
  EXPECT_TRUE(f.has("client", "dicom.manufacturer", "SIEMENS"));
  EXPECT_TRUE(f.has("client", "dicom.model_name", "MAGNETOM Vida"));
  EXPECT_TRUE(f.has("client", "dicom.device_serial_number", "175512"));
  EXPECT_TRUE(f.has("client", "dicom.modality", "MR"));
  expect_no_secret();
}

TEST_F(DicomTest, ForwardedStoresAndFindDataAreNotAttributed) {
  f.feed(StreamDir::to_server, standard_rq());
  f.feed(StreamDir::to_client, standard_ac());
  f.sink.facts.clear();
  // A C-MOVE sub-operation: the Move Originator AE Title (0000,1030) marks someone else's images.
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0001, kCt, {{0x1030, str("RADWS01", ' ')}}, 0x0000)),
                                      pdv(1, 0x02, ct_dataset(16))}));
  EXPECT_TRUE(f.has("client", "dicom.command", "C-STORE-RQ"));
  EXPECT_TRUE(f.values("client", "dicom.modality").empty());
  EXPECT_TRUE(f.values("client", "dicom.manufacturer").empty());
  // A C-GET sub-operation runs from the acceptor: not the acceptor's modality either.
  f.feed(StreamDir::to_client, pdata({pdv(1, 0x03, command(0x0001, kMr, {}, 0x0000)), pdv(1, 0x02, ct_dataset(16))}));
  EXPECT_TRUE(f.values("server", "dicom.modality").empty());
  EXPECT_TRUE(f.values("server", "dicom.manufacturer").empty());
}

TEST_F(DicomTest, MoveDestinationAndUnknownCommandField) {
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0021, kStudyMove, {{0x0600, str("WS_DEST", ' ')}}))}));
  EXPECT_TRUE(f.has("client", "dicom.command", "C-MOVE-RQ"));
  EXPECT_TRUE(f.has("client", "dicom.move_destination", "WS_DEST"));
  EXPECT_TRUE(f.has("client", "dicom.service", "query-retrieve-move"));
  f.feed(StreamDir::to_client, pdata({pdv(1, 0x03, command(0x8021, kStudyMove, {{0x0900, us(0xA701)}}))}));
  EXPECT_TRUE(f.has("server", "dicom.status", "C-MOVE-RSP: failure (0xa701)"));
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0042, kStudyMove))}));
  EXPECT_TRUE(f.has("client", "dicom.command", "0x0042"));
}

TEST_F(DicomTest, FragmentedCommandIsReassembled) {
  const Buf cmd = command(0x0030, kVerification);
  const Buf a(cmd.begin(), cmd.begin() + 10), b(cmd.begin() + 10, cmd.end());
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x01, a)}));
  EXPECT_TRUE(f.values("client", "dicom.command").empty());
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, b)}));
  EXPECT_TRUE(f.has("client", "dicom.command", "C-ECHO-RQ"));
}

TEST_F(DicomTest, HostilePduLengthIsAnAnomalyNeverASkip) {
  Buf bad{0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x10, 0x01, 0x03};
  f.feed(StreamDir::to_server, bad);
  EXPECT_TRUE(f.anomaly("dicom.pdu_length_implausible"));
  EXPECT_EQ(f.skip[0], 0u);
  // Resynchronises on the next believable PDU.
  f.feed(StreamDir::to_server, pdata({pdv(1, 0x03, command(0x0030, kVerification))}));
  EXPECT_TRUE(f.has("client", "dicom.command", "C-ECHO-RQ"));
}

TEST_F(DicomTest, NegotiatedMaximumBoundsPdataLength) {
  f.feed(StreamDir::to_server, standard_rq());
  f.feed(StreamDir::to_client, standard_ac());  // acceptor's maximum 262144 bounds what the SCU sends
  Buf big{0x04, 0x00};
  put32(big, 1'000'000);
  f.feed(StreamDir::to_server, big);
  EXPECT_TRUE(f.anomaly("dicom.pdu_length_implausible"));
  EXPECT_EQ(f.skip[0], 0u);
}

TEST_F(DicomTest, PdvLongerThanItsPduIsAnAnomaly) {
  Buf body;
  put32(body, 0xFFFFFFF0);  // PDV length far beyond the 12-byte PDU
  body.push_back(1);
  body.push_back(0x02);
  body.resize(12, 0);
  f.feed(StreamDir::to_server, pdu(0x04, body));
  EXPECT_TRUE(f.anomaly("dicom.pdv_length_overflow"));
  EXPECT_EQ(f.skip[0], 0u);
  EXPECT_EQ(f.last, ParseStatus::malformed);
}

TEST_F(DicomTest, NestedItemLengthOverflowsAreAnomalies) {
  // A presentation context whose abstract syntax sub-item claims more bytes than the item holds.
  Buf ctx_body{1, 0, 0, 0, 0x30, 0, 0x00, 0xF0};
  append(ctx_body, "1.2.3");
  f.feed(StreamDir::to_server,
         associate(0x01, "B", "A", {text_item(0x10, kAppContext), item(0x20, ctx_body),
                                     user_info({text_item(0x52, "1.2.3.4")})}));
  EXPECT_TRUE(f.anomaly("dicom.item_overflow"));
  EXPECT_EQ(f.last, ParseStatus::malformed);
  EXPECT_TRUE(f.has("client", "dicom.implementation_class_uid", "1.2.3.4"));  // later items still read

  // A user-information sub-item overflowing its item, and an item overflowing the PDU.
  Feeder g;
  g.session = parser->open(StreamMeta{});
  Buf ui_body{0x52, 0, 0x01, 0x00};
  append(ui_body, "1.2");
  Buf rq = associate(0x01, "B", "A", {item(0x50, ui_body)});
  Buf tail{0x20, 0, 0xFF, 0xFF, 1, 0, 0, 0};
  append(rq, tail);
  const std::uint32_t len = static_cast<std::uint32_t>(rq.size() - 6);
  rq[2] = static_cast<std::uint8_t>(len >> 24);
  rq[3] = static_cast<std::uint8_t>(len >> 16);
  rq[4] = static_cast<std::uint8_t>(len >> 8);
  rq[5] = static_cast<std::uint8_t>(len);
  g.feed(StreamDir::to_server, rq);
  EXPECT_EQ(std::count(g.sink.anomalies.begin(), g.sink.anomalies.end(), "dicom.item_overflow"), 2);
  EXPECT_TRUE(g.has("client", "dicom.ae_title", "A"));
}

TEST_F(DicomTest, TruncatedPdusWaitOrFailCleanly) {
  const Buf rq = standard_rq();
  f.feed(StreamDir::to_server, Bytes(rq).first(rq.size() - 1));
  EXPECT_EQ(f.last, ParseStatus::need_more);
  EXPECT_TRUE(f.sink.facts.empty());
  f.feed(StreamDir::to_server, Bytes(rq).last(1));
  EXPECT_TRUE(f.has("client", "dicom.ae_title", "CT_SCANNER1"));

  Feeder g;
  g.session = parser->open(StreamMeta{});
  g.feed(StreamDir::to_server, pdu(0x01, Buf{0, 1, 0, 0, 'A', 'B'}));  // fixed fields cut short
  EXPECT_TRUE(g.anomaly("dicom.truncated_pdu"));
  EXPECT_TRUE(g.sink.facts.empty());
  g.feed(StreamDir::to_server, pdu(0x05, Buf{0, 0, 0, 0, 0, 0}));  // A-RELEASE-RQ must be 4 bytes
  EXPECT_TRUE(g.anomaly("dicom.bad_pdu_length"));
}

TEST_F(DicomTest, WholeAssociationFedByteByByteMatchesWholeFeed) {
  Feeder whole;
  whole.session = parser->open(meta);
  const Buf rq = standard_rq(), ac = standard_ac();
  const Buf store = pdata({pdv(1, 0x03, command(0x0001, kCt, {}, 0x0000)), pdv(1, 0x02, ct_dataset(3000))});
  whole.feed(StreamDir::to_server, rq);
  whole.feed(StreamDir::to_client, ac);
  whole.feed(StreamDir::to_server, store);
  f.feed_bytewise(StreamDir::to_server, rq);
  f.feed_bytewise(StreamDir::to_client, ac);
  f.feed_bytewise(StreamDir::to_server, store);
  auto key = [](const test::Recorded& r) { return r.about + "|" + r.key + "|" + r.value; };
  std::vector<std::string> a, b;
  for (const auto& r : whole.sink.facts) a.push_back(key(r));
  for (const auto& r : f.sink.facts) b.push_back(key(r));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<std::string> diff;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
  EXPECT_TRUE(diff.empty()) << ::testing::PrintToString(diff);
  EXPECT_TRUE(f.has("client", "dicom.manufacturer", "GE MEDICAL SYSTEMS"));
  EXPECT_TRUE(f.sink.anomalies.empty());
}

TEST_F(DicomTest, SixteenKilobyteAssociateRqInTwoPieces) {
  std::vector<Buf> items{text_item(0x10, kAppContext)};
  for (int i = 0; i < 120; ++i) {
    const std::string uid = "1.2.840.10008.5.1.4.1.1." + std::to_string(1000 + i);
    items.push_back(pres_ctx_rq(static_cast<std::uint8_t>(2 * i + 1), uid,
                                {kImplicit, kExplicit, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}));
  }
  items.push_back(user_info({max_length(4194304), text_item(0x52, "1.2.826.0.1.3680043.9.7133.1.1"),
                             text_item(0x55, "GODICOM_1_1")}));
  const Buf rq = associate(0x01, "testserver", "testclient", items);
  ASSERT_GT(rq.size(), 16'000u);
  ASSERT_TRUE(parser->probe(StreamDir::to_server, Bytes(rq).first(1448)));
  f.feed(StreamDir::to_server, Bytes(rq).first(16'000));
  EXPECT_EQ(f.last, ParseStatus::need_more);
  EXPECT_TRUE(f.sink.facts.empty());
  f.feed(StreamDir::to_server, Bytes(rq).subspan(16'000));
  EXPECT_TRUE(f.has("client", "dicom.implementation_version_name", "GODICOM_1_1"));
  EXPECT_TRUE(f.has("client", "dicom.abstract_syntax_count", "120"));
  EXPECT_TRUE(f.values("client", "dicom.abstract_syntax").empty());  // a long list is only counted
  EXPECT_EQ(f.values("client", "dicom.transfer_syntax").size(), 4u);
}

TEST_F(DicomTest, MidStreamJoinResynchronisesOnPdata) {
  Buf stream(3000, 0x5A);  // the tail of some pixel data
  append(stream, pdata({pdv(1, 0x03, command(0x8001, kCt, {{0x0900, us(0)}}))}));
  ASSERT_TRUE(parser->probe(StreamDir::to_client, stream));
  f.feed(StreamDir::to_client, stream);
  EXPECT_TRUE(f.has("server", "dicom.status", "C-STORE-RSP: success (0x0000)"));
  EXPECT_TRUE(f.anomaly("dicom.bad_pdu_header"));
}

TEST_F(DicomTest, ProbeRejectsOtherProtocols) {
  auto probe = [&](std::string_view s) { return parser->probe(StreamDir::to_server, as_bytes(s)); };
  EXPECT_FALSE(probe("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(probe("\x0bMSH|^~\\&|EPIC|GENHOSP|CLOVERLEAF|LAB|2024||ADT^A01|1|P|2.5.1\r\x1c\r"));
  const Buf tls{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0, 0, 0};
  EXPECT_FALSE(parser->probe(StreamDir::to_server, tls));
  Buf rq = standard_rq();
  rq[7] = 2;  // protocol version 2 does not exist
  EXPECT_FALSE(parser->probe(StreamDir::to_server, Bytes(rq).first(200)));
  EXPECT_TRUE(parser->probe(StreamDir::to_server, standard_rq()));
  EXPECT_TRUE(parser->probe(StreamDir::to_client, standard_ac()));
}

TEST(DicomToolkit, VersionComesFromDcmtk) { EXPECT_EQ(dicom_toolkit_version().substr(0, 2), "3."); }

// ---- whole-pipeline tests over captures --------------------------------------------------------------

bool asset_has(const AssetView* a, std::string_view key, std::string_view value) {
  if (a == nullptr) return false;
  return std::any_of(a->observations.begin(), a->observations.end(),
                     [&](const ObservationView& o) { return o.key == key && o.value == value; });
}
std::vector<std::string> asset_values(const AssetView* a, std::string_view key) {
  std::vector<std::string> out;
  if (a == nullptr) return out;
  for (const auto& o : a->observations) {
    if (o.key == key) out.push_back(o.value);
  }
  return out;
}

TEST(DicomCapture, SharedTapirxFindClientProposesQueryAndWorklist) {
  const auto path = test::shared_pcap("tapirx_dicom_arq_1_find_testclient.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* lo = test::find_asset(inv, "ip:127.0.0.1");  // loopback: client and server are one host
  ASSERT_NE(lo, nullptr);
  EXPECT_TRUE(asset_has(lo, "dicom.ae_title", "testclient"));
  EXPECT_TRUE(asset_has(lo, "dicom.ae_title", "testserver"));
  EXPECT_TRUE(asset_has(lo, "dicom.association", "testclient->testserver"));
  EXPECT_TRUE(asset_has(lo, "dicom.implementation_class_uid", "1.2.826.0.1.3680043.9.7133.1.1"));
  EXPECT_TRUE(asset_has(lo, "dicom.implementation_version_name", "GODICOM_1_1"));
  EXPECT_TRUE(asset_has(lo, "dicom.max_pdu_length", "4194304"));
  EXPECT_TRUE(asset_has(lo, "dicom.scp_port", "104"));
  EXPECT_TRUE(asset_has(lo, "dicom.service", "query-retrieve-find"));
  EXPECT_TRUE(asset_has(lo, "dicom.service", "modality-worklist"));
  EXPECT_TRUE(asset_has(lo, "dicom.sop_class", "FINDModalityWorklistInformationModel"));
  EXPECT_TRUE(asset_has(lo, "dicom.abstract_syntax", "1.2.840.10008.5.1.4.1.2.1.1"));
  EXPECT_EQ(asset_values(lo, "dicom.transfer_syntax").size(), 4u);
  EXPECT_TRUE(asset_values(lo, "dicom.modality").empty());
}

TEST(DicomCapture, SharedSyntheticCtToPacsAssociation) {
  const auto path = test::shared_pcap("tapirxl_ct_to_pacs_scenario.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* ct = test::find_asset(inv, "mac:00:10:18:aa:bb:01");
  const AssetView* pacs = test::find_asset(inv, "mac:00:1a:2b:3c:51:10");
  ASSERT_NE(ct, nullptr);
  ASSERT_NE(pacs, nullptr);
  EXPECT_TRUE(asset_has(ct, "dicom.ae_title", "BRIGHTSPEED01"));
  EXPECT_TRUE(asset_has(ct, "dicom.role", "scu"));
  EXPECT_TRUE(asset_has(ct, "dicom.implementation_class_uid", "1.2.840.113619.2.5"));
  EXPECT_TRUE(asset_has(ct, "dicom.implementation_version_name", "AW1234"));
  EXPECT_TRUE(asset_has(ct, "dicom.command", "C-STORE-RQ"));
  EXPECT_EQ(asset_values(ct, "dicom.modality"), std::vector<std::string>{"CT"});
  EXPECT_TRUE(asset_has(ct, "dicom.manufacturer", "GE Healthcare"));
  EXPECT_TRUE(asset_has(ct, "dicom.model_name", "BrightSpeed Elite Select"));
  EXPECT_TRUE(asset_has(ct, "dicom.software_versions", "11.2.0"));
  EXPECT_TRUE(asset_has(pacs, "dicom.ae_title", "CENTRICITY001"));
  EXPECT_TRUE(asset_has(pacs, "dicom.role", "scp"));
  EXPECT_TRUE(asset_has(pacs, "dicom.scp_port", "104"));
  EXPECT_TRUE(asset_has(pacs, "dicom.implementation_version_name", "CENTRICITY5.0"));
  EXPECT_TRUE(asset_has(pacs, "dicom.status", "C-STORE-RSP: success (0x0000)"));
  EXPECT_TRUE(asset_values(pacs, "dicom.modality").empty());
  EXPECT_TRUE(asset_values(pacs, "dicom.manufacturer").empty());
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) EXPECT_FALSE(contains_ci(o.value, "SYNTH")) << o.key << "=" << o.value;
  }
}

TEST(DicomCapture, HospitalLabModalitiesPacsAndWorkstation) {
  const auto path = test::repo_file("tests/fixtures/lab/hospital-lab.pcap");
  WW_REQUIRE_FILE(path);
  const Inventory inv = test::run_capture(path);
  const AssetView* pacs = test::find_asset(inv, "mac:02:77:00:00:00:10");
  const AssetView* ct = test::find_asset(inv, "mac:44:4b:5d:77:00:21");
  const AssetView* mr = test::find_asset(inv, "mac:88:4b:39:77:00:22");
  const AssetView* ws = test::find_asset(inv, "mac:02:77:00:00:00:30");
  ASSERT_TRUE(pacs && ct && mr && ws);
  for (const AssetView* a : {pacs, ct, mr, ws}) {
    EXPECT_TRUE(asset_has(a, "dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.7")) << a->id;
    EXPECT_TRUE(asset_has(a, "dicom.implementation_version_name", "OFFIS_DCMTK_367")) << a->id;
  }
  auto ae = asset_values(pacs, "dicom.ae_title");
  std::sort(ae.begin(), ae.end());
  EXPECT_EQ(ae, (std::vector<std::string>{"PACS_ARCHIVE", "PACS_MAIN", "PACS_QR"}));
  auto ports = asset_values(pacs, "dicom.scp_port");
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<std::string>{"104", "11112", "4242"}));
  // scp for the stores, queries and the move; scu for the C-STORE sub-operations of the workstation's
  // C-MOVE (dcmqrscp opens that association) — which must not give the PACS a modality.
  EXPECT_EQ(asset_values(pacs, "dicom.role"), (std::vector<std::string>{"scp", "scu"}));
  EXPECT_TRUE(asset_values(pacs, "dicom.modality").empty());

  EXPECT_EQ(asset_values(ct, "dicom.ae_title"), std::vector<std::string>{"CT_SCANNER1"});
  EXPECT_EQ(asset_values(ct, "dicom.modality"), std::vector<std::string>{"CT"});
  EXPECT_TRUE(asset_has(ct, "dicom.manufacturer", "GE MEDICAL SYSTEMS"));
  EXPECT_TRUE(asset_has(ct, "dicom.model_name", "Revolution CT"));
  EXPECT_TRUE(asset_has(ct, "dicom.station_name", "CTSCAN01"));
  EXPECT_TRUE(asset_has(ct, "dicom.device_serial_number", "CT-SN-000777"));
  EXPECT_TRUE(asset_has(ct, "dicom.software_versions", "revo_ct_22.1"));
  EXPECT_TRUE(asset_has(ct, "dicom.software_versions", "RevoCT 2.0"));
  EXPECT_TRUE(asset_has(ct, "dicom.association", "CT_SCANNER1->PACS_ARCHIVE"));

  EXPECT_EQ(asset_values(mr, "dicom.ae_title"), std::vector<std::string>{"MR_3T"});
  EXPECT_EQ(asset_values(mr, "dicom.modality"), std::vector<std::string>{"MR"});
  EXPECT_TRUE(asset_has(mr, "dicom.manufacturer", "SIEMENS"));
  EXPECT_TRUE(asset_has(mr, "dicom.model_name", "MAGNETOM Vida"));
  EXPECT_TRUE(asset_has(mr, "dicom.station_name", "MRC40512"));
  EXPECT_TRUE(asset_has(mr, "dicom.device_serial_number", "175512"));
  EXPECT_TRUE(asset_has(mr, "dicom.software_versions", "syngo MR XA50"));

  EXPECT_EQ(asset_values(ws, "dicom.ae_title"), std::vector<std::string>{"RADWS01"});
  EXPECT_TRUE(asset_has(ws, "dicom.command", "C-ECHO-RQ"));
  EXPECT_TRUE(asset_has(ws, "dicom.command", "C-FIND-RQ"));
  EXPECT_TRUE(asset_has(ws, "dicom.service", "query-retrieve-find"));
  EXPECT_TRUE(asset_values(ws, "dicom.modality").empty());
  EXPECT_TRUE(asset_values(ws, "dicom.manufacturer").empty());
}


// PHI: nothing planted in the lab capture (nor the tapirx HL7 patients) reaches any observation.
TEST(DicomCapture, SharedPlantedPhiNeverReachesObservations) {
  const auto phi_path = test::repo_file("tests/fixtures/lab/planted_phi.txt");
  WW_REQUIRE_FILE(phi_path);
  std::vector<std::string> phi;
  std::ifstream in(phi_path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) phi.push_back(line);
  }
  ASSERT_GE(phi.size(), 10u);
  // Patient data visible with `tshark -qz follow,tcp,ascii,0` in the tapirx HL7 captures.
  for (const char* s : {"MOUSE", "MICKEY", "MINNIE", "Main St", "939-5555", "ohtoodles", "Disney", "Hazel",
                        "Selenium", "Penicillin", "Cat dander", "135769", "19281118", "CREATININE", "LIPID"}) {
    phi.emplace_back(s);
  }
  std::vector<std::string> captures{test::repo_file("tests/fixtures/lab/hospital-lab.pcap")};
  for (const char* name : {"tapirx_HL7-ADT.pcap", "tapirx_HL7-ORM.pcap", "tapirxl_ct_to_pacs_scenario.pcap"}) {
    if (std::filesystem::exists(test::shared_pcap(name))) captures.push_back(test::shared_pcap(name));
  }
  for (const auto& path : captures) {
    WW_REQUIRE_FILE(path);
    const Inventory inv = test::run_capture(path);
    std::size_t checked = 0;
    for (const auto& a : inv.assets) {
      for (const auto& o : a.observations) {
        ++checked;
        for (const auto& s : phi) {
          EXPECT_FALSE(contains_ci(o.value, s)) << path << ": " << o.key << "=" << o.value << " holds " << s;
          EXPECT_FALSE(contains_ci(o.key, s)) << path << ": " << o.key;
        }
      }
    }
    EXPECT_GT(checked, 0u) << path;
  }
}

}  // namespace
}  // namespace ww
