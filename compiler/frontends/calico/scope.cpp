// Calico selectors over endpoint labels: upstream's scoping of rule selectors, and their
// meaning on pods (namespace and pod labels) and on network sets (their own labels).
#include <algorithm>

#include "compiler/frontends/calico/lowering.h"
#include "ir/inventory.h"

namespace nv::calico {

using ir::Selector;
using Op = Selector::Op;

std::string NetworkSet::id() const {
  return ns.empty() ? "GlobalNetworkSet " + name : "NetworkSet " + ns + "/" + name;
}

namespace {

bool is_atom(Op op) {
  return op != Op::All && op != Op::Not && op != Op::And && op != Op::Or;
}

// !a as an atom where one exists (== and != are exact negations of each other, absent
// label included; so are `in` and `not in`).
Selector negate_atom(const Selector& a) {
  Selector s = a;
  switch (a.op) {
    case Op::Eq: s.op = Op::NotEq; return s;
    case Op::NotEq: s.op = Op::Eq; return s;
    case Op::In: s.op = Op::NotIn; return s;
    case Op::NotIn: s.op = Op::In; return s;
    default: return Selector::negate(a);
  }
}

}  // namespace

namespace {
const char* const kAllMarker = "\x01all()";
const char* const kGlobalMarker = "\x01global()";
}  // namespace

Selector all_marker() { return Selector::has(kAllMarker); }
Selector global_marker() { return Selector::has(kGlobalMarker); }

Selector raw_and(Selector a, Selector b) {
  Selector s;
  s.op = Op::And;
  s.kids = {std::move(a), std::move(b)};
  return s;
}

Selector prefixed(const Selector& sel, const std::string& prefix, const Selector& all_means) {
  if (sel.op == Op::Has && sel.key == kAllMarker) return all_means;
  if (sel.op == Op::Has && sel.key == kGlobalMarker) return Selector::negate(Selector::has(kLabelNamespace));
  Selector s = sel;
  if (is_atom(s.op)) s.key = prefix + s.key;
  for (auto& k : s.kids) k = prefixed(k, prefix, all_means);
  return s;
}

// updateprocessors/rules.go getEndpointSelector.
std::optional<Selector> scoped_selector(const SideSelectors& s, const std::string& policy_ns) {
  std::optional<Selector> ns_part;
  if (s.namespace_selector)
    ns_part = prefixed(*s.namespace_selector, kNamespacePrefix, Selector::has(kLabelNamespace));
  else if (!policy_ns.empty())
    ns_part = Selector::eq(kLabelNamespace, policy_ns);
  if (ns_part && (s.selector || s.has_not_selector || s.namespace_selector))
    return s.selector ? raw_and(*ns_part, *s.selector) : *ns_part;
  return s.selector;
}

// ---- Pods ----------------------------------------------------------------------------

namespace {

enum class Domain : uint8_t { Pod, Ns, Const };

struct Atom {
  Domain domain = Domain::Pod;
  Selector sel;       // the atom over pod or namespace labels
  bool value = false; // Domain::Const
};

// What an atom over Calico endpoint labels means for a pod
// (conversion/workload_endpoint_default.go: the pod's labels, then projectcalico.org/
// namespace and /orchestrator; NamespaceToProfile: pcns.<key> and pcns.projectcalico.org/
// name inherited from the namespace profile).
Result<Atom> classify(const Selector& a) {
  const std::string& key = a.key;
  auto ns_atom = [&](std::string k) {
    Selector s = a;
    s.key = std::move(k);
    return Atom{Domain::Ns, std::move(s), false};
  };
  // Every pod has a namespace: has() of its name is true (the all() of a namespaceSelector).
  bool names_namespace = key == kLabelNamespace || key == std::string(kNamespacePrefix) + kLabelName ||
                         key == std::string(kNamespacePrefix) + ir::kNamespaceNameLabel;
  if (names_namespace && a.op == Op::Has) return Atom{Domain::Const, {}, true};
  if (key == kLabelNamespace) return ns_atom(ir::kNamespaceNameLabel);
  if (key == kLabelOrchestrator)
    return Atom{Domain::Const, {}, a.matches(ir::Labels{{kLabelOrchestrator, "k8s"}})};
  // A pod's service account (conversion.go ServiceAccountToProfile): its name, also as
  // pcsa.projectcalico.org/name, and its labels as pcsa.<key>: the inventory's
  // service-account labels of each pod (ir/inventory.h).
  auto pod_atom = [&](std::string k) {
    Selector s = a;
    s.key = std::move(k);
    return Atom{Domain::Pod, std::move(s), false};
  };
  if (key == kLabelServiceAccount || key == std::string(kServiceAccountPrefix) + kLabelName)
    return pod_atom(ir::kServiceAccountLabel);
  if (key.starts_with(kServiceAccountPrefix))
    return pod_atom(ir::kServiceAccountLabelPrefix +
                    key.substr(std::string(kServiceAccountPrefix).size()));
  if (key.starts_with(kNamespacePrefix)) {
    std::string rest = key.substr(std::string(kNamespacePrefix).size());
    if (rest == kLabelName) return ns_atom(ir::kNamespaceNameLabel);
    return ns_atom(rest);
  }
  return Atom{Domain::Pod, a, false};
}

Selector either(const Selector& a, const Selector& b) {
  if (a.is_all() || b.is_all()) return Selector::all();
  return Selector::disj({a, b});
}

PodTerm conj(const PodTerm& a, const PodTerm& b) {
  return PodTerm{std::nullopt, Selector::conj({a.ns, b.ns}), Selector::conj({a.pod, b.pod})};
}

// Merges terms with the same namespace side (pod sides ORed), then with the same pod side.
std::vector<PodTerm> merge(std::vector<PodTerm> terms) {
  for (const auto& t : terms)
    if (t.ns.is_all() && t.pod.is_all()) return {PodTerm{}};
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<PodTerm> out;
    for (auto& t : terms) {
      auto same = std::find_if(out.begin(), out.end(), [&](const PodTerm& o) {
        return pass == 0 ? o.ns == t.ns : o.pod == t.pod;
      });
      if (same == out.end()) {
        out.push_back(std::move(t));
      } else if (pass == 0) {
        same->pod = either(same->pod, t.pod);
      } else {
        same->ns = either(same->ns, t.ns);
      }
    }
    terms = std::move(out);
  }
  return terms;
}

Result<std::vector<PodTerm>> terms(const Selector& s, bool neg, size_t limit) {
  using Terms = std::vector<PodTerm>;
  if (s.op == Op::All) return neg ? Terms{} : Terms{PodTerm{}};
  if (s.op == Op::Not) return terms(s.kids[0], !neg, limit);
  if (s.op == Op::And || s.op == Op::Or) {
    bool conjunction = (s.op == Op::And) != neg;
    Terms acc;
    if (conjunction) acc.push_back(PodTerm{});
    for (const auto& kid : s.kids) {
      auto r = terms(kid, neg, limit);
      if (auto* p = std::get_if<Problem>(&r)) return *p;
      auto& kt = std::get<Terms>(r);
      if (conjunction) {
        Terms next;
        for (const auto& a : acc)
          for (const auto& b : kt) next.push_back(conj(a, b));
        acc = merge(std::move(next));
        if (acc.empty()) return acc;  // false: the other members cannot matter
      } else {
        for (auto& t : kt) acc.push_back(std::move(t));
        acc = merge(std::move(acc));
      }
      if (acc.size() > limit)
        return Problem{ir::Code::NV5023,
                       "selector `" + s.str() + "` expands to more than " + std::to_string(limit) +
                           " combinations of namespace and pod labels"};
    }
    return acc;
  }
  auto a = classify(s);
  if (auto* p = std::get_if<Problem>(&a)) return *p;
  Atom& atom = std::get<Atom>(a);
  if (atom.domain == Domain::Const) return atom.value != neg ? Terms{PodTerm{}} : Terms{};
  Selector sel = neg ? negate_atom(atom.sel) : atom.sel;
  PodTerm t;
  (atom.domain == Domain::Ns ? t.ns : t.pod) = std::move(sel);
  return Terms{t};
}

// `kubernetes.io/metadata.name == 'x'` among the namespace conjuncts is a namespace name.
void extract_ns_name(PodTerm& t) {
  auto is_name = [](const Selector& s) { return s.op == Op::Eq && s.key == ir::kNamespaceNameLabel; };
  if (is_name(t.ns)) {
    t.ns_name = t.ns.values[0];
    t.ns = Selector::all();
    return;
  }
  if (t.ns.op != Op::And) return;
  auto it = std::find_if(t.ns.kids.begin(), t.ns.kids.end(), is_name);
  if (it == t.ns.kids.end()) return;
  t.ns_name = it->values[0];
  std::vector<Selector> rest;
  for (auto k = t.ns.kids.begin(); k != t.ns.kids.end(); ++k)
    if (k != it) rest.push_back(*k);
  t.ns = Selector::conj(std::move(rest));
}

}  // namespace

Result<std::vector<PodTerm>> pod_terms(const Selector& sel, size_t limit) {
  auto r = terms(sel, false, limit);
  if (auto* t = std::get_if<std::vector<PodTerm>>(&r))
    for (auto& term : *t) extract_ns_name(term);
  return r;
}

ir::Peer to_peer(const PodTerm& t) {
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Pod);
  p.ns_name = t.ns_name;
  if (!t.ns.is_all()) p.ns_selector = t.ns;
  if (!t.pod.is_all()) p.pod_selector = t.pod;
  return p;
}

// ---- Network sets ------------------------------------------------------------------------

namespace {

// A label of a network set as selectors see it (networksetprocessor.go: its labels plus
// projectcalico.org/namespace, and the namespace profile's pcns.* labels, which its own
// labels override).
struct Lookup {
  enum class Kind : uint8_t { Absent, Value, Unknown } kind = Kind::Absent;
  std::string value;
};

Lookup lookup(const NetworkSet& set, const std::string& key) {
  using K = Lookup::Kind;
  if (!set.ns.empty() && key == kLabelNamespace) return {K::Value, set.ns};
  if (auto it = set.labels.find(key); it != set.labels.end()) return {K::Value, it->second};
  if (!set.ns.empty() && key.starts_with(kNamespacePrefix)) {
    std::string rest = key.substr(std::string(kNamespacePrefix).size());
    if (rest == kLabelName || rest == ir::kNamespaceNameLabel) return {K::Value, set.ns};
    return {K::Unknown, ""};
  }
  return {};
}

}  // namespace

Tri matches(const Selector& sel, const NetworkSet& set) {
  switch (sel.op) {
    case Op::All:
      return Tri::True;
    case Op::Not: {
      Tri t = matches(sel.kids[0], set);
      return t == Tri::Unknown ? t : t == Tri::True ? Tri::False : Tri::True;
    }
    case Op::And:
    case Op::Or: {
      Tri decisive = sel.op == Op::And ? Tri::False : Tri::True;
      bool unknown = false;
      for (const auto& k : sel.kids) {
        Tri t = matches(k, set);
        if (t == decisive) return t;
        unknown = unknown || t == Tri::Unknown;
      }
      return unknown ? Tri::Unknown : sel.op == Op::And ? Tri::True : Tri::False;
    }
    default: {
      Lookup l = lookup(set, sel.key);
      if (l.kind == Lookup::Kind::Unknown) return Tri::Unknown;
      ir::Labels labels;
      if (l.kind == Lookup::Kind::Value) labels.emplace(sel.key, l.value);
      return sel.matches(labels) ? Tri::True : Tri::False;
    }
  }
}

}  // namespace nv::calico
