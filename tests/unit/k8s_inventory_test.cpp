#include <gtest/gtest.h>

#include "tests/support/support.h"

using namespace nv;

TEST(K8sInventory, KubectlDumpWithPodIpsPortsAndServices) {
  auto l = test::load_text("", R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: prod, labels: {team: a}}
- apiVersion: v1
  kind: Pod
  metadata:
    name: api-1
    namespace: prod
    labels: {app: api}
  spec:
    nodeName: n1
    serviceAccountName: api
    containers:
    - name: c
      ports:
      - {name: http, containerPort: 8080}
      - {name: dns, containerPort: 53, protocol: UDP}
    initContainers:
    - name: sidecar
      restartPolicy: Always
      ports: [{name: metrics, containerPort: 9090}]
    - name: init
      ports: [{name: ignored, containerPort: 1}]
  status:
    phase: Running
    podIP: 10.0.0.5
    podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]
- apiVersion: v1
  kind: Pod
  metadata: {name: job-1, namespace: prod}
  status: {phase: Succeeded}
- apiVersion: v1
  kind: Service
  metadata: {name: api, namespace: prod}
  spec:
    selector: {app: api}
    clusterIP: 10.96.0.10
    ports:
    - {name: web, port: 80, targetPort: http}
    - {port: 53, protocol: UDP}
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status:
    addresses: [{type: InternalIP, address: 192.168.1.10}, {type: Hostname, address: n1}]
)");
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  const auto& inv = l->inventory;
  ASSERT_EQ(inv.pods.size(), 1u);
  EXPECT_EQ(l->stats.finished_pods, 1);
  const auto& p = inv.pods[0];
  EXPECT_EQ(p.ips.size(), 2u);
  EXPECT_EQ(p.ip(ir::Family::V6)->str(), "fd00::5");
  EXPECT_EQ(p.service_account, "api");
  EXPECT_EQ(p.named_port("http", ir::kTCP), 8080);
  EXPECT_EQ(p.named_port("dns", ir::kUDP), 53);
  EXPECT_FALSE(p.named_port("dns", ir::kTCP));
  EXPECT_EQ(p.named_port("metrics", ir::kTCP), 9090);  // sidecar
  EXPECT_FALSE(p.named_port("ignored", ir::kTCP));     // plain init container
  EXPECT_EQ(inv.namespace_labels("prod").at("kubernetes.io/metadata.name"), "prod");
  const auto* svc = inv.find_service("prod", "api");
  ASSERT_TRUE(svc);
  EXPECT_EQ(svc->ports[0].target_name, "http");
  EXPECT_EQ(svc->ports[1].target_port, 53);  // defaults to port
  EXPECT_EQ(inv.endpoints(*svc).size(), 1u);
  EXPECT_EQ(inv.find_service_by_ip(*ir::IpAddr::parse("10.96.0.10")), svc);
  EXPECT_EQ(inv.find_pod_by_ip(*ir::IpAddr::parse("fd00::5")), &p);
  ASSERT_EQ(inv.nodes.size(), 1u);
  EXPECT_EQ(inv.nodes[0].addresses.size(), 1u);
}

TEST(K8sInventory, MissingNamespaceIsSynthesizedWithAWarning) {
  auto l = test::load_text("", test::inventory_yaml({"pod ghost/p 10.0.0.1 app=x"}));
  EXPECT_FALSE(l->diags.has_errors());
  EXPECT_TRUE(l->has(ir::Code::NV3004));
  ASSERT_TRUE(l->inventory.find_namespace("ghost"));
}

TEST(K8sInventory, BadAddressesAndPortsAreErrors) {
  auto l = test::load_text("", R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: c, ports: [{containerPort: 70000}]}]
status: {podIP: 10.0.0.300}
)");
  EXPECT_TRUE(l->has(ir::Code::NV3001));
  EXPECT_TRUE(l->has(ir::Code::NV3002));
}

TEST(K8sInventory, DuplicatePodAddressesWarn) {
  auto l = test::load_text("", test::inventory_yaml({"pod a/p 10.0.0.1", "pod a/q 10.0.0.1"}));
  EXPECT_TRUE(l->has(ir::Code::NV3003));
}

TEST(K8sInventory, HostNetworkPodsAreTheirNodeOrOrdinaryPodsByFlag) {
  const std::string policy =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n"
      "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: agent}}\n";
  const std::string cluster =
      test::inventory_yaml({"ns a", "pod a/agent 192.168.0.9 app=agent node=n2 hostNetwork",
                            "pod a/web 10.0.0.1 app=web node=n1"});
  auto as_node = test::load_text(policy, cluster);
  EXPECT_TRUE(as_node->inventory.find_pod("a", "agent")->host_network);
  EXPECT_FALSE(as_node->allowed("a/agent", "a/web", 80));  // not selected: seen as node n2
  LoadOptions opt;
  opt.k8s.host_network_as_pods = true;
  auto as_pod = test::load_text(policy, cluster, opt);
  EXPECT_FALSE(as_pod->inventory.find_pod("a", "agent")->host_network);
  EXPECT_TRUE(as_pod->allowed("a/agent", "a/web", 80));  // selected like any pod
}

// A large inventory is lowered on two threads, in two halves: what it leaves is what one
// pass over the objects leaves (every pod in order, diagnostics in object order,
// duplicates found across the halves).
TEST(K8sInventory, ALargeInventoryLowersAsOnePassWould) {
  const int n = 6000;
  std::string y;
  auto pod = [&](int i, const std::string& name, const std::string& ip) {
    y += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns" +
         std::to_string(i % 7) + "}\nstatus: {podIP: " + ip + "}\n";
  };
  for (int i = 0; i < n; ++i) {
    std::string ip = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
                     std::to_string(i % 256);
    if (i == 10 || i == 4500) ip = "10.0.0.999";  // NV3001, one in each half
    pod(i, "p" + std::to_string(i), ip);
    if (i == 20 || i == 5000)
      pod(i / 2, "p" + std::to_string(i / 2), "10.200.0." + std::to_string(i % 200));  // NV1013
  }
  auto l = test::load_text("", y);
  ASSERT_EQ(l->inventory.pods.size(), static_cast<size_t>(n));
  std::vector<std::pair<ir::Code, int>> seen;  // code, line
  for (const auto& d : l->diags.all())
    if (d.code == ir::Code::NV3001 || d.code == ir::Code::NV1013)
      seen.emplace_back(d.code, d.span.line);
  ASSERT_EQ(seen.size(), 4u) << l->messages();
  EXPECT_EQ(seen[0].first, ir::Code::NV3001);
  EXPECT_EQ(seen[1].first, ir::Code::NV1013);
  EXPECT_EQ(seen[2].first, ir::Code::NV3001);
  EXPECT_EQ(seen[3].first, ir::Code::NV1013);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1].second, seen[i].second);
  EXPECT_EQ(l->pod("ns3/p10").ips.size(), 0u);
  EXPECT_EQ(l->pod("ns1/p2500").ips.size(), 1u);  // the first p2500, not the repeat at 5000
  EXPECT_EQ(l->pod("ns1/p2500").ips[0].str(), "10.0.9.196");
}
