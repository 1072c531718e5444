// Address and port ranges in the shapes that packet filters match: CIDR prefixes and
// value/mask pairs. Pure functions for the rule compiler; proofs/ proves them against
// the Z3 encoding (proofs/README.md).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ip.h"

namespace nv::ir {

// `c` minus every prefix of `except`, as the fewest disjoint prefixes, sorted by address
// (no two results are siblings that could merge into their parent). Excepts of the other
// family are ignored; excepts reaching outside `c` are clipped to it.
std::vector<Cidr> cidr_minus(const Cidr& c, const std::vector<Cidr>& except);

// A port block as u32/TCAM/nft bitmask matches see it: `(port & mask) == value`.
struct MaskedPort {
  uint16_t value = 0, mask = 0;

  bool operator==(const MaskedPort&) const = default;
  bool matches(uint16_t port) const { return (port & mask) == value; }
};

// The inclusive range lo..hi as the fewest aligned value/mask blocks, in ascending
// order; empty when lo > hi.
std::vector<MaskedPort> split_port_range(uint16_t lo, uint16_t hi);

}  // namespace nv::ir
