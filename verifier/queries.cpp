#include "verifier/queries.h"

#include "verifier/frame.h"
#include "verifier/regex_z3.h"

#include <algorithm>
#include <memory>

namespace nv::verifier {

namespace {

std::string fam(ir::Family f) { return f == ir::Family::V4 ? "ipv4" : "ipv6"; }

}  // namespace

ReachResult reach(const ir::PolicySet& ps, const Scope& scope, const QueryOptions& opt) {
  ReachResult r;
  for (ir::Family f : opt.families) {
    Frame fr(f, {&ps}, scope, opt);
    z3::expr allowed = fr.enc->allowed(ps, *fr.pkt);
    if (!r.allowed)
      if ((r.allowed = fr.find(allowed, "reach-allowed-" + fam(f)))) recheck(ps, *r.allowed, true, "a reach witness");
    if (!r.denied)
      if ((r.denied = fr.find(!allowed, "reach-denied-" + fam(f)))) recheck(ps, *r.denied, false, "a reach witness");
  }
  using A = ReachResult::Answer;
  r.answer = r.allowed ? (r.denied ? A::Depends : A::Allowed) : (r.denied ? A::Denied : A::NoSuchTraffic);
  return r;
}

CompareResult compare(const ir::PolicySet& a, const ir::PolicySet& b, Relation rel, const Scope& scope,
                      const QueryOptions& opt) {
  CompareResult r;
  for (ir::Family f : opt.families) {
    Frame fr(f, {&a, &b}, scope, opt);
    z3::expr in_a = fr.enc->allowed(a, *fr.pkt), in_b = fr.enc->allowed(b, *fr.pkt);
    std::string name = (rel == Relation::Equiv ? "equiv-" : "contains-") + fam(f);
    z3::expr goal = rel == Relation::Equiv ? in_a != in_b : (in_b && !in_a);
    z3::solver s = fr.checker->make_solver();
    s.add(*fr.base && goal);
    if (!fr.checker->sat(s, name)) continue;
    z3::model m = opt.readable_witness ? minimize(*fr.checker, s, readability(*fr.enc, *fr.pkt),
                                                  strings_in_play(*fr.enc))
                                       : s.get_model();
    r.holds = false;
    r.a_allows = m.eval(in_a, true).is_true();
    r.witness = extract(*fr.enc, m, *fr.pkt);
    recheck(a, *r.witness, r.a_allows, "a distinguishing packet (first set)");
    recheck(b, *r.witness, !r.a_allows, "a distinguishing packet (second set)");
    return r;
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// diff: regions by generalising one witness at a time.

namespace {

struct Atom {
  enum class Kind {
    EpKind,
    Ns,
    Label,
    NsLabel,
    NodeLabel,
    Port,
    Addr,
    Proto,
    DstPort,
    L7,
    Fqdn
  } kind;
  bool src = true;   // which endpoint
  std::string text;  // the phrase: "app=web", "no app", "production"
  z3::expr e;
};

std::string set_text(const std::vector<std::string>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "}";
}

// The atom fixing a value: one literal, or (a fresh value) "none of the literals".
std::pair<std::string, z3::expr> value_atom(Encoder& enc, const ValueDomain& d, const z3::model& m, const z3::expr& v) {
  z3::expr val = m.eval(v, true);
  if (d.is_string) return {val.get_string(), v == val};
  uint64_t i = val.get_numeral_uint64();
  if (i < d.literals.size()) return {d.literals[i], v == val};
  z3::expr fresh = z3::uge(v, enc.ctx().bv_val(d.literals.size(), d.width()));
  return {"", fresh};
}

void label_atoms(Encoder& enc, std::vector<Atom>& out, bool src, Atom::Kind kind,
                 const std::map<std::string, LabelVar>& labels, const std::map<std::string, ValueDomain>& doms,
                 const z3::model& m) {
  for (const auto& [k, lv] : labels) {
    if (!m.eval(lv.has, true).is_true()) {
      out.push_back({kind, src, "without label " + k, !lv.has});
      continue;
    }
    const ValueDomain& d = doms.at(k);
    auto [v, e] = value_atom(enc, d, m, lv.val);
    std::string text = !v.empty() || d.is_string ? k + "=" + v : k + " not in " + set_text(d.literals);
    out.push_back({kind, src, text, lv.has && e});
  }
}

std::vector<Atom> cube(Encoder& enc, const SymPacket& p, const z3::model& m) {
  std::vector<Atom> atoms;
  const Universe& u = enc.universe();
  for (const SymEndpoint* e : {&p.src, &p.dst}) {
    bool src = e == &p.src;
    bool pod = m.eval(e->is_pod, true).is_true(), host = m.eval(e->is_host, true).is_true();
    atoms.push_back({Atom::Kind::EpKind, src, pod ? "pod" : host ? "node" : "external",
                     pod ? e->is_pod : host ? e->is_host : e->is_ext});
    if (pod) {
      size_t first = atoms.size();
      auto [ns, nse] = value_atom(enc, u.ns, m, e->ns);
      atoms.push_back({Atom::Kind::Ns, src, ns.empty() ? "a namespace other than " + set_text(u.ns.literals)
                                                       : "namespace " + ns, nse});
      label_atoms(enc, atoms, src, Atom::Kind::Label, e->labels, u.pod_keys, m);
      label_atoms(enc, atoms, src, Atom::Kind::NsLabel, e->ns_labels, u.ns_keys, m);
      if (!src)
        for (const auto& [n, pv] : e->ports) {
          if (!m.eval(pv.has, true).is_true()) {
            atoms.push_back({Atom::Kind::Port, src, "no port named " + n, !pv.has});
          } else {
            auto proto = static_cast<int>(m.eval(pv.proto, true).get_numeral_uint());
            auto port = m.eval(pv.port, true).get_numeral_uint();
            atoms.push_back({Atom::Kind::Port, src, "port " + n + " = " + ir::proto_name(proto) + "/" + std::to_string(port),
                             pv.has && pv.proto == m.eval(pv.proto, true) && pv.port == m.eval(pv.port, true)});
          }
        }
      // A pod's attributes say nothing of other endpoints: each atom implies a pod.
      for (size_t i = first; i < atoms.size(); ++i) atoms[i].e = e->is_pod && atoms[i].e;
    }
    if (host && u.nodes) {
      // What node selectors see: the node's Node object and its labels.
      size_t first = atoms.size();
      if (!m.eval(e->has_node, true).is_true()) {
        atoms.push_back({Atom::Kind::NodeLabel, src, "without a Node object", !e->has_node});
      } else {
        atoms.push_back({Atom::Kind::NodeLabel, src, "with a Node object", e->has_node});
        label_atoms(enc, atoms, src, Atom::Kind::NodeLabel, e->node_labels, u.node_keys, m);
      }
      for (size_t i = first; i < atoms.size(); ++i) atoms[i].e = e->is_host && atoms[i].e;
    }
    atoms.push_back({Atom::Kind::Addr, src, "", e->addr == m.eval(e->addr, true)});
  }
  atoms.push_back({Atom::Kind::Proto, true, ir::proto_name(static_cast<int>(m.eval(p.proto, true).get_numeral_uint())),
                   p.proto == m.eval(p.proto, true)});
  atoms.push_back({Atom::Kind::DstPort, true, "", p.port == m.eval(p.port, true)});
  // L7 content and DNS names: each fixed to the model's value, so that a region is exactly
  // as wide as the generalisation proves (an atom dropped is a field that does not matter).
  if (u.l7) {
    const SymL7& l = p.l7;
    auto text = [&](const z3::expr& s) { return string_of(m.eval(s, true)); };
    bool http = m.eval(l.has_http, true).is_true(), dns = m.eval(l.has_dns, true).is_true();
    atoms.push_back({Atom::Kind::L7, true, http ? "an HTTP request" : dns ? "a DNS query" : "no request",
                     http ? l.has_http : dns ? l.has_dns : !l.has_http && !l.has_dns});
    if (http) {
      atoms.push_back({Atom::Kind::L7, true, "method " + text(l.method), l.method == m.eval(l.method, true)});
      atoms.push_back({Atom::Kind::L7, true, "path " + text(l.path), l.path == m.eval(l.path, true)});
      atoms.push_back({Atom::Kind::L7, true, "host " + text(l.host), l.host == m.eval(l.host, true)});
      for (const auto& [n, h] : l.headers) {
        if (m.eval(h.has, true).is_true())
          atoms.push_back({Atom::Kind::L7, true, "header " + n + ": " + text(h.val), h.has && h.val == m.eval(h.val, true)});
        else
          atoms.push_back({Atom::Kind::L7, true, "no header " + n, !h.has});
      }
    }
    if (dns) atoms.push_back({Atom::Kind::L7, true, "name " + text(l.dns), l.dns == m.eval(l.dns, true)});
  }
  if (u.fqdn)
    for (const SymEndpoint* e : {&p.src, &p.dst}) {
      bool has = m.eval(e->has_fqdn, true).is_true();
      std::string name = has ? string_of(m.eval(e->fqdn, true)) : "";
      atoms.push_back({Atom::Kind::Fqdn, e == &p.src, has ? "resolved from " + name : "not resolved from a DNS name",
                       has ? e->has_fqdn && e->fqdn == m.eval(e->fqdn, true) : !e->has_fqdn});
    }
  return atoms;
}

// "pods in namespace production with app=web, no tier; namespace labels team=a; address in 10.0.0.0/8"
std::string endpoint_phrase(const std::vector<const Atom*>& kept) {
  std::string kind, ns, labels, unlabelled, nslabels, nodelabels, ports, addr, fqdn;
  auto add = [](std::string& to, const std::string& s) { to += (to.empty() ? "" : ", ") + s; };
  for (const Atom* a : kept) {
    switch (a->kind) {
      case Atom::Kind::EpKind: kind = a->text; break;
      case Atom::Kind::Ns: ns = a->text; break;
      case Atom::Kind::Label: add(a->text.rfind("without ", 0) == 0 ? unlabelled : labels, a->text); break;
      case Atom::Kind::NsLabel: add(nslabels, a->text); break;
      case Atom::Kind::NodeLabel:
        if (a->text != "with a Node object") add(nodelabels, a->text);
        break;
      case Atom::Kind::Port: add(ports, a->text); break;
      case Atom::Kind::Addr: addr = a->text; break;
      case Atom::Kind::Fqdn: fqdn = a->text; break;
      default: break;
    }
  }
  bool pod = kind == "pod" || !ns.empty() || !labels.empty() || !nslabels.empty() || !ports.empty();
  std::string out;
  if (pod) {
    out = "pods";
    if (!ns.empty()) out += " in " + ns;
    if (!labels.empty()) out += " with " + labels;
    if (!unlabelled.empty()) out += (labels.empty() ? " " : ", ") + unlabelled;
    if (!nslabels.empty()) out += "; namespace " + nslabels;
    if (!ports.empty()) out += "; " + ports;
  } else if (kind == "node" || !nodelabels.empty()) {
    out = "nodes";
    if (!nodelabels.empty()) out += " (" + nodelabels + ")";
  } else if (kind == "external") {
    out = "addresses outside the cluster";
  }
  if (!addr.empty()) out += out.empty() ? "any endpoint with address in " + addr : "; address in " + addr;
  if (!fqdn.empty()) out += out.empty() ? "any endpoint " + fqdn : ", " + fqdn;
  return out.empty() ? "anywhere" : out;
}

// A bit-vector numeral as an address.
ir::IpAddr address_of(const z3::expr& numeral, ir::Family f) {
  ir::IpAddr a;
  a.family = f;
  std::string dec = numeral.get_decimal_string(0);
  // Decimal to bytes: repeated division by 256.
  int n = f == ir::Family::V4 ? 4 : 16;
  for (int i = n - 1; i >= 0; --i) {
    unsigned rem = 0;
    std::string q;
    for (char c : dec) {
      unsigned cur = rem * 10 + static_cast<unsigned>(c - '0');
      if (!q.empty() || cur / 256) q += static_cast<char>('0' + cur / 256);
      rem = cur % 256;
    }
    a.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(rem);
    dec = q.empty() ? "0" : q;
  }
  return a;
}

std::string cidr_text(const ir::IpAddr& a, int len) {
  ir::Cidr c{a, len};
  for (int i = len; i < a.bits(); ++i) c.addr.bytes[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  return c.str();
}

class Generaliser {
 public:
  Generaliser(Frame& fr, const z3::expr& target) : fr_(fr), s_(fr.checker->make_solver()) {
    s_.add(*fr.base && !target);
  }

  // Whether every packet of the region is in the target.
  bool inside(const std::vector<z3::expr>& region) {
    z3::expr_vector flags(fr_.ctx);
    for (const auto& e : region) {
      z3::expr f = fr_.ctx.bool_const(("region!" + std::to_string(next_++)).c_str());
      s_.add(z3::implies(f, e));
      flags.push_back(f);
    }
    return !fr_.checker->sat(s_, flags);
  }

  Region generalise(const z3::model& m) {
    std::vector<Atom> atoms = cube(*fr_.enc, *fr_.pkt, m);
    // Keep the atoms of an unsat core.
    z3::expr_vector flags(fr_.ctx);
    for (const auto& a : atoms) {
      z3::expr f = fr_.ctx.bool_const(("atom!" + std::to_string(next_++)).c_str());
      s_.add(z3::implies(f, a.e));
      flags.push_back(f);
    }
    std::vector<bool> keep(atoms.size(), true);
    if (!fr_.checker->sat(s_, flags)) {
      z3::expr_vector core = s_.unsat_core();
      for (size_t i = 0; i < atoms.size(); ++i) {
        keep[i] = false;
        for (unsigned j = 0; j < core.size(); ++j)
          if (z3::eq(core[j], flags[static_cast<unsigned>(i)])) keep[i] = true;
      }
    }
    // Then make the core minimal: drop each atom whose absence still keeps the region inside.
    for (size_t i = 0; i < atoms.size(); ++i) {
      if (!keep[i]) continue;
      keep[i] = false;
      z3::expr_vector rest(fr_.ctx);
      for (size_t j = 0; j < atoms.size(); ++j)
        if (keep[j]) rest.push_back(flags[static_cast<unsigned>(j)]);
      if (fr_.checker->sat(s_, rest)) keep[i] = true;
    }
    std::vector<z3::expr> region;
    for (size_t i = 0; i < atoms.size(); ++i)
      if (keep[i]) region.push_back(atoms[i].e);

    Region r{"", "", "", extract(*fr_.enc, m, *fr_.pkt), ""};
    std::string proto, ports, l7;
    std::vector<const Atom*> from, to;
    for (size_t i = 0; i < atoms.size(); ++i) {
      if (!keep[i]) continue;
      Atom& a = atoms[i];
      if (a.kind == Atom::Kind::Addr) a.text = widen_addr(region, a);
      if (a.kind == Atom::Kind::DstPort) ports = widen_port(region, m);
      if (a.kind == Atom::Kind::Proto) proto = a.text;
      if (a.kind == Atom::Kind::L7) {
        l7 += (l7.empty() ? "" : ", ") + a.text;
        continue;
      }
      (a.src ? from : to).push_back(&a);
    }
    r.from = endpoint_phrase(from);
    r.to = endpoint_phrase(to);
    r.traffic = proto.empty() ? (ports.empty() ? "any protocol" : "any protocol, " + ports)
                              : (ports.empty() ? proto + ", any port" : proto + " " + ports);
    if (!l7.empty()) r.traffic += "; " + l7;
    z3::expr_vector conj(fr_.ctx);
    for (const auto& e : region) conj.push_back(e);
    block_ = std::make_unique<z3::expr>(z3::mk_and(conj));
    return r;
  }

  const z3::expr& block() const { return *block_; }

 private:
  Frame& fr_;
  z3::solver s_;
  unsigned next_ = 0;
  std::unique_ptr<z3::expr> block_;

  // The widest prefix around the witness's address that stays inside.
  std::string widen_addr(std::vector<z3::expr>& region, const Atom& a) {
    const SymEndpoint& e = a.src ? fr_.pkt->src : fr_.pkt->dst;
    ir::IpAddr addr = address_of(a.e.arg(1), fr_.u.family);
    auto at = [&](int len) {
      ir::Cidr c = *ir::Cidr::parse(cidr_text(addr, len));
      return fr_.enc->in_cidr(e.addr, c);
    };
    size_t pos = index_of(region, a.e);
    int lo = 0, hi = addr.bits();  // hi always works
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      region[pos] = at(mid);
      if (inside(region)) hi = mid; else lo = mid + 1;
    }
    region[pos] = at(hi);
    return hi == 0 ? "" : cidr_text(addr, hi);
  }

  std::string widen_port(std::vector<z3::expr>& region, const z3::model& m) {
    z3::context& c = fr_.ctx;
    const z3::expr& port = fr_.pkt->port;
    unsigned v = m.eval(port, true).get_numeral_uint();
    size_t pos = index_of(region, port == c.bv_val(v, 16));
    auto range = [&](unsigned l, unsigned h) { return z3::ule(c.bv_val(l, 16), port) && z3::ule(port, c.bv_val(h, 16)); };
    unsigned lo = 0, hi = v;  // find the least lo with [lo, v] inside
    while (lo < hi) {
      unsigned mid = (lo + hi) / 2;
      region[pos] = range(mid, v);
      if (inside(region)) hi = mid; else lo = mid + 1;
    }
    unsigned from = hi;
    lo = v, hi = 65535;  // the greatest hi with [from, hi] inside
    while (lo < hi) {
      unsigned mid = (lo + hi + 1) / 2;
      region[pos] = range(from, mid);
      if (inside(region)) lo = mid; else hi = mid - 1;
    }
    unsigned to = lo;
    region[pos] = range(from, to);
    if (from == 0 && to == 65535) return "";
    return from == to ? "port " + std::to_string(from) : "ports " + std::to_string(from) + "-" + std::to_string(to);
  }

  static size_t index_of(const std::vector<z3::expr>& region, const z3::expr& e) {
    for (size_t i = 0; i < region.size(); ++i)
      if (z3::eq(region[i], e)) return i;
    return 0;
  }
};

void regions(Frame& fr, const ir::PolicySet& a, const ir::PolicySet& b, bool opened, size_t max,
             std::vector<Region>& out, bool& truncated) {
  z3::expr in_a = fr.enc->allowed(a, *fr.pkt), in_b = fr.enc->allowed(b, *fr.pkt);
  z3::expr target = opened ? (in_b && !in_a) : (in_a && !in_b);
  z3::solver search = fr.checker->make_solver();
  search.add(*fr.base && target);
  Generaliser gen(fr, target);
  std::string name = std::string(opened ? "diff-opened-" : "diff-closed-") + fam(fr.u.family);
  std::vector<Region> found;
  std::vector<z3::expr> blocks;
  while (fr.checker->sat(search, name)) {
    if (found.size() >= max) {
      truncated = true;
      break;
    }
    z3::model m = search.get_model();
    Region r = gen.generalise(m);
    recheck(a, r.example, !opened, "a diff example (first set)");
    recheck(b, r.example, opened, "a diff example (second set)");
    found.push_back(std::move(r));
    blocks.push_back(gen.block());
    search.add(!gen.block());
  }
  // A region found early can lie inside one found later (the later one was generalised
  // from a packet outside the first, but may have grown over it): show only the larger.
  std::vector<bool> shown(found.size(), true);
  for (size_t i = 0; i < found.size(); ++i)
    for (size_t j = 0; j < found.size() && shown[i]; ++j)
      if (j != i && shown[j] && !fr.sat_under_base(blocks[i] && !blocks[j], name + "-subsumed"))
        shown[i] = false;
  for (size_t i = 0; i < found.size(); ++i)
    if (shown[i]) out.push_back(std::move(found[i]));
}

}  // namespace

std::string Region::text() const {
  return "from " + from + "\n     to " + to + "\n     " + traffic + " (" + families + ")";
}

DiffResult diff(const ir::PolicySet& a, const ir::PolicySet& b, const Scope& scope, const QueryOptions& opt,
                size_t max_regions) {
  DiffResult r;
  // The same region in both families is shown once.
  auto merge = [](std::vector<Region>& into, std::vector<Region>& more) {
    for (auto& g : more) {
      auto it = std::find_if(into.begin(), into.end(), [&](const Region& x) {
        return x.from == g.from && x.to == g.to && x.traffic == g.traffic;
      });
      if (it != into.end()) it->families += " and " + g.families;
      else into.push_back(std::move(g));
    }
  };
  for (ir::Family f : opt.families) {
    Frame fr(f, {&a, &b}, scope, opt);
    std::vector<Region> opened, closed;
    regions(fr, a, b, true, max_regions, opened, r.opened_truncated);
    regions(fr, a, b, false, max_regions, closed, r.closed_truncated);
    for (auto* v : {&opened, &closed})
      for (auto& g : *v) g.families = f == ir::Family::V4 ? "IPv4" : "IPv6";
    merge(r.opened, opened);
    merge(r.closed, closed);
  }
  return r;
}

}  // namespace nv::verifier
