// The nftables backend: a node plan as one `nft -f` script that replaces the table
// `inet netverify` in a single transaction.
//
// Layout: the base chain `forward` accepts established and related packets, then sends a
// packet from one of the node's isolated pods (set `egress4`/`egress6`) to chain `e4`/`e6`
// and one to such a pod (`ingress4`/`ingress6`) to `i4`/`i6`. Those look the peer address
// up in an interval verdict map (`e4_peers`) of peer groups (peer_groups.h): the verdict
// is the group's answer when it is the same for all the node's pods, else `goto` a group
// chain (`e4_g3`) that looks the node's pod up in an exact map. Answers are `return`
// (allowed), `drop`, or `goto` a port chain, which looks `meta l4proto . th dport` up in a
// concatenated interval set (ICMP and ICMPv6: `meta l4proto . th sport`, the ICMP
// header's type and code). Classifying a packet is a fixed number of set lookups,
// whatever the number of pods and policies.
#pragma once

#include <string>

#include "compiler/backends/plan.h"

namespace nv::backends {

struct EmitInfo {
  std::string version = "netverify 0.1.0";
  std::vector<std::string> header;  // extra comment lines (inputs, approximations)
};

std::string emit_nft(const NodePlan& plan, const EmitInfo& info);

// Shared by the backends.
std::string addr_text(u128 v, ir::Family f);
// "a.b.c.d", "a.b.c.0/24" or "lo-hi": the shortest exact text of a run.
std::string run_text(u128 lo, u128 hi, ir::Family f);
std::string proto_text(int proto);  // "tcp", "udp", "sctp", "icmp", "icmpv6", or the number

}  // namespace nv::backends
