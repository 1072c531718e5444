#include <gtest/gtest.h>

#include <set>

#include "ir/diagnostic.h"

using namespace nv::ir;

TEST(Diagnostic, RendersClangStyleWithLineAndCaret) {
  SourceManager sm;
  sm.add("p.yaml", "a: 1\n  bad: here\n");
  Diagnostic d{Code::NV1004, Severity::Error, "duplicate key \"bad\"", {"p.yaml", 0, 2, 3}, {}};
  d.notes.push_back({{"p.yaml", 0, 1, 1}, "first given here"});
  EXPECT_EQ(render(d, &sm, false),
            "p.yaml:2:3: error[NV1004]: duplicate key \"bad\"\n"
            "    bad: here\n"
            "    ^\n"
            "p.yaml:1:1: note: first given here\n"
            "  a: 1\n"
            "  ^\n");
}

TEST(Diagnostic, SortedByLocation) {
  Diagnostics ds;
  ds.report(Code::NV1002, {"b.yaml", 0, 1, 1}, "x");
  ds.report(Code::NV1002, {"a.yaml", 0, 9, 1}, "y");
  ds.report(Code::NV1002, {"a.yaml", 0, 2, 5}, "z");
  auto s = ds.sorted();
  EXPECT_EQ(s[0].message, "z");
  EXPECT_EQ(s[1].message, "y");
  EXPECT_EQ(s[2].message, "x");
  EXPECT_EQ(ds.error_count(), 3u);
}

TEST(Diagnostic, CatalogCodesAreUniqueAndWellFormed) {
  std::set<std::string> ids;
  for (const auto& c : all_codes()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_EQ(std::string(c.id).size(), 6u);
    EXPECT_EQ(&code_info(c.code), &c);
  }
}

TEST(Diagnostic, LongLinesAreQuotedAsAWindowAroundTheColumn) {
  SourceManager sm;
  std::string line(100000, 'x');
  line[50000] = 'Y';
  sm.add("min.json", line + "\n");
  Diagnostic d{Code::NV1002, Severity::Error, "here", {"min.json", 0, 1, 50001}, {}};
  std::string out = render(d, &sm, false);
  EXPECT_LT(out.size(), 400u);
  auto quoted = out.substr(out.find('\n') + 1);
  auto caret_line = quoted.substr(quoted.find('\n') + 1);
  EXPECT_EQ(quoted[caret_line.find('^')], 'Y') << out;
}

TEST(Diagnostic, ColumnsPastTheEndOfALineAreClamped) {
  SourceManager sm;
  sm.add("a.yaml", std::string(300, 'x') + "\nshort\n");
  for (int col : {1, 250, 300, 301, 302, 5000}) {
    Diagnostic d{Code::NV1002, Severity::Error, "m", {"a.yaml", 0, 1, col}, {}};
    EXPECT_NE(render(d, &sm, false).find('^'), std::string::npos) << col;
  }
  Diagnostic d{Code::NV1002, Severity::Error, "m", {"a.yaml", 0, 2, 40}, {}};
  EXPECT_EQ(render(d, &sm, false), "a.yaml:2:40: error[NV1002]: m\n  short\n       ^\n");
}

// Parsed trees are views of their text: a text added again under its name, or adopted
// from another manager under a name this one has, stays where it is.
TEST(Diagnostic, TextsStayValidWhenANameIsAddedAgainOrAdopted) {
  SourceManager sm;
  const std::string& first = sm.add("p.yaml", "kind: First, a text too long for SSO\n");
  const char* first_data = first.data();
  sm.add("p.yaml", "kind: Second\n");
  EXPECT_EQ(std::string_view(first_data, 11), "kind: First");
  EXPECT_EQ(sm.line("p.yaml", 1), "kind: Second");

  SourceManager other;
  const std::string& theirs = other.add("p.yaml", "kind: Third\n");
  const std::string& only_theirs = other.add("q.yaml", "kind: Fourth\n");
  sm.adopt(std::move(other));
  EXPECT_EQ(theirs, "kind: Third\n");
  EXPECT_EQ(only_theirs, "kind: Fourth\n");
  EXPECT_EQ(sm.line("p.yaml", 1), "kind: Second");
  EXPECT_EQ(sm.line("q.yaml", 1), "kind: Fourth");
}
