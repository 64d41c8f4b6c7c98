#include "reports/communication_map.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "reports/report.hpp"
#include "reports/report_model.hpp"

namespace ww {
namespace {

// DOT language: a quoted string may hold any character but an unescaped '"'; '\' starts an escape, so it is
// doubled too, and a line break would end the statement.
std::string dot_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\r') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + '"';
}

// "EPIC@GENHOSP -> CLOVERLEAF@LAB ADT^A01 port 2575" (parsers/hl7.cpp): from, to, message type, port.
struct Hl7Link {
  std::string from, to, message_type, port;
};

std::optional<Hl7Link> parse_hl7_link(std::string_view v) {
  const auto arrow = v.find(" -> ");
  if (arrow == std::string_view::npos) return std::nullopt;
  Hl7Link link;
  link.from = std::string(v.substr(0, arrow));
  std::string_view rest = v.substr(arrow + 4);
  const auto port_at = rest.rfind(" port ");
  if (port_at != std::string_view::npos) {
    link.port = std::string(rest.substr(port_at + 6));
    rest = rest.substr(0, port_at);
  }
  const auto space = rest.find(' ');
  link.to = std::string(rest.substr(0, space));
  if (space != std::string_view::npos) link.message_type = std::string(rest.substr(space + 1));
  return link;
}

struct Edge {
  std::set<std::string> labels;
};

struct Graph {
  std::map<std::string, std::set<std::string>> node_devices;  // endpoint -> devices holding it
  std::set<std::string> jewel_nodes;
  std::map<std::pair<std::string, std::string>, Edge> edges;
};

// A device's name on the map: its host name, else its maker and model, else its software, else its id; then
// its first address.
std::string device_label(const AssetSummary& s) {
  std::string label = s.display_name;
  if (label == s.asset->id && s.model) {
    label = (s.vendor ? *s.vendor + " " : "") + *s.model;
  } else if (label == s.asset->id && s.software) {
    label = *s.software;
  }
  if (!s.ips.empty() && s.ips.front() != label) label += " " + s.ips.front();
  return label;
}

void add_hl7(Graph& g, const AssetSummary& s) {
  for (const auto& o : s.asset->observations) {
    if (o.key != "hl7.link") continue;
    const auto link = parse_hl7_link(o.value);
    if (!link) continue;
    g.node_devices[link->from].insert(device_label(s));
    if (s.crown_jewel) g.jewel_nodes.insert(link->from);
    // An acknowledgement runs back along its message's link: the message's edge already shows it.
    if (link->message_type.rfind("ACK", 0) == 0) continue;
    g.node_devices[link->to];
    g.edges[{link->from, link->to}].labels.insert(link->message_type + (link->port.empty() ? "" : " tcp/" + link->port));
  }
}

void add_dicom(Graph& g, const AssetSummary& s) {
  std::set<std::string> own_titles;
  for (const auto& o : s.asset->observations) {
    if (o.key == "dicom.ae_title") own_titles.insert(o.value);
  }
  for (const auto& title : own_titles) {
    g.node_devices["AE " + title].insert(device_label(s));
    if (s.crown_jewel) g.jewel_nodes.insert("AE " + title);
  }
  for (const auto& o : s.asset->observations) {
    if (o.key != "dicom.association") continue;
    const auto arrow = o.value.find("->");
    if (arrow == std::string::npos) continue;
    const std::string from = "AE " + o.value.substr(0, arrow), to = "AE " + o.value.substr(arrow + 2);
    g.node_devices[from];
    g.node_devices[to];
    g.edges[{from, to}].labels.insert("DICOM");
  }
}

std::string service_label(const ConversationView& c) {
  if (c.proto.empty()) return "unknown service";  // carried over from a schema-4 database: the peer only
  return (c.app.empty() ? "" : c.app + " ") + c.proto + "/" + std::to_string(c.port);
}

// Adds the crown jewels and their contacts to the graph, as their own cluster (ids "cjN" and "pN": no wire
// name can take them — interface nodes are "AE ..." or "app@facility").
void write_jewels(std::ostream& out, const std::vector<JewelContacts>& jewels) {
  std::map<std::string, std::string> node_of_ip;  // every address of a drawn jewel, then of each contact
  std::size_t n = 0;
  out << "  subgraph cluster_jewels {\n    label=\"Crown jewels and who talks to them\";\n    fontname=Helvetica;\n";
  for (const JewelContacts& j : jewels) {
    const AssetSummary s = summarize(*j.jewel);
    const std::string id = "cj" + std::to_string(++n);
    for (const auto& ip : s.ips) node_of_ip.emplace(ip, id);
    out << "    " << dot_string(id) << " [label=" << dot_string(device_label(s) + "\n" + j.jewel->crown_jewel->kind)
        << ", style=\"rounded,filled\", fillcolor=\"#f3e5f5\", penwidth=2];\n";
  }
  std::map<std::pair<std::string, std::string>, std::set<std::string>> edges;
  std::size_t peers = 0;
  for (std::size_t i = 0; i < jewels.size(); ++i) {
    const std::string jewel_id = "cj" + std::to_string(i + 1);
    for (const JewelContact& c : jewels[i].contacts) {
      auto [it, added] = node_of_ip.try_emplace(c.peer_ip, "p" + std::to_string(peers + 1));
      if (added) {
        ++peers;
        const std::string label =
            c.peer ? device_label(summarize(*c.peer)) : c.peer_ip + "\n(not in the inventory)";
        out << "    " << dot_string(it->second) << " [label=" << dot_string(label) << "];\n";
      }
      const auto ends = c.jewel_serves ? std::pair(it->second, jewel_id) : std::pair(jewel_id, it->second);
      edges[ends].insert(c.service + ", " + std::to_string(c.packets) + " packets");
    }
    if (jewels[i].more > 0) {
      const std::string more_id = jewel_id + ".more";
      out << "    " << dot_string(more_id) << " [shape=note, label="
          << dot_string(std::to_string(jewels[i].more) + " more contacts (see the report's tables)") << "];\n";
      edges[{more_id, jewel_id}].insert("");
    }
  }
  for (const auto& [ends, labels] : edges) {
    std::string label;
    for (const auto& l : labels) label += (label.empty() ? "" : "\n") + l;
    out << "    " << dot_string(ends.first) << " -> " << dot_string(ends.second) << " [label=" << dot_string(label)
        << "];\n";
  }
  out << "  }\n";
}

void write_interfaces(std::ostream& out, const Inventory& inv) {
  Graph g;
  for (const auto& a : inv.assets) {
    const AssetSummary s = summarize(a);
    add_hl7(g, s);
    add_dicom(g, s);
  }
  out << "  subgraph cluster_interfaces {\n    label=\"Clinical interfaces: HL7 v2 links, DICOM associations\";\n"
         "    fontname=Helvetica;\n";
  for (const auto& [node, devices] : g.node_devices) {
    std::string label = node;
    for (const auto& d : devices) label += "\n" + d;
    const bool jewel = g.jewel_nodes.count(node) > 0;
    out << "    " << dot_string(node) << " [label=" << dot_string(label)
        << (jewel ? ", style=\"rounded,filled\", fillcolor=\"#f3e5f5\", penwidth=2" : "") << "];\n";
  }
  for (const auto& [ends, edge] : g.edges) {
    std::string label;
    for (const auto& l : edge.labels) label += (label.empty() ? "" : "\n") + l;
    out << "    " << dot_string(ends.first) << " -> " << dot_string(ends.second) << " [label=" << dot_string(label)
        << "];\n";
  }
  out << "  }\n";
}

}  // namespace

std::vector<JewelContacts> crown_jewel_contacts(const Inventory& inv, std::size_t max_contacts) {
  std::unordered_map<std::string_view, const AssetView*> asset_at;
  for (const AssetView& a : inv.assets) {
    for (const AddressView& ad : a.addresses) asset_at.emplace(ad.ip, &a);
  }
  std::vector<JewelContacts> out;
  for (const AssetView& a : inv.assets) {
    if (!a.crown_jewel) continue;
    JewelContacts j;
    j.jewel = &a;
    // Summed per (peer, service, side): a device that stores to the archive on 104 every hour is one contact.
    std::map<std::tuple<std::string, std::string, bool>, JewelContact> merged;
    std::set<std::string_view> peers;
    for (const ConversationView& c : a.conversations) {
      peers.insert(c.peer);
      const bool serves = c.role != "client";
      JewelContact& k = merged[{c.peer, service_label(c), serves}];
      if (k.peer_ip.empty()) {
        k.peer_ip = c.peer;
        k.service = service_label(c);
        k.jewel_serves = serves;
        const auto it = asset_at.find(c.peer);
        k.peer = it == asset_at.end() ? nullptr : it->second;
        k.first_us = c.first_us;
      }
      k.packets += c.packets_sent + c.packets_received;
      k.bytes += c.bytes_sent + c.bytes_received;
      if (c.first_us != 0 && (k.first_us == 0 || c.first_us < k.first_us)) k.first_us = c.first_us;
      k.last_us = std::max(k.last_us, c.last_us);
    }
    j.peers = peers.size();
    for (auto& [key, contact] : merged) j.contacts.push_back(std::move(contact));
    std::sort(j.contacts.begin(), j.contacts.end(), [](const JewelContact& x, const JewelContact& y) {
      return std::tie(y.bytes, x.peer_ip, x.service) < std::tie(x.bytes, y.peer_ip, y.service);
    });
    if (j.contacts.size() > max_contacts) {
      j.more = j.contacts.size() - max_contacts;
      j.contacts.resize(max_contacts);
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string communication_map_dot(const ReportContext& ctx) {
  std::ostringstream out;
  std::vector<JewelContacts> jewels = crown_jewel_contacts(ctx.inventory, kMapMaxContacts);
  // The jewels with the most peers are drawn when there are too many to draw.
  std::stable_sort(jewels.begin(), jewels.end(),
                   [](const JewelContacts& x, const JewelContacts& y) { return x.peers > y.peers; });
  const std::size_t left_out = jewels.size() > kMapMaxJewels ? jewels.size() - kMapMaxJewels : 0;
  if (left_out > 0) jewels.resize(kMapMaxJewels);
  out << "// Generated by wardwatch " << ctx.generator_version << " (wardwatch report --format dot) at "
      << format_timestamp(ctx.generated_us) << ".\n"
      << "// The communication map: HL7 v2 links (application@facility) and DICOM associations (AE titles); crown\n"
      << "// jewels with the devices that talk to them (from conversations). Render: dot -Tsvg\n";
  if (left_out > 0) out << "// " << left_out << " crown jewels with the fewest peers are left out (at most " << kMapMaxJewels << ").\n";
  out << "digraph communication_map {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=Helvetica, "
         "fontsize=10];\n  edge [fontname=Helvetica, fontsize=9];\n";
  write_interfaces(out, ctx.inventory);
  write_jewels(out, jewels);
  out << "}\n";
  return out.str();
}

}  // namespace ww
