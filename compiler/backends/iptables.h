// The iptables backend: a node plan as iptables-restore input (IPv4), ip6tables-restore
// input (IPv6) and ipset restore input, the same layout as the nft backend with ipsets
// (hash:net) where nft has sets and maps.
//
// The restore files declare and so flush only netverify's own chains (safe with
// --noflush). The jump into the entry chain NETVERIFY is not part of them: restore
// cannot add a rule to FORWARD idempotently, so the loader ensures it once
// (`iptables -C FORWARD -j NETVERIFY || iptables -I FORWARD 1 -j NETVERIFY`).
// Sets are filled under a temporary name and swapped in, so a reload never shows a
// half-filled set.
#pragma once

#include <string>

#include "compiler/backends/nft.h"
#include "compiler/backends/plan.h"

namespace nv::backends {

struct IptablesOutput {
  std::string rules4, rules6, ipsets;
};

IptablesOutput emit_iptables(const NodePlan& plan, const EmitInfo& info);

// What of the plan iptables cannot match exactly, or empty: ip6tables reads ICMP types
// only of ICMPv6 (the icmp6 match) and has no u32 match, so some but not all types or codes
// of ICMP (protocol 1) in IPv6 packets cannot be told apart; the emitted rules drop them
// (narrower) and translation validation would fail. One line per case.
std::vector<std::string> iptables_inexpressible(const NodePlan& plan);
}  // namespace nv::backends
