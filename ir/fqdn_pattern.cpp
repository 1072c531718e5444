#include "ir/fqdn_pattern.h"

#include <cctype>
#include <utility>
#include <vector>

namespace nv::ir {

namespace {

Regex chars(std::vector<std::pair<uint8_t, uint8_t>> ranges) {
  Regex r;
  r.op = Regex::Op::Chars;
  r.ranges = std::move(ranges);
  return r;
}

Regex repeat(Regex kid, unsigned min) {
  Regex r;
  r.op = Regex::Op::Repeat;
  r.min = min;
  r.max = Regex::kUnbounded;
  r.kids.push_back(std::move(kid));
  return r;
}

// matchpattern.go allowedDNSCharsREGroup, `[-a-zA-Z0-9_]`, sorted and disjoint.
Regex dns_char() { return chars({{'-', '-'}, {'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}); }

bool pattern_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '*';
}

}  // namespace

Regex fqdn_pattern(std::string_view pattern) {
  if (pattern == "*") {
    Regex label = repeat(dns_char(), 1);
    return Regex::concat({label, repeat(Regex::concat({Regex::literal("."), label}), 0)});
  }
  std::vector<Regex> parts;
  std::string lit;
  for (char c : pattern) {
    if (c != '*') {
      lit += c;
      continue;
    }
    if (!lit.empty()) parts.push_back(Regex::literal(lit));
    lit.clear();
    parts.push_back(repeat(dns_char(), 0));
  }
  if (!lit.empty()) parts.push_back(Regex::literal(lit));
  return Regex::concat(std::move(parts));
}

std::optional<std::string> fqdn_pattern_text(const Regex& re) {
  if (re == fqdn_pattern("*")) return "*";
  const Regex star = repeat(dns_char(), 0);
  std::vector<const Regex*> kids;
  if (re.op == Regex::Op::Concat)
    for (const auto& k : re.kids) kids.push_back(&k);
  else
    kids.push_back(&re);
  std::string text;
  for (const Regex* k : kids) {
    if (*k == star) {
      text += '*';
    } else if (k->op == Regex::Op::Chars && k->ranges.size() == 1 &&
               k->ranges[0].first == k->ranges[0].second) {
      text += static_cast<char>(k->ranges[0].first);
    } else {
      return std::nullopt;
    }
  }
  for (char c : text)
    if (!pattern_char(c) || std::isupper(static_cast<unsigned char>(c))) return std::nullopt;
  // Exactness: the candidate must lower to this very tree (e.g. "a**" lowers differently).
  if (text.empty() || text == "*" || fqdn_pattern(text) != re) return std::nullopt;
  return text;
}

}  // namespace nv::ir
