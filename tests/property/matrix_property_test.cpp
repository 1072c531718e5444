// The class-based matrix agrees with the reference evaluator on every pair, for random
// inventories and policy sets (Kubernetes-shaped, and with tiers and every action).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "ir/evaluate.h"
#include "ir/matrix.h"
#include "tests/property/generators.h"

using namespace nv;

static void check(const test::World& w) {
  ir::MatrixOptions opt;
  opt.proto = *rc::gen::element(ir::kTCP, ir::kUDP, ir::kSCTP);
  opt.port = static_cast<uint16_t>(*rc::gen::inRange(79, 83));
  auto m = ir::Matrix::compute(w.policies, w.inventory, opt);
  RC_ASSERT(m.pods().size() == w.inventory.pods.size());
  uint64_t count = 0;
  for (size_t i = 0; i < m.pods().size(); ++i)
    for (size_t j = 0; j < m.pods().size(); ++j) {
      ir::Packet pkt{ir::Endpoint::of_pod(*m.pods()[i], opt.family),
                     ir::Endpoint::of_pod(*m.pods()[j], opt.family), opt.proto, opt.port};
      bool want = ir::evaluate(w.policies, w.inventory, pkt).allowed;
      RC_ASSERT(m.allowed(i, j) == want);
      count += want;
    }
  RC_ASSERT(m.count_allowed() == count);
}

RC_GTEST_PROP(MatrixProperty, AgreesWithEvaluatorOnKubernetesShapedPolicies, ()) {
  check(*test::gen_world(true));
}

RC_GTEST_PROP(MatrixProperty, AgreesWithEvaluatorWithTiersAndAllActions, ()) {
  check(*test::gen_world(false));
}

// Node selectors and host policies: hostNetwork pods are their nodes, told apart by node.
RC_GTEST_PROP(MatrixProperty, AgreesWithEvaluatorWithNodeSelectorsAndHostPolicies, ()) {
  check(*test::gen_world(false, {}, false, true));
}
