// Cilium frontend (cilium.io/v2) semantics, rule by rule (shared/SEMANTICS.md section 3),
// with the reference evaluator's verdicts.
#include <gtest/gtest.h>

#include <filesystem>

#include "ir/dump.h"
#include "ir/matrix.h"
#include "tests/fuzz/world.h"
#include "tests/support/support.h"

using namespace nv;
using nv::test::inventory_yaml;
using nv::test::load_text;
using nv::test::Loaded;

namespace {

// Nodes n1 (192.168.0.11) and n2 (192.168.0.12), seen through their hostNetwork agents.
const std::string kCluster = inventory_yaml({
    "ns prod env=prod team=a",
    "ns dev env=dev team=b",
    "ns kube-system",
    "pod prod/web 10.0.0.1 app=web node=n1 port=http:TCP:8080",
    "pod prod/db 10.0.0.2 app=db node=n1 port=pg:TCP:5432",
    "pod prod/api 10.0.0.3 app=api node=n2 pod-template-hash=abc",
    "pod dev/web 10.1.0.1 app=web node=n2",
    "pod dev/tool 10.1.0.2 app=tool node=n2",
    "pod kube-system/dns 10.2.0.1 k8s-app=kube-dns node=n1 port=dns:UDP:53",
    "pod kube-system/agent1 192.168.0.11 app=agent node=n1 hostNetwork",
    "pod kube-system/agent2 192.168.0.12 app=agent node=n2 hostNetwork",
});

std::string cnp(const std::string& ns, const std::string& body, const std::string& name = "p") {
  return "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\n" + body;
}

std::string ccnp(const std::string& body, const std::string& name = "c") {
  return "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: " + name +
         "\n" + body;
}

const std::string kAllowAllK8s =
    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: all\n"
    "  namespace: prod\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n";

std::unique_ptr<Loaded> load_ok(const std::string& policies) {
  auto l = load_text(policies, kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
  return l;
}

// "ns/pod" or an address (a pod's, a node's or an outside one).
ir::Endpoint endpoint(const Loaded& l, const std::string& s) {
  if (s.find('/') != std::string::npos) return ir::Endpoint::of_pod(l.pod(s), ir::Family::V4);
  return ir::Endpoint::of_ip(l.inventory, *ir::IpAddr::parse(s));
}

bool allowed(const Loaded& l, const std::string& from, const std::string& to, int port,
             int proto = ir::kTCP) {
  ir::Packet pkt{endpoint(l, from), endpoint(l, to), proto, static_cast<uint16_t>(port)};
  return ir::evaluate(l.policies, l.inventory, pkt).allowed;
}

// The position of the first diagnostic with this code, as "line:col".
std::string where(const Loaded& l, ir::Code code) {
  for (const auto& d : l.diags.all())
    if (d.code == code) return std::to_string(d.span.line) + ":" + std::to_string(d.span.col);
  return "none";
}

const char* const kWebIngressFromWeb = R"(spec:
  endpointSelector:
    matchLabels:
      app: db
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
)";

}  // namespace

TEST(Cilium, NoPolicyAllowsEverything) {
  auto l = load_ok("");
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 5432));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 5432));
}

TEST(Cilium, EmptyIngressRuleDeniesAllUnlikeKubernetes) {
  auto l = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  ingress:\n  - {}\n"));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/db", 5432));
  EXPECT_TRUE(allowed(*l, "prod/db", "dev/tool", 80));  // egress untouched
  auto k = load_ok(kAllowAllK8s);
  EXPECT_TRUE(allowed(*k, "dev/tool", "prod/db", 5432));
}

TEST(Cilium, FromEndpointsAreScopedToThePolicyNamespace) {
  auto l = load_ok(cnp("prod", kWebIngressFromWeb));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "dev/web", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "prod/api", "prod/db", 5432));
  EXPECT_TRUE(allowed(*l, "dev/web", "prod/web", 80));  // the subject is app=db only
}

TEST(Cilium, ServiceAccountLabelIsThePodsServiceAccount) {
  std::string cluster =
      inventory_yaml({"ns prod", "pod prod/web 10.0.0.1 app=web sa=frontend",
                      "pod prod/job 10.0.0.2 app=job sa=batch", "pod prod/db 10.0.0.3 app=db"});
  for (std::string key :
       {"io.cilium.k8s.policy.serviceaccount", "k8s:io.cilium.k8s.policy.serviceaccount"}) {
    auto l = load_text(cnp("prod",
                           "spec:\n  endpointSelector: {matchLabels: {app: db}}\n"
                           "  ingress:\n  - fromEndpoints: [{matchLabels: {'" +
                               key + "': frontend}}]\n"),
                       cluster);
    ASSERT_FALSE(l->diags.has_errors()) << l->messages();
    EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 80)) << key;
    EXPECT_FALSE(allowed(*l, "prod/job", "prod/db", 80)) << key;
  }
  // The subject by account; a pod without serviceAccountName runs as `default`.
  auto l = load_text(
      cnp("prod",
          "spec:\n  endpointSelector:\n    matchExpressions:\n"
          "    - {key: io.cilium.k8s.policy.serviceaccount, operator: NotIn, values: [default]}\n"
          "  ingress: [{}]\n"),
      cluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(allowed(*l, "prod/db", "prod/web", 80));
  EXPECT_FALSE(allowed(*l, "prod/db", "prod/job", 80));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 80));
}

TEST(Cilium, LabelSourcePrefixesNameTheSamePodLabel) {
  for (std::string key : {"app", "k8s:app", "any:app"}) {
    auto l = load_ok(cnp("prod", "spec:\n  endpointSelector:\n    matchLabels:\n      " + key +
                                  ": db\n  ingress:\n  - fromEndpoints:\n    - matchExpressions:\n"
                                  "      - {key: '" + key + "', operator: In, values: [web]}\n"));
    EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 1)) << key;
    EXPECT_FALSE(allowed(*l, "prod/api", "prod/db", 1)) << key;
    EXPECT_TRUE(allowed(*l, "prod/api", "prod/web", 1)) << key;
  }
}

TEST(Cilium, NamespaceLabelReplacesTheScoping) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: dev
        app: web
)"));
  EXPECT_TRUE(allowed(*l, "dev/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 1));
}

TEST(Cilium, NamespaceLabelsSelectNamespacesInEveryNamespace) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.team: b
)"));
  EXPECT_TRUE(allowed(*l, "dev/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/db", 1));
}

TEST(Cilium, NamespaceNotInAlsoMatchesWorldAndHosts) {
  // Nothing is added when the selector names the namespace label; NotIn holds for identities
  // without it (world, hosts).
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints:
    - matchExpressions:
      - {key: io.kubernetes.pod.namespace, operator: NotIn, values: [dev]}
)"));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "kube-system/dns", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "dev/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "192.168.0.12", "prod/db", 1));
}

TEST(Cilium, ClusterwidePolicySelectsEveryNamespaceAndItsEmptyPeerOnlyPods) {
  auto l = load_ok(ccnp(R"(spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints:
    - {}
)"));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/web", 1));
  EXPECT_TRUE(allowed(*l, "prod/db", "dev/web", 1));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/web", 1));   // not world
  EXPECT_FALSE(allowed(*l, "192.168.0.12", "prod/web", 1));  // not a remote node
  EXPECT_TRUE(allowed(*l, "192.168.0.11", "prod/web", 1));   // own node: always
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 1));     // not selected
}

TEST(Cilium, HostNetworkPodsAreNotCiliumEndpoints) {
  auto l = load_ok(ccnp("spec:\n  endpointSelector: {}\n  ingress:\n  - {}\n"));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/web", 1));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "kube-system/agent2", 1));
}

TEST(Cilium, PortWithoutProtocolIsAnyButNotIcmp) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - toPorts:
    - ports:
      - port: "9090"
)"));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 9090, ir::kTCP));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 9090, ir::kUDP));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 9090, ir::kSCTP));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 9091, ir::kTCP));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 0, ir::kICMP));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 9090));  // an L4-only rule: any peer
}

TEST(Cilium, SeveralPortsRangesAndPortRules) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports:
      - {port: "5432", protocol: TCP}
      - {port: "8000", endPort: 8010, protocol: TCP}
    - ports:
      - {port: "53", protocol: UDP}
)"));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 5432, ir::kUDP));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 8005));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 8010));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 8011));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 53, ir::kUDP));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 53, ir::kTCP));
  EXPECT_FALSE(allowed(*l, "prod/api", "prod/db", 5432));
}

TEST(Cilium, NamedPortsResolveOnTheSelectedPodForIngress) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {}
  ingress:
  - toPorts:
    - ports:
      - {port: PG}
)"));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 5432, ir::kUDP));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/web", 5432));
}

TEST(Cilium, EgressToDnsOnly) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s:k8s-app: kube-dns
    toPorts:
    - ports:
      - {port: "53", protocol: UDP}
)"));
  EXPECT_TRUE(allowed(*l, "prod/web", "kube-system/dns", 53, ir::kUDP));
  EXPECT_FALSE(allowed(*l, "prod/web", "kube-system/dns", 53, ir::kTCP));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 5432));
  EXPECT_FALSE(allowed(*l, "prod/web", "203.0.113.9", 443));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/web", 8080));  // ingress not isolated
}

TEST(Cilium, DenyWinsOverAKubernetesAllow) {
  auto l = load_ok(kAllowAllK8s + "---\n" + cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
  - fromEndpoints:
    - matchLabels: {io.kubernetes.pod.namespace: dev, app: tool}
)"));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 5432));
  EXPECT_TRUE(allowed(*l, "dev/web", "prod/db", 5432));
  EXPECT_TRUE(allowed(*l, "dev/tool", "prod/web", 5432));
  auto v = l->verdict("dev/tool", "prod/db", 5432);
  ASSERT_NE(v.ingress.tier, nullptr);
  EXPECT_EQ(v.ingress.tier->name, ir::kCiliumDenyTier);
}

TEST(Cilium, DenyWinsOverAnAllowOfTheSamePolicy) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [all]
  ingressDeny:
  - toPorts:
    - ports:
      - {port: "22", protocol: TCP}
)"));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 22));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 22, ir::kUDP));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 80));
}

TEST(Cilium, DenyOnlyPolicyPutsItsPodsInDefaultDeny) {
  const std::string body = R"(  endpointSelector: {matchLabels: {app: db}}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: api}}]
)";
  auto l = load_ok(cnp("prod", "spec:\n" + body));
  EXPECT_FALSE(allowed(*l, "prod/api", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 1));  // default deny
  auto off = load_ok(cnp("prod", "spec:\n  enableDefaultDeny: {ingress: false}\n" + body));
  EXPECT_FALSE(allowed(*off, "prod/api", "prod/db", 1));
  EXPECT_TRUE(allowed(*off, "prod/web", "prod/db", 1));
}

TEST(Cilium, DefaultAllowPolicyAddsToAnotherPolicysAllows) {
  const std::string open = cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  enableDefaultDeny: {ingress: false, egress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
)", "open");
  auto l = load_ok(open);
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 1));  // no default deny anywhere
  auto both = load_ok(open + "---\n" + cnp("prod", kWebIngressFromWeb, "strict"));
  EXPECT_TRUE(allowed(*both, "prod/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*both, "prod/api", "prod/db", 1));  // union of the allows
  EXPECT_FALSE(allowed(*both, "dev/tool", "prod/db", 1));
}

TEST(Cilium, EnableDefaultDenyWithoutRulesInThatDirectionDoesNothing) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  enableDefaultDeny: {ingress: true, egress: true}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
)"));
  EXPECT_TRUE(allowed(*l, "prod/db", "203.0.113.9", 443));  // egress not isolated
  EXPECT_FALSE(allowed(*l, "prod/api", "prod/db", 1));
}

TEST(Cilium, Entities) {
  auto world = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n"));
  EXPECT_TRUE(allowed(*world, "203.0.113.9", "prod/db", 1));
  EXPECT_FALSE(allowed(*world, "dev/tool", "prod/db", 1));
  EXPECT_FALSE(allowed(*world, "192.168.0.12", "prod/db", 1));

  auto cluster = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [cluster]\n"));
  EXPECT_FALSE(allowed(*cluster, "203.0.113.9", "prod/db", 1));
  EXPECT_TRUE(allowed(*cluster, "dev/tool", "prod/db", 1));
  EXPECT_TRUE(allowed(*cluster, "192.168.0.12", "prod/db", 1));

  auto remote = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [remote-node]\n"));
  EXPECT_TRUE(allowed(*remote, "192.168.0.12", "prod/db", 1));
  EXPECT_FALSE(allowed(*remote, "dev/tool", "prod/db", 1));
  EXPECT_FALSE(allowed(*remote, "203.0.113.9", "prod/db", 1));

  // host: the pod's own node, which the IR always lets through; nothing else.
  auto host = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  egress:\n  - toEntities: [host, health]\n"));
  EXPECT_TRUE(allowed(*host, "prod/db", "192.168.0.11", 10250));
  EXPECT_FALSE(allowed(*host, "prod/db", "192.168.0.12", 10250));
  EXPECT_FALSE(allowed(*host, "prod/db", "dev/tool", 1));

  auto all = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  egress:\n  - toEntities: [all]\n"));
  EXPECT_TRUE(allowed(*all, "prod/db", "203.0.113.9", 1));
  EXPECT_TRUE(allowed(*all, "prod/db", "dev/tool", 1));
  EXPECT_TRUE(allowed(*all, "prod/db", "192.168.0.12", 1));

  auto v4 = load_ok(cnp("prod", "spec:\n  endpointSelector: {}\n  egress:\n  - toEntities: [world-ipv6]\n"));
  EXPECT_FALSE(allowed(*v4, "prod/db", "203.0.113.9", 1));
  EXPECT_TRUE(allowed(*v4, "prod/db", "2001:db8::1", 1));
}

TEST(Cilium, ReservedLabelSelectorIsItsEntity) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - matchLabels: {"reserved:world": ""}
)"));
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 1));
}

TEST(Cilium, UnsupportedEntitiesAreRefused) {
  auto l = load_text(cnp("prod", R"(spec:
  endpointSelector: {}
  egress:
  - toEntities: [kube-apiserver]
  - toEntities: [the-internet]
  egressDeny:
  - toEntities: [host]
)"), kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV6021));
  EXPECT_TRUE(l->has(ir::Code::NV6020));
  EXPECT_EQ(where(*l, ir::Code::NV6020), "10:18");
  EXPECT_TRUE(l->policies.policies().empty());
}

TEST(Cilium, DenyingTheClusterWarnsAboutTheOwnNode) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  egressDeny:
  - toEntities: [cluster]
)"));
  EXPECT_TRUE(l->has(ir::Code::NV6022));
  EXPECT_FALSE(allowed(*l, "prod/db", "prod/web", 1));
  EXPECT_FALSE(allowed(*l, "prod/db", "192.168.0.12", 1));
  EXPECT_FALSE(allowed(*l, "prod/db", "203.0.113.9", 1));  // default deny: no allow rule
}

TEST(Cilium, CidrRulesNeverMatchPodsOrNodes) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  egress:
  - toCIDR: [10.0.0.0/8, 192.168.0.0/16, 203.0.113.9]
)"));
  EXPECT_TRUE(allowed(*l, "prod/db", "203.0.113.9", 1));
  EXPECT_FALSE(allowed(*l, "prod/db", "203.0.113.10", 1));
  EXPECT_TRUE(allowed(*l, "prod/db", "10.9.9.9", 1));      // no pod has it
  EXPECT_FALSE(allowed(*l, "prod/db", "prod/web", 1));     // a pod in 10.0.0.0/8
  EXPECT_FALSE(allowed(*l, "prod/db", "192.168.0.12", 1));  // a node in 192.168.0.0/16
}

TEST(Cilium, CidrSetExcept) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  egress:
  - toCIDRSet:
    - cidr: 203.0.113.0/24
      except: [203.0.113.128/25]
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
)"));
  EXPECT_TRUE(allowed(*l, "prod/db", "203.0.113.9", 443));
  EXPECT_FALSE(allowed(*l, "prod/db", "203.0.113.200", 443));
  EXPECT_FALSE(allowed(*l, "prod/db", "203.0.113.9", 80));
}

TEST(Cilium, SpecAndSpecsAreAllRules) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
specs:
- endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
- endpointSelector: {matchLabels: {app: web}}
  ingressDeny:
  - fromEntities: [world]
)"));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "prod/api", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/web", 1));
  EXPECT_FALSE(allowed(*l, "dev/tool", "prod/web", 1));  // the deny-only rule: default deny
  std::string dump = ir::dump(l->policies);
  EXPECT_NE(dump.find("allow specs[0].ingress[0]"), std::string::npos) << dump;
  EXPECT_NE(dump.find("deny specs[1].ingressDeny[0]"), std::string::npos) << dump;
  EXPECT_NE(dump.find("tier cilium-deny order 0 default pass"), std::string::npos) << dump;
  EXPECT_NE(dump.find("policy cilium CiliumNetworkPolicy prod/p"), std::string::npos) << dump;
}

TEST(Cilium, ExplicitlyEmptyPeersOrPortsSelectNothing) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: []
  - toPorts:
    - {}
)"));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/db", 1));
}

TEST(Cilium, SubjectNamespaceCanOnlyBeThePolicys) {
  auto own = load_ok(cnp("prod", R"(spec:
  endpointSelector:
    matchLabels: {"k8s:io.kubernetes.pod.namespace": prod, app: db}
  ingress:
  - {}
)"));
  EXPECT_FALSE(allowed(*own, "prod/web", "prod/db", 1));
  EXPECT_TRUE(allowed(*own, "prod/db", "prod/web", 1));
  for (std::string sel : {"matchLabels: {\"k8s:io.kubernetes.pod.namespace\": dev}",
                          "matchLabels: {io.kubernetes.pod.namespace: dev}",
                          "matchExpressions: [{key: io.kubernetes.pod.namespace, operator: In, values: [prod, dev]}]"}) {
    auto l = load_text(cnp("prod", "spec:\n  endpointSelector: {" + sel + "}\n  ingress:\n  - {}\n"), kCluster);
    EXPECT_TRUE(l->has(ir::Code::NV6007)) << sel << l->messages();
    EXPECT_EQ(where(*l, ir::Code::NV6007), "7:21") << sel;
    EXPECT_TRUE(l->policies.policies().empty());
  }
  // NotIn stays ANDed with the policy's namespace.
  auto not_in = load_ok(cnp("prod", R"(spec:
  endpointSelector:
    matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [prod]}]
  ingress:
  - {}
)"));
  EXPECT_TRUE(allowed(*not_in, "prod/web", "prod/db", 1));
}

TEST(Cilium, RefusedConstructsHaveTheirCodes) {
  struct Case {
    const char* rule;
    ir::Code code;
  } cases[] = {
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n      rules: "
       "{kafka: [{topic: t}]}\n",
       ir::Code::NV6030},
      {"  egress:\n  - toFQDNs: [{matchName: example.com, matchPattern: \"*.com\"}]\n",
       ir::Code::NV6031},
      {"  egress:\n  - toFQDNs: [{matchName: \"a b\"}]\n", ir::Code::NV6031},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n      rules: "
       "{http: [{path: \"/a(\"}]}\n",
       ir::Code::NV6041},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: UDP}]\n      rules: "
       "{http: [{}]}\n",
       ir::Code::NV6042},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"53\"}]\n      rules: {dns: [{matchName: "
       "a.com}]}\n",
       ir::Code::NV6042},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n      rules: "
       "{http: [{headerMatches: "
       "[{name: x, secret: {name: s, namespace: prod}}]}]}\n",
       ir::Code::NV6043},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n      rules: "
       "{http: [{headerMatches: [{name: x, value: y, mismatch: DROP}]}]}\n",
       ir::Code::NV6043},
      {"  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n      rules: "
       "{http: [{headerMatches: [{value: y}]}]}\n",
       ir::Code::NV6043},
      {"  egress:\n  - toPorts:\n    - ports: [{port: \"443\"}]\n      serverNames: "
       "[example.com]\n",
       ir::Code::NV6032},
      {"  egress:\n  - toServices: [{k8sService: {serviceName: s, namespace: prod}}]\n",
       ir::Code::NV6033},
      {"  ingress:\n  - fromRequires: [{matchLabels: {env: prod}}]\n", ir::Code::NV6034},
      {"  ingress:\n  - icmps: [{fields: [{type: 8}]}]\n    toPorts: [{ports: [{port: '80'}]}]\n",
       ir::Code::NV6035},
      {"  ingress:\n  - fromEntities: [world]\n    authentication: {mode: required}\n",
       ir::Code::NV6036},
      {"  egress:\n  - toNodes: [{matchLabels: {k8s:io.kubernetes.pod.namespace: prod}}]\n",
       ir::Code::NV6037},
      {"  ingress:\n  - fromNodes: [{matchLabels: {reserved:host: \"\"}}]\n", ir::Code::NV6037},
      {"  egress:\n  - toNodes: [{}]\n    toEndpoints: [{}]\n", ir::Code::NV6013},
      {"  egress:\n  - toGroups: [{aws: {securityGroupsIds: [sg-1]}}]\n", ir::Code::NV6038},
      {"  egress:\n  - toCIDRSet: [{cidrGroupRef: office}]\n", ir::Code::NV6039},
      {"  ingressDeny:\n  - toPorts:\n    - ports: [{port: \"80\"}]\n      rules: {http: [{}]}\n",
       ir::Code::NV6040},
      {"  egressDeny:\n  - toFQDNs: [{matchName: example.com}]\n", ir::Code::NV6040},
      {"  ingress:\n  - fromEndpoint: [{}]\n", ir::Code::NV1020},
      {"  ingress:\n  - fromEndpoints: [{}]\n    fromCIDR: [10.0.0.0/8]\n", ir::Code::NV6013},
      {"  egress:\n  - toPorts: [{ports: [{port: http}]}]\n", ir::Code::NV6027},
      {"  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: tcp}]}]\n", ir::Code::NV6025},
      {"  ingress:\n  - toPorts: [{ports: [{port: 80}]}]\n", ir::Code::NV1021},
      {"  ingress:\n  - toPorts: [{ports: [{port: \"80\", endPort: 70}]}]\n", ir::Code::NV6026},
      {"  ingress:\n  - toPorts: [{ports: [{port: \"99999\"}]}]\n", ir::Code::NV6026},
      {"  egress:\n  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [11.0.0.0/16]}]\n", ir::Code::NV6029},
      {"  egress:\n  - toCIDR: [10.0.0.0/33]\n", ir::Code::NV6028},
      {"  ingress:\n  - fromEndpoints:\n    - matchExpressions: [{key: app, operator: Is, values: "
       "[x]}]\n",
       ir::Code::NV6001},
      {"  ingress:\n  - fromEndpoints:\n    - matchExpressions: [{key: app, operator: In}]\n",
       ir::Code::NV6002},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {\"container:app\": x}}]\n",
       ir::Code::NV6003},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {app: -x}}]\n", ir::Code::NV6004},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.cluster: c1}}]\n",
       ir::Code::NV6005},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {pod-template-hash: abc}}]\n",
       ir::Code::NV6006},
      {"  ingress: []\n", ir::Code::NV6011},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.cluster: c1}}]\n",
       ir::Code::NV6005},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {\"reserved:host\": \"\", app: x}}]\n",
       ir::Code::NV6005},
      {"  ingress:\n  - fromEndpoints: [{matchLabels: {world: \"\"}}]\n", ir::Code::NV6005},
      {"  ingress:\n  - fromEntities: [ingress]\n", ir::Code::NV6021},
      {"  ingress:\n  - fromGroups: [{aws: {region: r}}]\n", ir::Code::NV6038},
      {"  egress:\n  - toPorts:\n    - ports: [{port: \"443\"}]\n      listener: {envoyConfig: "
       "{name: e}, name: l}\n",
       ir::Code::NV6032},
      {"  ingress:\n  - fromEndpoints:\n    - matchExpressions: [{key: "
       "io.kubernetes.pod.namespace, operator: DoesNotExist},"
       " {key: app, operator: NotIn, values: [x]}]\n",
       ir::Code::NV6005},
  };
  for (const auto& c : cases) {
    auto l = load_text(cnp("prod", std::string("spec:\n  endpointSelector: {}\n") + c.rule), kCluster);
    EXPECT_TRUE(l->has(c.code)) << c.rule << l->messages();
    EXPECT_TRUE(l->diags.has_errors()) << c.rule;
    EXPECT_TRUE(l->policies.policies().empty()) << c.rule;  // never a partial policy
  }
}

TEST(Cilium, RuleShapeErrors) {
  auto none = load_text(cnp("prod", "metadata2: {}\n"), kCluster);
  EXPECT_TRUE(none->has(ir::Code::NV1020));
  auto empty = load_text(cnp("prod", ""), kCluster);
  EXPECT_TRUE(empty->has(ir::Code::NV6012));
  auto no_sel = load_text(cnp("prod", "spec:\n  ingress:\n  - {}\n"), kCluster);
  EXPECT_TRUE(no_sel->has(ir::Code::NV6010));
  // A host policy is clusterwide only.
  auto node = load_text(cnp("prod", "spec:\n  nodeSelector: {}\n  ingress:\n  - {}\n"), kCluster);
  EXPECT_TRUE(node->has(ir::Code::NV6037)) << node->messages();
  auto host = load_text(ccnp("spec:\n  nodeSelector: {}\n  ingress:\n  - {}\n"), kCluster);
  EXPECT_FALSE(host->diags.has_errors()) << host->messages();
  ASSERT_EQ(host->policies.policies().size(), 1u);
  EXPECT_TRUE(ir::applies_to_hosts(host->policies.policies()[0]));
  EXPECT_EQ(host->policies.policies()[0].subject.kinds, ir::mask(ir::EndpointKind::Host));
}

TEST(Cilium, ErrorPositionsPointAtTheRefusedField) {
  auto l = load_text(cnp("prod", R"(spec:
  endpointSelector: {}
  egress:
  - toFQDNs:
    - matchName: example.com
      matchPattern: "*.com"
)"), kCluster);
  EXPECT_EQ(where(*l, ir::Code::NV6031), "10:7");
}

// L7: a request must match an HTTP rule (whole-string regexes, headers); a bare connection
// matches no L7 rule; an L4 rule for another peer on the same port allows every request;
// a deny beside an L7 allow wins.
TEST(Cilium, HttpRulesMatchRequestsNotBareConnections) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http:
        - {method: GET, path: "/api/.*"}
        - {method: POST, path: /login, headers: ["X-Token: abc"]}
  - fromEndpoints: [{matchLabels: {app: db}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: tool, "k8s:io.kubernetes.pod.namespace": dev}}]
)"));
  auto ask = [&](const std::string& from, std::optional<ir::HttpRequest> req) {
    ir::Packet pkt{endpoint(*l, from), endpoint(*l, "prod/web"), ir::kTCP, 8080};
    pkt.http = std::move(req);
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_TRUE(ask("prod/api", ir::HttpRequest{"GET", "/api/x", "web", {}}));
  EXPECT_FALSE(ask("prod/api", ir::HttpRequest{"GET", "/v1/api/x", "web", {}}));  // whole string
  EXPECT_FALSE(ask("prod/api", ir::HttpRequest{"PUT", "/api/x", "web", {}}));
  EXPECT_FALSE(ask("prod/api", std::nullopt));  // a bare connection
  EXPECT_FALSE(ask("prod/api", ir::HttpRequest{"POST", "/login", "web", {}}));
  EXPECT_TRUE(ask("prod/api", ir::HttpRequest{"POST", "/login", "web", {{"x-token", "abc"}}}));
  EXPECT_FALSE(ask("prod/api", ir::HttpRequest{"POST", "/login", "web", {{"x-token", "abd"}}}));
  EXPECT_TRUE(ask("prod/db", std::nullopt));  // the L4 rule wildcards L7 for its peer
  EXPECT_TRUE(ask("prod/db", ir::HttpRequest{"DELETE", "/admin", "web", {}}));
  EXPECT_FALSE(ask("dev/tool", ir::HttpRequest{"GET", "/api/x", "web", {}}));
  ir::Packet pkt{endpoint(*l, "prod/api"), endpoint(*l, "prod/web"), ir::kTCP, 8080};
  pkt.http = ir::HttpRequest{"GET", "/admin", "web", {}};
  std::string why = ir::explain(ir::evaluate(l->policies, l->inventory, pkt), pkt);
  EXPECT_NE(why.find("no HTTP rule of spec.ingress[0].toPorts[0] matches GET http://web/admin"), std::string::npos)
      << why;
}

// headerMatches (pkg/envoy getHTTPRule, cilium/proxy network_policy.cc): no value means the
// header must be present; a value, exactly that value; a mismatch action (LOG, ADD, DELETE,
// REPLACE) never denies, so it is no condition.
TEST(Cilium, HeaderMatchesPresenceValueAndMismatchActions) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http:
        - path: /a
          headerMatches: [{name: X-Present}]
        - path: /b
          headerMatches: [{name: X-Token, value: abc}, {name: X-Log, value: v, mismatch: LOG}]
        - path: /c
          headerMatches: [{name: X-Add, value: v, mismatch: ADD}, {name: X-Del, mismatch: DELETE},
                          {name: X-Rep, value: w, mismatch: REPLACE}]
)"));
  auto ask = [&](const std::string& path, std::map<std::string, std::string> headers) {
    ir::Packet pkt{endpoint(*l, "prod/api"), endpoint(*l, "prod/web"), ir::kTCP, 8080};
    pkt.http = ir::HttpRequest{"GET", path, "web", std::move(headers)};
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_FALSE(ask("/a", {}));
  EXPECT_TRUE(ask("/a", {{"x-present", ""}}));
  EXPECT_TRUE(ask("/a", {{"x-present", "anything"}}));
  EXPECT_FALSE(ask("/a", {{"x-other", "1"}}));
  EXPECT_FALSE(ask("/b", {}));
  EXPECT_FALSE(ask("/b", {{"x-token", "abd"}}));
  // X-Log missing or mismatching: logged only.
  EXPECT_TRUE(ask("/b", {{"x-token", "abc"}}));
  EXPECT_TRUE(ask("/b", {{"x-token", "abc"}, {"x-log", "other"}}));
  EXPECT_TRUE(ask("/c", {}));
  EXPECT_TRUE(ask("/c", {{"x-add", "u"}, {"x-rep", "u"}}));
  EXPECT_FALSE(ask("/d", {}));
}

TEST(Cilium, DnsRulesAndFqdnPeers) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules: {dns: [{matchPattern: "*.example.com"}]}
  - toFQDNs: [{matchName: API.example.com.}, {matchPattern: "*.cdn.net"}]
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
)"));
  auto dns = [&](const std::string& name) {
    ir::Packet pkt{endpoint(*l, "prod/web"), endpoint(*l, "10.2.0.1"), ir::kUDP, 53};
    pkt.dns_query = name;
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_TRUE(dns("a.example.com"));
  EXPECT_FALSE(dns("a.b.example.com"));  // `*` stays within one label
  EXPECT_FALSE(dns("example.org"));
  auto fq = [&](std::optional<std::string> name) {
    ir::Packet pkt{endpoint(*l, "prod/web"), endpoint(*l, "203.0.113.9"), ir::kTCP, 443};
    pkt.dst.fqdn = std::move(name);
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_TRUE(fq("api.example.com"));
  EXPECT_TRUE(fq("x.cdn.net"));
  EXPECT_FALSE(fq("api.example.org"));
  EXPECT_FALSE(fq(std::nullopt));  // an address DNS did not return for a matching name
}

// rule_validation.go PortRule.sanitize lets DNS rules sit on any port (TCP, UDP or ANY):
// the DNS proxy answers the queries sent there.
TEST(Cilium, DnsRulesOnAnotherPort) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toPorts:
    - ports: [{port: "5353", protocol: UDP}]
      rules: {dns: [{matchName: a.example.com}]}
)"));
  auto dns = [&](uint16_t port, std::optional<std::string> name) {
    ir::Packet pkt{endpoint(*l, "prod/web"), endpoint(*l, "10.2.0.1"), ir::kUDP, port};
    pkt.dns_query = std::move(name);
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_TRUE(dns(5353, "a.example.com"));
  EXPECT_FALSE(dns(5353, "b.example.com"));
  EXPECT_FALSE(dns(5353, std::nullopt));  // a bare connection
  EXPECT_FALSE(dns(53, "a.example.com"));
}

// The class-based matrix agrees with the reference evaluator on Cilium's lowerings (peers
// that match nothing, the deny tier, external|host peers), as fuzz_cilium checks.
TEST(Cilium, MatrixAgreesWithTheEvaluatorOnTheSeedsAndTheCorpus) {
  struct Input {
    std::string policies, cluster;
  };
  std::vector<Input> inputs;
  for (const auto& e : std::filesystem::directory_iterator(NV_SOURCE_DIR "/corpus/fuzz/fuzz_cilium"))
    if (e.path().filename().string().starts_with("seed-"))
      inputs.push_back({test::read_file(e.path().string()), nv::fuzz::kInventory});
  std::string corpus;
  for (const auto& e : std::filesystem::directory_iterator(NV_SOURCE_DIR "/corpus/cilium/policies"))
    corpus += "---\n" + test::read_file(e.path().string());
  inputs.push_back({corpus, test::read_file(NV_SOURCE_DIR "/corpus/guide/cluster.yaml")});
  ASSERT_GE(inputs.size(), 6u);
  for (const auto& in : inputs) {
    LoadOptions opt;
    opt.cni = Cni::Cilium;
    auto l = load_text(in.policies, in.cluster, opt);
    ASSERT_FALSE(l->diags.has_errors()) << in.policies << l->messages();
    ASSERT_FALSE(l->policies.policies().empty());
    for (int proto : {ir::kTCP, ir::kUDP})
      for (uint16_t port : {53, 80, 81, 5432, 8080}) {
        auto m = ir::Matrix::compute(l->policies, l->inventory, {proto, port, ir::Family::V4});
        for (size_t i = 0; i < m.pods().size(); ++i)
          for (size_t j = 0; j < m.pods().size(); ++j) {
            ir::Packet pkt{ir::Endpoint::of_pod(*m.pods()[i], ir::Family::V4),
                           ir::Endpoint::of_pod(*m.pods()[j], ir::Family::V4), proto, port};
            EXPECT_EQ(ir::evaluate(l->policies, l->inventory, pkt).allowed, m.allowed(i, j))
                << m.pods()[i]->id() << " -> " << m.pods()[j]->id() << " " << port;
          }
      }
  }
}

// Port numbers are read as strconv.ParseUint(port, 0, 16): a leading 0 is octal; port 0 is
// every port of the protocol.
TEST(Cilium, PortNumbersAsUpstreamParsesThem) {
  auto l = load_ok(cnp("prod", R"(spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - toPorts:
    - ports:
      - {port: "010", protocol: TCP}
      - {port: "0", protocol: UDP}
)"));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 8));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 10));
  EXPECT_TRUE(allowed(*l, "prod/web", "prod/db", 40000, ir::kUDP));
  EXPECT_FALSE(allowed(*l, "prod/web", "prod/db", 40000, ir::kTCP));
}
