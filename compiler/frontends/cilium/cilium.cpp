// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2) to IR.
//
// Each rule of `spec` and `specs` (both may be present: CiliumNetworkPolicy.Parse uses
// both) becomes up to two IR policies with the object's kind and name:
//   - its deny part (ingressDeny/egressDeny) in tier `cilium-deny` (default Pass), which
//     isolates a direction iff the rule has deny rules there: Cilium's denies win over every
//     allow of any policy (Documentation/security/policy/deny.rst);
//   - its allow part (ingress/egress) in tier `default`, next to Kubernetes NetworkPolicies,
//     where allows are a union. It isolates a direction iff the rule has allow or deny rules
//     there and enableDefaultDeny leaves that direction's default deny on
//     (rule_validation.go Sanitize; repository.go computePolicyEnforcementAndRules: an
//     endpoint is in default deny if any selecting rule with rules in that direction asks
//     for it, else everything its denies leave is allowed). So a deny-only rule puts its
//     pods in default deny too, as upstream does.
// Validation follows rule_validation.go (Rule.Validate and friends); upstream fields
// netverify does not model are refused with their own codes, never ignored.
#include "compiler/frontends/cilium/cilium.h"

#include <algorithm>
#include <map>

#include "compiler/frontends/cilium/lower.h"
#include "ir/inventory.h"

namespace nv::cilium {

using load::MapReader;
using load::YNode;

namespace {

// Order within the two tiers does not matter (each holds one action); this keeps dumps tidy.
constexpr double kCiliumPolicyOrder = ir::kK8sPolicyOrder;

// icmps (pkg/policy/api/icmp.go ICMPRule{Fields []ICMPField{Family, Type}}): each field is
// one ICMP type of its family (IPv4 default: ICMP; IPv6: ICMPv6), every code, as Cilium
// turns it into a PortProtocol{Port: type, Protocol: ICMP/ICMPv6} (ICMPField.PortProtocol).
// Types are 0..255 or the CamelCase names of icmp.go's tables. As ranges of the packet's
// type << 8 | code (ir/model.h is_icmp); nullopt after an error.
std::optional<std::vector<ir::PortMatch>> icmp_matches(load::Ctx& ctx, const YNode& list,
                                                       const std::string& path) {
  static const std::map<std::string, int> v4 = {{"EchoReply", 0},
                                                {"DestinationUnreachable", 3},
                                                {"Redirect", 5},
                                                {"Echo", 8},
                                                {"EchoRequest", 8},
                                                {"RouterAdvertisement", 9},
                                                {"RouterSelection", 10},
                                                {"TimeExceeded", 11},
                                                {"ParameterProblem", 12},
                                                {"Timestamp", 13},
                                                {"TimestampReply", 14},
                                                {"Photuris", 40},
                                                {"ExtendedEchoRequest", 42},
                                                {"ExtendedEchoReply", 43}};
  static const std::map<std::string, int> v6 = {
      {"DestinationUnreachable", 1}, {"PacketTooBig", 2},  {"TimeExceeded", 3},
      {"ParameterProblem", 4},       {"EchoRequest", 128}, {"EchoReply", 129}};
  size_t errors = ctx.diags.error_count();
  std::vector<ir::PortMatch> out;
  if (list.items().empty())  // upstream's meaning of an empty list is unclear: refused
    ctx.error(ir::Code::NV6035, list, "`" + path + "` is an empty list; omit it or give a type");
  for (size_t i = 0; i < list.items().size(); ++i) {
    std::string ip = path + "[" + std::to_string(i) + "]";
    MapReader r(ctx, list.items()[i], ip);
    const YNode* fields = r.list("fields");
    r.reject_unknown();
    if (!r.ok()) continue;
    if (!fields || fields->items().empty()) {
      ctx.error(ir::Code::NV6035, list.items()[i], "`" + ip + "`: an ICMP rule needs fields");
      continue;
    }
    for (size_t j = 0; j < fields->items().size(); ++j) {
      std::string fp = ip + ".fields[" + std::to_string(j) + "]";
      MapReader f(ctx, fields->items()[j], fp);
      auto family = f.string("family");
      const YNode* type_n = f.get("type");
      f.reject_unknown();
      if (!f.ok()) continue;
      bool v6f = family && *family == "IPv6";
      if (family && !v6f && *family != "IPv4") {
        ctx.error(ir::Code::NV6035, *f.get("family"), "`" + fp + ".family` must be IPv4 or IPv6");
        continue;
      }
      if (!type_n) {
        ctx.error(ir::Code::NV6035, fields->items()[j], "`" + fp + ".type` is required");
        continue;
      }
      std::optional<int> type;
      if (auto x = load::as_integer(*type_n)) {
        if (*x >= 0 && *x <= 255) type = static_cast<int>(*x);
      } else if (type_n->is_scalar()) {
        const auto& names = v6f ? v6 : v4;
        if (auto it = names.find(std::string(type_n->value)); it != names.end()) type = it->second;
      }
      if (!type) {
        ctx.error(ir::Code::NV6035, *type_n,
                  "`" + fp + ".type` must be 0..255 or a known " + (v6f ? "ICMPv6" : "ICMP") +
                      " type name (EchoRequest, ...)");
        continue;
      }
      out.push_back(ir::PortMatch{
          v6f ? ir::kICMPv6 : ir::kICMP, ir::icmp_port(*type, 0), ir::icmp_port(*type, 255), {}});
    }
  }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  return out;
}

struct RuleLowering {
  load::Ctx& ctx;
  Scope scope;

  // One ingress/egress/ingressDeny/egressDeny item: one IR rule, or one per toPorts entry
  // when some entry has L7 rules (each entry has its own). Returns nullopt after an error.
  std::optional<std::vector<ir::Rule>> rule(const YNode& n, const std::string& path, ir::Direction dir, bool deny) {
    size_t errors = ctx.diags.error_count();
    bool in = dir == ir::Direction::Ingress;
    std::string pre = in ? "from" : "to";
    // MapReader keeps the keys it is given as string views: literals only.
    MapReader r(ctx, n, path);
    const YNode* endpoints = r.list(in ? "fromEndpoints" : "toEndpoints");
    const YNode* entities = r.list(in ? "fromEntities" : "toEntities");
    const YNode* cidrs = r.list(in ? "fromCIDR" : "toCIDR");
    const YNode* cidr_sets = r.list(in ? "fromCIDRSet" : "toCIDRSet");
    const YNode* to_ports = r.list("toPorts");
    const YNode* fqdns = in || deny ? nullptr : r.list("toFQDNs");
    const YNode* nodes = r.list(in ? "fromNodes" : "toNodes");
    const YNode* icmps = r.list("icmps");

    // Fields netverify refuses, each with its code (the verifier will model L7 later).
    auto refuse = [&](const char* key, ir::Code code, const std::string& what) {
      if (!r.get(key)) return;
      ctx.error(code, *n.key_node(key), "`" + path + "." + key + "`: " + what);
    };
    auto deny_field = [&](const char* key, const std::string& what) {
      refuse(key, ir::Code::NV6040, "deny rules cannot carry " + what + " (upstream has no such field)");
    };
    refuse(in ? "fromRequires" : "toRequires", ir::Code::NV6034,
           pre + "Requires is not supported yet");
    refuse(in ? "fromGroups" : "toGroups", ir::Code::NV6038,
           "cloud provider groups are not supported yet");
    if (!in) refuse("toServices", ir::Code::NV6033, "toServices is not supported yet");
    if (deny) {
      deny_field("authentication", "authentication");
      if (!in) deny_field("toFQDNs", "toFQDNs");
    } else {
      refuse("authentication", ir::Code::NV6036, "mutual authentication is not supported yet");
    }
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;

    // rule_validation.go IngressCommonRule/EgressCommonRule.Validate: one kind of L3 peer
    // per rule.
    std::vector<std::string> kinds;
    for (auto [node, key] : {std::pair{endpoints, "Endpoints"},
                             {entities, "Entities"},
                             {cidrs, "CIDR"},
                             {cidr_sets, "CIDRSet"},
                             {fqdns, "FQDNs"},
                             {nodes, "Nodes"}})
      if (node && !node->items().empty()) kinds.push_back(pre + key);
    if (kinds.size() > 1 && ctx.diags.error_count() == errors) {
      ctx.error(ir::Code::NV6013, n,
                "combining " + kinds[0] + " and " + kinds[1] +
                    " in one rule is not supported by Cilium (it rejects the policy); write one "
                    "rule for each");
      return std::nullopt;
    }

    ir::Rule rule;
    rule.action = deny ? ir::Action::Deny : ir::Action::Allow;
    rule.path = path;
    rule.span = ctx.at(n);
    // Cilium: an explicitly empty L3 list selects nothing (utils.go mergeEndpointSelectors).
    bool explicit_empty = false;
    bool any_l3 = false;
    auto each = [&](const YNode* list, const std::string& key, auto&& f) {
      if (!list) return;
      any_l3 = true;
      if (list->items().empty()) explicit_empty = true;
      for (size_t i = 0; i < list->items().size(); ++i)
        f(list->items()[i], path + "." + pre + key + "[" + std::to_string(i) + "]");
    };
    each(endpoints, "Endpoints", [&](const YNode& e, const std::string& p) {
      if (auto peers = endpoint_peers(ctx, e, p, scope, deny))
        rule.peers.insert(rule.peers.end(), peers->begin(), peers->end());
    });
    each(entities, "Entities", [&](const YNode& e, const std::string&) {
      if (!e.is_scalar() || load::not_a_string(e)) {
        ctx.error(ir::Code::NV1021, e, "`" + path + "." + pre + "Entities` must be a list of strings");
        return;
      }
      if (auto peers = entity_peers(ctx, e, std::string(e.value), deny))
        rule.peers.insert(rule.peers.end(), peers->begin(), peers->end());
    });
    each(nodes, "Nodes", [&](const YNode& e, const std::string& p) {
      auto peer = node_peer(ctx, e, p);
      if (!peer) return;
      rule.peers.push_back(std::move(*peer));
      if (deny)
        ctx.diags.report(ir::Code::NV6022, ctx.at(e),
                         "a node selector can match the pod's own node, which netverify always "
                         "lets the pod reach; that part of the deny is not modelled");
    });
    each(cidrs, "CIDR", [&](const YNode& e, const std::string&) {
      if (auto p = cidr_peer(ctx, e)) rule.peers.push_back(*p);
    });
    each(cidr_sets, "CIDRSet", [&](const YNode& e, const std::string& p) {
      if (auto peer = cidr_set_peer(ctx, e, p)) rule.peers.push_back(*peer);
    });
    // toFQDNs (fqdn.go): external addresses that DNS returned for a matching name. An empty
    // list selects nothing, as the other L3 lists.
    if (fqdns) {
      any_l3 = true;
      if (fqdns->items().empty())
        explicit_empty = true;
      else if (auto p = fqdn_peer(ctx, *fqdns, path + ".toFQDNs")) rule.peers.push_back(std::move(*p));
    }
    bool has_l4 = to_ports && !to_ports->items().empty();
    if (icmps) {
      if (has_l4) {
        // rule_validation.go: icmps and toPorts in one rule are rejected.
        ctx.error(ir::Code::NV6035, *n.key_node("icmps"),
                  "`" + path +
                      ".icmps`: icmps and toPorts cannot be in one rule (Cilium rejects "
                      "it); write one rule for each");
        return std::nullopt;
      }
      auto pms = icmp_matches(ctx, *icmps, path + ".icmps");
      if (!pms) return std::nullopt;
      has_l4 = true;
      rule.ports = std::move(*pms);
    }
    std::vector<PortRule> entries;
    if (has_l4 && !icmps)
      if (auto ports = port_rules(ctx, *to_ports, path + ".toPorts", dir, deny)) {
        entries = std::move(*ports);
        for (const auto& e : entries) rule.ports.insert(rule.ports.end(), e.ports.begin(), e.ports.end());
        // toPorts entries without ports allow nothing (rule.go mergeIngress iterates ports).
        if (rule.ports.empty()) explicit_empty = true;
      }
    if (ctx.diags.error_count() != errors) return std::nullopt;
    // `{}` (no L3, no L4) selects nothing, unlike Kubernetes (distillery_test.go); an L4-only
    // rule has a wildcard L3 (an empty IR peer list).
    if (explicit_empty || (!any_l3 && !has_l4)) {
      rule.peers = {nothing()};
      rule.ports.clear();
      return std::vector<ir::Rule>{rule};
    }
    bool any_l7 = false;
    for (const auto& e : entries) any_l7 = any_l7 || e.l7.has_value();
    if (!any_l7) return std::vector<ir::Rule>{rule};
    // Each toPorts entry with its own L7 constraint: one IR rule per entry. An entry without
    // L7 rules allows every request on its ports (an L4 rule wildcards the proxy).
    std::vector<ir::Rule> out;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].ports.empty()) continue;
      ir::Rule part = rule;
      part.path = path + ".toPorts[" + std::to_string(i) + "]";
      part.ports = entries[i].ports;
      part.l7 = entries[i].l7;
      out.push_back(std::move(part));
    }
    return out;
  }
};

struct PolicyParts {
  ir::Policy allow, deny;
  bool has_allow = false, has_deny = false;
};

// The subject of a rule: Cilium endpoints (pods, not hostNetwork pods, which are their
// node) that its endpointSelector selects; a CiliumNetworkPolicy's only in its namespace
// (utils.go ParseToCiliumRule), a clusterwide one's in every namespace.
std::optional<ir::Peer> subject(load::Ctx& ctx, const YNode& node, const std::string& path,
                                const Scope& scope) {
  auto es = read_endpoint_selector(ctx, node, path);
  if (!es) return std::nullopt;
  ir::Peer s;
  s.kinds = ir::mask(ir::EndpointKind::Pod);
  // Pods carry no reserved labels (those of initializing pods aside).
  for (const auto& r : es->reserved)
    if (!r.holds_when_absent) s.kinds = 0;
  std::vector<ir::Selector> ns = es->ns;
  if (!scope.clusterwide()) {
    // A CiliumNetworkPolicy applies in its own namespace only (utils.go ParseToCiliumRule
    // adds it); upstream rejects an endpointSelector that matches or lists another namespace
    // (validateCNPEndpointSelectorNamespace of Cilium's networkpolicy package, per its tests;
    // older releases replaced it with a warning). NotIn/Exists/DoesNotExist stay ANDed.
    s.ns_name = scope.ns;
    auto other = [&](const std::vector<std::string>& v) { return !(v.size() == 1 && v[0] == scope.ns); };
    bool elsewhere = es->k8s_ns_match && *es->k8s_ns_match != scope.ns;
    for (const auto& sel : ns)
      if (sel.key == ir::kNamespaceNameLabel &&
          (sel.op == ir::Selector::Op::Eq || sel.op == ir::Selector::Op::In) && other(sel.values))
        elsewhere = true;
    if (elsewhere) {
      ctx.error(ir::Code::NV6007, node,
                "`" + path + "` selects pods of a namespace other than the policy's own \"" + scope.ns +
                    "\"; Cilium rejects this (a CiliumNetworkPolicy applies in its namespace only: use "
                    "a CiliumClusterwideNetworkPolicy)");
      return std::nullopt;
    }
  } else if (es->k8s_ns_match) {
    ns.push_back(ir::Selector::eq(ir::kNamespaceNameLabel, *es->k8s_ns_match));
  }
  if (!s.ns_name && ns.size() == 1 && ns[0].op == ir::Selector::Op::Eq &&
      ns[0].key == ir::kNamespaceNameLabel)
    s.ns_name = ns[0].values[0];
  else if (!ns.empty())
    s.ns_selector = ir::Selector::conj(std::move(ns));
  s.pod_selector = ir::Selector::conj(es->pod);
  return s;
}

// One rule (`spec` or an item of `specs`).
std::optional<PolicyParts> lower_rule(load::Ctx& ctx, const load::Object& obj, const YNode& n,
                                      const std::string& path, const Scope& scope) {
  size_t errors = ctx.diags.error_count();
  MapReader r(ctx, n, path);
  const YNode* es = r.get("endpointSelector");
  const YNode* node_sel = r.get("nodeSelector");
  const YNode* lists[4] = {r.list("ingress"), r.list("egress"), r.list("ingressDeny"), r.list("egressDeny")};
  const YNode* edd = r.map("enableDefaultDeny");
  r.list("labels");        // metadata only
  r.string("description");  // metadata only
  if (const YNode* log = r.map("log")) {  // Hubble logging only
    MapReader lr(ctx, *log, path + ".log");
    lr.string("value");
    lr.reject_unknown();
  }
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;

  if (es && node_sel) {
    ctx.error(ir::Code::NV6010, n, "`" + path + "` cannot have both endpointSelector and nodeSelector");
    return std::nullopt;
  }
  if (node_sel && !scope.clusterwide()) {
    ctx.error(ir::Code::NV6037, *n.key_node("nodeSelector"),
              "`" + path +
                  ".nodeSelector` is only allowed in a CiliumClusterwideNetworkPolicy "
                  "(Cilium rejects it here)");
    return std::nullopt;
  }
  if (!es && !node_sel) {
    ctx.error(ir::Code::NV6010, n, "`" + path + "` must have an endpointSelector");
    return std::nullopt;
  }
  size_t counts[4];
  for (int i = 0; i < 4; ++i) counts[i] = lists[i] ? lists[i]->items().size() : 0;
  if (!counts[0] && !counts[1] && !counts[2] && !counts[3]) {
    ctx.error(ir::Code::NV6011, n,
              "`" + path + "` must have at least one of ingress, ingressDeny, egress, egressDeny "
              "(Cilium rejects the rule; `ingress: [{}]` is a default deny)");
    return std::nullopt;
  }
  std::optional<bool> default_deny[2];
  if (edd) {
    MapReader er(ctx, *edd, path + ".enableDefaultDeny");
    default_deny[0] = er.boolean("ingress");
    default_deny[1] = er.boolean("egress");
    er.reject_unknown();
  }

  // A host policy (Documentation/security/policy/host.rst): its subject is the nodes that
  // nodeSelector selects by their labels, i.e. their host namespaces, hostNetwork pods
  // included (ir::applies_to_hosts).
  auto subj = node_sel ? node_peer(ctx, *node_sel, path + ".nodeSelector")
                       : subject(ctx, *es, path + ".endpointSelector", scope);
  PolicyParts parts;
  for (ir::Policy* p : {&parts.allow, &parts.deny}) {
    p->dialect = "cilium";
    p->kind = obj.kind;
    p->ns = scope.ns;
    p->name = obj.name;
    p->order = kCiliumPolicyOrder;
    p->span = path == "spec" ? obj.span : ctx.at(n);
    if (subj) p->subject = *subj;
  }
  parts.allow.tier = ir::kDefaultTier;
  parts.deny.tier = ir::kCiliumDenyTier;

  RuleLowering low{ctx, scope};
  static const char* const kKeys[4] = {"ingress", "egress", "ingressDeny", "egressDeny"};
  for (int i = 0; i < 4; ++i) {
    if (!lists[i]) continue;
    ir::Direction dir = i % 2 == 0 ? ir::Direction::Ingress : ir::Direction::Egress;
    bool deny = i >= 2;
    ir::Policy& p = deny ? parts.deny : parts.allow;
    for (size_t j = 0; j < lists[i]->items().size(); ++j)
      if (auto rules = low.rule(lists[i]->items()[j],
                                path + "." + kKeys[i] + "[" + std::to_string(j) + "]", dir, deny))
        for (auto& rule : *rules) p.dir(dir).rules.push_back(std::move(rule));
  }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  if (node_sel) {
    // Host policies: L3 and L4 only here (upstream's host DNS rules are beta; not modelled).
    for (const ir::Policy* p : {&parts.allow, &parts.deny})
      for (const auto& dr : p->dirs)
        for (const auto& rule : dr.rules) {
          bool fqdn = std::any_of(rule.peers.begin(), rule.peers.end(),
                                  [](const ir::Peer& x) { return x.fqdns.has_value(); });
          if (rule.l7 || fqdn)
            ctx.diags.report(ir::Code::NV6037, rule.span,
                             "`" + rule.path +
                                 "`: L7 rules and toFQDNs in a host policy are not "
                                 "supported (Cilium's host DNS rules are beta; netverify models L3 "
                                 "and L4 host rules)");
        }
    if (ctx.diags.error_count() != errors) return std::nullopt;
    ctx.diags.report(ir::Code::NV6044, ctx.at(*node_sel),
                     "`" + path +
                         ".nodeSelector`: a host policy; netverify always lets a node "
                         "and its own pods talk (ir node_local), so this policy does not constrain "
                         "traffic between the nodes it selects and their own pods");
  }

  for (ir::Direction dir : ir::kDirections) {
    int d = static_cast<int>(dir);
    bool has_rules = counts[d] + counts[d + 2] > 0;
    parts.allow.dir(dir).isolates = has_rules && default_deny[d].value_or(true);
    parts.deny.dir(dir).isolates = counts[d + 2] > 0;
    parts.has_allow = parts.has_allow || parts.allow.dir(dir).isolates || counts[d] > 0;
    parts.has_deny = parts.has_deny || counts[d + 2] > 0;
  }
  return parts;
}

}  // namespace

void lower_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns, ir::PolicySet& ps) {
  size_t errors = ctx.diags.error_count();
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  top.get("metadata");
  top.get("status");
  const YNode* spec = top.get("spec");
  const YNode* specs = top.list("specs");
  top.reject_unknown();
  if (!top.ok()) return;
  if (!spec && !specs) {
    ctx.diags.report(ir::Code::NV6012, obj.span,
                     obj.kind + " " + obj.name + " has neither spec nor specs (Cilium rejects it as empty)");
    return;
  }
  Scope scope{ns};
  std::vector<PolicyParts> all;
  if (spec)
    if (auto p = lower_rule(ctx, obj, *spec, "spec", scope)) all.push_back(std::move(*p));
  if (specs)
    for (size_t i = 0; i < specs->items().size(); ++i)
      if (auto p =
              lower_rule(ctx, obj, specs->items()[i], "specs[" + std::to_string(i) + "]", scope))
        all.push_back(std::move(*p));
  if (ctx.diags.error_count() != errors) return;  // never a partial policy
  for (auto& parts : all) {
    if (parts.has_deny) {
      ps.add_tier(ir::Tier{ir::kCiliumDenyTier, ir::kCiliumDenyTierOrder, ir::Action::Pass});
      ps.add(std::move(parts.deny));
    }
    if (parts.has_allow) {
      ps.add_tier(ir::Tier{ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny});
      ps.add(std::move(parts.allow));
    }
  }
}

}  // namespace nv::cilium
