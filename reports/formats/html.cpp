// The report as one self-contained HTML file (docs/reports.md): a summary with charts, the supply chain, a
// sortable and filterable device table, and a section per device with its evidence.
//
// Self-contained and inert: no request leaves the page (inline CSS, JS and SVG only, and a
// Content-Security-Policy that forbids loading anything), and every text that came from the wire is
// HTML-escaped where it is written, so a device that names itself "<script>" shows that text and runs
// nothing. The table is rendered here, not by script: the page reads without JavaScript, and the script only
// sorts and filters rows that are already there.
#include <algorithm>
#include <map>
#include <sstream>

#include "reports/cmdb_report.hpp"
#include "reports/communication_map.hpp"
#include "reports/graphviz.hpp"
#include "reports/findings_report.hpp"
#include "reports/report.hpp"
#include "reports/report_format.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

// HTML text and attribute values (HTML Living Standard, 13.1.4: & < > " ' are the characters that can end
// or open markup in both places).
std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string esc(const std::string& text) { return esc(std::string_view(text)); }
std::string esc(const std::optional<std::string>& text) { return text ? esc(std::string_view(*text)) : std::string(); }

// Anchor of a device's section: its position, so that no wire text ever lands in an id or a URL.
std::string anchor(std::size_t index) { return "d" + std::to_string(index); }

constexpr std::string_view kStyle = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.85}main{padding:16px 24px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #dde1e6;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
#assets th{cursor:pointer;user-select:none;background:#f0f2f5;position:sticky;top:0}
#assets th[data-dir=asc]::after{content:" \25B2"}#assets th[data-dir=desc]::after{content:" \25BC"}
tr.medical td:first-child{border-left:4px solid #c0392b}.jewel{color:#8e44ad;font-weight:600}
input#filter{width:320px;padding:4px 8px;margin:0 8px 8px 0}.device{display:none}.device:target{display:block}
code{font-size:12px;word-break:break-all}.muted{color:#6b7280}
.sev-critical,.sev-high{color:#c0392b;font-weight:600}.sev-medium{color:#b9770e;font-weight:600}
.map{overflow:auto;max-height:80vh;border:1px solid #eceff3}.map svg{max-width:none;height:auto}
.note{background:#fff8e1;border-left:4px solid #b9770e;padding:6px 10px}
)css";

// Sorts the device table by the clicked column and filters it by the text typed (or by #filter=TEXT in
// the address, so that a link or a test can open the page filtered).
constexpr std::string_view kScript = R"js(
(function () {
  var table = document.getElementById('assets');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var input = document.getElementById('filter');
  var shown = document.getElementById('shown');
  function apply(query) {
    var q = query.trim().toLowerCase(), n = 0;
    rows.forEach(function (r, i) { var show = !q || text[i].indexOf(q) >= 0; r.hidden = !show; if (show) n++; });
    shown.textContent = String(n);
  }
  input.addEventListener('input', function () { apply(input.value); });
  table.tHead.addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (!th) return;
    var col = th.cellIndex, dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute('data-dir'); });
    th.setAttribute('data-dir', dir);
    var key = function (r) { var c = r.cells[col]; return c.getAttribute('data-sort') || c.textContent; };
    rows.slice().sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (dir === 'asc' ? 1 : -1);
    }).forEach(function (r) { body.appendChild(r); });
  });
  var m = /^#filter=(.*)$/.exec(location.hash);
  if (m) { input.value = decodeURIComponent(m[1]); apply(input.value); }
})();
)js";

// A horizontal bar chart as inline SVG: one bar per (label, count), widest first.
void bar_chart(std::ostream& out, const std::vector<std::pair<std::string, std::size_t>>& bars, std::string_view what) {
  std::size_t top = 1;
  for (const auto& [_, n] : bars) top = std::max(top, n);
  const int row = 22, width = 560, label = 190;
  out << "<svg role=\"img\" aria-label=\"" << esc(what) << "\" width=\"" << width << "\" height=\""
      << row * static_cast<int>(bars.size()) + 4 << "\" xmlns=\"http://www.w3.org/2000/svg\">";
  int y = 2;
  for (const auto& [name, n] : bars) {
    const int w = static_cast<int>((width - label - 60) * n / top);
    out << "<text x=\"0\" y=\"" << y + 15 << "\" font-size=\"13\">" << esc(name) << "</text><rect x=\"" << label
        << "\" y=\"" << y + 3 << "\" width=\"" << std::max(w, 1) << "\" height=\"15\" fill=\""
        << (is_medical_category(name) || name == "critical" || name == "high" ? "#c0392b" : "#3b6ea5") << "\"/><text x=\"" << label + w + 6 << "\" y=\"" << y + 15
        << "\" font-size=\"13\">" << n << "</text>";
    y += row;
  }
  out << "</svg>";
}

void summary_section(std::ostream& out, const std::vector<AssetSummary>& assets, const CmdbComparison* cmdb,
                     const std::vector<Finding>* findings) {
  std::map<std::string, std::size_t> by_category;
  std::size_t medical = 0, jewels = 0, with_vendor = 0, with_firmware = 0;
  for (const auto& s : assets) {
    ++by_category[s.category];
    medical += s.medical ? 1 : 0;
    jewels += s.crown_jewel ? 1 : 0;
    with_vendor += s.vendor ? 1 : 0;
    with_firmware += s.firmware ? 1 : 0;
  }
  out << "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  for (const auto& [label, n] : {std::pair{"devices", assets.size()}, {"medical devices", medical}, {"crown jewels", jewels},
                                 {"with a vendor", with_vendor}, {"with firmware", with_firmware}}) {
    out << "<div class=\"card\"><b>" << n << "</b>" << label << "</div>";
  }
  if (findings) {
    out << "<div class=\"card\"><b>" << findings->size() << "</b>findings</div>";
  }
  if (cmdb) {
    const CmdbCounts& c = cmdb->counts;
    for (const auto& [label, n] : {std::pair{"managed (in the CMDB)", c.managed}, {"unmanaged", c.unmanaged},
                                   {"mismatched", c.mismatched}, {"CMDB entries not seen", c.stale}}) {
      out << "<div class=\"card\"><b>" << n << "</b>" << label << "</div>";
    }
  }
  out << "</div><h2 style=\"margin-top:12px\">Devices by category</h2>";
  std::vector<std::pair<std::string, std::size_t>> bars(by_category.begin(), by_category.end());
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  bar_chart(out, bars, "devices by category");
  out << "</section>\n";
}

// Findings by severity (a chart), then each finding with its devices, evidence and references.
void findings_section(std::ostream& out, const Inventory& inv, const std::map<std::string, std::size_t>& anchors) {
  out << "<section id=\"findings\"><h2>Findings</h2>";
  std::vector<std::pair<std::string, std::size_t>> bars;
  for (const char* severity : kSeverities) bars.emplace_back(severity, findings_by_severity(inv).at(severity));
  bar_chart(out, bars, "findings by severity");
  out << "<p class=\"muted\">Evidence for an auditor, from what the wire shows: not a verdict of compliance.</p>";
  out << "<table><thead><tr><th>severity</th><th>finding</th><th>devices</th><th>references</th></tr></thead><tbody>";
  for (const Finding& f : inv.findings) {
    std::string devices, refs;
    for (const auto& id : f.assets) {
      const auto it = anchors.find(id);
      devices += it == anchors.end() ? esc(id) + " " : "<a href=\"#d" + std::to_string(it->second) + "\">" + esc(id) + "</a> ";
    }
    for (const auto& r : f.references) refs += esc(r) + " ";
    out << "<tr><td class=\"sev-" << esc(f.severity) << "\">" << esc(f.severity) << "</td><td><b>" << esc(f.title)
        << "</b> <code>" << esc(f.id) << "</code><br><span class=\"muted\">" << esc(f.description) << "</span><br>"
        << "<i>Remediation:</i> " << esc(f.remediation) << "</td><td>" << devices << "</td><td>" << refs << "</td></tr>";
  }
  out << "</tbody></table></section>\n";
}

// Per framework control: the findings that refer to it and what the inventory itself shows.
void gap_section(std::ostream& out, const Inventory& inv) {
  out << "<section id=\"gap-analysis\"><h2>Gap analysis (evidence per control)</h2><table><thead><tr><th>control</th>"
         "<th>title</th><th>findings</th><th>devices concerned</th><th>the inventory shows</th></tr></thead><tbody>";
  for (const ControlView& v : gap_analysis(inv)) {
    std::string findings, shows;
    for (const Finding* f : v.findings) findings += "<code>" + esc(f->id) + "</code> ";
    for (const auto& [label, value] : v.inventory_evidence) shows += esc(label) + ": " + esc(value) + "<br>";
    out << "<tr><td>" << esc(v.control->id) << (v.control->key_measure ? " <b>(key measure)</b>" : "") << "</td><td>"
        << esc(v.control->title) << "</td><td>" << findings << "</td><td>" << v.affected_assets << "</td><td>" << shows
        << "</td></tr>";
  }
  out << "</tbody></table></section>\n";
}

void supply_chain_section(std::ostream& out, const Inventory& inv) {
  out << "<section id=\"supply-chain\"><h2>Supply chain</h2><table><thead><tr><th>vendor</th><th>model</th>"
         "<th>firmware</th><th>devices</th></tr></thead><tbody>";
  for (const VendorRollup& v : supply_chain(inv)) {
    for (const ModelRollup& m : v.models) {
      for (const FirmwareRollup& f : m.firmware) {
        out << "<tr><td>" << esc(v.vendor) << "</td><td>" << (m.model.empty() ? "<span class=\"muted\">—</span>" : esc(m.model))
            << "</td><td>" << (f.version.empty() ? "<span class=\"muted\">—</span>" : esc(f.version)) << "</td><td>"
            << f.assets.size() << "</td></tr>";
      }
    }
  }
  out << "</tbody></table></section>\n";
}

void asset_table(std::ostream& out, const std::vector<AssetSummary>& assets, const CmdbComparison* cmdb) {
  out << "<section id=\"devices\"><h2>Devices</h2><input id=\"filter\" type=\"search\" "
         "placeholder=\"filter: any text in a row\" aria-label=\"filter devices\"><span class=\"muted\">"
         "<span id=\"shown\">"
      << assets.size() << "</span> of " << assets.size()
      << " shown</span><table id=\"assets\"><thead><tr><th>name</th><th>MAC</th><th>IP addresses</th><th>category</th>"
         "<th>vendor</th><th>model</th><th>firmware</th><th>OS</th><th>crown jewel</th><th>last seen</th>"
      << (cmdb ? "<th>CMDB</th>" : "") << "</tr></thead><tbody>";
  for (std::size_t i = 0; i < assets.size(); ++i) {
    const AssetSummary& s = assets[i];
    const AssetView& a = *s.asset;
    std::string ips;
    for (const auto& ip : s.ips) ips += (ips.empty() ? "" : " ") + ip;
    out << "<tr" << (s.medical ? " class=\"medical\"" : "") << "><td><a href=\"#" << anchor(i) << "\">"
        << esc(s.display_name) << "</a></td><td>" << esc(a.mac) << "</td><td>" << esc(ips) << "</td><td>"
        << esc(s.category) << "</td><td>" << esc(s.vendor) << "</td><td>" << esc(s.model) << "</td><td>"
        << esc(s.firmware) << "</td><td>" << esc(s.os) << "</td><td class=\"jewel\">" << esc(s.crown_jewel)
        << "</td><td>" << format_timestamp(a.last_us) << "</td>";
    if (cmdb) {
      const AssetCmdbResult* r = cmdb_result_for(cmdb, a);
      out << "<td>" << (r ? esc(std::string(management_name(r->management))) : std::string()) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></section>\n";
}

void evidence_table(std::ostream& out, const Classification& c) {
  if (c.evidence.empty()) return;
  out << "<h3>Why</h3><table><thead><tr><th>claim</th><th>rule</th><th>facts</th><th>source</th></tr></thead><tbody>";
  for (const ClaimEvidence& e : c.evidence) {
    for (const RuleEvidence& r : e.rules) {
      std::string facts;
      for (const auto& f : r.facts) facts += esc(f) + "<br>";
      out << "<tr><td>" << esc(e.attribute) << " = " << esc(e.value) << "</td><td><code>" << esc(r.rule_id)
          << "</code></td><td><code>" << facts << "</code></td><td class=\"muted\">" << esc(r.source) << "</td></tr>";
    }
  }
  out << "</tbody></table>";
}

std::string bytes_text(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  std::ostringstream out;
  out.precision(u == 0 ? 0 : 1);
  out << std::fixed << v << " " << kUnits[u];
  return out.str();
}

// Conversations listed per device, most bytes first; the rest are in the JSON and the database.
constexpr std::size_t kDeviceConversations = 30;
// Contacts listed per crown jewel in the map's table.
constexpr std::size_t kJewelContactRows = 200;

void conversations_table(std::ostream& out, const AssetView& a, const std::map<std::string, std::size_t>& anchor_of_ip) {
  if (a.conversations.empty()) return;
  std::vector<const ConversationView*> top;
  for (const auto& c : a.conversations) top.push_back(&c);
  std::stable_sort(top.begin(), top.end(), [](const ConversationView* x, const ConversationView* y) {
    return x->bytes_sent + x->bytes_received > y->bytes_sent + y->bytes_received;
  });
  const std::size_t shown = std::min(top.size(), kDeviceConversations);
  out << "<h3>Conversations</h3><table><thead><tr><th>peer</th><th>service</th><th>role</th><th>application</th>"
         "<th>packets sent / received</th><th>bytes sent / received</th><th>last seen</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < shown; ++i) {
    const ConversationView& c = *top[i];
    const auto it = anchor_of_ip.find(c.peer);
    const std::string peer = it == anchor_of_ip.end() ? esc(c.peer) : "<a href=\"#" + anchor(it->second) + "\">" + esc(c.peer) + "</a>";
    out << "<tr><td>" << peer << "</td><td>" << esc(c.proto) << (c.proto.empty() ? "" : "/" + std::to_string(c.port))
        << "</td><td>" << esc(c.role) << "</td><td>" << esc(c.app) << "</td><td>" << c.packets_sent << " / "
        << c.packets_received << "</td><td>" << bytes_text(c.bytes_sent) << " / " << bytes_text(c.bytes_received)
        << "</td><td>" << (c.last_us ? format_timestamp(c.last_us) : "") << "</td></tr>";
  }
  out << "</tbody></table>";
  if (top.size() > shown) {
    out << "<p class=\"muted\">" << top.size() - shown << " more conversations (fewer bytes) are in the JSON export "
           "and the database's conversations table.</p>";
  }
}

// The communication map: Graphviz's picture when dot is installed (else a note), then every crown jewel's
// contacts as a table, which needs nothing.
void map_section(std::ostream& out, const ReportContext& ctx, const std::map<std::string, std::size_t>& anchors,
                 const std::map<std::string, std::size_t>& anchor_of_ip) {
  out << "<section id=\"map\"><h2>Communication map</h2><p class=\"muted\">Clinical interfaces (HL7 v2 links, DICOM "
         "associations) and the crown jewels with the devices that talk to them. <code>wardwatch report --format "
         "dot</code> writes the same graph.</p>";
  const SvgResult picture = render_svg(communication_map_dot(ctx));
  if (picture.svg) {
    out << "<div class=\"map\">" << *picture.svg << "</div>";
  } else {
    out << "<p class=\"note\">No picture of the map: " << esc(picture.why_not) << ".</p>";
  }
  const auto jewels = crown_jewel_contacts(ctx.inventory, kJewelContactRows);
  out << "<h3>Crown jewels and who talks to them</h3><table><thead><tr><th>crown jewel</th><th>peer</th><th>device</th>"
         "<th>service</th><th>jewel is</th><th>packets</th><th>bytes</th><th>last seen</th></tr></thead><tbody>";
  for (const JewelContacts& j : jewels) {
    const auto at = anchors.find(j.jewel->id);
    const std::string jewel = "<a href=\"#" + anchor(at == anchors.end() ? 0 : at->second) + "\">" +
                              esc(summarize(*j.jewel).display_name) + "</a> <span class=\"muted\">" +
                              esc(j.jewel->crown_jewel->kind) + "</span>";
    if (j.contacts.empty()) out << "<tr><td>" << jewel << "</td><td colspan=\"7\" class=\"muted\">no conversation seen</td></tr>";
    for (const JewelContact& c : j.contacts) {
      const auto it = anchor_of_ip.find(c.peer_ip);
      const std::string device = c.peer ? (it == anchor_of_ip.end() ? esc(c.peer->id)
                                                                    : "<a href=\"#" + anchor(it->second) + "\">" +
                                                                          esc(summarize(*c.peer).display_name) + "</a>")
                                        : "<span class=\"muted\">not in the inventory</span>";
      out << "<tr><td>" << jewel << "</td><td>" << esc(c.peer_ip) << "</td><td>" << device << "</td><td>"
          << esc(c.service) << "</td><td>" << (c.jewel_serves ? "server" : "client") << "</td><td>" << c.packets
          << "</td><td>" << bytes_text(c.bytes) << "</td><td>" << (c.last_us ? format_timestamp(c.last_us) : "")
          << "</td></tr>";
    }
    if (j.more > 0) out << "<tr><td>" << jewel << "</td><td colspan=\"7\" class=\"muted\">" << j.more << " more contacts</td></tr>";
  }
  out << "</tbody></table></section>\n";
}

void device_section(std::ostream& out, const AssetSummary& s, std::size_t index, const CmdbComparison* cmdb,
                    const std::map<std::string, std::vector<std::string>>& findings,
                    const std::map<std::string, std::size_t>& anchor_of_ip) {
  const AssetView& a = *s.asset;
  out << "<section class=\"device\" id=\"" << anchor(index) << "\"><h2>" << esc(s.display_name) << " <span class=\"muted\">"
      << esc(a.id) << "</span></h2><table><tbody>";
  const auto row = [&](const char* label, const std::string& html) {
    if (!html.empty()) out << "<tr><th>" << label << "</th><td>" << html << "</td></tr>";
  };
  std::string ips, services;
  for (const auto& ip : s.ips) ips += esc(ip) + " ";
  for (const auto& svc : a.offered) services += esc(svc.proto) + "/" + std::to_string(svc.port) + " ";
  row("category", esc(s.category));
  row("device type", esc(s.device_type));
  row("vendor", esc(s.vendor));
  row("model", esc(s.model));
  row("firmware", esc(s.firmware));
  row("OS", esc(s.os));
  row("role", esc(s.role));
  row("software", esc(s.software));
  row("serial number", esc(s.serial_number));
  row("NIC vendor (OUI)", esc(a.vendor));
  row("crown jewel", esc(s.crown_jewel));
  row("IP addresses", ips);
  row("services offered", services);
  row("seen", format_timestamp(a.first_us) + " – " + format_timestamp(a.last_us));
  if (const AssetCmdbResult* r = cmdb_result_for(cmdb, a)) {
    row("CMDB", esc(std::string(management_name(r->management))));
    if (r->match) {
      row("CMDB entry", esc(entry_location(*r->match->entry)) + " (" + esc(r->match->entry->name) + "), matched by " +
                            esc(std::string(match_kind_name(r->match->by))) + ": " + esc(r->match->cmdb_value));
    }
    for (const auto& m : r->mismatches) {
      row("mismatch", esc(m.attribute) + ": wire <b>" + esc(m.wire) + "</b>, CMDB <b>" + esc(m.cmdb) + "</b>");
    }
  }
  if (const auto it = findings.find(a.id); it != findings.end()) {
    std::string ids;
    for (const auto& id : it->second) ids += "<code>" + esc(id) + "</code> ";
    row("findings", ids);
  }
  out << "</tbody></table>";
  evidence_table(out, a.classification);
  if (a.crown_jewel && !a.crown_jewel->reasons.empty()) {
    out << "<h3>Crown jewel</h3><ul>";
    for (const auto& reason : a.crown_jewel->reasons) out << "<li>" << esc(reason) << "</li>";
    out << "</ul>";
  }
  conversations_table(out, a, anchor_of_ip);
  out << "<h3>Facts</h3><table><thead><tr><th>key</th><th>value</th><th>count</th><th>last seen</th></tr></thead><tbody>";
  for (const auto& o : a.observations) {
    out << "<tr><td><code>" << esc(o.key) << "</code></td><td>" << esc(o.value) << "</td><td>" << o.count << "</td><td>"
        << format_timestamp(o.last_us) << "</td></tr>";
  }
  out << "</tbody></table><p><a href=\"#devices\">back to the devices</a></p></section>\n";
}

// The CMDB entries no seen device matched (or not within the stale window).
void stale_section(std::ostream& out, const CmdbComparison& cmdb) {
  out << "<section id=\"stale\"><h2>CMDB entries not seen</h2>";
  if (!cmdb.covers_stale_window) {
    out << "<p class=\"muted\">The inventory covers less time than the stale window: \"not seen\" means not seen "
           "while the sensor listened.</p>";
  }
  out << "<table><thead><tr><th>entry</th><th>name</th><th>MAC</th><th>IP</th><th>serial</th><th>maker / model</th>"
         "<th>why</th></tr></thead><tbody>";
  for (const StaleEntry& s : cmdb.stale) {
    const CmdbEntry& e = *s.entry;
    std::string macs, ips;
    for (const auto& m : e.macs) macs += esc(m.address) + " ";
    for (const auto& ip : e.ips) ips += esc(ip) + " ";
    out << "<tr><td>" << esc(entry_location(e)) << "</td><td>" << esc(e.name) << "</td><td>" << macs << "</td><td>" << ips
        << "</td><td>" << esc(e.serial) << "</td><td>" << esc(e.manufacturer) << " " << esc(e.model) << "</td><td>"
        << esc(std::string(stale_reason_name(s.reason))) << "</td></tr>";
  }
  out << "</tbody></table></section>\n";
}

void write_html(const ReportContext& ctx, std::ostream& out) {
  const Inventory& inv = ctx.inventory;
  std::vector<AssetSummary> assets;
  assets.reserve(inv.assets.size());
  for (const auto& a : inv.assets) assets.push_back(summarize(a));
  std::string sources;
  for (const auto& s : inv.sources) sources += (sources.empty() ? "" : ", ") + s.name;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\">"
         "<meta name=\"viewport\" content=\"width=device-width\"><title>wardwatch inventory report</title><style>"
      << kStyle << "</style></head><body><header><h1>Network inventory</h1><p>wardwatch " << esc(ctx.generator_version)
      << " · report of " << format_timestamp(ctx.generated_us) << " · " << inv.assets.size() << " devices from "
      << esc(sources) << " · rules " << esc(inv.rules.version.substr(0, 19)) << "</p></header><main>\n";
  summary_section(out, assets, ctx.cmdb, inv.findings_evaluated ? &inv.findings : nullptr);
  std::map<std::string, std::size_t> anchors;
  for (std::size_t i = 0; i < assets.size(); ++i) anchors[assets[i].asset->id] = i;
  if (inv.findings_evaluated) findings_section(out, inv, anchors);
  std::map<std::string, std::size_t> anchor_of_ip;
  for (std::size_t i = 0; i < assets.size(); ++i) {
    for (const auto& ip : assets[i].ips) anchor_of_ip.emplace(ip, i);
  }
  supply_chain_section(out, inv);
  map_section(out, ctx, anchors, anchor_of_ip);
  asset_table(out, assets, ctx.cmdb);
  if (ctx.cmdb) stale_section(out, *ctx.cmdb);
  if (inv.findings_evaluated) gap_section(out, inv);
  const auto findings_of = findings_by_asset(inv);
  for (std::size_t i = 0; i < assets.size(); ++i) device_section(out, assets[i], i, ctx.cmdb, findings_of, anchor_of_ip);
  out << "</main><script>" << kScript << "</script></body></html>\n";
}

}  // namespace

ReportFormat report_format_html() {
  return {"html", "one self-contained HTML page: summary, supply chain, devices with evidence (docs/reports.md)", "html",
          &write_html};
}

}  // namespace ww
