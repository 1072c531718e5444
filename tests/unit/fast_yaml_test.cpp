// The fast YAML reader: the machine-printed subset it must read itself, what it must hand
// to yaml-cpp, and agreement with yaml-cpp on every YAML file of the corpus.
#include "compiler/load/fast_yaml.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/support.h"

using namespace nv;
using load::YNode;

static std::string diff_with_yaml_cpp(const std::string& text) {
  std::pmr::monotonic_buffer_resource arena;
  auto fast = load::parse_yaml_fast(text, arena);
  if (!fast) return "fast reader declined";
  ir::Diagnostics d;
  auto ref = load::parse_yaml_cpp(text, "t.yaml", d, arena);
  if (d.has_errors()) return "yaml-cpp rejects it: " + d.all()[0].message;
  std::vector<const YNode*> a, b;
  for (const auto& x : *fast)
    if (!x.is_null()) a.push_back(&x);
  for (const auto& x : ref)
    if (!x.is_null()) b.push_back(&x);
  if (a.size() != b.size()) return "document counts differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (auto diff = load::tree_difference(*a[i], *b[i]); !diff.empty()) return diff;
  return "";
}

TEST(FastYaml, ReadsKubectlStyleOutputLikeYamlCpp) {
  for (const char* text : {
           "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n"
           "    name: a\n    labels:\n      app: web\n  spec:\n    containers:\n    - name: c\n"
           "      ports:\n      - containerPort: 80\n        protocol: TCP\n",
           "a: 1\nb: \"two\"\nc: 'th''ree'\nd: ~\ne:\nf: null\ng: [1, \"x\", {h: i}]\nj: {}\nk: "
           "[]\n",
           "# comment\n---\na: b # trailing comment\n---\n- x\n- y: z\n  w: v\n",
           "ann:\n  last-applied: |\n    {\"a\": 1}\n    second line\n\n  other: |-\n    kept\nz: "
           "1\n",
           "strip: |-\n  text\n\n  more\n\nnext: 1\n",
           "esc: \"tab\\tnew\\nline \\u00e9 \\\\ \\\"q\\\"\"\n",
           "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"a\": 1, \"b\": [true, false, "
           "null]}\n  ]\n}\n",
           "key with spaces: value text and a#hash # then a comment\nurl: http://x:80/y\n",
       })
    EXPECT_EQ(diff_with_yaml_cpp(text), "") << text;
}

TEST(FastYaml, HandsEverythingElseToYamlCpp) {
  for (const char* text : {
           "a: &x 1\nb: *x\n",         // anchors and aliases
           "a: !!str 1\n",             // tags
           "%YAML 1.2\n---\na: 1\n",   // directives
           "a: plain\n  continued\n",  // multi-line plain scalar
           "a: >\n  folded\n",         // folded block scalar
           "? complex\n: key\n",       // complex keys
           "a:\n\t- tab\n",            // tabs
           "a: [1,\n  2]\n",           // multi-line flow inside a block
           "a: b: c\n",                // an error
           "<<: {a: 1}\n",             // merge key
           "- - nested\n",             // nested compact sequence
       }) {
    std::pmr::monotonic_buffer_resource arena;
    EXPECT_FALSE(load::parse_yaml_fast(text, arena)) << text;
  }
}

TEST(FastYaml, AgreesWithYamlCppOnTheCorpus) {
  namespace fs = std::filesystem;
  int read = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(NV_SOURCE_DIR) / "corpus")) {
    auto ext = e.path().extension();
    if (ext != ".yaml" && ext != ".json") continue;
    std::string text = test::read_file(e.path().string());
    std::pmr::monotonic_buffer_resource arena;
    if (!load::parse_yaml_fast(text, arena)) continue;
    ++read;
    EXPECT_EQ(diff_with_yaml_cpp(text), "") << e.path();
  }
  EXPECT_GT(read, 150);
}

TEST(FastYaml, DuplicateKeysAreReportedOnTheFastPathToo) {
  ir::Diagnostics d;
  std::pmr::monotonic_buffer_resource arena;
  const std::string text = "a: 1\nb: 2\na: 3\n";
  auto docs = load::parse_yaml(text, "t.yaml", d, arena);
  ASSERT_TRUE(load::parse_yaml_fast(text, arena));
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].code, ir::Code::NV1004);
  EXPECT_EQ(d.all()[0].span.line, 3);
}

// The fast reader flags repeated keys so that check_duplicate_keys walks only trees that
// have some: the flag must be set exactly when the walk reports something.
TEST(FastYaml, DuplicateFlagIsSetExactlyWhenTheWalkReports) {
  std::string wide, wide_dup;  // more keys than the pairwise comparison handles
  for (int i = 0; i < 40; ++i) wide += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  wide_dup = wide + "k17: again\n";
  int flagged = 0;
  for (const std::string& text : std::vector<std::string>{
           "a: 1\nb: 2\n", "a: 1\nb: 2\na: 3\n", "x:\n  a: 1\n  a: 2\ny: 1\n",
           "- a: 1\n  b: 2\n- a: 1\n  a: 2\n", "m: {a: 1, b: 2, a: 3}\n", "m: {a: 1, b: 2}\n",
           "{\"a\": {\"b\": 1, \"b\": 2}}", "\"a\": 1\na: 2\n", "a: 1\n---\na: 2\n", "~: 1\n~: 2\n",
           "a: 1\n'a ': 2\n", wide, wide_dup, "list:\n- x\n"}) {
    bool duplicates = false;
    std::pmr::monotonic_buffer_resource arena;
    auto docs = load::parse_yaml_fast(text, arena, &duplicates);
    ASSERT_TRUE(docs) << text;
    ir::Diagnostics d;
    load::check_duplicate_keys(*docs, "t.yaml", d);
    EXPECT_EQ(duplicates, !d.all().empty()) << text;
    flagged += duplicates;
    ir::Diagnostics via_parse;  // and parse_yaml reports the same through the flag
    load::parse_yaml(text, "t.yaml", via_parse, arena);
    EXPECT_EQ(via_parse.all().size(), d.all().size()) << text;
  }
  EXPECT_EQ(flagged, 7);
}

// Scalars the source spells as they are are views of the text; the others (escapes,
// doubled quotes, block scalars) and every node's children are in the arena.
TEST(FastYaml, ScalarsAreViewsOfTheTextOrCopiesInTheArena) {
  const std::string text =
      "plain: web\nquoted: \"api\"\nsingle: 'x'\nescaped: \"a\\tb\"\ndoubled: 'it''s'\n"
      "block: |\n  line\nflow: {k: v, l: [w]}\n";
  std::pmr::monotonic_buffer_resource arena;
  auto docs = load::parse_yaml_fast(text, arena);
  ASSERT_TRUE(docs);
  const YNode& root = (*docs)[0];
  auto in_text = [&](std::string_view v) {
    return v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size();
  };
  for (const char* key : {"plain", "quoted", "single"}) {
    ASSERT_TRUE(root.get(key)) << key;
    EXPECT_TRUE(in_text(root.get(key)->value)) << key;
  }
  EXPECT_TRUE(in_text(root.get("flow")->get("k")->value));
  EXPECT_TRUE(in_text(root.get("flow")->get("l")->items()[0].value));
  EXPECT_EQ(root.get("escaped")->value, "a\tb");
  EXPECT_EQ(root.get("doubled")->value, "it's");
  EXPECT_EQ(root.get("block")->value, "line\n");
  for (const char* key : {"escaped", "doubled", "block"})
    EXPECT_FALSE(in_text(root.get(key)->value));
  for (auto [k, v] : root.entries()) EXPECT_TRUE(in_text(k.value)) << k.value;
  EXPECT_FALSE(in_text({reinterpret_cast<const char*>(root.keys().data()), 1}));
  EXPECT_EQ(sizeof(YNode), 40u);  // what the memory figures in bench/README assume
}

// The two-thread reader of large Lists answers exactly as the one-piece reader: trees,
// positions, duplicate flag, and declining, on Lists and on shapes it must not split.
TEST(FastYaml, SplitReaderAnswersAsTheWholeReader) {
  auto list = [](int n, const std::string& before_items, const std::string& after) {
    std::string t = "apiVersion: v1\n" + before_items + "items:\n";
    for (int i = 0; i < n; ++i)
      t += "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p" + std::to_string(i) +
           "\n    labels: {app: a" + std::to_string(i % 3) +
           "}\n  status:\n    podIPs:\n    - ip: 10.0.0." + std::to_string(i) + "\n\n";
    return t + after;
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {"list", list(9, "", "kind: List\nmetadata:\n  resourceVersion: \"\"\n")},
      {"items last", list(5, "kind: List\n", "")},
      {"two items", list(2, "", "kind: List\n")},
      {"one item", list(1, "", "kind: List\n")},
      {"duplicate key in an item of the second half", list(6, "", "kind: List\n") + ""},
      {"duplicate root key after items", list(6, "", "kind: List\nkind: Other\n")},
      {"two items keys", list(4, "", "items:\n- a: 1\n")},
      {"a dash alone", "items:\n- a: 1\n- b: 2\n-\n  c: 3\n- d: 4\nkind: List\n"},
      {"a comment at column 0", "items:\n- a: 1\n- b: 2\n# note\n- c: 3\n- d: 4\n"},
      {"two documents", list(4, "", "kind: List\n---\na: 1\n")},
      {"carriage returns", "items:\r\n- a: 1\r\n- b: 2\r\n- c: 3\r\n"},
      {"items not a sequence", "items:\n  a: 1\nkind: List\n"},
      {"a broken second half", "items:\n- a: 1\n- b: 2\n- c: [3\n- d: 4\n"},
      {"json", "{\"items\": [1, 2, 3]}"},
  };
  // A root key that begins with a dash among the items, before each of them in turn (one
  // of them sits just before the cut).
  for (int k = 1; k < 9; ++k) {
    std::string t = "items:\n";
    for (int i = 0; i < 9; ++i)
      t += (i == k ? "-x: 2\n" : "") + std::string("- a: ") + std::to_string(i) + "\n";
    cases.emplace_back("-x before item " + std::to_string(k), t);
  }
  for (auto [name, text] : cases) {
    if (name == "duplicate key in an item of the second half") {
      size_t at = text.rfind("  kind: Pod\n");
      text.insert(at, "  kind: Pod\n");
    }
    bool dup_whole = false, dup_split = false;
    std::pmr::monotonic_buffer_resource arena, first, second;
    auto whole = load::parse_yaml_fast(text, arena, &dup_whole);
    auto split = load::parse_yaml_fast_split(text, first, &second, &dup_split, 0);
    ASSERT_EQ(whole.has_value(), split.has_value()) << name;
    if (!whole) continue;
    EXPECT_EQ(dup_whole, dup_split) << name;
    ASSERT_EQ(whole->size(), split->size()) << name;
    for (size_t i = 0; i < whole->size(); ++i)
      EXPECT_EQ(load::tree_difference((*whole)[i], (*split)[i]), "") << name;
  }
  // The duplicate cases are seen as such.
  bool dup = false;
  std::string text = list(6, "", "kind: List\n");
  text.insert(text.rfind("  kind: Pod\n"), "  kind: Pod\n");
  std::pmr::monotonic_buffer_resource first, second;
  ASSERT_TRUE(load::parse_yaml_fast_split(text, first, &second, &dup, 0));
  EXPECT_TRUE(dup);
}
