// ir::Regex in Z3 (verifier/regex_z3.h), against Z3 4.8.12.
//
// Everything regular is built through the C API: in z3++ 4.8 `operator|` on two regex
// expressions is a bit-vector or, not a union. Z3_mk_re_loop(r, lo, 0) means "at least lo"
// (hi == 0 is unbounded), so `x{0}` becomes the empty string and `x{n,}` is loop(n,n)·star.
//
// Characters: 4.8.12's strings are sequences of Unicode characters (up to 0x2FFFF).
// Z3_mk_lstring takes raw bytes, one character per byte 0..255 (NUL included), and
// Z3_get_lstring gives them back for characters <= 255, but renders a larger character as
// the escape text `\u{1fe}` (several bytes for one character); Z3_get_string escapes even
// bytes >= 0x80 and control bytes as `\u{..}`. string_of therefore reads Z3_get_lstring and
// checks its length against the value's str.len, refusing values outside 0..255.
#include "verifier/regex_z3.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nv::verifier {

namespace {

z3::expr char_lit(z3::context& ctx, uint8_t c) {
  char b = static_cast<char>(c);
  return z3::expr(ctx, Z3_mk_lstring(ctx, 1, &b));
}

z3::sort re_sort(z3::context& ctx) {
  z3::sort str = ctx.string_sort();
  return ctx.re_sort(str);
}

z3::expr epsilon(z3::context& ctx) {
  return z3::expr(ctx, Z3_mk_seq_to_re(ctx, Z3_mk_lstring(ctx, 0, "")));
}

z3::expr nothing(z3::context& ctx) { return z3::expr(ctx, Z3_mk_re_empty(ctx, re_sort(ctx))); }

z3::expr combine(z3::context& ctx, const std::vector<z3::expr>& xs, bool is_union) {
  std::vector<Z3_ast> raw;
  for (const auto& x : xs) raw.push_back(x);
  unsigned n = static_cast<unsigned>(raw.size());
  z3::expr r(ctx,
             is_union ? Z3_mk_re_union(ctx, n, raw.data()) : Z3_mk_re_concat(ctx, n, raw.data()));
  ctx.check_error();
  return r;
}

z3::expr star(z3::context& ctx, const z3::expr& r) { return z3::expr(ctx, Z3_mk_re_star(ctx, r)); }

z3::expr loop(z3::context& ctx, const z3::expr& r, unsigned lo, unsigned hi) {
  return z3::expr(ctx, Z3_mk_re_loop(ctx, r, lo, hi));
}

// Whether re matches no string at all. Such parts become re.none before Z3 sees them:
// Z3 4.8.12 finds "" in (str.to_re "" | a) ++ ((_ re.loop 2 2) re.none), a language that is
// empty (found by tests/property/regex_property_test.cpp), while re.none itself propagates
// correctly through concatenation.
bool empty_language(const ir::Regex& re) {
  using Op = ir::Regex::Op;
  switch (re.op) {
    case Op::Chars:
      return re.ranges.empty();
    case Op::Concat:
      return std::any_of(re.kids.begin(), re.kids.end(), empty_language);
    case Op::Alt:
      return std::all_of(re.kids.begin(), re.kids.end(), empty_language);
    case Op::Repeat:
      return re.kids.empty() || re.min > re.max || (re.min > 0 && empty_language(re.kids[0]));
  }
  return false;
}

z3::expr translate(z3::context& ctx, const ir::Regex& re) {
  using Op = ir::Regex::Op;
  if (empty_language(re)) return nothing(ctx);
  switch (re.op) {
    case Op::Chars: {
      std::vector<z3::expr> parts;
      for (auto [lo, hi] : re.ranges)
        parts.push_back(z3::expr(ctx, Z3_mk_re_range(ctx, char_lit(ctx, lo), char_lit(ctx, hi))));
      if (parts.empty()) return nothing(ctx);
      return parts.size() == 1 ? parts[0] : combine(ctx, parts, true);
    }
    case Op::Concat:
    case Op::Alt: {
      std::vector<z3::expr> parts;
      for (const auto& k : re.kids)
        if (!empty_language(k)) parts.push_back(translate(ctx, k));  // (Alt only: see above)
      if (parts.empty()) return re.op == Op::Concat ? epsilon(ctx) : nothing(ctx);
      return parts.size() == 1 ? parts[0] : combine(ctx, parts, re.op == Op::Alt);
    }
    case Op::Repeat: {
      if (re.max == 0 || empty_language(re.kids[0])) return epsilon(ctx);  // x{0}, or none{0,m}
      z3::expr k = translate(ctx, re.kids[0]);
      if (re.max == ir::Regex::kUnbounded) {
        if (re.min == 0) return star(ctx, k);
        return combine(ctx, {loop(ctx, k, re.min, re.min), star(ctx, k)}, false);
      }
      return loop(ctx, k, re.min, re.max);
    }
  }
  return nothing(ctx);
}

}  // namespace

z3::expr to_z3(z3::context& ctx, const ir::Regex& re) {
  z3::expr r = translate(ctx, re);
  ctx.check_error();
  return r;
}

namespace {

// The one string a regex matches when it is a literal (single-byte classes in sequence).
std::optional<std::string> literal_of(const ir::Regex& re) {
  using Op = ir::Regex::Op;
  auto one = [](const ir::Regex& c) {
    return c.op == Op::Chars && c.ranges.size() == 1 && c.ranges[0].first == c.ranges[0].second;
  };
  if (one(re)) return std::string(1, static_cast<char>(re.ranges[0].first));
  if (re.op != Op::Concat) return std::nullopt;
  std::string out;
  for (const auto& k : re.kids) {
    if (!one(k)) return std::nullopt;
    out += static_cast<char>(k.ranges[0].first);
  }
  return out;
}

}  // namespace

z3::expr regex_matches(const z3::expr& s, const ir::Regex& re) {
  // A literal (an exact DNS name, an HTTP method) as string equality: the same formula, and
  // Z3 4.8.12's regex derivatives took 35 s to refute "a.b.evil" in (str.to_re "a.b") in
  // `reach --to fqdn:api.external.com.evil.example` against a toFQDNs matchName.
  if (auto lit = literal_of(re)) return s == string_lit(s.ctx(), *lit);
  return z3::in_re(s, to_z3(s.ctx(), re));
}

z3::expr string_lit(z3::context& ctx, std::string_view bytes) {
  z3::expr r(ctx, Z3_mk_lstring(ctx, static_cast<unsigned>(bytes.size()), bytes.data()));
  ctx.check_error();
  return r;
}

z3::expr bytes_only(const z3::expr& s) {
  z3::context& ctx = s.ctx();
  z3::expr byte(ctx, Z3_mk_re_range(ctx, char_lit(ctx, 0), char_lit(ctx, 255)));
  return z3::in_re(s, star(ctx, byte));
}

std::string string_of(const z3::expr& value) {
  z3::context& ctx = value.ctx();
  if (!Z3_is_string(ctx, value)) throw std::invalid_argument("string_of: not a string value");
  unsigned n = 0;
  const char* p = Z3_get_lstring(ctx, value, &n);
  ctx.check_error();
  z3::expr len = value.length().simplify();
  uint64_t chars = 0;
  if (!len.is_numeral_u64(chars) || chars != n)
    throw std::invalid_argument("string_of: the string has characters above 255");
  return std::string(p, n);
}

}  // namespace nv::verifier
