#include "compiler/load/inputs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/frontend.h"
#include "tests/support/support.h"

using namespace nv;

namespace {

struct Fixture {
  ir::SourceManager sm;
  ir::Diagnostics d;
  load::InputSet in{sm, d};
};

}  // namespace

TEST(Inputs, KubectlListIsExpanded) {
  Fixture f;
  f.in.add_text("l.yaml",
                "apiVersion: v1\nkind: List\nitems:\n"
                "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
                "- {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: a}}\n");
  ASSERT_EQ(f.in.objects().size(), 2u);
  EXPECT_EQ(f.in.objects()[1].kind, "Pod");
  EXPECT_EQ(f.in.objects()[1].ns, "a");
  EXPECT_EQ(f.in.objects()[1].span.line, 5);
}

TEST(Inputs, TypedListItemsInheritKindAndVersion) {
  Fixture f;
  f.in.add_text("l.json",
                "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicyList\",\n"
                " \"items\": [{\"metadata\": {\"name\": \"np\"}, \"spec\": {}}]}");
  ASSERT_EQ(f.in.objects().size(), 1u);
  EXPECT_EQ(f.in.objects()[0].kind, "NetworkPolicy");
  EXPECT_EQ(f.in.objects()[0].api_version, "networking.k8s.io/v1");
}

TEST(Inputs, EmptyAndCommentOnlyDocumentsAreSkippedQuietly) {
  Fixture f;
  f.in.add_text("c.yaml", "# just a comment\n---\n---\n# another\n");
  EXPECT_TRUE(f.in.objects().empty());
  EXPECT_TRUE(f.d.all().empty());
}

TEST(Inputs, ObjectsNeedKindAndApiVersion) {
  Fixture f;
  f.in.add_text("k.yaml", "metadata: {name: x}\n---\n- a\n- b\n");
  ASSERT_EQ(f.d.all().size(), 2u);
  EXPECT_EQ(f.d.all()[0].code, ir::Code::NV1011);
  EXPECT_EQ(f.d.all()[1].code, ir::Code::NV1010);
  EXPECT_EQ(f.d.all()[1].span.line, 3);
}

TEST(Inputs, DirectoriesAreReadRecursivelyInNameOrderYamlAndJsonOnly) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("nv-inputs-" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "b.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n";
  std::ofstream(dir / "sub" / "a.json") << "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}";
  std::ofstream(dir / "a.yml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n";
  std::ofstream(dir / "README.md") << "not: yaml: at: all";
  Fixture f;
  f.in.add_path(dir.string());
  fs::remove_all(dir);
  ASSERT_EQ(f.in.objects().size(), 3u) << f.d.all().size();
  EXPECT_EQ(f.in.objects()[0].name, "c");  // a.yml
  EXPECT_EQ(f.in.objects()[1].name, "b");  // b.yaml
  EXPECT_EQ(f.in.objects()[2].name, "a");  // sub/a.json
  EXPECT_TRUE(f.d.all().empty());
}

TEST(Inputs, MissingFileIsAnError) {
  Fixture f;
  f.in.add_path("/nonexistent/netverify/file.yaml");
  ASSERT_EQ(f.d.all().size(), 1u);
  EXPECT_EQ(f.d.all()[0].code, ir::Code::NV1001);
}

TEST(Inputs, OtherKindsAreSkippedAndCounted) {
  auto l = test::load_text(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: e}\n");
  EXPECT_FALSE(l->diags.has_errors());
  EXPECT_EQ(l->stats.skipped.at("apps/v1 Deployment"), 2);
  EXPECT_EQ(l->stats.skipped.at("v1 ConfigMap"), 1);
  EXPECT_NE(l->stats.notes("default").find("skipped 3 object(s)"), std::string::npos);
}

TEST(Inputs, PolicyLookingTyposAreRefusedButOtherKindsAreNot) {
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicies\nmetadata: {name: a, namespace: x}\n---\n"
      "apiVersion: networking.k8s.io.v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: x}\n---\n"
      "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: x}\n---\n"
      "apiVersion: v1\nkind: List\nitems:\n- {kind: NetworkPolicy, metadata: {name: c, namespace: x}}\n");
  int unknown = 0, missing = 0;
  for (const auto& d : l->diags.all()) {
    unknown += d.code == ir::Code::NV1015;
    missing += d.code == ir::Code::NV1011;
  }
  EXPECT_EQ(unknown, 2) << l->messages();
  EXPECT_EQ(missing, 1) << l->messages();  // a List item does not inherit "v1"
  EXPECT_EQ(l->stats.skipped.at("networking.k8s.io/v1 Ingress"), 1);
}

TEST(Inputs, AQuotedStringLeftOpenAtTheEndIsAnError) {
  // yaml-cpp 0.7 accepts it and swallows the rest of the file into the string.
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: a\n"
      "  name: \"deny\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n");
  ASSERT_TRUE(l->has(ir::Code::NV1002)) << l->messages();
  EXPECT_TRUE(l->policies.policies().empty());
}

TEST(Inputs, PolicyNamesAreValidated) {
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name, namespace: a}\n"
      "spec: {podSelector: {}}\n");
  EXPECT_TRUE(l->has(ir::Code::NV1016)) << l->messages();
}

// Workspace::read parses the policy and cluster inputs at once: what it leaves is what
// reading them one after the other leaves (diagnostics in that order, every text quoted,
// counts and objects from both).
TEST(Inputs, PoliciesAndClusterReadAtOnceLeaveWhatOneThreadWould) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("nv-read-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "p.yaml") << "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                   "metadata: {name: a, namespace: x}\nspec: {podSelector: {}}\n"
                                   "---\nkey: [unclosed\n";
  std::ofstream(dir / "c.yaml")
      << "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n"
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n---\n"
         "apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: x}\n"
         "status: {podIP: 10.0.0.1}\n---\n"
         "apiVersion: v1\nkind: Secret\nkind: Secret\nmetadata: {name: s}\n---\n"
         "other: {unclosed\n";
  Workspace ws;
  ws.read({(dir / "p.yaml").string()}, {(dir / "c.yaml").string(), (dir / "p.yaml").string()});
  ws.lower({});
  fs::remove_all(dir);
  // The policies' syntax error first, then the cluster's duplicate key and syntax error,
  // then the policies' file again as a cluster input.
  std::vector<std::string> files;
  for (const auto& d : ws.diags.all())
    if (d.severity == ir::Severity::Error) files.push_back(fs::path(d.span.file).filename());
  EXPECT_EQ(files, (std::vector<std::string>{"p.yaml", "c.yaml", "c.yaml", "p.yaml"}));
  std::string text;
  ws.diags.render(text, &ws.sources, false);
  EXPECT_NE(text.find("kind: Secret"), std::string::npos) << text;  // c.yaml's line, quoted
  EXPECT_EQ(ws.policies.policies().size(), 1u);
  ASSERT_EQ(ws.inventory.pods.size(), 1u);
  EXPECT_EQ(ws.inventory.pods[0].name, "q");
  EXPECT_EQ(ws.stats.skipped.at("v1 ConfigMap"), 1);
  EXPECT_EQ(ws.stats.policies_in_inventory, 1);  // p.yaml's policy, as a cluster input
}
