// A canonical, deterministic text of the firewall model, for golden files and messages.
// Sets and chains by name, elements sorted by key, rules in order with their source line;
// addresses as address, prefix or range, protocols and ports as numbers.
#pragma once

#include <string>

#include "compiler/backends/firewall.h"

namespace nv::backends {

std::string dump(const Firewall& fw);

// Pieces, also useful in diagnostics.
std::string field_name(Field f);                 // "src4", "dport", "ct"...
std::string range_str(Field f, const Range& r);  // "10.0.0.0/8", "80-90", "established|related"
std::string verdict_str(const Verdict& v);       // "accept", "jump e4_c0"

}  // namespace nv::backends
