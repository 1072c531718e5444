// The L7 regular expressions (ir/regex.h) and their Z3 translation (verifier/regex_z3.h):
// accepted and refused patterns with offsets, canonical printing, match tables (the Cilium
// documentation's examples among them) checked against both full_match and Z3, and the
// byte-exact string conversion through a Z3 model.
#include "ir/regex.h"

#include <gtest/gtest.h>
#include <z3++.h>

#include <string>
#include <variant>
#include <vector>

#include "verifier/regex_z3.h"

using nv::ir::full_match;
using nv::ir::parse_regex;
using nv::ir::Regex;
using nv::ir::RegexError;

namespace {

Regex parse_ok(std::string_view p, bool ci = false) {
  auto r = parse_regex(p, ci);
  if (auto* e = std::get_if<RegexError>(&r)) {
    ADD_FAILURE() << "pattern `" << p << "` refused at " << e->offset << ": " << e->message;
    return Regex::alt({});
  }
  return std::get<Regex>(r);
}

bool z3_match(const Regex& re, std::string_view s) {
  z3::context ctx;
  z3::solver solver(ctx);
  solver.add(nv::verifier::regex_matches(nv::verifier::string_lit(ctx, s), re));
  auto r = solver.check();
  EXPECT_NE(r, z3::unknown);
  return r == z3::sat;
}

struct Case {
  const char* pattern;
  std::vector<std::string> yes, no;
};

}  // namespace

TEST(Regex, MatchTablesAgreeWithZ3) {
  const std::vector<Case> cases = {
      // Cilium's documentation: method "GET", path "/public/.*", L7 examples.
      {"GET", {"GET"}, {"get", "GETX", "XGET", "", "POST"}},
      {"/public/.*", {"/public/", "/public/a/b"}, {"/public", "/v1/public/x", "public/"}},
      {"/v1/(foo|bar)/[0-9]+",
       {"/v1/foo/1", "/v1/bar/0042"},
       {"/v1/baz/1", "/v1/foo/", "/v1/foo/1a"}},
      {"GET|PUT", {"GET", "PUT"}, {"GETPUT", "G"}},
      {"^/api/v[12]/.*$", {"/api/v1/", "/api/v2/x"}, {"/api/v3/x", "x/api/v1/"}},
      {"^a$|^b$", {"a", "b"}, {"ab", ""}},
      // Classes, negation, escapes.
      {"[^/]+", {"a", "a.b"}, {"", "a/b"}},
      {"[a-z0-9_-]*", {"", "a-_9"}, {"A"}},
      {"[]a]", {"]", "a"}, {"b"}},
      {"\\d{3}-\\d{4}", {"555-1234"}, {"55-1234", "555-12345"}},
      {"\\w+\\s\\W", {"ab \t", "x\n."}, {"ab  a", "a b"}},
      {"\\.\\*\\\\", {".*\\"}, {"a*\\"}},
      {"\\x41\\x{42}\\t", {"AB\t"}, {"AB "}},
      {"a.c",
       {"abc",
        "a\xff"
        "c"},
       {"a\nc", "ac"}},
      {"a[^b]c", {"a\nc", "axc"}, {"abc"}},
      // Counted repetition.
      {"a{2}", {"aa"}, {"a", "aaa"}},
      {"a{2,}", {"aa", "aaaaa"}, {"a"}},
      {"a{1,3}b?", {"a", "aaab"}, {"", "aaaa", "b"}},
      {"(ab){0}", {""}, {"ab"}},
      {"(?:a|bc)*d", {"d", "abcad"}, {"abd", "a"}},
      {"x{", {"x{"}, {"x", "x{{"}},
      {"x{,2}", {"x{,2}"}, {"xx"}},
      {"a*?b+?", {"b", "aab"}, {"a"}},
      {"()", {""}, {"a"}},
      {"a|", {"a", ""}, {"b"}},
      {"", {""}, {"a"}},
      {"[^\\x00-\\xff]", {}, {"", "a"}},
      {"(a*)*b", {"b", "aaab"}, {"aaa"}},
      // Empty languages (Z3 4.8.12 alone finds "" in the first).
      {"(?:|a)[^\\x00-\\xff]{2}", {}, {"", "a"}},
      {"(?:|a)(?:[^\\x00-\\xff]b){2,}", {}, {"", "a", "bb"}},
      {"[^\\x00-\\xff]{0,3}a", {"a"}, {""}},
  };
  for (const auto& c : cases) {
    Regex re = parse_ok(c.pattern);
    for (const auto& s : c.yes) {
      EXPECT_TRUE(full_match(re, s)) << c.pattern << " should match \"" << s << "\"";
      EXPECT_TRUE(z3_match(re, s)) << c.pattern << " should match \"" << s << "\" in Z3";
    }
    for (const auto& s : c.no) {
      EXPECT_FALSE(full_match(re, s)) << c.pattern << " should not match \"" << s << "\"";
      EXPECT_FALSE(z3_match(re, s)) << c.pattern << " should not match \"" << s << "\" in Z3";
    }
  }
}

TEST(Regex, CaseInsensitiveFoldsAsciiLetters) {
  Regex re = parse_ok("[a-z]+\\.example\\.COM", true);
  EXPECT_TRUE(full_match(re, "WWW.Example.com"));
  EXPECT_TRUE(full_match(re, "api.EXAMPLE.com"));
  EXPECT_FALSE(full_match(re, "api_example.com"));
  Regex neg = parse_ok("[^a]", true);
  EXPECT_FALSE(full_match(neg, "A"));
  EXPECT_TRUE(full_match(neg, "b"));
  EXPECT_EQ(nv::ir::str(parse_ok("a\\x62", true)), "[Aa][Bb]");
}

TEST(Regex, RefusedPatternsWithOffsets) {
  struct Bad {
    std::string pattern;
    size_t offset;
    const char* words;  // part of the message
  };
  const std::vector<Bad> bad = {
      {"a)", 1, "unmatched"},
      {"(ab", 0, "missing `)`"},
      {"x[ab", 1, "missing `]`"},
      {"*a", 0, "missing argument"},
      {"a|+", 2, "missing argument"},
      {"{2}", 0, "missing argument"},
      {"a**", 2, "bad repetition operator"},
      {"a{2}{3}", 4, "bad repetition operator"},
      {"a{1001}", 1, "above 1000"},
      {"a{3,2}", 1, "bad repetition range"},
      {"(a(?i)b)", 2, "unsupported group"},
      {"(?=a)", 0, "unsupported group"},
      {"(?P<n>a)", 0, "unsupported group"},
      {"(a)\\1", 3, "backreferences"},
      {"\\bword", 0, "assertion"},
      {"a\\z", 1, "assertion"},
      {"\\pL", 0, "Unicode classes"},
      {"\\Qa\\E", 0, "\\Q"},
      {"\\q", 0, "unknown escape"},
      {"ab\\", 2, "trailing backslash"},
      {"\\x4", 0, "two hex digits"},
      {"\\x{100}", 0, "byte value"},
      {"[z-a]", 1, "bad character class range"},
      {"[\\d-z]", 1, "bad character class range"},
      {"[[:alpha:]]", 1, "POSIX"},
      {"a^b", 1, "`^`"},
      {"(^a)", 1, "`^`"},
      {"a$b", 1, "`$`"},
      {"(a$)", 2, "`$`"},
      {"\xc3\xa9+", 2, "non-ASCII"},
      {"[a\xc3\xa9]", 2, "non-ASCII"},
      {"(a{1000}){1000}", 0, "too large"},
      {"a{1000}b{1000}" + std::string(20, 'c') + "(x{1000}){8}", 34, "too large"},
      {std::string(4097, 'a'), 4096, "longer than 4096"},
      {std::string(65, '(') + std::string(65, ')'), 64, "nested deeper"},
  };
  for (const auto& b : bad) {
    auto r = parse_regex(b.pattern);
    auto* e = std::get_if<RegexError>(&r);
    ASSERT_NE(e, nullptr) << "accepted: " << b.pattern;
    EXPECT_EQ(e->offset, b.offset) << b.pattern << ": " << e->message;
    EXPECT_NE(e->message.find(b.words), std::string::npos) << b.pattern << ": " << e->message;
  }
  // Right at the limits: accepted.
  EXPECT_TRUE(std::holds_alternative<Regex>(parse_regex(std::string(4096, 'a'))));
  EXPECT_TRUE(
      std::holds_alternative<Regex>(parse_regex(std::string(64, '(') + std::string(64, ')'))));
  EXPECT_TRUE(std::holds_alternative<Regex>(parse_regex("[0-9]{1,1000}")));
}

TEST(Regex, CanonicalTextRoundTrips) {
  const std::vector<std::pair<const char*, const char*>> table = {
      {"^/public/.*$", "/public/.*"},
      {"(?:a)(b)c", "abc"},
      {"((a|b)|c)", "a|b|c"},
      {"[ba-c]", "[a-c]"},
      {"[^\\n]", "."},
      {"a{0,}b{1,}c{0,1}d{2,2}e{2,5}f{3,}", "a*b+c?d{2}e{2,5}f{3,}"},
      {"(ab)*(a|b)+", "(?:ab)*(?:a|b)+"},
      {"(?:a*)*", "(?:a*)*"},
      {"\\.\\$[\\]\\-^]{}", "\\.\\$[\\-\\]-\\^]\\{\\}"},
      {"\\t\\x7f\\xff", "\\x09\\x7f\\xff"},
      {"a|[^\\x00-\\xff]", "a"},
      {"[^\\x00-\\xff]*", "[^\\x00-\\xff]*"},
      {"()*", "(?:)*"},
      {"|", "|"},
  };
  for (auto [in, want] : table) {
    Regex re = parse_ok(in);
    EXPECT_EQ(nv::ir::str(re), want) << in;
    EXPECT_EQ(parse_ok(nv::ir::str(re)), re) << in;
  }
  for (const Regex& re :
       {Regex::literal("a.b"), Regex::literal(""), Regex::literal("x"), Regex::prefix("/api/"),
        Regex::any_string(), Regex::alt({Regex::literal("GET"), Regex::literal("HEAD")}),
        Regex::alt({}), Regex::concat({Regex::alt({}), Regex::literal("\n\x80")})}) {
    EXPECT_EQ(parse_ok(nv::ir::str(re)), re) << nv::ir::str(re);
  }
  EXPECT_EQ(nv::ir::str(Regex::prefix("/a")), "/a[\\x00-\\xff]*");
  EXPECT_TRUE(full_match(Regex::prefix("/a"), std::string("/a\n\0", 4)));
}

TEST(Regex, CanonicalOfHandBuiltTrees) {
  Regex one;
  one.op = Regex::Op::Concat;
  one.kids = {Regex::literal("a")};
  Regex messy;
  messy.op = Regex::Op::Chars;
  messy.ranges = {{'c', 'd'}, {'a', 'b'}};
  Regex bad_repeat;
  bad_repeat.op = Regex::Op::Repeat;
  bad_repeat.min = 3;
  bad_repeat.max = 2;
  bad_repeat.kids = {Regex::literal("a")};
  EXPECT_EQ(nv::ir::canonical(one), Regex::literal("a"));
  EXPECT_EQ(nv::ir::str(nv::ir::canonical(messy)), "[a-d]");
  EXPECT_EQ(nv::ir::canonical(bad_repeat), Regex::alt({}));
  EXPECT_FALSE(full_match(bad_repeat, "aa"));
  EXPECT_FALSE(z3_match(bad_repeat, "aaa"));
  for (const Regex& re : {one, messy, bad_repeat})
    EXPECT_EQ(parse_ok(nv::ir::str(re)), nv::ir::canonical(re)) << nv::ir::str(re);
}

TEST(Regex, MatchingIsLinearOnPathologicalPatterns) {
  // (a*)*b and (a|a)* take exponential time in a backtracking matcher.
  Regex re = parse_ok("(a*)*(a|aa){1,1000}b");
  std::string s(3000, 'a');
  EXPECT_FALSE(full_match(re, s));
  EXPECT_TRUE(full_match(re, s + "b"));
}

TEST(RegexZ3, EveryByteRoundTripsThroughAModel) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  z3::context ctx;
  z3::solver solver(ctx);
  z3::expr x = ctx.string_const("x");
  solver.add(x == nv::verifier::string_lit(ctx, all));
  ASSERT_EQ(solver.check(), z3::sat);
  EXPECT_EQ(nv::verifier::string_of(solver.get_model().eval(x, true)), all);
  // Z3 picks the string (from a one-byte class), so this reads back Z3's own characters.
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    z3::solver s1(ctx);
    z3::expr y = ctx.string_const("y");
    s1.add(nv::verifier::bytes_only(y) && nv::verifier::regex_matches(y, Regex::literal(one)));
    ASSERT_EQ(s1.check(), z3::sat) << c;
    EXPECT_EQ(nv::verifier::string_of(s1.get_model().eval(y, true)), one) << c;
  }
}

TEST(RegexZ3, BytesOnlyExcludesWiderCharacters) {
  z3::context ctx;
  z3::solver solver(ctx);
  z3::expr x = ctx.string_const("x");
  solver.add(x.length() == 1 && !nv::verifier::bytes_only(x));
  ASSERT_EQ(solver.check(), z3::sat);
  EXPECT_THROW(nv::verifier::string_of(solver.get_model().eval(x, true)), std::invalid_argument);
  // No byte string avoids `.*` over all bytes, but a wider character does: bytes_only matters.
  z3::solver s2(ctx);
  s2.add(!nv::verifier::regex_matches(x, Regex::any_string()));
  EXPECT_EQ(s2.check(), z3::sat);
  s2.add(nv::verifier::bytes_only(x));
  EXPECT_EQ(s2.check(), z3::unsat);
}

TEST(RegexZ3, EmptyLanguagesHaveNoModel) {
  for (const char* p : {"(?:|a)[^\\x00-\\xff]{2}", "(?:x|)(?:[^\\x00-\\xff]|[^\\x00-\\xff]){1,}"}) {
    z3::context ctx;
    z3::solver solver(ctx);
    solver.add(nv::verifier::regex_matches(ctx.string_const("x"), parse_ok(p)));
    EXPECT_EQ(solver.check(), z3::unsat) << p;
  }
}

TEST(RegexZ3, ModelsOfMatchAndMismatch) {
  for (const char* p : {"/v1/(foo|bar)/[0-9]{2,3}", "a{0}b", "(a|b){3,}", "[^/]*/x?"}) {
    Regex re = parse_ok(p);
    for (bool want : {true, false}) {
      z3::context ctx;
      z3::solver solver(ctx);
      z3::expr x = ctx.string_const("x");
      z3::expr m = nv::verifier::regex_matches(x, re);
      solver.add(nv::verifier::bytes_only(x) && (want ? m : !m));
      ASSERT_EQ(solver.check(), z3::sat) << p;
      std::string s = nv::verifier::string_of(solver.get_model().eval(x, true));
      EXPECT_EQ(full_match(re, s), want) << p << " on \"" << s << "\"";
    }
  }
}
