#include "verifier/witness.h"

#include <algorithm>
#include <optional>

#include "verifier/regex_z3.h"

namespace nv::verifier {

namespace {

uint64_t num(const z3::model& m, const z3::expr& e) { return m.eval(e, true).get_numeral_uint64(); }
bool truth(const z3::model& m, const z3::expr& e) { return m.eval(e, true).is_true(); }

ir::IpAddr addr_of(const z3::model& m, const z3::expr& addr, ir::Family f) {
  ir::IpAddr a;
  a.family = f;
  unsigned bits = addr.get_sort().bv_size();
  for (unsigned i = 0; i < bits / 8; ++i) {
    unsigned hi = bits - 1 - 8 * i;
    a.bytes[i] = static_cast<uint8_t>(num(m, addr.extract(hi, hi - 7)));
  }
  return a;
}

// A value that equals none of the literals: `base`, or `base-2`, `base-3`...
std::string fresh_value(const ValueDomain& d, const std::string& base, unsigned k) {
  std::string v = k == 0 ? base : base + "-" + std::to_string(k + 1);
  while (d.index(v) >= 0) v += "x";
  return v;
}

std::string value_of(const z3::model& m, const z3::expr& v, const ValueDomain& d,
                     const std::string& base) {
  if (d.is_string) return m.eval(v, true).get_string();
  uint64_t i = num(m, v);
  if (i < d.literals.size()) return d.literals[i];
  return fresh_value(d, base, static_cast<unsigned>(i - d.literals.size()));
}

ir::IpAddr parse(const char* text) { return *ir::IpAddr::parse(text); }

std::string labels_text(const ir::Labels& l) {
  std::string out = "{";
  for (const auto& [k, v] : l) out += (out.size() > 1 ? ", " : "") + k + "=" + v;
  return out + "}";
}

}  // namespace

std::vector<z3::expr> readability(Encoder& enc, const SymPacket& pkt) {
  z3::context& c = enc.ctx();
  bool v4 = enc.universe().family == ir::Family::V4;
  std::vector<z3::expr> prefs;
  for (const SymEndpoint* e : {&pkt.src, &pkt.dst}) {
    for (const auto& [k, lv] : e->labels) prefs.push_back(!lv.has);
    for (const auto& [k, lv] : e->ns_labels) prefs.push_back(!lv.has);
    for (const auto& [k, pv] : e->ports) prefs.push_back(!pv.has);
    // A node as clusters have them: a Node object, with few labels.
    if (enc.universe().nodes) prefs.push_back(z3::implies(e->is_host, e->has_node));
    for (const auto& [k, lv] : e->node_labels) prefs.push_back(!lv.has);
  }
  for (const SymEndpoint* e : {&pkt.src, &pkt.dst}) prefs.push_back(e->is_pod);
  // Addresses from a typical pod CIDR, node range and documentation range.
  for (const SymEndpoint* e : {&pkt.src, &pkt.dst}) {
    bool is_src = e == &pkt.src;
    z3::expr pod = enc.addr_val(parse(v4 ? (is_src ? "10.244.1.10" : "10.244.2.20")
                                         : (is_src ? "fd00:10:244:1::a" : "fd00:10:244:2::14")));
    z3::expr host = enc.addr_val(
        parse(v4 ? (is_src ? "10.0.0.11" : "10.0.0.12") : (is_src ? "fd00::11" : "fd00::12")));
    z3::expr ext = enc.addr_val(parse(v4 ? (is_src ? "203.0.113.10" : "203.0.113.20")
                                         : (is_src ? "2001:db8::a" : "2001:db8::14")));
    prefs.push_back(z3::implies(e->is_pod, e->addr == pod) &&
                    z3::implies(e->is_host, e->addr == host) &&
                    z3::implies(e->is_ext, e->addr == ext));
  }
  prefs.push_back(pkt.proto == c.bv_val(ir::kTCP, 8));
  prefs.push_back(pkt.port == c.bv_val(80, 16));
  // L7: a bare connection unless a request matters; then a plain GET of printable text,
  // names of DNS characters.
  const Universe& u = enc.universe();
  if (u.l7) {
    const SymL7& l = pkt.l7;
    prefs.push_back(!l.has_http && !l.has_dns);
    for (const auto& [n, h] : l.headers) prefs.push_back(!h.has);
    prefs.push_back(z3::implies(l.has_http, l.method == c.string_val("GET")));
    auto printable = [&](const z3::expr& s) {
      return z3::in_re(s, z3::star(z3::range(c.string_val(" "), c.string_val("~"))));
    };
    auto dns_chars = [&](const z3::expr& s) {
      z3::expr ch = z3::range(c.string_val("a"), c.string_val("z")) +
                    z3::range(c.string_val("0"), c.string_val("9")) + z3::to_re(c.string_val("-")) +
                    z3::to_re(c.string_val("."));
      return z3::in_re(s, z3::star(ch));
    };
    prefs.push_back(
        z3::implies(l.has_http, z3::prefixof(c.string_val("/"), l.path) && printable(l.path)));
    prefs.push_back(z3::implies(l.has_http, dns_chars(l.host)));
    for (const auto& [n, h] : l.headers) prefs.push_back(z3::implies(h.has, printable(h.val)));
    prefs.push_back(z3::implies(l.has_dns, dns_chars(l.dns)));
  }
  if (u.fqdn)
    for (const SymEndpoint* e : {&pkt.src, &pkt.dst}) {
      z3::expr ch = z3::range(c.string_val("a"), c.string_val("z")) +
                    z3::range(c.string_val("0"), c.string_val("9")) + z3::to_re(c.string_val("-")) +
                    z3::to_re(c.string_val("."));
      prefs.push_back(z3::implies(e->has_fqdn, z3::in_re(e->fqdn, z3::star(ch))));
    }
  return prefs;
}

bool strings_in_play(const Encoder& enc) { return enc.universe().l7 || enc.universe().fqdn; }

z3::model minimize(Checker& checker, z3::solver& s, const std::vector<z3::expr>& prefs, bool cap) {
  z3::context& c = s.ctx();
  // Preferences only make the witness readable: a check that the solver cannot decide
  // quickly (string preferences against HTTP regexes can take minutes in Z3 4.8.12) drops
  // the preference, or ends minimizing, instead of failing the query. With `cap` each
  // check gets at most kPreferMs; the answer is the same witness whenever every check is
  // decided. Without it the solver's parameters are left alone: setting them twice per
  // witness cost `check` on a 2,000-policy cluster 3 s.
  constexpr unsigned kPreferMs = 5'000;
  unsigned full = checker.options().timeout_ms;
  auto limit = [&](unsigned ms) {
    if (!cap) return;
    z3::params p(c);
    p.set("timeout", ms);
    s.set(p);
  };
  limit(full == 0 ? kPreferMs : std::min(full, kPreferMs));
  auto decided = [&](const z3::expr_vector& as) -> std::optional<bool> {
    try {
      return checker.sat(s, as);
    } catch (const SolverUnknown&) {
      return std::nullopt;
    }
  };
  // One indicator literal per preference, so that cores name preferences.
  std::vector<z3::expr> flags;
  s.push();
  for (size_t i = 0; i < prefs.size(); ++i) {
    flags.push_back(c.bool_const(("prefer!" + std::to_string(i)).c_str()));
    s.add(z3::implies(flags.back(), prefs[i]));
  }
  std::vector<bool> kept(prefs.size(), true);
  for (size_t round = 0; round <= prefs.size(); ++round) {
    z3::expr_vector assumptions(c);
    for (size_t i = 0; i < flags.size(); ++i)
      if (kept[i]) assumptions.push_back(flags[i]);
    auto first = decided(assumptions);
    if (!first) break;  // undecided: the witness without preferences (below)
    if (*first) {
      // Cores are not minimal: give each dropped preference a second chance, in order.
      for (size_t i = 0; i < flags.size(); ++i) {
        if (kept[i]) continue;
        assumptions.push_back(flags[i]);
        if (decided(assumptions) == std::optional<bool>(true)) {
          kept[i] = true;
        } else {
          assumptions.pop_back();
        }
      }
      auto last = decided(assumptions);
      if (!last) break;
      if (!*last) throw InternalError("witness minimization lost its model");
      z3::model m = s.get_model();
      s.pop();
      limit(full);
      return m;
    }
    // Drop the least wanted preference of the core.
    z3::expr_vector core = s.unsat_core();
    size_t drop = 0;
    bool found = false;
    for (size_t i = 0; i < flags.size(); ++i)
      for (unsigned j = 0; j < core.size(); ++j)
        if (kept[i] && z3::eq(core[j], flags[i])) {
          drop = i;
          found = true;
        }
    if (!found) break;
    kept[drop] = false;
  }
  s.pop();
  limit(full);
  if (!checker.sat(s, z3::expr_vector(c)))
    throw InternalError("a satisfiable query became unsatisfiable");
  return s.get_model();
}

// The request or query of the model, and the DNS names of external endpoints.
static void extract_l7(Encoder& enc, const z3::model& m, const SymPacket& pkt, Witness& w) {
  const Universe& u = enc.universe();
  auto text = [&](const z3::expr& s) { return string_of(m.eval(s, true)); };
  if (u.l7 && truth(m, pkt.l7.has_http)) {
    ir::HttpRequest r{text(pkt.l7.method), text(pkt.l7.path), text(pkt.l7.host), {}};
    for (const auto& [n, h] : pkt.l7.headers)
      if (truth(m, h.has)) r.headers[n] = text(h.val);
    w.pkt.http = std::move(r);
  }
  if (u.l7 && truth(m, pkt.l7.has_dns)) w.pkt.dns_query = text(pkt.l7.dns);
  if (u.fqdn)
    for (auto [e, out] : {std::pair{&pkt.src, &w.pkt.src}, std::pair{&pkt.dst, &w.pkt.dst}})
      if (out->kind == ir::EndpointKind::External && truth(m, e->has_fqdn))
        out->fqdn = text(e->fqdn);
}

Witness extract(Encoder& enc, const z3::model& m, const SymPacket& pkt) {
  Witness w = extract_l34(enc, m, pkt);
  w.l7_universe = enc.universe().l7;
  extract_l7(enc, m, pkt, w);
  return w;
}

Witness extract_l34(Encoder& enc, const z3::model& m, const SymPacket& pkt) {
  const Universe& u = enc.universe();
  Witness w;
  w.family = u.family;
  w.node_universe = u.nodes;
  w.pkt.proto = static_cast<int>(num(m, pkt.proto));
  w.pkt.port = static_cast<uint16_t>(num(m, pkt.port));

  if (pkt.src.pinned && pkt.dst.pinned) {
    w.inv = pkt.src.pinned->inv;
    const auto& classes = pkt.src.pinned->classes;
    size_t sc = num(m, pkt.src.pinned->cls), dc = num(m, pkt.dst.pinned->cls);
    for (auto [e, c, out] :
         {std::tuple{&pkt.src, sc, &w.pkt.src}, std::tuple{&pkt.dst, dc, &w.pkt.dst}}) {
      if (c < classes.size()) {
        // The member whose address the model gives (the first or, for the destination,
        // the second of the class, or with node addresses any: Encoder::pin), so that one
        // class can be both ends.
        const auto& pods = classes[c].pods;
        ir::IpAddr a = addr_of(m, e->addr, u.family);
        const ir::Pod* p = pods.front();
        for (const ir::Pod* q : pods)
          if (q->ip(u.family) == a) p = q;
        *out = ir::Endpoint::of_pod(*p, u.family);
      } else if (c > classes.size()) {
        *out = pkt.src.pinned->hosts.at(c - classes.size() - 1);  // a node's address
      } else {
        out->kind = ir::EndpointKind::External;
        out->addr = addr_of(m, e->addr, u.family);
      }
    }
    return w;
  }

  // A symbolic witness: build the pods, namespaces and nodes it talks about.
  w.world = std::make_shared<ir::Inventory>();
  ir::Inventory& inv = *w.world;
  struct Made {
    ir::EndpointKind kind;
    std::string ns, pod;
    ir::IpAddr addr;
  };
  std::vector<Made> made;
  for (const SymEndpoint* e : {&pkt.src, &pkt.dst}) {
    Made mk{ir::EndpointKind::External, "", "", addr_of(m, e->addr, u.family)};
    bool is_src = e == &pkt.src;
    if (truth(m, e->is_pod)) {
      mk.kind = ir::EndpointKind::Pod;
      mk.ns = value_of(m, e->ns, u.ns, "ns-other");
      if (std::none_of(inv.namespaces.begin(), inv.namespaces.end(),
                       [&](const ir::Namespace& n) { return n.name == mk.ns; })) {
        ir::Namespace n{mk.ns, {{ir::kNamespaceNameLabel, mk.ns}}, {}};
        for (const auto& [k, lv] : e->ns_labels)
          if (truth(m, lv.has)) n.labels[k] = value_of(m, lv.val, u.ns_keys.at(k), "other");
        inv.namespaces.push_back(std::move(n));
      }
      ir::Pod p;
      p.ns = mk.ns;
      p.name = mk.pod = is_src ? "source-pod" : "destination-pod";
      p.node = is_src ? "node-src" : "node-dst";
      p.ips.push_back(mk.addr);
      for (const auto& [k, lv] : e->labels)
        if (truth(m, lv.has)) p.labels[k] = value_of(m, lv.val, u.pod_keys.at(k), "other");
      // Its service account, with the account's labels, as Inventory::finalize reads them.
      if (auto sa = p.labels.find(ir::kServiceAccountLabel); sa != p.labels.end()) {
        p.service_account = sa->second;
        bool listed = std::any_of(inv.service_accounts.begin(), inv.service_accounts.end(),
                                  [&](const ir::ServiceAccount& a) {
                                    return a.ns == p.ns && a.name == p.service_account;
                                  });
        ir::ServiceAccount account{p.ns, p.service_account, {}, {}};
        for (const auto& [k, v] : p.labels)
          if (k.starts_with(ir::kServiceAccountLabelPrefix))
            account.labels[k.substr(std::string(ir::kServiceAccountLabelPrefix).size())] = v;
        if (!listed) inv.service_accounts.push_back(std::move(account));
      }
      for (const auto& [n, pv] : e->ports)
        if (truth(m, pv.has))
          p.ports.push_back(
              {n, static_cast<int>(num(m, pv.proto)), static_cast<uint16_t>(num(m, pv.port))});
      inv.pods.push_back(std::move(p));
    } else if (truth(m, e->is_host)) {
      mk.kind = ir::EndpointKind::Host;
      std::string node = is_src ? "node-a" : "node-b";
      if (!u.nodes || truth(m, e->has_node)) {
        ir::Node n{node, {}, {mk.addr}, {}};
        for (const auto& [k, lv] : e->node_labels)
          if (truth(m, lv.has)) n.labels[k] = value_of(m, lv.val, u.node_keys.at(k), "other");
        inv.nodes.push_back(std::move(n));
      } else {
        // A node without a Node object: known by a hostNetwork pod on it (Inventory::node_of_ip).
        ir::Pod p;
        p.ns = "kube-system";
        p.name = is_src ? "source-host-pod" : "destination-host-pod";
        p.node = node;
        p.host_network = true;
        p.ips.push_back(mk.addr);
        inv.pods.push_back(std::move(p));
        if (std::none_of(inv.namespaces.begin(), inv.namespaces.end(),
                         [](const ir::Namespace& n) { return n.name == "kube-system"; }))
          inv.namespaces.push_back({"kube-system", {{ir::kNamespaceNameLabel, "kube-system"}}, {}});
      }
    }
    made.push_back(mk);
  }
  ir::Diagnostics ignored;
  inv.finalize(ignored);
  w.inv = &inv;
  for (size_t i = 0; i < 2; ++i) {
    ir::Endpoint& out = i == 0 ? w.pkt.src : w.pkt.dst;
    out = made[i].kind == ir::EndpointKind::Pod
              ? ir::Endpoint::of_pod(*inv.find_pod(made[i].ns, made[i].pod), u.family)
              : ir::Endpoint::of_ip(inv, made[i].addr);
  }
  return w;
}

void recheck(const ir::PolicySet& ps, const Witness& w, bool expected, const std::string& what) {
  ir::Verdict v = ir::evaluate(ps, *w.inv, w.pkt);
  if (v.allowed != expected)
    throw InternalError("Z3 and the reference evaluator disagree on " + what + ": Z3 says " +
                        (expected ? "allowed" : "denied") + " for " + w.packet_line());
}

std::string Witness::packet_line() const {
  std::string out = ir::proto_name(pkt.proto) + " " + (pkt.src.addr ? pkt.src.addr->str() : "?") +
                    " -> " + (pkt.dst.addr ? pkt.dst.addr->str() : "?");
  if (pkt.proto == ir::kTCP || pkt.proto == ir::kUDP || pkt.proto == ir::kSCTP)
    out += family == ir::Family::V6 ? " port " + std::to_string(pkt.port)
                                    : ":" + std::to_string(pkt.port);
  if (ir::is_icmp(pkt.proto))  // type << 8 | code (ir/model.h)
    out += " type " + std::to_string(pkt.port >> 8) + " code " + std::to_string(pkt.port & 255);
  return out + (family == ir::Family::V4 ? " (IPv4)" : " (IPv6)");
}

std::string Witness::endpoint_text(const ir::Endpoint& e) const {
  std::string a = e.addr ? e.addr->str() : "?";
  switch (e.kind) {
    case ir::EndpointKind::External:
      if (e.fqdn) return *e.fqdn + " (any address DNS returns; here " + a + ")";
      return "address " + a + " (outside the cluster)";
    case ir::EndpointKind::Host: {
      if (e.pod) return "hostNetwork pod " + e.pod->id() + " on node " + e.node + " (" + a + ")";
      if (!world && !e.node.empty()) return "node " + e.node + " (" + a + ")";  // the user's
      if (!world || !inv || !node_universe) return "node address " + a;
      // An invented node: what node selectors see of it.
      const ir::Node* n = inv->find_node(e.node);
      return "node address " + a +
             (n ? " (a node labelled " + labels_text(n->labels) + ")"
                : " (a node without a Node object)");
    }
    case ir::EndpointKind::Pod:
      break;
  }
  if (!world)  // a pod of the user's inventory
    return "pod " + e.pod->id() + " (" + a + ")";
  ir::Labels own, account;
  for (const auto& [k, v] : e.pod->labels) {
    if (!ir::is_service_account_key(k))
      own[k] = v;
    else if (k != ir::kServiceAccountLabel)
      account[k.substr(std::string(ir::kServiceAccountLabelPrefix).size())] = v;
  }
  std::string out = "a pod in namespace " + e.pod->ns + " with labels " + labels_text(own);
  // The model chose its service account only where a policy selects by one (above).
  bool chosen = std::any_of(inv->service_accounts.begin(), inv->service_accounts.end(),
                            [&](const ir::ServiceAccount& sa) {
                              return sa.ns == e.pod->ns && sa.name == e.pod->service_account;
                            });
  if (chosen) {
    out += ", service account " + e.pod->service_account;
    if (!account.empty()) out += " with labels " + labels_text(account);
  }
  ir::Labels nsl = inv->namespace_labels(e.pod->ns);
  nsl.erase(ir::kNamespaceNameLabel);
  if (!nsl.empty()) out += ", namespace labels " + labels_text(nsl);
  for (const auto& cp : e.pod->ports)
    out += ", port " + cp.name + " = " + ir::proto_name(cp.proto) + "/" + std::to_string(cp.port);
  return out + ", address " + a;
}

std::string Witness::text(const std::string& indent) const {
  std::string out = indent + "packet       " + packet_line() + "\n" + indent + "source       " +
                    endpoint_text(pkt.src) + "\n" + indent + "destination  " +
                    endpoint_text(pkt.dst) + "\n";
  if (pkt.http) {
    out += indent + "request      " + pkt.http->str() + "\n";
    for (const auto& [n, v] : pkt.http->headers)
      out += indent + "  header     " + n + ": " + v + "\n";
  } else if (pkt.dns_query) {
    out += indent + "dns query    " + *pkt.dns_query + "\n";
  } else if (l7_universe) {
    out += indent + "request      none (a bare connection: no HTTP request or DNS query)\n";
  }
  return out;
}

}  // namespace nv::verifier
