// convert of L7 rules and FQDN peers: Cilium HTTP/DNS rules and toFQDNs written back to
// Cilium (read back and proved equivalent), DNS name patterns recovered exactly
// (ir/fqdn_pattern.h), the proof catching a mutated output, and the refusals (NV4080).
#include <gtest/gtest.h>

#include "compiler/emit/emit.h"
#include "ir/fqdn_pattern.h"
#include "tests/support/support.h"
#include "verifier/queries.h"

using namespace nv;
using nv::test::load_text;

namespace {

const char* kPolicy = R"(apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7, namespace: prod}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http:
        - {method: "GET|HEAD", path: "/api/v1/.*", host: "[a-z]+\\.example\\.com"}
        - {method: POST, path: /api/v1/users, headers: ["Content-Type: application/json", X-Debug]}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts:
    - ports: [{port: "53", protocol: UDP}]
      rules:
        dns: [{matchPattern: "*.example.com"}, {matchName: api.example.org}]
  - toFQDNs: [{matchPattern: "cdn-*.example.net"}, {matchName: Api.Example.ORG.}]
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
)";

std::unique_ptr<test::Loaded> load_cilium(const std::string& text) {
  LoadOptions lo;
  lo.cni = Cni::Cilium;
  auto w = load_text(text, "", lo);
  EXPECT_FALSE(w->diags.has_errors()) << w->messages();
  return w;
}

bool equivalent(const ir::PolicySet& a, const ir::PolicySet& b) {
  return verifier::compare(a, b, verifier::Relation::Equiv, {}, {}).holds;
}

std::string erase_line(std::string text, const std::string& needle) {
  auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  if (at == std::string::npos) return text;
  auto start = text.rfind('\n', at) + 1;
  return text.erase(start, text.find('\n', at) + 1 - start);
}

}  // namespace

TEST(FqdnPattern, RecoversExactlyThePatternsCiliumLowers) {
  for (const char* p : {"*", "*.example.com", "cdn-*.example.net", "a*b*c", "x.*", "*x"}) {
    auto back = ir::fqdn_pattern_text(ir::fqdn_pattern(p));
    ASSERT_TRUE(back) << p;
    EXPECT_EQ(*back, p);
  }
  EXPECT_EQ(ir::fqdn_pattern_text(ir::Regex::literal("api.example.org")), "api.example.org");
  // Not the lowering of any pattern: any byte, upper-case letters, a different class.
  auto any = std::get<ir::Regex>(ir::parse_regex(".*\\.example\\.com"));
  EXPECT_FALSE(ir::fqdn_pattern_text(any));
  EXPECT_FALSE(ir::fqdn_pattern_text(ir::Regex::literal("API.example.org")));
  auto cls = std::get<ir::Regex>(ir::parse_regex("[a-z]*\\.example\\.com"));
  EXPECT_FALSE(ir::fqdn_pattern_text(cls));
  EXPECT_FALSE(ir::fqdn_pattern_text(ir::Regex::literal("")));
}

TEST(ConvertL7, CiliumRoundTripIsProvedEquivalent) {
  auto in = load_cilium(kPolicy);
  auto out = emit::convert(in->policies, emit::Target::Cilium, nullptr);
  ASSERT_TRUE(out.refusals.empty());
  for (const char* want :
       {"matchPattern: \"*.example.com\"", "matchName: api.example.org",
        "matchPattern: \"cdn-*.example.net\"", "\"content-type: application/json\"", "- x-debug",
        "method: \"GET|HEAD\""})
    EXPECT_NE(out.yaml.find(want), std::string::npos) << want << "\n" << out.yaml;
  auto back = load_cilium(out.yaml);
  EXPECT_TRUE(equivalent(in->policies, back->policies)) << out.yaml;
}

// The proof is what makes convert safe: an output that drops a path or a DNS name must
// not be equivalent.
TEST(ConvertL7, ProofCatchesAMutatedOutput) {
  auto in = load_cilium(kPolicy);
  auto out = emit::convert(in->policies, emit::Target::Cilium, nullptr);
  ASSERT_TRUE(out.refusals.empty());
  // Two mutants, IPv4 only (the L7 part does not depend on the family), any witness: a
  // readable one takes 20-40 s to find with strings in play.
  verifier::QueryOptions v4;
  v4.families = {ir::Family::V4};
  v4.readable_witness = false;
  for (const char* line : {"path: /api/v1/users", "matchName: api.example.org"}) {
    auto mutated = load_cilium(erase_line(out.yaml, line));
    EXPECT_FALSE(verifier::compare(in->policies, mutated->policies, verifier::Relation::Equiv, {}, v4).holds)
        << "without " << line;
  }
}

TEST(ConvertL7, RefusedWhereTheTargetHasNoForm) {
  auto in = load_cilium(kPolicy);
  for (emit::Target t : {emit::Target::K8s, emit::Target::Calico}) {
    auto out = emit::convert(in->policies, t, nullptr);
    ASSERT_EQ(out.refusals.size(), 3u);
    for (const auto& r : out.refusals) EXPECT_EQ(r.code, ir::Code::NV4080);
  }
  auto k8s = emit::convert(in->policies, emit::Target::K8s, nullptr);
  ASSERT_EQ(k8s.refusals.size(), 3u);
  EXPECT_NE(k8s.refusals[0].message.find("HTTP rules (spec.ingress[0].toPorts[0].rules.http[0])"),
            std::string::npos)
      << k8s.refusals[0].message;
  EXPECT_NE(k8s.refusals[1].message.find("DNS rules"), std::string::npos);
  EXPECT_NE(k8s.refusals[2].message.find("FQDN peer"), std::string::npos);
}

namespace {

const char* kCalicoHttp = R"(apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == 'web'}
    destination: {ports: [8080]}
    http:
      methods: [GET, HEAD]
      paths: [{exact: /healthz}, {prefix: /api/v1/}]
)";

std::unique_ptr<test::Loaded> load_calico(const std::string& text) {
  LoadOptions lo;
  lo.cni = Cni::Calico;
  auto w = load_text(text, "", lo);
  EXPECT_FALSE(w->diags.has_errors()) << w->messages();
  return w;
}

}  // namespace

// Calico's http match (methods, exact and prefix paths) round-trips through the IR, and
// the proof rejects an output that drops a method or a path.
TEST(ConvertL7, CalicoHttpRoundTripAndMutants) {
  auto in = load_calico(kCalicoHttp);
  auto out = emit::convert(in->policies, emit::Target::Calico, nullptr);
  ASSERT_TRUE(out.refusals.empty());
  for (const char* want : {"- exact: /healthz", "- prefix: /api/v1/", "- HEAD"})
    EXPECT_NE(out.yaml.find(want), std::string::npos) << want << "\n" << out.yaml;
  EXPECT_TRUE(equivalent(in->policies, load_calico(out.yaml)->policies)) << out.yaml;
  EXPECT_FALSE(equivalent(in->policies, load_calico(erase_line(out.yaml, "- HEAD"))->policies));
}

// A Cilium HTTP rule with a host, or a path regex that is no Calico path, is refused.
TEST(ConvertL7, CiliumHttpWithoutCalicoForm) {
  auto host = load_cilium(std::string(kPolicy));
  auto out = emit::convert(host->policies, emit::Target::Calico, nullptr);
  ASSERT_FALSE(out.refusals.empty());
  EXPECT_NE(out.refusals[0].message.find("a host match"), std::string::npos)
      << out.refusals[0].message;
}
