// Rules that constrain the policy's own endpoint (lowering.h, "The policy's own endpoint").
//
// Calico converts a rule's source and destination alike (libcalico-go lib/backend/
// syncersv1/updateprocessors/rules.go RuleAPIV2ToBackend: SrcSelector and DstSelector both
// from GetEntityRuleSelector with the policy's namespace; SrcNets/DstNets, NotSrcSelector/
// NotDstSelector as written), and felix renders each as an ordinary match on the packet's
// source or destination address (felix/rules/policy.go: the selectors become IP-set
// matches, the nets CIDR matches, of the rule's one IP family). On an ingress rule the
// destination is the policy's own endpoint, on an egress rule the source: there the
// fields test the local endpoint's address, exactly as they test the peer's elsewhere.
//
// The IR has no such test, so the policy is split: for each pattern of which own-side
// conditions hold, a copy of the policy whose subject is the original subject AND that
// pattern, keeping only the rules whose conditions hold in it (policy.cpp). The pieces of
// every condition and of its complement are disjoint, so exactly one copy applies to an
// endpoint (and address) the original applies to.
#include <algorithm>
#include <map>
#include <set>

#include "compiler/frontends/calico/lowering.h"
#include "ir/inventory.h"

namespace nv::calico {

using ir::Peer;
using ir::Selector;
using Op = Selector::Op;

namespace {

Peer pod_peer() {
  Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Pod);
  return p;
}

// !s, as an atom where one exists (!= and == negate each other, absent label included; so
// do `in` and `not in`), so that the copies' subjects read as written.
Selector negated(const Selector& s) {
  Selector n = s;
  switch (s.op) {
    case Op::Eq:
      n.op = Op::NotEq;
      return n;
    case Op::NotEq:
      n.op = Op::Eq;
      return n;
    case Op::In:
      n.op = Op::NotIn;
      return n;
    case Op::NotIn:
      n.op = Op::In;
      return n;
    case Op::Not:
      return s.kids[0];
    default:
      return Selector::negate(s);
  }
}

// `s` with its atoms on `key` evaluated for `value`; nullopt when that makes it false.
std::optional<Selector> fold(const Selector& s, const std::string& key, const std::string& value) {
  switch (s.op) {
    case Op::All:
      return s;
    case Op::Not: {
      auto k = fold(s.kids[0], key, value);
      if (!k) return Selector::all();
      if (k->is_all()) return std::nullopt;
      return Selector::negate(*k);
    }
    case Op::And: {
      std::vector<Selector> kids;
      for (const auto& kid : s.kids) {
        auto k = fold(kid, key, value);
        if (!k) return std::nullopt;
        kids.push_back(std::move(*k));
      }
      return Selector::conj(std::move(kids));
    }
    case Op::Or: {
      std::vector<Selector> kids;
      for (const auto& kid : s.kids) {
        auto k = fold(kid, key, value);
        if (!k) continue;
        if (k->is_all()) return Selector::all();
        kids.push_back(std::move(*k));
      }
      if (kids.empty()) return std::nullopt;
      if (kids.size() == 1) return kids[0];
      return Selector::disj(std::move(kids));
    }
    default:
      if (s.key != key) return s;
      if (s.matches(ir::Labels{{key, value}})) return Selector::all();
      return std::nullopt;
  }
}

// Collects the keys and literal values of a selector; false when it uses an operator
// (starts with, contains, ends with) for which those values are not enough to decide it.
bool vocabulary(const Selector& s, std::map<std::string, std::set<std::string>>& keys) {
  switch (s.op) {
    case Op::All:
      return true;
    case Op::Not:
    case Op::And:
    case Op::Or:
      return std::all_of(s.kids.begin(), s.kids.end(),
                         [&](const Selector& k) { return vocabulary(k, keys); });
    case Op::Has:
    case Op::Eq:
    case Op::NotEq:
    case Op::In:
    case Op::NotIn:
      keys[s.key].insert(s.values.begin(), s.values.end());
      return true;
    default:
      return false;
  }
}

// Whether no set of labels satisfies `s`, decided only where it is cheap and certain:
// with equality tests only, each key is absent, one of the values named, or another one.
bool unsatisfiable(const Selector& s) {
  std::map<std::string, std::set<std::string>> keys;
  if (!vocabulary(s, keys)) return false;
  std::vector<std::pair<std::string, std::vector<std::optional<std::string>>>> choices;
  size_t combos = 1;
  for (const auto& [k, vals] : keys) {
    std::vector<std::optional<std::string>> c{std::nullopt};
    for (const auto& v : vals) c.push_back(v);
    std::string other = "\x01";  // a value that no literal equals
    while (vals.contains(other)) other += "\x01";
    c.push_back(other);
    combos *= c.size();
    if (combos > 4096) return false;
    choices.emplace_back(k, std::move(c));
  }
  std::vector<size_t> at(choices.size(), 0);
  while (true) {
    ir::Labels l;
    for (size_t i = 0; i < choices.size(); ++i)
      if (const auto& v = choices[i].second[at[i]]) l.emplace(choices[i].first, *v);
    if (s.matches(l)) return false;
    size_t i = 0;
    while (i < at.size() && ++at[i] == choices[i].second.size()) at[i++] = 0;
    if (i == at.size()) return true;
  }
}

// `s` without the conjuncts the others imply (decided as unsatisfiable() decides), so that
// a copy's subject reads `app == 'db'` rather than `app in {'db', 'web'} && app == 'db'`.
Selector without_implied(const Selector& s) {
  if (s.op != Op::And) return s;
  std::vector<Selector> kept = s.kids;
  for (size_t i = 0; i < kept.size();) {  // the policy's own selector first
    std::vector<Selector> test;
    for (size_t j = 0; j < kept.size(); ++j)
      if (j != i) test.push_back(kept[j]);
    test.push_back(negated(kept[i]));
    if (unsatisfiable(Selector::conj(std::move(test))))
      kept.erase(kept.begin() + static_cast<long>(i));
    else
      ++i;
  }
  return Selector::conj(std::move(kept));
}

// The conjunction of two pod peers, nullopt when it is certainly empty.
std::optional<Peer> both(const Peer& a, const Peer& b) {
  auto r = intersect(a, b);
  if (!r) return r;
  if (r->ns_name && r->ns_selector) {
    auto f = fold(*r->ns_selector, ir::kNamespaceNameLabel, *r->ns_name);
    if (!f) return std::nullopt;
    r->ns_selector = f->is_all() ? std::nullopt : std::optional<Selector>(*f);
  }
  if (r->ns_selector && unsatisfiable(*r->ns_selector)) return std::nullopt;
  if (r->pod_selector && unsatisfiable(*r->pod_selector)) return std::nullopt;
  for (auto* sel : {&r->ns_selector, &r->pod_selector})
    if (*sel) {
      **sel = without_implied(**sel);
      if ((*sel)->is_all()) sel->reset();
    }
  return r;
}

struct Limit {
  size_t max;
  bool over = false;
  void check(size_t n) { over = over || n > max; }
};

Region both(const Region& a, const Region& b, Limit& lim) {
  Region out;
  for (const auto& x : a)
    for (const auto& y : b)
      if (auto z = both(x, y); z && std::find(out.begin(), out.end(), *z) == out.end()) {
        out.push_back(std::move(*z));
        lim.check(out.size());
        if (lim.over) return out;
      }
  return out;
}

// The addresses outside a union of blocks (both families), as disjoint blocks.
AddrSet outside(const std::vector<ir::CidrBlock>& blocks) {
  AddrSet acc;  // every address
  for (const auto& b : blocks) {
    // Outside b: outside its cidr, or inside one of its excepts (disjoint from each other).
    std::vector<ir::CidrBlock> c = *addr_complement({b.cidr});
    for (const auto& e : b.except) c.push_back(ir::CidrBlock{e, {}});
    acc = addr_intersect(acc, c);
  }
  return acc;
}

// The pods outside one pod peer, as disjoint peers: not c1, or c1 and not c2, ...
Region outside(const Peer& p) {
  if (!(p.kinds & ir::mask(ir::EndpointKind::Pod))) return {pod_peer()};
  std::vector<std::pair<Peer, Peer>> steps;  // (the constraint, its negation)
  if (p.ns_name) {
    Peer yes = pod_peer(), no = pod_peer();
    yes.ns_name = p.ns_name;
    no.ns_selector = Selector::not_eq_(ir::kNamespaceNameLabel, *p.ns_name);
    steps.emplace_back(yes, no);
  }
  if (p.ns_selector) {
    Peer yes = pod_peer(), no = pod_peer();
    yes.ns_selector = p.ns_selector;
    no.ns_selector = negated(*p.ns_selector);
    steps.emplace_back(yes, no);
  }
  if (p.pod_selector) {
    Peer yes = pod_peer(), no = pod_peer();
    yes.pod_selector = p.pod_selector;
    no.pod_selector = negated(*p.pod_selector);
    steps.emplace_back(yes, no);
  }
  if (p.cidrs) {
    Peer yes = pod_peer(), no = pod_peer();
    yes.cidrs = p.cidrs;
    no.cidrs = outside(*p.cidrs);
    steps.emplace_back(yes, no);
  }
  Region out;
  std::optional<Peer> prefix = pod_peer();
  for (const auto& [yes, no] : steps) {
    if (!prefix) break;
    if (auto piece = both(*prefix, no)) out.push_back(std::move(*piece));
    prefix = both(*prefix, yes);
  }
  return out;
}

}  // namespace

Region complement(const Region& r, size_t limit) {
  Limit lim{limit};
  Region acc{pod_peer()};
  for (const auto& p : r) {
    acc = both(acc, outside(p), lim);
    if (lim.over || acc.empty()) break;
  }
  if (lim.over) return Region(limit + 1, pod_peer());
  return acc;
}

Region pod_region(const std::vector<Peer>& peers, size_t limit) {
  if (peers.empty()) return {pod_peer()};
  Limit lim{limit};
  Region out, rest{pod_peer()};  // rest: the pods no earlier peer holds
  for (const auto& p : peers) {
    auto q = both(pod_peer(), p);
    if (!q) continue;
    Region mine = both(rest, Region{*q}, lim);
    out.insert(out.end(), mine.begin(), mine.end());
    lim.check(out.size());
    if (lim.over) break;
    rest = both(rest, outside(*q), lim);
    if (lim.over) break;
  }
  if (lim.over) return Region(limit + 1, pod_peer());
  return out;
}

Result<std::vector<OwnVariant>> own_variants(const Peer& subject,
                                             const std::vector<Region>& conditions, size_t limit) {
  auto too_many = [&] {
    return Problem{ir::Code::NV5033,
                   "too many combinations of the conditions its rules put on the policy's own "
                   "endpoint (" +
                       std::to_string(conditions.size()) +
                       " distinct conditions): netverify models them as copies of the policy, "
                       "one per combination, and stops at " +
                       std::to_string(limit) + "; not supported yet"};
  };
  std::vector<OwnVariant> acc{OwnVariant{subject, {}}};
  for (const auto& cond : conditions) {
    Region neg = complement(cond, limit);
    if (cond.size() > limit || neg.size() > limit) return too_many();
    std::vector<OwnVariant> next;
    for (const auto& v : acc)
      for (bool holds : {true, false})
        for (const auto& piece : holds ? cond : neg)
          if (auto s = both(v.subject, piece)) {
            OwnVariant w{std::move(*s), v.holds};
            w.holds.push_back(holds);
            next.push_back(std::move(w));
            if (next.size() > limit) return too_many();
          }
    acc = std::move(next);
  }
  return acc;
}

}  // namespace nv::calico
