#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/load/inputs.h"
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
