#include "ir/matrix.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <unordered_map>

namespace nv::ir {

namespace {

void collect_keys(const Selector& s, std::set<std::string>& keys) {
  if (!s.key.empty()) keys.insert(s.key);
  for (const auto& k : s.kids) collect_keys(k, keys);
}

// Everything in the policy set that can tell two pods apart.
struct Distinctions {
  std::set<std::string> label_keys;  // pod label keys any selector mentions
  std::vector<Cidr> cidrs;           // every cidr and except of the family in use
  std::set<std::string> port_names;  // named ports
  bool nodes = false;                // some node selector: hosts differ by their node

  void add(const Peer& p, Family family) {
    if (p.pod_selector) collect_keys(*p.pod_selector, label_keys);
    if (p.node_selector) nodes = true;
    if (!p.cidrs) return;
    for (const auto& b : *p.cidrs) {
      if (b.cidr.family() == family) cidrs.push_back(b.cidr);
      for (const auto& e : b.except)
        if (e.family() == family) cidrs.push_back(e);
    }
  }
};

void append_field(std::string& key, const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key += s;
}

// A pod's class key: what the distinctions see of it, and nothing else.
std::string class_key(const Pod& p, const Endpoint& e, const Distinctions& d,
                      const MatrixOptions& opt) {
  std::string key;
  key += e.kind == EndpointKind::Pod ? 'P' : 'H';
  if (e.kind == EndpointKind::Pod) {
    append_field(key, p.ns);
    for (const auto& k : d.label_keys) {
      auto it = p.labels.find(k);
      if (it == p.labels.end()) {
        key += '-';
      } else {
        key += '=';
        append_field(key, it->second);
      }
    }
    for (const auto& n : d.port_names) {
      auto resolved = p.named_port(n, opt.proto);
      key += resolved && *resolved == opt.port ? '1' : '0';
    }
  } else if (d.nodes) {
    append_field(key, e.node);  // node labels are a function of the node
  }
  for (const auto& c : d.cidrs) key += e.addr && c.contains(*e.addr) ? '1' : '0';
  return key;
}

}  // namespace

Matrix Matrix::compute(const PolicySet& ps, const Inventory& inv, const MatrixOptions& opt) {
  Matrix m;
  for (const auto& p : inv.pods) {
    m.endpoints_.push_back(Endpoint::of_pod(p, opt.family));
    if (p.host_network) m.host_pods_.push_back(m.pods_.size());
    m.pods_.push_back(&p);
  }

  Distinctions dist;
  for (const auto& pol : ps.policies()) {
    dist.add(pol.subject, opt.family);
    for (const auto& dr : pol.dirs)
      for (const auto& r : dr.rules) {
        for (const auto& peer : r.peers) dist.add(peer, opt.family);
        for (const auto& pm : r.ports)
          if (!pm.named.empty()) dist.port_names.insert(pm.named);
      }
  }
  std::sort(dist.cidrs.begin(), dist.cidrs.end());
  dist.cidrs.erase(std::unique(dist.cidrs.begin(), dist.cidrs.end()), dist.cidrs.end());

  // Classes, each with a representative pod.
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<size_t> reps;
  std::map<std::string, std::vector<uint32_t>> pod_classes_by_ns;
  std::vector<uint32_t> all_classes;
  m.cls_.reserve(m.pods_.size());
  for (size_t i = 0; i < m.pods_.size(); ++i) {
    auto [it, fresh] = ids.emplace(class_key(*m.pods_[i], m.endpoints_[i], dist, opt),
                                   static_cast<uint32_t>(reps.size()));
    if (fresh) {
      reps.push_back(i);
      m.sizes_.push_back(0);
      all_classes.push_back(it->second);
      if (m.endpoints_[i].kind == EndpointKind::Pod)
        pod_classes_by_ns[m.pods_[i]->ns].push_back(it->second);
    }
    m.cls_.push_back(it->second);
    ++m.sizes_[it->second];
  }
  const size_t G = reps.size();
  auto rep = [&](uint32_t c) -> const Endpoint& { return m.endpoints_[reps[c]]; };

  // The classes a peer matches; a namespace-scoped peer only looks at its namespace.
  // A namespace selector is tried once per namespace, not once per class.
  auto for_each_match = [&](const Peer& peer, auto&& fn) {
    auto each = [&](const std::vector<uint32_t>& candidates) {
      for (uint32_t c : candidates)
        if (matches(peer, rep(c), inv)) fn(c);
    };
    if (peer.ns_name) {
      if (auto it = pod_classes_by_ns.find(*peer.ns_name); it != pod_classes_by_ns.end())
        each(it->second);
    } else if (peer.ns_selector) {
      for (const auto& [ns, classes] : pod_classes_by_ns)
        if (peer.ns_selector->matches(inv.namespace_labels(ns))) each(classes);
    } else {
      each(all_classes);
    }
  };

  // Which policies select each class, in evaluation order.
  const auto& policies = ps.policies();
  std::vector<size_t> tier_of(policies.size());
  for (size_t t = 0; t < ps.by_tier().size(); ++t)
    for (size_t i : ps.by_tier()[t]) tier_of[i] = t;
  std::vector<std::vector<uint32_t>> selecting(G);
  // Host policies select hostNetwork pods (nodes), the others pods (applies_to_hosts).
  for (size_t i = 0; i < policies.size(); ++i)
    for_each_match(policies[i].subject, [&](uint32_t c) {
      if (applies_to_hosts(policies[i]) == (rep(c).kind == EndpointKind::Host))
        selecting[c].push_back(static_cast<uint32_t>(i));
    });

  // Per rule: the classes it matches as a peer, and per destination class whether its
  // ports match there. Equal peers (common across policies) are computed once.
  struct RuleBits {
    Bitset peers;  // source classes (ingress) or destination classes (egress)
    enum class Ports : uint8_t { All, None, Some } ports = Ports::All;
    Bitset port_classes;  // Ports::Some: destination classes where the ports match
    Bitset egress;        // egress rules with Ports::Some: peers & port_classes
    bool ports_at(uint32_t dst) const {
      return ports == Ports::All || (ports == Ports::Some && port_classes.test(dst));
    }
  };
  // Per named port match: the destination classes where it matches the queried port,
  // by the evaluator's own rule; computed once per distinct match.
  std::unordered_map<std::string, Bitset> named_port_classes;
  auto named_bits = [&](const PortMatch& pm) -> const Bitset& {
    auto [it, fresh] = named_port_classes.try_emplace(pm.str(), G);
    if (fresh)
      for (uint32_t c = 0; c < G; ++c)
        if (matches(pm, opt.proto, opt.port, rep(c))) it->second.set(c);
    return it->second;
  };
  // rule_bits[first_rule[policy][direction] + k] belongs to that direction's rule k.
  std::vector<std::array<size_t, 2>> first_rule(policies.size());
  std::vector<RuleBits> rule_bits;
  std::unordered_map<std::string, std::vector<std::pair<const Peer*, Bitset>>> peer_cache;
  auto cached_peer = [&](const Peer& peer) -> const Bitset& {
    auto& bucket = peer_cache[peer.str()];
    for (const auto& [p, bits] : bucket)
      if (*p == peer) return bits;
    Bitset b(G);
    for_each_match(peer, [&](uint32_t c) { b.set(c); });
    bucket.emplace_back(&peer, std::move(b));
    return bucket.back().second;
  };
  for (size_t pi = 0; pi < policies.size(); ++pi)
    for (Direction dir : kDirections) {
      first_rule[pi][static_cast<int>(dir)] = rule_bits.size();
      for (const auto& r : policies[pi].dir(dir).rules) {
        RuleBits rb;
        rb.peers = Bitset(G, r.peers.empty());
        for (const auto& peer : r.peers) rb.peers |= cached_peer(peer);
        // The matrix answers for bare connections (no request): an L7 rule matches none.
        if (r.l7) rb.peers = Bitset(G, false);
        if (!r.ports.empty()) {
          // Numeric ports match or not whatever the destination; named ports per class.
          Endpoint nobody;
          bool numeric = std::any_of(r.ports.begin(), r.ports.end(), [&](const PortMatch& pm) {
            return pm.named.empty() && matches(pm, opt.proto, opt.port, nobody);
          });
          rb.ports = numeric ? RuleBits::Ports::All : RuleBits::Ports::None;
          if (!numeric)
            for (const auto& pm : r.ports) {
              if (pm.named.empty()) continue;
              if (rb.ports == RuleBits::Ports::None) {
                rb.ports = RuleBits::Ports::Some;
                rb.port_classes = Bitset(G);
              }
              rb.port_classes |= named_bits(pm);
            }
        }
        if (dir == Direction::Egress && rb.ports == RuleBits::Ports::Some) {
          rb.egress = Bitset(G);
          rb.egress.assign_and(rb.peers, rb.port_classes);
        }
        rule_bits.push_back(std::move(rb));
      }
    }

  // The tier walk of evaluate_side(), for one subject class against every peer class.
  auto walk = [&](uint32_t subject, Direction dir) {
    Bitset allowed(G), decided(G), passed(G);
    for (size_t t = 0; t < ps.tiers().size(); ++t) {
      bool isolated = false;
      for (uint32_t i : selecting[subject])
        if (tier_of[i] == t && policies[i].dir(dir).isolates) isolated = true;
      if (!isolated) continue;
      passed.fill(false);
      for (uint32_t i : selecting[subject]) {
        if (tier_of[i] != t) continue;
        const auto& rules = policies[i].dir(dir).rules;
        for (size_t k = 0; k < rules.size(); ++k) {
          const Rule& r = rules[k];
          const RuleBits& rb = rule_bits[first_rule[i][static_cast<int>(dir)] + k];
          if (rb.ports == RuleBits::Ports::None) continue;
          const Bitset* m = &rb.peers;
          if (dir == Direction::Egress) {
            if (rb.ports == RuleBits::Ports::Some) m = &rb.egress;  // over destinations
          } else if (!rb.ports_at(subject)) {
            continue;  // the ports do not match at this destination
          }
          switch (r.action) {
            case Action::Allow:
              allowed.or_andnot2(*m, decided, passed);
              decided.or_andnot(*m, passed);
              break;
            case Action::Deny:
              decided.or_andnot(*m, passed);
              break;
            case Action::Pass:
              passed.or_andnot(*m, decided);
              break;
            case Action::Log:
              break;
          }
        }
      }
      if (ps.tiers()[t].default_action == Action::Deny) decided.or_not(passed);
    }
    allowed.or_not(decided);
    return allowed;
  };

  m.egress_.reserve(G);
  m.ingress_.reserve(G);
  for (uint32_t c = 0; c < G; ++c) {
    m.egress_.push_back(walk(c, Direction::Egress));
    m.ingress_.push_back(walk(c, Direction::Ingress));
  }
  return m;
}

bool Matrix::allowed(size_t src, size_t dst) const {
  if (src == dst) return true;
  if (node_local(endpoints_[src], endpoints_[dst])) return true;
  uint32_t s = cls_[src], d = cls_[dst];
  return egress_[s].test(d) && ingress_[d].test(s);
}

uint64_t Matrix::count_allowed() const {
  const size_t G = sizes_.size();
  // by_class[s] = destination classes d with egress(s -> d) and ingress(d <- s): the
  // ingress rows transposed, then ANDed with the egress row; only set bits are visited.
  std::vector<Bitset> ingress_from = transpose(ingress_);
  uint64_t n = 0;
  for (size_t s = 0; s < G; ++s) {
    Bitset both(G);
    both.assign_and(egress_[s], ingress_from[s]);
    uint64_t row = 0;
    both.for_each([&](size_t d) { row += sizes_[d]; });
    n += row * sizes_[s];
  }
  // Self pairs are always allowed.
  for (size_t c = 0; c < G; ++c)
    if (!(egress_[c].test(c) && ingress_[c].test(c))) n += sizes_[c];
  // Node-local pairs: a hostNetwork pod and the pods of its node, both ways.
  for (size_t h : host_pods_)
    for (size_t q = 0; q < pods_.size(); ++q) {
      if (!node_local(endpoints_[h], endpoints_[q])) continue;
      auto by_class = [&](size_t a, size_t b) {
        return egress_[cls_[a]].test(cls_[b]) && ingress_[cls_[b]].test(cls_[a]);
      };
      if (!by_class(h, q)) ++n;
      if (!by_class(q, h)) ++n;
    }
  return n;
}

}  // namespace nv::ir
