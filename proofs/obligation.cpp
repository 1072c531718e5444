#include "proofs/obligation.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "ir/ip.h"

namespace nv::proofs {

namespace {

z3::expr negated_goal(z3::context& ctx, const Obligation& ob) {
  z3::expr_vector claims(ctx);
  for (const auto& i : ob.instances) claims.push_back(i.claim);
  return !z3::mk_and(claims);
}

std::string show(const z3::expr& v, Show how) {
  if (how == Show::Number) {
    uint64_t n = 0;
    if (v.is_numeral_u64(n)) return std::to_string(n);
    return v.to_string();
  }
  std::string digits = Z3_get_numeral_binary_string(v.ctx(), v);  // most significant first
  unsigned bits = how == Show::Ipv4 ? 32 : 128;
  digits.insert(0, bits - digits.size(), '0');
  ir::IpAddr a;
  a.family = how == Show::Ipv4 ? ir::Family::V4 : ir::Family::V6;
  for (unsigned i = 0; i < bits; ++i)
    if (digits[i] == '1') a.bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return a.str();
}

}  // namespace

Outcome check(z3::context& ctx, const Obligation& ob, const CheckOptions& opt) {
  auto start = std::chrono::steady_clock::now();
  z3::solver s(ctx, "QF_BV");
  z3::params p(ctx);
  if (opt.timeout_ms) p.set("timeout", opt.timeout_ms);
  if (opt.rlimit) p.set("rlimit", opt.rlimit);
  s.set(p);
  for (const auto& e : ob.premises) s.add(e);
  s.add(negated_goal(ctx, ob));
  Outcome out;
  switch (s.check()) {
    case z3::unsat:
      out.kind = Outcome::Kind::Proved;
      break;
    case z3::sat: {
      out.kind = Outcome::Kind::Failed;
      z3::model m = s.get_model();
      for (const auto& i : ob.instances)
        if (m.eval(i.claim, true).is_false()) {
          out.detail = "instance " + i.name;
          break;
        }
      std::string values;
      for (const auto& v : ob.vars)
        values += (values.empty() ? "" : ", ") + v.e.to_string() + " = " +
                  show(m.eval(v.e, true), v.show);
      out.detail += (out.detail.empty() ? "" : " fails at ") + values;
      break;
    }
    default:
      out.kind = Outcome::Kind::Unknown;
      out.detail = "solver answered unknown (" + s.reason_unknown() + ")";
      break;
  }
  for (const auto& r : ob.reachable) {
    if (!out.proved()) break;
    s.reset();
    s.set(p);
    for (const auto& e : ob.premises) s.add(e);
    s.add(r.claim);
    switch (s.check()) {
      case z3::sat:
        break;
      case z3::unsat:
        out.kind = Outcome::Kind::Failed;
        out.detail = "vacuous: the premises rule out " + r.name;
        break;
      default:
        out.kind = Outcome::Kind::Unknown;
        out.detail = "solver answered unknown on the non-vacuity check " + r.name + " (" +
                     s.reason_unknown() + ")";
        break;
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string to_smt2(z3::context& ctx, const Obligation& ob) {
  // Printed from a fresh context: the printer names shared subterms after internal ids,
  // which there depend on this obligation alone, not on what else the context holds.
  z3::context fresh;
  std::vector<z3::expr> premises;
  for (const auto& e : ob.premises) premises.emplace_back(fresh, Z3_translate(ctx, e, fresh));
  z3::expr goal(fresh, Z3_translate(ctx, negated_goal(ctx, ob), fresh));
  std::vector<Z3_ast> assumptions(premises.begin(), premises.end());
  std::string header =
      "; " + ob.name + ": " + ob.statement + "\n; " + std::to_string(ob.instances.size()) +
      " instances, asserted as one negated conjunction: the answer must be unsat.\n";
  return header + Z3_benchmark_to_smtlib_string(fresh, ob.name.c_str(), "QF_BV", "unsat", "",
                                                static_cast<unsigned>(assumptions.size()),
                                                assumptions.data(), goal);
}

std::string report_line(const Obligation& ob, const Outcome& out) {
  char t[32];
  std::snprintf(t, sizeof t, "%.2f s", out.seconds);
  std::string stats = "(" + std::to_string(ob.instances.size()) + " instances, " + t + ")";
  if (out.proved()) return "proved  " + ob.name + "  " + stats;
  return "FAILED " + ob.name + "  " + stats + ": " + out.detail;
}

z3::expr bv_bytes(z3::context& ctx, const uint8_t* bytes, unsigned n) {
  z3::expr r = ctx.bv_val(static_cast<uint64_t>(bytes[0]), 8);
  for (unsigned i = 1; i < n; ++i)
    r = z3::concat(r, ctx.bv_val(static_cast<uint64_t>(bytes[i]), 8));
  return r.simplify();  // one numeral
}

z3::expr bv_u64(z3::context& ctx, uint64_t v, unsigned width) { return ctx.bv_val(v, width); }

}  // namespace nv::proofs
