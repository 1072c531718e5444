// The iptables backend's rules for ICMP and ICMPv6 with some types or codes only.
#pragma once

#include <string>
#include <vector>

#include "compiler/backends/plan.h"

namespace nv::backends {

// Appends to chain `c` the rules that decide every ICMP packet of protocol `proto` (1 or
// 58) in family `fi` (0 IPv4, 1 IPv6): RETURN when its type << 8 | code is in `allowed`
// (some but not all values), else DROP.
void iptables_icmp_rules(std::string& out, const std::string& c,
                         const std::vector<PortRange>& allowed, int proto, int fi);

}  // namespace nv::backends
