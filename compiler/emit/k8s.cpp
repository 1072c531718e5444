// IR -> Kubernetes NetworkPolicy (networking.k8s.io/v1), evaluated with generic semantics:
// allow rules only, one policy per namespace, no tiers, ipBlock matching every address in
// it (pods and nodes included). pkg/apis/networking/v1 types.go is the shape written here.
#include <optional>

#include "compiler/emit/common.h"

namespace nv::emit {

namespace {

using yaml::Node;
using Code = ir::Code;

// Everything a rule may carry that NetworkPolicy has no form for, in one place (ports and
// peers are translated below and refuse their own parts).
std::optional<Problem> unsupported(const ir::Rule& r) {
  if (auto l7 = l7_unsupported(r, "Kubernetes NetworkPolicy")) return l7;
  if (r.action == ir::Action::Deny)
    return Problem{Code::NV4070,
                   "Kubernetes NetworkPolicy has no deny rules (only allows, in no order)"};
  if (r.action == ir::Action::Pass)
    return Problem{Code::NV4070, "Kubernetes NetworkPolicy has no Pass rules"};
  return std::nullopt;
}

struct K8sEmitter {
  const ir::Inventory* pin;
  Refusals refusals;
  Names names;
  std::vector<Node> docs;
  std::vector<Origin> origins;

  // `ports` of a rule; nullopt after a refusal. An empty list: every protocol and port.
  std::optional<Node> ports(const ir::Policy& p, const ir::Rule& r) {
    Node out = Node::list();
    for (const auto& pm : r.ports)
      if (pm.proto == ir::kAnyProto && pm.all_ports()) return Node::list();
    bool ok = true;
    for (const auto& pm : split_named_any(r.ports)) {
      if (pm.proto != ir::kTCP && pm.proto != ir::kUDP && pm.proto != ir::kSCTP) {
        refusals.add(Code::NV4075, p, &r,
                     pm.proto == ir::kAnyProto
                         ? "port " + pm.str() +
                               " is for every protocol; Kubernetes ports name one of TCP, UDP, SCTP"
                         : "protocol " + ir::proto_name(pm.proto) +
                               ": Kubernetes NetworkPolicy has only TCP, UDP and SCTP");
        ok = false;
        continue;
      }
      Node& item = out.push(Node::map());
      item.set("protocol", Node::str(ir::proto_name(pm.proto)));
      if (!pm.named.empty()) {
        item.set("port", Node::str(pm.named));
      } else if (!pm.all_ports()) {
        if (pm.lo == 0) {
          refusals.add(Code::NV4075, p, &r,
                       "port range " + pm.str() + " includes port 0, which Kubernetes cannot name");
          ok = false;
          continue;
        }
        item.set("port", Node::integer(pm.lo));
        if (pm.hi != pm.lo) item.set("endPort", Node::integer(pm.hi));
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // The peer items of a pod peer: one per (namespace, pod) term of the selectors' unions;
  // podSelector alone for pods of the policy's own namespace. False after a refusal.
  bool pod_peer(const ir::Policy& p, const ir::Rule& r, const ir::Peer& peer, const std::string& ns,
                Node& out) {
    std::string why;
    auto pods = to_dnf(peer.pod_selector.value_or(ir::Selector::all()), &why);
    auto nss = to_dnf(peer.ns_selector.value_or(ir::Selector::all()), &why);
    if (!pods || !nss) {
      refusals.add(Code::NV4073, p, &r, why);
      return false;
    }
    bool own = peer.ns_name == ns && !peer.ns_selector;
    for (auto& n : *nss) {
      if (peer.ns_name)
        n.push_back(Requirement{ir::kNamespaceNameLabel, Requirement::Op::In, {*peer.ns_name}});
      for (const auto& pod : *pods) {
        Node& item = out.push(Node::map());
        if (!own) item.set("namespaceSelector", label_selector(n));
        if (own || !pod.empty()) item.set("podSelector", label_selector(pod));
      }
    }
    return true;
  }

  // The peers of a rule into `out`; `everything` when they admit every endpoint.
  bool peers(const ir::Policy& p, const ir::Rule& r, const std::string& ns, Node& out,
             bool& everything) {
    everything = r.peers.empty();
    for (const auto& peer : r.peers)
      if (peer == ir::Peer{}) everything = true;
    if (everything) return true;
    bool ok = true;
    for (const auto& peer : r.peers) {
      if (peer.kinds == 0) continue;  // no endpoint
      bool selectors = peer.ns_name || peer.ns_selector || peer.pod_selector || peer.node_selector;
      if (!peer.cidrs && peer.kinds == kPod) {
        ok = pod_peer(p, r, peer, ns, out) && ok;
        continue;
      }
      if (!peer.cidrs || selectors) {
        refusals.add(Code::NV4074, p, &r,
                     "peer " + peer.str() +
                         ": Kubernetes peers are pods (by labels) or ipBlocks; it has no entities "
                         "for " +
                         kinds_text(peer.kinds) + " alone");
        ok = false;
        continue;
      }
      // ipBlock here matches every endpoint with an address in it; the input's may not.
      bool fits = true;
      for (ir::EndpointKind k : {ir::EndpointKind::Pod, ir::EndpointKind::Host})
        if (!(peer.kinds & ir::mask(k)) && coverage(*peer.cidrs, k, pin) != Cover::None)
          fits = false;
      if (!(peer.kinds & kExternal)) fits = false;
      if (!fits) {
        refusals.add(Code::NV4074, p, &r,
                     "peer " + peer.str() + " matches only " + kinds_text(peer.kinds) +
                         " in its CIDRs, but a Kubernetes ipBlock matches every address in them "
                         "(pods and nodes "
                         "included)" +
                         (pin ? " and the --cluster inventory has such addresses there"
                              : "; with --cluster, "
                                "an inventory with no such addresses there would do"));
        ok = false;
        continue;
      }
      for (const auto& whole : *peer.cidrs) {
        auto b = emitted_block(whole);
        if (!b) continue;  // no address
        Node& item = out.push(Node::map());
        Node& ib = item.set("ipBlock", Node::map());
        ib.set("cidr", Node::str(b->cidr.str()));
        if (!b->except.empty()) {
          Node& ex = ib.set("except", Node::list());
          for (const auto& e : b->except) ex.push(Node::str(e.str()));
        }
      }
    }
    return ok;
  }

  void policy(const ir::Policy& p) {
    if (p.subject.kinds == 0) return;  // selects no pod: no effect
    size_t before = refusals.size();
    bool isolates = false, stray_rules = false;
    for (ir::Direction d : ir::kDirections) {
      isolates = isolates || p.dir(d).isolates;
      stray_rules = stray_rules || (!p.dir(d).isolates && !p.dir(d).rules.empty());
    }
    if (stray_rules)
      refusals.add(
          Code::NV4076, p, nullptr,
          "rules in a direction the policy does not isolate (Cilium enableDefaultDeny: false); a "
          "NetworkPolicy's rules always isolate");
    if (!isolates) return;
    if (p.tier != ir::kDefaultTier)
      refusals.add(
          Code::NV4071, p, nullptr,
          "policy in tier " + p.tier + ": Kubernetes NetworkPolicy has no tiers and no order");
    const ir::Peer& s = p.subject;
    if (s.kinds != kPod || !s.ns_name || s.ns_selector || s.cidrs) {
      refusals.add(Code::NV4072, p, nullptr,
                   "its subject (" + s.str() +
                       ") is not pods of one namespace: a NetworkPolicy is namespaced");
      return;
    }
    std::string why;
    auto subject = to_dnf(s.pod_selector.value_or(ir::Selector::all()), &why);
    if (subject && subject->empty()) return;  // selects no pod
    if (!subject) {
      refusals.add(Code::NV4073, p, nullptr, why);
      return;
    }
    // A podSelector is one conjunction: a union of them is one NetworkPolicy per term, with
    // the same rules (isolation and allows are unions over policies, so overlaps are harmless).
    const std::string& ns = *s.ns_name;
    Node body = Node::map();
    Node& types = body.set("policyTypes", Node::list());
    for (ir::Direction d : ir::kDirections)
      if (p.dir(d).isolates)
        types.push(Node::str(d == ir::Direction::Ingress ? "Ingress" : "Egress"));
    for (ir::Direction d : ir::kDirections) {
      bool in = d == ir::Direction::Ingress;
      Node rules = Node::list();
      for (const auto& r : p.dir(d).rules) {
        if (r.action == ir::Action::Log) continue;  // logs, decides nothing
        if (auto prob = unsupported(r)) {
          refusals.add(prob->code, p, &r, prob->what);
          continue;
        }
        Node peer_list = Node::list();
        bool everything = false;
        auto port_list = ports(p, r);
        if (!peers(p, r, ns, peer_list, everything) || !port_list) continue;
        if (!everything && peer_list.empty()) continue;  // matches no endpoint
        Node& rule = rules.push(Node::map());
        if (!everything) rule.set(in ? "from" : "to", std::move(peer_list));
        if (!port_list->empty()) rule.set("ports", std::move(*port_list));
      }
      if (!rules.empty()) body.set(in ? "ingress" : "egress", std::move(rules));
    }
    if (refusals.size() != before) return;
    for (const auto& term : *subject) {
      Node doc = object("networking.k8s.io/v1", "NetworkPolicy",
                        names.unique("NetworkPolicy", ns, p.name), ns);
      Node& spec = doc.set("spec", Node::map());
      spec.set("podSelector", label_selector(term));
      for (const char* key : {"policyTypes", "ingress", "egress"})
        if (const Node* v = body.get(key)) spec.set(key, *v);
      docs.push_back(std::move(doc));
      origins.push_back({p.span, p.id()});
    }
  }
};

}  // namespace

Output to_k8s(const ir::PolicySet& ps, const ir::Inventory* pin) {
  K8sEmitter e{pin, {}, {}, {}, {}};
  for (const auto& tier : ps.by_tier())
    for (size_t i : tier) e.policy(ps.policies()[i]);
  return finish_output(e.refusals, e.docs, std::move(e.origins), static_cast<int>(e.docs.size()));
}

}  // namespace nv::emit
