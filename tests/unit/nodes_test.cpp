// Node selectors (ANP egress `nodes`, Cilium fromNodes/toNodes) beyond the evaluator
// (evaluate_nodes_test.cpp): the frontends' lowering, the Z3 encoding of a node's Node
// object and labels, translation validation telling nodes apart by their labels, and
// convert. Inputs: corpus/nodes (three labelled nodes, pods on the workers, a hostNetwork
// pod).
#include <gtest/gtest.h>

#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/plan.h"
#include "compiler/emit/emit.h"
#include "tests/support/support.h"
#include "verifier/encode.h"
#include "verifier/validate.h"

using namespace nv;

namespace {

std::unique_ptr<test::Loaded> load(const std::string& policy, LoadOptions lo = {}) {
  return test::load_paths({NV_SOURCE_DIR "/corpus/nodes/" + policy},
                          {NV_SOURCE_DIR "/corpus/nodes/cluster.yaml"}, lo);
}

const ir::Rule& egress_rule(const test::Loaded& w, size_t policy, size_t rule) {
  return w.policies.policies().at(policy).dir(ir::Direction::Egress).rules.at(rule);
}

ir::Endpoint at(const ir::Inventory& inv, const char* ip) {
  return ir::Endpoint::of_ip(inv, *ir::IpAddr::parse(ip));
}

TEST(Nodes, AnpNodesPeerLowersToANodeSelector) {
  auto w = load("anp-nodes.yaml");
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  const ir::Rule& allow = egress_rule(*w, 0, 0);
  ASSERT_EQ(allow.peers.size(), 1u);
  EXPECT_EQ(allow.peers[0].kinds, ir::mask(ir::EndpointKind::Host));
  ASSERT_TRUE(allow.peers[0].node_selector);
  EXPECT_EQ(*allow.peers[0].node_selector, ir::Selector::eq("node-tier", "worker"));
  // web (apps) to the control plane: denied; to a worker's kubelet: allowed; to a worker's
  // other ports: no ANP rule matches, no NetworkPolicy: allowed.
  const ir::Inventory& inv = w->inventory;
  ir::Endpoint web = ir::Endpoint::of_pod(w->pod("apps/web"), ir::Family::V4);
  auto allowed = [&](const char* ip, uint16_t port) {
    return ir::evaluate(w->policies, inv, {web, at(inv, ip), ir::kTCP, port}).allowed;
  };
  EXPECT_FALSE(allowed("10.0.0.10", 6443));
  EXPECT_TRUE(allowed("10.0.0.12", 10250));  // worker-2, also its hostNetwork pod's address
  EXPECT_TRUE(allowed("10.0.0.12", 22));
}

TEST(Nodes, CiliumToNodesLowersToANodeSelectorWithoutScoping) {
  auto w = load("cilium-to-nodes.yaml");
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  const ir::Rule& r = egress_rule(*w, 0, 0);
  ASSERT_EQ(r.peers.size(), 1u);
  EXPECT_EQ(r.peers[0].kinds, ir::mask(ir::EndpointKind::Host));
  EXPECT_FALSE(r.peers[0].ns_name);  // nodes have no namespace: no CNP namespace scoping
  ASSERT_TRUE(r.peers[0].node_selector);
  EXPECT_EQ(r.peers[0].node_selector->str(),
            ir::Selector::conj({ir::Selector::eq("node-tier", "worker")}).str());
  const ir::Inventory& inv = w->inventory;
  ir::Endpoint web = ir::Endpoint::of_pod(w->pod("apps/web"), ir::Family::V4);
  auto allowed = [&](const char* ip, uint16_t port) {
    return ir::evaluate(w->policies, inv, {web, at(inv, ip), ir::kTCP, port}).allowed;
  };
  EXPECT_TRUE(allowed("10.0.0.12", 10250));
  EXPECT_FALSE(allowed("10.0.0.12", 22));
  EXPECT_FALSE(allowed("10.0.0.10", 10250));  // the control plane is not a worker
}

TEST(Nodes, CiliumFromNodesAcceptsLabelSources) {
  auto w = test::load_text(R"(apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: from-nodes, namespace: apps}
spec:
  endpointSelector: {}
  ingress:
  - fromNodes:
    - matchLabels: {k8s:node-tier: worker}
    - matchLabels: {any:zone: a}
)",
                           test::read_file(NV_SOURCE_DIR "/corpus/nodes/cluster.yaml"));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  const ir::Rule& r = w->policies.policies().at(0).dir(ir::Direction::Ingress).rules.at(0);
  ASSERT_EQ(r.peers.size(), 2u);
  EXPECT_TRUE(ir::matches(r.peers[0], at(w->inventory, "10.0.0.11"), w->inventory));
  EXPECT_FALSE(ir::matches(r.peers[0], at(w->inventory, "10.0.0.10"), w->inventory));
  EXPECT_TRUE(ir::matches(r.peers[1], at(w->inventory, "10.0.0.11"), w->inventory));
  EXPECT_FALSE(ir::matches(r.peers[1], at(w->inventory, "10.0.0.12"), w->inventory));
}

// The encoding: a node selector holds for a node endpoint with a Node object whose labels
// match, and for nothing else.
TEST(Nodes, EncodingNeedsANodeObjectWithMatchingLabels) {
  z3::context ctx;
  verifier::Universe u;
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Host);
  p.node_selector = ir::Selector::eq("role", "edge");
  u.add(p);
  u.finish();
  ASSERT_TRUE(u.nodes);
  verifier::Encoder enc(ctx, u);
  auto pkt = enc.packet();
  z3::solver s(ctx);
  s.add(enc.facts_conj());
  z3::expr m = enc.peer(p, pkt.dst);
  const verifier::LabelVar& role = pkt.dst.node_labels.at("role");
  auto sat = [&](z3::expr e) { return s.check(1, &e) == z3::sat; };
  z3::expr edge = role.has && role.val == enc.lit(u.node_keys.at("role"), "edge");
  EXPECT_TRUE(sat(m && pkt.dst.is_host && pkt.dst.has_node && edge));
  EXPECT_FALSE(sat(m && !pkt.dst.has_node));  // no Node object: labels unknown
  EXPECT_FALSE(sat(m && !edge));
  EXPECT_FALSE(sat(m && !pkt.dst.is_host));
  EXPECT_FALSE(sat(pkt.dst.has_node && !pkt.dst.is_host));  // only nodes have Node objects
  // An empty node selector still needs a Node object.
  p.node_selector = ir::Selector::all();
  EXPECT_FALSE(sat(enc.peer(p, pkt.dst) && !pkt.dst.has_node));
}

// Compile for worker-1 and prove it; then widen the kubelet rule to the control plane's
// address. The control plane and worker-2 are both other nodes ("H"): only their labels
// tell them apart, so validation must keep one representative of each.
TEST(Nodes, ValidationTellsNodesApartByTheirLabels) {
  auto w = load("cilium-to-nodes.yaml");
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "worker-1");
  const std::string nft = backends::emit_nft(plan, backends::EmitInfo{});
  verifier::SolverOptions so;
  ir::Diagnostics d;
  auto fw = backends::parse_nft(nft, "nft", d);
  ASSERT_TRUE(fw) << nft;
  EXPECT_FALSE(
      verifier::validate_firewall(w->policies, w->inventory, "worker-1", *fw, ir::Family::V4, so));
  const std::string entry = "10.0.0.11-10.0.0.12 : goto ";
  size_t pos = nft.find(entry);
  ASSERT_NE(pos, std::string::npos) << nft;
  std::string mutant = nft;
  mutant.replace(pos, std::string("10.0.0.11").size(), "10.0.0.10");
  auto m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  auto cx =
      verifier::validate_firewall(w->policies, w->inventory, "worker-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx) << mutant;
  EXPECT_EQ(cx->src.str(), "10.244.1.10") << cx->text;
  EXPECT_EQ(cx->dst.str(), "10.0.0.10") << cx->text;
  EXPECT_TRUE(cx->ruleset_accepts);
  EXPECT_FALSE(cx->policies_allow);

  // Narrower: drop worker-2 from the kubelet rule. It is then outside every range of the
  // ruleset, as the control plane is, and the control plane's address comes first: a
  // validation that took all other nodes for one would test only the control plane.
  mutant = nft;
  mutant.replace(pos, entry.size(), "10.0.0.11 : goto ");
  m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  cx = verifier::validate_firewall(w->policies, w->inventory, "worker-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx) << mutant;
  EXPECT_EQ(cx->dst.str(), "10.0.0.12") << cx->text;
  EXPECT_FALSE(cx->ruleset_accepts);
  EXPECT_TRUE(cx->policies_allow);
}

TEST(Nodes, ConvertWritesToNodesForCiliumAndRefusesElsewhere) {
  auto w = load("cilium-to-nodes.yaml");
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  emit::Output c = emit::convert(w->policies, emit::Target::Cilium, nullptr);
  ASSERT_TRUE(c.refusals.empty());
  EXPECT_NE(c.yaml.find("toNodes:\n    - matchLabels:\n        node-tier: worker"),
            std::string::npos)
      << c.yaml;
  for (emit::Target t : {emit::Target::K8s, emit::Target::Calico}) {
    emit::Output o = emit::convert(w->policies, t, nullptr);
    ASSERT_FALSE(o.refusals.empty());
    EXPECT_EQ(o.refusals.front().code, ir::Code::NV4074);
    EXPECT_NE(o.refusals.front().message.find("node labels"), std::string::npos)
        << o.refusals.front().message;
  }
}

}  // namespace
