// Cilium's DNS name patterns (toFQDNs and rules.dns matchPattern) as ir::Regex, and back.
// The Cilium frontend lowers with fqdn_pattern; `convert --to cilium` recovers the pattern
// text with fqdn_pattern_text, which only answers when lowering its answer gives back
// exactly the same Regex, so a recovered pattern is never an approximation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/regex.h"

namespace nv::ir {

// cilium/cilium pkg/fqdn/matchpattern ToAnchoredRegexp, over a pattern already lower-cased
// and without its trailing dot: `*` alone is every name (one or more labels of
// `[-a-zA-Z0-9_]`); otherwise `.` is a literal dot and `*` is `[-a-zA-Z0-9_]*` (within one
// label), anchored at both ends. A pattern without `*` is a name (matchName lowers the same).
Regex fqdn_pattern(std::string_view pattern);

// The pattern P (letters, digits, '-', '_', '.', '*') with fqdn_pattern(P) == re; nullopt
// when there is none. A literal name comes back without `*` (write it as matchName).
std::optional<std::string> fqdn_pattern_text(const Regex& re);

}  // namespace nv::ir
