// PLACEHOLDER on branch l7-base: the builders are real, parse_regex/full_match/str are
// replaced by the regex helper's implementation before anything lands on main.
#include "ir/regex.h"

namespace nv::ir {

Regex Regex::literal(std::string_view s) {
  Regex r;
  r.op = Op::Concat;
  for (unsigned char c : s) {
    Regex ch;
    ch.op = Op::Chars;
    ch.ranges = {{c, c}};
    r.kids.push_back(std::move(ch));
  }
  return r;
}

Regex Regex::any_string() {
  Regex any;
  any.op = Op::Chars;
  any.ranges = {{0, 255}};
  Regex r;
  r.op = Op::Repeat;
  r.min = 0;
  r.max = kUnbounded;
  r.kids.push_back(std::move(any));
  return r;
}

Regex Regex::prefix(std::string_view s) { return concat({literal(s), any_string()}); }

Regex Regex::concat(std::vector<Regex> kids) {
  Regex r;
  r.op = Op::Concat;
  r.kids = std::move(kids);
  return r;
}

Regex Regex::alt(std::vector<Regex> kids) {
  Regex r;
  r.op = Op::Alt;
  r.kids = std::move(kids);
  return r;
}

std::variant<Regex, RegexError> parse_regex(std::string_view, bool) {
  return RegexError{0, "regular expressions are not implemented yet"};
}

bool full_match(const Regex&, std::string_view) { return false; }

std::string str(const Regex&) { return "<regex>"; }

}  // namespace nv::ir
