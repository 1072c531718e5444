#include "compiler/backends/plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "ir/parallel.h"

namespace nv::backends {

// ---------------------------------------------------------------------------------------
// PortSet

namespace {

using Ranges = std::vector<PortRange>;

Ranges unite(const Ranges& a, const Ranges& b) {
  Ranges all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  Ranges out;
  for (const auto& r : all) {
    if (!out.empty() && static_cast<uint32_t>(out.back().hi) + 1 >= r.lo)
      out.back().hi = std::max(out.back().hi, r.hi);
    else
      out.push_back(r);
  }
  return out;
}

Ranges intersect(const Ranges& a, const Ranges& b) {
  Ranges out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint16_t lo = std::max(a[i].lo, b[j].lo), hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    (a[i].hi < b[j].hi) ? ++i : ++j;
  }
  return out;
}

Ranges complement(const Ranges& a) {
  Ranges out;
  uint32_t next = 0;
  for (const auto& r : a) {
    if (r.lo > next) out.push_back({static_cast<uint16_t>(next), static_cast<uint16_t>(r.lo - 1)});
    next = static_cast<uint32_t>(r.hi) + 1;
  }
  if (next <= 65535) out.push_back({static_cast<uint16_t>(next), 65535});
  return out;
}

std::bitset<256> portless_protos() {
  std::bitset<256> b;
  b.set();
  for (int p : PortSet::kPortProtos) b.reset(p);
  return b;
}

constexpr int kKinds = static_cast<int>(PortSet::kPortProtos.size());

int port_proto_index(int proto) {
  for (int i = 0; i < kKinds; ++i)
    if (PortSet::kPortProtos[i] == proto) return i;
  return -1;
}

// "type 8", "type 3 code 1", "type 0 code 0-type 2 code 4": ICMP type << 8 | code.
std::string icmp_text(const PortRange& r) {
  auto tc = [](uint16_t v) {
    return "type " + std::to_string(v >> 8) + " code " + std::to_string(v & 255);
  };
  if ((r.lo & 255) == 0 && (r.hi & 255) == 255)
    return "type " + std::to_string(r.lo >> 8) +
           (r.hi >> 8 != r.lo >> 8 ? "-" + std::to_string(r.hi >> 8) : "");
  return r.lo == r.hi ? tc(r.lo) : tc(r.lo) + "-" + tc(r.hi);
}

}  // namespace

bool is_port_proto(int proto) { return port_proto_index(proto) >= 0; }

PortSet PortSet::all() {
  PortSet s;
  for (auto& r : s.ranges) r = {{0, 65535}};
  s.protos = portless_protos();
  return s;
}

std::bitset<256> PortSet::whole_protos() const {
  std::bitset<256> b = protos;
  for (int i = kTransport; i < kKinds; ++i)
    if (ranges[i] == Ranges{{0, 65535}}) b.set(kPortProtos[i]);
  return b;
}

std::bitset<256> PortSet::partial_icmp() const {
  std::bitset<256> b;
  for (int i = kTransport; i < kKinds; ++i)
    if (!ranges[i].empty() && ranges[i] != Ranges{{0, 65535}}) b.set(kPortProtos[i]);
  return b;
}

bool PortSet::is_none() const {
  return protos.none() && std::all_of(ranges.begin(), ranges.end(), [](const Ranges& r) { return r.empty(); });
}

bool PortSet::is_all() const { return *this == all(); }

bool PortSet::contains(int proto, uint16_t port) const {
  int i = port_proto_index(proto);
  if (i < 0) return port == 0 && proto >= 0 && proto < 256 && protos.test(proto);
  return std::any_of(ranges[i].begin(), ranges[i].end(),
                     [&](const PortRange& r) { return r.lo <= port && port <= r.hi; });
}

PortSet PortSet::unite(const PortSet& o) const {
  PortSet s;
  for (int i = 0; i < kKinds; ++i) s.ranges[i] = backends::unite(ranges[i], o.ranges[i]);
  s.protos = protos | o.protos;
  return s;
}

PortSet PortSet::intersect(const PortSet& o) const {
  PortSet s;
  for (int i = 0; i < kKinds; ++i) s.ranges[i] = backends::intersect(ranges[i], o.ranges[i]);
  s.protos = protos & o.protos;
  return s;
}

PortSet PortSet::minus(const PortSet& o) const {
  PortSet s;
  for (int i = 0; i < kKinds; ++i)
    s.ranges[i] = backends::intersect(ranges[i], complement(o.ranges[i]));
  s.protos = protos & ~o.protos;
  return s;
}

PortSet PortSet::of(const ir::PortMatch& pm, const ir::Endpoint& dst) {
  PortSet s;
  auto add = [&](int proto, uint16_t lo, uint16_t hi) {
    int i = port_proto_index(proto);
    if (i >= 0)
      s.ranges[i] = backends::unite(s.ranges[i], {{lo, hi}});
    else if (lo == 0 && proto >= 0 && proto < 256)  // protocols without ports carry port 0
      s.protos.set(proto);
  };
  if (pm.named.empty()) {
    if (pm.proto == ir::kAnyProto) {
      for (int i = 0; i < kTransport; ++i) add(kPortProtos[i], pm.lo, pm.hi);
      // Every protocol with a port range sees an ICMP packet as port 0 (ir::matches).
      if (pm.lo == 0) {
        s.protos = portless_protos();
        for (int i = kTransport; i < kKinds; ++i) add(kPortProtos[i], 0, 65535);
      }
    } else {
      add(pm.proto, pm.lo, pm.hi);
    }
    return s;
  }
  // A named port is the destination pod's container port of that name and the packet's
  // protocol (ir::matches): one (protocol, port) per protocol the pod names it for.
  if (dst.kind != ir::EndpointKind::Pod) return s;
  std::set<int> protos;
  for (const auto& cp : dst.pod->ports)
    if (cp.name == pm.named && (pm.proto == ir::kAnyProto || cp.proto == pm.proto)) protos.insert(cp.proto);
  for (int p : protos)
    if (auto port = dst.pod->named_port(pm.named, p)) add(p, *port, *port);
  return s;
}

std::string PortSet::str() const {
  if (is_all()) return "all";
  if (is_none()) return "none";
  std::string out;
  for (int i = 0; i < kKinds; ++i) {
    if (ranges[i].empty()) continue;
    if (!out.empty()) out += ' ';
    out += ir::proto_name(kPortProtos[i]);
    if (i >= kTransport && ranges[i] == Ranges{{0, 65535}}) continue;  // "ICMP": every type
    out += "/";
    for (size_t j = 0; j < ranges[i].size(); ++j) {
      if (j) out += ',';
      const PortRange& r = ranges[i][j];
      if (i >= kTransport) {
        out += icmp_text(r);
        continue;
      }
      out += std::to_string(r.lo);
      if (r.hi != r.lo) out += "-" + std::to_string(r.hi);
    }
  }
  if (protos.any()) {
    if (!out.empty()) out += ' ';
    if (protos == portless_protos()) {
      out += "every other protocol";
    } else {
      out += "proto ";
      bool first = true;
      for (int p = 0; p < 256; ++p)
        if (protos.test(p)) {
          out += (first ? "" : ",") + std::to_string(p);
          first = false;
        }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Addresses

std::vector<ir::Cidr> range_to_cidrs(u128 lo, u128 hi, ir::Family f) {
  int bits = f == ir::Family::V4 ? 32 : 128;
  std::vector<ir::Cidr> out;
  while (true) {
    // The largest aligned block starting at lo that stays within hi.
    int len = bits;
    while (len > 0) {
      int host = bits - len + 1;  // host bits of the next larger block
      u128 size = host >= 128 ? ~u128(0) : (u128(1) << host) - 1;  // block size - 1
      if ((lo & size) != 0) break;
      if (lo + size > hi || lo + size < lo) break;
      --len;
    }
    out.push_back(ir::Cidr{addr_of(lo, f), len});
    int host = bits - len;
    u128 last = host >= 128 ? ~u128(0) : lo + ((u128(1) << host) - 1);
    if (last >= hi) break;
    lo = last + 1;
  }
  return out;
}

std::vector<const ir::Pod*> local_pods(const ir::Inventory& inv, const std::string& node) {
  std::vector<const ir::Pod*> out;
  for (const auto& p : inv.pods)
    if (p.node == node && !p.host_network && !p.ips.empty()) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](const ir::Pod* a, const ir::Pod* b) {
    return std::make_pair(a->ips.front(), a->id()) < std::make_pair(b->ips.front(), b->id());
  });
  return out;
}

bool node_known(const ir::Inventory& inv, const std::string& node) {
  return std::any_of(inv.nodes.begin(), inv.nodes.end(), [&](const ir::Node& n) { return n.name == node; }) ||
         std::any_of(inv.pods.begin(), inv.pods.end(), [&](const ir::Pod& p) { return p.node == node; });
}

// ---------------------------------------------------------------------------------------
// Planning

namespace {

constexpr std::array<ir::Family, 2> kFamilies = {ir::Family::V4, ir::Family::V6};

void selector_keys(const ir::Selector& s, std::set<std::string>& keys) {
  if (!s.key.empty()) keys.insert(s.key);
  for (const auto& k : s.kids) selector_keys(k, keys);
}

// One step of a subject's tier walk: a visited tier's rules in order, then its default.
struct WalkTier {
  std::vector<const ir::Rule*> rules;
  ir::Action default_action = ir::Action::Deny;
};

// Interns PortSets; 0 is none and 1 is all.
class PortSets {
 public:
  PortSets() {
    get(PortSet::none());
    get(PortSet::all());
  }
  uint32_t get(const PortSet& s) {
    std::string key = s.str();
    auto [it, fresh] = index_.emplace(key, sets_.size());
    if (fresh) sets_.push_back(s);
    return static_cast<uint32_t>(it->second);
  }
  std::vector<PortSet> take() { return std::move(sets_); }

 private:
  std::vector<PortSet> sets_;
  std::unordered_map<std::string, size_t> index_;
};

// The peers one family of one node's question can meet: point groups (inventory pods and
// node addresses that no relevant selector, CIDR or named port tells apart) and the
// intervals of all other addresses between CIDR boundaries.
struct PeerAtoms {
  struct Group {
    ir::Endpoint rep;             // representative endpoint
    std::vector<u128> addrs;      // every address of the group
  };
  std::vector<Group> groups;
  struct Interval {
    u128 lo, hi;
    ir::Endpoint rep;  // an External endpoint at lo
  };
  std::vector<Interval> intervals;
  std::vector<std::pair<u128, uint32_t>> points;  // address -> group, sorted
};

PeerAtoms peer_atoms(const ir::Inventory& inv, ir::Family fam, const std::set<std::string>& keys,
                     const std::set<std::string>& port_names, const std::vector<ir::Cidr>& cidrs,
                     bool by_node) {
  PeerAtoms atoms;
  // Every address once, in ascending order (the groups are numbered in order of first sight).
  std::vector<ir::IpAddr> addrs;
  for (const auto& p : inv.pods)
    for (const auto& a : p.ips)
      if (a.family == fam) addrs.push_back(a);
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (a.family == fam) addrs.push_back(a);
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());

  std::unordered_map<std::string, uint32_t> by_key;
  std::string key;  // reused: most addresses join a group already seen
  atoms.points.reserve(addrs.size());
  for (const auto& a : addrs) {
    ir::Endpoint e = ir::Endpoint::of_ip(inv, a);
    key.assign(1, static_cast<char>(e.kind));
    if (e.kind == ir::EndpointKind::Pod) {
      key += e.pod->ns;
      key += '\0';
      for (const auto& k : keys) {
        auto it = e.pod->labels.find(k);
        if (it == e.pod->labels.end()) {
          key += '\1';
        } else {
          key += '=';
          key += it->second;
        }
        key += '\0';
      }
      for (const auto& n : port_names)
        for (const auto& cp : e.pod->ports)
          if (cp.name == n) key += n + "/" + std::to_string(cp.proto) + "/" + std::to_string(cp.port) + '\0';
    }
    // Node selectors tell nodes apart by their labels, a function of the node.
    if (e.kind == ir::EndpointKind::Host && by_node) {
      key += e.node;
      key += '\0';
    }
    for (const auto& c : cidrs) key += c.contains(a) ? '1' : '0';
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      it = by_key.emplace(key, static_cast<uint32_t>(atoms.groups.size())).first;
      atoms.groups.push_back({e, {}});
    }
    atoms.groups[it->second].addrs.push_back(addr_value(a));
    atoms.points.emplace_back(addr_value(a), it->second);
  }
  std::sort(atoms.points.begin(), atoms.points.end());

  // Interval boundaries: the first address of each CIDR and the one after its last.
  std::set<u128> starts = {0};
  int bits = fam == ir::Family::V4 ? 32 : 128;
  u128 top = bits == 128 ? ~u128(0) : (u128(1) << 32) - 1;
  for (const auto& c : cidrs) {
    u128 lo = addr_value(c.addr);
    int host = bits - c.len;
    u128 hi = host >= 128 ? top : lo + ((u128(1) << host) - 1);
    starts.insert(lo);
    if (hi < top) starts.insert(hi + 1);
  }
  std::vector<u128> s(starts.begin(), starts.end());
  for (size_t i = 0; i < s.size(); ++i) {
    u128 hi = i + 1 < s.size() ? s[i + 1] - 1 : top;
    ir::Endpoint e;
    e.kind = ir::EndpointKind::External;
    e.addr = addr_of(s[i], fam);
    atoms.intervals.push_back({s[i], hi, e});
  }
  return atoms;
}

// Appends [lo, hi] to `runs` (sorted by address), joined with the last run when that one
// ends just before lo with the same set.
void append_run(std::vector<AddrRun>& runs, u128 lo, u128 hi, uint32_t set) {
  if (!runs.empty() && runs.back().set == set && runs.back().hi + 1 == lo)
    runs.back().hi = hi;
  else
    runs.push_back({lo, hi, set});
}

bool rule_peer_matches(const ir::Rule& r, const std::vector<uint32_t>& peer_ids,
                       const std::vector<char>& peer_hits) {
  if (r.peers.empty()) return true;
  for (uint32_t id : peer_ids)
    if (peer_hits[id]) return true;
  return false;
}

// The tier walk of ir::evaluate_side over PortSets: what a subject allows for one peer.
PortSet walk(const std::vector<WalkTier>& tiers, const std::vector<PortSet>& rule_ports,
             const std::vector<char>& rule_hits) {
  PortSet allowed, undecided = PortSet::all();
  size_t k = 0;
  for (const auto& t : tiers) {
    PortSet open = undecided, passed;
    for (const ir::Rule* r : t.rules) {
      size_t i = k++;
      if (!rule_hits[i] || r->action == ir::Action::Log) continue;
      PortSet m = rule_ports[i].intersect(open);
      if (m.is_none()) continue;
      open = open.minus(m);
      if (r->action == ir::Action::Allow) allowed = allowed.unite(m);
      if (r->action == ir::Action::Pass) passed = passed.unite(m);
    }
    undecided = t.default_action == ir::Action::Pass ? passed.unite(open) : passed;
  }
  return allowed.unite(undecided);
}

}  // namespace

NodePlan plan_node(const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node) {
  NodePlan plan;
  plan.node = node;
  std::vector<const ir::Pod*> pods = local_pods(inv, node);

  // Subject classes: the policies selecting each pod, per family, and its named ports
  // when ingress rules name ports.
  bool ingress_named = false;
  for (const auto& p : ps.policies())
    for (const auto& r : p.dir(ir::Direction::Ingress).rules)
      for (const auto& pm : r.ports)
        if (!pm.named.empty()) ingress_named = true;

  std::vector<char> selecting_any(ps.policies().size(), 0);
  std::map<std::string, size_t> class_of_key;
  std::vector<std::array<std::vector<size_t>, 2>> class_selecting;  // per class, per family
  for (const ir::Pod* pod : pods) {
    std::string key;
    std::array<std::vector<size_t>, 2> sel;
    for (ir::Family f : kFamilies) {
      ir::Endpoint e = ir::Endpoint::of_pod(*pod, f);
      if (!e.addr) continue;
      for (size_t i = 0; i < ps.policies().size(); ++i)
        if (ir::matches(ps.policies()[i].subject, e, inv)) {
          sel[family_index(f)].push_back(i);
          selecting_any[i] = 1;
          key += std::to_string(i) + ',';
        }
      key += '|';
    }
    if (ingress_named)
      for (const auto& cp : pod->ports) key += cp.name + "/" + std::to_string(cp.proto) + "/" + std::to_string(cp.port) + ';';
    auto [it, fresh] = class_of_key.emplace(key, plan.classes.size());
    if (fresh) {
      plan.classes.emplace_back();
      class_selecting.push_back(sel);
    }
    plan.classes[it->second].pods.push_back(pod);
  }
  // Counted as written: the copies a frontend splits one policy into (Calico rules on the
  // policy's own endpoint, frontends/calico/own.cpp) share its dialect, kind and name.
  std::set<std::string> written, written_selecting;
  for (size_t i = 0; i < ps.policies().size(); ++i) {
    std::string id = ps.policies()[i].dialect + " " + ps.policies()[i].id();
    written.insert(id);
    if (selecting_any[i]) written_selecting.insert(id);
  }
  plan.policies_total = written.size();
  plan.policies_selecting = written_selecting.size();

  // Everything the rules of the selecting policies look at.
  std::set<std::string> keys, port_names;
  std::vector<const ir::Peer*> peers;  // distinct
  std::map<std::string, std::vector<uint32_t>> peer_by_text;
  std::unordered_map<const ir::Rule*, std::vector<uint32_t>> rule_peers;
  std::array<std::vector<ir::Cidr>, 2> cidrs;
  bool by_node = false;  // some peer selects nodes by their labels
  for (size_t i = 0; i < ps.policies().size(); ++i) {
    if (!selecting_any[i]) continue;
    for (const auto& dr : ps.policies()[i].dirs)
      for (const auto& r : dr.rules) {
        for (const auto& pm : r.ports)
          if (!pm.named.empty()) port_names.insert(pm.named);
        std::vector<uint32_t>& ids = rule_peers[&r];
        for (const auto& peer : r.peers) {
          uint32_t id = UINT32_MAX;
          auto& same = peer_by_text[peer.str()];
          for (uint32_t j : same)
            if (*peers[j] == peer) id = j;
          if (id == UINT32_MAX) {
            id = static_cast<uint32_t>(peers.size());
            peers.push_back(&peer);
            same.push_back(id);
            if (peer.pod_selector) selector_keys(*peer.pod_selector, keys);
            if (peer.node_selector) by_node = true;
            if (peer.cidrs)
              for (const auto& b : *peer.cidrs) {
                cidrs[family_index(b.cidr.family())].push_back(b.cidr);
                for (const auto& e : b.except) cidrs[family_index(e.family())].push_back(e);
              }
          }
          ids.push_back(id);
        }
      }
  }
  for (auto& c : cidrs) {
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
  }

  PortSets sets;
  for (ir::Family fam : kFamilies) {
    int fi = family_index(fam);
    PeerAtoms atoms = peer_atoms(inv, fam, keys, port_names, cidrs[fi], by_node);
    plan.peer_groups += atoms.groups.size() + atoms.intervals.size();
    // Which distinct peers each atom matches: groups first, then intervals.
    size_t natoms = atoms.groups.size() + atoms.intervals.size();
    auto atom_rep = [&](size_t a) -> const ir::Endpoint& {
      return a < atoms.groups.size() ? atoms.groups[a].rep : atoms.intervals[a - atoms.groups.size()].rep;
    };
    std::vector<std::vector<char>> hits(natoms, std::vector<char>(peers.size(), 0));
    parallel_for(natoms, [&](size_t a) {
      for (size_t j = 0; j < peers.size(); ++j)
        hits[a][j] = ir::matches(*peers[j], atom_rep(a), inv);
    });

    // Each class and direction on its own (on several threads): the distinct port sets
    // its peers get, in order of first sight, and the runs of the address line by index
    // into them. Interned afterwards in class order, as one thread would have.
    struct Pending {
      bool isolated = false;
      std::vector<PortSet> sets;
      std::vector<AddrRun> runs;  // `set` indexes `sets`
    };
    std::vector<std::array<Pending, 2>> pending(plan.classes.size());
    parallel_for(plan.classes.size(), [&](size_t c) {
      const SubjectClass& cls = plan.classes[c];
      const ir::Pod& rep_pod = *cls.pods.front();
      ir::Endpoint subject = ir::Endpoint::of_pod(rep_pod, fam);
      if (!subject.addr) return;
      const std::vector<size_t>& sel = class_selecting[c][fi];
      for (ir::Direction dir : ir::kDirections) {
        Pending& out = pending[c][static_cast<int>(dir)];
        // The visited tiers: those where a selecting policy isolates this direction.
        std::vector<WalkTier> tiers;
        for (size_t t = 0; t < ps.tiers().size(); ++t) {
          WalkTier wt;
          wt.default_action = ps.tiers()[t].default_action;
          bool isolated = false;
          for (size_t i : ps.by_tier()[t]) {
            if (!std::binary_search(sel.begin(), sel.end(), i)) continue;
            const ir::Policy& p = ps.policies()[i];
            isolated = isolated || p.dir(dir).isolates;
            for (const auto& r : p.dir(dir).rules) wt.rules.push_back(&r);
          }
          if (isolated) tiers.push_back(std::move(wt));
        }
        if (tiers.empty()) continue;
        out.isolated = true;

        std::vector<const ir::Rule*> rules;
        for (const auto& t : tiers) rules.insert(rules.end(), t.rules.begin(), t.rules.end());
        // Port sets that do not depend on the peer: all of them on ingress (the
        // destination is the subject); on egress those without named ports.
        std::vector<PortSet> fixed(rules.size());
        std::vector<char> per_peer(rules.size(), 0);
        for (size_t i = 0; i < rules.size(); ++i) {
          bool named = std::any_of(rules[i]->ports.begin(), rules[i]->ports.end(),
                                   [](const ir::PortMatch& pm) { return !pm.named.empty(); });
          if (dir == ir::Direction::Egress && named) {
            per_peer[i] = 1;
            continue;
          }
          if (rules[i]->ports.empty()) {
            fixed[i] = PortSet::all();
          } else {
            for (const auto& pm : rules[i]->ports)
              fixed[i] = fixed[i].unite(PortSet::of(pm, subject));
          }
        }
        bool any_per_peer = std::find(per_peer.begin(), per_peer.end(), 1) != per_peer.end();
        std::vector<const std::vector<uint32_t>*> peer_ids(rules.size());
        for (size_t i = 0; i < rules.size(); ++i) peer_ids[i] = &rule_peers.at(rules[i]);

        // One walk per distinct signature (which rules match the atom, and how named
        // ports resolve against it).
        std::unordered_map<std::string, uint32_t> by_sig;
        std::vector<uint32_t> atom_set(natoms);
        std::vector<char> rule_hits(rules.size());
        std::vector<PortSet> ports;  // `fixed` plus the named ports resolved against the atom
        for (size_t a = 0; a < natoms; ++a) {
          std::string sig(rules.size(), '0');
          for (size_t i = 0; i < rules.size(); ++i) {
            rule_hits[i] = rule_peer_matches(*rules[i], *peer_ids[i], hits[a]);
            sig[i] = rule_hits[i] ? '1' : '0';
          }
          if (any_per_peer) {
            ports = fixed;
            const ir::Endpoint& dst = atom_rep(a);
            for (size_t i = 0; i < rules.size(); ++i) {
              if (!per_peer[i] || !rule_hits[i]) continue;
              for (const auto& pm : rules[i]->ports)
                ports[i] = ports[i].unite(PortSet::of(pm, dst));
              sig += ports[i].str() + ';';
            }
          }
          auto [it, fresh] = by_sig.emplace(sig, static_cast<uint32_t>(out.sets.size()));
          if (fresh) out.sets.push_back(walk(tiers, any_per_peer ? ports : fixed, rule_hits));
          atom_set[a] = it->second;
        }

        // Sweep the address line: intervals, with the inventory's points punched out.
        auto push = [&](u128 lo, u128 hi, uint32_t set) { append_run(out.runs, lo, hi, set); };
        size_t pi = 0;
        for (size_t iv = 0; iv < atoms.intervals.size(); ++iv) {
          const auto& in = atoms.intervals[iv];
          uint32_t set = atom_set[atoms.groups.size() + iv];
          u128 next = in.lo;
          bool done = false;
          while (pi < atoms.points.size() && atoms.points[pi].first <= in.hi) {
            u128 p = atoms.points[pi].first;
            if (p > next) push(next, p - 1, set);
            push(p, p, atom_set[atoms.points[pi].second]);
            ++pi;
            if (p == in.hi) {
              done = true;
              break;
            }
            next = p + 1;
          }
          if (!done) push(next, in.hi, set);
        }
      }
    });

    for (size_t c = 0; c < plan.classes.size(); ++c)
      for (ir::Direction dir : ir::kDirections) {
        int di = static_cast<int>(dir);
        Pending& p = pending[c][di];
        if (!p.isolated) continue;
        plan.classes[c].isolated[di][fi] = true;
        std::vector<uint32_t> id(p.sets.size());
        for (size_t k = 0; k < p.sets.size(); ++k) id[k] = sets.get(p.sets[k]);
        // Runs whose port sets differ only by signature are one run.
        std::vector<AddrRun> runs;
        for (const auto& r : p.runs) append_run(runs, r.lo, r.hi, id[r.set]);
        // The fallback: the set with the most runs, so that the map holds the fewest.
        std::map<uint32_t, size_t> count;
        for (const auto& r : runs) ++count[r.set];
        uint32_t fallback = std::max_element(count.begin(), count.end(), [](const auto& a, const auto& b) {
                              return a.second < b.second;
                            })->first;
        PeerMap& pm = plan.classes[c].peers[di][fi];
        pm.fallback = fallback;
        for (const auto& r : runs)
          if (r.set != fallback) pm.runs.push_back(r);
      }
  }
  plan.portsets = sets.take();
  return plan;
}

bool plan_allows(const NodePlan& plan, const ir::Inventory& inv, const ir::IpAddr& src,
                 const ir::IpAddr& dst, int proto, uint16_t port) {
  int fi = family_index(src.family);
  auto side = [&](const ir::IpAddr& subject, const ir::IpAddr& peer, ir::Direction dir) {
    const ir::Pod* pod = inv.find_pod_by_ip(subject);
    if (!pod) return true;
    for (const auto& cls : plan.classes) {
      if (std::find(cls.pods.begin(), cls.pods.end(), pod) == cls.pods.end()) continue;
      int di = static_cast<int>(dir);
      if (!cls.isolated[di][fi]) return true;
      const PeerMap& pm = cls.peers[di][fi];
      u128 v = addr_value(peer);
      uint32_t set = pm.fallback;
      for (const auto& r : pm.runs)
        if (r.lo <= v && v <= r.hi) set = r.set;
      return plan.portsets[set].contains(proto, is_port_proto(proto) ? port : 0);
    }
    return true;  // not a pod of this node
  };
  return side(src, dst, ir::Direction::Egress) && side(dst, src, ir::Direction::Ingress);
}

}  // namespace nv::backends
