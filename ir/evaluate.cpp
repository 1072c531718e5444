#include "ir/evaluate.h"

#include <algorithm>
#include <set>

namespace nv::ir {

Endpoint Endpoint::of_pod(const Pod& p, Family family) {
  Endpoint e;
  e.kind = p.host_network ? EndpointKind::Host : EndpointKind::Pod;
  e.pod = &p;
  e.node = p.node;
  e.addr = p.ip(family);
  return e;
}

Endpoint Endpoint::of_ip(const Inventory& inv, const IpAddr& a) {
  if (auto p = inv.find_pod_by_ip(a)) {
    Endpoint e = of_pod(*p, a.family);
    e.addr = a;
    return e;
  }
  Endpoint e;
  e.addr = a;
  if (auto node = inv.node_of_ip(a)) {
    e.kind = EndpointKind::Host;
    e.node = *node;
  }
  return e;
}

std::string Endpoint::str() const {
  std::string a = addr ? addr->str() : "no address";
  if (kind == EndpointKind::External && fqdn) return *fqdn + " (" + a + ")";
  if (kind == EndpointKind::Pod) return pod->id();
  if (kind == EndpointKind::Host)
    return pod ? pod->id() + " (hostNetwork on node " + node + ")"
               : "node " + node + " (" + a + ")";
  return a;
}

bool matches(const Peer& peer, const Endpoint& e, const Inventory& inv) {
  if (!(peer.kinds & mask(e.kind))) return false;
  bool is_pod = e.kind == EndpointKind::Pod;
  if (peer.ns_name && !(is_pod && e.pod->ns == *peer.ns_name)) return false;
  if (peer.ns_selector && !(is_pod && peer.ns_selector->matches(inv.namespace_labels(e.pod->ns))))
    return false;
  if (peer.pod_selector && !(is_pod && peer.pod_selector->matches(e.pod->labels))) return false;
  if (peer.node_selector) {
    // A Host endpoint whose node is a Node object of the inventory with matching labels;
    // a node without a Node object has unknown labels and matches no node selector.
    if (e.kind != EndpointKind::Host) return false;
    const Node* node = inv.find_node(e.node);
    if (!node || !peer.node_selector->matches(node->labels)) return false;
  }
  if (peer.fqdns) {
    // An FQDN peer: an external address that DNS returned for a matching name.
    if (e.kind != EndpointKind::External || !e.fqdn) return false;
    if (std::none_of(peer.fqdns->begin(), peer.fqdns->end(),
                     [&](const Regex& re) { return full_match(re, *e.fqdn); }))
      return false;
  }
  if (peer.cidrs) {
    if (!e.addr) return false;
    if (std::none_of(peer.cidrs->begin(), peer.cidrs->end(),
                     [&](const CidrBlock& b) { return b.contains(*e.addr); }))
      return false;
  }
  return true;
}

bool matches(const PortMatch& pm, int proto, uint16_t port, const Endpoint& dst) {
  if (pm.proto != kAnyProto && pm.proto != proto) return false;
  // Every protocol with a port range: an ICMP packet has no port (port 0, model.h).
  if (pm.proto == kAnyProto && is_icmp(proto) && pm.named.empty()) port = 0;
  if (pm.named.empty()) return pm.lo <= port && port <= pm.hi;
  // A named port means the destination pod's container port of that name and protocol.
  if (dst.kind != EndpointKind::Pod) return false;
  auto resolved = dst.pod->named_port(pm.named, proto);
  return resolved && *resolved == port;
}

// The L3/L4 part of a rule.
static bool matches_l34(const Rule& rule, const Endpoint& peer, const Packet& pkt,
                        const Inventory& inv) {
  if (!rule.peers.empty() && std::none_of(rule.peers.begin(), rule.peers.end(),
                                          [&](const Peer& p) { return matches(p, peer, inv); }))
    return false;
  if (!rule.ports.empty() &&
      std::none_of(rule.ports.begin(), rule.ports.end(),
                   [&](const PortMatch& pm) { return matches(pm, pkt.proto, pkt.port, pkt.dst); }))
    return false;
  return true;
}

bool matches(const Rule& rule, const Endpoint& peer, const Packet& pkt, const Inventory& inv) {
  return matches_l34(rule, peer, pkt, inv) && (!rule.l7 || l7_match(*rule.l7, pkt).has_value());
}

std::string HttpRequest::str() const { return method + " http://" + host + path; }

bool matches(const HttpRule& r, const HttpRequest& req) {
  if (r.method && !full_match(*r.method, req.method)) return false;
  if (r.path && !full_match(*r.path, req.path)) return false;
  if (r.host && !full_match(*r.host, req.host)) return false;
  for (const HeaderMatch& h : r.headers) {
    auto it = req.headers.find(h.name);
    if (it == req.headers.end() || (h.value && it->second != *h.value)) return false;
  }
  return true;
}

// HTTP rules match requests, DNS rules queries; a bare connection matches neither.
std::optional<size_t> l7_match(const L7Match& l7, const Packet& pkt) {
  if (pkt.http)
    for (size_t i = 0; i < l7.http.size(); ++i)
      if (matches(l7.http[i], *pkt.http)) return i;
  if (pkt.dns_query)
    for (size_t i = 0; i < l7.dns.size(); ++i)
      if (full_match(l7.dns[i].name, *pkt.dns_query)) return l7.http.size() + i;
  return std::nullopt;
}

SideDecision evaluate_side(const PolicySet& ps, const Inventory& inv, Direction dir,
                           const Packet& pkt) {
  const Endpoint& subject = dir == Direction::Ingress ? pkt.dst : pkt.src;
  const Endpoint& peer = dir == Direction::Ingress ? pkt.src : pkt.dst;
  SideDecision d;
  if (subject.kind == EndpointKind::External) return d;  // NotEnforced
  // A policy whose subject selects nodes (a host policy) applies to node endpoints, every
  // other policy to pods (applies_to_hosts); a node that no host policy could select is
  // not enforced, as before host policies existed.
  const bool host = subject.kind == EndpointKind::Host;
  if (host && std::none_of(ps.policies().begin(), ps.policies().end(),
                           [](const Policy& p) { return applies_to_hosts(p); }))
    return d;

  bool visited_any = false;
  for (size_t t = 0; t < ps.tiers().size(); ++t) {
    const Tier& tier = ps.tiers()[t];
    std::vector<const Policy*> selecting, isolating;
    bool isolated = false;
    for (size_t i : ps.by_tier()[t]) {
      const Policy& p = ps.policies()[i];
      if (applies_to_hosts(p) != host || !matches(p.subject, subject, inv)) continue;
      selecting.push_back(&p);
      if (p.dir(dir).isolates) {
        isolated = true;
        isolating.push_back(&p);
      }
    }
    if (!isolated) continue;
    d.isolating = std::move(isolating);
    visited_any = true;

    bool passed = false;
    for (const Policy* p : selecting) {
      for (const Rule& r : p->dir(dir).rules) {
        if (!matches_l34(r, peer, pkt, inv)) continue;
        if (r.l7 && !l7_match(*r.l7, pkt)) {
          d.l7_missed.push_back(&r);  // for the explanation only
          continue;
        }
        if (r.action == Action::Log) {
          d.logged.push_back(&r);
          continue;
        }
        if (r.action == Action::Pass) {
          passed = true;
          d.passed.push_back({p, &r, &tier});
          break;
        }
        d.kind = SideDecision::Kind::Rule;
        d.allowed = r.action == Action::Allow;
        d.policy = p;
        d.rule = &r;
        d.tier = &tier;
        return d;
      }
      if (passed) break;
    }
    if (!passed && tier.default_action == Action::Deny) {
      d.kind = SideDecision::Kind::TierDefault;
      d.allowed = false;
      d.tier = &tier;
      return d;
    }
  }
  d.kind = visited_any ? SideDecision::Kind::PassedAll : SideDecision::Kind::NotIsolated;
  d.allowed = true;
  return d;
}

static bool same_pod(const Endpoint& a, const Endpoint& b) { return a.pod && a.pod == b.pod; }

std::vector<Endpoint> host_endpoints(const Inventory& inv, Family f) {
  std::set<IpAddr> addrs;
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (a.family == f) addrs.insert(a);
  for (const auto& pod : inv.pods)
    if (auto a = pod.ip(f); a && pod.host_network) addrs.insert(*a);
  std::vector<Endpoint> out;
  for (const auto& a : addrs) {
    Endpoint h = Endpoint::of_ip(inv, a);
    if (h.kind == EndpointKind::Host) out.push_back(std::move(h));
  }
  return out;
}

bool node_local(const Endpoint& a, const Endpoint& b) {
  auto local = [](const Endpoint& host, const Endpoint& pod) {
    return host.kind == EndpointKind::Host && pod.kind == EndpointKind::Pod && !host.node.empty() &&
           host.node == pod.node;
  };
  return local(a, b) || local(b, a);
}

Verdict evaluate(const PolicySet& ps, const Inventory& inv, const Packet& pkt) {
  Verdict v;
  v.egress = evaluate_side(ps, inv, Direction::Egress, pkt);
  v.ingress = evaluate_side(ps, inv, Direction::Ingress, pkt);
  if (same_pod(pkt.src, pkt.dst)) {
    v.shortcut = Verdict::Shortcut::Self;
    v.allowed = true;
  } else if (node_local(pkt.src, pkt.dst)) {
    v.shortcut = Verdict::Shortcut::NodeLocal;
    v.allowed = true;
  } else {
    v.allowed = v.egress.allowed && v.ingress.allowed;
  }
  return v;
}

}  // namespace nv::ir
