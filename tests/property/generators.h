// rapidcheck generators: random inventories and random IR policy sets, including every
// selector operator, CIDR excepts, named ports, and Deny/Pass/Log actions across tiers.
#pragma once

#include <rapidcheck.h>

#include <array>
#include <optional>

#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::test {

struct World {
  ir::Inventory inventory;
  ir::PolicySet policies;
};

// Where a world's addresses lie. The default is the 10.0.0.0/16 layout: pod i has
// 10.0.0.i (10.0.0.100+i when hostNetwork) and ipBlocks are 10.0.x.y/24..31. Kernel tests
// move it into a test range (v4_prefix {198, 18}) and may add IPv6: with v6_prefix set,
// every pod also gets the IPv6 address in v6_prefix/96 whose last two bytes are its IPv4
// address's, and each generated ipBlock is IPv6 half the time at the same offsets
// (10.0.x.y/n becomes the block of v6_prefix with bytes x, y last, length 96+n), so both
// families have the same shape. With the default, the generated values are exactly as before.
struct WorldAddresses {
  std::array<uint8_t, 2> v4_prefix = {10, 0};
  std::optional<ir::IpAddr> v6_prefix;  // the first 96 bits are used
};

// Small label and port vocabularies, so that selectors often match.
rc::Gen<ir::Labels> gen_labels();
rc::Gen<ir::Selector> gen_selector(int depth = 2);
// `nodes`: now and then a node selector (a peer of the nodes whose Node labels match).
rc::Gen<ir::Peer> gen_peer(const std::vector<std::string>& namespaces,
                           const WorldAddresses& addrs = {}, bool nodes = false);
// `icmp`: also ICMP/ICMPv6 type and code ranges, and ranges of every protocol from port 0
// (which hold every ICMP type and protocol without ports, ir::matches).
rc::Gen<ir::PortMatch> gen_port_match(bool icmp = false);
// A world; `k8s_only` restricts policies to what Kubernetes NetworkPolicy can say (no
// ICMP then); `icmp` as gen_port_match. `nodes`: Node objects n0 and n1 with random labels
// at host address 200 and 201 of the layout (n2's hostNetwork pods have none), peers
// with node selectors, and host policies (subjects selecting nodes); not with `k8s_only`.
rc::Gen<World> gen_world(bool k8s_only, const WorldAddresses& addrs = {}, bool icmp = false,
                         bool nodes = false);

}  // namespace nv::test
