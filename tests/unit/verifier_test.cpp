// The verifier on small hand-written cases: proofs, witnesses, and agreement with the
// reference evaluator on each witness (queries re-check every witness themselves).
#include <gtest/gtest.h>

#include "tests/support/support.h"
#include "verifier/holes.h"
#include "verifier/queries.h"
#include "verifier/solver.h"

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

// Checker::model_of, the one-shot path translation validation uses: it decides both ways,
// falls back to the SMT core where the bit-blasting tactics give up (an uninterpreted
// function), and a resource limit is Unknown, never an answer.
TEST(Checker, ModelOfDecidesFallsBackAndNeverPassesOnLimits) {
  z3::context ctx;
  verifier::Checker checker(ctx, {});
  z3::expr x = ctx.bv_const("x", 32), y = ctx.bv_const("y", 32);
  auto m = checker.model_of(x + y == ctx.bv_val(10, 32) && z3::ugt(x, ctx.bv_val(7, 32)) &&
                                z3::ult(x, ctx.bv_val(10, 32)) && z3::ult(y, ctx.bv_val(10, 32)),
                            "bv-sat");
  ASSERT_TRUE(m);
  uint64_t xv = m->eval(x, true).get_numeral_uint64(), yv = m->eval(y, true).get_numeral_uint64();
  EXPECT_EQ(xv + yv, 10u);
  EXPECT_GT(xv, 7u);
  EXPECT_FALSE(checker.model_of(z3::ult(x, y) && z3::ult(y, x), "bv-unsat"));

  z3::sort bv = ctx.bv_sort(8);
  z3::func_decl f = z3::function("f", bv, bv);
  z3::expr a = ctx.bv_const("a", 8), b = ctx.bv_const("b", 8);
  auto uf = checker.model_of(f(a) != f(b) && a != ctx.bv_val(3, 8), "uf-sat");
  ASSERT_TRUE(uf);
  EXPECT_FALSE(uf->eval(a, true).get_numeral_uint64() == uf->eval(b, true).get_numeral_uint64());
  EXPECT_FALSE(checker.model_of(f(a) != f(b) && a == b, "uf-unsat"));

  verifier::SolverOptions tight;
  tight.rlimit = 1;
  verifier::Checker limited(ctx, tight);
  z3::expr p = ctx.bv_const("p", 64), q = ctx.bv_const("q", 64);
  EXPECT_THROW(limited.model_of(p * q == ctx.bv_val(uint64_t{1000000007} * 998244353, 64) &&
                                    z3::ugt(p, ctx.bv_val(1, 64)) && z3::ugt(q, ctx.bv_val(1, 64)),
                                "factor"),
               verifier::SolverUnknown);
}

// Pinned to an inventory, two pods of one class (alike for the policies) are still two
// pods: traffic between them exists, and its verdict is proved. (The destination used to
// be pinned to the class's first pod's address, as the source is, so that such a pair
// had no model: "no such traffic".)
TEST(Verifier, PinnedReachBetweenTwoPodsOfOneClass) {
  auto w = test::load_text(kAllowFrontend, test::inventory_yaml({
                                               "ns prod",
                                               "pod prod/b1 10.0.0.1 app=backend node=n1",
                                               "pod prod/b2 10.0.0.2 app=backend node=n2",
                                               "pod prod/f 10.0.0.3 app=frontend node=n1",
                                           }));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  verifier::Scope scope;
  scope.from = pods("prod", "app", "backend");
  scope.to = pods("prod", "app", "backend");
  scope.proto = ir::kTCP;
  scope.port = 8080;
  verifier::QueryOptions opt;
  opt.pin = &w->inventory;
  auto r = verifier::reach(w->policies, scope, opt);
  EXPECT_EQ(r.answer, ReachResult::Answer::Denied);
  ASSERT_TRUE(r.denied);
  EXPECT_NE(r.denied->pkt.src.pod, r.denied->pkt.dst.pod);
  EXPECT_EQ(r.denied->pkt.src.pod->labels.at("app"), "backend");
  EXPECT_EQ(r.denied->pkt.dst.pod->labels.at("app"), "backend");
}

// Pinned to an inventory, a node's address is an end too (it used to be excluded: "no such
// traffic" for a question about a node). A node and its own pods always talk (the
// evaluator's node-local shortcut), so they are never the two ends of a pinned query.
TEST(Verifier, PinnedReachFromANodeAddress) {
  auto w = test::load_text(kAllowFrontend, test::inventory_yaml({
                                               "ns prod",
                                               "ns kube-system",
                                               "pod prod/b1 10.0.0.1 app=backend node=n1",
                                               "pod prod/b2 10.0.0.2 app=backend node=n2",
                                               "pod prod/f 10.0.0.3 app=frontend node=n1",
                                               "pod kube-system/agent 10.0.9.1 node=n1 hostNetwork",
                                           }));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  ir::Peer node_addr;
  node_addr.cidrs = std::vector<ir::CidrBlock>{{*ir::Cidr::parse("10.0.9.1/32"), {}}};
  verifier::QueryOptions opt;
  opt.pin = &w->inventory;
  opt.families = {ir::Family::V4};
  verifier::Scope scope;
  scope.from = node_addr;
  scope.to = pods("prod", "app", "backend");
  scope.proto = ir::kTCP;
  scope.port = 8080;
  auto r = verifier::reach(w->policies, scope, opt);
  EXPECT_EQ(r.answer, ReachResult::Answer::Denied);
  ASSERT_TRUE(r.denied);
  EXPECT_EQ(r.denied->pkt.src.kind, ir::EndpointKind::Host);
  EXPECT_EQ(r.denied->pkt.src.node, "n1");
  ASSERT_TRUE(r.denied->pkt.dst.pod);
  EXPECT_EQ(r.denied->pkt.dst.pod->name, "b2");  // b1 is on n1: node-local
  EXPECT_FALSE(ir::evaluate(w->policies, *r.denied->inv, r.denied->pkt).allowed);

  // The frontend is on n1 only: every such packet is node-local.
  scope.to = pods("prod", "app", "frontend");
  EXPECT_EQ(verifier::reach(w->policies, scope, opt).answer, ReachResult::Answer::NoSuchTraffic);
  // To the node from a pod of another node: policy decides (here nothing isolates egress).
  scope.from = pods("prod", "app", "backend");
  scope.to = node_addr;
  r = verifier::reach(w->policies, scope, opt);
  EXPECT_EQ(r.answer, ReachResult::Answer::Allowed);
  ASSERT_TRUE(r.allowed);
  EXPECT_EQ(r.allowed->pkt.src.pod->name, "b2");
  EXPECT_EQ(r.allowed->pkt.dst.kind, ir::EndpointKind::Host);
}

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

namespace nv {
namespace {

// A tiered set built directly in IR: a Deny rule that pre-empts a later Allow.
ir::PolicySet deny_then_allow() {
  ir::PolicySet ps;
  ps.add_tier({"security", 1, ir::Action::Pass});
  ir::Policy p;
  p.dialect = "test";
  p.kind = "P";
  p.name = "guard";
  p.tier = "security";
  p.order = 1;
  p.subject.kinds = ir::mask(ir::EndpointKind::Pod);
  p.subject.ns_name = "prod";
  auto& in = p.dir(ir::Direction::Ingress);
  in.isolates = true;
  ir::Rule deny;
  deny.action = ir::Action::Deny;
  deny.path = "deny-web";
  deny.ports.push_back({ir::kTCP, 80, 90, ""});
  ir::Rule allow;
  allow.action = ir::Action::Allow;
  allow.path = "allow-80";
  allow.ports.push_back({ir::kTCP, 80, 80, ""});
  in.rules = {deny, allow};
  ps.add(p);
  ps.finalize();
  return ps;
}

TEST(Holes, DenyBeforeAllowIsShadowed) {
  ir::PolicySet ps = deny_then_allow();
  ir::Inventory inv;
  auto report = verifier::find_holes(ps, inv, {});
  bool shadowed = false;
  for (const auto& f : report.findings)
    if (f.code == ir::Code::NV8006 && f.rule && f.rule->path == "allow-80") shadowed = true;
  EXPECT_TRUE(shadowed);
}

// Two threads find what one finds, in the same order: every code, place, message and
// proved property (witnesses may differ: each thread's solver has its own history).
TEST(Holes, TwoThreadsFindWhatOneFinds) {
  std::string policies;
  for (int i = 0; i < 40; ++i) {
    std::string ns = "ns" + std::to_string(i);
    for (const char* f : {"default-deny-all.yaml", "web-tier-policy.yaml", "backend-egress-policy.yaml",
                          "allow-frontend-to-backend.yaml"}) {
      std::string text = test::read_file(std::string(NV_SOURCE_DIR "/corpus/guide/policies/") + f);
      for (size_t at; (at = text.find("namespace: production")) != std::string::npos;)
        text.replace(at, 21, "namespace: " + ns);
      policies += "---\n" + text;
    }
  }
  auto w = test::load_text(policies);
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  ASSERT_GE(w->policies.policies().size(), 160u);
  verifier::HoleOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto a = verifier::find_holes(w->policies, w->inventory, one);
  auto b = verifier::find_holes(w->policies, w->inventory, two);
  ASSERT_EQ(a.findings.size(), b.findings.size());
  EXPECT_GE(a.findings.size(), 160u);
  for (size_t i = 0; i < a.findings.size(); ++i) {
    EXPECT_EQ(a.findings[i].code, b.findings[i].code) << i;
    EXPECT_EQ(a.findings[i].message, b.findings[i].message) << i;
    EXPECT_EQ(a.findings[i].span.line, b.findings[i].span.line) << i;
    EXPECT_EQ(a.findings[i].witness.has_value(), b.findings[i].witness.has_value()) << i;
  }
  EXPECT_EQ(a.proved, b.proved);
}

TEST(Verifier, EquivDistinguishesTierActions) {
  ir::PolicySet a = deny_then_allow();
  ir::PolicySet b = deny_then_allow();
  verifier::Scope scope;
  EXPECT_TRUE(verifier::compare(a, b, verifier::Relation::Equiv, scope, {}).holds);
  // Swap the rules: now TCP/80 is allowed.
  ir::PolicySet c;
  c.add_tier({"security", 1, ir::Action::Pass});
  ir::Policy p = a.policies()[0];
  std::swap(p.dir(ir::Direction::Ingress).rules[0], p.dir(ir::Direction::Ingress).rules[1]);
  c.add(p);
  c.finalize();
  auto r = verifier::compare(a, c, verifier::Relation::Equiv, scope, {});
  ASSERT_FALSE(r.holds);
  ASSERT_TRUE(r.witness);
  EXPECT_EQ(r.witness->pkt.proto, ir::kTCP);
  EXPECT_EQ(r.witness->pkt.port, 80);
  EXPECT_FALSE(r.a_allows);
}

TEST(Verifier, SolverResourceLimitIsUnknownNeverAPass) {
  ir::PolicySet a = deny_then_allow();
  verifier::QueryOptions opt;
  opt.solver.rlimit = 1;
  EXPECT_THROW(verifier::compare(a, a, verifier::Relation::Equiv, {}, opt),
               verifier::SolverUnknown);
}

TEST(Verifier, DiffRegionsNameTheChangedPort) {
  ir::PolicySet a = deny_then_allow();
  ir::PolicySet c;
  c.add_tier({"security", 1, ir::Action::Pass});
  ir::Policy p = a.policies()[0];
  std::swap(p.dir(ir::Direction::Ingress).rules[0], p.dir(ir::Direction::Ingress).rules[1]);
  c.add(p);
  c.finalize();
  verifier::QueryOptions opt;
  opt.families = {ir::Family::V4};
  auto d = verifier::diff(a, c, {}, opt);
  ASSERT_EQ(d.opened.size(), 1u);
  EXPECT_TRUE(d.closed.empty());
  EXPECT_EQ(d.opened[0].traffic, "TCP port 80");
  EXPECT_NE(d.opened[0].to.find("namespace prod"), std::string::npos) << d.opened[0].to;
}

// A container port is TCP, UDP or SCTP (k8s core/v1 ContainerPort): a named port of every
// protocol is exactly the same name on the three, and not on two of them.
TEST(Verifier, SymbolicNamedPortsAreTcpUdpOrSctp) {
  auto policy = [](const std::vector<int>& protos) {
    ir::PolicySet ps;
    ps.add_tier(ir::Tier{ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny});
    ir::Policy p;
    p.dialect = "test";
    p.kind = "P";
    p.name = "named";
    p.ns = "prod";
    p.tier = ir::kDefaultTier;
    p.subject = pods("prod", "app", "api");
    p.dir(ir::Direction::Ingress).isolates = true;
    ir::Rule r;
    r.path = "spec.ingress[0]";
    for (int proto : protos) {
      ir::PortMatch pm;
      pm.proto = proto;
      pm.named = "http";
      r.ports.push_back(pm);
    }
    p.dir(ir::Direction::Ingress).rules.push_back(r);
    ps.add(p);
    ps.finalize();
    return ps;
  };
  ir::PolicySet any = policy({ir::kAnyProto});
  ir::PolicySet three = policy({ir::kTCP, ir::kUDP, ir::kSCTP});
  ir::PolicySet two = policy({ir::kTCP, ir::kUDP});
  verifier::Scope scope;
  EXPECT_TRUE(verifier::compare(any, three, verifier::Relation::Equiv, scope, {}).holds);
  auto r = verifier::compare(any, two, verifier::Relation::Equiv, scope, {});
  ASSERT_FALSE(r.holds);
  ASSERT_TRUE(r.witness);
  EXPECT_EQ(r.witness->pkt.proto, ir::kSCTP);
}

}  // namespace
}  // namespace nv
