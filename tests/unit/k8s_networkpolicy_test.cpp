// Kubernetes NetworkPolicy semantics, rule by rule (shared/SEMANTICS.md section 1).
#include <gtest/gtest.h>

#include "ir/matrix.h"
#include "tests/support/support.h"

using namespace nv;
using nv::test::inventory_yaml;
using nv::test::load_text;

namespace {

// Two namespaces, a few pods; prod/db serves a named port "pg" on TCP 5432.
const std::string kCluster = inventory_yaml({
    "ns prod env=prod",
    "ns dev env=dev",
    "pod prod/web 10.0.0.1 app=web",
    "pod prod/db 10.0.0.2 app=db port=pg:TCP:5432 port=dns:UDP:53",
    "pod prod/cache 10.0.0.3 app=cache port=pg:TCP:6379",
    "pod dev/web 10.1.0.1 app=web",
    "pod dev/tool 10.1.0.2 app=tool",
});

std::string policy(const std::string& ns, const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: " +
         ns + "\nspec:\n" + spec;
}

}  // namespace

TEST(K8sNetworkPolicy, NoPolicyAllowsEverything) {
  auto l = load_text("", kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_EQ(l->verdict("dev/tool", "prod/db", 5432).ingress.kind,
            ir::SideDecision::Kind::NotIsolated);
}

TEST(K8sNetworkPolicy, PolicyTypesDefaultToIngressOnly) {
  auto l = load_text(policy("prod", "  podSelector: {}\n"), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));  // ingress isolated, no rules
  EXPECT_TRUE(l->allowed("prod/db", "dev/tool", 80));     // egress not isolated
}

TEST(K8sNetworkPolicy, EgressRulesImplyEgressType) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  egress:\n  - to:\n    - podSelector: {}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));  // egress isolated: only own namespace
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));  // ingress isolated too
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
}

TEST(K8sNetworkPolicy, EmptyEgressListDoesNotImplyEgress) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  egress: []\n"), kCluster);
  EXPECT_TRUE(l->allowed("prod/web", "dev/tool", 80));
}

TEST(K8sNetworkPolicy, EgressOnlyPolicyNeedsExplicitTypes) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  policyTypes: [Egress]\n"), kCluster);
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));  // deny-all egress
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));   // ingress untouched
}

TEST(K8sNetworkPolicy, IngressAllowAllWithEmptyRule) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - {}\n"), kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 1));
}

TEST(K8sNetworkPolicy, RulesOfAnUnlistedDirectionAreIgnoredWithAWarning) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n  - {}\n"),
                     kCluster);
  EXPECT_FALSE(l->diags.has_errors());
  EXPECT_TRUE(l->has(ir::Code::NV2031));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 1));  // ingress not isolated
}

TEST(K8sNetworkPolicy, ConnectionNeedsEgressAndIngress) {
  std::string p = policy("prod",
                         "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n"
                         "    - podSelector: {matchLabels: {app: web}}\n") +
                  "---\n" +
                  policy("prod", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n");
  // second policy has the same name: rename it
  p.replace(p.rfind("name: p"), 7, "name: q");
  auto l = load_text(p, kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  auto v = l->verdict("prod/web", "prod/db", 5432);
  EXPECT_FALSE(v.allowed);
  EXPECT_TRUE(v.ingress.allowed);
  EXPECT_FALSE(v.egress.allowed);
}

TEST(K8sNetworkPolicy, PodSelectorAloneMeansThePolicysNamespace) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - podSelector: {matchLabels: {app: web}}\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, NamespaceAndPodSelectorInOnePeerAreAnded) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - namespaceSelector: {matchLabels: {env: dev}}\n"
                                    "      podSelector: {matchLabels: {app: web}}\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, TwoPeerItemsAreOred) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - namespaceSelector: {matchLabels: {env: dev}}\n"
                                    "    - podSelector: {matchLabels: {app: web}}\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));  // any pod of dev
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));  // web of prod
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, NamespaceNameLabelIsAutomatic) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - namespaceSelector:\n        matchLabels:\n"
                                    "          kubernetes.io/metadata.name: dev\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, MatchExpressions) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - namespaceSelector: {}\n      podSelector:\n"
                                    "        matchExpressions:\n"
                                    "        - {key: app, operator: NotIn, values: [tool, cache]}\n"
                                    "        - {key: canary, operator: DoesNotExist}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, IpBlockWithExcept) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - ipBlock: {cidr: 10.1.0.0/16, except: [10.1.0.2/32]}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));    // 10.1.0.1
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));  // 10.1.0.2 excepted
}

TEST(K8sNetworkPolicy, AnotherPeerMayReallowAnExceptedRange) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - ipBlock: {cidr: 10.1.0.0/16, except: [10.1.0.2/32]}\n"
                                    "    - ipBlock: {cidr: 10.1.0.2/31}\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, IpBlockMatchingPodsIsAFlag) {
  LoadOptions opt;
  opt.k8s.ipblock_matches_pods = false;
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                                    "    - ipBlock: {cidr: 10.0.0.0/8}\n"),
                     kCluster, opt);
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, PortsProtocolDefaultsToTcp) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 53\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 53, ir::kTCP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 53, ir::kUDP));
}

TEST(K8sNetworkPolicy, ProtocolWithoutPortMeansEveryPort) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - ports:\n    - protocol: SCTP\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 9999, ir::kSCTP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 9999, ir::kTCP));
}

TEST(K8sNetworkPolicy, EndPortIsInclusive) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - ports:\n"
                                    "    - {port: 32000, endPort: 32768}\n"),
                     kCluster);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 31999));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 32000));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 32768));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 32769));
}

TEST(K8sNetworkPolicy, NamedPortResolvesPerDestinationPodForIngress) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - ports:\n    - port: pg\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 6379));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/cache", 6379));  // same name, other number
  EXPECT_FALSE(l->allowed("dev/tool", "prod/cache", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 5432));   // web has no such port
}

TEST(K8sNetworkPolicy, NamedPortResolvesAgainstThePeerForEgress) {
  auto l = load_text(policy("dev", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                   "  - ports:\n    - port: pg\n"),
                     kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/cache", 6379));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/cache", 5432));
}

TEST(K8sNetworkPolicy, NamedPortNeedsTheProtocolToMatch) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - ports:\n"
                                    "    - {port: dns, protocol: TCP}\n"),
                     kCluster);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 53, ir::kTCP));  // dns is UDP on the pod
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 53, ir::kUDP));
}

TEST(K8sNetworkPolicy, NamedPortNeverMatchesAnIpBlockDestination) {
  auto l = load_text(policy("dev", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                   "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0}\n    ports:\n    - port: pg\n"),
                     kCluster);
  ir::Packet pkt{ir::Endpoint::of_pod(l->pod("dev/tool"), ir::Family::V4),
                 ir::Endpoint::of_ip(l->inventory, *ir::IpAddr::parse("203.0.113.1")), ir::kTCP, 5432};
  EXPECT_FALSE(ir::evaluate(l->policies, l->inventory, pkt).allowed);
}

TEST(K8sNetworkPolicy, SelfTrafficIsAlwaysAllowed) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"), kCluster);
  EXPECT_TRUE(l->allowed("prod/db", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
}

TEST(K8sNetworkPolicy, UnionOfPolicies) {
  auto text = policy("prod", "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n"
                             "    - podSelector: {matchLabels: {app: web}}\n") +
              "---\n" +
              policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n"
                             "    - namespaceSelector: {matchLabels: {env: dev}}\n");
  text.replace(text.rfind("name: p"), 7, "name: q");
  auto l = load_text(text, kCluster);
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 1));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/web", "prod/cache", 1));
}

TEST(K8sNetworkPolicy, MissingNamespaceGetsTheDefault) {
  LoadOptions opt;
  opt.default_namespace = "dev";
  auto l = load_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                     "spec: {podSelector: {}}\n",
                     kCluster, opt);
  EXPECT_EQ(l->stats.namespace_defaulted, 1);
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
}

// What the API server rejects is an error here too.
namespace {
struct Rejected {
  const char* name;
  const char* spec;
  ir::Code code;
};

}  // namespace

class K8sRejects : public ::testing::TestWithParam<Rejected> {};

TEST_P(K8sRejects, WithItsCode) {
  auto l = load_text(policy("prod", GetParam().spec), kCluster);
  EXPECT_TRUE(l->has(GetParam().code)) << l->messages();
  EXPECT_TRUE(l->policies.policies().empty()) << "no partial policy";
  for (const auto& d : l->diags.all()) EXPECT_GT(d.span.line, 0) << d.message;
}

INSTANTIATE_TEST_SUITE_P(
    Validation, K8sRejects,
    ::testing::Values(
        Rejected{"EndPortWithNamedPort", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: http, endPort: 90}\n", ir::Code::NV2013},
        Rejected{"EndPortWithoutPort", "  podSelector: {}\n  ingress:\n  - ports:\n    - {endPort: 90}\n", ir::Code::NV2013},
        Rejected{"EndPortBelowPort", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 100, endPort: 90}\n", ir::Code::NV2013},
        Rejected{"ExceptOutsideCidr", "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}\n", ir::Code::NV2023},
        Rejected{"ExceptEqualToCidr", "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}\n", ir::Code::NV2023},
        Rejected{"IpBlockWithSelector", "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n", ir::Code::NV2021},
        Rejected{"UnknownProtocol", "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: ICMP}\n", ir::Code::NV2010},
        Rejected{"LowercaseProtocol", "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: tcp, port: 80}\n", ir::Code::NV2010},
        Rejected{"PortZero", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 0}\n", ir::Code::NV2011},
        Rejected{"PortTooLarge", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 65536}\n", ir::Code::NV2011},
        Rejected{"QuotedNumericPort", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: \"80\"}\n", ir::Code::NV2012},
        Rejected{"BadPortName", "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: Http_Port}\n", ir::Code::NV2012},
        Rejected{"EmptyPeer", "  podSelector: {}\n  ingress:\n  - from:\n    - {}\n", ir::Code::NV2020},
        Rejected{"BadCidr", "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n", ir::Code::NV2022},
        Rejected{"BadOperator", "  podSelector:\n    matchExpressions:\n    - {key: a, operator: Equals, values: [b]}\n", ir::Code::NV2001},
        Rejected{"InWithoutValues", "  podSelector:\n    matchExpressions:\n    - {key: a, operator: In}\n", ir::Code::NV2002},
        Rejected{"ExistsWithValues", "  podSelector:\n    matchExpressions:\n    - {key: a, operator: Exists, values: [b]}\n", ir::Code::NV2002},
        Rejected{"BadLabelKey", "  podSelector:\n    matchLabels: {\"-bad\": x}\n", ir::Code::NV2003},
        Rejected{"BadLabelValue", "  podSelector:\n    matchLabels: {app: \"a b\"}\n", ir::Code::NV2004},
        Rejected{"BadPolicyType", "  podSelector: {}\n  policyTypes: [ingress]\n", ir::Code::NV2030},
        Rejected{"UnknownSpecField", "  podSelectr: {}\n", ir::Code::NV1020},
        Rejected{"UnknownPeerField", "  podSelector: {}\n  ingress:\n  - from:\n    - podselector: {}\n", ir::Code::NV1020},
        Rejected{"WrongType", "  podSelector: {}\n  ingress: {from: []}\n", ir::Code::NV1021},
        Rejected{"PortAsList", "  podSelector: {}\n  ingress:\n  - ports:\n    - port: [80]\n", ir::Code::NV1021}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(K8sNetworkPolicy, DialectsThatNoCniEnforcesTogetherAreRefused) {
  const std::string calico = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n";
  const std::string cilium = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: b, namespace: x}\n";
  const std::string anp = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: c}\n";
  auto count = [](const nv::test::Loaded& l, ir::Code c) {
    int n = 0;
    for (const auto& d : l.diags.all()) n += d.code == c;
    return n;
  };
  EXPECT_EQ(count(*load_text(calico + "---\n" + cilium, kCluster), ir::Code::NV1018), 1);
  EXPECT_EQ(count(*load_text(cilium + "---\n" + anp, kCluster), ir::Code::NV1018), 1);
  LoadOptions generic;
  generic.cni = nv::Cni::Generic;
  EXPECT_EQ(count(*load_text(calico, kCluster, generic), ir::Code::NV1018), 1);
  LoadOptions as_cilium;
  as_cilium.cni = nv::Cni::Cilium;
  EXPECT_EQ(count(*load_text(calico, kCluster, as_cilium), ir::Code::NV1018), 1);
  // Policy kinds netverify does not read are refused; other kinds of those groups skipped.
  auto l = load_text("apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\n---\n"
                     "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\n---\n"
                     "apiVersion: crd.antrea.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: a}\n",
                     kCluster);
  EXPECT_EQ(count(*l, ir::Code::NV1012), 2);
  EXPECT_EQ(l->stats.skipped.count("projectcalico.org/v3 IPPool"), 1u);
}

TEST(K8sNetworkPolicy, DuplicatePolicyIsAnError) {
  std::string p = policy("prod", "  podSelector: {}\n");
  auto l = load_text(p + "---\n" + p, kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV1013));
}

TEST(K8sNetworkPolicy, IpBlocksAreFamilySpecific) {
  const std::string dual = R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: a}}
- apiVersion: v1
  kind: Pod
  metadata: {name: client, namespace: a, labels: {app: client}}
  status: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: server, namespace: a, labels: {app: server}}
  status: {podIPs: [{ip: 10.0.0.2}, {ip: "fd00::2"}]}
)";
  auto l = load_text(policy("a", "  podSelector: {matchLabels: {app: server}}\n  ingress:\n  - from:\n"
                                 "    - ipBlock: {cidr: \"fd00::/64\", except: [\"fd00::1/128\"]}\n"
                                 "    - ipBlock: {cidr: 10.0.0.0/8}\n"),
                     dual);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  auto verdict = [&](ir::Family f) {
    ir::Packet pkt{ir::Endpoint::of_pod(l->pod("a/client"), f), ir::Endpoint::of_pod(l->pod("a/server"), f),
                   ir::kTCP, 80};
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_TRUE(verdict(ir::Family::V4));   // 10.0.0.1 in 10.0.0.0/8
  EXPECT_FALSE(verdict(ir::Family::V6));  // fd00::1 excepted; the v4 block never matches v6
  ir::MatrixOptions opt;
  opt.family = ir::Family::V6;
  auto m = ir::Matrix::compute(l->policies, l->inventory, opt);
  EXPECT_FALSE(m.allowed(0, 1));  // pods sort as a/client, a/server
  opt.family = ir::Family::V4;
  EXPECT_TRUE(ir::Matrix::compute(l->policies, l->inventory, opt).allowed(0, 1));
}

TEST(K8sNetworkPolicy, PodWithoutAddressIsNeverInAnIpBlock) {
  auto l = load_text(policy("prod", "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0}\n"),
                     kCluster + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pending, namespace: dev}\n");
  EXPECT_FALSE(l->allowed("dev/pending", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
}

// Scalars resolve as goyaml.v2 resolves them (sigs.k8s.io/yaml, used by kubectl).
TEST(K8sNetworkPolicy, PortNumbersAreReadAsKubectlReadsThem) {
  struct Case {
    const char* text;
    int port;
  };
  for (Case c : {Case{"0120", 80}, Case{"0x50", 80}, Case{"0o120", 80}, Case{"0b1010000", 80},
                 Case{"1e2", 100}, Case{"80.0", 80}, Case{"8_0", 80}, Case{"+80", 80}}) {
    auto l = load_text(policy("prod", std::string("  podSelector: {}\n  ingress:\n  - ports:\n    - port: ") +
                                          c.text + "\n"),
                       kCluster);
    ASSERT_FALSE(l->diags.has_errors()) << c.text << "\n" << l->messages();
    EXPECT_TRUE(l->allowed("dev/tool", "prod/web", c.port)) << c.text;
    EXPECT_FALSE(l->allowed("dev/tool", "prod/web", c.port + 1)) << c.text;
  }
}

TEST(K8sNetworkPolicy, BooleansAndNumbersWhereStringsBelongAreErrors) {
  for (const char* spec : {"  podSelector: {matchLabels: {app: yes}}\n",
                           "  podSelector: {matchLabels: {on: web}}\n",
                           "  podSelector: {matchLabels: {version: 2}}\n",
                           "  podSelector: {}\n  ingress:\n  - ports:\n    - port: true\n",
                           "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80.5\n",
                           "  podSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [no]}\n"}) {
    auto l = load_text(policy("prod", spec), kCluster);
    EXPECT_TRUE(l->has(ir::Code::NV1021)) << spec << l->messages();
    EXPECT_TRUE(l->policies.policies().empty()) << spec;
  }
  auto quoted = load_text(policy("prod", "  podSelector: {matchLabels: {\"on\": \"yes\", version: \"2\"}}\n"), kCluster);
  EXPECT_FALSE(quoted->diags.has_errors()) << quoted->messages();
}

TEST(K8sNetworkPolicy, UnquotedBooleanNamespaceIsAnError) {
  auto l = load_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: y}\n"
                     "spec: {podSelector: {}}\n",
                     kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV1016)) << l->messages();
}
