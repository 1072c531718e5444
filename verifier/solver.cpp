#include "verifier/solver.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

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

void Checker::export_smt2(z3::solver& s, const std::string& name) {
  if (opt_.emit_smt2_dir.empty()) return;
  std::filesystem::create_directories(opt_.emit_smt2_dir);
  char seq[16];
  std::snprintf(seq, sizeof seq, "%03u-", ++exported_);
  std::string safe;
  for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  std::ofstream out(std::filesystem::path(opt_.emit_smt2_dir) /
                    (seq + safe.substr(0, 80) + ".smt2"));
  out << "; netverify query: " << name << "\n"
      << "; sat: a witness exists; unsat: proved\n"
      << s.to_smt2();
}

bool Checker::sat(z3::solver& s, const std::string& name) {
  ++checks_;
  export_smt2(s, name);
  return decide(s.check(), s, name);
}

std::optional<z3::model> Checker::model_of(const z3::expr& formula, const std::string& name,
                                           bool small) {
  ++checks_;
  z3::params p(ctx_);
  if (opt_.timeout_ms) p.set("timeout", opt_.timeout_ms);
  if (opt_.rlimit) p.set("rlimit", opt_.rlimit);
  z3::tactic bv = z3::tactic(ctx_, "simplify") & z3::tactic(ctx_, "solve-eqs") &
                  z3::tactic(ctx_, "bit-blast") & z3::tactic(ctx_, small ? "smt" : "sat");
  z3::solver fast = bv.mk_solver();
  fast.set(p);
  fast.add(formula);
  export_smt2(fast, name);
  z3::check_result r = fast.check();
  if (r == z3::sat) return fast.get_model();
  if (r == z3::unsat) return std::nullopt;
  // The tactics can give up before the limits are reached: then the SMT core decides.
  std::string why = fast.reason_unknown();
  if (why.find("timeout") != std::string::npos || why.find("canceled") != std::string::npos ||
      why.find("resource") != std::string::npos)
    throw SolverUnknown(name, why);
  z3::solver s = make_solver();
  s.add(formula);
  if (decide(s.check(), s, name)) return s.get_model();
  return std::nullopt;
}

bool Checker::sat(z3::solver& s, const z3::expr_vector& assumptions) {
  ++checks_;
  return decide(s.check(assumptions), s, "a witness minimization");
}

bool timings_requested() {
  const char* v = std::getenv("NETVERIFY_TIMINGS");
  return v && *v && std::string(v) != "0";
}

void on_threads(size_t n, const std::function<void(size_t)>& work) {
  std::vector<std::thread> threads;
  try {
    for (size_t w = 1; w < n; ++w) threads.emplace_back(work, w);
  } catch (...) {  // no thread to spare: join those started, never leave one joinable
    for (auto& t : threads) t.join();
    throw;
  }
  work(0);
  for (auto& t : threads) t.join();
}

}  // namespace nv::verifier
