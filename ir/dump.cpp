#include "ir/dump.h"

#include <cmath>
#include <map>
#include <sstream>

namespace nv::ir {

static std::string order_str(double o) {
  if (std::isinf(o)) return "none";
  std::ostringstream s;
  if (o == std::floor(o) && std::fabs(o) < 1e15)
    s << static_cast<long long>(o);
  else
    s << o;
  return s.str();
}

static std::string labels_str(const Labels& l) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : l) {
    out += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  return out + "}";
}

// One line per HTTP or DNS rule, fields in a fixed order, regexes in canonical form.
static std::string l7_str(const L7Match& l7) {
  std::string out;
  for (const HttpRule& h : l7.http) {
    std::string line;
    if (h.method) line += " method /" + str(*h.method) + "/";
    if (h.path) line += " path /" + str(*h.path) + "/";
    if (h.host) line += " host /" + str(*h.host) + "/";
    for (const HeaderMatch& m : h.headers)
      line += " header " + m.name + (m.value ? ": \"" + *m.value + "\"" : " present");
    out += "        l7 http:" + (line.empty() ? std::string(" any request") : line) + "  # " +
           h.where + "\n";
  }
  for (const DnsRule& d : l7.dns)
    out += "        l7 dns: /" + str(d.name) + "/  # " + d.where + "\n";
  if (l7.http.empty() && l7.dns.empty()) out += "        l7: nothing\n";
  if (!l7.answer.empty()) out += "        l7 otherwise: " + l7.answer + "\n";
  return out;
}

std::string dump(const PolicySet& ps) {
  std::string out;
  // One written policy can be several IR policies (Cilium's deny rules in a tier of their
  // own, a Calico policy split by conditions on its own endpoint): number them as parts.
  auto written = [](const Policy& p) {
    return p.dialect + " " + p.kind + " " + p.ns + "/" + p.name;
  };
  std::map<std::string, std::pair<size_t, size_t>> parts;  // written id -> (parts, seen)
  for (const Policy& p : ps.policies()) ++parts[written(p)].first;
  for (size_t t = 0; t < ps.tiers().size(); ++t) {
    const Tier& tier = ps.tiers()[t];
    out += "tier " + tier.name + " order " + order_str(tier.order) + " default " +
           name(tier.default_action) + "\n";
    for (size_t i : ps.by_tier()[t]) {
      const Policy& p = ps.policies()[i];
      auto& [n, seen] = parts[written(p)];
      std::string part = n > 1 ? " (part " + std::to_string(++seen) + " of " + std::to_string(n) +
                                     " of one written policy)"
                               : "";
      out += "  policy " + p.dialect + " " + p.kind + " " +
             (p.ns.empty() ? p.name : p.ns + "/" + p.name) + " order " + order_str(p.order) +
             "  # " + p.span.str() + part + "\n";
      out += "    subject: " + p.subject.str() + "\n";
      for (Direction d : kDirections) {
        const DirectionRules& dr = p.dir(d);
        out += std::string("    ") + name(d) + ": " +
               (dr.isolates ? "isolates" : "does not isolate") + ", " +
               std::to_string(dr.rules.size()) + " rule" + (dr.rules.size() == 1 ? "" : "s") + "\n";
        for (const Rule& r : dr.rules) {
          out +=
              std::string("      ") + name(r.action) + " " + r.path + "  # " + r.span.str() + "\n";
          if (r.peers.empty()) out += "        peer: anything\n";
          for (const Peer& peer : r.peers) out += "        peer: " + peer.str() + "\n";
          if (r.ports.empty()) out += "        port: any\n";
          for (const PortMatch& pm : r.ports) out += "        port: " + pm.str() + "\n";
          if (r.l7) out += l7_str(*r.l7);
        }
      }
    }
  }
  return out;
}

std::string dump(const Inventory& inv) {
  std::string out;
  for (const auto& n : inv.namespaces)
    out += "namespace " + n.name + " " + labels_str(n.labels) + "\n";
  for (const auto& n : inv.nodes) {
    out += "node " + n.name + " " + labels_str(n.labels);
    for (const auto& a : n.addresses) out += " " + a.str();
    out += "\n";
  }
  for (const auto& p : inv.pods) {
    Labels own;  // the service account's name and labels are printed on their own
    for (const auto& [k, v] : p.labels)
      if (!is_service_account_key(k)) own.emplace(k, v);
    out += "pod " + p.id() + " " + labels_str(own);
    for (const auto& a : p.ips) out += " " + a.str();
    if (!p.node.empty()) out += " node=" + p.node;
    out += " sa=" + p.service_account;
    if (p.host_network) out += " hostNetwork";
    for (const auto& cp : p.ports)
      out += " port:" + (cp.name.empty() ? "" : cp.name + "=") + proto_name(cp.proto) + "/" +
             std::to_string(cp.port);
    out += "\n";
  }
  for (const auto& sa : inv.service_accounts)
    out += "serviceaccount " + sa.ns + "/" + sa.name + " " + labels_str(sa.labels) + "\n";
  for (const auto& s : inv.services) {
    out += "service " + s.id() + " " + s.type;
    out += " selector=" + (s.selector ? labels_str(*s.selector) : std::string("none"));
    for (const auto& a : s.cluster_ips) out += " " + a.str();
    for (const auto& sp : s.ports) {
      out += " port:" + (sp.name.empty() ? "" : sp.name + "=") + proto_name(sp.proto) + "/" +
             std::to_string(sp.port) + "->" +
             (sp.target_name.empty() ? std::to_string(sp.target_port) : sp.target_name);
      if (sp.node_port) out += ",nodePort=" + std::to_string(sp.node_port);
    }
    out += "\n";
  }
  return out;
}

}  // namespace nv::ir
