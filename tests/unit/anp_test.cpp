// AdminNetworkPolicy and BaselineAdminNetworkPolicy semantics (shared/SEMANTICS.md section 1,
// network-policy-api apis/v1alpha1 and cmd/policy-assistant/pkg/matcher/policy.go): ANP by
// priority, then NetworkPolicy if one isolates the pod, then BANP, then allow.
#include <gtest/gtest.h>

#include "tests/support/support.h"

using namespace nv;
using nv::test::inventory_yaml;
using nv::test::load_text;

namespace {

const std::string kCluster = inventory_yaml({
    "ns prod env=prod",
    "ns dev env=dev",
    "ns monitoring env=ops",
    "ns kube-system",
    "pod prod/web 10.0.0.1 app=web port=http:TCP:8080",
    "pod prod/db 10.0.0.2 app=db port=pg:TCP:5432",
    "pod dev/tool 10.1.0.2 app=tool",
    "pod monitoring/prom 10.2.0.1 app=prom",
    "pod kube-system/dns 10.3.0.1 k8s-app=kube-dns port=dns:UDP:53 port=dns-tcp:TCP:53",
});

std::string anp(const std::string& name, int priority, const std::string& body) {
  return "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
         "metadata:\n  name: " + name + "\nspec:\n  priority: " + std::to_string(priority) + "\n" + body;
}

std::string banp(const std::string& body, const std::string& name = "default") {
  return "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
         "metadata:\n  name: " + name + "\nspec:\n" + body;
}

std::string netpol(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}

const std::string kProdSubject = "  subject:\n    namespaces:\n      matchLabels: {env: prod}\n";

// "Deny|Allow|Pass ingress from namespaces env=<env>", as one rule.
std::string from_env(const std::string& action, const std::string& env, const std::string& extra = "") {
  return "  - action: " + action + "\n    from:\n    - namespaces:\n        matchLabels: {env: " + env + "}\n" + extra;
}

// NetworkPolicy in prod selecting app=web, allowing ingress from every namespace.
const std::string kNpAllowAllToWeb =
    netpol("prod", "allow-web", "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n");
const std::string kNpDenyAllInProd = netpol("prod", "deny-all", "  podSelector: {}\n  policyTypes: [Ingress]\n");

}  // namespace

// The same answers with the generic layering and with Calico's (kube-admin and kube-baseline tiers).
class AnpSemantics : public ::testing::TestWithParam<Cni> {
 protected:
  std::unique_ptr<test::Loaded> load(const std::string& policies) {
    LoadOptions opt;
    opt.cni = GetParam();
    auto l = load_text(policies, kCluster, opt);
    EXPECT_FALSE(l->diags.has_errors()) << l->messages();
    return l;
  }
};

INSTANTIATE_TEST_SUITE_P(Cni, AnpSemantics, ::testing::Values(Cni::Generic, Cni::Calico),
                         [](const auto& info) { return std::string(name(info.param)); });

TEST_P(AnpSemantics, DenyBeatsANetworkPolicyAllow) {
  auto l = load(kNpAllowAllToWeb + anp("deny-dev", 10, kProdSubject + "  ingress:\n" + from_env("Deny", "dev")));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8080));
  EXPECT_TRUE(l->allowed("monitoring/prom", "prod/web", 8080));  // the NetworkPolicy allows it
  auto v = l->verdict("dev/tool", "prod/web", 8080);
  ASSERT_EQ(v.ingress.kind, ir::SideDecision::Kind::Rule);
  EXPECT_EQ(v.ingress.policy->kind, "AdminNetworkPolicy");
  EXPECT_EQ(v.ingress.tier->name, ir::kAdminTier);
}

TEST_P(AnpSemantics, AllowBeatsANetworkPolicyDefaultDeny) {
  auto l = load(kNpDenyAllInProd + anp("allow-monitoring", 10, kProdSubject + "  ingress:\n" + from_env("Allow", "ops")));
  EXPECT_TRUE(l->allowed("monitoring/prom", "prod/web", 8080));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8080));  // no ANP rule matches: NetworkPolicy denies
}

TEST_P(AnpSemantics, PassHandsTheDecisionToNetworkPolicy) {
  // Pass at 10 skips the Deny at 20: NetworkPolicy decides.
  std::string anps = anp("pass-dev", 10, kProdSubject + "  ingress:\n" + from_env("Pass", "dev")) +
                     anp("deny-dev", 20, kProdSubject + "  ingress:\n" + from_env("Deny", "dev"));
  auto allowing = load(anps + kNpAllowAllToWeb);
  EXPECT_TRUE(allowing->allowed("dev/tool", "prod/web", 8080));
  // prod/db passes too, but no NetworkPolicy selects it and there is no BANP: allowed,
  // although the skipped ANP at 20 would have denied it.
  EXPECT_TRUE(allowing->allowed("dev/tool", "prod/db", 5432));
  auto denying = load(anps + kNpDenyAllInProd);
  EXPECT_FALSE(denying->allowed("dev/tool", "prod/web", 8080));
  auto v = denying->verdict("dev/tool", "prod/web", 8080);
  EXPECT_EQ(v.ingress.kind, ir::SideDecision::Kind::TierDefault);
  EXPECT_EQ(v.ingress.tier->name, ir::kDefaultTier);
}

TEST_P(AnpSemantics, PassWithoutNetworkPolicyFallsToTheBaseline) {
  std::string pass = anp("pass-dev", 10, kProdSubject + "  ingress:\n" + from_env("Pass", "dev"));
  std::string baseline = banp(kProdSubject + "  ingress:\n" + from_env("Deny", "dev"));
  EXPECT_TRUE(load(pass)->allowed("dev/tool", "prod/db", 5432));  // no BANP: allowed
  auto l = load(pass + baseline);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  auto v = l->verdict("dev/tool", "prod/db", 5432);
  ASSERT_EQ(v.ingress.kind, ir::SideDecision::Kind::Rule);
  EXPECT_EQ(v.ingress.policy->kind, "BaselineAdminNetworkPolicy");
  EXPECT_TRUE(l->allowed("monitoring/prom", "prod/db", 5432));  // BANP has no rule for it: allow
}

TEST_P(AnpSemantics, BaselineDoesNotApplyToPodsANetworkPolicySelects) {
  std::string baseline = banp(kProdSubject + "  ingress:\n" + from_env("Deny", "dev"));
  auto l = load(baseline + kNpAllowAllToWeb);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 8080));   // the NetworkPolicy decides
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));   // no NetworkPolicy selects db
  // A NetworkPolicy that isolates web for egress only leaves its ingress to the baseline.
  auto egress_only = load(baseline + netpol("prod", "egress-only", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - {}\n"));
  EXPECT_FALSE(egress_only->allowed("dev/tool", "prod/web", 8080));
}

TEST_P(AnpSemantics, BaselineAllowDoesNotOverrideNetworkPolicy) {
  auto l = load(banp(kProdSubject + "  ingress:\n" + from_env("Allow", "dev")) + kNpDenyAllInProd);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8080));
}

TEST_P(AnpSemantics, LowerPriorityDecidesFirst) {
  // Names sort the other way round, so the order must come from the priorities.
  std::string a_deny = kProdSubject + "  ingress:\n" + from_env("Deny", "dev");
  std::string z_allow = kProdSubject + "  ingress:\n" + from_env("Allow", "dev");
  EXPECT_TRUE(load(anp("a-deny", 20, a_deny) + anp("z-allow", 5, z_allow))->allowed("dev/tool", "prod/web", 8080));
  EXPECT_FALSE(load(anp("a-deny", 5, a_deny) + anp("z-allow", 20, z_allow))->allowed("dev/tool", "prod/web", 8080));
  EXPECT_FALSE(load(anp("a-deny", 0, a_deny) + anp("z-allow", 1000, z_allow))->allowed("dev/tool", "prod/web", 8080));
}

TEST_P(AnpSemantics, RulesOfOnePolicyApplyInOrder) {
  std::string allow_8080 = "  - action: Allow\n    from:\n    - namespaces: {}\n    ports:\n    - portNumber: {port: 8080}\n";
  std::string deny_all = "  - action: Deny\n    from:\n    - namespaces: {}\n";
  auto allow_first = load(anp("a", 10, kProdSubject + "  ingress:\n" + allow_8080 + deny_all));
  EXPECT_TRUE(allow_first->allowed("dev/tool", "prod/web", 8080));
  EXPECT_FALSE(allow_first->allowed("dev/tool", "prod/web", 80));
  auto deny_first = load(anp("a", 10, kProdSubject + "  ingress:\n" + deny_all + allow_8080));
  EXPECT_FALSE(deny_first->allowed("dev/tool", "prod/web", 8080));
}

TEST_P(AnpSemantics, NamedPortsResolveAgainstTheDestinationPod) {
  // Egress from dev: allow the container port named "http" (TCP 8080 on web only), deny the rest.
  std::string subject = "  subject:\n    namespaces:\n      matchLabels: {env: dev}\n";
  std::string rules =
      "  egress:\n  - name: allow-http\n    action: Allow\n    to:\n    - namespaces: {}\n"
      "    ports:\n    - namedPort: http\n    - namedPort: dns\n"
      "  - name: deny-rest\n    action: Deny\n    to:\n    - namespaces: {}\n";
  auto l = load(anp("named", 10, subject + rules));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 8080));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 8080));        // db has no port named http
  EXPECT_TRUE(l->allowed("dev/tool", "kube-system/dns", 53, ir::kUDP));   // "dns" is UDP 53
  EXPECT_FALSE(l->allowed("dev/tool", "kube-system/dns", 53, ir::kTCP));  // TCP 53 is "dns-tcp"
  auto v = l->verdict("dev/tool", "prod/db", 8080);
  ASSERT_EQ(v.egress.kind, ir::SideDecision::Kind::Rule);
  EXPECT_EQ(v.egress.rule->path, "spec.egress[1] (deny-rest)");
}

TEST_P(AnpSemantics, PortRangesAreInclusiveAndDefaultToTcp) {
  std::string rules = "  ingress:\n  - action: Deny\n    from:\n    - namespaces: {}\n    ports:\n"
                      "    - portRange: {start: 8000, end: 9000}\n    - portNumber: {protocol: UDP, port: 53}\n";
  auto l = load(anp("ranges", 10, kProdSubject + rules));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8000));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 9000));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 7999));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 9001));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 8080, ir::kUDP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 53, ir::kUDP));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 53, ir::kTCP));
}

TEST_P(AnpSemantics, NetworksMatchPodAddressesAndOutsideAddresses) {
  std::string rules = "  egress:\n  - action: Deny\n    to:\n    - networks: [10.1.0.0/16, 203.0.113.0/24]\n";
  auto l = load(anp("deny-nets", 10, kProdSubject + rules));
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));  // a pod inside 10.1.0.0/16
  EXPECT_TRUE(l->allowed("prod/web", "monitoring/prom", 80));
  auto outside = [&](const char* ip) {
    ir::Packet pkt{ir::Endpoint::of_pod(l->pod("prod/web"), ir::Family::V4),
                   ir::Endpoint::of_ip(l->inventory, *ir::IpAddr::parse(ip)), ir::kTCP, 443};
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  EXPECT_FALSE(outside("203.0.113.9"));
  EXPECT_TRUE(outside("198.51.100.1"));
}

TEST_P(AnpSemantics, ADirectionWithoutRulesIsNotIsolated) {
  // Only egress rules: ingress falls through to NetworkPolicy and the baseline.
  std::string only_egress = "  egress:\n  - action: Allow\n    to:\n    - namespaces: {}\n";
  auto l = load(anp("egress-only", 10, kProdSubject + only_egress) + kNpDenyAllInProd);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8080));  // the NetworkPolicy's default deny
  EXPECT_TRUE(l->allowed("prod/web", "dev/tool", 80));
  // No ANP rule matches: the tier passes (its default), NetworkPolicy is not there: allow.
  auto none_match = load(anp("deny-ops", 10, kProdSubject + "  ingress:\n" + from_env("Deny", "ops")));
  EXPECT_TRUE(none_match->allowed("dev/tool", "prod/web", 8080));
  EXPECT_EQ(none_match->verdict("dev/tool", "prod/web", 8080).ingress.kind, ir::SideDecision::Kind::PassedAll);
}

TEST_P(AnpSemantics, PodsSubjectAndPeerSelectNamespacesAndPods) {
  std::string body =
      "  subject:\n    pods:\n      namespaceSelector: {matchLabels: {env: prod}}\n"
      "      podSelector: {matchLabels: {app: db}}\n"
      "  ingress:\n  - action: Allow\n    from:\n    - pods:\n        namespaceSelector: {matchLabels: {env: prod}}\n"
      "        podSelector: {matchLabels: {app: web}}\n"
      "  - action: Deny\n    from:\n    - namespaces: {}\n";
  auto l = load(anp("db", 10, body));
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 8080));  // web is not a subject
}

TEST_P(AnpSemantics, AllowDnsToKubeSystemBeatsEgressDenies) {
  std::string dns =
      "  subject:\n    namespaces: {}\n  egress:\n  - name: dns\n    action: Allow\n    to:\n"
      "    - pods:\n        namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n"
      "        podSelector: {matchLabels: {k8s-app: kube-dns}}\n"
      "    ports:\n    - portNumber: {protocol: UDP, port: 53}\n";
  std::string np_deny_egress = netpol("dev", "deny-egress", "  podSelector: {}\n  policyTypes: [Egress]\n");
  auto l = load(anp("allow-dns", 1, dns) + np_deny_egress);
  EXPECT_TRUE(l->allowed("dev/tool", "kube-system/dns", 53, ir::kUDP));
  EXPECT_FALSE(l->allowed("dev/tool", "kube-system/dns", 53, ir::kTCP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8080));
}

TEST(Anp, CiliumDoesNotImplementIt) {
  LoadOptions opt;
  opt.cni = Cni::Cilium;
  auto l = load_text(anp("a", 1, kProdSubject), kCluster, opt);
  EXPECT_TRUE(l->has(ir::Code::NV1018)) << l->messages();
  EXPECT_TRUE(l->policies.policies().empty());
}

TEST(Anp, LoweredPolicyShape) {
  auto l = load_text(anp("a", 7, kProdSubject + "  ingress:\n" + from_env("Deny", "dev")) +
                         banp(kProdSubject + "  egress:\n  - action: Allow\n    to:\n    - namespaces: {}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  ASSERT_EQ(l->policies.policies().size(), 2u);
  for (const auto& p : l->policies.policies()) {
    EXPECT_EQ(p.dialect, "anp");
    EXPECT_TRUE(p.ns.empty());
    bool base = p.kind == "BaselineAdminNetworkPolicy";
    EXPECT_EQ(p.tier, base ? ir::kBaselineTier : ir::kAdminTier);
    EXPECT_EQ(p.dir(ir::Direction::Ingress).isolates, !base);
    EXPECT_EQ(p.dir(ir::Direction::Egress).isolates, base);
    if (!base) {
      EXPECT_EQ(p.order, 7);
    }
  }
  for (const auto& t : l->policies.tiers())
    if (t.name == ir::kAdminTier || t.name == ir::kBaselineTier) {
      EXPECT_EQ(t.default_action, ir::Action::Pass);
      EXPECT_EQ(t.order, t.name == ir::kAdminTier ? ir::kAdminTierOrder : ir::kBaselineTierOrder);
    }
}

TEST(Anp, SamePriorityWithOverlappingSubjectsWarns) {
  std::string deny = "  ingress:\n" + from_env("Deny", "dev");
  auto l = load_text(anp("a", 10, kProdSubject + deny) +
                         anp("b", 10, "  subject:\n    pods:\n      namespaceSelector: {}\n      podSelector: {matchLabels: {app: web}}\n" + deny),
                     kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
  ASSERT_TRUE(l->has(ir::Code::NV7020)) << l->messages();
  for (const auto& d : l->diags.all())
    if (d.code == ir::Code::NV7020) {
      EXPECT_EQ(d.severity, ir::Severity::Warning);
      EXPECT_EQ(d.span.line, 22);  // the second object's priority
      EXPECT_EQ(d.span.col, 13);
      ASSERT_EQ(d.notes.size(), 1u);
      EXPECT_EQ(d.notes[0].span.line, 2);
    }
  // Disjoint subjects (env prod vs env dev), other priorities, or other directions: quiet.
  std::string dev_subject = "  subject:\n    namespaces:\n      matchLabels: {env: dev}\n";
  EXPECT_FALSE(load_text(anp("a", 10, kProdSubject + deny) + anp("b", 10, dev_subject + deny), kCluster)->has(ir::Code::NV7020));
  EXPECT_FALSE(load_text(anp("a", 10, kProdSubject + deny) + anp("b", 11, kProdSubject + deny), kCluster)->has(ir::Code::NV7020));
  std::string egress = "  egress:\n  - action: Deny\n    to:\n    - namespaces: {}\n";
  EXPECT_FALSE(load_text(anp("a", 10, kProdSubject + deny) + anp("b", 10, kProdSubject + egress), kCluster)->has(ir::Code::NV7020));
  std::string no_env = "  subject:\n    namespaces:\n      matchExpressions: [{key: env, operator: DoesNotExist}]\n";
  EXPECT_FALSE(load_text(anp("a", 10, kProdSubject + deny) + anp("b", 10, no_env + deny), kCluster)->has(ir::Code::NV7020));
}

TEST(Anp, InvalidNamedPortWarnsAndNeverMatches) {
  auto l = load_text(anp("a", 10, kProdSubject + "  ingress:\n  - action: Deny\n    from:\n    - namespaces: {}\n"
                                                   "    ports:\n    - namedPort: HTTP\n"),
                     kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->has(ir::Code::NV7021));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 8080));
}

TEST(Anp, BaselineEmptyPortListMatchesEveryPort) {
  auto l = load_text(banp(kProdSubject + "  ingress:\n  - action: Deny\n    from:\n    - namespaces: {}\n    ports: []\n"), kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 1234));
}

TEST(Anp, ErrorsPointAtTheOffendingNode) {
  // Line 12 col 13 is the value of `action` (line 1 is the `---`).
  auto l = load_text(anp("a", 10, kProdSubject + "  ingress:\n  - action: Reject\n    from:\n    - namespaces: {}\n"), kCluster);
  ASSERT_TRUE(l->has(ir::Code::NV7003)) << l->messages();
  const auto& d = l->diags.all().front();
  EXPECT_EQ(d.code, ir::Code::NV7003);
  EXPECT_EQ(d.span.line, 12);
  EXPECT_EQ(d.span.col, 13);
  auto p = load_text(anp("a", 1001, kProdSubject), kCluster);
  ASSERT_TRUE(p->has(ir::Code::NV7001)) << p->messages();
  EXPECT_EQ(p->diags.all().front().span.line, 7);
  EXPECT_EQ(p->diags.all().front().span.col, 13);
}

// What upstream validation (CRD schema and CEL rules) rejects, and the shapes netverify
// does not read, are errors with a code and a position; never a partial policy.
// (In an anonymous namespace: other test files define their own `Rejected`.)
namespace {
struct AnpRejected {
  const char* name;
  std::string doc;
  ir::Code code;
};
}  // namespace

class AnpRejects : public ::testing::TestWithParam<AnpRejected> {};

TEST_P(AnpRejects, WithItsCode) {
  auto l = load_text(GetParam().doc, kCluster);
  EXPECT_TRUE(l->has(GetParam().code)) << l->messages();
  EXPECT_TRUE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->policies.policies().empty()) << "no partial policy";
  for (const auto& d : l->diags.all()) EXPECT_GT(d.span.line, 0) << d.message;
}

namespace {

std::string rules(const std::string& dir, const std::string& rule_body) {
  return kProdSubject + "  " + dir + ":\n" + rule_body;
}
std::string ingress_peer(const std::string& peer) {
  return rules("ingress", "  - action: Deny\n    from:\n    - " + peer + "\n");
}
std::string egress_peer(const std::string& peer, const std::string& ports = "") {
  return rules("egress", "  - action: Deny\n    to:\n    - " + peer + "\n" + ports);
}
std::string port(const std::string& p) {
  return rules("ingress", "  - action: Deny\n    from:\n    - namespaces: {}\n    ports:\n    - " + p + "\n");
}
std::string many(const std::string& item, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += item;
  return out;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(
    Validation, AnpRejects,
    ::testing::Values(
        AnpRejected{"PriorityTooHigh", anp("a", 1001, kProdSubject), ir::Code::NV7001},
        AnpRejected{"PriorityNegative", anp("a", -1, kProdSubject), ir::Code::NV7001},
        AnpRejected{"PriorityMissing",
                    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: "
                    "AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n" +
                        kProdSubject,
                    ir::Code::NV1022},
        AnpRejected{"PriorityString",
                    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: "
                    "AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n  priority: \"10\"\n" +
                        kProdSubject,
                    ir::Code::NV1021},
        AnpRejected{"SpecMissing",
                    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: "
                    "AdminNetworkPolicy\nmetadata: {name: a}\n",
                    ir::Code::NV1022},
        AnpRejected{"SubjectMissing", anp("a", 1, "  ingress: []\n"), ir::Code::NV1022},
        AnpRejected{"SubjectEmpty", anp("a", 1, "  subject: {}\n"), ir::Code::NV7002},
        AnpRejected{"SubjectBoth",
                    anp("a", 1,
                        "  subject:\n    namespaces: {}\n    pods: {namespaceSelector: {}, "
                        "podSelector: {}}\n"),
                    ir::Code::NV7002},
        AnpRejected{"SubjectPodsWithoutPodSelector",
                    anp("a", 1, "  subject:\n    pods: {namespaceSelector: {}}\n"),
                    ir::Code::NV1022},
        AnpRejected{
            "SubjectPodsNullNamespaceSelector",
            anp("a", 1, "  subject:\n    pods: {namespaceSelector: null, podSelector: {}}\n"),
            ir::Code::NV1022},
        AnpRejected{"SubjectOldShape", anp("a", 1, "  subject:\n    namespaceSelector: {}\n"),
                    ir::Code::NV7013},
        AnpRejected{"BadSelectorOperator",
                    anp("a", 1,
                        "  subject:\n    namespaces:\n      matchExpressions: [{key: a, operator: "
                        "Equals, values: [b]}]\n"),
                    ir::Code::NV2001},
        AnpRejected{"BadLabelValue",
                    anp("a", 1, ingress_peer("namespaces: {matchLabels: {env: \"a b\"}}")),
                    ir::Code::NV2004},
        AnpRejected{"ActionMissing",
                    anp("a", 1, rules("ingress", "  - from:\n    - namespaces: {}\n")),
                    ir::Code::NV1022},
        AnpRejected{"ActionNull",
                    anp("a", 1, rules("ingress", "  - action:\n    from:\n    - namespaces: {}\n")),
                    ir::Code::NV1022},
        AnpRejected{
            "ActionLowercase",
            anp("a", 1, rules("ingress", "  - action: allow\n    from:\n    - namespaces: {}\n")),
            ir::Code::NV7003},
        AnpRejected{"BaselinePass",
                    banp(rules("ingress", "  - action: Pass\n    from:\n    - namespaces: {}\n")),
                    ir::Code::NV7003},
        AnpRejected{"BaselineNotDefault", banp(kProdSubject, "other"), ir::Code::NV7011},
        AnpRejected{"BaselinePriority", banp("  priority: 1\n" + kProdSubject), ir::Code::NV1020},
        AnpRejected{"FromMissing", anp("a", 1, rules("ingress", "  - action: Deny\n")),
                    ir::Code::NV1022},
        AnpRejected{"FromNull", anp("a", 1, rules("ingress", "  - action: Deny\n    from:\n")),
                    ir::Code::NV1022},
        AnpRejected{"FromEmpty", anp("a", 1, rules("ingress", "  - action: Deny\n    from: []\n")),
                    ir::Code::NV7005},
        AnpRejected{"TooManyPeers",
                    anp("a", 1,
                        rules("ingress", "  - action: Deny\n    from:\n" +
                                             many("    - namespaces: {}\n", 101))),
                    ir::Code::NV7005},
        AnpRejected{
            "TooManyRules",
            anp("a", 1,
                rules("ingress", many("  - action: Deny\n    from: [{namespaces: {}}]\n", 101))),
            ir::Code::NV7005},
        AnpRejected{"RuleNameTooLong",
                    anp("a", 1,
                        rules("ingress", "  - name: " + std::string(101, 'x') +
                                             "\n    action: Deny\n    from: [{namespaces: {}}]\n")),
                    ir::Code::NV7006},
        AnpRejected{"EmptyPeer", anp("a", 1, ingress_peer("{}")), ir::Code::NV7004},
        AnpRejected{"NullPeerField", anp("a", 1, ingress_peer("namespaces: null")),
                    ir::Code::NV7004},
        AnpRejected{
            "TwoKindsInOnePeer",
            anp("a", 1,
                ingress_peer("{namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}")),
            ir::Code::NV7004},
        AnpRejected{"NetworksInIngress", anp("a", 1, ingress_peer("networks: [10.0.0.0/8]")),
                    ir::Code::NV7004},
        AnpRejected{"UnknownPeerField", anp("a", 1, ingress_peer("namespace: {}")),
                    ir::Code::NV1020},
        AnpRejected{"OldNamespacedPeer",
                    anp("a", 1, ingress_peer("namespaces: {namespaceSelector: {}}")),
                    ir::Code::NV7013},
        AnpRejected{"OldSameLabels",
                    anp("a", 1, ingress_peer("namespaces: {sameLabels: [tenant]}")),
                    ir::Code::NV7013},
        AnpRejected{
            "OldNamespacedPodPeer",
            anp("a", 1,
                ingress_peer("pods: {namespaces: {namespaceSelector: {}}, podSelector: {}}")),
            ir::Code::NV7013},
        AnpRejected{"OldNamespacedPods", anp("a", 1, ingress_peer("namespacedPods: {}")),
                    ir::Code::NV7013},
        AnpRejected{"NodesAndNetworksInOnePeer",
                    anp("a", 1, egress_peer("nodes: {}\n      networks: [10.0.0.0/8]")),
                    ir::Code::NV7004},
        AnpRejected{"NamedPortWithNodes",
                    anp("a", 1,
                        egress_peer("nodes: {matchLabels: {role: control-plane}}",
                                    "    ports:\n    - namedPort: http\n")),
                    ir::Code::NV7009},
        AnpRejected{"NodesAsIngressPeer", anp("a", 1, ingress_peer("nodes: {}")), ir::Code::NV7004},
        AnpRejected{"DomainNamesPeer", anp("a", 1, egress_peer("domainNames: [example.com]")),
                    ir::Code::NV7012},
        AnpRejected{"BadCidr", anp("a", 1, egress_peer("networks: [10.0.0.0/33]")),
                    ir::Code::NV7010},
        AnpRejected{"BareAddress", anp("a", 1, egress_peer("networks: [10.0.0.1]")),
                    ir::Code::NV7010},
        AnpRejected{"MappedV6Cidr", anp("a", 1, egress_peer("networks: [\"::ffff:10.0.0.0/104\"]")),
                    ir::Code::NV7010},
        AnpRejected{"DuplicateCidr", anp("a", 1, egress_peer("networks: [10.0.0.0/8, 10.0.0.0/8]")),
                    ir::Code::NV7010},
        AnpRejected{"EmptyNetworks", anp("a", 1, egress_peer("networks: []")), ir::Code::NV7005},
        AnpRejected{"NetworksAsCidrsStruct",
                    anp("a", 1, egress_peer("networks: [{cidrs: [10.0.0.0/8]}]")),
                    ir::Code::NV7013},
        AnpRejected{
            "NamedPortWithNetworks",
            anp("a", 1,
                egress_peer("networks: [10.0.0.0/8]", "    ports:\n    - namedPort: http\n")),
            ir::Code::NV7009},
        AnpRejected{"PortsEmpty",
                    anp("a", 1,
                        rules("ingress",
                              "  - action: Deny\n    from: [{namespaces: {}}]\n    ports: []\n")),
                    ir::Code::NV7005},
        AnpRejected{"PortsOldStruct",
                    anp("a", 1,
                        rules("ingress",
                              "  - action: Deny\n    from: [{namespaces: {}}]\n    ports: "
                              "{allPorts: true}\n")),
                    ir::Code::NV7013},
        AnpRejected{"PortOldShape", anp("a", 1, port("{protocol: TCP, port: 80}")),
                    ir::Code::NV7013},
        AnpRejected{"PortEmpty", anp("a", 1, port("{}")), ir::Code::NV7007},
        AnpRejected{"PortTwoKinds", anp("a", 1, port("{namedPort: http, portNumber: {port: 80}}")),
                    ir::Code::NV7007},
        AnpRejected{"PortZero", anp("a", 1, port("portNumber: {port: 0}")), ir::Code::NV7007},
        AnpRejected{"PortTooLarge", anp("a", 1, port("portNumber: {port: 65536}")),
                    ir::Code::NV7007},
        AnpRejected{"PortNumberMissing", anp("a", 1, port("portNumber: {protocol: TCP}")),
                    ir::Code::NV1022},
        AnpRejected{"PortQuoted", anp("a", 1, port("portNumber: {port: \"80\"}")),
                    ir::Code::NV1021},
        AnpRejected{"ProtocolIcmp", anp("a", 1, port("portNumber: {protocol: ICMP, port: 80}")),
                    ir::Code::NV7008},
        AnpRejected{"ProtocolLowercase",
                    anp("a", 1, port("portRange: {protocol: udp, start: 1, end: 2}")),
                    ir::Code::NV7008},
        AnpRejected{"RangeReversed", anp("a", 1, port("portRange: {start: 9000, end: 8000}")),
                    ir::Code::NV7007},
        AnpRejected{"RangeSingle", anp("a", 1, port("portRange: {start: 80, end: 80}")),
                    ir::Code::NV7007},
        AnpRejected{"RangeEndMissing", anp("a", 1, port("portRange: {start: 80}")),
                    ir::Code::NV1022},
        AnpRejected{"UnknownSpecField", anp("a", 1, kProdSubject + "  ingres: []\n"),
                    ir::Code::NV1020},
        AnpRejected{
            "UnknownRuleField",
            anp("a", 1,
                rules("ingress", "  - action: Deny\n    from: [{namespaces: {}}]\n    port: []\n")),
            ir::Code::NV1020},
        AnpRejected{"IngressNotAList", anp("a", 1, kProdSubject + "  ingress: {action: Deny}\n"),
                    ir::Code::NV1021}),
    [](const auto& info) { return std::string(info.param.name); });
