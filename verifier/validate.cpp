#include "verifier/validate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "compiler/backends/plan.h"
#include "verifier/encode.h"
#include "verifier/firewall_z3.h"

namespace nv::verifier {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
// CPU seconds of the calling thread: what a phase costs, whatever else the machine runs.
double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The policies that select one of `pods`: the only ones whose rules decide packets from
// or to them (a policy that selects none of them takes no part in their tier walks).
ir::PolicySet selecting(const ir::PolicySet& ps, const ir::Inventory& inv,
                        const std::vector<const ir::Pod*>& pods) {
  std::vector<ir::Endpoint> ends;
  for (const ir::Pod* pod : pods)
    for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
      ir::Endpoint e = ir::Endpoint::of_pod(*pod, f);
      if (e.addr) ends.push_back(e);
    }
  ir::PolicySet out;
  for (const auto& t : ps.tiers()) out.add_tier(t);
  for (const auto& p : ps.policies())
    if (std::any_of(ends.begin(), ends.end(),
                    [&](const ir::Endpoint& e) { return ir::matches(p.subject, e, inv); }))
      out.add(p);
  out.finalize();
  return out;
}

std::string describe(const ir::PolicySet& ps, const ir::Inventory& inv, Counterexample& cx) {
  ir::Packet pkt{ir::Endpoint::of_ip(inv, cx.src), ir::Endpoint::of_ip(inv, cx.dst), cx.proto,
                 cx.port};
  ir::Verdict v = ir::evaluate(ps, inv, pkt);
  std::string text = "packet " + pkt.src.str() + " -> " + pkt.dst.str() + " ";
  text += backends::is_port_proto(cx.proto) ? ir::packet_port_str(cx.proto, cx.port)
                                            : ir::proto_name(cx.proto);
  text += ": the policies " + std::string(cx.policies_allow ? "allow" : "deny") +
          " it, the ruleset " + (cx.ruleset_accepts ? "accepts" : "drops") + " it\n" +
          ir::explain(v, pkt);
  return text;
}

// ---------------------------------------------------------------------------------------
// The peer-address partition
//
// With one endpoint of a packet fixed, the specification depends on the other (peer)
// address only through what the deciding policies see of its owner (PeerView) and its
// membership in their CIDRs, and the ruleset only through the sets and maps it looks the
// peer field up in.
// Cutting the address line at every boundary of all of these gives blocks on which both
// sides are constant; blocks with the same outcome of every test are interchangeable, so
// it is enough for Z3 to consider one address per distinct outcome. The tests on the
// ruleset side are found by walking the parsed ruleset with the fixed endpoint known.

using backends::Field;
using backends::u128;

bool addr_field(Field f) {
  return f == Field::Src4 || f == Field::Dst4 || f == Field::Src6 || f == Field::Dst6;
}
bool field_family(Field f, ir::Family fam) {
  return (fam == ir::Family::V4) == (f == Field::Src4 || f == Field::Dst4);
}

struct Known {
  ir::Family family;
  Field fixed, peer;  // the fixed endpoint's field and the peer's, of this family
  u128 value;         // the fixed endpoint's address
};

// One ruleset test on the peer field: ranges of the peer component with an outcome id.
struct PeerTest {
  std::vector<std::tuple<u128, u128, int32_t>> ranges;  // lo, hi, outcome (element)
};

// Interns strings as small integers, in order of first sight.
class Interner {
 public:
  int32_t id(const std::string& s) {
    return ids_.emplace(s, static_cast<int32_t>(ids_.size())).first->second;
  }
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, int32_t> ids_;
};

// What a one-field map lookup yields for each element of a map: its verdict, as an id.
// The same for every part, so computed once per map and worker.
class VerdictIds {
 public:
  struct Ids {
    std::vector<int32_t> of_element;
    std::vector<int32_t> distinct;  // ascending
  };
  const Ids& of(const backends::Set& map) {
    auto [it, fresh] = by_map_.try_emplace(&map);
    if (fresh) {
      for (const auto& e : map.elements) it->second.of_element.push_back(id(e.verdict));
      it->second.distinct = it->second.of_element;
      std::sort(it->second.distinct.begin(), it->second.distinct.end());
      it->second.distinct.erase(std::unique(it->second.distinct.begin(), it->second.distinct.end()),
                                it->second.distinct.end());
    }
    return it->second;
  }
  int32_t id(const backends::Verdict& v) {
    int32_t i = ids_.id(std::to_string(static_cast<int>(v.kind)) + v.chain);
    if (static_cast<size_t>(i) == verdicts_.size()) verdicts_.push_back(v);
    return i;
  }
  const backends::Verdict& verdict(int32_t id) const { return verdicts_[id]; }

 private:
  Interner ids_;
  std::vector<backends::Verdict> verdicts_;  // by id
  std::unordered_map<const backends::Set*, Ids> by_map_;
};

bool in_element(const backends::Element& e, size_t i, u128 v) {
  return e.key[i].lo <= v && v <= e.key[i].hi;
}

// The bounds of the elements of a set of one field whose elements are in ascending order
// and disjoint (every set and map the backends emit: ipsets, nft interval sets), so that
// the element holding an address is found by binary search. A large node's ipsets hold
// 260,000 elements; each of its 222 parts looks a few hundred addresses up in them.
struct SortedSet {
  std::vector<u128> lo, hi;
  // The index of the element holding `v`, or -1.
  ptrdiff_t find(u128 v) const {
    ptrdiff_t j = std::upper_bound(lo.begin(), lo.end(), v) - lo.begin() - 1;
    return j >= 0 && hi[static_cast<size_t>(j)] >= v ? j : -1;
  }
};
using SortedSets = std::unordered_map<const backends::Set*, SortedSet>;

// Named and inline sets both; sets of another shape are left out (tested element by
// element).
SortedSets sorted_sets(const backends::Firewall& fw) {
  SortedSets out;
  auto add = [&](const backends::Set& set) {
    if (set.key.size() != 1) return;
    SortedSet ss;
    ss.lo.reserve(set.elements.size());
    ss.hi.reserve(set.elements.size());
    for (const auto& e : set.elements) {
      if (e.key.size() != 1 || e.key[0].lo > e.key[0].hi ||
          (!ss.hi.empty() && e.key[0].lo <= ss.hi.back()))
        return;
      ss.lo.push_back(e.key[0].lo);
      ss.hi.push_back(e.key[0].hi);
    }
    out.emplace(&set, std::move(ss));
  };
  backends::for_each_set(fw, add);
  return out;
}

// What a part's slice keeps of the addresses: on each of `fields`, one of its sorted
// values; any value on the other fields.
struct PointHolds {
  std::vector<std::pair<Field, const std::vector<u128>*>> fields;
  const std::vector<u128>* points(Field f) const {
    for (const auto& [g, v] : fields)
      if (g == f) return v;
    return nullptr;
  }
  bool operator()(Field f, const backends::Range& r) const {
    const std::vector<u128>* v = points(f);
    if (!v) return true;
    auto it = std::lower_bound(v->begin(), v->end(), r.lo);
    return it != v->end() && *it <= r.hi;
  }
};

class TestCollector {
 public:
  TestCollector(const backends::Firewall& fw, const SortedSets& sorted, const Known& k,
                VerdictIds& verdict_ids)
      : fw_(fw), sorted_(sorted), k_(k), verdict_ids_(verdict_ids) {}

  void chain(const std::string& name, int depth = 0) {
    if (depth > 64 || !visited_.insert(name).second) return;
    auto it = fw_.chains.find(name);
    if (it == fw_.chains.end()) return;
    for (const auto& r : it->second.rules) {
      bool possible = true;
      for (const auto& m : r.matches)
        if (!match(m.key, m.set.empty() ? &*m.inline_set : find(m.set), m.negate)) possible = false;
      if (!possible) continue;
      if (r.vmap) {
        const backends::Set* map = r.vmap->map.empty() ? &*r.vmap->inline_map : find(r.vmap->map);
        if (!map) continue;
        std::optional<size_t> fixed_pos;
        bool other_family = false;
        for (size_t i = 0; i < r.vmap->key.size(); ++i) {
          Field f = r.vmap->key[i];
          if (addr_field(f) && !field_family(f, k_.family)) other_family = true;
          if (f == k_.fixed) fixed_pos = i;
        }
        if (other_family) continue;
        record(r.vmap->key, *map, true);
        if (!fixed_pos && r.vmap->key.size() == 1) {
          for (int32_t id : verdict_ids_.of(*map).distinct) follow(verdict_ids_.verdict(id), depth);
          continue;
        }
        for (const auto& e : map->elements) {
          if (fixed_pos && !in_element(e, *fixed_pos, k_.value)) continue;
          follow(e.verdict, depth);
        }
      } else {
        follow(r.verdict, depth);
      }
    }
  }
  std::vector<PeerTest> tests;
  // The chains a packet of the part can reach: no rule of any other chain can decide it.
  const std::set<std::string>& visited() const { return visited_; }

 private:
  const backends::Set* find(const std::string& n) {
    auto it = fw_.sets.find(n);
    return it == fw_.sets.end() ? nullptr : &it->second;
  }
  void follow(const backends::Verdict& v, int depth) {
    if (v.kind == backends::VerdictKind::Jump || v.kind == backends::VerdictKind::Goto)
      chain(v.chain, depth + 1);
  }
  // False when the match can never hold for the fixed endpoint (or this family).
  bool match(const std::vector<Field>& key, const backends::Set* set, bool negate) {
    if (!set) return true;
    std::optional<size_t> fixed_pos;
    bool peer = false;
    for (size_t i = 0; i < key.size(); ++i) {
      if (addr_field(key[i]) && !field_family(key[i], k_.family)) return false;
      if (key[i] == k_.fixed) fixed_pos = i;
      if (key[i] == k_.peer) peer = true;
    }
    if (peer) record(key, *set, false);
    if (fixed_pos && key.size() == 1 && !peer) return holds_fixed(*set) != negate;
    return true;
  }
  // The first element of a one-field set or map that holds the fixed endpoint's address
  // (by binary search where the set is sorted), or nullptr.
  const backends::Element* fixed_element(const backends::Set& set) const {
    if (auto it = sorted_.find(&set); it != sorted_.end()) {
      ptrdiff_t j = it->second.find(k_.value);
      return j >= 0 ? &set.elements[static_cast<size_t>(j)] : nullptr;
    }
    auto e = std::find_if(set.elements.begin(), set.elements.end(),
                          [&](const backends::Element& e) { return in_element(e, 0, k_.value); });
    return e == set.elements.end() ? nullptr : &*e;
  }
  bool holds_fixed(const backends::Set& set) const { return fixed_element(set) != nullptr; }
  void record(const std::vector<Field>& key, const backends::Set& set, bool is_map) {
    for (size_t i = 0; i < key.size(); ++i) {
      if (key[i] != k_.peer) continue;
      PeerTest t;
      // A one-field lookup depends only on the element's verdict (maps) or on there being
      // an element (sets); a concatenated one on which element it is.
      // A map's verdicts count as what they come to for the fixed endpoint (resolved).
      const std::vector<int32_t>* verdicts =
          key.size() == 1 && is_map ? &verdict_ids_.of(set).of_element : nullptr;
      t.ranges.reserve(set.elements.size());
      for (size_t j = 0; j < set.elements.size(); ++j) {
        const auto& e = set.elements[j];
        int32_t id = key.size() != 1 ? static_cast<int32_t>(j)
                     : verdicts      ? resolved_id((*verdicts)[j])
                                     : 0;
        // Adjacent ranges with one outcome are one range (a one-field lookup's outcome
        // depends only on the id): fewer cuts for representatives() to sweep.
        if (key.size() == 1 && !t.ranges.empty() && std::get<2>(t.ranges.back()) == id &&
            std::get<1>(t.ranges.back()) + 1 == e.key[i].lo)
          std::get<1>(t.ranges.back()) = e.key[i].hi;
        else
          t.ranges.emplace_back(e.key[i].lo, e.key[i].hi, id);
      }
      tests.push_back(std::move(t));
    }
  }

  // The id of what a verdict comes to for the fixed endpoint: a `goto` to a chain that
  // decides by the fixed endpoint alone (see resolve) counts as that chain's verdict, so
  // that peers whose lookups end alike for this endpoint are alike (the nft backend's peer
  // map has a verdict per peer group, the groups telling apart what other pods see).
  int32_t resolved_id(int32_t raw) {
    if (static_cast<size_t>(raw) >= resolved_ids_.size()) resolved_ids_.resize(raw + 1, -1);
    int32_t& r = resolved_ids_[raw];
    if (r < 0) {
      const backends::Verdict& v = verdict_ids_.verdict(raw);
      r = raw;
      if (v.kind == backends::VerdictKind::Goto)
        if (auto to = resolve(v.chain, 0)) r = verdict_ids_.id(*to);
    }
    return r;
  }
  // What a chain that is entered by `goto` does when it decides by the fixed endpoint
  // alone: its verdict, or nothing when it looks at anything else or jumps (jumping
  // would come back to its later rules).
  std::optional<backends::Verdict> resolve(const std::string& name, int depth) {
    if (depth > 64) return std::nullopt;
    auto [at, fresh] = resolved_.try_emplace(name);
    if (!fresh) return at->second;
    auto it = fw_.chains.find(name);
    if (it == fw_.chains.end() || it->second.base) return std::nullopt;
    std::optional<backends::Verdict> out = resolve_rules(it->second, depth);
    resolved_[name] = out;
    return out;
  }
  std::optional<backends::Verdict> resolve_rules(const backends::Chain& c, int depth) {
    auto fixed_only = [&](const std::vector<Field>& key) {
      return key.size() == 1 && key[0] == k_.fixed;
    };
    for (const auto& r : c.rules) {
      bool holds = true;
      for (const auto& m : r.matches) {
        const backends::Set* set = m.set.empty() ? &*m.inline_set : find(m.set);
        if (!set || !fixed_only(m.key)) return std::nullopt;
        holds = holds && holds_fixed(*set) != m.negate;
      }
      if (!holds) continue;
      backends::Verdict v = r.verdict;
      if (r.vmap) {
        const backends::Set* map = r.vmap->map.empty() ? &*r.vmap->inline_map : find(r.vmap->map);
        if (!map || !fixed_only(r.vmap->key)) return std::nullopt;
        const backends::Element* e = fixed_element(*map);
        if (!e) continue;
        v = e->verdict;
      }
      switch (v.kind) {
        case backends::VerdictKind::Continue:
          continue;
        case backends::VerdictKind::Jump:
          return std::nullopt;
        case backends::VerdictKind::Goto:
          if (auto to = resolve(v.chain, depth + 1)) return to;
          return v;
        default:
          return v;
      }
    }
    return backends::Verdict{backends::VerdictKind::Return, {}};  // the end of a chain
  }

  const backends::Firewall& fw_;
  const SortedSets& sorted_;
  Known k_;
  VerdictIds& verdict_ids_;
  std::set<std::string> visited_;
  std::vector<int32_t> resolved_ids_;  // by raw verdict id; -1 not yet
  std::unordered_map<std::string, std::optional<backends::Verdict>> resolved_;
};

// The ruleset as one part sees it: an element of a set or map that cannot hold the
// part's address on some field the element is looked up with (`holds` says whether a
// range can) can never match, and is dropped. Sets are kept whole where a rule looks them
// up with other fields. The slice decides every packet of the part as the whole ruleset
// does, and is much smaller when maps are large.

// The key fields each named set is looked up with, by every rule that uses it.
using Uses = std::map<std::string, std::vector<std::vector<Field>>>;
Uses set_uses(const backends::Firewall& fw) {
  Uses uses;
  for (const auto& [name, c] : fw.chains)
    for (const auto& r : c.rules) {
      for (const auto& m : r.matches)
        if (!m.set.empty()) uses[m.set].push_back(m.key);
      if (r.vmap && !r.vmap->map.empty()) uses[r.vmap->map].push_back(r.vmap->key);
    }
  return uses;
}

// Empties every chain that no packet reaches through a rule that can match: one that
// looks a field up (not negated) in a set with no element left cannot. In a slice that
// drops, say, the dispatch rules of the node's pods (a transit part), the chains behind
// them then cost the encoder nothing.
void prune_unreachable(backends::Firewall& fw) {
  auto set_of = [&](const std::string& name,
                    const std::optional<backends::Set>& inline_set) -> const backends::Set* {
    if (name.empty()) return inline_set ? &*inline_set : nullptr;
    auto it = fw.sets.find(name);
    return it == fw.sets.end() ? nullptr : &it->second;
  };
  std::set<std::string> reached;
  std::vector<std::string> todo{fw.entry};
  auto follow = [&](const backends::Verdict& v) {
    if (v.kind == backends::VerdictKind::Jump || v.kind == backends::VerdictKind::Goto)
      todo.push_back(v.chain);
  };
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!reached.insert(name).second) continue;
    auto it = fw.chains.find(name);
    if (it == fw.chains.end()) continue;
    for (const auto& r : it->second.rules) {
      bool possible =
          std::all_of(r.matches.begin(), r.matches.end(), [&](const backends::Match& m) {
            const backends::Set* set = set_of(m.set, m.inline_set);
            return m.negate || !set || !set->elements.empty();
          });
      if (!possible) continue;
      if (!r.vmap) {
        follow(r.verdict);
      } else if (const backends::Set* map = set_of(r.vmap->map, r.vmap->inline_map)) {
        for (const auto& e : map->elements) follow(e.verdict);
      }
    }
  }
  for (auto& [name, c] : fw.chains)
    if (!reached.count(name)) c.rules.clear();
}

// The elements of `set` that `keep` keeps, found by binary search where the set is sorted
// and `holds` points on every field it is looked up with; nullopt where not.
template <typename H>
std::optional<std::vector<size_t>> kept_by_search(const backends::Set& set,
                                                  const std::vector<std::vector<Field>>& uses,
                                                  const H& holds, const SortedSets* sorted) {
  if constexpr (requires(const H& h, Field f) { h.points(f); }) {
    if (!sorted || uses.empty()) return std::nullopt;
    auto it = sorted->find(&set);
    if (it == sorted->end()) return std::nullopt;
    std::vector<const std::vector<u128>*> points;
    for (const auto& key : uses) {
      if (key.size() != 1 || !holds.points(key[0])) return std::nullopt;
      points.push_back(holds.points(key[0]));
    }
    std::vector<size_t> kept;
    for (const auto* values : points)
      for (u128 v : *values)
        if (ptrdiff_t j = it->second.find(v); j >= 0) kept.push_back(static_cast<size_t>(j));
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    return kept;
  } else {
    (void)set, (void)uses, (void)holds, (void)sorted;
    return std::nullopt;
  }
}

template <typename H>
backends::Firewall slice(const backends::Firewall& fw, const Uses& uses, const H& holds,
                         const std::set<std::string>* reachable = nullptr,
                         const SortedSets* sorted = nullptr) {
  auto keep = [&](const backends::Element& e, const std::vector<std::vector<Field>>& uses) {
    for (const auto& key : uses) {
      if (key.size() != e.key.size()) return true;  // malformed; let the encoder complain
      bool all = true;
      for (size_t i = 0; i < key.size() && all; ++i) all = holds(key[i], e.key[i]);
      if (all) return true;
    }
    return uses.empty();
  };
  auto filter = [&](backends::Set& set, const std::vector<std::vector<Field>>& uses) {
    std::erase_if(set.elements, [&](const backends::Element& e) { return !keep(e, uses); });
  };
  static const std::vector<std::vector<Field>> kUnused;
  // With `reachable`, a chain no packet of the part reaches keeps its name and loses its
  // rules (a rule that jumps to it cannot match, but the encoder still names the target),
  // and only the sets the kept rules look up are copied.
  backends::Firewall out;
  out.entry = fw.entry;
  std::set<std::string> looked_up;
  for (const auto& [name, c] : fw.chains) {
    if (reachable && !reachable->count(name)) {
      backends::Chain& o = out.chains[name];
      o.name = c.name;
      o.base = c.base;
      o.policy = c.policy;
      o.span = c.span;
      continue;
    }
    out.chains.emplace(name, c);
    for (const auto& r : c.rules) {
      for (const auto& m : r.matches)
        if (!m.set.empty()) looked_up.insert(m.set);
      if (r.vmap && !r.vmap->map.empty()) looked_up.insert(r.vmap->map);
    }
  }
  // Named sets are copied element by element, only the kept ones: they hold nearly all of
  // a large ruleset's elements, and a part keeps few of them.
  for (const auto& [name, set] : fw.sets) {
    if (reachable && !looked_up.count(name)) continue;
    backends::Set& o = out.sets[name];
    o.name = set.name;
    o.key = set.key;
    o.is_map = set.is_map;
    o.span = set.span;
    auto it = uses.find(name);
    const auto& u = it == uses.end() ? kUnused : it->second;
    if (auto kept = kept_by_search(set, u, holds, sorted)) {
      o.elements.reserve(kept->size());
      for (size_t j : *kept) o.elements.push_back(set.elements[j]);
      continue;
    }
    for (const auto& e : set.elements)
      if (keep(e, u)) o.elements.push_back(e);
  }
  for (auto& [name, c] : out.chains)
    for (auto& r : c.rules) {
      for (auto& m : r.matches)
        if (m.inline_set) filter(*m.inline_set, {m.key});
      if (r.vmap && r.vmap->inline_map) filter(*r.vmap->inline_map, {r.vmap->key});
    }
  prune_unreachable(out);
  return out;
}

// Every address the inventory gives a meaning (pods, hostNetwork pods, nodes) with what
// it is: "L" one of the node's pods, "P" another pod, "H" a host, "O" the node's own.
struct InventoryAddr {
  u128 value;
  ir::IpAddr addr;
  std::string kind;
  const ir::Pod* pod = nullptr;  // kinds "L" and "P"
  size_t shape = 0;              // pods alike in namespace, labels and container ports share one
  uint32_t node = 0;             // kinds "H" and "O": 1 + the index of its node's name
};

// `shapes` gets one endpoint per pod shape.
std::vector<InventoryAddr> inventory_addresses(const ir::Inventory& inv, const std::string& node,
                                               ir::Family f,
                                               std::vector<ir::Endpoint>& shape_ends) {
  // What each address is: a (non-hostNetwork) pod's whatever else claims it, the last
  // such pod's (Endpoint::of_ip); else the last Node object's with it; else the first
  // hostNetwork pod's (its node's address).
  struct Claim {
    char kind;                          // L, P, H or O
    const std::string* node = nullptr;  // hosts: the node's name (node selectors)
  };
  std::unordered_map<ir::IpAddr, Claim, ir::IpAddrHash> m;
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (a.family == f) m[a] = Claim{n.name == node ? 'O' : 'H', &n.name};
  for (const auto& p : inv.pods)
    for (const auto& a : p.ips)
      if (a.family == f && p.host_network)
        m.try_emplace(a, Claim{p.node == node ? 'O' : 'H', &p.node});
  for (const auto& p : inv.pods)
    for (const auto& a : p.ips)
      if (a.family == f && !p.host_network) m[a] = Claim{p.node == node ? 'L' : 'P', nullptr};
  std::vector<std::pair<ir::IpAddr, Claim>> sorted(m.begin(), m.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  // Pods alike in namespace, labels and container ports look alike to every policy set,
  // so the parts below compute what their policies see of each shape once.
  std::unordered_map<std::string, size_t> shapes;
  std::unordered_map<std::string_view, uint32_t> node_ids;
  std::vector<InventoryAddr> out;
  out.reserve(sorted.size());
  std::string sh;
  for (const auto& [a, claim] : sorted) {
    InventoryAddr ia{backends::addr_value(a), a, std::string(1, claim.kind)};
    if (claim.node)
      ia.node =
          node_ids.emplace(*claim.node, static_cast<uint32_t>(node_ids.size() + 1)).first->second;
    if (claim.kind == 'L' || claim.kind == 'P') {
      ia.pod = inv.find_pod_by_ip(a);
      if (!ia.pod) {
        out.push_back(std::move(ia));
        continue;
      }
      sh = ia.pod->ns;
      sh += '\0';
      for (const auto& [key, v] : ia.pod->labels) {
        sh += key;
        sh += '=';
        sh += v;
        sh += '\0';
      }
      for (const auto& cp : ia.pod->ports)
        sh += cp.name + '/' + std::to_string(cp.proto) + '/' + std::to_string(cp.port) + '\0';
      auto [it, fresh] = shapes.try_emplace(sh, shapes.size());
      ia.shape = it->second;
      if (fresh) shape_ends.push_back(ir::Endpoint::of_pod(*ia.pod, f));
    }
    out.push_back(std::move(ia));
  }
  return out;
}

// The known addresses as the sweep of representatives() reads them, built once for all
// parts: their values, kinds (0 to 3: L, P, H, O), pod shapes (-1 for an address of no
// pod) and nodes.
struct KnownIndex {
  std::vector<u128> value;
  std::vector<uint8_t> kind;
  std::vector<int32_t> shape;
  std::vector<uint32_t> node;
  size_t n_shapes = 0, n_nodes = 0;

  KnownIndex(const std::vector<InventoryAddr>& known, size_t n_shapes) : n_shapes(n_shapes) {
    static const std::string kinds = "LPHO";
    for (const auto& ka : known) {
      size_t k = kinds.find(ka.kind[0]);
      if (k == std::string::npos) throw std::logic_error("unknown address kind " + ka.kind);
      value.push_back(ka.value);
      kind.push_back(static_cast<uint8_t>(k));
      shape.push_back(ka.pod ? static_cast<int32_t>(ka.shape) : -1);
      node.push_back(ka.node);
      n_nodes = std::max<size_t>(n_nodes, ka.node);
    }
  }
};

// Appends v's bytes: keys made of small integers.
void put(std::string& sig, int32_t v) { sig.append(reinterpret_cast<const char*>(&v), sizeof v); }

// The pod shapes each peer term matches. A term recurs in many policies and parts, and
// most terms match few of the cluster's shapes: the shapes are indexed by namespace and
// by label, a term is tried only on the shapes that have what it requires (its
// namespace, or a label value it requires), and each term is matched once per worker
// (not shared between workers: no locks).
class TermMatches {
 public:
  TermMatches(const std::vector<ir::Endpoint>& shape_ends, const ir::Inventory& inv)
      : shape_ends_(shape_ends), inv_(inv) {
    for (uint32_t s = 0; s < shape_ends.size(); ++s) {
      const ir::Pod& pod = *shape_ends[s].pod;
      by_ns_[pod.ns].push_back(s);
      for (const auto& [k, v] : pod.labels) by_label_[k + '\0' + v].push_back(s);
    }
  }
  int32_t id(ir::Peer term) {
    auto [it, fresh] = ids_.emplace(term.str(), static_cast<int32_t>(shapes_.size()));
    if (fresh) shapes_.push_back(matching(term));
    return it->second;
  }
  // The shapes term `id` matches, in increasing order.
  const std::vector<uint32_t>& shapes(int32_t id) const { return shapes_[id]; }

 private:
  // Label values one of which a pod must have to pass `sel` (key, values), if `sel` says so.
  static std::optional<std::pair<std::string, std::vector<std::string>>> required(
      const ir::Selector& sel) {
    using Op = ir::Selector::Op;
    if (sel.op == Op::Eq || sel.op == Op::In) return std::make_pair(sel.key, sel.values);
    if (sel.op == Op::And)
      for (const auto& kid : sel.kids)
        if (auto r = required(kid)) return r;
    return std::nullopt;
  }
  std::vector<uint32_t> matching(const ir::Peer& term) const {
    static const std::vector<uint32_t> kNone;
    // Candidates: the union of `lists` when `indexed`, else every shape.
    std::vector<const std::vector<uint32_t>*> lists;
    bool indexed = true;
    if (term.ns_name) {
      auto it = by_ns_.find(*term.ns_name);
      lists.push_back(it == by_ns_.end() ? &kNone : &it->second);
    } else if (auto req = term.pod_selector ? required(*term.pod_selector) : std::nullopt) {
      for (const auto& v : req->second) {
        auto it = by_label_.find(req->first + '\0' + v);
        if (it != by_label_.end()) lists.push_back(&it->second);
      }
    } else if (term.ns_selector) {
      for (const auto& [ns, list] : by_ns_)
        if (term.ns_selector->matches(inv_.namespace_labels(ns))) lists.push_back(&list);
    } else {
      indexed = false;
    }
    std::vector<uint32_t> out;
    auto test = [&](uint32_t s) {
      if (ir::matches(term, shape_ends_[s], inv_)) out.push_back(s);
    };
    if (indexed) {
      for (const auto* list : lists)
        for (uint32_t s : *list) test(s);
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    } else {
      for (uint32_t s = 0; s < shape_ends_.size(); ++s) test(s);
    }
    return out;
  }

  const std::vector<ir::Endpoint>& shape_ends_;
  const ir::Inventory& inv_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_ns_, by_label_;
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::vector<uint32_t>> shapes_;  // by term
};

// What one direction's specification sees of a peer pod: whether the pod passes each
// peer term of that direction's rules, CIDRs aside, and, for egress, the container ports
// behind the named ports those rules name (a named port is the destination pod's, and in
// an ingress part the destination is the fixed pod). `matches(Peer, ...)` is the
// conjunction of the term's tests, and the CIDR tests depend on the address alone, which
// the address cuts decide: so two pods alike in this view and in every CIDR of the part
// are alike for every rule of the direction, and the specification cannot tell them
// apart. A pod's subject tests do not enter: in a part the subject is the fixed pod.
class PeerView {
 public:
  PeerView(const ir::PolicySet& ps, ir::Direction d, TermMatches& tm) {
    std::set<int32_t> seen;
    int32_t n = 0;  // the term's place in this view
    for (const auto& p : ps.policies())
      for (const auto& r : p.dir(d).rules) {
        for (ir::Peer peer : r.peers) {
          peer.cidrs.reset();
          int32_t t = tm.id(std::move(peer));
          if (!seen.insert(t).second) continue;
          for (uint32_t s : tm.shapes(t)) put(passes_[s], n);
          ++n;
        }
        if (d == ir::Direction::Egress)
          for (const auto& pm : r.ports)
            if (!pm.named.empty()) names_.insert(pm.named);
      }
  }
  // Whether the view of a pod depends on its container ports (egress rules with named
  // ports); if not, a shape that passes no term of the direction has the empty view.
  bool named() const { return !names_.empty(); }
  // The shapes that pass some term, each with the terms it passes.
  const std::unordered_map<uint32_t, std::string>& passing() const { return passes_; }
  // The view of a pod of shape `shape` (pods of one shape are alike in every term): the
  // terms it passes, and the container ports behind the named ports.
  std::string key(size_t shape, const ir::Pod& pod) const {
    auto it = passes_.find(static_cast<uint32_t>(shape));
    std::string k = it == passes_.end() ? std::string() : it->second;
    for (const auto& n : names_)
      for (const auto& cp : pod.ports)
        if (cp.name == n)
          k += '\0' + n + "/" + std::to_string(cp.proto) + "/" + std::to_string(cp.port);
    return k;
  }

 private:
  std::unordered_map<uint32_t, std::string> passes_;  // by shape, when it passes some term
  std::set<std::string> names_;
};

// One address per distinct outcome of every test, the fixed address excluded.
//
// On the specification side the tests are those of the policies that can decide the
// part: peers alike for them (PeerView, and membership in their CIDRs) are alike for the
// specification.
std::vector<u128> representatives(const KnownIndex& index,
                                  const std::vector<ir::Endpoint>& shape_ends, const Universe& pu,
                                  const PeerView& view, const std::vector<PeerTest>& tests,
                                  const Known& k) {
  const u128 top = k.family == ir::Family::V4 ? (u128(1) << 32) - 1 : ~u128(0);
  // The cuts besides the known addresses (which are sorted and distinct already).
  std::vector<u128> cuts = {0, k.value};
  if (k.value < top) cuts.push_back(k.value + 1);
  auto cut_range = [&](u128 lo, u128 hi) {
    cuts.push_back(lo);
    if (hi < top) cuts.push_back(hi + 1);
  };
  // The CIDRs as events along the line: CIDR i begins to hold at lo, stops at hi + 1.
  std::vector<std::tuple<u128, bool, size_t>> events;  // position, enters, CIDR
  for (size_t i = 0; i < pu.cidrs.size(); ++i) {
    const auto& c = pu.cidrs[i];
    u128 lo = backends::addr_value(c.addr);
    int host = c.addr.bits() - c.len;
    u128 hi = host >= 128 ? top : lo + ((u128(1) << host) - 1);
    cut_range(lo, hi);
    events.emplace_back(lo, true, i);
    if (hi < top) events.emplace_back(hi + 1, false, i);
  }
  std::sort(events.begin(), events.end());  // by position; a leave before an enter there
  // The tests' ranges as events too: range of outcome o of test t begins to hold at lo,
  // stops at hi + 1. A test's state at a cut is the set of outcomes of its ranges that
  // hold it (one at most, unless a concatenated key's ranges overlap on this field), and
  // the tests' states together are kept as the sparse map of the tests with some range
  // there: most tests hold few addresses, so a cut costs what changes at it.
  struct End {
    u128 at;
    bool enters;
    uint32_t test;
    int32_t outcome;
    bool operator<(const End& o) const { return std::tie(at, enters) < std::tie(o.at, o.enters); }
  };
  std::vector<End> ends;
  for (uint32_t t = 0; t < tests.size(); ++t)
    for (const auto& [lo, hi, o] : tests[t].ranges) {
      cut_range(lo, hi);
      ends.push_back({lo, true, t, o});
      if (hi < top) ends.push_back({hi + 1, false, t, o});
    }
  std::stable_sort(ends.begin(), ends.end());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  // One sweep over the known addresses and the cuts together, in address order.
  Interner views, members, states;
  std::unordered_map<uint64_t, int32_t> zones;  // (member_id, state_id) as one id
  std::vector<std::multiset<int32_t>> active(tests.size());
  std::map<uint32_t, const std::multiset<int32_t>*> holding;  // tests with a range at the cut
  int32_t state_id = states.id(std::string());
  std::string member(pu.cidrs.size(), '0');
  int32_t member_id = members.id(member);
  auto zone = [&] {
    uint64_t key = static_cast<uint64_t>(static_cast<uint32_t>(member_id)) << 32 |
                   static_cast<uint32_t>(state_id);
    return zones.emplace(key, static_cast<int32_t>(zones.size())).first->second;
  };
  int32_t zone_id = zone();
  size_t ki = 0, ci = 0, ei = 0, ti = 0;
  std::unordered_set<uint64_t> seen;  // (who, zone) of the representatives
  // What the specification sees of a known address, `who`, as a small integer: its kind,
  // and its pod's view (an id below n_views), or n_views plus its node when node
  // selectors can tell nodes apart (by their labels, a function of the node). Most shapes
  // pass no term of the part and have the empty view (id 0).
  std::vector<int32_t> view_of_shape(index.n_shapes, views.id(std::string()));
  if (view.named()) {
    for (size_t sh = 0; sh < index.n_shapes; ++sh)
      view_of_shape[sh] = views.id(view.key(sh, *shape_ends[sh].pod));
  } else {
    for (const auto& [sh, terms] : view.passing()) view_of_shape[sh] = views.id(terms);
  }
  const uint32_t n_views = static_cast<uint32_t>(views.size());
  const uint32_t stride = n_views + 1 + static_cast<uint32_t>(index.n_nodes);
  auto who_of = [&](size_t i) -> uint32_t {
    const int32_t sh = index.shape[i];
    const uint32_t x = sh >= 0 ? static_cast<uint32_t>(view_of_shape[static_cast<size_t>(sh)])
                               : n_views + (pu.nodes ? index.node[i] : 0);
    return index.kind[i] * stride + x;
  };
  // By `who`: the zone, plus one, in which it was last put in `seen` (the known addresses
  // between two cuts share a zone, and most of them repeat a `who` met just before).
  std::vector<int32_t> last_zone(4 * static_cast<size_t>(stride), 0);
  std::vector<u128> reps;
  std::string state;
  // Adds the address r, known as known[i] when i < known.size(), in the zone zone_id.
  auto visit = [&](size_t i, u128 r) {
    uint32_t who = UINT32_MAX;  // an address of no one
    if (i < index.value.size()) {
      who = who_of(i);
      if (last_zone[who] == zone_id + 1) return;  // (who, zone_id) is in `seen` already
      last_zone[who] = zone_id + 1;
    }
    uint64_t sig = static_cast<uint64_t>(who) << 32 | static_cast<uint32_t>(zone_id);
    if (seen.insert(sig).second) reps.push_back(r);
  };
  const std::vector<u128>& kv = index.value;
  while (ki < kv.size() || ci < cuts.size()) {
    u128 r = ci == cuts.size() || (ki < kv.size() && kv[ki] < cuts[ci]) ? kv[ki] : cuts[ci];
    size_t at = ki < kv.size() && kv[ki] == r ? ki++ : SIZE_MAX;
    if (ci < cuts.size() && cuts[ci] == r) ++ci;
    bool moved = false, any_moved = false;
    for (; ei < events.size() && std::get<0>(events[ei]) <= r; ++ei, moved = true)
      member[std::get<2>(events[ei])] = std::get<1>(events[ei]) ? '1' : '0';
    if (moved) member_id = members.id(member);
    any_moved = moved;
    moved = false;
    for (; ti < ends.size() && ends[ti].at <= r; ++ti, moved = true) {
      const End& e = ends[ti];
      auto& set = active[e.test];
      if (e.enters) {
        set.insert(e.outcome);
        holding[e.test] = &set;
      } else {
        set.erase(set.find(e.outcome));
        if (set.empty()) holding.erase(e.test);
      }
    }
    if (moved) {
      state.clear();
      for (const auto& [t, set] : holding) {
        put(state, static_cast<int32_t>(t));
        for (int32_t o : *set) put(state, o);
        put(state, -1);
      }
      state_id = states.id(state);
    }
    if (moved || any_moved) zone_id = zone();
    if (r != k.value) visit(at, r);
    // The known addresses before the next cut: every event is at a cut and k.value is
    // one, so none moves the zone nor is the fixed address.
    const size_t stop = ci == cuts.size()
                            ? kv.size()
                            : std::lower_bound(kv.begin() + ki, kv.end(), cuts[ci]) - kv.begin();
    for (; ki < stop; ++ki) visit(ki, kv[ki]);
  }
  return reps;
}

}  // namespace

// What every part takes from the policies and the inventory, read-only once built.
struct ValidationSpec {
  const ir::PolicySet& all;
  const ir::Inventory& inv;
  const std::string node;
  ir::Family family;
  Field src_f, dst_f;
  std::string name;
  std::vector<ir::Endpoint> shape_ends;
  std::vector<InventoryAddr> known;
  KnownIndex known_index;
  std::vector<ir::IpAddr> local;
  ir::PolicySet node_ps;

  ValidationSpec(const ir::PolicySet& all, const ir::Inventory& inv, const std::string& node,
                 ir::Family family)
      : all(all),
        inv(inv),
        node(node),
        family(family),
        known(inventory_addresses(inv, node, family, shape_ends)),
        known_index(known, shape_ends.size()) {
    const bool v4 = family == ir::Family::V4;
    src_f = v4 ? Field::Src4 : Field::Src6;
    dst_f = v4 ? Field::Dst4 : Field::Dst6;
    name = std::string("validate-") + node + (v4 ? "-ipv4" : "-ipv6");
    for (const auto& k : known)
      if (k.kind == "L") local.push_back(k.addr);
    node_ps = selecting(all, inv, backends::local_pods(inv, node));
  }
};

namespace {

// What an encoder of a part needs of the part's universe when both ends are pinned by
// index (Encoder::pin_indexed): what the packet may carry, not the pods' attributes (no
// label, namespace label, node label or named port of an indexed end is ever tested),
// which would only give Z3 variables to carry.
Universe indexed_universe(const Universe& u) {
  Universe out;
  out.family = u.family;
  out.ns = u.ns;
  out.l7 = u.l7;
  out.fqdn = u.fqdn;
  out.header_names = u.header_names;
  return out;
}

// What every part shares: the specification's side and the ruleset.
struct Shared {
  const ValidationSpec& spec;
  const backends::Firewall& fw;
  SolverOptions opt;
  Uses uses;
  // The specification's fields, by the names the parts use.
  const ir::PolicySet& all = spec.all;
  const ir::Inventory& inv = spec.inv;
  const ir::Family family = spec.family;
  const Field src_f = spec.src_f, dst_f = spec.dst_f;
  const std::string& name = spec.name;
  const std::vector<ir::Endpoint>& shape_ends = spec.shape_ends;
  const std::vector<InventoryAddr>& known = spec.known;
  const KnownIndex& known_index = spec.known_index;
  const std::vector<ir::IpAddr>& local = spec.local;
  const ir::PolicySet& node_ps = spec.node_ps;

  SortedSets sorted;

  Shared(const ValidationSpec& spec, const backends::Firewall& fw, const SolverOptions& opt)
      : spec(spec), fw(fw), opt(opt), uses(set_uses(fw)), sorted(sorted_sets(fw)) {}
};

// One part of the packet space: from the node's pod at `addr` to anything but the node's
// pods, to it from anything but them, between two of them, and between two addresses
// that are neither (which the node must let through). Together they cover every packet
// that crosses the node's forward path.
struct Part {
  enum class Kind { Egress, Ingress, Local, Transit } kind;
  const ir::Pod* pod = nullptr;
  ir::IpAddr addr;
};

// Decides parts in a Z3 context of its own; stops at the first part that differs.
class Worker {
 public:
  explicit Worker(const Shared& sh)
      : sh_(sh),
        terms_(sh.shape_ends, sh.inv),
        fp_(make_fw_packet(ctx_, sh.family, "fw.")),
        checker_(ctx_, sh.opt),
        fw_ok_(ctx_.bool_const("fw.accepts")),
        new_conn_(fp_.ct == ctx_.bv_val(backends::kCtNew, 8)) {}

  // Whether the ruleset and the policies differ on some packet of the part.
  bool differs(const Part& p) {
    switch (p.kind) {
      case Part::Kind::Egress:
        return pod_part(*p.pod, p.addr, ir::Direction::Egress);
      case Part::Kind::Ingress:
        return pod_part(*p.pod, p.addr, ir::Direction::Ingress);
      case Part::Kind::Local:
        return local_part();
      case Part::Kind::Transit:
        return transit_part();
    }
    return false;
  }

  // The packet of the part that differed.
  Counterexample counterexample() const {
    const z3::model& m = *model_;
    Counterexample cx;
    backends::Packet pkt = fw_packet_value(m, fp_);
    cx.src = pkt.src;
    cx.dst = pkt.dst;
    cx.proto = pkt.proto;
    cx.port = pkt.port;
    cx.ruleset_accepts = m.eval(fw_ok_, true).is_true();
    cx.policies_allow =
        !differing_spec_ || m.eval(*differing_spec_, true).is_true();  // transit: allowed
    cx.text = describe(sh_.all, sh_.inv, cx);
    return cx;
  }

  unsigned asked = 0;
  // CPU seconds spent finding peer representatives, slicing the ruleset, encoding both
  // sides and in the solver.
  double reps_seconds = 0, slice_seconds = 0, encode_seconds = 0, solve_seconds = 0;
  double local_solve_seconds = 0;  // of solve_seconds, the part between the node's pods

 private:
  // `small`: the SMT core, not the SAT solver, decides the bit-blasted query (see
  // Checker::model_of; it is, for the parts whose ends are pinned by index).
  // `packet`: the ruleset's packet as the encoder sees it (fp_, or fp_ with domains).
  bool ask(const std::string& label, const backends::Firewall& seen, const z3::expr& query,
           bool small = false, const FwPacket* packet = nullptr) {
    ++asked;
    double t0 = thread_cpu();
    z3::expr fw = fw_accepts(ctx_, seen, packet ? *packet : fp_);
    encode_seconds += thread_cpu() - t0;
    t0 = thread_cpu();
    auto m = checker_.model_of(fw_ok_ == fw && new_conn_ && query, sh_.name + " " + label, small);
    solve_seconds += thread_cpu() - t0;
    if (!m) return false;
    model_.emplace(*m);
    return true;
  }
  z3::expr link(const SymPacket& pkt) {
    return fp_.src == pkt.src.addr && fp_.dst == pkt.dst.addr && fp_.proto == pkt.proto &&
           fp_.port == pkt.port;
  }

  // One endpoint is the node's pod at `a`, the other one of the representatives of the
  // addresses that are not the node's pods (nor the node).
  bool pod_part(const ir::Pod& pod, const ir::IpAddr& a, ir::Direction dir) {
    double t0 = thread_cpu();
    const bool from = dir == ir::Direction::Egress;
    const ir::Family family = sh_.family;
    const auto& known = sh_.known;
    ir::PolicySet ps = selecting(sh_.node_ps, sh_.inv, {&pod});
    Universe u;
    u.family = family;
    u.add(ps);
    u.finish();
    Known k{family, from ? sh_.src_f : sh_.dst_f, from ? sh_.dst_f : sh_.src_f,
            backends::addr_value(a)};
    TestCollector tc(sh_.fw, sh_.sorted, k, verdict_ids_);
    tc.chain(sh_.fw.entry);
    std::vector<ir::Endpoint> choices;
    for (u128 r : representatives(sh_.known_index, sh_.shape_ends, u, PeerView(ps, dir, terms_),
                                  tc.tests, k)) {
      auto kit = std::lower_bound(known.begin(), known.end(), r,
                                  [](const InventoryAddr& x, u128 v) { return x.value < v; });
      bool is_known = kit != known.end() && kit->value == r;
      if (is_known && (kit->kind == "L" || kit->kind == "O"))
        continue;  // other parts; never forwarded
      choices.push_back(ir::Endpoint::of_ip(sh_.inv, backends::addr_of(r, family)));
    }
    reps_seconds += thread_cpu() - t0;
    if (choices.empty()) return false;
    std::sort(choices.begin(), choices.end(), [](const ir::Endpoint& x, const ir::Endpoint& y) {
      return backends::addr_value(*x.addr) < backends::addr_value(*y.addr);
    });
    std::vector<u128> peer_values;
    for (const auto& c : choices) peer_values.push_back(backends::addr_value(*c.addr));
    t0 = thread_cpu();
    // Both sides on the ruleset packet's indices: the fixed address is the one value of
    // its domain, the peer's index picks one of peer_values (and choices).
    const std::vector<u128> fixed_values = {k.value};
    FwPacket indexed = from ? with_domains(fp_, fixed_values, peer_values, "p.")
                            : with_domains(fp_, peer_values, fixed_values, "p.");
    const Universe eu = indexed_universe(u);
    Encoder enc(ctx_, eu);
    SymPacket pkt = enc.packet("p" + std::to_string(asked) + ".");
    ir::Endpoint self = ir::Endpoint::of_pod(pod, family);
    self.addr = a;
    enc.pin_indexed(from ? pkt.src : pkt.dst, {self},
                    from ? *indexed.src_index : *indexed.dst_index, sh_.inv);
    enc.pin_indexed(from ? pkt.dst : pkt.src, std::move(choices),
                    from ? *indexed.dst_index : *indexed.src_index, sh_.inv);
    z3::expr spec = enc.side(ps, dir, pkt);
    encode_seconds += thread_cpu() - t0;
    // The fixed endpoint is `a`, the peer one of `peer_values`.
    const PointHolds holds{{{k.fixed, &fixed_values}, {k.peer, &peer_values}}};
    t0 = thread_cpu();
    backends::Firewall seen = slice(sh_.fw, sh_.uses, holds, &tc.visited(), &sh_.sorted);
    slice_seconds += thread_cpu() - t0;
    if (!ask((from ? " from " : " to ") + a.str(), seen,
             enc.facts_conj() && link(pkt) && fw_domain_facts(indexed) && spec != fw_ok_, true,
             &indexed))
      return false;
    differing_spec_ = spec;
    return true;
  }

  // Between two of the node's pods both sides decide: one part, both endpoints among
  // them, the node's policies encoded once (110 parts, one per source pod, each encoding
  // all of them again, took 30 times as long on a 110-pod node; 16 parts, of 28 sources
  // and 28 destinations each, 4 times as long; with the ends pinned by index, 2, 4 and 8
  // parts by source took 1.2, 1.6 and 2.3 times as long as one).
  bool local_part() {
    double t0 = thread_cpu();
    std::vector<u128> values;
    for (const auto& l : sh_.local) values.push_back(backends::addr_value(l));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<ir::Endpoint> choices;
    for (u128 v : values)
      choices.push_back(ir::Endpoint::of_ip(sh_.inv, backends::addr_of(v, sh_.family)));
    Universe u;
    u.family = sh_.family;
    u.add(sh_.node_ps);
    u.finish();
    // Both addresses are among the node's pods: both sides on the ruleset packet's indices.
    const FwPacket indexed = with_domains(fp_, values, values, "local.");
    const Universe eu = indexed_universe(u);
    Encoder enc(ctx_, eu);
    SymPacket pkt = enc.packet("local.");
    enc.pin_indexed(pkt.src, choices, *indexed.src_index, sh_.inv);
    enc.pin_indexed(pkt.dst, std::move(choices), *indexed.dst_index, sh_.inv);
    z3::expr spec = enc.side(sh_.node_ps, ir::Direction::Egress, pkt) &&
                    enc.side(sh_.node_ps, ir::Direction::Ingress, pkt);
    encode_seconds += thread_cpu() - t0;
    const PointHolds holds{{{sh_.src_f, &values}, {sh_.dst_f, &values}}};
    t0 = thread_cpu();
    backends::Firewall seen = slice(sh_.fw, sh_.uses, holds, nullptr, &sh_.sorted);
    slice_seconds += thread_cpu() - t0;
    const double solved_before = solve_seconds;
    z3::expr query = enc.facts_conj() && link(pkt) && fw_domain_facts(indexed) && spec != fw_ok_;
    bool differs = ask("between the node's pods", seen, query, true, &indexed);
    local_solve_seconds = solve_seconds - solved_before;
    if (!differs) return false;
    differing_spec_ = spec;
    return true;
  }

  // Between two addresses that are neither the node's pods nor the node: must pass.
  bool transit_part() {
    z3::expr_vector c(ctx_);
    std::vector<u128> excluded;
    for (const auto& k : sh_.known)
      if (k.kind == "L" || k.kind == "O") {
        z3::expr v = addr_val(ctx_, k.addr);
        c.push_back(fp_.src != v && fp_.dst != v);
        excluded.push_back(k.value);
      }
    c.push_back(fp_.src != fp_.dst);
    auto proto_is = [&](int p) { return fp_.proto == ctx_.bv_val(p, 8); };
    c.push_back(z3::implies(!(proto_is(ir::kTCP) || proto_is(ir::kUDP) || proto_is(ir::kSCTP) ||
                              proto_is(ir::kICMP) || proto_is(ir::kICMPv6)),
                            fp_.port == ctx_.bv_val(0, 16)));  // ICMP: type << 8 | code
    // Neither address is one of `excluded`: a range of nothing else holds neither.
    auto holds = [&](Field f, const backends::Range& r) {
      if (f != sh_.src_f && f != sh_.dst_f) return true;
      auto lo = std::lower_bound(excluded.begin(), excluded.end(), r.lo);
      auto hi = std::upper_bound(excluded.begin(), excluded.end(), r.hi);
      return static_cast<u128>(hi - lo) != r.hi - r.lo + 1;
    };
    differing_spec_.reset();
    return ask("between addresses that are not the node's pods", slice(sh_.fw, sh_.uses, holds),
               z3::mk_and(c) && !fw_ok_);
  }

  const Shared& sh_;
  TermMatches terms_;
  VerdictIds verdict_ids_;
  z3::context ctx_;
  FwPacket fp_;
  Checker checker_;
  z3::expr fw_ok_, new_conn_;
  std::optional<z3::expr> differing_spec_;  // the specification of the part that differs
  std::optional<z3::model> model_;
};

// Parts are dealt round-robin to this many workers, each with its own Z3 context, when
// there are enough of them to pay for a thread. A fixed number, not the machine's: what
// a part's solver answers depends on the queries its context answered before, so the
// counterexample reported would otherwise depend on the machine.
constexpr size_t kWorkers = 2;
constexpr size_t kPartsPerThread = 16;

}  // namespace

std::shared_ptr<const ValidationSpec> prepare_validation(const ir::PolicySet& ps,
                                                         const ir::Inventory& inv,
                                                         const std::string& node,
                                                         ir::Family family) {
  auto start = Clock::now();
  auto spec = std::make_shared<const ValidationSpec>(ps, inv, node, family);
  if (timings_requested())
    std::fprintf(stderr, "timing: %s: the policies' side in %.3f s\n", spec->name.c_str(),
                 seconds_since(start));
  return spec;
}

std::optional<Counterexample> validate_firewall(const ir::PolicySet& ps, const ir::Inventory& inv,
                                                const std::string& node,
                                                const backends::Firewall& fw, ir::Family family,
                                                const SolverOptions& opt) {
  return validate_firewall(*prepare_validation(ps, inv, node, family), fw, opt);
}

std::optional<Counterexample> validate_firewall(const ValidationSpec& spec,
                                                const backends::Firewall& fw,
                                                const SolverOptions& opt) {
  auto start = Clock::now();
  const Shared sh(spec, fw, opt);
  const double shared_seconds = seconds_since(start);
  const ir::Inventory& inv = spec.inv;
  const std::string& node = spec.node;
  const ir::Family family = spec.family;
  // The two single large parts first, so that the other workers take the many small ones
  // while they are decided: the part between the node's pods (the largest), and the
  // transit part (its slice is most of the ruleset: 0.03 s for the benchmark node's
  // iptables, which as the last part would leave the other worker idle).
  std::vector<Part> parts;
  if (sh.local.size() >= 2) parts.push_back({Part::Kind::Local, nullptr, {}});
  parts.push_back({Part::Kind::Transit, nullptr, {}});
  for (const ir::Pod* pod : backends::local_pods(inv, node))
    for (const auto& a : pod->ips)
      if (a.family == family) {
        parts.push_back({Part::Kind::Egress, pod, a});
        parts.push_back({Part::Kind::Ingress, pod, a});
      }

  // Workers take the parts in order, each the next one not taken, and stop at their first
  // difference or error, or once another has met one at an earlier part. Whether a part
  // differs does not depend on the worker, and every part before the first that differs
  // was taken and decided: so the part reported is the first in order that differs, as a
  // single worker deciding all parts in order would report. Its counterexample is asked
  // again of a fresh worker, since a model depends on the queries its context answered
  // before. (One worker when queries are written out: their files are numbered in the
  // order asked.)
  const size_t n_workers =
      parts.size() >= kWorkers * kPartsPerThread && opt.emit_smt2_dir.empty() ? kWorkers : 1;
  struct Outcome {
    size_t part = SIZE_MAX;
    std::optional<Counterexample> cx;
    std::exception_ptr error;
    unsigned asked = 0;
    double reps = 0, slice = 0, encode = 0, solve = 0, local_solve = 0;
  };
  std::vector<Outcome> outcomes(n_workers);
  std::atomic<size_t> next{0}, first_event{SIZE_MAX};
  auto decide = [&](Worker& worker, size_t i, Outcome& out) {
    bool differs = false;
    try {
      differs = worker.differs(parts[i]);
    } catch (...) {
      out.part = i;
      out.error = std::current_exception();
    }
    if (differs) {
      out.part = i;
      out.cx = worker.counterexample();
    }
  };
  auto work = [&](size_t w) {
    Outcome& out = outcomes[w];
    try {
      Worker worker(sh);
      for (size_t i = next++; i < parts.size() && i < first_event.load(); i = next++) {
        decide(worker, i, out);
        if (out.part != SIZE_MAX) {
          size_t seen = first_event.load();
          while (i < seen && !first_event.compare_exchange_weak(seen, i)) {
          }
          break;
        }
      }
      out.asked = worker.asked;
      out.reps = worker.reps_seconds;
      out.slice = worker.slice_seconds;
      out.encode = worker.encode_seconds;
      out.solve = worker.solve_seconds;
      out.local_solve = worker.local_solve_seconds;
    } catch (...) {  // never a pass: the error is this worker's outcome
      if (!out.error) out.error = std::current_exception();
      if (out.part == SIZE_MAX) out.part = 0;
    }
  };
  on_threads(n_workers, work);

  if (timings_requested()) {
    unsigned asked = 0;
    double reps = 0, slice = 0, encode = 0, solve = 0, local_solve = 0;
    for (const auto& o : outcomes) {
      asked += o.asked;
      reps += o.reps, slice += o.slice, encode += o.encode, solve += o.solve;
      local_solve += o.local_solve;
    }
    std::fprintf(
        stderr,
        "timing: %s: %u parts in %.3f s on %zu threads (%.3f s before them): peer "
        "representatives %.3f s, ruleset slices %.3f s, Z3 encoding %.3f s, Z3 solving %.3f s "
        "(%.3f s of it between the node's pods) (CPU, summed over threads)\n",
        sh.name.c_str(), asked, seconds_since(start), n_workers, shared_seconds, reps, slice,
        encode, solve, local_solve);
  }
  const Outcome* first = nullptr;
  for (const auto& o : outcomes)
    if (o.part != SIZE_MAX && (!first || o.part < first->part)) first = &o;
  if (!first) return std::nullopt;
  if (n_workers > 1 && first->cx) {
    Outcome again;
    Worker fresh(sh);
    decide(fresh, first->part, again);
    if (again.cx) return again.cx;
  }
  if (first->error) std::rethrow_exception(first->error);
  return first->cx;
}

}  // namespace nv::verifier
