// Negations expanded into unions of positive IR peers and port matches (lowering.h).
#include <algorithm>

#include "compiler/frontends/calico/lowering.h"

namespace nv::calico {

using ir::Cidr;
using ir::CidrBlock;
using ir::Peer;

// ---- Address sets -------------------------------------------------------------------------

namespace {

bool overlap(const Cidr& a, const Cidr& b) { return a.contains(b) || b.contains(a); }

// The prefixes not contained in another one, sorted. Sorted by (family, address, length),
// a prefix comes after every prefix containing it, and prefixes are nested or disjoint:
// only the last one kept can contain the next.
std::vector<Cidr> minimal(std::vector<Cidr> v) {
  std::sort(v.begin(), v.end());
  std::vector<Cidr> out;
  for (const auto& c : v)
    if (out.empty() || !out.back().contains(c)) out.push_back(c);
  return out;
}

// cidr minus excepts, with excepts reduced to those strictly inside; nullopt when empty.
std::optional<CidrBlock> normal_block(const Cidr& cidr, const std::vector<Cidr>& excepts) {
  std::vector<Cidr> inside;
  for (const auto& e : excepts) {
    if (e.contains(cidr)) return std::nullopt;
    if (cidr.contains(e)) inside.push_back(e);
  }
  return CidrBlock{cidr, minimal(std::move(inside))};
}

Cidr all_of(ir::Family f) {
  Cidr c;
  c.addr.family = f;
  c.len = 0;
  return c;
}

}  // namespace

AddrSet addr_union(const std::vector<Cidr>& cidrs) {
  std::vector<CidrBlock> out;
  for (const auto& c : minimal(cidrs)) out.push_back(CidrBlock{c, {}});
  return out;
}

AddrSet addr_family(ir::Family f) { return std::vector<CidrBlock>{CidrBlock{all_of(f), {}}}; }

AddrSet addr_complement(const std::vector<Cidr>& cidrs) {
  std::vector<CidrBlock> out;
  for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
    std::vector<Cidr> mine;
    for (const auto& c : cidrs)
      if (c.family() == f) mine.push_back(c);
    if (auto b = normal_block(all_of(f), mine)) out.push_back(*b);
  }
  return out;
}

AddrSet addr_intersect(const AddrSet& a, const AddrSet& b) {
  if (!a) return b;
  if (!b) return a;
  std::vector<CidrBlock> out;
  for (const auto& x : *a)
    for (const auto& y : *b) {
      if (!overlap(x.cidr, y.cidr)) continue;
      const Cidr& inner = x.cidr.contains(y.cidr) ? y.cidr : x.cidr;
      std::vector<Cidr> excepts = x.except;
      excepts.insert(excepts.end(), y.except.begin(), y.except.end());
      if (auto blk = normal_block(inner, excepts))
        if (std::find(out.begin(), out.end(), *blk) == out.end()) out.push_back(*blk);
    }
  return out;
}

// ---- Peers ----------------------------------------------------------------------------

std::optional<Peer> intersect(const Peer& a, const Peer& b) {
  if (a.ns_name && b.ns_name && *a.ns_name != *b.ns_name) return std::nullopt;
  Peer r;
  r.kinds = a.kinds & b.kinds;
  r.ns_name = a.ns_name ? a.ns_name : b.ns_name;
  auto both = [](const std::optional<ir::Selector>& x, const std::optional<ir::Selector>& y)
      -> std::optional<ir::Selector> {
    if (x && y) return ir::Selector::conj({*x, *y});
    return x ? x : y;
  };
  r.ns_selector = both(a.ns_selector, b.ns_selector);
  r.pod_selector = both(a.pod_selector, b.pod_selector);
  // Namespace and pod-label constraints only ever hold for pods.
  if (r.ns_name || r.ns_selector || r.pod_selector) r.kinds &= ir::mask(ir::EndpointKind::Pod);
  r.cidrs = addr_intersect(a.cidrs, b.cidrs);
  if (r.kinds == 0 || (r.cidrs && r.cidrs->empty())) return std::nullopt;
  return r;
}

namespace {

// Peers equal but for their kinds become one peer of both kinds.
std::vector<Peer> merge_kinds(std::vector<Peer> peers) {
  std::vector<Peer> out;
  for (auto& p : peers) {
    auto same = std::find_if(out.begin(), out.end(), [&](const Peer& o) {
      Peer a = o, b = p;
      a.kinds = b.kinds = 0;
      return a == b;
    });
    if (same == out.end())
      out.push_back(std::move(p));
    else
      same->kinds |= p.kinds;
  }
  return out;
}

// Pods matching `sel` and addresses of network sets matching it.
Result<std::vector<Peer>> selected(const ir::Selector& sel, const std::vector<NetworkSet>& sets,
                                   std::vector<Cidr>& set_nets) {
  auto terms = pod_terms(sel);
  if (auto* p = std::get_if<Problem>(&terms)) return *p;
  std::vector<Peer> peers;
  for (const auto& t : std::get<std::vector<PodTerm>>(terms)) peers.push_back(to_peer(t));
  for (const auto& set : sets) {
    Tri t = matches(sel, set);
    if (t == Tri::Unknown)
      return Problem{ir::Code::NV5024,
                     "whether selector `" + sel.str() + "` matches " + set.id() +
                         " depends on the labels of namespace " + set.ns +
                         ", which are not known when policies are read; not supported yet"};
    if (t == Tri::True) set_nets.insert(set_nets.end(), set.nets.begin(), set.nets.end());
  }
  return peers;
}

}  // namespace

Result<std::vector<Peer>> lower_peer(const PeerSpec& spec, const std::vector<NetworkSet>& sets,
                                     size_t limit) {
  std::vector<std::vector<Peer>> parts;
  auto cidr_peer = [](AddrSet a) {
    Peer p;
    p.cidrs = std::move(a);
    return p;
  };
  if (!spec.nets.empty()) parts.push_back({cidr_peer(addr_union(spec.nets))});
  if (!spec.not_nets.empty()) parts.push_back({cidr_peer(addr_complement(spec.not_nets))});
  if (spec.selector) {
    std::vector<Cidr> set_nets;
    auto r = selected(*spec.selector, sets, set_nets);
    if (auto* p = std::get_if<Problem>(&r)) return *p;
    auto peers = std::get<std::vector<Peer>>(r);
    if (!set_nets.empty()) peers.push_back(cidr_peer(addr_union(set_nets)));
    parts.push_back(std::move(peers));
  }
  if (spec.not_selector) {
    // Not in the IP set: not a pod matching N (any other kind of endpoint qualifies), and
    // outside every network set matching N.
    std::vector<Cidr> set_nets;
    auto r = selected(ir::Selector::negate(*spec.not_selector), {}, set_nets);
    if (auto* p = std::get_if<Problem>(&r)) return *p;
    auto peers = std::get<std::vector<Peer>>(r);
    Peer others;
    others.kinds = ir::mask(ir::EndpointKind::External) | ir::mask(ir::EndpointKind::Host);
    peers.push_back(others);
    parts.push_back(std::move(peers));
    auto r2 = selected(*spec.not_selector, sets, set_nets);
    if (auto* p = std::get_if<Problem>(&r2)) return *p;
    if (!set_nets.empty()) parts.push_back({cidr_peer(addr_complement(set_nets))});
  }
  if (spec.family) parts.push_back({cidr_peer(addr_family(*spec.family))});
  if (parts.empty()) return std::vector<Peer>{};

  std::vector<Peer> acc{Peer{}};
  for (const auto& part : parts) {
    std::vector<Peer> next;
    for (const auto& a : acc)
      for (const auto& b : part)
        if (auto c = intersect(a, b); c && std::find(next.begin(), next.end(), *c) == next.end())
          next.push_back(std::move(*c));
    acc = merge_kinds(std::move(next));
    if (acc.size() > limit)
      return Problem{ir::Code::NV5023, "the rule's peer expands to more than " + std::to_string(limit) +
                                           " IR peers; not supported yet"};
  }
  if (acc.empty()) {
    Peer none;
    none.kinds = 0;
    return std::vector<Peer>{none};
  }
  if (std::find(acc.begin(), acc.end(), Peer{}) != acc.end()) return std::vector<Peer>{};
  return acc;
}

// ---- Protocol and ports ------------------------------------------------------------------

std::optional<int> protocol_number(const std::string& name) {
  // validator.go protocolRegex (case-sensitive); numbers from felix's protocol tables.
  if (name == "TCP") return ir::kTCP;
  if (name == "UDP") return ir::kUDP;
  if (name == "ICMP") return ir::kICMP;
  if (name == "ICMPv6") return ir::kICMPv6;
  if (name == "SCTP") return ir::kSCTP;
  if (name == "UDPLite") return 136;
  return std::nullopt;
}

bool supports_ports(int proto) { return proto == ir::kTCP || proto == ir::kUDP || proto == ir::kSCTP; }

namespace {

Intervals normal(const std::vector<PortRange>& ranges) {
  Intervals v;
  for (const auto& r : ranges) v.emplace_back(r.lo, r.hi);
  std::sort(v.begin(), v.end());
  Intervals out;
  for (const auto& [lo, hi] : v) {
    if (!out.empty() && lo <= out.back().second + 1)
      out.back().second = std::max(out.back().second, hi);
    else
      out.emplace_back(lo, hi);
  }
  return out;
}


}  // namespace

Intervals minus(const Intervals& a, const Intervals& b) {
  Intervals out;
  for (auto [lo, hi] : a) {
    for (const auto& [blo, bhi] : b) {
      if (bhi < lo || blo > hi) continue;
      if (blo > lo) out.emplace_back(lo, blo - 1);
      lo = bhi + 1;
      if (lo > hi) break;
    }
    if (lo <= hi) out.emplace_back(lo, hi);
  }
  return out;
}

Result<std::optional<std::vector<ir::PortMatch>>> lower_ports(const PortSpec& s) {
  using Out = std::optional<std::vector<ir::PortMatch>>;
  std::vector<int> protos;
  if (s.protocol) {
    if (s.not_protocol && *s.not_protocol == *s.protocol) return Out{std::vector<ir::PortMatch>{}};
    protos.push_back(*s.protocol);
  } else if (s.not_protocol) {
    for (int p = 0; p <= 255; ++p)
      if (p != *s.not_protocol) protos.push_back(p);
  }
  bool port_match = !s.ports.empty() || !s.named.empty() || !s.not_ports.empty();
  if (!port_match) {
    if (protos.empty()) return Out{};
    std::vector<ir::PortMatch> out;
    for (int p : protos) out.push_back(ir::PortMatch{p, 0, 65535, ""});
    return Out{out};
  }
  if (protos.size() != 1)
    return Problem{ir::Code::NV5018, "ports need protocol TCP, UDP or SCTP"};
  if (!s.named.empty() && !s.not_ports.empty())
    return Problem{ir::Code::NV5036,
                   "named ports together with notPorts are not supported yet (the number a name "
                   "resolves to may be one of the notPorts)"};
  Intervals base = s.ports.empty() && s.named.empty() ? Intervals{{0, 65535}} : normal(s.ports);
  std::vector<ir::PortMatch> out;
  for (const auto& [lo, hi] : minus(base, normal(s.not_ports)))
    out.push_back(ir::PortMatch{protos[0], static_cast<uint16_t>(lo), static_cast<uint16_t>(hi), ""});
  for (const auto& n : s.named) {
    ir::PortMatch pm{protos[0], 0, 65535, n};
    if (std::find(out.begin(), out.end(), pm) == out.end()) out.push_back(pm);
  }
  return Out{out};
}

}  // namespace nv::calico
