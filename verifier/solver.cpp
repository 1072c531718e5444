#include "verifier/solver.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace nv::verifier {

Checker::Checker(z3::context& ctx, SolverOptions opt) : ctx_(ctx), opt_(std::move(opt)) {}

z3::solver Checker::make_solver() {
  z3::solver s(ctx_);
  z3::params p(ctx_);
  if (opt_.timeout_ms) p.set("timeout", opt_.timeout_ms);
  if (opt_.rlimit) p.set("rlimit", opt_.rlimit);
  s.set(p);
  return s;
}

static bool decide(z3::check_result r, z3::solver& s, const std::string& name) {
  if (r == z3::sat) return true;
  if (r == z3::unsat) return false;
  throw SolverUnknown(name, s.reason_unknown());
}

bool Checker::sat(z3::solver& s, const std::string& name) {
  ++checks_;
  if (!opt_.emit_smt2_dir.empty()) {
    std::filesystem::create_directories(opt_.emit_smt2_dir);
    char seq[16];
    std::snprintf(seq, sizeof seq, "%03u-", ++exported_);
    std::string safe;
    for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
    std::ofstream out(std::filesystem::path(opt_.emit_smt2_dir) / (seq + safe.substr(0, 80) + ".smt2"));
    out << "; netverify query: " << name << "\n"
        << "; sat: a witness exists; unsat: proved\n"
        << s.to_smt2();
  }
  return decide(s.check(), s, name);
}

bool Checker::sat(z3::solver& s, const z3::expr_vector& assumptions) {
  ++checks_;
  return decide(s.check(assumptions), s, "a witness minimization");
}

}  // namespace nv::verifier
