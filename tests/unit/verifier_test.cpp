// The verifier on small hand-written cases: proofs, witnesses, and agreement with the
// reference evaluator on each witness (queries re-check every witness themselves).
#include <gtest/gtest.h>

#include "tests/support/support.h"
#include "verifier/queries.h"

namespace nv {
namespace {

using verifier::ReachResult;

ir::Peer pods(const std::string& ns, const std::string& key, const std::string& value) {
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Pod);
  p.ns_name = ns;
  p.pod_selector = ir::Selector::eq(key, value);
  return p;
}

const char* kAllowFrontend = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: prod}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports:
    - {protocol: TCP, port: 8080}
)";

TEST(Verifier, ReachProvedAllowedForEveryMatchingPod) {
  auto w = test::load_text(kAllowFrontend);
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  verifier::Scope scope;
  scope.from = pods("prod", "app", "frontend");
  scope.to = pods("prod", "app", "backend");
  scope.proto = ir::kTCP;
  scope.port = 8080;
  auto r = verifier::reach(w->policies, scope, {});
  EXPECT_EQ(r.answer, ReachResult::Answer::Allowed);
  ASSERT_TRUE(r.allowed);
  EXPECT_FALSE(r.denied);
}

TEST(Verifier, ReachDependsGivesAWitnessOfEach) {
  auto w = test::load_text(kAllowFrontend);
  verifier::Scope scope;
  scope.to = pods("prod", "app", "backend");
  scope.proto = ir::kTCP;
  scope.port = 8080;
  auto r = verifier::reach(w->policies, scope, {});
  ASSERT_EQ(r.answer, ReachResult::Answer::Depends);
  ASSERT_TRUE(r.allowed && r.denied);
  // The allowed witness comes from a frontend pod of prod; the denied one from elsewhere.
  ASSERT_EQ(r.allowed->pkt.src.kind, ir::EndpointKind::Pod);
  EXPECT_EQ(r.allowed->pkt.src.pod->ns, "prod");
  EXPECT_EQ(r.allowed->pkt.src.pod->labels.at("app"), "frontend");
  EXPECT_EQ(r.allowed->pkt.dst.pod->labels.at("app"), "backend");
}

TEST(Verifier, ReachProvedDeniedOnAnotherPort) {
  auto w = test::load_text(kAllowFrontend);
  verifier::Scope scope;
  scope.to = pods("prod", "app", "backend");
  scope.proto = ir::kTCP;
  scope.port = 9090;
  auto r = verifier::reach(w->policies, scope, {});
  EXPECT_EQ(r.answer, ReachResult::Answer::Denied);
}

}  // namespace
}  // namespace nv
