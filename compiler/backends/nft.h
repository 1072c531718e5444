// The nftables backend: a node plan as one `nft -f` script that replaces the table
// `inet netverify` in a single transaction.
//
// Layout: the base chain `forward` accepts established and related packets, then looks
// the source up in `egress4`/`egress6` (the node's pods -> their class's egress chain)
// and the destination in `ingress4`/`ingress6`. A class chain looks the peer address up
// in an interval verdict map whose verdicts are `return` (allowed), `drop`, or `goto` a
// port chain, which looks `meta l4proto . th dport` up in a concatenated interval set
// (ICMP and ICMPv6: `meta l4proto . th sport`, the ICMP header's type and code).
// Classifying a packet is a fixed number of set lookups, whatever the number of pods
// and policies.
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
