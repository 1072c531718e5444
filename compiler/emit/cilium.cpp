// IR -> CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2), evaluated as
// Cilium evaluates them: allows are a union, denies win over every allow, an empty rule
// allows nothing, CIDR rules never match pods or nodes. Shapes from cilium/cilium
// pkg/policy/api/{rule,ingress,egress,l4,cidr,entity}.go; namespace scoping of selectors
// from pkg/k8s/apis/cilium.io/utils/utils.go (see compiler/frontends/cilium/, which reads
// these back).
#include <optional>

#include "compiler/emit/common.h"
#include "ir/fqdn_pattern.h"

namespace nv::emit {

namespace {

using yaml::Node;
using Code = ir::Code;

constexpr const char* kNsName = "k8s:io.kubernetes.pod.namespace";
// A pod's service account (pkg/k8s/apis/cilium.io PolicyLabelServiceAccount).
constexpr const char* kServiceAccount = "k8s:io.cilium.k8s.policy.serviceaccount";
constexpr const char* kNsLabels = "k8s:io.cilium.k8s.namespace.labels.";
constexpr size_t kMaxPorts = 40;  // per toPorts entry (rule_validation.go)

// Everything a rule may carry that Cilium has no form for, in one place; `deny_tier`: the
// policy sits where Cilium's denies sit (before every allow).
std::optional<Problem> unsupported(const ir::Rule& r, bool deny_tier) {
  if (r.action == ir::Action::Pass) return Problem{Code::NV4070, "Cilium has no Pass rules"};
  if (r.action == ir::Action::Deny && !deny_tier)
    return Problem{
        Code::NV4070,
        "a deny ordered among allows: Cilium deny rules win over every allow of every policy"};
  if (r.action == ir::Action::Allow && deny_tier)
    return Problem{Code::NV4070, "an allow ordered before Cilium's deny rules"};
  return std::nullopt;
}

// A DNS name regex as a Cilium FQDNSelector (pkg/policy/api/fqdn.go): matchName for a
// name, matchPattern for a pattern; nullopt when no pattern lowers to exactly this regex.
std::optional<Node> fqdn_selector(const ir::Regex& re) {
  auto text = ir::fqdn_pattern_text(re);
  if (!text) return std::nullopt;
  Node m = Node::map();
  m.set(text->find('*') == std::string::npos ? "matchName" : "matchPattern", Node::str(*text));
  return m;
}

// An HTTP field: Regex::str() is canonical RE2 text that parse_regex reads back to the same
// tree; "" would read back as no constraint, so a regex that prints empty is refused.
bool http_field(Node& rule, const char* key, const std::optional<ir::Regex>& re, std::string& why) {
  if (!re) return true;
  std::string text = ir::str(*re);
  if (text.empty()) {
    why =
        std::string(key) + " matching only the empty string (Cilium reads \"\" as any " + key + ")";
    return false;
  }
  rule.set(key, Node::str(text));
  return true;
}

// `rules:` of a toPorts entry (pkg/policy/api/l4.go L7Rules; http.go PortRuleHTTP; the
// `headers` strings are split by pkg/envoy getHTTPRule at the first space: "Name: value"
// is the header with exactly that value, "Name" the header present). nullopt (and `why`)
// when something has no Cilium form.
std::optional<Node> l7_rules(const ir::L7Match& m, std::string& why) {
  Node rules = Node::map();
  if (!m.http.empty() && !m.dns.empty()) {
    why = "HTTP and DNS rules on one port (Cilium allows one kind per toPorts entry)";
    return std::nullopt;
  }
  if (m.http.empty() && m.dns.empty()) {
    why = "an L7 constraint that no request matches (Cilium reads empty rules as none)";
    return std::nullopt;
  }
  if (!m.http.empty()) {
    Node& list = rules.set("http", Node::list());
    for (const auto& h : m.http) {
      Node& rule = list.push(Node::map());
      if (!http_field(rule, "method", h.method, why) || !http_field(rule, "path", h.path, why) ||
          !http_field(rule, "host", h.host, why)) {
        why = h.where + ": " + why;
        return std::nullopt;
      }
      if (h.headers.empty()) continue;
      Node& hs = rule.set("headers", Node::list());
      for (const auto& hm : h.headers) {
        if (hm.name.find_first_of(" :") != std::string::npos || hm.name.empty()) {
          why = h.where + ": header name \"" + hm.name + "\" (Cilium splits names at ' ')";
          return std::nullopt;
        }
        hs.push(Node::str(hm.value ? hm.name + ": " + *hm.value : hm.name));
      }
    }
  }
  if (!m.dns.empty()) {
    Node& list = rules.set("dns", Node::list());
    for (const auto& d : m.dns) {
      auto sel = fqdn_selector(d.name);
      if (!sel) {
        why = d.where + ": the name pattern " + ir::str(d.name) +
              " is no Cilium matchName or matchPattern";
        return std::nullopt;
      }
      list.push(std::move(*sel));
    }
  }
  return rules;
}

// A Cilium rule's L3 part: one kind of peer per rule (rule_validation.go).
struct L3 {
  Node endpoints = Node::list(), entities = Node::list(), cidr_sets = Node::list();
  Node fqdns = Node::list(), nodes = Node::list();
  bool everything = false;
};

struct CiliumEmitter {
  const ir::Inventory* pin;
  Refusals refusals;
  Names names;
  std::vector<Node> docs;
  std::vector<Origin> origins;

  // toPorts entries; an empty list: every protocol and port. nullopt after a refusal.
  // `icmps` (pkg/policy/api/icmp.go ICMPRule{Fields []ICMPField{Family, Type}}, at most 40
  // fields per rule): Cilium matches whole ICMP types, every code. Adds the types of pm
  // (an ICMP/ICMPv6 range of type << 8 | code, ir/model.h is_icmp) to `icmps`; false with
  // `why` when the range covers only some codes of a type.
  static bool icmp_fields(const ir::PortMatch& pm, Node& icmps, std::string& why) {
    if (pm.all_ports()) {
      why = "every " + ir::proto_name(pm.proto) +
            " type: Cilium's icmps name types one by one (use no protocol or list them)";
      return false;
    }
    int t0 = pm.lo >> 8, t1 = pm.hi >> 8;
    if ((pm.lo & 255) != 0 || (pm.hi & 255) != 255) {
      int t = (pm.lo & 255) != 0 ? t0 : t1;
      int c0 = t == t0 ? (pm.lo & 255) : 0, c1 = t == t1 ? (pm.hi & 255) : 255;
      why = ir::proto_name(pm.proto) + " type " + std::to_string(t) +
            (c0 == c1 ? " code " + std::to_string(c0)
                      : " codes " + std::to_string(c0) + ".." + std::to_string(c1)) +
            " only: Cilium's icmps match a type with every code";
      return false;
    }
    for (int t = t0; t <= t1; ++t) {
      auto fields = [&]() -> Node& { return icmps.children().back().second.children()[0].second; };
      if (icmps.empty() || fields().children().size() >= kMaxPorts)
        icmps.push(Node::map()).set("fields", Node::list());
      Node& f = fields().push(Node::map());
      f.set("type", Node::integer(t));
      f.set("family", Node::str(pm.proto == ir::kICMP ? "IPv4" : "IPv6"));
    }
    return true;
  }

  std::optional<Node> ports(const ir::Policy& p, const ir::Rule& r, ir::Direction d,
                            Node* icmps = nullptr) {
    for (const auto& pm : r.ports)
      if (pm.proto == ir::kAnyProto && pm.all_ports()) return Node::list();
    Node out = Node::list();
    Node* cur = nullptr;
    size_t n = 0;
    bool ok = true;
    for (const auto& pm : split_named_any(r.ports)) {
      std::string why;
      if (ir::is_icmp(pm.proto) && pm.named.empty() && icmps) {
        if (icmp_fields(pm, *icmps, why)) continue;
      } else if (pm.proto != ir::kTCP && pm.proto != ir::kUDP && pm.proto != ir::kSCTP)
        why =
            pm.proto == ir::kAnyProto
                ? "port " + pm.str() + " of every protocol: Cilium's ANY is TCP, UDP and SCTP only"
                : "protocol " + ir::proto_name(pm.proto) + ": Cilium ports are TCP, UDP or SCTP";
      else if (!pm.named.empty() && d == ir::Direction::Egress)
        why = "named port " + pm.named +
              " in an egress rule: Cilium resolves it against every pod of the cluster";
      else if (pm.named.empty() && pm.lo == 0 && !pm.all_ports())
        why = "port range " + pm.str() + " includes port 0, which Cilium reads as every port";
      if (!why.empty()) {
        refusals.add(Code::NV4075, p, &r, why);
        ok = false;
        continue;
      }
      if (!cur || n == kMaxPorts) {
        cur = &out.push(Node::map()).set("ports", Node::list());
        n = 0;
      }
      Node& item = cur->push(Node::map());
      ++n;
      item.set("port", Node::str(!pm.named.empty() ? pm.named
                                 : pm.all_ports()  ? "0"
                                                   : std::to_string(pm.lo)));
      if (pm.named.empty() && pm.hi != pm.lo && !pm.all_ports())
        item.set("endPort", Node::integer(pm.hi));
      item.set("protocol", Node::str(ir::proto_name(pm.proto)));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Every pod of every namespace: the namespace label exists (it lifts the policy-namespace
  // scoping and holds for no identity without one).
  static Conjunction any_namespace() { return {Requirement{kNsName, Requirement::Op::Exists, {}}}; }

  bool pod_peer(const ir::Policy& p, const ir::Rule& r, const ir::Peer& peer, const std::string& ns,
                L3& l3) {
    std::string why;
    auto pods = to_dnf(peer.pod_selector.value_or(ir::Selector::all()), &why, 16, kServiceAccount);
    auto nss = to_dnf(peer.ns_selector.value_or(ir::Selector::all()), &why);
    if (!pods || !nss) {
      refusals.add(Code::NV4073, p, &r, why);
      return false;
    }
    bool own = !ns.empty() && peer.ns_name == ns && !peer.ns_selector;
    for (const auto& n : *nss)
      for (const auto& pod : *pods) {
        Conjunction c = pod;
        if (!own) {
          for (auto req : n) {
            req.key = kNsLabels + req.key;
            c.push_back(std::move(req));
          }
          // A namespace-label requirement that fails where the label is absent (In,
          // Exists) already keeps identities without a namespace out (selector.cpp
          // `holds_when_absent`); otherwise the namespace label must exist.
          bool positive = false;
          for (const auto& req : n)
            positive =
                positive || req.op == Requirement::Op::In || req.op == Requirement::Op::Exists;
          if (peer.ns_name)
            c.push_back(Requirement{kNsName, Requirement::Op::In, {*peer.ns_name}});
          else if (!positive)
            c.push_back(any_namespace().front());
        }
        l3.endpoints.push(label_selector(c));
      }
    return true;
  }

  bool peers(const ir::Policy& p, const ir::Rule& r, ir::Direction d, const std::string& ns,
             L3& l3) {
    l3.everything = r.peers.empty();
    for (const auto& peer : r.peers)
      if (peer == ir::Peer{}) l3.everything = true;
    if (l3.everything) return true;
    bool ok = true;
    auto add_kinds = [&](ir::KindMask k) {
      if (k == ir::kAllKinds) return void(l3.entities.push(Node::str("all")));
      if (k == (kPod | kHost)) return void(l3.entities.push(Node::str("cluster")));
      if (k & kPod) l3.endpoints.push(label_selector(any_namespace()));
      if (k & kExternal) l3.entities.push(Node::str("world"));
      if (k & kHost) l3.entities.push(Node::str("remote-node"));
    };
    for (const auto& peer : r.peers) {
      if (peer.kinds == 0) continue;
      bool selectors = peer.ns_name || peer.ns_selector || peer.pod_selector || peer.node_selector;
      if (peer.fqdns) {
        // toFQDNs (egress only): external addresses DNS returned for a matching name.
        std::string why;
        if (d != ir::Direction::Egress)
          why = "an FQDN peer in an ingress rule (Cilium has toFQDNs only)";
        else if (peer.kinds != kExternal || selectors || peer.cidrs)
          why = "FQDN peer " + peer.str() + " also constrained by labels or addresses";
        for (const auto& re : *peer.fqdns) {
          if (!why.empty()) break;
          if (auto sel = fqdn_selector(re))
            l3.fqdns.push(std::move(*sel));
          else
            why = "the name pattern " + ir::str(re) + " of FQDN peer " + peer.str() +
                  " is no Cilium matchName or matchPattern";
        }
        if (!why.empty()) {
          refusals.add(Code::NV4080, p, &r, why);
          ok = false;
        }
        continue;
      }
      if (peer.node_selector) {
        // fromNodes/toNodes: nodes by their labels, and nothing else.
        std::string why;
        auto dnf = to_dnf(*peer.node_selector, &why);
        if (peer.kinds != kHost || peer.ns_name || peer.ns_selector || peer.pod_selector ||
            peer.cidrs)
          why = "peer " + peer.str() + " constrains nodes by more than their labels";
        if (!why.empty() || !dnf) {
          refusals.add(Code::NV4074, p, &r, why);
          ok = false;
          continue;
        }
        for (const auto& c : *dnf) l3.nodes.push(label_selector(c));
        continue;
      }
      if (!peer.cidrs && peer.kinds == kPod) {
        ok = pod_peer(p, r, peer, ns, l3) && ok;
      } else if (!peer.cidrs && !selectors) {
        add_kinds(peer.kinds);
      } else if (selectors) {
        refusals.add(Code::NV4074, p, &r,
                     "peer " + peer.str() + ": Cilium has no peer of both labels and addresses");
        ok = false;
      } else {
        // CIDR rules match external addresses only; the pods and nodes inside the CIDRs
        // are all (or none) of the --cluster inventory's, or cannot be expressed.
        ir::KindMask extra = 0;
        for (ir::EndpointKind k : {ir::EndpointKind::Pod, ir::EndpointKind::Host}) {
          if (!(peer.kinds & ir::mask(k))) continue;
          Cover c = coverage(*peer.cidrs, k, pin);
          if (c == Cover::All) extra |= ir::mask(k);
          if (c == Cover::Some || c == Cover::Unknown) {
            bool pod = k == ir::EndpointKind::Pod;
            refusals.add(
                Code::NV4074, p, &r,
                "peer " + peer.str() + " matches the " + (pod ? "pods" : "nodes") +
                    " with addresses in its CIDRs, but Cilium CIDR rules never match " +
                    (pod ? "pods" : "nodes") +
                    (pin ? "; some of the --cluster inventory's are inside and some outside"
                         : "; with --cluster, an inventory whose " +
                               std::string(pod ? "pods" : "nodes") +
                               " are all inside or all outside would do"));
            ok = false;
          }
        }
        if (extra) add_kinds(extra);
        if (peer.kinds & kExternal)
          for (const auto& whole : *peer.cidrs) {
            auto b = emitted_block(whole);
            if (!b) continue;  // no address
            Node& item = l3.cidr_sets.push(Node::map());
            item.set("cidr", Node::str(b->cidr.str()));
            if (!b->except.empty()) {
              Node& ex = item.set("except", Node::list());
              for (const auto& e : b->except) ex.push(Node::str(e.str()));
            }
          }
      }
    }
    return ok;
  }

  // The rules of one direction; `deny_tier` selects ingressDeny/egressDeny.
  Node rules(const ir::Policy& p, ir::Direction d, const std::string& ns, bool deny_tier) {
    bool in = d == ir::Direction::Ingress;
    Node list = Node::list();
    for (const auto& r : p.dir(d).rules) {
      if (r.action == ir::Action::Log) continue;  // logs, decides nothing
      if (auto prob = unsupported(r, deny_tier)) {
        refusals.add(prob->code, p, &r, prob->what);
        continue;
      }
      L3 l3;
      Node icmps = Node::list();
      auto to_ports = ports(p, r, d, &icmps);
      if (!peers(p, r, d, ns, l3) || !to_ports) continue;
      if (r.l7 && !icmps.empty()) {
        refusals.add(Code::NV4080, p, &r, "L7 rules on ICMP (Cilium's L7 rules need ports)");
        continue;
      }
      if (r.l7) {
        // The L7 rules go on every toPorts entry of the rule (the frontend makes one IR
        // rule per entry that carries them; entries are a union).
        std::string why;
        auto l7 = l7_rules(*r.l7, why);
        if (l7 && to_ports->empty())
          why = "L7 rules on every protocol and port (Cilium's L7 rules need ports)";
        if (!l7 || to_ports->empty()) {
          refusals.add(Code::NV4080, p, &r, why);
          continue;
        }
        for (auto& entry : to_ports->children()) entry.second.set("rules", *l7);
      }
      // icmps and toPorts cannot share a rule (rule_validation.go; our frontend refuses it
      // too): a rule with both becomes two, one for the ports and one for the ICMP types.
      bool port_rule = !to_ports->empty() || icmps.empty();
      auto add = [&](const char* key, Node peers_list) {
        if (port_rule) {
          Node& rule = list.push(Node::map());
          if (key) rule.set(std::string(in ? "from" : "to") + key, peers_list);
          if (!to_ports->empty()) rule.set("toPorts", *to_ports);
        }
        if (!icmps.empty()) {
          Node& rule = list.push(Node::map());
          if (key) rule.set(std::string(in ? "from" : "to") + key, std::move(peers_list));
          rule.set("icmps", icmps);
        }
      };
      if (l3.everything) {
        // An L4-only rule has a wildcard L3; without ports, an empty rule allows nothing.
        Node all = Node::list();
        all.push(Node::str("all"));
        if (to_ports->empty() && icmps.empty())
          add("Entities", std::move(all));
        else
          add(nullptr, Node::list());
        continue;
      }
      if (!l3.endpoints.empty()) add("Endpoints", std::move(l3.endpoints));
      if (!l3.entities.empty()) add("Entities", std::move(l3.entities));
      if (!l3.cidr_sets.empty()) add("CIDRSet", std::move(l3.cidr_sets));
      if (!l3.fqdns.empty()) add("FQDNs", std::move(l3.fqdns));
      if (!l3.nodes.empty()) add("Nodes", std::move(l3.nodes));
    }
    return list;
  }

  void policy(const ir::Policy& p) {
    const ir::Peer& s = p.subject;
    if (s.kinds == 0) return;  // selects no pod: no effect
    bool deny_tier = p.tier == ir::kCiliumDenyTier;
    if (p.tier != ir::kDefaultTier && !deny_tier) {
      refusals.add(Code::NV4071, p, nullptr,
                   "policy in tier " + p.tier +
                       ": Cilium has no tiers and no order (its allows are a union, its "
                       "denies win)");
      return;
    }
    std::string why;
    std::optional<std::vector<Conjunction>> nodes;  // a host policy's nodeSelector terms
    if (ir::applies_to_hosts(p)) {
      nodes = to_dnf(*s.node_selector, &why);
      if (s.kinds != kHost || s.ns_name || s.ns_selector || s.pod_selector || s.cidrs)
        why = "its subject (" + s.str() + ") selects nodes by more than their labels";
      if (!nodes || !why.empty()) {
        refusals.add(Code::NV4072, p, nullptr, why);
        return;
      }
    } else if (s.kinds != kPod || s.cidrs) {
      refusals.add(Code::NV4072, p, nullptr, "its subject (" + s.str() + ") is not a set of pods");
      return;
    }
    auto pods = to_dnf(s.pod_selector.value_or(ir::Selector::all()), &why, 16, kServiceAccount);
    auto nss = to_dnf(s.ns_selector.value_or(ir::Selector::all()), &why);
    if (pods && nss && (pods->empty() || nss->empty())) return;  // selects no pod
    if (!pods || !nss) {
      refusals.add(Code::NV4073, p, nullptr, why);
      return;
    }
    bool clusterwide = !s.ns_name || s.ns_selector || nodes;
    std::string ns = clusterwide ? std::string() : *s.ns_name;
    Node lists[2] = {rules(p, ir::Direction::Ingress, ns, deny_tier),
                     rules(p, ir::Direction::Egress, ns, deny_tier)};
    // Default deny is on in a direction with rules unless turned off; it is what the IR's
    // isolation is. A deny-only policy must not turn it on.
    Node edd = Node::map();
    bool any = false;
    for (ir::Direction d : ir::kDirections) {
      int i = static_cast<int>(d);
      bool isolates = !deny_tier && p.dir(d).isolates;
      if (isolates && lists[i].empty()) lists[i].push(Node::map());  // `{}`: on, allowing nothing
      if (!isolates && !lists[i].empty()) edd.set(ir::name(d), Node::boolean(false));
      any = any || !lists[i].empty();
    }
    if (!any) return;  // neither isolates nor allows anything
    // An endpointSelector is one conjunction: a union is one policy per term with the same
    // rules (allows, denies and default deny are unions over policies).
    const char* kind = clusterwide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy";
    const char* keys[2][2] = {{"ingress", "egress"}, {"ingressDeny", "egressDeny"}};
    auto document = [&](const char* selector_key, const Conjunction& subject) {
      Node doc = object("cilium.io/v2", kind,
                        names.unique(kind, ns, deny_tier ? p.name + "-deny" : p.name), ns);
      Node& spec = doc.set("spec", Node::map());
      spec.set(selector_key, label_selector(subject));
      if (!edd.empty()) spec.set("enableDefaultDeny", edd);
      for (int i = 0; i < 2; ++i)
        if (!lists[i].empty()) spec.set(keys[deny_tier ? 1 : 0][i], lists[i]);
      docs.push_back(std::move(doc));
      origins.push_back({p.span, p.id()});
    };
    if (nodes) {  // a host policy: one per term of its node selector
      for (const auto& term : *nodes) document("nodeSelector", term);
      return;
    }
    for (const auto& pod : *pods)
      for (const auto& nsc : *nss) {
        Conjunction subject = pod;
        if (clusterwide) {
          for (auto req : nsc) {
            req.key = kNsLabels + req.key;
            subject.push_back(std::move(req));
          }
          if (s.ns_name) subject.push_back(Requirement{kNsName, Requirement::Op::In, {*s.ns_name}});
        }
        document("endpointSelector", subject);
      }
  }
};

}  // namespace

Output to_cilium(const ir::PolicySet& ps, const ir::Inventory* pin) {
  CiliumEmitter e{pin, {}, {}, {}, {}};
  for (const auto& tier : ps.by_tier())
    for (size_t i : tier) e.policy(ps.policies()[i]);
  return finish_output(e.refusals, e.docs, std::move(e.origins), static_cast<int>(e.docs.size()));
}

}  // namespace nv::emit
