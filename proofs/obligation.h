// A proof obligation: premises and claims over symbolic values, proved by showing that
// premises ∧ ¬(claim₁ ∧ … ∧ claimₙ) has no model. Many instances of one statement (one per
// prefix length, per random block, per port range...) share one obligation, one solver
// call and one SMT-LIB file.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nv::proofs {

struct Instance {
  std::string name;  // e.g. "10.0.0.0/8" or "TCP/80-80"
  z3::expr claim;    // must hold under the premises
};

// How to print a variable of a counterexample.
enum class Show : uint8_t { Number, Ipv4, Ipv6 };
struct Var {
  z3::expr e;
  Show show = Show::Number;
};

struct Obligation {
  std::string name;       // stable; also the SMT-LIB file name (name.smt2)
  std::string statement;  // one sentence: what is proved
  std::vector<z3::expr> premises;
  std::vector<Instance> instances;
  std::vector<Var> vars;  // shown in counterexamples
  // Non-vacuity: each must be satisfiable together with the premises, or the proof could
  // rest on contradictory premises (checked by nv_proofs, not part of the SMT-LIB file).
  std::vector<Instance> reachable = {};
};

struct Outcome {
  enum class Kind : uint8_t { Proved, Failed, Unknown } kind = Kind::Unknown;
  std::string detail;  // the counterexample, or why the solver gave up
  double seconds = 0;
  bool proved() const { return kind == Kind::Proved; }
};

struct CheckOptions {
  unsigned timeout_ms = 60'000;
  unsigned rlimit = 0;  // 0: none (tests use a tiny one to force `unknown`)
};

// Solves premises ∧ ¬(∧ claims). unsat: proved, once every `reachable` condition is shown
// satisfiable under the premises; sat: failed, with the first instance the model breaks
// and the values of `vars`; unknown: never a pass.
Outcome check(z3::context& ctx, const Obligation& ob, const CheckOptions& opt = {});

// The obligation as an SMT-LIB 2 benchmark whose expected answer is unsat.
std::string to_smt2(z3::context& ctx, const Obligation& ob);

// "proved  name  (n instances, t s)" or "FAILED name: detail".
std::string report_line(const Obligation& ob, const Outcome& out);

// Bit-vector constants from plain integers or bytes (never through the encoder).
z3::expr bv_bytes(z3::context& ctx, const uint8_t* bytes, unsigned n);
z3::expr bv_u64(z3::context& ctx, uint64_t v, unsigned width);

}  // namespace nv::proofs
