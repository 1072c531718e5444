// The reference evaluator on hand-built IR: tiers, actions and the shortcuts that later
// dialects (Calico, Cilium, AdminNetworkPolicy) rely on.
#include <gtest/gtest.h>

#include "ir/evaluate.h"
#include "tests/support/support.h"

using namespace nv;
using namespace nv::ir;

namespace {

struct World {
  std::unique_ptr<test::Loaded> l = test::load_text(
      "", test::inventory_yaml({"ns a", "pod a/x 10.0.0.1 app=x node=n1",
                                "pod a/y 10.0.0.2 app=y node=n1", "pod a/z 10.0.0.3 app=z node=n2",
                                "pod a/h 192.168.0.1 node=n1 hostNetwork"}));
  PolicySet ps;

  Rule rule(Action a, std::optional<Selector> peer_pods, std::string path) {
    Rule r;
    r.action = a;
    r.path = std::move(path);
    if (peer_pods) {
      Peer p;
      p.kinds = mask(EndpointKind::Pod);
      p.pod_selector = *peer_pods;
      r.peers.push_back(p);
    }
    return r;
  }
  Policy policy(std::string name, std::string tier, double order, Selector subject) {
    Policy p;
    p.dialect = "test";
    p.kind = "P";
    p.name = std::move(name);
    p.tier = std::move(tier);
    p.order = order;
    p.subject.kinds = mask(EndpointKind::Pod);
    p.subject.pod_selector = std::move(subject);
    return p;
  }
  Verdict eval(const std::string& from, const std::string& to, int port = 80) {
    Packet pkt{Endpoint::of_pod(l->pod(from), Family::V4), Endpoint::of_pod(l->pod(to), Family::V4),
               kTCP, static_cast<uint16_t>(port)};
    return evaluate(ps, l->inventory, pkt);
  }
};

}  // namespace

TEST(Evaluate, FirstMatchingRuleDecidesInPolicyOrder) {
  World w;
  w.ps.add_tier({"t", 1, Action::Deny});
  auto deny = w.policy("deny-x", "t", 1, Selector::eq("app", "y"));
  deny.dir(Direction::Ingress).isolates = true;
  deny.dir(Direction::Ingress).rules.push_back(w.rule(Action::Deny, Selector::eq("app", "x"), "r0"));
  auto allow = w.policy("allow-all", "t", 2, Selector::eq("app", "y"));
  allow.dir(Direction::Ingress).isolates = true;
  allow.dir(Direction::Ingress).rules.push_back(w.rule(Action::Allow, std::nullopt, "r0"));
  w.ps.add(allow);
  w.ps.add(deny);
  w.ps.finalize();
  auto v = w.eval("a/x", "a/y");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.ingress.kind, SideDecision::Kind::Rule);
  EXPECT_EQ(v.ingress.policy->name, "deny-x");
  EXPECT_TRUE(w.eval("a/z", "a/y").allowed);
}

TEST(Evaluate, PassSkipsTheRestOfTheTier) {
  World w;
  w.ps.add_tier({"first", 1, Action::Deny});
  w.ps.add_tier({"second", 2, Action::Deny});
  auto p1 = w.policy("pass-x", "first", 1, Selector::all());
  p1.dir(Direction::Ingress).isolates = true;
  p1.dir(Direction::Ingress).rules.push_back(w.rule(Action::Pass, Selector::eq("app", "x"), "r0"));
  auto p2 = w.policy("allow-z", "second", 1, Selector::all());
  p2.dir(Direction::Ingress).isolates = true;
  p2.dir(Direction::Ingress).rules.push_back(w.rule(Action::Allow, Selector::eq("app", "x"), "r0"));
  w.ps.add(p1);
  w.ps.add(p2);
  w.ps.finalize();
  EXPECT_TRUE(w.eval("a/x", "a/y").allowed);   // passed to the second tier, allowed there
  auto v = w.eval("a/z", "a/y");               // not passed: end of the first tier denies
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.ingress.kind, SideDecision::Kind::TierDefault);
  EXPECT_EQ(v.ingress.tier->name, "first");
}

TEST(Evaluate, TierWithPassDefaultFallsThrough) {
  World w;
  w.ps.add_tier({"admin", 1, Action::Pass});
  auto p = w.policy("log-only", "admin", 1, Selector::all());
  p.dir(Direction::Ingress).isolates = true;
  p.dir(Direction::Ingress).rules.push_back(w.rule(Action::Log, std::nullopt, "r0"));
  w.ps.add(p);
  w.ps.finalize();
  auto v = w.eval("a/x", "a/y");
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.ingress.kind, SideDecision::Kind::PassedAll);
  EXPECT_EQ(v.ingress.logged.size(), 1u);
}

TEST(Evaluate, NonIsolatingPoliciesDoNotMakeATierVisited) {
  World w;
  w.ps.add_tier({"t", 1, Action::Deny});
  auto p = w.policy("adds-only", "t", 1, Selector::all());
  p.dir(Direction::Ingress).rules.push_back(w.rule(Action::Allow, Selector::eq("app", "x"), "r0"));
  w.ps.add(p);
  w.ps.finalize();
  EXPECT_TRUE(w.eval("a/z", "a/y").allowed);
  EXPECT_EQ(w.eval("a/z", "a/y").ingress.kind, SideDecision::Kind::NotIsolated);
}

TEST(Evaluate, HostNetworkPodsAreNotSubjectToPolicyAndReachTheirNode) {
  World w;
  w.ps.add_tier({"t", 1, Action::Deny});
  auto p = w.policy("deny-all", "t", 1, Selector::all());
  p.dir(Direction::Ingress).isolates = true;
  p.dir(Direction::Egress).isolates = true;
  w.ps.add(p);
  w.ps.finalize();
  EXPECT_FALSE(w.eval("a/x", "a/y").allowed);
  auto v = w.eval("a/h", "a/x");  // same node n1
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.shortcut, Verdict::Shortcut::NodeLocal);
  EXPECT_TRUE(w.eval("a/x", "a/h").allowed);
  EXPECT_FALSE(w.eval("a/h", "a/z").allowed);  // other node: z's ingress is isolated
  EXPECT_FALSE(w.eval("a/z", "a/h").allowed);  // z's egress is isolated
  EXPECT_EQ(w.eval("a/z", "a/h").ingress.kind, SideDecision::Kind::NotEnforced);
}

TEST(Evaluate, ExplainNamesPolicyRuleAndLocation) {
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: a}\n"
      "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: x}}\n",
      test::inventory_yaml({"ns a", "pod a/x 10.0.0.1 app=x", "pod a/y 10.0.0.2 app=y"}));
  Packet pkt{Endpoint::of_pod(l->pod("a/x"), Family::V4), Endpoint::of_pod(l->pod("a/y"), Family::V4),
             kTCP, 80};
  auto text = explain(evaluate(l->policies, l->inventory, pkt), pkt);
  EXPECT_NE(text.find("ingress to a/y: allowed by NetworkPolicy a/web spec.ingress[0] (policies.yaml:7:5)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("egress from a/x: allowed: not isolated"), std::string::npos) << text;
  Packet back{pkt.dst, pkt.src, kTCP, 80};
  text = explain(evaluate(l->policies, l->inventory, back), back);
  EXPECT_NE(text.find("denied: isolated for ingress by NetworkPolicy a/web (policies.yaml:1:1)"),
            std::string::npos)
      << text;
}

TEST(Evaluate, AHostNetworkPodsAddressIsItsNodeWithoutNodeObjects) {
  World w;
  w.ps.add_tier({"t", 1, Action::Deny});
  auto p = w.policy("deny-all", "t", 1, Selector::all());
  p.dir(Direction::Ingress).isolates = true;
  w.ps.add(p);
  w.ps.finalize();
  ASSERT_TRUE(w.l->inventory.nodes.empty());
  Endpoint e = Endpoint::of_ip(w.l->inventory, *IpAddr::parse("192.168.0.1"));
  EXPECT_EQ(e.kind, EndpointKind::Host);
  EXPECT_EQ(e.node, "n1");
  Packet by_ip{e, Endpoint::of_pod(w.l->pod("a/x"), Family::V4), kTCP, 80};
  EXPECT_EQ(evaluate(w.ps, w.l->inventory, by_ip).allowed, w.eval("a/h", "a/x").allowed);
  EXPECT_TRUE(evaluate(w.ps, w.l->inventory, by_ip).allowed);
}
