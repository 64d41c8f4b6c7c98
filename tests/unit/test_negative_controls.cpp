// Negative controls: a parser must say nothing about traffic that is not its protocol. Each row reads one of
// the project's own captures (real software in network namespaces: tests/fixtures/identity and
// tests/fixtures/lab, tests/fixtures/clinical) with that protocol's packets filtered out, and requires that no fact under the
// parser's prefixes appears. Every other protocol in the capture is the control: a parser that misfires on
// DHCP, SNMP, TLS, HL7, DICOM, ASTM, mDNS, LLDP/CDP, WSD, NetBIOS, SSDP/UPnP, syslog, NTP or SSH traffic fails
// here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/run_capture.hpp"

namespace ww {
namespace {

enum class Lab { identity, hospital, clinical, clinical_web };

struct Control {
  const char* name;                   // test name suffix
  std::vector<std::string> prefixes;  // fact key prefixes that must not appear
  Lab lab;
  const char* filter;  // BPF: the capture without the protocol's own packets ("" = the whole capture)
};

std::string capture_of(Lab lab) {
  switch (lab) {
    case Lab::identity: return test::identity_lab_pcap();
    case Lab::hospital: return test::hospital_lab_pcap();
    case Lab::clinical: return test::clinical_lab_pcap();
    case Lab::clinical_web: return test::clinical_web_pcap();
  }
  return {};
}

// Port lists are the labs' (tests/fixtures/identity/README.md, tests/fixtures/lab/README.md).
const std::vector<Control> kControls = {
    {"AstmIdentityLab", {"astm."}, Lab::identity, ""},
    {"AstmHospitalLab", {"astm."}, Lab::hospital, ""},
    {"AstmClinicalLabWithoutAstm", {"astm."}, Lab::clinical, "not (tcp port 5000 or tcp port 15300)"},
    // The stream parsers that probe by content, on nothing but ASTM.
    {"StreamParsersOnAstm", {"hl7.", "dicom.", "http.", "tls.", "modbus.", "smb.", "banner.", "syslog.", "dns."},
     Lab::clinical, ""},
    // FHIR and DICOMweb: no API code, FHIR version or DPWS fact from the other labs' HTTP (curl, python,
    // wsdd, UPnP), and none from the web capture once its HTTP is gone.
    {"ClinicalApisIdentityLab", {"http.api_", "http.fhir_version", "dpws."}, Lab::identity, ""},
    {"ClinicalApisHospitalLab", {"http.api_", "http.fhir_version", "dpws."}, Lab::hospital, ""},
    {"HttpClinicalWebWithoutHttp", {"http.", "upnp.", "dpws."}, Lab::clinical_web,
     "not (tcp port 8042 or tcp port 8080)"},
    {"DicomClinicalWebWithoutDicom", {"dicom."}, Lab::clinical_web, "not tcp port 4242"},
    {"StreamParsersOnClinicalWeb", {"hl7.", "astm.", "tls.", "modbus.", "smb.", "banner.", "syslog."},
     Lab::clinical_web, ""},
    {"SdcIdentityLab", {"sdc."}, Lab::identity, ""},
    // Philips IntelliVue Data Export (UDP 24005/24105): none of the labs holds it, so every datagram of every
    // lab is a control.
    {"IntellivueIdentityLab", {"intellivue."}, Lab::identity, ""},
    {"IntellivueHospitalLab", {"intellivue."}, Lab::hospital, ""},
    {"IntellivueClinicalLab", {"intellivue."}, Lab::clinical, ""},
    {"IntellivueClinicalWeb", {"intellivue."}, Lab::clinical_web, ""},
    {"CarescapeIdentityLab", {"carescape."}, Lab::identity, ""},
    {"CarescapeHospitalLab", {"carescape."}, Lab::hospital, ""},
    {"CarescapeClinicalLab", {"carescape."}, Lab::clinical, ""},
    {"CarescapeClinicalWeb", {"carescape."}, Lab::clinical_web, ""},
    {"Poct1IdentityLab", {"poct1."}, Lab::identity, ""},
    {"Poct1HospitalLab", {"poct1."}, Lab::hospital, ""},
    {"Poct1ClinicalLab", {"poct1."}, Lab::clinical, ""},
    {"Poct1ClinicalWeb", {"poct1."}, Lab::clinical_web, ""},
    {"BacnetIdentityLab", {"bacnet."}, Lab::identity, ""},
    {"BacnetHospitalLab", {"bacnet."}, Lab::hospital, ""},
    {"ModbusIdentityLab", {"modbus."}, Lab::identity, ""},
    {"ModbusHospitalLab", {"modbus."}, Lab::hospital, ""},
    {"SmbIdentityLab", {"smb."}, Lab::identity, ""},
    {"SmbHospitalLab", {"smb."}, Lab::hospital, ""},
    {"BannersIdentityLabWithoutSsh", {"ssh.", "ftp.", "smtp.", "telnet."}, Lab::identity, "not tcp port 22"},
    {"BannersHospitalLab", {"ssh.", "ftp.", "smtp.", "telnet."}, Lab::hospital, ""},
    {"CdpIdentityLabWithoutCdp", {"cdp."}, Lab::identity, "not ether dst 01:00:0c:cc:cc:cc"},
    {"LldpIdentityLabWithoutLldp", {"lldp."}, Lab::identity, "not ether proto 0x88cc"},
    {"DhcpIdentityLabWithoutDhcp", {"dhcp."}, Lab::identity, "not (udp port 67 or udp port 68)"},
    {"DhcpHospitalLabWithoutDhcp", {"dhcp."}, Lab::hospital, "not (udp port 67 or udp port 68)"},
    {"Dhcpv6IdentityLabWithoutDhcpv6", {"dhcpv6."}, Lab::identity, "not (udp port 546 or udp port 547)"},
    {"Dhcpv6HospitalLab", {"dhcpv6."}, Lab::hospital, ""},
    {"DicomIdentityLab", {"dicom."}, Lab::identity, ""},
    {"DicomHospitalLabWithoutDicom", {"dicom."}, Lab::hospital,
     "not (tcp port 104 or tcp port 11112 or tcp port 4242 or tcp port 4006 or tcp port 11113)"},
    {"DnsIdentityLabWithoutDns", {"dns.", "mdns.", "llmnr."}, Lab::identity,
     "not (udp port 53 or udp port 5353 or udp port 5355)"},
    {"DnsHospitalLab", {"dns.", "mdns.", "llmnr."}, Lab::hospital, ""},
    {"Hl7IdentityLab", {"hl7."}, Lab::identity, ""},
    {"Hl7HospitalLabWithoutHl7", {"hl7."}, Lab::hospital, "not tcp port 2575"},
    {"HttpIdentityLabWithoutHttp", {"http.", "upnp."}, Lab::identity,
     "not (tcp port 8080 or tcp port 5000 or tcp port 5357)"},
    {"HttpHospitalLab", {"http.", "upnp."}, Lab::hospital, ""},
    {"NbnsIdentityLabWithoutNbns", {"nbns."}, Lab::identity, "not udp port 137"},
    {"BrowserIdentityLabWithoutDatagrams", {"browser."}, Lab::identity, "not udp port 138"},
    {"NtpIdentityLabWithoutNtp", {"ntp."}, Lab::identity, "not udp port 123"},
    {"SnmpIdentityLabWithoutSnmp", {"snmp."}, Lab::identity, "not udp port 161"},
    {"SnmpHospitalLab", {"snmp."}, Lab::hospital, ""},
    {"SsdpIdentityLabWithoutSsdp", {"ssdp."}, Lab::identity, "not udp port 1900"},
    {"SyslogIdentityLabWithoutSyslog", {"syslog."}, Lab::identity, "not udp port 514"},
    {"SyslogHospitalLab", {"syslog."}, Lab::hospital, ""},
    {"TlsIdentityLabWithoutTls", {"tls."}, Lab::identity, "not tcp port 443"},
    {"TlsHospitalLab", {"tls."}, Lab::hospital, ""},
    {"WsdIdentityLabWithoutWsd", {"wsd."}, Lab::identity, "not (udp port 3702 or tcp port 5357)"},
    {"WsdHospitalLab", {"wsd."}, Lab::hospital, ""},
};

class NegativeControl : public ::testing::TestWithParam<Control> {};

TEST_P(NegativeControl, NoFactsOutsideTheProtocol) {
  const Control& c = GetParam();
  const Inventory inv = test::run_capture(capture_of(c.lab), Limits{}, c.filter);
  ASSERT_FALSE(inv.assets.empty()) << "the filter left nothing to read: " << c.filter;
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) {
      for (const auto& prefix : c.prefixes) {
        EXPECT_NE(o.key.rfind(prefix, 0), 0u) << a.id << " " << o.key << "=" << o.value;
      }
    }
  }
}

// A row that filters its protocol out must be about a protocol the capture holds: read whole, the capture
// yields that parser's facts (so the filter, not an absent protocol, is what the control rests on).
class FilteredOut : public ::testing::TestWithParam<Control> {};

TEST_P(FilteredOut, TheProtocolIsInTheWholeCapture) {
  const Control& c = GetParam();
  const Inventory inv = test::run_capture(capture_of(c.lab));
  bool found = false;
  for (const auto& a : inv.assets) {
    for (const auto& o : a.observations) found |= o.key.rfind(c.prefixes.front(), 0) == 0;
  }
  EXPECT_TRUE(found) << "no " << c.prefixes.front() << "* fact in the whole capture";
}

std::vector<Control> filtered_controls() {
  std::vector<Control> out;
  for (const auto& c : kControls) {
    if (!std::string(c.filter).empty()) out.push_back(c);
  }
  return out;
}

std::string control_name(const ::testing::TestParamInfo<Control>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(LabCaptures, NegativeControl, ::testing::ValuesIn(kControls), control_name);
INSTANTIATE_TEST_SUITE_P(LabCaptures, FilteredOut, ::testing::ValuesIn(filtered_controls()), control_name);

}  // namespace
}  // namespace ww
