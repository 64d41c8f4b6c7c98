// UDI carriers (parsers/support/udi.cpp): GS1 element strings and HIBCC data structures.
#include <gtest/gtest.h>

#include <string>

#include "wardwatch/udi.hpp"

namespace ww {
namespace {

TEST(Udi, Gs1HumanReadableFormOfTheFdaExample) {
  // The FDA's GUDID example carrier (GS1 AIs 01, 17, 21).
  const UdiParse p = parse_udi("(01)00643169001763(17)160712(21)21A11F4855");
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_FALSE(p.bad_check);
  EXPECT_EQ(p.udi->issuer, Udi::Issuer::gs1);
  EXPECT_EQ(p.udi->di, "00643169001763");
  EXPECT_EQ(p.udi->expiry, "2016-07-12");
  EXPECT_EQ(p.udi->serial, "21A11F4855");
  EXPECT_TRUE(p.udi->lot.empty());
  EXPECT_TRUE(p.udi->labeler.empty());
}

TEST(Udi, Gs1ElementStringWithGroupSeparatorsAndSymbologyIdentifier) {
  // ]d2 (GS1 DataMatrix), AI 11 production date with day 00 (unknown), lot ended by <GS>, then the serial.
  const UdiParse p = parse_udi("]d2010088442612345711250100" "10LOT-7\x1d" "21SN0042");
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->di, "00884426123457");
  EXPECT_EQ(p.udi->production, "2025-01");
  EXPECT_EQ(p.udi->lot, "LOT-7");
  EXPECT_EQ(p.udi->serial, "SN0042");
}

TEST(Udi, Gs1WrongCheckDigitIsFlaggedAndNotReported) {
  const UdiParse p = parse_udi("(01)00643169001764(21)X");
  EXPECT_FALSE(p.udi.has_value());
  EXPECT_TRUE(p.bad_check);
  EXPECT_TRUE(is_valid_gtin14("00643169001763"));
  EXPECT_FALSE(is_valid_gtin14("0064316900176"));
  EXPECT_FALSE(is_valid_gtin14("0064316900176X"));
}

TEST(Udi, Gs1MalformedCarriersAreNotUdis) {
  const std::string too_long_serial = "(01)00643169001763(21)" + std::string(21, 'S');
  for (const std::string& s : {std::string("(01)123"), std::string("(21)ABC"), std::string("(01)00643169001763(17)161312"),
                              too_long_serial, std::string("(1)x"), std::string("(01"), std::string("01"),
                              std::string("0112345"), std::string("(0A)00643169001763")}) {
    const UdiParse p = parse_udi(s);
    EXPECT_FALSE(p.udi.has_value()) << s;
    EXPECT_FALSE(p.bad_check) << s;
  }
  // Another AI (30: count) is passed over in the parenthesised form.
  EXPECT_TRUE(parse_udi("(01)00643169001763(30)12(21)A").udi.has_value());
}

TEST(Udi, HibccPrimaryWithTheStandardsCheckCharacterExamples) {
  // The modulus-43 examples of the HIBC Supplier Labeling Standard as scanner manuals reproduce them.
  UdiParse p = parse_udi("+A123BJC5D6E71G");
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->issuer, Udi::Issuer::hibcc);
  EXPECT_EQ(p.udi->labeler, "A123");
  EXPECT_EQ(p.udi->di, "A123BJC5D6E71");
  p = parse_udi("*+A1234BJC5D6E71K*");  // caption asterisks
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->di, "A1234BJC5D6E71");
  p = parse_udi("+A123BJC5D6E71H");
  EXPECT_FALSE(p.udi.has_value());
  EXPECT_TRUE(p.bad_check);
}

TEST(Udi, HibccSecondaryForms) {
  UdiParse p = parse_udi("+A123BJC5D6E71/$$3250630LOT42I");  // $$3: YYMMDD expiry, then the lot
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->di, "A123BJC5D6E71");
  EXPECT_EQ(p.udi->expiry, "2025-06-30");
  EXPECT_EQ(p.udi->lot, "LOT42");
  p = parse_udi("+H123PUMP8000/$+SN0099/16D202401158");  // $+ serial, 16D manufacture date
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->labeler, "H123");
  EXPECT_EQ(p.udi->serial, "SN0099");
  EXPECT_EQ(p.udi->production, "2024-01-15");
  p = parse_udi("+H123PUMP8000/$$0627LOT71");  // $$ MMYY expiry
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->expiry, "2027-06");
  EXPECT_EQ(p.udi->lot, "LOT7");
  p = parse_udi("+H123PUMP8000/25180B12T");  // YYJJJ then the lot
  ASSERT_TRUE(p.udi.has_value());
  EXPECT_EQ(p.udi->expiry, "2025-06-29");
  EXPECT_EQ(p.udi->lot, "B12");
}

TEST(Udi, HibccShapesThatAreNotPrimaries) {
  for (const char* s : {"+$$3250630LOT42X", "+1234", "+a123BJC5D6E71G", "+A123BJC5D6E7XG", "+A12#BJC5D6E71G",
                        "+A1", "+"}) {
    EXPECT_FALSE(parse_udi(s).udi.has_value()) << s;
  }
  EXPECT_FALSE(parse_udi("").udi.has_value());
  EXPECT_FALSE(parse_udi("MX450-SN7788").udi.has_value());
  EXPECT_FALSE(parse_udi("0009FBFFFE123456").udi.has_value());
}

}  // namespace
}  // namespace ww
