#include <sstream>

#include "reports/csv.hpp"
#include "reports/report.hpp"

namespace ww {
namespace {

template <typename Range, typename Fn>
std::string join(const Range& r, Fn fn) {
  std::string out;
  for (const auto& x : r) {
    if (!out.empty()) out += ';';
    out += fn(x);
  }
  return out;
}

}  // namespace

void write_csv(const Inventory& inv, std::ostream& out) {
  out << "id,mac,ips,vendor,locally_administered,router,beyond_router,first_seen,last_seen,packets_sent,"
         "packets_received,bytes_sent,bytes_received,vlans,services_offered,services_used,peer_count,"
         "observations,category,device_type,classified_vendor,model,firmware,os,modality,confidence,crown_jewel\r\n";
  for (const auto& a : inv.assets) {
    const auto svc = [](const ServiceView& s) { return s.proto + "/" + std::to_string(s.port); };
    std::ostringstream row;
    row << csv_field(a.id) << ',' << csv_field(a.mac.value_or("")) << ','
        << csv_field(join(a.addresses, [](const AddressView& x) { return x.ip; })) << ','
        << csv_field(a.vendor.value_or("")) << ',' << (a.locally_administered ? "true" : "false") << ','
        << (a.router ? "true" : "false") << ',' << (a.beyond_router ? "true" : "false") << ','
        << format_timestamp(a.first_us) << ',' << format_timestamp(a.last_us) << ',' << a.packets_sent << ','
        << a.packets_received << ',' << a.bytes_sent << ',' << a.bytes_received << ','
        << csv_field(join(a.vlans, [](std::uint16_t v) { return std::to_string(v); })) << ','
        << csv_field(join(a.offered, svc)) << ',' << csv_field(join(a.used, svc)) << ',' << a.peer_count << ','
        << csv_field(join(a.observations, [](const ObservationView& o) { return o.key + "=" + o.value; }));
    const auto attr = [&](const char* name) {
      auto it = a.classification.attributes.find(name);
      return it == a.classification.attributes.end() ? std::string() : it->second;
    };
    row << ',' << csv_field(a.classification.category);
    for (const char* name : {"device_type", "vendor", "model", "firmware", "os", "modality"}) row << ',' << csv_field(attr(name));
    row << ',' << a.classification.confidence << ',' << csv_field(a.crown_jewel ? a.crown_jewel->kind : "");
    out << row.str() << "\r\n";
  }
}

}  // namespace ww
