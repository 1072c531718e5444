// The rule compiler's plan: port-set algebra, address ranges as prefixes, and the plan's
// verdicts against the reference evaluator on the seed guide's cluster, node by node.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/plan.h"
#include "tests/support/support.h"
#include "verifier/validate.h"

using namespace nv;
using backends::PortSet;

namespace {

ir::PortMatch pm(int proto, uint16_t lo, uint16_t hi, std::string named = "") {
  ir::PortMatch m;
  m.proto = proto;
  m.lo = lo;
  m.hi = hi;
  m.named = std::move(named);
  return m;
}

ir::Endpoint external() { return ir::Endpoint{}; }

}  // namespace

TEST(PortSet, AlgebraAndProtocolsWithoutPorts) {
  PortSet tcp80 = PortSet::of(pm(ir::kTCP, 80, 80), external());
  PortSet tcp_range = PortSet::of(pm(ir::kTCP, 70, 90), external());
  EXPECT_TRUE(tcp80.contains(ir::kTCP, 80));
  EXPECT_FALSE(tcp80.contains(ir::kUDP, 80));
  EXPECT_EQ(tcp_range.minus(tcp80).str(), "TCP/70-79,81-90");
  EXPECT_EQ(tcp_range.intersect(tcp80), tcp80);
  EXPECT_EQ(tcp80.unite(PortSet::of(pm(ir::kTCP, 81, 90), external())).str(), "TCP/80-90");
  // ANY with a port range: TCP, UDP and SCTP on those ports; protocols without ports
  // carry port 0, so only a range from 0 admits them.
  PortSet any80 = PortSet::of(pm(ir::kAnyProto, 80, 80), external());
  EXPECT_EQ(any80.str(), "TCP/80 UDP/80 SCTP/80");
  EXPECT_FALSE(any80.contains(ir::kICMP, 0));
  EXPECT_TRUE(PortSet::of(pm(ir::kAnyProto, 0, 65535), external()).is_all());
  // ICMP carries type << 8 | code where other protocols carry ports (ir/model.h is_icmp).
  PortSet icmp = PortSet::of(pm(ir::kICMP, 0, 65535), external());
  EXPECT_TRUE(icmp.contains(ir::kICMP, 0));
  EXPECT_TRUE(icmp.contains(ir::kICMP, ir::icmp_port(8, 0)));
  EXPECT_EQ(icmp.str(), "ICMP");
  PortSet gre = PortSet::of(pm(47, 0, 65535), external());
  EXPECT_EQ(gre.str(), "proto 47");
  EXPECT_TRUE(gre.contains(47, 0));
  EXPECT_FALSE(gre.contains(47, 1));
  EXPECT_TRUE(PortSet::all().minus(PortSet::all()).is_none());
  std::string rest = PortSet::all().minus(icmp).minus(gre).str();
  EXPECT_EQ(rest.substr(0, 69),
            "TCP/0-65535 UDP/0-65535 SCTP/0-65535 ICMPv6 proto 0,2,3,4,5,7,8,9,10,");
  EXPECT_EQ(rest.find(",1,"), std::string::npos);
  EXPECT_EQ(rest.find(",47,"), std::string::npos);
  EXPECT_EQ(rest.find(",58,"), std::string::npos);
  EXPECT_NE(rest.find(",46,48,"), std::string::npos);
}

TEST(PortSet, NamedPortsResolveAgainstTheDestinationPod) {
  ir::Pod pod;
  pod.ports = {{"http", ir::kTCP, 8080}, {"dns", ir::kUDP, 53}, {"dns", ir::kTCP, 5353}};
  ir::Endpoint dst;
  dst.kind = ir::EndpointKind::Pod;
  dst.pod = &pod;
  EXPECT_EQ(PortSet::of(pm(ir::kTCP, 0, 0, "http"), dst).str(), "TCP/8080");
  EXPECT_EQ(PortSet::of(pm(ir::kAnyProto, 0, 0, "dns"), dst).str(), "TCP/5353 UDP/53");
  EXPECT_TRUE(PortSet::of(pm(ir::kUDP, 0, 0, "http"), dst).is_none());
  EXPECT_TRUE(PortSet::of(pm(ir::kTCP, 0, 0, "http"), external()).is_none());  // not a pod
}

TEST(RangeToCidrs, FewestPrefixes) {
  auto text = [](backends::u128 lo, backends::u128 hi, ir::Family f) {
    std::string out;
    for (const auto& c : backends::range_to_cidrs(lo, hi, f)) out += c.str() + " ";
    return out;
  };
  auto v4 = [](const char* s) { return backends::addr_value(*ir::IpAddr::parse(s)); };
  EXPECT_EQ(text(v4("10.0.0.1"), v4("10.0.0.6"), ir::Family::V4),
            "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32 ");
  EXPECT_EQ(text(0, v4("255.255.255.255"), ir::Family::V4), "0.0.0.0/0 ");
  EXPECT_EQ(text(0, ~backends::u128(0), ir::Family::V6), "::/0 ");
  EXPECT_EQ(text(v4("10.0.0.0"), v4("10.0.1.255"), ir::Family::V4), "10.0.0.0/23 ");
}

// Every pod pair and a few outside addresses of the seed guide, on the ports its policies
// name: the plan of each node decides what the evaluator decides for that node's share.
TEST(Plan, AgreesWithEvaluatorOnTheGuide) {
  auto w = test::load_paths({NV_SOURCE_DIR "/corpus/guide/policies"}, {NV_SOURCE_DIR "/corpus/guide/cluster.yaml"});
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  std::vector<ir::IpAddr> addrs;
  for (const auto& p : w->inventory.pods)
    for (const auto& a : p.ips) addrs.push_back(a);
  for (const char* t : {"203.0.113.9", "10.0.0.1", "192.168.1.1"}) addrs.push_back(*ir::IpAddr::parse(t));
  size_t compared = 0;
  for (const std::string node : {"node-1", "node-2"}) {
    backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, node);
    ASSERT_FALSE(plan.classes.empty());
    for (const auto& s : addrs)
      for (const auto& d : addrs) {
        if (s == d || s.family != d.family) continue;
        for (auto [proto, port] : std::vector<std::pair<int, int>>{{ir::kTCP, 80}, {ir::kTCP, 8080}, {ir::kTCP, 5432},
                                                                  {ir::kTCP, 9090}, {ir::kUDP, 53}, {ir::kICMP, 0}}) {
          ir::Packet pkt{ir::Endpoint::of_ip(w->inventory, s), ir::Endpoint::of_ip(w->inventory, d), proto,
                         static_cast<uint16_t>(port)};
          auto local = [&](const ir::Endpoint& e) { return e.kind == ir::EndpointKind::Pod && e.pod->node == node; };
          if ((pkt.src.kind == ir::EndpointKind::Host && pkt.src.node == node) ||
              (pkt.dst.kind == ir::EndpointKind::Host && pkt.dst.node == node))
            continue;  // the node's own addresses never cross its forward path
          bool expected = (!local(pkt.src) || ir::evaluate_side(w->policies, w->inventory, ir::Direction::Egress, pkt).allowed) &&
                          (!local(pkt.dst) || ir::evaluate_side(w->policies, w->inventory, ir::Direction::Ingress, pkt).allowed);
          EXPECT_EQ(backends::plan_allows(plan, w->inventory, s, d, proto, static_cast<uint16_t>(port)), expected)
              << node << ": " << s.str() << " -> " << d.str() << " " << proto << "/" << port;
          ++compared;
        }
      }
  }
  EXPECT_GT(compared, 500u);
}

// Translation validation proves the guide's rulesets and rejects a one-port typo in each
// target with a counterexample on the typo's ports.
TEST(Validate, ProvesTheGuideAndCatchesAPortTypo) {
  auto w = test::load_paths({NV_SOURCE_DIR "/corpus/guide/policies"}, {NV_SOURCE_DIR "/corpus/guide/cluster.yaml"});
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  backends::EmitInfo info;
  std::string nft = backends::emit_nft(plan, info);
  backends::IptablesOutput ipt = backends::emit_iptables(plan, info);
  verifier::SolverOptions so;
  ir::Diagnostics d;
  auto fw = backends::parse_nft(nft, "nft", d);
  ASSERT_TRUE(fw) << nft;
  EXPECT_FALSE(verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V4, so));
  EXPECT_FALSE(verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V6, so));
  auto fw4 = backends::parse_iptables(ipt.rules4, "r", ipt.ipsets, "s", ir::Family::V4, d);
  ASSERT_TRUE(fw4);
  EXPECT_FALSE(verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw4, ir::Family::V4, so));

  auto typo = [](std::string text, const std::string& from, const std::string& to) {
    size_t p = text.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return text.replace(p, from.size(), to);
  };
  for (auto [target, mutant] : {std::pair{"nft", typo(nft, "tcp . 8080", "tcp . 8081")},
                                std::pair{"iptables", typo(ipt.rules4, "--dports 8080,9090", "--dports 8081,9090")}}) {
    std::optional<backends::Firewall> m =
        std::string(target) == "nft" ? backends::parse_nft(mutant, "m", d)
                                     : backends::parse_iptables(mutant, "m", ipt.ipsets, "s", ir::Family::V4, d);
    ASSERT_TRUE(m) << target;
    auto cx = verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
    ASSERT_TRUE(cx) << target;
    EXPECT_EQ(cx->proto, ir::kTCP) << cx->text;
    EXPECT_TRUE(cx->port == 8080 || cx->port == 8081) << cx->text;
    EXPECT_NE(cx->policies_allow, cx->ruleset_accepts);
    backends::Packet pkt{cx->src, cx->dst, static_cast<uint8_t>(cx->proto), cx->port, backends::kCtNew};
    EXPECT_EQ(backends::run(*m, pkt) == backends::VerdictKind::Accept, cx->ruleset_accepts) << cx->text;
  }
}

// A node with enough pods that validation decides its parts on two threads: it proves the
// ruleset, and for a mutant that breaks two pods, one early and one late in the order,
// each in parts of both workers, it reports the first part in order, the same
// counterexample on every run.
TEST(Validate, TwoWorkersReportTheFirstDifferenceInOrder) {
  std::vector<std::string> inv = {"ns prod", "ns other"};
  for (int i = 0; i < 24; ++i)
    inv.push_back("pod prod/web" + std::to_string(i) + " 10.1.0." + std::to_string(10 + i) +
                  " app=web node=node-1 idx=i" + std::to_string(i));
  inv.push_back("pod other/client 10.2.0.5 app=client node=node-2");
  const std::string policies = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 8080}]
  - from: [{podSelector: {matchLabels: {app: web}}}]
  egress:
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 8080}]
  - to: [{podSelector: {matchLabels: {app: web}}}]
)";
  auto w = test::load_text(policies, test::inventory_yaml(inv));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  backends::EmitInfo info;
  std::string nft = backends::emit_nft(plan, info);
  verifier::SolverOptions so;
  ir::Diagnostics d;
  auto fw = backends::parse_nft(nft, "nft", d);
  ASSERT_TRUE(fw) << nft;
  EXPECT_FALSE(verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V4, so));

  // A late pod (10.1.0.33) and an early one (10.1.0.11) classified nowhere: the node
  // isolates neither any more. The web pods may talk to each other freely, so the part
  // between the node's pods still agrees; the parts with the client differ.
  std::string mutant = nft;
  for (const std::string addr : {"10.1.0.33", "10.1.0.11"})
    ASSERT_TRUE(mutant.find("\t\t\t" + addr + ",\n") != std::string::npos ||
                mutant.find("\t\t\t" + addr + "\n") != std::string::npos)
        << addr << "\n"
        << nft;
  // Drop both pods from the sets of the node's pods (lines of the address alone).
  auto drop = [&](const std::string& addr) {
    std::string out;
    std::istringstream in(mutant);
    for (std::string line; std::getline(in, line);)
      if (line != "\t\t\t" + addr && line != "\t\t\t" + addr + ",") out += line + "\n";
    mutant = out;
  };
  drop("10.1.0.33");
  drop("10.1.0.11");
  auto m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  std::string first;
  for (int run = 0; run < 2; ++run) {
    auto cx = verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
    ASSERT_TRUE(cx);
    // Parts go: between the node's pods (which agree here), then egress, ingress per pod
    // in address order, each taken by the next free worker: web1's egress differs first,
    // its ingress next, web23's parts later; the counterexample is asked again of a fresh
    // worker, so it is the same whichever worker met the part.
    EXPECT_EQ(cx->src.str(), "10.1.0.11") << cx->text;
    EXPECT_NE(cx->policies_allow, cx->ruleset_accepts);
    if (run == 0) first = cx->text;
    EXPECT_EQ(cx->text, first);
  }
}

// Validation tells apart peers that only the policies distinguish: a ruleset compiled from
// a wider policy (every pod of the peer's namespace or of every namespace) treats pods
// alike that the specification's peer term does not, and the ruleset has no address cut
// between them. Each case's term is of another kind (namespaceSelector with a label test
// no index can use, with an equality, alone; a podSelector of the policy's own namespace),
// so each way validation finds the pods a term matches is tried.
TEST(Validate, TellsApartPeersThatOnlyThePoliciesDistinguish) {
  const std::string inv = test::inventory_yaml(
      {"ns prod", "ns a team=a", "ns b team=b", "pod prod/web 10.1.0.10 app=web node=node-1",
       "pod a/c1 10.2.0.5 tier=x node=node-2", "pod a/c2 10.2.0.6 node=node-2",
       "pod b/c3 10.2.0.7 tier=x node=node-2", "pod prod/p1 10.1.0.20 tier=x node=node-2",
       "pod prod/p2 10.1.0.21 tier=z node=node-2"});
  auto policy = [](const std::string& from) {
    return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, "
           "namespace: prod}\n"
           "spec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n"
           "  ingress:\n  - from: [" +
           from + "]\n    ports: [{protocol: TCP, port: 80}]\n";
  };
  struct Case {
    std::string exact, wide;
    std::set<std::string> told_apart;  // the peers the two policies disagree on
  };
  const std::vector<Case> cases = {
      {"{namespaceSelector: {}, podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}",
       "{namespaceSelector: {}}",
       {"10.2.0.6"}},
      {"{namespaceSelector: {}, podSelector: {matchLabels: {tier: x}}}",
       "{namespaceSelector: {}}",
       {"10.2.0.6", "10.1.0.21"}},
      {"{namespaceSelector: {matchLabels: {team: a}}}",
       "{namespaceSelector: {}}",
       {"10.2.0.7", "10.1.0.20", "10.1.0.21"}},
      {"{podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [z]}]}}",
       "{podSelector: {}}",
       {"10.1.0.21"}},
  };
  verifier::SolverOptions so;
  for (const auto& c : cases) {
    auto exact = test::load_text(policy(c.exact), inv);
    auto wide = test::load_text(policy(c.wide), inv);
    ASSERT_FALSE(exact->diags.has_errors()) << exact->messages();
    ASSERT_FALSE(wide->diags.has_errors()) << wide->messages();
    backends::EmitInfo info;
    ir::Diagnostics d;
    auto own = backends::parse_nft(
        backends::emit_nft(backends::plan_node(exact->policies, exact->inventory, "node-1"), info),
        "nft", d);
    auto wider = backends::parse_nft(
        backends::emit_nft(backends::plan_node(wide->policies, wide->inventory, "node-1"), info),
        "nft", d);
    ASSERT_TRUE(own && wider) << c.exact;
    EXPECT_FALSE(verifier::validate_firewall(exact->policies, exact->inventory, "node-1", *own,
                                             ir::Family::V4, so))
        << c.exact;
    auto cx = verifier::validate_firewall(exact->policies, exact->inventory, "node-1", *wider,
                                          ir::Family::V4, so);
    ASSERT_TRUE(cx) << c.exact;
    EXPECT_TRUE(c.told_apart.count(cx->src.str())) << c.exact << "\n" << cx->text;
    EXPECT_EQ(cx->dst.str(), "10.1.0.10") << cx->text;
    EXPECT_FALSE(cx->policies_allow) << cx->text;
    EXPECT_TRUE(cx->ruleset_accepts) << cx->text;
  }
}
