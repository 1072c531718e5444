// IR -> Calico v3 (projectcalico.org/v3) NetworkPolicy, GlobalNetworkPolicy and Tier,
// evaluated as Calico evaluates them: tiers in order, policies by order, first matching
// Allow/Deny/Pass decides. Shapes from api/pkg/apis/projectcalico/v3/policy_common.go;
// scoping of rule selectors from libcalico-go updateprocessors/rules.go (see
// compiler/frontends/calico/scope.cpp, which reads these back).
#include <optional>

#include "compiler/emit/common.h"
#include "ir/inventory.h"

namespace nv::emit {

namespace {

using yaml::Node;
using Code = ir::Code;

// Everything a rule may carry that Calico has no form for, in one place. Calico has all
// four actions; ports and peers refuse their own parts below.
std::optional<Problem> unsupported(const ir::Rule& r) {
  // HTTP: Calico's `http` match, on ingress Allow rules over TCP (calico_http.cpp and
  // rules() below); DNS rules and DNS-name peers have no Calico form.
  if (r.l7 && r.l7->dns.empty()) {
    ir::Rule rest = r;
    rest.l7.reset();
    return l7_unsupported(rest, "Calico");
  }
  if (auto l7 = l7_unsupported(r, "Calico")) return l7;
  return std::nullopt;
}

// Keys Calico gives its own meaning in selectors (lowering.h): a pod label with such a key
// would be read as Calico's, not the pod's.
bool calico_key(const ir::Selector& s) {
  if (s.key.starts_with("projectcalico.org/") || s.key.starts_with("pcns.") ||
      s.key.starts_with("pcsa."))
    return true;
  for (const auto& k : s.kids)
    if (calico_key(k)) return true;
  return false;
}

// A pod selector in Calico's syntax, a service account's name and labels under the keys
// Calico gives them (the frontend's scope.cpp reads them back).
ir::Selector calico_keys(ir::Selector s) {
  if (s.key == ir::kServiceAccountLabel)
    s.key = "projectcalico.org/serviceaccount";
  else if (s.key.starts_with(ir::kServiceAccountLabelPrefix))
    s.key = "pcsa." + s.key.substr(std::string(ir::kServiceAccountLabelPrefix).size());
  for (auto& k : s.kids) k = calico_keys(std::move(k));
  return s;
}
std::string pod_text(const std::optional<ir::Selector>& s) {
  return calico_keys(s.value_or(ir::Selector::all())).str();
}

const char* action_text(ir::Action a) {
  switch (a) {
    case ir::Action::Allow:
      return "Allow";
    case ir::Action::Deny:
      return "Deny";
    case ir::Action::Pass:
      return "Pass";
    case ir::Action::Log:
      return "Log";
  }
  return "?";
}

Node protocol_node(int proto) {
  switch (proto) {
    case ir::kTCP:
      return Node::str("TCP");
    case ir::kUDP:
      return Node::str("UDP");
    case ir::kSCTP:
      return Node::str("SCTP");
    case ir::kICMP:
      return Node::str("ICMP");
    case ir::kICMPv6:
      return Node::str("ICMPv6");
    default:
      return Node::integer(proto);
  }
}

// One protocol of a rule and its destination ports (empty: every port).
struct ProtoPorts {
  int proto = ir::kAnyProto;
  Node ports = Node::list();
  std::optional<Node> icmp;  // one `icmp` match (ICMP/ICMPv6 only)
};

// The `icmp` matches whose union is the ICMP range lo..hi of type << 8 | code (ir/model.h
// is_icmp): a whole type -> {type}, a single code -> {type, code} (Calico's ICMPFields; one
// per rule). Calico types are 0..254 (libcalico-go validator): a piece of type 255 has no form,
// and `why` says so.
std::vector<Node> icmp_nodes(uint16_t lo, uint16_t hi, std::string& why) {
  std::vector<Node> out;
  for (int t = lo >> 8; t <= (hi >> 8); ++t) {
    int c0 = t == (lo >> 8) ? (lo & 255) : 0, c1 = t == (hi >> 8) ? (hi & 255) : 255;
    if (t == 255) {
      why = "ICMP type 255: Calico's icmp type is 0..254";
      return {};
    }
    if (c0 == 0 && c1 == 255) {
      Node m = Node::map();
      m.set("type", Node::integer(t));
      out.push_back(std::move(m));
      continue;
    }
    for (int c = c0; c <= c1; ++c) {
      Node m = Node::map();
      m.set("type", Node::integer(t));
      m.set("code", Node::integer(c));
      out.push_back(std::move(m));
    }
  }
  return out;
}

struct CalicoEmitter {
  const ir::PolicySet& ps;
  const ir::Inventory* pin;
  Refusals refusals;
  Names names;
  std::vector<Node> docs;
  std::vector<Origin> origins;

  std::optional<std::vector<ProtoPorts>> ports(const ir::Policy& p, const ir::Rule& r) {
    for (const auto& pm : r.ports)
      if (pm.proto == ir::kAnyProto && pm.all_ports()) return std::vector<ProtoPorts>{ProtoPorts{}};
    if (r.ports.empty()) return std::vector<ProtoPorts>{ProtoPorts{}};
    std::vector<ProtoPorts> out;
    std::vector<bool> all;  // the protocol's every port is already in
    bool ok = true;
    for (const auto& pm : split_named_any(r.ports)) {
      if (pm.proto == ir::kAnyProto) {
        refusals.add(
            Code::NV4075, p, &r,
            "port " + pm.str() + " has no protocol; Calico rules need TCP, UDP or SCTP for ports");
        ok = false;
        continue;
      }
      bool has_ports = pm.proto == ir::kTCP || pm.proto == ir::kUDP || pm.proto == ir::kSCTP;
      if (!pm.all_ports() && ir::is_icmp(pm.proto) && pm.named.empty()) {
        std::string why;
        auto nodes = icmp_nodes(pm.lo, pm.hi, why);
        if (!why.empty()) {
          refusals.add(Code::NV4075, p, &r, "ICMP match " + pm.str() + ": " + why);
          ok = false;
          continue;
        }
        for (auto& n : nodes) out.push_back(ProtoPorts{pm.proto, Node::list(), std::move(n)});
        all.resize(out.size(), false);
        continue;
      }
      if (!pm.all_ports() && !has_ports) {
        refusals.add(Code::NV4075, p, &r,
                     "port " + pm.str() + ": Calico has ports for TCP, UDP and SCTP only");
        ok = false;
        continue;
      }
      size_t i = 0;
      while (i < out.size() && (out[i].proto != pm.proto || out[i].icmp)) ++i;
      if (i == out.size()) {
        out.push_back(ProtoPorts{pm.proto, Node::list(), std::nullopt});
        all.push_back(false);
      }
      if (all[i]) continue;
      if (pm.all_ports()) {
        all[i] = true;
        out[i].ports = Node::list();
      } else if (!pm.named.empty()) {
        out[i].ports.push(Node::str(pm.named));
      } else if (pm.lo == 0) {
        refusals.add(Code::NV4075, p, &r,
                     "port range " + pm.str() + " includes port 0, which Calico cannot name");
        ok = false;
      } else if (pm.lo == pm.hi) {
        out[i].ports.push(Node::integer(pm.lo));
      } else {
        out[i].ports.push(Node::str(std::to_string(pm.lo) + ":" + std::to_string(pm.hi)));
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // The sides (source of ingress, destination of egress) whose union is the rule's peers.
  // An empty map: every endpoint. nullopt after a refusal.
  std::optional<std::vector<Node>> sides(const ir::Policy& p, const ir::Rule& r,
                                         const std::string& ns) {
    std::vector<Node> out;
    for (const auto& peer : r.peers)
      if (peer == ir::Peer{}) return std::vector<Node>{Node::map()};
    if (r.peers.empty()) return std::vector<Node>{Node::map()};
    bool ok = true;
    for (const auto& peer : r.peers) {
      if (peer.kinds == 0) continue;
      bool selectors = peer.ns_name || peer.ns_selector || peer.pod_selector || peer.node_selector;
      if (!peer.cidrs && peer.kinds == kPod) {
        for (const auto* sel : {&peer.pod_selector, &peer.ns_selector})
          if (*sel && calico_key(**sel)) {
            refusals.add(
                Code::NV4073, p, &r,
                "selector `" + (*sel)->str() + "` uses a label key Calico reserves for itself");
            ok = false;
          }
        Node side = Node::map();
        if (peer.ns_name == ns && !ns.empty() && !peer.ns_selector) {
          side.set("selector", Node::str(pod_text(peer.pod_selector)));
        } else {
          std::vector<ir::Selector> parts;
          if (peer.ns_name)
            parts.push_back(ir::Selector::eq(ir::kNamespaceNameLabel, *peer.ns_name));
          if (peer.ns_selector) parts.push_back(*peer.ns_selector);
          side.set("namespaceSelector", Node::str(ir::Selector::conj(parts).str()));
          if (peer.pod_selector) side.set("selector", Node::str(pod_text(peer.pod_selector)));
        }
        out.push_back(std::move(side));
        continue;
      }
      if (!peer.cidrs || selectors) {
        refusals.add(Code::NV4074, p, &r,
                     "peer " + peer.str() +
                         ": Calico rules select pods by labels or addresses by nets; " +
                         kinds_text(peer.kinds) + " alone have no form here");
        ok = false;
        continue;
      }
      // `nets` matches every endpoint with an address inside (pods included).
      bool fits = peer.kinds & kExternal;
      for (ir::EndpointKind k : {ir::EndpointKind::Pod, ir::EndpointKind::Host})
        if (!(peer.kinds & ir::mask(k)) && coverage(*peer.cidrs, k, pin) != Cover::None)
          fits = false;
      if (!fits) {
        refusals.add(Code::NV4074, p, &r,
                     "peer " + peer.str() + " matches only " + kinds_text(peer.kinds) +
                         " in its CIDRs, but Calico nets match every address in them (pods and "
                         "nodes included)" +
                         (pin ? " and the --cluster inventory has such addresses there" : ""));
        ok = false;
        continue;
      }
      for (const auto& whole : *peer.cidrs) {
        auto b = emitted_block(whole);
        if (!b) continue;  // no address
        Node side = Node::map();
        side.set("nets", Node::list()).push(Node::str(b->cidr.str()));
        if (!b->except.empty()) {
          Node& nn = side.set("notNets", Node::list());
          for (const auto& e : b->except) nn.push(Node::str(e.str()));
        }
        out.push_back(std::move(side));
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // The `http` matches of a rule: {nullopt} without L7; nullopt after a refusal. Calico
  // accepts them on ingress Allow rules over TCP only (validator.go validateRule,
  // validate{Global,}NetworkPolicy).
  std::optional<std::vector<std::optional<Node>>> http_matches(const ir::Policy& p,
                                                               const ir::Rule& r, ir::Direction d,
                                                               const std::vector<ProtoPorts>& pp) {
    if (!r.l7) return std::vector<std::optional<Node>>{std::nullopt};
    std::string why;
    if (d != ir::Direction::Ingress)
      why = "HTTP rules on egress (Calico's http match is for ingress only)";
    for (const auto& proto : pp)
      if (why.empty() && proto.proto != ir::kTCP)
        why = "HTTP rules on protocol " + ir::proto_name(proto.proto) +
              " (Calico's http match needs TCP)";
    std::vector<std::optional<Node>> out;
    for (const auto& h : r.l7->http) {
      if (!why.empty()) break;
      if (auto m = calico_http(h, why)) out.push_back(std::move(*m));
    }
    if (why.empty() && out.empty()) why = "an L7 constraint without HTTP rules";
    if (!why.empty()) {
      refusals.add(Code::NV4080, p, &r, why);
      return std::nullopt;
    }
    return out;
  }

  void rules(const ir::Policy& p, ir::Direction d, const std::string& ns, Node& spec) {
    bool in = d == ir::Direction::Ingress;
    Node list = Node::list();
    for (const auto& r : p.dir(d).rules) {
      if (auto prob = unsupported(r)) {
        refusals.add(prob->code, p, &r, prob->what);
        continue;
      }
      auto s = sides(p, r, ns);
      auto pp = ports(p, r);
      if (!s || !pp) continue;
      auto http = http_matches(p, r, d, *pp);
      if (!http) continue;
      // A rule has one protocol and one peer side: one Calico rule for each pair, in a row
      // with one action, so that the first of them to match decides as the IR rule would.
      // An L7 rule's HTTP rules are a union: one Calico rule per HTTP rule as well.
      for (auto& proto : *pp)
        for (const auto& side : *s)
          for (const auto& h : *http) {
            Node& rule = list.push(Node::map());
            rule.set("action", Node::str(action_text(r.action)));
            if (proto.proto != ir::kAnyProto) rule.set("protocol", protocol_node(proto.proto));
            Node dst = in ? Node::map() : side;
            if (!proto.ports.empty()) dst.set("ports", proto.ports);
            if (proto.icmp) rule.set("icmp", *proto.icmp);
            if (in && !side.empty()) rule.set("source", side);
            if (!dst.empty()) rule.set("destination", std::move(dst));
            if (h) rule.set("http", *h);
          }
    }
    if (!list.empty()) spec.set(in ? "ingress" : "egress", std::move(list));
  }

  void policy(const ir::Policy& p) {
    const ir::Peer& s = p.subject;
    if (s.kinds == 0) return;  // selects no pod: no effect
    bool isolates = p.dir(ir::Direction::Ingress).isolates || p.dir(ir::Direction::Egress).isolates;
    for (ir::Direction d : ir::kDirections)
      if (!p.dir(d).isolates && !p.dir(d).rules.empty()) {
        refusals.add(
            Code::NV4076, p, nullptr,
            std::string(
                "rules in a direction the policy does not isolate (Cilium enableDefaultDeny: "
                "false); a Calico policy's rules apply only with its types"));
        return;
      }
    if (!isolates) return;
    if (s.kinds != kPod || s.cidrs) {
      refusals.add(Code::NV4072, p, nullptr, "its subject (" + s.str() + ") is not a set of pods");
      return;
    }
    // Calico breaks order ties by kind, then namespace and name: a tie between a policy
    // that becomes a GlobalNetworkPolicy and one that stays namespaced could change places.
    bool global_here = !s.ns_name || s.ns_selector;
    for (const auto& q : ps.policies())
      if (&q != &p && q.tier == p.tier && q.order == p.order && q.subject.kinds == kPod &&
          (!q.subject.ns_name || q.subject.ns_selector) != global_here) {
        refusals.add(Code::NV4071, p, nullptr,
                     "its order ties with " + q.id() +
                         ", which becomes a Calico policy of the other kind; Calico would break "
                         "the tie differently (give the two distinct orders)");
        return;
      }
    for (const auto* sel : {&s.pod_selector, &s.ns_selector})
      if (*sel && calico_key(**sel)) {
        refusals.add(Code::NV4073, p, nullptr,
                     "selector `" + (*sel)->str() + "` uses a label key Calico reserves");
        return;
      }
    bool global = !s.ns_name || s.ns_selector;
    std::string ns = global ? std::string() : *s.ns_name;
    std::string name = p.name;
    if (p.tier != ir::kDefaultTier) {
      for (char& c : name)
        if (c == '.') c = '-';
      name = p.tier + "." + name;
    }
    const char* kind = global ? "GlobalNetworkPolicy" : "NetworkPolicy";
    Node doc = object("projectcalico.org/v3", kind, names.unique(kind, ns, name), ns);
    Node& spec = doc.set("spec", Node::map());
    if (p.tier != ir::kDefaultTier) spec.set("tier", Node::str(p.tier));
    if (p.order != ir::kNoOrder) spec.set("order", Node::number(p.order));
    spec.set("selector", Node::str(pod_text(s.pod_selector)));
    if (global) {
      std::vector<ir::Selector> parts;
      if (s.ns_name) parts.push_back(ir::Selector::eq(ir::kNamespaceNameLabel, *s.ns_name));
      if (s.ns_selector) parts.push_back(*s.ns_selector);
      if (!parts.empty()) spec.set("namespaceSelector", Node::str(ir::Selector::conj(parts).str()));
    }
    Node& types = spec.set("types", Node::list());
    for (ir::Direction d : ir::kDirections)
      if (p.dir(d).isolates)
        types.push(Node::str(d == ir::Direction::Ingress ? "Ingress" : "Egress"));
    for (ir::Direction d : ir::kDirections) rules(p, d, ns, spec);
    docs.push_back(std::move(doc));
    origins.push_back({p.span, p.id()});
  }

  // Tiers Calico does not define itself, each once, before the policies (Cilium's deny
  // rules, which win over every allow, become such a tier: first, default action Pass).
  void tiers(std::vector<Node>& out, std::vector<Origin>& from) {
    for (const auto& t : ps.tiers()) {
      if (t.name == ir::kDefaultTier || t.name == ir::kAdminTier || t.name == ir::kBaselineTier)
        continue;
      const ir::Policy* first = nullptr;
      for (const auto& p : ps.policies())
        if (!first && p.tier == t.name) first = &p;
      if (!first) continue;
      Node doc = object("projectcalico.org/v3", "Tier", t.name, "");
      Node& spec = doc.set("spec", Node::map());
      if (t.order != ir::kNoOrder) spec.set("order", Node::number(t.order));
      spec.set("defaultAction", Node::str(t.default_action == ir::Action::Pass ? "Pass" : "Deny"));
      out.push_back(std::move(doc));
      from.push_back({first->span, first->id()});
    }
  }
};

}  // namespace

Output to_calico(const ir::PolicySet& ps, const ir::Inventory* pin) {
  CalicoEmitter e{ps, pin, {}, {}, {}, {}};
  std::vector<Node> docs;
  std::vector<Origin> origins;
  e.tiers(docs, origins);
  for (const auto& tier : ps.by_tier())
    for (size_t i : tier) e.policy(ps.policies()[i]);
  int policies = static_cast<int>(e.docs.size());
  for (auto& d : e.docs) docs.push_back(std::move(d));
  origins.insert(origins.end(), e.origins.begin(), e.origins.end());
  return finish_output(e.refusals, docs, std::move(origins), policies);
}

}  // namespace nv::emit
