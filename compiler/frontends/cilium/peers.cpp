// Cilium entities, CIDR peers and port rules (pkg/policy/api/{entity,cidr,l4}.go,
// rule_validation.go), lowered to IR peers and port matches.
#include <cctype>

#include "compiler/frontends/cilium/lower.h"

namespace nv::cilium {

using load::MapReader;
using load::YNode;

namespace {

ir::Peer of_kinds(ir::KindMask kinds) {
  ir::Peer p;
  p.kinds = kinds;
  return p;
}

constexpr ir::KindMask kPod = ir::mask(ir::EndpointKind::Pod);
constexpr ir::KindMask kExternal = ir::mask(ir::EndpointKind::External);
constexpr ir::KindMask kHost = ir::mask(ir::EndpointKind::Host);

void own_node_warning(load::Ctx& ctx, const YNode& at, const std::string& entity) {
  ctx.diags.report(ir::Code::NV6022, ctx.at(at),
                   "entity " + entity +
                       " includes the pod's own node, which netverify always lets the pod reach; "
                       "that part of the deny is not modelled");
}

}  // namespace

// entity.go EntitySelectorMapping, with InitEntities for `cluster`. In the IR, a pod and
// its own node always reach each other before any policy (ir/evaluate.cpp node_local), as
// Cilium lets the local host reach its pods (allow-localhost); so `host` adds nothing there,
// and `remote-node` is every node (its own node is decided before policy).
std::optional<std::vector<ir::Peer>> entity_peers(load::Ctx& ctx, const YNode& at,
                                                  const std::string& entity, bool deny) {
  if (entity == "all") {
    if (deny) own_node_warning(ctx, at, entity);
    return std::vector<ir::Peer>{ir::Peer{}};
  }
  if (entity == "world") return std::vector<ir::Peer>{of_kinds(kExternal)};
  if (entity == "world-ipv4" || entity == "world-ipv6") {
    ir::Peer p = of_kinds(kExternal);
    p.cidrs = std::vector<ir::CidrBlock>{{*ir::Cidr::parse(entity == "world-ipv4" ? "0.0.0.0/0" : "::/0"), {}}};
    return std::vector<ir::Peer>{p};
  }
  if (entity == "cluster") {
    if (deny) own_node_warning(ctx, at, entity);
    return std::vector<ir::Peer>{of_kinds(kPod | kHost)};
  }
  if (entity == "remote-node") return std::vector<ir::Peer>{of_kinds(kHost)};
  if (entity == "host") {
    if (deny) {
      ctx.error(ir::Code::NV6021, at,
                "denying the host entity is not supported: netverify always lets a pod and its "
                "own node reach each other");
      return std::nullopt;
    }
    return std::vector<ir::Peer>{nothing()};
  }
  // Identities no endpoint of the inventory has: pods being initialized, the per-node
  // health endpoints, pods Cilium does not manage, and `none`.
  if (entity == "init" || entity == "health" || entity == "unmanaged" || entity == "none")
    return std::vector<ir::Peer>{nothing()};
  if (entity == "kube-apiserver" || entity == "ingress") {
    ctx.error(ir::Code::NV6021, at,
              "entity " + entity + " is not supported: the inventory does not say which addresses " +
                  (entity == "ingress" ? "are Cilium's ingress proxy" : "are the Kubernetes API server"));
    return std::nullopt;
  }
  ctx.error(ir::Code::NV6020, at,
            "unknown entity \"" + entity +
                "\" (expected all, world, world-ipv4, world-ipv6, cluster, host, remote-node, "
                "kube-apiserver, ingress, init, health, unmanaged or none)");
  return std::nullopt;
}

// A fromCIDR/toCIDR item: an address or a prefix (cidr.go CIDR.Validate). CIDR peers never
// match pods or nodes (Documentation/security/policy/layer3.rst "IP/CIDR based"; the
// default policy-cidr-match-mode).
std::optional<ir::Peer> cidr_peer(load::Ctx& ctx, const YNode& node) {
  std::optional<ir::Cidr> c;
  if (node.is_scalar() && !load::not_a_string(node)) {
    if (node.value.find('/') != std::string::npos) {
      c = ir::Cidr::parse(node.value);
    } else if (auto a = ir::IpAddr::parse(node.value)) {
      c = ir::Cidr::host(*a);
    }
  }
  if (!c) {
    ctx.error(
        ir::Code::NV6028, node,
        "invalid CIDR \"" + (node.is_scalar() ? std::string(node.value) : std::string("?")) + "\"");
    return std::nullopt;
  }
  ir::Peer p = of_kinds(kExternal);
  p.cidrs = std::vector<ir::CidrBlock>{{*c, {}}};
  return p;
}

// A fromCIDRSet/toCIDRSet item (rule_validation.go CIDRRule.Validate).
std::optional<ir::Peer> cidr_set_peer(load::Ctx& ctx, const YNode& node, const std::string& path) {
  MapReader r(ctx, node, path);
  auto cidr_text = r.string("cidr");
  const YNode* except = r.list("except");
  const YNode* group_ref = r.get("cidrGroupRef");
  const YNode* group_sel = r.get("cidrGroupSelector");
  r.get("generated");  // set by Cilium itself for toServices; carries no meaning here
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;
  if (group_ref || group_sel) {
    ctx.error(ir::Code::NV6039, *node.key_node(group_ref ? "cidrGroupRef" : "cidrGroupSelector"),
              std::string(group_ref ? "cidrGroupRef" : "cidrGroupSelector") +
                  " is not supported: netverify does not read CiliumCIDRGroup objects, so it "
                  "cannot tell which addresses it names");
    return std::nullopt;
  }
  if (!cidr_text || cidr_text->empty()) {
    ctx.error(ir::Code::NV1022, node, "`" + path + ".cidr` is required");
    return std::nullopt;
  }
  // Only <address>/<length> here, unlike fromCIDR.
  auto cidr = ir::Cidr::parse(*cidr_text);
  if (!cidr) {
    ctx.error(ir::Code::NV6028, *node.get("cidr"), "invalid CIDR \"" + *cidr_text + "\"");
    return std::nullopt;
  }
  ir::CidrBlock block{*cidr, {}};
  bool ok = true;
  if (except)
    for (const auto& e : except->items()) {
      auto ec = e.is_scalar() && !load::not_a_string(e) ? ir::Cidr::parse(e.value) : std::nullopt;
      if (!ec) {
        ctx.error(ir::Code::NV6028, e,
                  "invalid CIDR \"" + (e.is_scalar() ? std::string(e.value) : std::string("?")) +
                      "\" in except");
        ok = false;
      } else if (!cidr->contains(*ec)) {
        ctx.error(ir::Code::NV6029, e,
                  "except " + std::string(e.value) + " is not inside cidr " + cidr->str());
        ok = false;
      } else {
        block.except.push_back(*ec);
      }
    }
  if (!ok) return std::nullopt;
  ir::Peer p = of_kinds(kExternal);
  p.cidrs = std::vector<ir::CidrBlock>{block};
  return p;
}

namespace {

// pkg/iana IsSvcName: 1-15 letters, digits and single inner hyphens, at least one letter.
bool is_svc_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s.front() == '-' || s.back() == '-') return false;
  bool letter = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '-') {
      if (s[i - 1] == '-') return false;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      letter = true;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return letter;
}

// strconv.ParseUint(s, 0, 16) for a string of digits: a leading 0 means octal.
std::optional<uint16_t> parse_port_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  unsigned base = s.size() > 1 && s[0] == '0' ? 8 : 10;
  uint32_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || unsigned(c - '0') >= base) return std::nullopt;
    v = v * base + unsigned(c - '0');
    if (v > 65535) return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

std::optional<std::vector<PortRule>> port_rules(load::Ctx& ctx, const YNode& list,
                                                const std::string& path, ir::Direction dir,
                                                bool deny) {
  std::vector<PortRule> out;
  bool ok = true;
  for (size_t i = 0; i < list.items().size(); ++i) {
    const YNode& item = list.items()[i];
    std::string ipath = path + "[" + std::to_string(i) + "]";
    MapReader r(ctx, item, ipath);
    const YNode* ports = r.list("ports");
    // PortRule's L7 and TLS fields; a PortDenyRule has none of them (l4.go).
    const YNode* rules = r.map("rules");
    for (const char* key : {"rules", "serverNames", "terminatingTLS", "originatingTLS", "listener"}) {
      if (!r.get(key)) continue;
      const YNode& at = *item.key_node(key);
      bool l7 = std::string_view(key) == "rules";
      if (l7 && !deny) continue;  // read below, once the ports are known
      if (deny)
        ctx.error(ir::Code::NV6040, at,
                  "`" + ipath + "." + key + "`: deny rules have no " +
                      (l7 ? "L7 rules" : "TLS or listener settings") + " (upstream PortDenyRule has only ports)");
      else
        ctx.error(ir::Code::NV6032, at, "`" + ipath + "." + key + "` is not supported yet");
      ok = false;
    }
    r.reject_unknown();
    if (!r.ok()) {
      ok = false;
      continue;
    }
    if (!ports) continue;  // no ports: this entry allows nothing (rule.go mergeIngress)
    PortRule entry;
    if (ports->items().size() > 40) {
      ctx.error(ir::Code::NV6026, *ports, "too many ports, the max is 40");
      ok = false;
      continue;
    }
    for (size_t j = 0; j < ports->items().size(); ++j) {
      const YNode& pn = ports->items()[j];
      std::string ppath = ipath + ".ports[" + std::to_string(j) + "]";
      size_t errors = ctx.diags.error_count();
      MapReader pr(ctx, pn, ppath);
      auto port = pr.string("port");
      auto end = pr.integer("endPort");
      auto proto = pr.string("protocol");
      pr.reject_unknown();
      if (ctx.diags.error_count() != errors) {
        ok = false;
        continue;
      }
      if (!port || port->empty()) {
        ctx.error(ir::Code::NV1022, pn, "`" + ppath + ".port` is required");
        ok = false;
        continue;
      }
      // Protocol: an enum of the CRD; empty means ANY, which is TCP, UDP and SCTP
      // (rule.go mergeIngress/mergeEgress), never ICMP.
      std::vector<int> protos;
      if (!proto || proto->empty() || *proto == "ANY") {
        protos = {ir::kTCP, ir::kUDP, ir::kSCTP};
      } else if (*proto == "TCP" || *proto == "UDP" || *proto == "SCTP") {
        protos = {*ir::parse_proto(*proto)};
      } else {
        ctx.error(ir::Code::NV6025, *pn.get("protocol"),
                  "unsupported protocol \"" + *proto + "\" (expected TCP, UDP, SCTP or ANY)");
        ok = false;
        continue;
      }
      const YNode& port_node = *pn.get("port");
      ir::PortMatch pm;
      if (is_svc_name(*port)) {
        // A port name, compared case-insensitively (rule_validation.go Sanitize).
        for (char c : *port) pm.named += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (dir == ir::Direction::Egress) {
          ctx.error(ir::Code::NV6027, port_node,
                    "named port \"" + *port +
                        "\" in an egress rule is not supported yet: Cilium resolves it against the "
                        "ports of every pod of the cluster, not of the destination");
          ok = false;
          continue;
        }
      } else if (auto n = parse_port_number(*port)) {
        // Port 0 means every port of the protocol.
        if (*n != 0) pm.lo = pm.hi = *n;
      } else {
        ctx.error(ir::Code::NV6026, port_node,
                  "invalid port \"" + *port + "\" (a number in 0..65535 or a port name)");
        ok = false;
        continue;
      }
      if (end && *end != 0) {
        const YNode& end_node = *pn.get("endPort");
        std::string why;
        if (*end < 0 || *end > 65535) why = "endPort must be in 0..65535";
        else if (!pm.named.empty()) why = "endPort cannot be used with a named port";
        else if (pm.all_ports()) why = "endPort needs a nonzero port";
        else if (*end < pm.lo) why = "endPort " + std::to_string(*end) + " is below port " + std::to_string(pm.lo);
        if (!why.empty()) {
          ctx.error(ir::Code::NV6026, end_node, why);
          ok = false;
          continue;
        }
        pm.hi = static_cast<uint16_t>(*end);
      }
      for (int p : protos) {
        pm.proto = p;
        entry.ports.push_back(pm);
      }
    }
    if (rules && !deny && ok) {
      size_t errors = ctx.diags.error_count();
      entry.l7 = l7_rules(ctx, *rules, ipath + ".rules", dir, entry.ports);
      if (ctx.diags.error_count() != errors) ok = false;
    }
    out.push_back(std::move(entry));
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace nv::cilium
