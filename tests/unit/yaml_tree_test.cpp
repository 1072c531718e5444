#include <gtest/gtest.h>

#include "compiler/load/yaml_tree.h"

using namespace nv;
using load::YNode;

// The trees with what they point into (the text and the arena).
struct Docs {
  load::ParsedYaml parsed;
  size_t size() const { return parsed.docs.size(); }
  bool empty() const { return parsed.docs.empty(); }
  const YNode& operator[](size_t i) const { return parsed.docs[i]; }
};

static Docs parse(const std::string& text, ir::Diagnostics& d, load::ParseLimits lim = {}) {
  return {load::parse_yaml_text(text, "t.yaml", d, lim)};
}

TEST(YamlTree, PositionsAreOneBased) {
  ir::Diagnostics d;
  auto docs = parse("a:\n  b: c\n", d);
  ASSERT_EQ(docs.size(), 1u);
  const YNode* b = docs[0].get("a")->get("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, "c");
  EXPECT_EQ(b->line, 2);
  EXPECT_EQ(b->col, 6);
}

TEST(YamlTree, QuotedScalarsAreNotPlain) {
  ir::Diagnostics d;
  auto docs = parse("a: 80\nb: \"80\"\nc: '80'\nd: ~\n", d);
  EXPECT_TRUE(docs[0].get("a")->plain);
  EXPECT_FALSE(docs[0].get("b")->plain);
  EXPECT_FALSE(docs[0].get("c")->plain);
  EXPECT_TRUE(docs[0].get("d")->is_null());
}

TEST(YamlTree, DuplicateKeysAreReportedWithBothPlaces) {
  ir::Diagnostics d;
  parse("spec:\n  podSelector: {}\n  podSelector: {}\n", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].code, ir::Code::NV1004);
  EXPECT_EQ(d.all()[0].span.line, 3);
  ASSERT_EQ(d.all()[0].notes.size(), 1u);
  EXPECT_EQ(d.all()[0].notes[0].span.line, 2);
}

TEST(YamlTree, DuplicateKeysInJson) {
  ir::Diagnostics d;
  parse("{\"a\": 1, \"a\": 2}", d);
  EXPECT_TRUE(d.has_errors());
}

TEST(YamlTree, CommaDoesNotHang) {  // yaml-cpp 0.7 LoadAll(",") loops forever
  ir::Diagnostics d;
  parse(",", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.all()[0].code, ir::Code::NV1003);
}

TEST(YamlTree, MultipleDocumentsAndCommentOnlyOnes) {
  ir::Diagnostics d;
  auto docs = parse("a: 1\n---\n# only a comment\n---\nb: 2\n", d);
  EXPECT_FALSE(d.has_errors());
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_TRUE(docs[1].is_null());
  EXPECT_EQ(docs[2].get("b")->value, "2");
}

TEST(YamlTree, AliasesAndMergeKeys) {
  ir::Diagnostics d;
  auto docs = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", d);
  EXPECT_FALSE(d.has_errors()) << d.all()[0].message;
  const YNode* m = docs[0].get("m");
  EXPECT_EQ(m->get("x")->value, "1");
  EXPECT_EQ(m->get("y")->value, "3");  // explicit keys win over merged ones
}

TEST(YamlTree, AliasBombIsBounded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  ir::Diagnostics d;
  load::ParseLimits lim;
  lim.max_alias_bytes = 4 << 20;
  parse(bomb, d, lim);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.all()[0].code, ir::Code::NV1005);
}

TEST(YamlTree, SyntaxErrorsHaveAPosition) {
  ir::Diagnostics d;
  parse("a: [1, 2\nb: 3\n", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.all()[0].code, ir::Code::NV1002);
}

TEST(YamlTree, DeepNestingIsAnErrorNotACrash) {
  ir::Diagnostics d;
  parse(std::string(100000, '[') + std::string(100000, ']'), d);
  EXPECT_TRUE(d.has_errors());
}
