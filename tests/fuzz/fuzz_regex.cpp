// The L7 regular-expression parser and matcher (ir/regex.h) on arbitrary bytes. The first
// byte picks case-insensitive parsing (bit 0); the rest is the pattern. Traps when:
//  - a refusal has an offset past the pattern or no message;
//  - a parsed tree is not canonical, is over the size limit, or str() does not read back
//    to the same tree (and the same text);
//  - a string drawn from the tree's language (choices taken from the input bytes) is not
//    matched, or the case-insensitive parse judges a string and its case-swapped twin apart,
//    or rejects a string the case-sensitive parse accepts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "ir/regex.h"

namespace {

using nv::ir::Regex;

// A string of re's language, each choice read from `choices` (cycled); nullopt when the
// drawn path has none (an empty Alt) or the string grows past 4096 bytes.
struct Sampler {
  std::string_view choices;
  size_t next = 0;

  unsigned pick(unsigned n) {
    if (n <= 1 || choices.empty()) return 0;
    return static_cast<unsigned char>(choices[next++ % choices.size()]) % n;
  }

  bool draw(const Regex& re, std::string& out) {
    if (out.size() > 4096) return false;
    switch (re.op) {
      case Regex::Op::Chars: {
        if (re.ranges.empty()) return false;
        auto [lo, hi] = re.ranges[pick(static_cast<unsigned>(re.ranges.size()))];
        out.push_back(static_cast<char>(lo + pick(hi - lo + 1u)));
        return true;
      }
      case Regex::Op::Concat:
        for (const auto& k : re.kids)
          if (!draw(k, out)) return false;
        return true;
      case Regex::Op::Alt:
        return !re.kids.empty() && draw(re.kids[pick(static_cast<unsigned>(re.kids.size()))], out);
      case Regex::Op::Repeat: {
        unsigned extra = re.max == Regex::kUnbounded ? 3 : re.max - re.min;
        unsigned n = re.min + pick(extra + 1);
        for (unsigned i = 0; i < n; ++i)
          if (!draw(re.kids[0], out)) return false;
        return true;
      }
    }
    return false;
  }
};

std::string swap_case(std::string s) {
  for (char& c : s)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) c ^= 0x20;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool ci = data[0] & 1;
  std::string pattern(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto parsed = nv::ir::parse_regex(pattern, ci);
  if (auto* e = std::get_if<nv::ir::RegexError>(&parsed)) {
    if (e->offset > pattern.size() || e->message.empty()) __builtin_trap();
    return 0;
  }
  const Regex& re = std::get<Regex>(parsed);
  if (!(nv::ir::canonical(re) == re)) __builtin_trap();
  if (nv::ir::regex_size(re) > nv::ir::kRegexMaxSize) __builtin_trap();
  std::string text = nv::ir::str(re);
  auto again = nv::ir::parse_regex(text);
  if (!std::holds_alternative<Regex>(again) || !(std::get<Regex>(again) == re)) __builtin_trap();
  if (nv::ir::str(std::get<Regex>(again)) != text) __builtin_trap();

  // The other case mode, when it parses (it refuses exactly the same patterns).
  auto other = nv::ir::parse_regex(pattern, !ci);
  if (!std::holds_alternative<Regex>(other)) __builtin_trap();
  const Regex& folded = ci ? re : std::get<Regex>(other);

  std::string candidates[4] = {pattern, text, "", pattern.substr(0, pattern.size() / 2)};
  for (std::string& s : candidates) {
    // The case-insensitive language is closed under case swapping. (It need not contain
    // the exact one: as in RE2, (?i)[^x] is [^xX], so "X" matches [^x] but not (?i)[^x].)
    bool f = nv::ir::full_match(folded, s);
    if (nv::ir::full_match(folded, swap_case(s)) != f) __builtin_trap();
  }
  for (size_t round = 0; round < 3; ++round) {
    Sampler sampler{pattern, round * 7};
    std::string s;
    if (!sampler.draw(re, s)) continue;
    if (!nv::ir::full_match(re, s)) __builtin_trap();
    if (nv::ir::full_match(folded, swap_case(s)) != nv::ir::full_match(folded, s)) __builtin_trap();
  }
  return 0;
}
