#include "verifier/encode.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "verifier/regex_z3.h"

namespace nv::verifier {

using ir::Selector;

// ---------------------------------------------------------------------------------------
// The universe

unsigned ValueDomain::width() const {
  unsigned w = 1;
  while ((1ull << w) < size()) ++w;
  return w;
}

int ValueDomain::index(const std::string& v) const {
  auto it = std::lower_bound(literals.begin(), literals.end(), v);
  return it != literals.end() && *it == v ? static_cast<int>(it - literals.begin()) : -1;
}

namespace {

bool string_op(Selector::Op op) {
  return op == Selector::Op::Contains || op == Selector::Op::StartsWith ||
         op == Selector::Op::EndsWith;
}

// Adds the literals and key of a selector to `keys`; the name label goes to `ns` when
// the selector is a namespace selector.
void collect(const Selector& s, std::map<std::string, ValueDomain>& keys, ValueDomain* ns) {
  if (!s.key.empty()) {
    ValueDomain& d = ns && s.key == ir::kNamespaceNameLabel ? *ns : keys[s.key];
    for (const auto& v : s.values) d.literals.push_back(v);
    if (string_op(s.op)) d.is_string = true;
  }
  for (const auto& k : s.kids) collect(k, keys, ns);
}

void finish_domain(ValueDomain& d) {
  std::sort(d.literals.begin(), d.literals.end());
  d.literals.erase(std::unique(d.literals.begin(), d.literals.end()), d.literals.end());
}

}  // namespace

void Universe::add_pod_selector(const Selector& s) { collect(s, pod_keys, nullptr); }
void Universe::add_ns_selector(const Selector& s) { collect(s, ns_keys, &ns); }
void Universe::add_node_selector(const Selector& s) {
  nodes = true;
  collect(s, node_keys, nullptr);
}

void Universe::add(const ir::Peer& p) {
  if (p.ns_name) ns.literals.push_back(*p.ns_name);
  if (p.ns_selector) add_ns_selector(*p.ns_selector);
  if (p.pod_selector) add_pod_selector(*p.pod_selector);
  if (p.node_selector) add_node_selector(*p.node_selector);
  if (p.fqdns) fqdn = true;
  if (p.cidrs)
    for (const auto& b : *p.cidrs) {
      if (b.cidr.family() == family) cidrs.push_back(b.cidr);
      for (const auto& e : b.except)
        if (e.family() == family) cidrs.push_back(e);
    }
}

void Universe::add(const ir::PolicySet& ps) {
  for (const auto& pol : ps.policies()) {
    if (!pol.ns.empty()) ns.literals.push_back(pol.ns);
    add(pol.subject);
    for (const auto& dr : pol.dirs)
      for (const auto& r : dr.rules) {
        for (const auto& p : r.peers) add(p);
        for (const auto& pm : r.ports)
          if (!pm.named.empty()) port_names.insert(pm.named);
        if (r.l7) {
          l7 = true;
          for (const auto& h : r.l7->http)
            for (const auto& hm : h.headers) header_names.insert(hm.name);
        }
      }
  }
}

InventoryValues::InventoryValues(const ir::Inventory& inv) {
  std::set<std::string> names;
  for (const auto& n : inv.namespaces) {
    names.insert(n.name);
    for (const auto& [k, v] : n.labels) ns_values[k].insert(v);
  }
  for (const auto& p : inv.pods) {
    names.insert(p.ns);
    for (const auto& [k, v] : p.labels) pod_values[k].insert(v);
  }
  for (const auto& n : inv.nodes)
    for (const auto& [k, v] : n.labels) node_values[k].insert(v);
  ns_names.assign(names.begin(), names.end());
}

void Universe::add_inventory(const ir::Inventory& inv,
                             std::shared_ptr<const InventoryValues> values) {
  inventory = &inv;
  inventory_values = std::move(values);
}

void Universe::add_request(const std::optional<ir::HttpRequest>& http, bool dns,
                           const std::set<std::string>& any_headers) {
  if (http) {
    l7 = true;
    for (const auto& [k, v] : http->headers) header_names.insert(k);
    header_names.insert(any_headers.begin(), any_headers.end());
  }
  if (dns) l7 = true;
}

void Universe::finish() {
  // A service account's labels come with its name (the witness pod needs the account).
  for (const auto& [k, d] : pod_keys)
    if (k.starts_with(ir::kServiceAccountLabelPrefix)) {
      pod_keys[ir::kServiceAccountLabel];
      break;
    }
  if (inventory) {
    if (!inventory_values) inventory_values = std::make_shared<const InventoryValues>(*inventory);
    add_inventory_values(*inventory_values);
  }
  finish_domain(ns);
  ns.fresh = 2;  // two namespaces that no policy names: source and destination apart
  for (auto* m : {&pod_keys, &ns_keys, &node_keys})
    for (auto& [k, d] : *m) finish_domain(d);
  std::sort(cidrs.begin(), cidrs.end());
  cidrs.erase(std::unique(cidrs.begin(), cidrs.end()), cidrs.end());
}

// The inventory's values of the keys seen so far (other keys no selector tests).
void Universe::add_inventory_values(const InventoryValues& values) {
  ns.literals.insert(ns.literals.end(), values.ns_names.begin(), values.ns_names.end());
  auto add = [](std::map<std::string, ValueDomain>& keys, const auto& index) {
    for (auto& [k, d] : keys)
      if (auto it = index.find(k); it != index.end())
        d.literals.insert(d.literals.end(), it->second.begin(), it->second.end());
  };
  add(pod_keys, values.pod_values);
  add(ns_keys, values.ns_values);
  add(node_keys, values.node_values);
}

// ---------------------------------------------------------------------------------------
// Variables

Encoder::Encoder(z3::context& ctx, const Universe& u) : ctx_(ctx), u_(u) {}

z3::expr Encoder::facts_conj() const {
  z3::expr_vector v(ctx_);
  for (const auto& f : facts_) v.push_back(f);
  return z3::mk_and(v);
}

z3::expr Encoder::value_var(const ValueDomain& d, const std::string& name) {
  if (d.is_string) {
    z3::expr v = ctx_.string_const(name.c_str());
    // Readable witnesses: what a Kubernetes label value may hold.
    // (In z3++ 4.8, + is the union of regular expressions; | would be a bit-vector or.)
    z3::expr ch = z3::range(ctx_.string_val("a"), ctx_.string_val("z")) +
                  z3::range(ctx_.string_val("0"), ctx_.string_val("9")) +
                  z3::to_re(ctx_.string_val("-")) + z3::to_re(ctx_.string_val(".")) +
                  z3::to_re(ctx_.string_val("_"));
    facts_.push_back(z3::in_re(v, z3::star(ch)));
    facts_.push_back(v.length() <= ctx_.int_val(63));
    return v;
  }
  z3::expr v = ctx_.bv_const(name.c_str(), d.width());
  facts_.push_back(z3::ule(v, ctx_.bv_val(static_cast<uint64_t>(d.size() - 1), d.width())));
  return v;
}

z3::expr Encoder::lit(const ValueDomain& d, const std::string& v) {
  if (d.is_string) return ctx_.string_val(v);
  int i = d.index(v);
  if (i < 0) throw std::logic_error("verifier: value '" + v + "' is not in its domain");
  return ctx_.bv_val(static_cast<uint64_t>(i), d.width());
}

z3::expr addr_val(z3::context& ctx, const ir::IpAddr& a) {
  if (a.family == ir::Family::V4) {
    uint64_t v = (uint64_t{a.bytes[0]} << 24) | (uint64_t{a.bytes[1]} << 16) |
                 (uint64_t{a.bytes[2]} << 8) | a.bytes[3];
    return ctx.bv_val(v, 32);
  }
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | a.bytes[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | a.bytes[i];
  return z3::concat(ctx.bv_val(hi, 64), ctx.bv_val(lo, 64));
}

z3::expr Encoder::addr_val(const ir::IpAddr& a) { return verifier::addr_val(ctx_, a); }

SymEndpoint Encoder::endpoint(const std::string& name) {
  auto b = [&](const std::string& s) { return ctx_.bool_const((name + "." + s).c_str()); };
  SymEndpoint e{name,
                b("pod"),
                b("host"),
                b("ext"),
                value_var(u_.ns, name + ".ns"),
                {},
                {},
                u_.nodes ? b("has_node") : ctx_.bool_val(false),
                {},
                {},
                ctx_.bv_const((name + ".addr").c_str(), static_cast<unsigned>(u_.addr_bits())),
                u_.fqdn ? b("has_fqdn") : ctx_.bool_val(false),
                ctx_.string_const((name + ".fqdn").c_str()),
                nullptr,
                nullptr};
  if (u_.fqdn) {
    facts_.push_back(z3::implies(e.has_fqdn, e.is_ext));
    facts_.push_back(bytes_only(e.fqdn));
  }
  // Exactly one kind.
  facts_.push_back((e.is_pod || e.is_host || e.is_ext) && !(e.is_pod && e.is_host) &&
                   !(e.is_pod && e.is_ext) && !(e.is_host && e.is_ext));
  for (const auto& [k, d] : u_.pod_keys)
    e.labels.emplace(k, LabelVar{b("label[" + k + "]"), value_var(d, name + ".label[" + k + "]=")});
  for (const auto& [k, d] : u_.ns_keys)
    e.ns_labels.emplace(
        k, LabelVar{b("nslabel[" + k + "]"), value_var(d, name + ".nslabel[" + k + "]=")});
  // Only a node endpoint has a node (and its labels).
  if (u_.nodes) facts_.push_back(z3::implies(e.has_node, e.is_host));
  for (const auto& [k, d] : u_.node_keys)
    e.node_labels.emplace(
        k, LabelVar{b("nodelabel[" + k + "]"), value_var(d, name + ".nodelabel[" + k + "]=")});
  // Every pod runs as a service account (ir/inventory.h kServiceAccountLabel).
  if (auto sa = e.labels.find(ir::kServiceAccountLabel); sa != e.labels.end())
    facts_.push_back(z3::implies(e.is_pod, sa->second.has));
  for (const auto& n : u_.port_names) {
    NamedPortVar v{b("port[" + n + "]"),
                   ctx_.bv_const((name + ".port[" + n + "].proto").c_str(), 8),
                   ctx_.bv_const((name + ".port[" + n + "].number").c_str(), 16)};
    // A container port's protocol is TCP, UDP or SCTP (k8s.io/api core/v1 ContainerPort,
    // validated by ValidateContainerPorts / supportedPortProtocols).
    auto is = [&](int proto) { return v.proto == ctx_.bv_val(proto, 8); };
    facts_.push_back(z3::implies(v.has, is(ir::kTCP) || is(ir::kUDP) || is(ir::kSCTP)));
    e.ports.emplace(n, std::move(v));
  }
  return e;
}

SymL7 Encoder::l7_vars(const std::string& prefix) {
  auto b = [&](const std::string& s) { return ctx_.bool_const((prefix + s).c_str()); };
  auto str = [&](const std::string& s) { return ctx_.string_const((prefix + s).c_str()); };
  SymL7 l{u_.l7 ? b("has_http") : ctx_.bool_val(false),
          str("http.method"),
          str("http.path"),
          str("http.host"),
          {},
          u_.l7 ? b("has_dns") : ctx_.bool_val(false),
          str("dns.name")};
  if (!u_.l7) return l;
  for (const auto& n : u_.header_names) {
    LabelVar h{b("http.header[" + n + "]"), str("http.header[" + n + "]=")};
    facts_.push_back(z3::implies(h.has, l.has_http));  // headers come with a request
    facts_.push_back(bytes_only(h.val));
    l.headers.emplace(n, h);
  }
  for (const auto* v : {&l.method, &l.path, &l.host, &l.dns}) facts_.push_back(bytes_only(*v));
  facts_.push_back(!(l.has_http && l.has_dns));  // one kind of request per packet
  return l;
}

SymPacket Encoder::packet(const std::string& prefix) {
  SymPacket p{endpoint(prefix + "src"), endpoint(prefix + "dst"),
              ctx_.bv_const((prefix + "proto").c_str(), 8),
              ctx_.bv_const((prefix + "port").c_str(), 16), l7_vars(prefix)};
  // Namespace labels are a function of the namespace.
  z3::expr same_ns = p.src.ns == p.dst.ns;
  for (const auto& [k, a] : p.src.ns_labels) {
    const LabelVar& b = p.dst.ns_labels.at(k);
    facts_.push_back(z3::implies(same_ns, a.has == b.has && z3::implies(a.has, a.val == b.val)));
  }
  // A service account's labels are a function of the account (namespace and name).
  if (auto sa = p.src.labels.find(ir::kServiceAccountLabel); sa != p.src.labels.end()) {
    const LabelVar& b = p.dst.labels.at(ir::kServiceAccountLabel);
    z3::expr same_sa = same_ns && sa->second.has && b.has && sa->second.val == b.val;
    for (const auto& [k, x] : p.src.labels) {
      if (!k.starts_with(ir::kServiceAccountLabelPrefix)) continue;
      const LabelVar& y = p.dst.labels.at(k);
      facts_.push_back(z3::implies(same_sa, x.has == y.has && z3::implies(x.has, x.val == y.val)));
    }
  }
  // Two endpoints, two addresses; protocols without ports carry port 0, except ICMP and
  // ICMPv6, which carry type << 8 | code (ir/model.h is_icmp).
  facts_.push_back(p.src.addr != p.dst.addr);
  auto proto_is = [&](int n) { return p.proto == ctx_.bv_val(n, 8); };
  facts_.push_back(z3::implies(!(proto_is(ir::kTCP) || proto_is(ir::kUDP) || proto_is(ir::kSCTP) ||
                                 proto_is(ir::kICMP) || proto_is(ir::kICMPv6)),
                               p.port == ctx_.bv_val(0, 16)));
  return p;
}

// ---------------------------------------------------------------------------------------
// Matching

z3::expr Encoder::label_atom(const Selector& s, const LabelVar& lv, const ValueDomain& d) {
  auto any_of = [&](const std::vector<std::string>& vals) {
    z3::expr_vector v(ctx_);
    for (const auto& x : vals) v.push_back(lv.val == lit(d, x));
    return z3::mk_or(v);
  };
  switch (s.op) {
    case Selector::Op::Has:
      return lv.has;
    case Selector::Op::Eq:
      return lv.has && lv.val == lit(d, s.values[0]);
    case Selector::Op::NotEq:
      return !lv.has || lv.val != lit(d, s.values[0]);
    case Selector::Op::In:
      return lv.has && any_of(s.values);
    case Selector::Op::NotIn:
      return !lv.has || !any_of(s.values);
    case Selector::Op::Contains:
      return lv.has && lv.val.contains(lit(d, s.values[0]));
    case Selector::Op::StartsWith:
      return lv.has && z3::prefixof(lit(d, s.values[0]), lv.val);
    case Selector::Op::EndsWith:
      return lv.has && z3::suffixof(lit(d, s.values[0]), lv.val);
    default:
      break;
  }
  throw std::logic_error("verifier: label_atom on a compound selector");
}

z3::expr Encoder::selector(const Selector& s, const std::map<std::string, LabelVar>& labels,
                           const std::map<std::string, ValueDomain>& doms,
                           const z3::expr* ns_name) {
  switch (s.op) {
    case Selector::Op::All:
      return ctx_.bool_val(true);
    case Selector::Op::Not:
      return !selector(s.kids[0], labels, doms, ns_name);
    case Selector::Op::And:
    case Selector::Op::Or: {
      z3::expr_vector v(ctx_);
      for (const auto& k : s.kids) v.push_back(selector(k, labels, doms, ns_name));
      return s.op == Selector::Op::And ? z3::mk_and(v) : z3::mk_or(v);
    }
    default:
      break;
  }
  if (ns_name && s.key == ir::kNamespaceNameLabel)
    return label_atom(s, LabelVar{ctx_.bool_val(true), *ns_name}, u_.ns);
  return label_atom(s, labels.at(s.key), doms.at(s.key));
}

z3::expr Encoder::ns_is(const SymEndpoint& e, const std::string& name) {
  if (!u_.ns.is_string && u_.ns.index(name) < 0) return ctx_.bool_val(false);
  return e.ns == lit(u_.ns, name);
}

z3::expr Encoder::in_cidr(const z3::expr& addr, const ir::Cidr& c) {
  if (c.family() != u_.family) return ctx_.bool_val(false);
  if (c.len == 0) return ctx_.bool_val(true);
  unsigned hi = static_cast<unsigned>(u_.addr_bits() - 1),
           lo = static_cast<unsigned>(u_.addr_bits() - c.len);
  return addr.extract(hi, lo) == addr_val(c.addr).extract(hi, lo);
}

z3::expr Encoder::in_block(const z3::expr& addr, const ir::CidrBlock& b) {
  z3::expr r = in_cidr(addr, b.cidr);
  for (const auto& e : b.except) r = r && !in_cidr(addr, e);
  return r;
}

z3::expr Encoder::index_in(const IndexedChoices& c, const std::vector<size_t>& which) {
  if (which.empty()) return ctx_.bool_val(false);
  if (which.size() == c.choices.size()) return ctx_.bool_val(true);
  const unsigned w = c.index.get_sort().bv_size();
  auto at = [&](size_t i) { return ctx_.bv_val(static_cast<uint64_t>(i), w); };
  z3::expr_vector any(ctx_);
  for (size_t a = 0; a < which.size();) {
    size_t b = a;
    while (b + 1 < which.size() && which[b + 1] == which[b] + 1) ++b;
    const size_t lo = which[a], hi = which[b];
    if (lo == hi)
      any.push_back(c.index == at(lo));
    else if (lo == 0)
      any.push_back(z3::ule(c.index, at(hi)));
    else if (hi + 1 == c.choices.size())
      any.push_back(z3::ule(at(lo), c.index));
    else
      any.push_back(z3::ule(at(lo), c.index) && z3::ule(c.index, at(hi)));
    a = b + 1;
  }
  return z3::mk_or(any);
}

z3::expr Encoder::peer(const ir::Peer& p, const SymEndpoint& e) {
  if (e.indexed) {
    const IndexedChoices& c = *e.indexed;
    std::vector<size_t> which;
    for (size_t i = 0; i < c.choices.size(); ++i)
      if (ir::matches(p, c.choices[i], *c.inv)) which.push_back(i);
    return index_in(c, which);
  }
  z3::expr_vector kinds(ctx_);
  if (p.kinds & ir::mask(ir::EndpointKind::Pod)) kinds.push_back(e.is_pod);
  if (p.kinds & ir::mask(ir::EndpointKind::External)) kinds.push_back(e.is_ext);
  if (p.kinds & ir::mask(ir::EndpointKind::Host)) kinds.push_back(e.is_host);
  z3::expr r = z3::mk_or(kinds);
  if (p.ns_name) r = r && e.is_pod && ns_is(e, *p.ns_name);
  if (p.ns_selector) r = r && e.is_pod && selector(*p.ns_selector, e.ns_labels, u_.ns_keys, &e.ns);
  if (p.pod_selector)
    r = r && e.is_pod && selector(*p.pod_selector, e.labels, u_.pod_keys, nullptr);
  // A node endpoint whose node is a Node object with matching labels (ir::matches).
  if (p.node_selector)
    r = r && e.is_host && e.has_node &&
        selector(*p.node_selector, e.node_labels, u_.node_keys, nullptr);
  if (p.cidrs) {
    z3::expr_vector any(ctx_);
    for (const auto& b : *p.cidrs) any.push_back(in_block(e.addr, b));
    r = r && z3::mk_or(any);
  }
  if (p.fqdns) {
    // Any address DNS returned for a matching name: the address is free, the name decides.
    z3::expr_vector any(ctx_);
    for (const auto& re : *p.fqdns) any.push_back(regex_matches(e.fqdn, re));
    r = r && e.is_ext && e.has_fqdn && z3::mk_or(any);
  }
  return r;
}

z3::expr Encoder::http_rule(const ir::HttpRule& h, const SymPacket& pkt) {
  const SymL7& l = pkt.l7;
  z3::expr m = l.has_http;
  if (h.method) m = m && regex_matches(l.method, *h.method);
  if (h.path) m = m && regex_matches(l.path, *h.path);
  if (h.host) m = m && regex_matches(l.host, *h.host);
  for (const auto& hm : h.headers) {
    const LabelVar& v = l.headers.at(hm.name);
    m = m && v.has;
    if (hm.value) m = m && v.val == string_lit(ctx_, *hm.value);
  }
  return m;
}

// The evaluator's l7_match: some HTTP rule matches the request or some DNS rule the query.
z3::expr Encoder::l7(const ir::L7Match& m, const SymPacket& pkt) {
  z3::expr_vector any(ctx_);
  for (const auto& h : m.http) any.push_back(http_rule(h, pkt));
  for (const auto& d : m.dns) any.push_back(pkt.l7.has_dns && regex_matches(pkt.l7.dns, d.name));
  return z3::mk_or(any);
}

void Encoder::pin_l7(const SymPacket& p, const std::optional<ir::HttpRequest>& http,
                     const std::optional<std::string>& dns,
                     const std::set<std::string>& any_headers) {
  const SymL7& l = p.l7;
  facts_.push_back(http ? l.has_http : !l.has_http);
  facts_.push_back(dns ? l.has_dns : !l.has_dns);
  if (http) {
    facts_.push_back(l.method == string_lit(ctx_, http->method) &&
                     l.path == string_lit(ctx_, http->path) &&
                     l.host == string_lit(ctx_, http->host));
    for (const auto& [n, v] : l.headers) {
      auto it = http->headers.find(n);
      facts_.push_back(it != http->headers.end() ? v.has && v.val == string_lit(ctx_, it->second)
                       : any_headers.count(n)    ? v.has  // any value
                                                 : !v.has);
    }
  }
  if (dns) facts_.push_back(l.dns == string_lit(ctx_, *dns));
}

z3::expr Encoder::named_port_is(const ir::Pod& pod, const std::string& name, const SymPacket& pkt) {
  // The first container port of that name per protocol, as Pod::named_port finds it.
  z3::expr_vector entries(ctx_);
  std::set<int> seen_protos;
  for (const auto& cp : pod.ports) {
    if (cp.name != name || !seen_protos.insert(cp.proto).second) continue;
    entries.push_back(pkt.proto == ctx_.bv_val(cp.proto, 8) &&
                      pkt.port == ctx_.bv_val(cp.port, 16));
  }
  return entries.empty() ? ctx_.bool_val(false) : z3::mk_or(entries);
}

z3::expr Encoder::port_match(const ir::PortMatch& pm, const SymPacket& pkt) {
  z3::expr r = ctx_.bool_val(true);
  if (pm.proto != ir::kAnyProto) r = pkt.proto == ctx_.bv_val(pm.proto, 8);
  if (pm.named.empty()) {
    if (pm.all_ports()) return r;
    z3::expr in_range =
        z3::ule(ctx_.bv_val(pm.lo, 16), pkt.port) && z3::ule(pkt.port, ctx_.bv_val(pm.hi, 16));
    if (pm.proto != ir::kAnyProto) return r && in_range;
    // Every protocol with a port range: an ICMP packet has no port, it is seen as port 0
    // (ir::matches).
    z3::expr icmp =
        pkt.proto == ctx_.bv_val(ir::kICMP, 8) || pkt.proto == ctx_.bv_val(ir::kICMPv6, 8);
    return z3::ite(icmp, ctx_.bool_val(pm.lo == 0), in_range);
  }
  // A named port: the destination pod's container port of that name and protocol.
  const SymEndpoint& d = pkt.dst;
  if (d.indexed) {
    // Each choice's container ports, exactly as the evaluator resolves them.
    const IndexedChoices& c = *d.indexed;
    z3::expr_vector any(ctx_);
    for (size_t i = 0; i < c.choices.size(); ++i) {
      const ir::Endpoint& ch = c.choices[i];
      if (ch.kind != ir::EndpointKind::Pod) continue;
      z3::expr entries = named_port_is(*ch.pod, pm.named, pkt);
      if (!entries.is_false()) any.push_back(index_in(c, {i}) && entries);
    }
    return r && z3::mk_or(any);
  }
  if (d.pinned) {
    // Pinned: the classes' container ports, exactly as Pod::named_port finds them.
    z3::expr_vector any(ctx_);
    for (size_t i = 0; i < d.pinned->classes.size(); ++i) {
      z3::expr entries = named_port_is(*d.pinned->classes[i].pods.front(), pm.named, pkt);
      if (!entries.is_false())
        any.push_back(d.pinned->cls == ctx_.bv_val(i, d.pinned->cls.get_sort().bv_size()) &&
                      entries);
    }
    return r && d.is_pod && z3::mk_or(any);
  }
  const NamedPortVar& v = d.ports.at(pm.named);
  return r && d.is_pod && v.has && v.proto == pkt.proto && v.port == pkt.port;
}

z3::expr Encoder::rule(const ir::Rule& r, const SymEndpoint& peer_ep, const SymPacket& pkt) {
  z3::expr m = ctx_.bool_val(true);
  if (!r.peers.empty()) {
    z3::expr_vector any(ctx_);
    for (const auto& p : r.peers) any.push_back(peer(p, peer_ep));
    m = z3::mk_or(any);
  }
  if (!r.ports.empty()) {
    z3::expr_vector any(ctx_);
    for (const auto& pm : r.ports) any.push_back(port_match(pm, pkt));
    m = m && z3::mk_or(any);
  }
  if (r.l7) m = m && l7(*r.l7, pkt);
  return m;
}

// The evaluator's tier walk, built from the last tier backwards: `after` is the verdict
// when the walk reaches the next tier undecided.
z3::expr Encoder::side(const ir::PolicySet& ps, ir::Direction dir, const SymPacket& pkt) {
  const SymEndpoint& subject = dir == ir::Direction::Ingress ? pkt.dst : pkt.src;
  const SymEndpoint& other = dir == ir::Direction::Ingress ? pkt.src : pkt.dst;
  // Host policies apply to nodes, the others to pods (ir::applies_to_hosts); without host
  // policies, the subjects' kinds already say so and the formula stays as it was.
  bool hosts = std::any_of(ps.policies().begin(), ps.policies().end(),
                           [](const ir::Policy& p) { return ir::applies_to_hosts(p); });
  z3::expr after = ctx_.bool_val(true);
  for (size_t t = ps.tiers().size(); t-- > 0;) {
    const ir::Tier& tier = ps.tiers()[t];
    const auto& idx = ps.by_tier()[t];
    std::vector<z3::expr> sel;
    z3::expr_vector isolating(ctx_);
    for (size_t i : idx) {
      const ir::Policy& p = ps.policies()[i];
      sel.push_back(!hosts ? peer(p.subject, subject)
                           : peer(p.subject, subject) &&
                                 (ir::applies_to_hosts(p) ? subject.is_host : subject.is_pod));
      if (p.dir(dir).isolates) isolating.push_back(sel.back());
    }
    if (isolating.empty()) continue;  // never visited
    z3::expr inner = tier.default_action == ir::Action::Deny ? ctx_.bool_val(false) : after;
    // Consecutive rules with the same action decide alike, so each run is one flat n-ary
    // disjunction. (A chain nested as deep as the rule count is slow to build and, in Z3
    // 4.8, very slow to free: 1,000 nested ors took 1.5 s to delete, 8,000 took 94 s.)
    z3::expr_vector run(ctx_);
    ir::Action run_action = ir::Action::Allow;
    auto flush = [&] {
      if (run.empty()) return;
      z3::expr any = z3::mk_or(run);
      switch (run_action) {
        case ir::Action::Allow:
          inner = any || inner;
          break;
        case ir::Action::Deny:
          inner = !any && inner;
          break;
        default:  // Pass
          inner = z3::ite(any, after, inner);
          break;
      }
      run = z3::expr_vector(ctx_);
    };
    for (size_t k = idx.size(); k-- > 0;) {
      const auto& rules = ps.policies()[idx[k]].dir(dir).rules;
      for (size_t j = rules.size(); j-- > 0;) {
        const ir::Rule& r = rules[j];
        if (r.action == ir::Action::Log) continue;
        if (r.action != run_action) flush();
        run_action = r.action;
        run.push_back(sel[k] && rule(r, other, pkt));
      }
    }
    flush();
    after = z3::ite(z3::mk_or(isolating), inner, after);
  }
  return (hosts ? subject.is_ext : !subject.is_pod) || after;
}

z3::expr Encoder::allowed(const ir::PolicySet& ps, const SymPacket& pkt) {
  return side(ps, ir::Direction::Egress, pkt) && side(ps, ir::Direction::Ingress, pkt);
}

// ---------------------------------------------------------------------------------------
// Pinning

z3::expr Encoder::pod_is(const SymEndpoint& e, const ir::Pod& pod, const ir::Inventory& inv) {
  z3::expr_vector c(ctx_);
  c.push_back(e.is_pod);
  c.push_back(e.ns == lit(u_.ns, pod.ns));
  for (const auto& [k, lv] : e.labels) {
    auto it = pod.labels.find(k);
    if (it == pod.labels.end()) {
      c.push_back(!lv.has);
    } else {
      c.push_back(lv.has);
      c.push_back(lv.val == lit(u_.pod_keys.at(k), it->second));
    }
  }
  const ir::Labels& nsl = inv.namespace_labels(pod.ns);
  for (const auto& [k, lv] : e.ns_labels) {
    auto it = nsl.find(k);
    if (it == nsl.end()) {
      c.push_back(!lv.has);
    } else {
      c.push_back(lv.has);
      c.push_back(lv.val == lit(u_.ns_keys.at(k), it->second));
    }
  }
  for (const auto& [port_name, pv] : e.ports) {
    const std::string& n = port_name;  // clang 14 lambdas cannot capture structured bindings
    auto it = std::find_if(pod.ports.begin(), pod.ports.end(),
                           [&](const ir::ContainerPort& cp) { return cp.name == n; });
    if (it == pod.ports.end()) {
      c.push_back(!pv.has);
    } else {
      c.push_back(pv.has && pv.proto == ctx_.bv_val(it->proto, 8) &&
                  pv.port == ctx_.bv_val(it->port, 16));
    }
  }
  return z3::mk_and(c);
}

z3::expr Encoder::host_is(const SymEndpoint& e, const std::string& node, const ir::Inventory& inv) {
  z3::expr_vector c(ctx_);
  c.push_back(e.is_host);
  if (!u_.nodes) return z3::mk_and(c);
  const ir::Node* n = inv.find_node(node);
  c.push_back(n ? e.has_node : !e.has_node);
  for (const auto& [k, lv] : e.node_labels) {
    auto it = n ? n->labels.find(k) : ir::Labels::const_iterator{};
    if (!n || it == n->labels.end()) {
      c.push_back(!lv.has);
    } else {
      c.push_back(lv.has);
      c.push_back(lv.val == lit(u_.node_keys.at(k), it->second));
    }
  }
  return z3::mk_and(c);
}

void Encoder::pin_endpoint(SymEndpoint& e, const std::vector<PinnedClass>& classes,
                           const std::vector<ir::Endpoint>& hosts,
                           const std::vector<ir::IpAddr>& taken, const ir::Inventory& inv) {
  const size_t n = classes.size() + 1 + hosts.size();
  unsigned w = 1;
  while ((1ull << w) < n) ++w;
  e.pinned = std::make_shared<PinTable>(
      PinTable{ctx_.bv_const((e.name + ".class").c_str(), w), classes, &inv, hosts});
  const z3::expr& cls = e.pinned->cls;
  facts_.push_back(z3::ule(cls, ctx_.bv_val(n - 1, w)));
  // Index classes.size(): an address that no pod or node of the inventory has.
  z3::expr outside = e.is_ext;
  for (const auto& a : taken) outside = outside && e.addr != addr_val(a);
  facts_.push_back(z3::implies(cls == ctx_.bv_val(classes.size(), w), outside));
  // Then the node addresses.
  for (size_t j = 0; j < hosts.size(); ++j)
    facts_.push_back(
        z3::implies(cls == ctx_.bv_val(classes.size() + 1 + j, w),
                    host_is(e, hosts[j].node, inv) && e.addr == addr_val(*hosts[j].addr)));
}

void Encoder::pin(SymPacket& p, const ir::Inventory& inv) {
  // Classes: pods alike in everything the universe can see (attributes and CIDR membership).
  std::vector<PinnedClass> classes;
  std::unordered_map<std::string, size_t> by_key;
  std::vector<ir::IpAddr> taken;
  // The nodes' addresses: Node objects' and hostNetwork pods', each a Host endpoint.
  const std::vector<ir::Endpoint> hosts = ir::host_endpoints(inv, u_.family);
  for (const auto& pod : inv.pods) {
    auto a = pod.ip(u_.family);
    if (a) taken.push_back(*a);
    if (pod.host_network || !a) continue;
    std::string key = pod.ns + '\0';
    for (const auto& [k, d] : u_.pod_keys) {
      auto it = pod.labels.find(k);
      key += it == pod.labels.end() ? std::string("-") : "=" + it->second;
      key += '\0';
    }
    for (const auto& n : u_.port_names)
      for (const auto& cp : pod.ports)
        if (cp.name == n)
          key += n + "/" + std::to_string(cp.proto) + "/" + std::to_string(cp.port) + '\0';
    for (const auto& c : u_.cidrs) key += c.contains(*a) ? '1' : '0';
    auto [it, fresh] = by_key.emplace(key, classes.size());
    if (fresh) classes.push_back({});
    classes[it->second].pods.push_back(&pod);
  }
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (a.family == u_.family) taken.push_back(a);

  // A class's members, as the endpoint's attributes and address. The destination may be
  // the class's second member, so that two members of one class can be source and
  // destination (they have different addresses).
  auto member = [&](const SymEndpoint& e, const PinnedClass& c, size_t k) {
    return pod_is(e, *c.pods.front(), inv) && e.addr == addr_val(*c.pods[k]->ip(u_.family));
  };
  // With node addresses among the ends, either end may be any member: a node and a pod
  // of a class are two ends when some pod of the class is on another node.
  const bool any_member = !hosts.empty();
  for (SymEndpoint* e : {&p.src, &p.dst}) {
    pin_endpoint(*e, classes, hosts, taken, inv);
    unsigned w = e->pinned->cls.get_sort().bv_size();
    for (size_t i = 0; i < classes.size(); ++i) {
      const PinnedClass& c = classes[i];
      z3::expr is = ctx_.bool_val(false);
      if (any_member) {
        z3::expr_vector at(ctx_);
        for (const ir::Pod* pod : c.pods) at.push_back(e->addr == addr_val(*pod->ip(u_.family)));
        is = pod_is(*e, *c.pods.front(), inv) && z3::mk_or(at);
      } else {
        is = member(*e, c, 0);
        if (e == &p.dst && c.pods.size() > 1) is = is || member(*e, c, 1);
      }
      facts_.push_back(z3::implies(e->pinned->cls == ctx_.bv_val(i, w), is));
    }
  }
  // A class of one is that endpoint: it cannot be the source and the destination.
  unsigned w = p.src.pinned->cls.get_sort().bv_size();
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].pods.size() == 1)
      facts_.push_back(
          !(p.src.pinned->cls == ctx_.bv_val(i, w) && p.dst.pinned->cls == ctx_.bv_val(i, w)));
  // A node address and a pod of that node: the node-local shortcut decides, not policy.
  // (Two ends at one node address are excluded by the packet's distinct addresses.)
  std::map<std::string, std::vector<z3::expr>> pod_addrs;  // by node
  for (const auto& c : classes)
    for (const ir::Pod* pod : c.pods) pod_addrs[pod->node].push_back(addr_val(*pod->ip(u_.family)));
  for (size_t j = 0; j < hosts.size(); ++j) {
    auto it = pod_addrs.find(hosts[j].node);
    if (hosts[j].node.empty() || it == pod_addrs.end()) continue;
    z3::expr h = ctx_.bv_val(classes.size() + 1 + j, w);
    for (auto [from, to] : {std::pair{&p.src, &p.dst}, std::pair{&p.dst, &p.src}}) {
      z3::expr_vector away(ctx_);
      for (const auto& a : it->second) away.push_back(to->addr != a);
      facts_.push_back(z3::implies(from->pinned->cls == h, z3::mk_and(away)));
    }
  }
}

void Encoder::pin_to(SymEndpoint& e, const ir::Endpoint& c, const ir::Inventory& inv) {
  z3::expr f = e.addr == addr_val(*c.addr);
  switch (c.kind) {
    case ir::EndpointKind::Pod:
      f = f && pod_is(e, *c.pod, inv);
      // Named ports through a one-class pin table: a name may carry several protocols.
      e.pinned = std::make_shared<PinTable>(
          PinTable{ctx_.bv_const((e.name + ".class").c_str(), 1), {{{c.pod}}}, &inv, {}});
      f = f && e.pinned->cls == ctx_.bv_val(0, 1);
      break;
    case ir::EndpointKind::Host:
      f = f && host_is(e, c.node, inv);
      break;
    case ir::EndpointKind::External:
      f = f && e.is_ext;
      break;
  }
  f = f && (c.fqdn ? e.has_fqdn && e.fqdn == string_lit(ctx_, *c.fqdn) : !e.has_fqdn);
  facts_.push_back(f);
}

void Encoder::pin_indexed(SymEndpoint& e, std::vector<ir::Endpoint> choices, const z3::expr& index,
                          const ir::Inventory& inv) {
  if (choices.empty()) throw std::invalid_argument("pin_indexed: no choice");
  auto c = std::make_shared<IndexedChoices>(IndexedChoices{index, std::move(choices), &inv});
  // The kind (side() and the packet's facts read it) and the absence of a DNS name.
  std::vector<size_t> pods, hosts, exts;
  for (size_t i = 0; i < c->choices.size(); ++i) {
    const ir::Endpoint& ch = c->choices[i];
    if (!ch.addr) throw std::invalid_argument("pin_indexed: a choice without an address");
    if (ch.fqdn) throw std::invalid_argument("pin_indexed: a choice with a DNS name");
    (ch.kind == ir::EndpointKind::Pod    ? pods
     : ch.kind == ir::EndpointKind::Host ? hosts
                                         : exts)
        .push_back(i);
  }
  const unsigned w = index.get_sort().bv_size();
  if (w < 64 && c->choices.size() > (uint64_t{1} << w))
    throw std::invalid_argument("pin_indexed: an index too narrow for its choices");
  facts_.push_back(z3::ule(index, ctx_.bv_val(static_cast<uint64_t>(c->choices.size() - 1), w)));
  facts_.push_back(e.is_pod == index_in(*c, pods) && e.is_host == index_in(*c, hosts) &&
                   e.is_ext == index_in(*c, exts) && !e.has_fqdn);
  e.indexed = std::move(c);
}

void Encoder::pin_packet(const SymPacket& p, int proto, uint16_t port) {
  facts_.push_back(p.proto == ctx_.bv_val(proto, 8) && p.port == ctx_.bv_val(port, 16));
}

}  // namespace nv::verifier
