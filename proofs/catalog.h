// Every obligation about the verifier's encoding, by what it covers. README.md says what
// each one states and why it matters.
#pragma once

#include <z3++.h>

#include <vector>

#include "proofs/obligation.h"

namespace nv::proofs {

// a.*: Encoder::in_cidr is the address range of the prefix; b.*: Encoder::in_block is
// the union of ir::cidr_minus.
std::vector<Obligation> cidr_obligations(z3::context& ctx);
// c.*: ir::split_port_range is the range; d.*: Encoder::port_match on numbers is the
// evaluator's protocol and range test; e.*: on names, the evaluator's Pod::named_port.
std::vector<Obligation> port_obligations(z3::context& ctx);

// The normal list, in report order.
std::vector<Obligation> all_obligations(z3::context& ctx);
// Obligations that currently fail because of known encoder bugs (README.md).
std::vector<Obligation> known_bug_obligations(z3::context& ctx);
// Deliberately false (an off-by-one range): must be reported FAILED with a counterexample.
Obligation negative_control(z3::context& ctx);

}  // namespace nv::proofs
