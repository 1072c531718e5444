// Running Z3: timeouts, `unknown` as its own outcome, SMT-LIB export of every query.
#pragma once

#include <z3++.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace nv::verifier {

struct SolverOptions {
  unsigned timeout_ms = 60'000;  // per check; 0: none
  unsigned rlimit = 0;           // Z3 resource limit per check (deterministic); 0: none
  std::string emit_smt2_dir;     // when set, every query is written there first
};

// The solver could not decide (timeout, resource limit, incompleteness). Never a pass.
class SolverUnknown : public std::runtime_error {
 public:
  SolverUnknown(const std::string& query, const std::string& reason)
      : std::runtime_error("the solver could not decide " + query + " (" + reason + ")") {}
};

// A disagreement between Z3 and the reference evaluator: a bug in netverify.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Checker {
 public:
  Checker(z3::context& ctx, SolverOptions opt);

  z3::solver make_solver();
  // sat: true; unsat: false; unknown: throws SolverUnknown. `name` names the query in
  // errors and in the exported file (NNN-name.smt2).
  bool sat(z3::solver& s, const std::string& name);
  bool sat(z3::solver& s, const z3::expr_vector& assumptions);  // not exported
  // One check of one large formula (translation validation): a model if it is
  // satisfiable, nothing if not. Simplifies, eliminates equations, bit-blasts and runs the
  // SAT solver, which decides these quantifier-free bit-vector formulas about twice as fast
  // as the default incremental solver; where that gives up as incomplete (strings,
  // uninterpreted functions), the default solver decides. Exported like sat().
  // With `small`, the bit-blasted formula goes to the SMT core instead of the SAT
  // solver: each run of the SAT tactic costs about 2.5 ms before it decides anything
  // (Z3 4.8.12), the SMT core about 0.2 ms, which is most of what a small query costs.
  // The 220 small translation-validation queries of the benchmark node took 2.3 s with
  // the SAT solver and 0.7 s with the SMT core; the one large one, 1.0 s and 1.3 s when
  // its ends had symbolic labels, 0.19 s and 0.13 s since they are pinned by index.
  std::optional<z3::model> model_of(const z3::expr& formula, const std::string& name,
                                    bool small = false);
  const SolverOptions& options() const { return opt_; }
  unsigned checks() const { return checks_; }

 private:
  void export_smt2(z3::solver& s, const std::string& name);
  z3::context& ctx_;
  SolverOptions opt_;
  unsigned exported_ = 0, checks_ = 0;
};

// Whether NETVERIFY_TIMINGS is set (and not 0): then commands print where their time goes
// to stderr, as lines "timing: ...".
bool timings_requested();

// Runs work(0), ..., work(n - 1) at once: work(0) on this thread, the others on threads of
// their own, each of which must use a Z3 context of its own. Returns when all are done.
// `work` must not throw; catch inside and keep the error with that worker's result.
void on_threads(size_t n, const std::function<void(size_t)>& work);

}  // namespace nv::verifier
