// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) to IR.
//
// API shape: kubernetes-sigs/network-policy-api v0.1.5 and later (apis/v1alpha1/
// {adminnetworkpolicy_types.go,baselineadminnetworkpolicy_types.go,shared_types.go}):
//   subject        namespaces: LabelSelector | pods: {namespaceSelector, podSelector}
//   ingress peers  namespaces | pods
//   egress peers   namespaces | pods | networks: [CIDR] (| nodes | domainNames: refused)
//   ports          portNumber: {protocol, port} | namedPort | portRange: {protocol, start, end}
// The older shapes (NamespacedPeer with namespaceSelector/sameLabels/notSameLabels,
// namespacedPods, ports as {allPorts, list}, ports as {protocol, port, endPort}) are
// refused with NV7013, never read as the newer one.
//
// Layering (README "Dialects and CNIs"; the Pass semantics of
// cmd/policy-assistant/pkg/matcher/policy.go DirectionResult.Resolve): ANPs in tier
// `kube-admin` ordered by priority, default Pass; Kubernetes NetworkPolicy in `default`
// (default Deny, visited only when a NetworkPolicy isolates the pod); the BANP in
// `kube-baseline`, default Pass; then allow. Calico layers them the same way (felix tiers
// kube-admin and kube-baseline), so both CNIs get this lowering.
#include "compiler/frontends/anp/anp.h"

#include <map>
#include <set>

#include "compiler/frontends/k8s/k8s.h"

namespace nv::anp {

using load::MapReader;
using load::YNode;

namespace {

// Limits from the CRD's kubebuilder markers.
constexpr size_t kMaxRules = 100;     // spec.ingress, spec.egress
constexpr size_t kMaxPeers = 100;     // from, to
constexpr size_t kMaxPorts = 100;     // ports
constexpr size_t kMaxNetworks = 25;   // networks
constexpr size_t kMaxRuleName = 100;  // name (characters)
constexpr size_t kMaxCidrText = 43;   // CIDR MaxLength

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A rule name for traces: control characters would break one-line output.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c);
  return out;
}

// A field given with a non-null value (the API server drops nulls before validating).
bool given(const YNode& n, std::string_view key) {
  const YNode* v = n.is_map() ? n.get(key) : nullptr;
  return v && !v->is_null();
}

struct Lowering {
  load::Ctx& ctx;
  bool baseline;  // BaselineAdminNetworkPolicy

  void error(ir::Code code, const YNode& at, std::string msg) { ctx.error(code, at, std::move(msg)); }

  // Keys of an API shape netverify does not read; reports the first one present. `where`
  // names the shape, `instead` says what to write.
  bool other_shape(const YNode& n, const std::string& path,
                   std::initializer_list<std::string_view> keys, const std::string& where,
                   const std::string& instead) {
    if (!n.is_map()) return false;
    for (const YNode& k : n.keys())
      for (auto key : keys)
        if (k.is_scalar() && k.value == key) {
          error(ir::Code::NV7013, k,
                "`" + path + "." + std::string(key) + "` belongs to " + where +
                    ", which netverify does not read; " + instead);
          return true;
        }
    return false;
  }

  // A list with MinItems/MaxItems; reports and returns false when out of bounds.
  bool list_size(const YNode& list, const std::string& path, size_t min, size_t max) {
    size_t n = list.items().size();
    if (n < min) {
      error(ir::Code::NV7005, list, "`" + path + "` must have at least " + std::to_string(min) + " item" +
                                        (min == 1 ? "" : "s"));
      return false;
    }
    if (n > max) {
      error(ir::Code::NV7005, list, "`" + path + "` has " + std::to_string(n) + " items; at most " +
                                        std::to_string(max) + " are allowed");
      return false;
    }
    return true;
  }

  std::optional<ir::Selector> selector(const YNode& n, const std::string& path) {
    return k8s::lower_label_selector(ctx, n, path);
  }

  // A `namespaces` LabelSelector (subject or peer): refuses the older NamespacedPeer keys.
  std::optional<ir::Selector> namespaces_selector(const YNode& n, const std::string& path) {
    if (other_shape(n, path, {"namespaceSelector", "sameLabels", "notSameLabels", "notSelf", "related"},
                    "the older NamespacedPeer shape (network-policy-api v0.1.0-v0.1.4)",
                    "write `namespaces` as a label selector (matchLabels/matchExpressions)"))
      return std::nullopt;
    return selector(n, path);
  }

  // NamespacedPod: {namespaceSelector, podSelector}, both required.
  std::optional<ir::Peer> namespaced_pod(const YNode& n, const std::string& path) {
    if (other_shape(n, path, {"namespaces", "pods"},
                    "the older NamespacedPodPeer shape (network-policy-api v0.1.0-v0.1.4)",
                    "write `namespaceSelector` and `podSelector`"))
      return std::nullopt;
    MapReader r(ctx, n, path);
    const YNode* ns_sel = r.map("namespaceSelector");
    const YNode* pod_sel = r.map("podSelector");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    bool ok = true;
    for (auto [field, node] : {std::pair{"namespaceSelector", ns_sel}, std::pair{"podSelector", pod_sel}})
      if (!node && !given(n, field)) {  // a wrong type was reported by map()
        error(ir::Code::NV1022, n,
              "`" + path + "." + field + "` is required (`{}` selects every " +
                  (std::string(field) == "podSelector" ? "pod" : "namespace") + ")");
        ok = false;
      }
    if (!ok || !ns_sel || !pod_sel) return std::nullopt;
    auto ns = selector(*ns_sel, path + ".namespaceSelector");
    auto pod = selector(*pod_sel, path + ".podSelector");
    if (!ns || !pod) return std::nullopt;
    ir::Peer p;
    p.kinds = ir::mask(ir::EndpointKind::Pod);  // host-networked pods are not included
    p.ns_selector = std::move(*ns);
    p.pod_selector = std::move(*pod);
    return p;
  }

  std::optional<ir::Peer> subject(const YNode* n) {
    if (!n) return std::nullopt;
    if (other_shape(*n, "spec.subject", {"namespaceSelector", "namespaceAndPodSelector"},
                    "the first AdminNetworkPolicy shape (network-policy-api v0.1.0)",
                    "write `namespaces` or `pods`"))
      return std::nullopt;
    MapReader r(ctx, *n, "spec.subject");
    const YNode* ns = r.map("namespaces");
    const YNode* pods = r.map("pods");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if ((ns != nullptr) == (pods != nullptr)) {
      if (!ns && (given(*n, "namespaces") || given(*n, "pods"))) return std::nullopt;  // wrong type
      error(ir::Code::NV7002, *n,
            ns ? "`spec.subject` must set exactly one of `namespaces` and `pods`, not both"
               : "`spec.subject` must set one of `namespaces` and `pods`");
      return std::nullopt;
    }
    if (pods) return namespaced_pod(*pods, "spec.subject.pods");
    auto sel = namespaces_selector(*ns, "spec.subject.namespaces");
    if (!sel) return std::nullopt;
    ir::Peer p;
    p.kinds = ir::mask(ir::EndpointKind::Pod);
    p.ns_selector = std::move(*sel);
    return p;
  }

  std::optional<int> protocol(MapReader& r, const YNode& n, const std::string& path) {
    auto text = r.string("protocol");
    if (!text) return ir::kTCP;  // +kubebuilder:default=TCP
    if (*text == "TCP" || *text == "UDP" || *text == "SCTP") return *ir::parse_proto(*text);
    error(ir::Code::NV7008, *n.get("protocol"),
          "`" + path + ".protocol` \"" + *text + "\" is not TCP, UDP or SCTP");
    return std::nullopt;
  }

  std::optional<int64_t> port_number(MapReader& r, const YNode& n, const std::string& path,
                                     const char* field) {
    auto v = r.integer(field);
    if (!v) {
      if (!given(n, field)) error(ir::Code::NV1022, n, "`" + path + "." + field + "` is required");
      return std::nullopt;
    }
    if (*v < 1 || *v > 65535) {
      error(ir::Code::NV7007, *n.get(field),
            "`" + path + "." + field + "` " + std::to_string(*v) + " is outside 1..65535");
      return std::nullopt;
    }
    return v;
  }

  // One AdminNetworkPolicyPort; `named` is set when it is a namedPort.
  std::optional<ir::PortMatch> port(const YNode& n, const std::string& path, bool* named) {
    if (other_shape(n, path, {"port", "endPort", "protocol"},
                    "the older port shape {protocol, port, endPort} (network-policy-api v0.1.0-v0.1.4)",
                    "write one of `portNumber`, `namedPort`, `portRange`"))
      return std::nullopt;
    MapReader r(ctx, n, path);
    const YNode* number = r.map("portNumber");
    auto name = r.string("namedPort");
    const YNode* range = r.map("portRange");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    int set = (number != nullptr) + name.has_value() + (range != nullptr);
    if (set != 1) {
      if (set == 0 && (given(n, "portNumber") || given(n, "namedPort") || given(n, "portRange")))
        return std::nullopt;  // a wrong type, already reported
      error(ir::Code::NV7007, n,
            "`" + path + "` must set exactly one of `portNumber`, `namedPort`, `portRange`" +
                (set ? ", not several" : ""));
      return std::nullopt;
    }
    ir::PortMatch pm;
    if (name) {
      // The destination pod's container port of that name, whatever its protocol.
      *named = true;
      std::string why;
      if (!k8s::valid_port_name(*name, &why))
        error(ir::Code::NV7021, *n.get("namedPort"),
              "namedPort \"" + *name + "\" can never match a container port: " + why);
      pm.proto = ir::kAnyProto;
      pm.named = *name;
      return pm;
    }
    const YNode& body = number ? *number : *range;
    std::string bpath = path + (number ? ".portNumber" : ".portRange");
    MapReader b(ctx, body, bpath);
    auto proto = protocol(b, body, bpath);
    std::optional<int64_t> lo, hi;
    if (number) {
      lo = hi = port_number(b, body, bpath, "port");
    } else {
      lo = port_number(b, body, bpath, "start");
      hi = port_number(b, body, bpath, "end");
    }
    b.reject_unknown();
    if (!b.ok() || !proto || !lo || !hi) return std::nullopt;
    // shared_types.go: "the Start value must be less than End"; policy-assistant
    // (matcher/builder.go BuildSinglePortMatcherAdmin) refuses start >= end.
    if (range && *lo >= *hi) {
      error(ir::Code::NV7007, *body.get("end"),
            "`" + bpath + "`: start (" + std::to_string(*lo) + ") must be less than end (" +
                std::to_string(*hi) + "); use portNumber for a single port");
      return std::nullopt;
    }
    pm.proto = *proto;
    pm.lo = static_cast<uint16_t>(*lo);
    pm.hi = static_cast<uint16_t>(*hi);
    return pm;
  }

  // `networks`: CIDRs, which match every endpoint with such an address, pods included
  // (adminnetworkpolicy_types.go: "cluster-internal traffic will be checked against the
  // rule as well").
  std::optional<ir::Peer> networks(const YNode& list, const std::string& path) {
    if (!list_size(list, path, 1, kMaxNetworks)) return std::nullopt;
    std::vector<ir::CidrBlock> blocks;
    std::map<std::string, const YNode*> seen;
    bool ok = true;
    for (size_t i = 0; i < list.items().size(); ++i) {
      const YNode& e = list.items()[i];
      std::string epath = path + "[" + std::to_string(i) + "]";
      if (e.is_map()) {
        error(ir::Code::NV7013, e,
              "`" + epath + "` is a mapping; in v1alpha1 a networks entry is a CIDR string "
              "(the {cidrs, cidrGroups} form is a proposal netverify does not read)");
        ok = false;
        continue;
      }
      if (!e.is_scalar()) {
        error(ir::Code::NV1021, e, "`" + epath + "` must be a CIDR string");
        ok = false;
        continue;
      }
      if (!seen.emplace(e.value, &e).second) {  // +listType=set
        error(ir::Code::NV7010, e,
              "`" + epath + "` \"" + std::string(e.value) + "\" is listed twice");
        ok = false;
        continue;
      }
      // CIDR: MaxLength=43, `self.contains(':') != self.contains('.')`, net.ParseCIDR
      // (which accepts host bits and clears them).
      bool has_colon = e.value.find(':') != std::string::npos;
      bool has_dot = e.value.find('.') != std::string::npos;
      auto cidr = ir::Cidr::parse(e.value);
      if (e.value.size() > kMaxCidrText || has_colon == has_dot || !cidr) {
        error(
            ir::Code::NV7010, e,
            "`" + epath + "` \"" + std::string(e.value) + "\" is not an IPv4 or IPv6 CIDR" +
                (has_colon && has_dot ? " (IPv4 embedded in IPv6 is not supported upstream)" : ""));
        ok = false;
        continue;
      }
      blocks.push_back({*cidr, {}});
    }
    if (!ok) return std::nullopt;
    ir::Peer p;
    p.kinds = ir::kAllKinds;
    p.cidrs = std::move(blocks);
    return p;
  }

  // One peer; `address` is set when it selects by address (networks), which has no named ports.
  std::optional<ir::Peer> peer(const YNode& n, const std::string& path, bool egress, bool* address) {
    if (other_shape(n, path, {"namespacedPods"}, "the first AdminNetworkPolicy shape (network-policy-api v0.1.0)",
                    "write `pods: {namespaceSelector, podSelector}`"))
      return std::nullopt;
    if (!egress)
      for (std::string_view key : {"networks", "nodes", "domainNames"})
        if (const YNode* k = n.key_node(key)) {
          error(ir::Code::NV7004, *k,
                "`" + path + "." + std::string(key) + "`: " + std::string(key) +
                    " is an egress peer only (ingress peers are namespaces and pods)");
          return std::nullopt;
        }
    if (egress)
      if (const YNode* k = n.key_node("domainNames")) {
        error(ir::Code::NV7012, *k,
              "`" + path +
                  ".domainNames` is not supported yet: netverify does not model DNS "
                  "names; refusing to answer without it rather than ignoring it");
        *address = true;
        return std::nullopt;
      }
    size_t before = ctx.diags.error_count();
    MapReader r(ctx, n, path);
    const YNode* ns = r.map("namespaces");
    const YNode* pods = r.map("pods");
    const YNode* nets = egress ? r.list("networks") : nullptr;
    const YNode* nodes = egress ? r.map("nodes") : nullptr;
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    int set = (ns != nullptr) + (pods != nullptr) + (nets != nullptr) + (nodes != nullptr);
    if (set != 1) {
      if (set == 0 && ctx.diags.error_count() != before) return std::nullopt;  // already reported
      error(ir::Code::NV7004, n,
            "`" + path + "` must set exactly one of `namespaces`, `pods`" +
                (egress ? ", `nodes`, `networks`" : "") + (set ? ", not several" : ""));
      return std::nullopt;
    }
    if (pods) return namespaced_pod(*pods, path + ".pods");
    if (nets) {
      *address = true;
      return networks(*nets, path + ".networks");
    }
    if (nodes) {
      // AdminNetworkPolicyEgressPeer.Nodes: the nodes whose labels match, i.e. their
      // host-network addresses (the node's own and its hostNetwork pods').
      *address = true;
      auto sel = selector(*nodes, path + ".nodes");
      if (!sel) return std::nullopt;
      ir::Peer p;
      p.kinds = ir::mask(ir::EndpointKind::Host);
      p.node_selector = std::move(*sel);
      return p;
    }
    auto sel = namespaces_selector(*ns, path + ".namespaces");
    if (!sel) return std::nullopt;
    ir::Peer p;
    p.kinds = ir::mask(ir::EndpointKind::Pod);  // host-networked pods are not included
    p.ns_selector = std::move(*sel);
    return p;
  }

  std::optional<ir::Action> action(const YNode& rule_node, MapReader& r, const std::string& path) {
    auto text = r.string("action");
    if (!text) {
      if (!given(rule_node, "action")) error(ir::Code::NV1022, rule_node, "`" + path + ".action` is required");
      return std::nullopt;
    }
    if (*text == "Allow") return ir::Action::Allow;
    if (*text == "Deny") return ir::Action::Deny;
    if (*text == "Pass" && !baseline) return ir::Action::Pass;
    error(ir::Code::NV7003, *rule_node.get("action"),
          "`" + path + ".action` \"" + *text + "\" is not " +
              (baseline ? "Allow or Deny (a BaselineAdminNetworkPolicy has no Pass)" : "Allow, Deny or Pass"));
    return std::nullopt;
  }

  std::optional<ir::Rule> rule(const YNode& n, const std::string& path, bool egress) {
    const char* peer_key = egress ? "to" : "from";
    MapReader r(ctx, n, path);
    auto name = r.string("name");
    auto act = action(n, r, path);
    const YNode* peers = r.list(peer_key);
    const YNode* ports_node = r.get("ports");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    bool ok = act.has_value();
    ir::Rule rule;
    rule.path = path;
    rule.span = ctx.at(n);
    if (name && utf8_chars(*name) > kMaxRuleName) {
      error(ir::Code::NV7006, *n.get("name"),
            "`" + path + ".name` has " + std::to_string(utf8_chars(*name)) + " characters; at most " +
                std::to_string(kMaxRuleName) + " are allowed");
      ok = false;
    } else if (name && !name->empty()) {
      rule.path += " (" + printable(*name) + ")";
    }
    if (act) rule.action = *act;

    bool address_peer = false;
    const YNode* address_peer_node = nullptr;
    if (!peers) {
      if (!given(n, peer_key)) error(ir::Code::NV1022, n, "`" + path + "." + peer_key + "` is required");
      ok = false;
    } else if (!list_size(*peers, path + "." + peer_key, 1, kMaxPeers)) {
      ok = false;
    } else {
      for (size_t i = 0; i < peers->items().size(); ++i) {
        bool address = false;
        auto p = peer(peers->items()[i], path + "." + peer_key + "[" + std::to_string(i) + "]",
                      egress, &address);
        if (address && !address_peer_node) address_peer_node = &peers->items()[i];
        address_peer = address_peer || address;
        if (p) rule.peers.push_back(std::move(*p));
        ok = ok && p.has_value();
      }
    }

    if (ports_node) {
      if (ports_node->is_map() && (ports_node->get("allPorts") || ports_node->get("list"))) {
        error(ir::Code::NV7013, *ports_node,
              "`" + path + ".ports` as {allPorts, list} belongs to the older AdminNetworkPolicyPorts "
              "shape (network-policy-api v0.1.0-v0.1.4), which netverify does not read; write a list "
              "of ports, or leave `ports` out for every port");
        return std::nullopt;
      }
      if (!ports_node->is_seq()) {
        error(ir::Code::NV1021, *ports_node, "`" + path + ".ports` must be a list");
        return std::nullopt;
      }
      // ANP: MinItems=1. BANP declares no minimum; an empty list filters nothing
      // (policy-assistant BuildPortMatcherAdmin: no ports, every port).
      if (!list_size(*ports_node, path + ".ports", baseline ? 0 : 1, kMaxPorts)) return std::nullopt;
      const YNode* named_node = nullptr;
      for (size_t i = 0; i < ports_node->items().size(); ++i) {
        bool named = false;
        auto pm = port(ports_node->items()[i], path + ".ports[" + std::to_string(i) + "]", &named);
        if (named && !named_node) named_node = &ports_node->items()[i];
        if (pm) rule.ports.push_back(std::move(*pm));
        ok = ok && pm.has_value();
      }
      // XValidation on the egress rules: networks/nodes peers have no named ports.
      if (named_node && address_peer) {
        auto& d = ctx.error(ir::Code::NV7009, *named_node,
                            "`" + path + ".ports` has a namedPort, but a peer of this rule selects by "
                            "address (networks or nodes), which has no named ports");
        if (address_peer_node) d.notes.push_back({ctx.at(*address_peer_node), "the address peer"});
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return rule;
  }
};

// Per label key, what one or more selectors' top-level terms demand of its value.
struct KeyDomain {
  bool may_be_absent = true;
  bool may_be_present = true;
  std::optional<std::set<std::string>> allowed;  // when present, one of these
  std::set<std::string> excluded;                // when present, none of these
  bool empty() const {
    if (may_be_absent) return false;
    if (!may_be_present) return true;
    if (!allowed) return false;
    for (const auto& v : *allowed)
      if (!excluded.count(v)) return false;
    return true;
  }
};

void constrain(const ir::Selector& s, std::map<std::string, KeyDomain>& dom) {
  using Op = ir::Selector::Op;
  auto narrow = [&](const std::string& key, std::set<std::string> values) {
    KeyDomain& d = dom[key];
    d.may_be_absent = false;
    if (!d.allowed) {
      d.allowed = std::move(values);
      return;
    }
    std::set<std::string> both;
    for (const auto& v : values)
      if (d.allowed->count(v)) both.insert(v);
    d.allowed = std::move(both);
  };
  switch (s.op) {
    case Op::And:
      for (const auto& k : s.kids) constrain(k, dom);
      break;
    case Op::Has:
      dom[s.key].may_be_absent = false;
      break;
    case Op::Eq:
    case Op::In:
      narrow(s.key, {s.values.begin(), s.values.end()});
      break;
    case Op::NotEq:
    case Op::NotIn:
      dom[s.key].excluded.insert(s.values.begin(), s.values.end());
      break;
    case Op::Not:
      if (s.kids.size() == 1 && s.kids[0].op == Op::Has) dom[s.kids[0].key].may_be_present = false;
      break;
    default:
      break;  // no constraint assumed: the check stays conservative
  }
}

// False only when no label set can match both selectors (proved from their top-level terms).
bool may_overlap(const std::optional<ir::Selector>& a, const std::optional<ir::Selector>& b) {
  if (!a || !b) return true;
  std::map<std::string, KeyDomain> dom;
  constrain(*a, dom);
  constrain(*b, dom);
  for (const auto& [k, d] : dom)
    if (d.empty()) return false;
  return true;
}

bool subjects_may_overlap(const ir::Peer& a, const ir::Peer& b) {
  return may_overlap(a.ns_selector, b.ns_selector) && may_overlap(a.pod_selector, b.pod_selector);
}

// spec.priority: required int32, Minimum=0, Maximum=1000.
std::optional<int64_t> priority(load::Ctx& ctx, MapReader& spec, const YNode& spec_node) {
  auto p = spec.integer("priority");
  if (!p) {
    if (!given(spec_node, "priority"))
      ctx.error(ir::Code::NV1022, spec_node, "`spec.priority` is required (0..1000, lower first)");
    return std::nullopt;
  }
  if (*p < 0 || *p > 1000) {
    ctx.error(ir::Code::NV7001, *spec_node.get("priority"),
              "`spec.priority` " + std::to_string(*p) + " is outside 0..1000");
    return std::nullopt;
  }
  return p;
}

// Two ANPs with one priority whose subjects may overlap, in a direction both have rules
// for: upstream says any of them may win ("the implementation can apply any of the
// matching policies"); netverify evaluates them by name.
void warn_same_priority(load::Ctx& ctx, const ir::Policy& p, const ir::SourceSpan& at,
                        const ir::PolicySet& ps) {
  for (const ir::Policy& q : ps.policies()) {
    if (q.dialect != "anp" || q.kind != p.kind || q.tier != p.tier || q.order != p.order) continue;
    bool shared_direction = false;
    for (ir::Direction d : ir::kDirections)
      shared_direction = shared_direction || (p.dir(d).isolates && q.dir(d).isolates);
    if (!shared_direction || !subjects_may_overlap(p.subject, q.subject)) continue;
    const std::string& first = std::min(p.name, q.name);
    const std::string& second = std::max(p.name, q.name);
    auto& d = ctx.diags.report(
        ir::Code::NV7020, at,
        "AdminNetworkPolicy " + p.name + " has priority " + std::to_string(static_cast<int>(p.order)) +
            " like " + q.name + ", and both can select the same pods: upstream leaves their order "
            "undefined (netverify evaluates " + first + " before " + second +
            ", a CNI may not); give them distinct priorities");
    d.notes.push_back({q.span, "AdminNetworkPolicy " + q.name + " is here"});
  }
}

}  // namespace

void lower_policy(load::Ctx& ctx, const load::Object& obj, ir::PolicySet& ps) {
  size_t errors = ctx.diags.error_count();
  bool baseline = obj.kind == "BaselineAdminNetworkPolicy";
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  const YNode* metadata = top.get("metadata");
  top.get("status");
  const YNode* spec_node = top.get("spec");
  top.reject_unknown();

  // baselineadminnetworkpolicy_types.go: XValidation `self.metadata.name == 'default'`.
  if (baseline && obj.name != "default") {
    const YNode* at = metadata && metadata->get("name") ? metadata->get("name") : obj.node;
    ctx.error(ir::Code::NV7011, *at,
              "BaselineAdminNetworkPolicy \"" + obj.name +
                  "\": the only one a cluster may have is named \"default\"");
  }
  if (!spec_node) {
    ctx.error(ir::Code::NV1022, *obj.node, obj.kind + " has no `spec`");
    return;
  }

  MapReader spec(ctx, *spec_node, "spec");
  std::optional<int64_t> prio = baseline ? std::optional<int64_t>(0) : priority(ctx, spec, *spec_node);
  const YNode* subject_node = spec.get("subject");
  const YNode* ingress = spec.list("ingress");
  const YNode* egress = spec.list("egress");
  spec.reject_unknown();
  if (!spec.ok()) return;

  Lowering low{ctx, baseline};
  ir::Policy p;
  p.dialect = "anp";
  p.kind = obj.kind;
  p.name = obj.name;
  p.tier = baseline ? ir::kBaselineTier : ir::kAdminTier;
  p.order = prio ? static_cast<double>(*prio) : 0;
  p.span = obj.span;
  if (!subject_node) {
    if (!given(*spec_node, "subject"))
      ctx.error(ir::Code::NV1022, *spec_node, "`spec.subject` is required (namespaces or pods)");
  } else if (auto s = low.subject(subject_node)) {
    p.subject = std::move(*s);
  }

  auto lower_dir = [&](const YNode* list, const char* key, ir::Direction d) {
    if (!list || !low.list_size(*list, std::string("spec.") + key, 0, kMaxRules)) return;
    ir::DirectionRules& dr = p.dir(d);
    // "ANPs with no ingress rules do not affect ingress traffic" (and likewise egress).
    dr.isolates = !list->items().empty();
    for (size_t i = 0; i < list->items().size(); ++i) {
      std::string path = std::string("spec.") + key + "[" + std::to_string(i) + "]";
      if (auto r = low.rule(list->items()[i], path, d == ir::Direction::Egress))
        dr.rules.push_back(std::move(*r));
    }
  };
  lower_dir(ingress, "ingress", ir::Direction::Ingress);
  lower_dir(egress, "egress", ir::Direction::Egress);

  if (ctx.diags.error_count() != errors) return;  // never a partial policy
  if (!baseline) warn_same_priority(ctx, p, ctx.at(*spec_node->get("priority")), ps);
  ps.add_tier(baseline ? ir::Tier{ir::kBaselineTier, ir::kBaselineTierOrder, ir::Action::Pass}
                       : ir::Tier{ir::kAdminTier, ir::kAdminTierOrder, ir::Action::Pass});
  ps.add(std::move(p));
}

}  // namespace nv::anp
