// The fixed inputs the obligations quantify over besides their symbolic variables:
// prefixes, CIDR blocks, port ranges and inventories, from edge cases and a fixed-seed
// generator whose output is the same on every platform (the SMT-LIB files are committed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::proofs {

// splitmix64: portable, unlike the standard distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n) { return next() % n; }  // bias is irrelevant here
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  uint64_t s_;
};

ir::Cidr cidr(const std::string& text);  // throws on bad text
// `c` with every bit from `len` on cleared, at length `len`.
ir::Cidr truncate(ir::Cidr c, int len);
// The last address of `c`: its network with every host bit set.
ir::IpAddr last_address(const ir::Cidr& c);
ir::Cidr random_cidr(Rng& r, ir::Family f, int len);
// A prefix of length len >= outer.len inside `outer`.
ir::Cidr random_inside(Rng& r, const ir::Cidr& outer, int len);

// Prefixes for the in_cidr obligations: for each length, the lowest and highest network
// and `per_len` random ones.
std::vector<ir::Cidr> prefix_cases(ir::Family f, const std::vector<int>& lens, unsigned per_len,
                                   uint64_t seed);
// Blocks for the except obligations: edge cases, then `n_random` random ones (excepts
// inside, equal, containing, outside, nested, overlapping, of the other family).
std::vector<ir::CidrBlock> block_cases(ir::Family f, unsigned n_random, uint64_t seed);
// Inclusive port ranges: edge cases, then `n_random` random ones.
std::vector<std::pair<uint16_t, uint16_t>> port_range_cases(unsigned n_random, uint64_t seed);

// Inventories for the named-port obligations, each with the policy set whose named ports
// (and selectors and CIDRs) form the verifier's universe.
struct InventoryCase {
  std::string name;
  ir::Inventory inv;
  ir::PolicySet policies;
  std::vector<ir::PortMatch> named;  // the named port matches to prove
};
std::vector<InventoryCase> inventory_cases();
// One pod whose port name "dns" is on UDP/53 and TCP/53, for Encoder::pin_to.
InventoryCase pin_to_case();

}  // namespace nv::proofs
