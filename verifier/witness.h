// Witness packets: a Z3 model turned back into endpoints the reference evaluator can
// judge, made small and readable first.
#pragma once

#include <z3++.h>

#include <memory>
#include <string>
#include <vector>

#include "ir/evaluate.h"
#include "verifier/encode.h"
#include "verifier/solver.h"

namespace nv::verifier {

struct Witness {
  std::shared_ptr<ir::Inventory> world;  // the fictional pods of a symbolic witness
  const ir::Inventory* inv = nullptr;    // `world`, or the pinned inventory
  ir::Packet pkt;
  ir::Family family = ir::Family::V4;
  bool l7_universe = false;  // requests were possible: say so when this packet has none
  bool node_universe = false;  // node selectors were in play: say what a node's labels are

  // "TCP 10.244.1.10 -> 10.244.2.20:8080 (IPv4)"
  std::string packet_line() const;
  // One line per endpoint: kind, namespace, labels, namespace labels, named ports.
  std::string endpoint_text(const ir::Endpoint& e) const;
  std::string text(const std::string& indent = "  ") const;
};

// Soft constraints for a readable witness, most wanted first: no labels beyond those the
// answer needs, pods rather than other endpoints, familiar addresses, TCP.
std::vector<z3::expr> readability(Encoder& enc, const SymPacket& pkt);

// Checks `s` (which must be satisfiable) under as many preferences as it can keep, and
// returns the model. Greedy by unsat cores, dropping the least wanted preference first.
// With `cap` (strings in play: L7 or FQDN), each check gets at most a few seconds.
z3::model minimize(Checker& checker, z3::solver& s, const std::vector<z3::expr>& prefs,
                   bool cap = false);
// Whether witnesses of this encoder's queries involve strings (L7 content, DNS names).
bool strings_in_play(const Encoder& enc);

Witness extract(Encoder& enc, const z3::model& m, const SymPacket& pkt);
// The endpoints, protocol and port only (extract adds the L7 content).
Witness extract_l34(Encoder& enc, const z3::model& m, const SymPacket& pkt);

// The evaluator's verdict must equal the model's value of `allowed`; throws InternalError
// naming `what` otherwise.
void recheck(const ir::PolicySet& ps, const Witness& w, bool expected, const std::string& what);

}  // namespace nv::verifier
