// Translation validation: a node's emitted ruleset, parsed back into a Firewall, is
// proved to accept exactly the new connections that the policies allow on that node.
//
// The specification is the verifier's encoding of the IR (encode.h): a packet crossing
// the node is allowed when the source's egress allows it if the source is one of the
// node's pods, and the destination's ingress allows it if the destination is; packets
// between two other addresses pass. The ruleset side is firewall_z3.h. The packet space
// is cut into parts: one endpoint fixed to one of the node's pods and the other one of
// finitely many addresses that stand for every address (see validate.cpp), or both among
// the node's pods. Both ends are pinned by an index over those concrete endpoints
// (Encoder::pin_indexed), the same index the ruleset's address tests are encoded on
// (firewall_z3.h with_domains): which peer terms each endpoint passes is the reference
// evaluator's answer (ir::matches), and the tier walk, the rules and the ports stay
// symbolic. Z3 is asked for a packet where the two sides differ; none (unsat) in every
// part is the proof, `unknown` throws SolverUnknown.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "compiler/backends/firewall.h"
#include "ir/evaluate.h"
#include "verifier/solver.h"

namespace nv::verifier {

struct Counterexample {
  ir::IpAddr src, dst;
  int proto = ir::kTCP;
  uint16_t port = 0;
  bool policies_allow = false, ruleset_accepts = false;
  std::string text;  // the packet, both verdicts and the evaluator's reasons
};

// Proves the ruleset equivalent to the policies for new connections of one address
// family. Returns the distinguishing packet when they differ.
std::optional<Counterexample> validate_firewall(const ir::PolicySet& ps, const ir::Inventory& inv,
                                                const std::string& node, const backends::Firewall& fw,
                                                ir::Family family, const SolverOptions& opt);

// The same in two steps. What validation takes from the policies and the inventory for
// one node and family does not depend on the ruleset: prepare_validation builds it (on
// another thread while the ruleset is emitted, say; it reads `ps` and `inv` only, and
// keeps references to them, which must outlive it).
struct ValidationSpec;
std::shared_ptr<const ValidationSpec> prepare_validation(const ir::PolicySet& ps,
                                                         const ir::Inventory& inv,
                                                         const std::string& node,
                                                         ir::Family family);
std::optional<Counterexample> validate_firewall(const ValidationSpec& spec,
                                                const backends::Firewall& fw,
                                                const SolverOptions& opt);

}  // namespace nv::verifier
