// Regular expressions of L7 rules: Cilium's HTTP method/path/host (Envoy safe_regex, RE2
// syntax), Cilium's DNS matchPattern and toFQDNs patterns and Calico's HTTP path matches,
// once lowered. One small AST that the reference evaluator matches directly and the
// verifier translates into Z3's regular expressions (verifier/regex_z3.h), so the two
// agree by construction and are tested against each other.
//
// Matching is always whole-string, as Envoy applies RE2 (FullMatch): `/api/.*` matches
// "/api/x" but not "/v1/api/x". `^` at the start and `$` at the end are accepted and mean
// nothing more. Strings are bytes (0-255); no Unicode classes.
//
// The accepted syntax is the RE2 subset that policies use: literals, `.`, escapes
// (`\.` `\d` `\w` `\s` `\D` `\W` `\S` `\\` and escaped metacharacters), bracket classes
// with ranges and negation (`[a-z0-9_-]`, `[^/]`), grouping `( )` and non-capturing
// `(?: )`, alternation `|`, and the quantifiers `*` `+` `?` `{n}` `{n,}` `{n,m}` (bounded:
// n, m <= 1000). Anything else (backreferences, lookaround, flags, `^`/`$` inside) is a
// RegexError with the byte offset, never a silently different pattern.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace nv::ir {

struct Regex {
  enum class Op : uint8_t {
    Chars,   // one byte from `ranges` (a sorted, disjoint list of inclusive byte ranges)
    Concat,  // kids in sequence (no kids: the empty string)
    Alt,     // any kid (no kids: matches nothing)
    Repeat,  // kids[0] repeated min..max times; max == kUnbounded for no bound
  };
  static constexpr unsigned kUnbounded = ~0u;

  Op op = Op::Concat;
  std::vector<std::pair<uint8_t, uint8_t>> ranges;  // Op::Chars
  std::vector<Regex> kids;
  unsigned min = 0, max = 0;  // Op::Repeat

  bool operator==(const Regex&) const = default;

  // Builders, for frontends that lower exact and prefix matches without writing syntax.
  static Regex literal(std::string_view s);  // exactly s
  static Regex prefix(std::string_view s);   // s followed by anything
  static Regex any_string();                 // .* over all bytes
  // A request target for exactly the path p: p, or p then '?' or '#' and anything (the
  // query or fragment), as Calico's exact HTTP path matches (one optional tail, which Z3
  // handles better than three alternatives with a common prefix).
  static Regex exact_path(std::string_view p);
  static Regex concat(std::vector<Regex> kids);
  static Regex alt(std::vector<Regex> kids);
};

struct RegexError {
  size_t offset = 0;  // byte offset into the pattern
  std::string message;
};

// Parses the syntax above. `case_insensitive` folds ASCII letters (for DNS names).
std::variant<Regex, RegexError> parse_regex(std::string_view pattern,
                                            bool case_insensitive = false);

// Whole-string match. Linear in |s| times the size of the expression (no backtracking
// blow-up): the reference evaluator calls it on untrusted strings.
bool full_match(const Regex& re, std::string_view s);

// Canonical text in the syntax above; parse_regex(str()) gives back an equal Regex.
std::string str(const Regex& re);

// Limits of parse_regex, each a RegexError when exceeded: pattern bytes, group nesting, the
// n and m of a counted repetition, and the size after counted repetition (regex_size, about
// the number of matcher states: `(a{1000}){1000}` is a million and is refused).
inline constexpr size_t kRegexMaxPattern = 4096;
inline constexpr unsigned kRegexMaxDepth = 64;
inline constexpr unsigned kRegexMaxCount = 1000;
inline constexpr size_t kRegexMaxSize = 20000;
// full_match throws std::length_error on a hand-built Regex larger than this (never on one
// from parse_regex or the builders with literals shorter than this).
inline constexpr size_t kRegexMatchLimit = 4'000'000;

size_t regex_size(const Regex& re);

// The canonical form of any Regex, with the same language. parse_regex and the builders
// return canonical trees: Chars ranges merged (none empty: an empty class is Alt{}),
// Concat and Alt flattened and never with exactly one kid, Repeat with min <= max.
// str() round-trips exactly on canonical trees within the limits above, and
// parse_regex(str(re)) == canonical(re) for any tree within them.
Regex canonical(const Regex& re);

}  // namespace nv::ir
