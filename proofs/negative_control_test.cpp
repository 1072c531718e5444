// The checker itself: a false obligation fails with its counterexample, and `unknown` is
// a failure too.
#include <gtest/gtest.h>

#include "proofs/catalog.h"

namespace nv::proofs {
namespace {

TEST(NegativeControl, AnOffByOneRangeFailsWithItsCounterexample) {
  z3::context ctx;
  Obligation ob = negative_control(ctx);
  Outcome out = check(ctx, ob);
  ASSERT_EQ(out.kind, Outcome::Kind::Failed);
  // 11.0.0.0 is the one address where the two sides differ.
  EXPECT_EQ(out.detail, "instance 10.0.0.0/8 fails at addr4 = 11.0.0.0");
  EXPECT_EQ(report_line(ob, out).rfind("FAILED negative_control.off_by_one ", 0), 0u)
      << report_line(ob, out);
}

TEST(NegativeControl, UnknownIsAFailure) {
  z3::context ctx;
  auto obs = all_obligations(ctx);
  ASSERT_FALSE(obs.empty());
  CheckOptions opt;
  opt.rlimit = 1;  // gives up at once
  Outcome out = check(ctx, obs.front(), opt);
  EXPECT_EQ(out.kind, Outcome::Kind::Unknown);
  EXPECT_FALSE(out.proved());
  EXPECT_EQ(report_line(obs.front(), out).rfind("FAILED ", 0), 0u) << report_line(obs.front(), out);
}

TEST(NegativeControl, EmittedFilesAssertTheNegation) {
  z3::context ctx;
  std::string text = to_smt2(ctx, negative_control(ctx));
  EXPECT_NE(text.find("(set-logic QF_BV)"), std::string::npos) << text;
  EXPECT_NE(text.find("(set-info :status unsat)"), std::string::npos) << text;
  EXPECT_NE(text.find("(not (and"), std::string::npos) << text;
  EXPECT_NE(text.find("(check-sat)"), std::string::npos) << text;
}

}  // namespace
}  // namespace nv::proofs
