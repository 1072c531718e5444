// Parsers for the rulesets the backends emit (nft -f input; iptables-restore plus ipset
// restore input), into the firewall model, for translation validation. They read exactly
// the subset the backends emit (see corpus/rulesets/README.md): anything else is reported
// as NV9001 with its 1-based line:column, a reference to a missing chain or set, or a loop
// of jumps, as NV9002. Bounded time and memory on any input (fuzzed: tests/fuzz).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/backends/firewall.h"
#include "ir/diagnostic.h"
#include "ir/ip.h"

namespace nv::backends {

// An `nft -f` script. The entry chain is the base chain hooked on forward.
std::optional<Firewall> parse_nft(std::string_view text, const std::string& file,
                                  ir::Diagnostics& diags);

// iptables-restore (or ip6tables-restore, per `family`) input, with the ipset restore input
// it refers to (may be empty). The ipset commands run in order; the sets that exist at the
// end are the Firewall's sets. The entry chain is "NETVERIFY" (base, policy accept: falling
// off it returns to FORWARD, which netverify treats as accept).
std::optional<Firewall> parse_iptables(std::string_view rules, const std::string& rules_file,
                                       std::string_view ipsets, const std::string& ipset_file,
                                       ir::Family family, ir::Diagnostics& diags);

namespace detail {
// Shared by both parsers (defined in firewall.cpp).
struct SyntaxError {
  ir::Code code;
  int line, col;
  std::string message;
};
// "N" with only digits, at most `max`; no sign, at most 10 digits.
std::optional<uint32_t> parse_uint(std::string_view s, uint32_t max);
// An address "a", or with allow_prefix a prefix "a/len" (host bits cleared), of `family`.
std::optional<Range> parse_addr(std::string_view s, ir::Family family, bool allow_prefix);
// Every chain referenced (jump/goto, in rules and in the maps rules use) exists and is not a
// base chain, every set referenced exists with a matching key, and no jumps loop. Reports
// NV9002 at the referencing rule; returns false if anything was reported.
bool check_references(const Firewall& fw, ir::Diagnostics& diags);
}  // namespace detail

}  // namespace nv::backends
