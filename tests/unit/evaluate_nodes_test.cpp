// Node selectors (ir/model.h Peer::node_selector) in the reference evaluator: Host
// endpoints whose node is a Node object with matching labels; fail closed for nodes whose
// labels are unknown (no Node object).
#include <gtest/gtest.h>

#include "ir/evaluate.h"
#include "tests/support/support.h"
#include "verifier/encode.h"

using namespace nv;
using namespace nv::ir;

namespace {

const char* kCluster = R"(
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {role: edge}
status:
  addresses: [{type: InternalIP, address: 192.168.0.1}]
---
apiVersion: v1
kind: Node
metadata:
  name: n2
  labels: {role: worker}
status:
  addresses: [{type: InternalIP, address: 192.168.0.2}]
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: a, labels: {role: edge}}
spec: {nodeName: n1}
status: {podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: h, namespace: a}
spec: {nodeName: n2, hostNetwork: true}
status: {podIPs: [{ip: 192.168.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: g, namespace: a}
spec: {nodeName: ghost, hostNetwork: true}
status: {podIPs: [{ip: 192.168.0.9}]}
)";

Peer edge_nodes() {
  Peer p;
  p.kinds = mask(EndpointKind::Host);
  p.node_selector = Selector::eq("role", "edge");
  return p;
}

Endpoint at(const Inventory& inv, const char* ip) {
  return Endpoint::of_ip(inv, *IpAddr::parse(ip));
}

TEST(EvaluateNodes, NodeSelectorMatchesHostsOfNodesWithMatchingLabels) {
  auto l = test::load_text("", kCluster);
  ASSERT_EQ(l->diags.error_count(), 0u) << l->messages();
  const Inventory& inv = l->inventory;
  ASSERT_NE(inv.find_node("n1"), nullptr);
  EXPECT_TRUE(matches(edge_nodes(), at(inv, "192.168.0.1"), inv));   // node n1 (role=edge)
  EXPECT_FALSE(matches(edge_nodes(), at(inv, "192.168.0.2"), inv));  // hostNetwork pod on n2
  Peer workers = edge_nodes();
  workers.node_selector = Selector::eq("role", "worker");
  EXPECT_TRUE(matches(workers, at(inv, "192.168.0.2"), inv));  // hostNetwork pod, node n2
}

TEST(EvaluateNodes, NodeSelectorNeverMatchesPodsOrExternalAddresses) {
  auto l = test::load_text("", kCluster);
  const Inventory& inv = l->inventory;
  Peer any_kind = edge_nodes();
  any_kind.kinds = kAllKinds;
  // A pod with the label role=edge on node n1 is not its node.
  EXPECT_FALSE(matches(any_kind, at(inv, "10.0.0.1"), inv));
  EXPECT_FALSE(matches(any_kind, at(inv, "203.0.113.7"), inv));
}

TEST(EvaluateNodes, NodeWithoutNodeObjectMatchesNoNodeSelector) {
  auto l = test::load_text("", kCluster);
  const Inventory& inv = l->inventory;
  Endpoint ghost = at(inv, "192.168.0.9");
  ASSERT_EQ(ghost.kind, EndpointKind::Host);
  ASSERT_EQ(ghost.node, "ghost");
  Peer all_nodes = edge_nodes();
  all_nodes.node_selector = Selector::all();
  EXPECT_FALSE(matches(all_nodes, ghost, inv));  // fail closed: its labels are unknown
  EXPECT_TRUE(matches(all_nodes, at(inv, "192.168.0.1"), inv));
}

TEST(EvaluateNodes, PeerStrNamesTheNodeSelector) {
  EXPECT_NE(edge_nodes().str().find("node labels"), std::string::npos) << edge_nodes().str();
}

}  // namespace
