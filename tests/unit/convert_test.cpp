// netverify convert's emitters (compiler/emit): the YAML writer's quoting, each emitter's
// exact text on small inputs, and every refusal code the emitters give.
#include <gtest/gtest.h>

#include "compiler/emit/emit.h"
#include "compiler/emit/yaml.h"
#include "tests/support/support.h"

using namespace nv;
using nv::test::load_text;

namespace {

std::string np(const std::string& spec, const std::string& name = "p",
               const std::string& ns = "prod") {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}

std::string calico(const std::string& kind, const std::string& spec,
                   const std::string& name = "c") {
  return "apiVersion: projectcalico.org/v3\nkind: " + kind + "\nmetadata:\n  name: " + name +
         (kind == "NetworkPolicy" ? "\n  namespace: prod" : "") + "\nspec:\n" + spec;
}

std::string cnp(const std::string& spec, const std::string& name = "c") {
  return "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: prod\nspec:\n" + spec;
}

// Loads `text` with `cni` and converts it; fails the test on input errors.
emit::Output convert(const std::string& text, emit::Target t, Cni cni = Cni::Auto) {
  LoadOptions lo;
  lo.cni = cni;
  auto w = load_text(text, "", lo);
  EXPECT_FALSE(w->diags.has_errors()) << w->messages();
  return emit::convert(w->policies, t, nullptr);
}

std::vector<ir::Code> codes(const emit::Output& o) {
  std::vector<ir::Code> out;
  for (const auto& r : o.refusals) out.push_back(r.code);
  return out;
}

}  // namespace

TEST(ConvertYaml, QuotesWhatYaml11ReadsAsAnotherType) {
  using emit::yaml::scalar;
  for (const char* s :
       {"y",   "Y",   "yes",  "No",   "on",         "OFF",  "true",       "null",         "~",
        "080", "1e3", "0x1F", "1:20", "2001-12-14", ".5",   "-x",         ":x",           "x:",
        "",    "a b", "a: b", "#x",   "fd00::/8",   "::/0", "10.0.0.0/8", "app == 'web'", "*",
        "&a",  "!x",  "[x]",  "{x}"})
    EXPECT_EQ(scalar(s).front(), '"') << s;
  for (const char* s : {"app", "app.kubernetes.io/name", "k8s:io.kubernetes.pod.namespace", "TCP",
                        "Ingress", "kube-admin.allow-dns", "yesterday", "n1"})
    EXPECT_EQ(scalar(s), s);
  EXPECT_EQ(scalar("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
}

TEST(ConvertYaml, RendersBlockStyleDeterministically) {
  using emit::yaml::Node;
  Node doc = Node::map();
  doc.set("a", Node::str("on"));
  Node& l = doc.set("list", Node::list());
  Node& item = l.push(Node::map());
  item.set("x", Node::integer(1));
  item.set("y", Node::list()).push(Node::str("080"));
  l.push(Node::str("z"));
  doc.set("empty", Node::map());
  doc.set("order", Node::number(2.5));
  doc.set("whole", Node::number(1000));
  EXPECT_EQ(
      emit::yaml::render(doc),
      "a: \"on\"\nlist:\n- x: 1\n  \"y\":\n  - \"080\"\n- z\nempty: {}\norder: 2.5\nwhole: 1000\n");
}

TEST(ConvertEmit, KubernetesToCalicoExactText) {
  auto o = convert(
      np("  podSelector:\n    matchLabels: {app: web}\n  ingress:\n  - from:\n    - ipBlock:\n"
         "        cidr: 10.0.0.0/8\n        except: [10.1.0.0/16]\n    - namespaceSelector:\n"
         "        matchLabels: {env: dev}\n    ports:\n    - port: 80\n    - protocol: UDP\n"
         "      port: 53\n"),
      emit::Target::Calico);
  ASSERT_TRUE(o.refusals.empty());
  EXPECT_EQ(
      o.yaml,
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: "
      "prod\n"
      "spec:\n  order: 1000\n  selector: \"app == 'web'\"\n  types:\n  - Ingress\n  ingress:\n"
      "  - action: Allow\n    protocol: TCP\n    source:\n      nets:\n      - \"10.0.0.0/8\"\n"
      "      notNets:\n      - \"10.1.0.0/16\"\n    destination:\n      ports:\n      - 80\n"
      "  - action: Allow\n    protocol: TCP\n    source:\n      namespaceSelector: \"env == "
      "'dev'\"\n"
      "    destination:\n      ports:\n      - 80\n"
      "  - action: Allow\n    protocol: UDP\n    source:\n      nets:\n      - \"10.0.0.0/8\"\n"
      "      notNets:\n      - \"10.1.0.0/16\"\n    destination:\n      ports:\n      - 53\n"
      "  - action: Allow\n    protocol: UDP\n    source:\n      namespaceSelector: \"env == "
      "'dev'\"\n"
      "    destination:\n      ports:\n      - 53\n");
}

TEST(ConvertEmit, KubernetesToCiliumExactText) {
  auto o = convert(
      np("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - {}\n  egress:\n"
         "  - to:\n    - namespaceSelector: {}\n      podSelector:\n        matchExpressions:\n"
         "        - {key: app, operator: NotIn, values: [db]}\n    ports:\n    - port: 443\n"
         "      endPort: 444\n"),
      emit::Target::Cilium, Cni::Cilium);
  ASSERT_TRUE(o.refusals.empty());
  EXPECT_EQ(o.yaml,
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n  "
            "namespace: prod\n"
            "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities:\n    - all\n  egress:\n"
            "  - toEndpoints:\n    - matchExpressions:\n      - key: app\n        operator: NotIn\n"
            "        values:\n        - db\n      - key: k8s:io.kubernetes.pod.namespace\n"
            "        operator: Exists\n    toPorts:\n    - ports:\n      - port: \"443\"\n        "
            "endPort: 444\n"
            "        protocol: TCP\n");
}

TEST(ConvertEmit, CalicoToKubernetesExactText) {
  auto o = convert(
      calico("NetworkPolicy",
             "  selector: app == 'web' && tier in {'a', 'b'}\n  types: [Egress]\n  egress:\n"
             "  - action: Allow\n    protocol: SCTP\n    destination:\n"
             "      selector: app == 'db' || role == 'db'\n      ports: ['1000:2000']\n"),
      emit::Target::K8s);
  ASSERT_TRUE(o.refusals.empty());
  EXPECT_EQ(
      o.yaml,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: c\n  namespace: "
      "prod\n"
      "spec:\n  podSelector:\n    matchLabels:\n      app: web\n    matchExpressions:\n    - key: "
      "tier\n"
      "      operator: In\n      values:\n      - a\n      - b\n  policyTypes:\n  - Egress\n  "
      "egress:\n"
      "  - to:\n    - podSelector:\n        matchLabels:\n          app: db\n    - podSelector:\n"
      "        matchLabels:\n          role: db\n    ports:\n    - protocol: SCTP\n      port: "
      "1000\n"
      "      endPort: 2000\n");
}

TEST(ConvertEmit, SameInputSameBytes) {
  std::string text =
      np("  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {a: b}}\n");
  for (auto t : {emit::Target::Calico, emit::Target::Cilium, emit::Target::K8s})
    EXPECT_EQ(convert(text, t, Cni::Generic).yaml, convert(text, t, Cni::Generic).yaml);
}

TEST(ConvertRefusal, DenyAndPassToKubernetes) {
  auto o = convert(calico("NetworkPolicy",
                          "  selector: all()\n  ingress:\n  - action: Deny\n  - action: Pass\n"),
                   emit::Target::K8s);
  EXPECT_EQ(codes(o), (std::vector<ir::Code>{ir::Code::NV4070, ir::Code::NV4070}));
  EXPECT_TRUE(o.yaml.empty());
  EXPECT_NE(o.refusals[0].message.find("NetworkPolicy prod/c spec.ingress[0]"), std::string::npos);
  EXPECT_EQ(o.refusals[0].span.line, 9);
}

TEST(ConvertRefusal, PassToCilium) {
  auto o = convert(calico("NetworkPolicy", "  selector: all()\n  ingress:\n  - action: Pass\n"),
                   emit::Target::Cilium);
  EXPECT_EQ(codes(o), std::vector<ir::Code>{ir::Code::NV4070});
}

TEST(ConvertRefusal, TiersToKubernetesAndCilium) {
  std::string text =
      "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: sec\nspec:\n  order: "
      "10\n---\n" +
      calico("NetworkPolicy", "  tier: sec\n  selector: all()\n  ingress:\n  - action: Allow\n",
             "sec.c");
  EXPECT_EQ(codes(convert(text, emit::Target::K8s)), std::vector<ir::Code>{ir::Code::NV4071});
  EXPECT_EQ(codes(convert(text, emit::Target::Cilium)), std::vector<ir::Code>{ir::Code::NV4071});
  auto back = convert(text, emit::Target::Calico);  // Calico keeps the tier
  EXPECT_TRUE(back.refusals.empty());
  EXPECT_NE(back.yaml.find(
                "kind: Tier\nmetadata:\n  name: sec\nspec:\n  order: 10\n  defaultAction: Deny\n"),
            std::string::npos)
      << back.yaml;
}

TEST(ConvertRefusal, ClusterScopedToKubernetes) {
  auto o = convert(
      calico("GlobalNetworkPolicy", "  selector: app == 'x'\n  ingress:\n  - action: Allow\n"),
      emit::Target::K8s);
  EXPECT_EQ(codes(o), std::vector<ir::Code>{ir::Code::NV4072});
}

TEST(ConvertRefusal, SelectorsWithoutKubernetesForm) {
  auto o = convert(calico("NetworkPolicy",
                          "  selector: all()\n  ingress:\n  - action: Allow\n    source:\n"
                          "      selector: app starts with 'we'\n"),
                   emit::Target::K8s);
  EXPECT_EQ(codes(o), std::vector<ir::Code>{ir::Code::NV4073});
  auto subject =
      convert(calico("NetworkPolicy",
                     "  selector: a == 'x' || b ends with 'y'\n  ingress:\n  - action: Allow\n"),
              emit::Target::Cilium);
  EXPECT_EQ(codes(subject), std::vector<ir::Code>{ir::Code::NV4073});
}

TEST(ConvertEmit, SubjectUnionIsOnePolicyPerTerm) {
  std::string text =
      calico("NetworkPolicy", "  selector: a == 'x' || b == 'y'\n  types: [Ingress]\n");
  auto k8s = convert(text, emit::Target::K8s);
  ASSERT_TRUE(k8s.refusals.empty());
  EXPECT_EQ(
      k8s.yaml,
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: c\n  namespace: "
      "prod\n"
      "spec:\n  podSelector:\n    matchLabels:\n      a: x\n  policyTypes:\n  - Ingress\n---\n"
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: c-2\n  namespace: "
      "prod\n"
      "spec:\n  podSelector:\n    matchLabels:\n      b: \"y\"\n  policyTypes:\n  - Ingress\n");
  auto cilium = convert(text, emit::Target::Cilium);
  ASSERT_TRUE(cilium.refusals.empty());
  EXPECT_EQ(cilium.origins.size(), 2u);
}

TEST(ConvertRefusal, EntitiesAndCidrsThatMatchPods) {
  auto world = convert(cnp("  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n"),
                       emit::Target::K8s);
  EXPECT_EQ(codes(world), std::vector<ir::Code>{ir::Code::NV4074});
  // ipBlock matches pod addresses (generic); Cilium CIDR rules never do: refused without --cluster.
  auto ipb =
      convert(np("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n"),
              emit::Target::Cilium, Cni::Generic);
  EXPECT_EQ(codes(ipb),
            (std::vector<ir::Code>{ir::Code::NV4074, ir::Code::NV4074}));  // pods, nodes
}

TEST(ConvertRefusal, PortsWithoutTargetForm) {
  auto icmp =
      convert(calico("NetworkPolicy",
                     "  selector: all()\n  ingress:\n  - action: Allow\n    protocol: ICMP\n"),
              emit::Target::K8s);
  EXPECT_EQ(codes(icmp), std::vector<ir::Code>{ir::Code::NV4075});
  auto named = convert(
      np("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - port: http\n"),
      emit::Target::Cilium, Cni::Generic);
  EXPECT_EQ(codes(named), std::vector<ir::Code>{ir::Code::NV4075});
}

// ICMP matches (type << 8 | code ranges): Calico one `icmp` per rule, types and codes; Cilium
// `icmps` by type only, a rule apart from its toPorts; a type's single code has no Cilium form.
TEST(ConvertIcmp, CalicoAndCiliumForms) {
  std::string in = calico("NetworkPolicy",
                          "  selector: all()\n  ingress:\n  - action: Allow\n    protocol: ICMP\n"
                          "    icmp: {type: 8}\n  - action: Allow\n    protocol: ICMP\n"
                          "    icmp: {type: 3, code: 4}\n");
  auto cal = convert(in, emit::Target::Calico);
  EXPECT_TRUE(cal.refusals.empty());
  EXPECT_NE(cal.yaml.find("  - action: Allow\n    protocol: ICMP\n    icmp:\n      type: 8\n"),
            std::string::npos)
      << cal.yaml;
  EXPECT_NE(cal.yaml.find("    icmp:\n      type: 3\n      code: 4\n"), std::string::npos)
      << cal.yaml;
  auto cil = convert(in, emit::Target::Cilium);
  ASSERT_EQ(codes(cil), std::vector<ir::Code>{ir::Code::NV4075});
  EXPECT_NE(cil.refusals[0].message.find("ICMP type 3 code 4 only"), std::string::npos)
      << cil.refusals[0].message;
  EXPECT_TRUE(cil.yaml.empty());
  auto types = convert(cnp("  endpointSelector: {}\n  ingress:\n  - icmps:\n    - fields:\n"
                           "      - {type: 8, family: IPv4}\n      - {type: 128, family: IPv6}\n"
                           "  - toPorts:\n    - ports:\n      - {port: '80', protocol: TCP}\n"),
                       emit::Target::Cilium);
  EXPECT_TRUE(types.refusals.empty());
  EXPECT_NE(types.yaml.find("  - icmps:\n    - fields:\n      - type: 8\n        family: IPv4\n"
                            "      - type: 128\n        family: IPv6\n"),
            std::string::npos)
      << types.yaml;
  auto k8s = convert(in, emit::Target::K8s);
  EXPECT_EQ(codes(k8s), (std::vector<ir::Code>{ir::Code::NV4075, ir::Code::NV4075}));
}

TEST(ConvertRefusal, RulesThatDoNotIsolate) {
  auto o = convert(cnp("  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n  ingress:\n"
                       "  - fromEndpoints: [{}]\n"),
                   emit::Target::K8s);
  EXPECT_EQ(codes(o), std::vector<ir::Code>{ir::Code::NV4076});
  auto calico_out =
      convert(cnp("  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n  ingress:\n"
                  "  - fromEndpoints: [{}]\n"),
              emit::Target::Calico);
  EXPECT_EQ(codes(calico_out), std::vector<ir::Code>{ir::Code::NV4076});
  auto cilium_out =
      convert(cnp("  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n  ingress:\n"
                  "  - fromEndpoints: [{}]\n"),
              emit::Target::Cilium);
  EXPECT_TRUE(cilium_out.refusals.empty());
  EXPECT_NE(cilium_out.yaml.find("enableDefaultDeny:\n    ingress: false\n"), std::string::npos)
      << cilium_out.yaml;
}
