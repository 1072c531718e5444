// Inventories for the named-port obligations (e.*): the same name with two protocols, a
// name that resolves to the first of two ports, names no pod has, pods that share a
// class, pods that the universe tells apart by labels or by CIDR membership, and pods
// the pinning leaves out (hostNetwork, no address of the family).
#include "proofs/cases.h"

namespace nv::proofs {

namespace {

struct PortSpec {
  const char* name;
  int proto;
  uint16_t port;
};

ir::Pod pod(const std::string& ns, const std::string& name, const std::string& ip,
            std::vector<PortSpec> ports, ir::Labels labels = {}, bool host = false) {
  ir::Pod p;
  p.ns = ns;
  p.name = name;
  p.labels = std::move(labels);
  p.ips.push_back(*ir::IpAddr::parse(ip));
  p.node = "node-a";
  p.host_network = host;
  for (const auto& s : ports) p.ports.push_back(ir::ContainerPort{s.name, s.proto, s.port});
  return p;
}

// Every (protocol, name) pair of `names`, protocols ANY, TCP, UDP and SCTP.
std::vector<ir::PortMatch> matches_for(const std::vector<std::string>& names) {
  std::vector<ir::PortMatch> out;
  for (const auto& n : names)
    for (int proto : {ir::kAnyProto, ir::kTCP, ir::kUDP, ir::kSCTP}) {
      ir::PortMatch pm;
      pm.proto = proto;
      pm.named = n;
      out.push_back(pm);
    }
  return out;
}

// One ingress policy that names the ports (and the extra peer) so the universe sees them.
ir::PolicySet policies_naming(const std::vector<ir::PortMatch>& ports,
                              std::optional<ir::Peer> peer) {
  ir::PolicySet ps;
  ps.add_tier(ir::Tier{ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny});
  ir::Policy p;
  p.dialect = "k8s";
  p.kind = "NetworkPolicy";
  p.ns = "prod";
  p.name = "named-ports";
  p.tier = ir::kDefaultTier;
  p.order = ir::kK8sPolicyOrder;
  p.subject.kinds = ir::mask(ir::EndpointKind::Pod);
  p.subject.ns_name = "prod";
  ir::DirectionRules& in = p.dir(ir::Direction::Ingress);
  in.isolates = true;
  ir::Rule r;
  r.ports = ports;
  if (peer) r.peers.push_back(*peer);
  in.rules.push_back(r);
  ps.add(p);
  ps.finalize();
  return ps;
}

InventoryCase make(std::string name, std::vector<ir::Pod> pods, std::vector<std::string> names,
                   std::optional<ir::Peer> peer = std::nullopt) {
  InventoryCase c;
  c.name = std::move(name);
  c.inv.pods = std::move(pods);
  ir::Node n;
  n.name = "node-a";
  n.addresses.push_back(*ir::IpAddr::parse("10.0.1.1"));
  c.inv.nodes.push_back(n);
  ir::Diagnostics diags;
  c.inv.finalize(diags);
  c.named = matches_for(names);
  c.policies = policies_naming(c.named, peer);
  return c;
}

}  // namespace

std::vector<InventoryCase> inventory_cases() {
  std::vector<InventoryCase> out;
  using ir::kSCTP, ir::kTCP, ir::kUDP;

  // Protocols: one name on several protocols, first-of-two resolution, missing names.
  out.push_back(make(
      "protocols",
      {
          pod("prod", "web-1", "10.0.0.1",
              {{"http", kTCP, 80}, {"metrics", kTCP, 9090}, {"dns", kUDP, 53}, {"dns", kTCP, 53}}),
          pod("prod", "web-2", "10.0.0.2",
              {{"http", kTCP, 80}, {"metrics", kTCP, 9090}, {"dns", kUDP, 53}, {"dns", kTCP, 53}}),
          pod("prod", "web-3", "10.0.0.3", {{"http", kTCP, 8080}, {"", kTCP, 22}}),
          pod("prod", "db", "10.0.0.4", {}),
          pod("prod", "dup", "10.0.0.5",
              {{"http", kTCP, 80}, {"http", kTCP, 81}, {"http", kUDP, 80}, {"dns", kSCTP, 53}}),
          pod("prod", "swapped", "10.0.0.6",
              {{"dns", kTCP, 5353}, {"dns", kUDP, 53}, {"max", kTCP, 65535}}),
          pod("prod", "host", "10.0.1.1", {{"http", kTCP, 80}}, {}, true),
          pod("prod", "v6-only", "fd00::1", {{"http", kTCP, 80}}),
          pod("dev", "web-1", "10.1.0.1",
              {{"http", kTCP, 80}, {"dns", kUDP, 53}, {"dns", kTCP, 53}}),
          pod("dev", "sctp", "10.1.0.2", {{"http", kSCTP, 80}, {"zero", kUDP, 0}}),
      },
      {"http", "dns", "metrics", "max", "zero", "missing"}));

  // Classes: pods alike except in labels a selector reads, in CIDR membership, or in ports
  // no policy names (which must not split classes, nor leak into the named ones).
  ir::Peer peer;
  peer.pod_selector = ir::Selector::eq("app", "web");
  peer.cidrs =
      std::vector<ir::CidrBlock>{ir::CidrBlock{cidr("10.0.0.0/30"), {cidr("10.0.0.2/32")}}};
  out.push_back(make("classes",
                     {
                         pod("prod", "a", "10.0.0.1", {{"http", kTCP, 80}, {"admin", kTCP, 8443}},
                             {{"app", "web"}}),
                         pod("prod", "b", "10.0.0.2", {{"http", kTCP, 80}, {"admin", kTCP, 9443}},
                             {{"app", "web"}}),
                         pod("prod", "c", "10.0.0.3", {{"http", kTCP, 80}}, {{"app", "web"}}),
                         pod("prod", "d", "10.0.0.9", {{"http", kTCP, 80}}, {{"app", "web"}}),
                         pod("prod", "e", "10.0.0.10", {{"http", kTCP, 80}}, {{"app", "db"}}),
                         pod("prod", "f", "10.0.0.11", {{"http", kTCP, 80}}),
                         pod("prod", "g", "10.0.0.12", {{"http", kUDP, 80}}, {{"app", "web"}}),
                     },
                     {"http"}, peer));

  // No pods: only addresses outside the inventory, which have no container ports.
  out.push_back(make("empty", {}, {"http"}));
  return out;
}

// The pin_to case (known encoder bug, see port_obligations.cpp): a name on two protocols.
InventoryCase pin_to_case() {
  return make(
      "pin_to",
      {pod("prod", "resolver", "10.0.0.53", {{"dns", ir::kUDP, 53}, {"dns", ir::kTCP, 53}})},
      {"dns"});
}

}  // namespace nv::proofs
