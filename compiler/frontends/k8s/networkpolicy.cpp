// Kubernetes NetworkPolicy (networking.k8s.io/v1) to IR, with the API server's validation
// (pkg/apis/networking/validation) and defaulting (pkg/apis/networking/v1/defaults.go).
#include "compiler/frontends/k8s/k8s.h"

namespace nv::k8s {

using load::MapReader;
using load::YNode;

namespace {

struct Lowering {
  load::Ctx& ctx;
  const std::string& ns;
  const Options& opt;

  std::optional<ir::PortMatch> port(const YNode& n, const std::string& path) {
    MapReader r(ctx, n, path);
    auto proto_text = r.string("protocol");
    auto port = r.int_or_string("port");
    auto end_port = r.integer("endPort");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    ir::PortMatch pm;
    pm.proto = ir::kTCP;
    if (proto_text) {
      if (*proto_text == "TCP" || *proto_text == "UDP" || *proto_text == "SCTP") {
        pm.proto = *ir::parse_proto(*proto_text);
      } else {
        ctx.error(ir::Code::NV2010, *n.get("protocol"),
                  "unsupported protocol \"" + *proto_text + "\" (expected TCP, UDP or SCTP)");
        return std::nullopt;
      }
    }
    if (!port) {
      if (end_port) {
        ctx.error(ir::Code::NV2013, *n.get("endPort"),
                  "endPort may not be specified when port is not specified");
        return std::nullopt;
      }
      return pm;  // every port of the protocol
    }
    const YNode& port_node = *n.get("port");
    if (auto* name = std::get_if<std::string>(&*port)) {
      std::string why;
      if (!valid_port_name(*name, &why)) {
        ctx.error(ir::Code::NV2012, port_node, "invalid named port \"" + *name + "\": " + why);
        return std::nullopt;
      }
      if (end_port) {
        ctx.error(ir::Code::NV2013, *n.get("endPort"),
                  "endPort may not be specified when port is a named port");
        return std::nullopt;
      }
      pm.named = *name;
      return pm;
    }
    int64_t p = std::get<int64_t>(*port);
    if (p < 1 || p > 65535) {
      ctx.error(ir::Code::NV2011, port_node,
                "port " + std::to_string(p) + " is outside 1..65535");
      return std::nullopt;
    }
    pm.lo = pm.hi = static_cast<uint16_t>(p);
    if (end_port) {
      if (*end_port < p || *end_port > 65535) {
        ctx.error(ir::Code::NV2013, *n.get("endPort"),
                  "endPort " + std::to_string(*end_port) + " must be between port (" +
                      std::to_string(p) + ") and 65535");
        return std::nullopt;
      }
      pm.hi = static_cast<uint16_t>(*end_port);
    }
    return pm;
  }

  std::optional<ir::CidrBlock> ip_block(const YNode& n, const std::string& path) {
    MapReader r(ctx, n, path);
    auto cidr_text = r.string("cidr");
    const YNode* except = r.list("except");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if (!cidr_text || cidr_text->empty()) {
      ctx.error(ir::Code::NV1022, n, "`" + path + ".cidr` is required");
      return std::nullopt;
    }
    auto cidr = ir::Cidr::parse(*cidr_text);
    if (!cidr) {
      ctx.error(ir::Code::NV2022, *n.get("cidr"), "invalid CIDR \"" + *cidr_text + "\"");
      return std::nullopt;
    }
    ir::CidrBlock block{*cidr, {}};
    bool ok = true;
    if (except) {
      for (const auto& e : except->items()) {
        auto ec = e.is_scalar() ? ir::Cidr::parse(e.value) : std::nullopt;
        if (!ec) {
          ctx.error(ir::Code::NV2022, e,
                    "invalid CIDR \"" + (e.is_scalar() ? std::string(e.value) : std::string("?")) +
                        "\" in except");
          ok = false;
          continue;
        }
        // Validation: each except must be a strict subset of cidr.
        if (!cidr->contains(*ec) || ec->len <= cidr->len) {
          ctx.error(
              ir::Code::NV2023, e,
              "except " + std::string(e.value) + " must be a strict subset of cidr " + cidr->str());
          ok = false;
          continue;
        }
        block.except.push_back(*ec);
      }
    }
    if (!ok) return std::nullopt;
    return block;
  }

  std::optional<ir::Peer> peer(const YNode& n, const std::string& path) {
    MapReader r(ctx, n, path);
    const YNode* pod_sel = r.get("podSelector");
    const YNode* ns_sel = r.get("namespaceSelector");
    const YNode* ipb = r.get("ipBlock");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if (!pod_sel && !ns_sel && !ipb) {
      ctx.error(ir::Code::NV2020, n,
                "a peer must specify podSelector, namespaceSelector or ipBlock (`- {}` is not "
                "\"everything\"; omit `" + path.substr(0, path.rfind('[')) + "` for that)");
      return std::nullopt;
    }
    if (ipb && (pod_sel || ns_sel)) {
      ctx.error(ir::Code::NV2021, *ipb,
                "ipBlock may not be combined with podSelector or namespaceSelector in one peer; "
                "make them separate list items");
      return std::nullopt;
    }
    ir::Peer p;
    if (ipb) {
      auto block = ip_block(*ipb, path + ".ipBlock");
      if (!block) return std::nullopt;
      p.kinds = opt.ipblock_matches_pods
                    ? ir::kAllKinds
                    : ir::mask(ir::EndpointKind::External) | ir::mask(ir::EndpointKind::Host);
      p.cidrs = std::vector<ir::CidrBlock>{*block};
      return p;
    }
    p.kinds = ir::mask(ir::EndpointKind::Pod);
    if (pod_sel) {
      auto s = lower_label_selector(ctx, *pod_sel, path + ".podSelector");
      if (!s) return std::nullopt;
      p.pod_selector = std::move(*s);
    }
    if (ns_sel) {
      auto s = lower_label_selector(ctx, *ns_sel, path + ".namespaceSelector");
      if (!s) return std::nullopt;
      p.ns_selector = std::move(*s);
    } else {
      p.ns_name = ns;  // podSelector alone: the policy's own namespace
    }
    return p;
  }

  // One ingress or egress rule; `peer_key` is "from" or "to".
  std::optional<ir::Rule> rule(const YNode& n, const std::string& path, const char* peer_key) {
    MapReader r(ctx, n, path);
    const YNode* peers = r.list(peer_key);
    const YNode* ports = r.list("ports");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    ir::Rule rule;
    rule.action = ir::Action::Allow;
    rule.path = path;
    rule.span = ctx.at(n);
    bool ok = true;
    if (peers)
      for (size_t i = 0; i < peers->items().size(); ++i) {
        auto p = peer(peers->items()[i], path + "." + peer_key + "[" + std::to_string(i) + "]");
        if (p) rule.peers.push_back(std::move(*p));
        ok = ok && p.has_value();
      }
    if (ports)
      for (size_t i = 0; i < ports->items().size(); ++i) {
        auto pm = port(ports->items()[i], path + ".ports[" + std::to_string(i) + "]");
        if (pm) rule.ports.push_back(std::move(*pm));
        ok = ok && pm.has_value();
      }
    if (!ok) return std::nullopt;
    return rule;
  }
};

}  // namespace

void lower_network_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                          const Options& opt, ir::PolicySet& ps) {
  size_t errors = ctx.diags.error_count();
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  top.get("metadata");
  top.get("status");
  const YNode* spec_node = top.get("spec");
  top.reject_unknown();

  ir::Policy p;
  p.dialect = "k8s";
  p.kind = "NetworkPolicy";
  p.ns = ns;
  p.name = obj.name;
  p.tier = ir::kDefaultTier;
  p.order = ir::kK8sPolicyOrder;
  p.span = obj.span;
  p.subject.kinds = ir::mask(ir::EndpointKind::Pod);
  p.subject.ns_name = ns;

  static const YNode empty_map = [] {
    YNode n;
    n.kind = YNode::Kind::Map;
    return n;
  }();
  MapReader spec(ctx, spec_node ? *spec_node : empty_map, "spec");
  const YNode* pod_sel = spec.get("podSelector");
  const YNode* types = spec.list("policyTypes");
  const YNode* ingress = spec.list("ingress");
  const YNode* egress = spec.list("egress");
  spec.reject_unknown();
  if (!spec.ok()) return;

  Lowering low{ctx, ns, opt};
  // spec.podSelector is required but may be empty; null reads as empty.
  if (pod_sel) {
    if (auto s = lower_label_selector(ctx, *pod_sel, "spec.podSelector")) p.subject.pod_selector = std::move(*s);
  } else {
    p.subject.pod_selector = ir::Selector::all();
  }

  bool has_ingress = false, has_egress = false;
  if (types && !types->items().empty()) {
    if (types->items().size() > 2)
      ctx.error(ir::Code::NV2030, *types, "policyTypes may list at most Ingress and Egress");
    for (const auto& t : types->items()) {
      if (t.is_scalar() && t.value == "Ingress") {
        has_ingress = true;
      } else if (t.is_scalar() && t.value == "Egress") {
        has_egress = true;
      } else {
        ctx.error(ir::Code::NV2030, t,
                  "invalid policyTypes entry \"" +
                      (t.is_scalar() ? std::string(t.value) : std::string("?")) +
                      "\" (expected Ingress or Egress)");
      }
    }
  } else {
    // Defaulting: Ingress always; Egress only when there is at least one egress rule.
    has_ingress = true;
    has_egress = egress && !egress->items().empty();
  }

  auto lower_dir = [&](const YNode* list, const char* key, const char* peer_key, bool listed,
                       ir::Direction d) {
    ir::DirectionRules& dr = p.dir(d);
    dr.isolates = listed;
    if (!list) return;
    for (size_t i = 0; i < list->items().size(); ++i) {
      std::string path = std::string("spec.") + key + "[" + std::to_string(i) + "]";
      auto r = low.rule(list->items()[i], path, peer_key);
      if (r && listed) dr.rules.push_back(std::move(*r));
    }
    if (!listed && !list->items().empty())
      ctx.error(ir::Code::NV2031, *list,
                std::string("policyTypes does not list ") + (d == ir::Direction::Ingress ? "Ingress" : "Egress") +
                    ", so these " + key + " rules are ignored");
  };
  lower_dir(ingress, "ingress", "from", has_ingress, ir::Direction::Ingress);
  lower_dir(egress, "egress", "to", has_egress, ir::Direction::Egress);

  if (ctx.diags.error_count() != errors) return;  // never a partial policy
  ps.add_tier(ir::Tier{ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny});
  ps.add(std::move(p));
}

}  // namespace nv::k8s
