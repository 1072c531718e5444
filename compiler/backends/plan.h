// The firewall of one node, computed from the IR before any syntax is chosen.
//
// Enforcement model: a node filters forwarded packets. For each pod on the node (not
// hostNetwork) it applies the pod's egress policy to packets the pod sends and its
// ingress policy to packets it receives; directions that no policy isolates pass.
//
// The plan groups the node's pods into subject classes (pods selected by the same
// policies, with the same named ports where rules use them). For each class, direction
// and address family it holds a map from peer address to a PortSet, the protocols and
// ports the policies allow for that peer. Peer addresses are grouped the same way: the
// inventory's pods and nodes by the attributes the relevant selectors and CIDRs can tell
// apart, every other address by the intervals between CIDR boundaries. Each distinct
// (class, peer group) question is answered once by the tier walk of ir/evaluate.cpp on
// PortSets instead of single ports, so the cost grows with classes, groups and rules,
// not with pods x pods x ports.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/backends/firewall.h"
#include "ir/diagnostic.h"
#include "ir/evaluate.h"

namespace nv::backends {

struct PortRange {
  uint16_t lo = 0, hi = 0;
  bool operator==(const PortRange&) const = default;
  auto operator<=>(const PortRange&) const = default;
};

// A set of (protocol, port) pairs. TCP, UDP and SCTP carry ports, ICMP and ICMPv6 carry
// type << 8 | code in the same place (ir/model.h is_icmp); every other protocol carries
// port 0 (ir::Packet's convention), so for them the set is a set of protocols.
struct PortSet {
  static constexpr std::array<int, 5> kPortProtos = {ir::kTCP, ir::kUDP, ir::kSCTP, ir::kICMP,
                                                     ir::kICMPv6};
  static constexpr int kTransport = 3;  // kPortProtos[0..3) have real ports, the rest ICMP

  std::array<std::vector<PortRange>, 5> ranges;  // by kPortProtos; sorted, disjoint, merged
  std::bitset<256> protos;  // protocols without ports; those of kPortProtos unused

  static PortSet none() { return {}; }
  static PortSet all();
  // The packets a rule's port match accepts; `dst` resolves named ports (ir::matches).
  static PortSet of(const ir::PortMatch& pm, const ir::Endpoint& dst);

  // Protocols allowed whole: `protos`, and ICMP/ICMPv6 when every type and code is in.
  std::bitset<256> whole_protos() const;
  // ICMP/ICMPv6 when some but not all types or codes are in (what needs a type match).
  std::bitset<256> partial_icmp() const;

  bool is_none() const;
  bool is_all() const;
  bool contains(int proto, uint16_t port) const;
  PortSet unite(const PortSet& o) const;
  PortSet intersect(const PortSet& o) const;
  PortSet minus(const PortSet& o) const;
  // "TCP/80,1000-2000 UDP/53 ICMP/type 8,type 3 code 1 proto 47", "all", "none"
  std::string str() const;

  bool operator==(const PortSet& o) const { return ranges == o.ranges && protos == o.protos; }
};
// Whether the protocol's packets carry a port (TCP, UDP, SCTP) or an ICMP type and code
// in PortSet::ranges.
bool is_port_proto(int proto);

// A contiguous run of peer addresses (as integers, see addr_value) with one PortSet.
struct AddrRun {
  u128 lo = 0, hi = 0;
  uint32_t set = 0;  // index into NodePlan::portsets
};

// Peer address -> allowed PortSet, as disjoint runs plus a default for every address
// that no run covers (the PortSet that would need the most runs).
struct PeerMap {
  std::vector<AddrRun> runs;  // sorted by address
  uint32_t fallback = 0;
};

struct SubjectClass {
  std::vector<const ir::Pod*> pods;  // sorted by address
  // [direction][family: 0 IPv4, 1 IPv6]: isolated, and if so the peer map.
  std::array<std::array<bool, 2>, 2> isolated{};
  std::array<std::array<PeerMap, 2>, 2> peers;
};

struct NodePlan {
  std::string node;
  std::vector<PortSet> portsets;  // 0 is none(), 1 is all()
  std::vector<SubjectClass> classes;
  size_t policies_total = 0, policies_selecting = 0;  // for the output header, as written
  size_t peer_groups = 0;                              // peer address groups, both families
};

inline constexpr uint32_t kNone = 0, kAll = 1;
inline int family_index(ir::Family f) { return f == ir::Family::V4 ? 0 : 1; }

// The pods the node enforces policy for: on `node`, not hostNetwork, with an address.
std::vector<const ir::Pod*> local_pods(const ir::Inventory& inv, const std::string& node);
// Whether the inventory knows the node (a Node object or a pod scheduled on it).
bool node_known(const ir::Inventory& inv, const std::string& node);

NodePlan plan_node(const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node);

// The plan's verdict for one packet crossing the node (new connection): what the emitted
// ruleset must do. For tests: equals ir::evaluate() on the node's share of the decision.
bool plan_allows(const NodePlan& plan, const ir::Inventory& inv, const ir::IpAddr& src,
                 const ir::IpAddr& dst, int proto, uint16_t port);

// The fewest CIDR prefixes that cover lo..hi exactly, ascending.
std::vector<ir::Cidr> range_to_cidrs(u128 lo, u128 hi, ir::Family f);

}  // namespace nv::backends
