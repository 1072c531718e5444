// The L7 regular expressions: parser, canonical printer and a linear-time matcher (ir/regex.h).
//
// Upstream: Cilium hands an HTTP rule's path, method and host to Envoy as header matchers
// `:path`, `:method` and `:authority` with `SafeRegexMatch{EngineType: GoogleRe2, Regex: ...}`
// (cilium/cilium pkg/envoy/server.go, getHTTPRule), and Envoy's CompiledGoogleReMatcher::match
// is `re2::RE2::FullMatch(value, regex_)` (envoyproxy/envoy source/common/common/regex.h): the
// whole header value must match, so `^`/`$` add nothing. RE2's defaults are followed where
// they decide the language: `.` does not match `\n` (no `s` flag) but a negated class does
// (RE2::Options::ParseFlags sets Regexp::ClassNL); `\s` is [\t\n\f\r ]; counts are at most
// 1000; `a**` is an error; `{` that does not start a valid count is a literal.
// One deliberate difference: strings are bytes. `.` and negated classes consume one byte
// where RE2 consumes one UTF-8 character, and `\xHH` is the byte HH where RE2 means the code
// point U+00HH; the two agree on ASCII. A quantifier right after a raw non-ASCII byte of the
// pattern is refused (RE2 would repeat the whole UTF-8 character), and so is a raw non-ASCII
// byte in a class (RE2 would read a UTF-8 character).
#include "ir/regex.h"

#include <algorithm>
#include <bitset>
#include <map>
#include <stdexcept>

namespace nv::ir {

namespace {

using Set = std::bitset<256>;
using Ranges = std::vector<std::pair<uint8_t, uint8_t>>;

Ranges to_ranges(const Set& s) {
  Ranges out;
  for (unsigned c = 0; c < 256; ++c) {
    if (!s[c]) continue;
    unsigned hi = c;
    while (hi + 1 < 256 && s[hi + 1]) ++hi;
    out.push_back({static_cast<uint8_t>(c), static_cast<uint8_t>(hi)});
    c = hi;
  }
  return out;
}

Set to_set(const Ranges& rs) {
  Set s;
  for (auto [lo, hi] : rs)
    for (unsigned c = lo; c <= hi; ++c) s.set(c);
  return s;
}

Set range_set(unsigned lo, unsigned hi) {
  Set s;
  for (unsigned c = lo; c <= hi; ++c) s.set(c);
  return s;
}

Set fold(Set s) {
  for (unsigned c = 'a'; c <= 'z'; ++c)
    if (s[c] || s[c - 32]) s.set(c), s.set(c - 32);
  return s;
}

Regex chars(const Set& s) {
  if (s.none()) return Regex::alt({});  // the canonical "nothing"
  Regex r;
  r.op = Regex::Op::Chars;
  r.ranges = to_ranges(s);
  return r;
}

Regex repeat(Regex kid, unsigned min, unsigned max) {
  Regex r;
  r.op = Regex::Op::Repeat;
  r.min = min;
  r.max = max;
  r.kids.push_back(std::move(kid));
  return r;
}

const Set kDot = ~range_set('\n', '\n');
const Set kDigit = range_set('0', '9');
const Set kWord =
    range_set('0', '9') | range_set('A', 'Z') | range_set('a', 'z') | range_set('_', '_');
const Set kSpace = range_set('\t', '\n') | range_set('\f', '\r') | range_set(' ', ' ');

// Expanded size: roughly the states the matcher builds. Saturates at kSaturate.
constexpr size_t kSaturate = size_t{1} << 40;
size_t weight(const Regex& re) {
  switch (re.op) {
    case Regex::Op::Chars:
      return 1;
    case Regex::Op::Concat:
    case Regex::Op::Alt: {
      size_t w = 1;
      for (const auto& k : re.kids) w = std::min(kSaturate, w + weight(k));
      return w;
    }
    case Regex::Op::Repeat: {
      size_t k = re.kids.empty() ? 1 : weight(re.kids[0]) + 1;
      size_t n = re.max == Regex::kUnbounded ? size_t{re.min} + 1 : re.max;
      return n != 0 && k > kSaturate / n ? kSaturate : std::max<size_t>(1, k * n);
    }
  }
  return 1;
}

struct Failure {
  RegexError error;
};

class Parser {
 public:
  Parser(std::string_view p, bool ci) : p_(p), ci_(ci) {}

  Regex run() {
    if (p_.size() > kRegexMaxPattern)
      fail(kRegexMaxPattern,
           "pattern is longer than " + std::to_string(kRegexMaxPattern) + " bytes");
    Regex re = alternation();
    if (pos_ < p_.size()) fail(pos_, "unmatched `)`");
    return re;
  }

 private:
  [[noreturn]] void fail(size_t at, std::string msg) { throw Failure{{at, std::move(msg)}}; }
  bool more() const { return pos_ < p_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < p_.size() ? p_[pos_ + ahead] : '\0'; }
  bool top() const { return depth_ == 0; }

  void check_size(size_t w, size_t at) {
    if (w > kRegexMaxSize)
      fail(at, "pattern too large after counted repetition (more than " +
                   std::to_string(kRegexMaxSize) + " positions)");
  }

  Regex alternation() {
    std::vector<Regex> branches;
    size_t total = 0;
    for (;;) {
      size_t start = pos_;
      branches.push_back(branch());
      total += weight(branches.back());
      check_size(total, start);
      if (peek() != '|' || !more()) break;
      ++pos_;
    }
    return Regex::alt(std::move(branches));
  }

  Regex branch() {
    std::vector<Regex> items;
    size_t total = 0;
    if (top() && peek() == '^' && more()) ++pos_;
    while (more() && peek() != '|' && peek() != ')') {
      size_t start = pos_;
      if (peek() == '$') {
        if (top() && (pos_ + 1 == p_.size() || p_[pos_ + 1] == '|')) {
          ++pos_;
          break;
        }
        fail(pos_, "`$` is accepted only at the end of the pattern or of a top-level alternative");
      }
      if (peek() == '^')
        fail(pos_,
             "`^` is accepted only at the start of the pattern or of a top-level alternative");
      bool raw_high = static_cast<unsigned char>(peek()) >= 0x80;
      Regex item = atom();
      item = quantified(std::move(item), start, raw_high);
      total += weight(item);
      check_size(total, start);
      items.push_back(std::move(item));
    }
    return Regex::concat(std::move(items));
  }

  // A counted repetition `{n}`, `{n,}` or `{n,m}` at pos_; false (pos_ unchanged) if the text
  // there is not one, in which case `{` is a literal as in RE2.
  bool count(unsigned& min, unsigned& max) {
    size_t at = pos_, i = pos_ + 1;
    auto number = [&](unsigned& out) {
      size_t start = i;
      unsigned long v = 0;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
        v = std::min<unsigned long>(v * 10 + static_cast<unsigned>(p_[i] - '0'), 100000);
        ++i;
      }
      if (i == start) return false;
      if (v > kRegexMaxCount)
        fail(at, "repetition count above " + std::to_string(kRegexMaxCount) + " in `" +
                     std::string(p_.substr(at, i - at)) + "`");
      out = static_cast<unsigned>(v);
      return true;
    };
    if (!number(min)) return false;
    max = min;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      if (i < p_.size() && p_[i] == '}')
        max = Regex::kUnbounded;
      else if (!number(max))
        return false;
    }
    if (i >= p_.size() || p_[i] != '}') return false;
    if (max < min)
      fail(at, "bad repetition range `" + std::string(p_.substr(at, i + 1 - at)) + "`");
    pos_ = i + 1;
    return true;
  }

  bool at_quantifier() {
    if (peek() == '*' || peek() == '+' || peek() == '?') return more();
    if (peek() != '{') return false;
    size_t save = pos_;
    unsigned a, b;
    bool yes = count(a, b);
    pos_ = save;
    return yes;
  }

  Regex quantified(Regex item, size_t start, bool raw_high) {
    if (!at_quantifier()) return item;
    size_t at = pos_;
    if (raw_high)
      fail(at,
           "quantifier after a non-ASCII byte: RE2 would repeat the whole UTF-8 character; "
           "use a group or \\xHH");
    unsigned min = 0, max = Regex::kUnbounded;
    char c = p_[pos_];
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      if (c == '+') min = 1;
      if (c == '?') max = 1;
    } else {
      count(min, max);
    }
    if (peek() == '?' && more()) ++pos_;  // lazy: the same set of whole-string matches
    if (at_quantifier())
      fail(pos_, "bad repetition operator `" + std::string(p_.substr(at, pos_ + 1 - at)) + "`");
    Regex r = repeat(std::move(item), min, max);
    check_size(weight(r), start);
    return r;
  }

  Regex atom() {
    size_t at = pos_;
    char c = p_[pos_];
    if (at_quantifier())
      fail(at, std::string("missing argument to repetition operator `") + c + "`");
    switch (c) {
      case '(': {
        if (peek(1) == '?') {
          if (peek(2) != ':')
            fail(at,
                 "unsupported group `(?`: only `(?:...)` is accepted (no flags, lookaround or "
                 "named groups)");
          pos_ += 2;
        }
        ++pos_;
        if (++depth_ > kRegexMaxDepth)
          fail(at, "groups nested deeper than " + std::to_string(kRegexMaxDepth));
        Regex inner = alternation();
        if (peek() != ')' || !more()) fail(at, "missing `)`");
        ++pos_;
        --depth_;
        return inner;
      }
      case '[':
        return chars(bracket());
      case '.':
        ++pos_;
        return chars(kDot);
      case '\\':
        return chars(escape(false));
      default:
        ++pos_;
        return literal(static_cast<unsigned char>(c));
    }
  }

  Regex literal(unsigned char c) {
    Set s;
    s.set(c);
    return chars(ci_ ? fold(s) : s);
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // An escape at pos_ (the backslash); a byte escape is folded if case-insensitive.
  Set escape(bool in_class) {
    size_t at = pos_;
    if (pos_ + 1 >= p_.size()) fail(at, "trailing backslash");
    char c = p_[pos_ + 1];
    pos_ += 2;
    Set s;
    switch (c) {
      case 'd':
        return kDigit;
      case 'D':
        return ~kDigit;
      case 'w':
        return kWord;
      case 'W':
        return ~kWord;
      case 's':
        return kSpace;
      case 'S':
        return ~kSpace;
      case 'a':
        s.set(7);
        return s;
      case 'f':
        s.set('\f');
        return s;
      case 't':
        s.set('\t');
        return s;
      case 'n':
        s.set('\n');
        return s;
      case 'r':
        s.set('\r');
        return s;
      case 'v':
        s.set('\v');
        return s;
      case 'x': {
        unsigned v = 0;
        if (peek() == '{') {
          size_t i = pos_ + 1;
          while (i < p_.size() && hex(p_[i]) >= 0 && v <= 0xff) v = v * 16 + hex(p_[i++]);
          if (i == pos_ + 1 || i >= p_.size() || p_[i] != '}' || v > 0xff)
            fail(at, "bad escape `\\x{...}`: expected 1 to 2 hex digits of a byte value");
          pos_ = i + 1;
        } else {
          if (hex(peek()) < 0 || hex(peek(1)) < 0)
            fail(at, "bad escape `\\x`: expected two hex digits");
          v = hex(peek()) * 16 + hex(peek(1));
          pos_ += 2;
        }
        s.set(v);
        return ci_ ? fold(s) : s;
      }
      default:
        break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (u > 0x20 && u < 0x7f && !alnum) {
      s.set(u);
      return s;
    }
    std::string e = "`\\" + std::string(1, c) + "`";
    if (c >= '0' && c <= '9') fail(at, "backreferences and octal escapes are not supported: " + e);
    if (std::string_view("bBAzZG").find(c) != std::string_view::npos)
      fail(at,
           "assertion " + e + " is not supported" + (in_class ? " (nor is it a character)" : ""));
    if (c == 'p' || c == 'P') fail(at, "Unicode classes are not supported: " + e);
    if (c == 'Q' || c == 'E') fail(at, "quoting with \\Q...\\E is not supported");
    if (c == 'C') fail(at, "`\\C` is not supported");
    fail(at, "unknown escape " +
                 (u < 0x20 || u >= 0x7f ? std::string("`\\` before a control byte") : e));
  }

  Set bracket() {
    size_t open = pos_++;
    bool negate = false;
    if (peek() == '^' && more()) negate = true, ++pos_;
    Set s;
    bool first = true;
    for (;;) {
      if (!more()) fail(open, "missing `]`");
      char c = p_[pos_];
      if (c == ']' && !first) break;
      first = false;
      if (c == '[' && peek(1) == ':') fail(pos_, "POSIX classes `[:name:]` are not supported");
      size_t item_at = pos_;
      Set lo = element();
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        size_t hi_at = pos_;
        Set hi = element();
        if (lo.count() != 1 || hi.count() != 1)
          fail(lo.count() != 1 ? item_at : hi_at, "bad character class range: an end is a class");
        unsigned a = first_bit(lo), b = first_bit(hi);
        if (a > b)
          fail(item_at, "bad character class range `" +
                            std::string(p_.substr(item_at, pos_ - item_at)) + "`");
        s |= range_set(a, b);
      } else {
        s |= lo;
      }
    }
    ++pos_;
    if (ci_) s = fold(s);
    return negate ? ~s : s;
  }

  static unsigned first_bit(const Set& s) {
    for (unsigned c = 0; c < 256; ++c)
      if (s[c]) return c;
    return 0;
  }

  // One class element, unfolded: a byte or an escape.
  Set element() {
    if (p_[pos_] == '\\') {
      bool save = ci_;
      ci_ = false;
      Set s = escape(true);
      ci_ = save;
      return s;
    }
    if (static_cast<unsigned char>(p_[pos_]) >= 0x80)
      fail(pos_,
           "non-ASCII byte in a character class: RE2 reads the class as UTF-8 characters; "
           "use \\xHH for a byte");
    Set s;
    s.set(static_cast<unsigned char>(p_[pos_++]));
    return s;
  }

  std::string_view p_;
  bool ci_;
  size_t pos_ = 0;
  unsigned depth_ = 0;
};

}  // namespace

Regex Regex::literal(std::string_view s) {
  std::vector<Regex> kids;
  for (unsigned char c : s) {
    Regex ch;
    ch.op = Op::Chars;
    ch.ranges = {{c, c}};
    kids.push_back(std::move(ch));
  }
  return concat(std::move(kids));
}

Regex Regex::any_string() { return repeat(chars(~Set{}), 0, kUnbounded); }

Regex Regex::prefix(std::string_view s) { return concat({literal(s), any_string()}); }

Regex Regex::exact_path(std::string_view p) {
  Regex query_or_fragment;
  query_or_fragment.op = Op::Chars;
  query_or_fragment.ranges = {{'#', '#'}, {'?', '?'}};
  return concat(
      {literal(p), alt({literal(""), concat({std::move(query_or_fragment), any_string()})})});
}

Regex Regex::concat(std::vector<Regex> kids) {
  Regex r;
  r.op = Op::Concat;
  for (auto& k : kids) {
    if (k.op == Op::Concat)
      for (auto& kk : k.kids) r.kids.push_back(std::move(kk));
    else
      r.kids.push_back(std::move(k));
  }
  if (r.kids.size() == 1) return std::move(r.kids[0]);
  return r;
}

Regex Regex::alt(std::vector<Regex> kids) {
  Regex r;
  r.op = Op::Alt;
  for (auto& k : kids) {
    if (k.op == Op::Alt)
      for (auto& kk : k.kids) r.kids.push_back(std::move(kk));
    else
      r.kids.push_back(std::move(k));
  }
  if (r.kids.size() == 1) return std::move(r.kids[0]);
  return r;
}

Regex canonical(const Regex& re) {
  std::vector<Regex> kids;
  for (const auto& k : re.kids) kids.push_back(canonical(k));
  switch (re.op) {
    case Regex::Op::Chars:
      return chars(to_set(re.ranges));
    case Regex::Op::Concat:
      return Regex::concat(std::move(kids));
    case Regex::Op::Alt:
      return Regex::alt(std::move(kids));
    case Regex::Op::Repeat:
      if (kids.empty() || re.min > re.max) return Regex::alt({});
      return repeat(std::move(kids[0]), re.min, re.max);
  }
  return re;
}

std::variant<Regex, RegexError> parse_regex(std::string_view pattern, bool case_insensitive) {
  try {
    return Parser(pattern, case_insensitive).run();
  } catch (const Failure& f) {
    return f.error;
  }
}

size_t regex_size(const Regex& re) { return weight(re); }

// ---------------------------------------------------------------------------------------
// Printing: the canonical syntax. Bytes outside printable ASCII are `\xHH`, metacharacters
// are escaped, and a group `(?:...)` is written only where the tree needs one, so that the
// parser, which flattens groups, reads back the same canonical tree.

namespace {

void put_byte(std::string& out, unsigned c, bool in_class) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string_view meta =
      in_class ? std::string_view("\\]-^[") : std::string_view("\\.+*?()|[]{}^$");
  if (c < 0x20 || c >= 0x7f) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
    return;
  }
  if (meta.find(static_cast<char>(c)) != std::string_view::npos) out += '\\';
  out += static_cast<char>(c);
}

void print(const Regex& re, std::string& out);

bool is_atom(const Regex& re) {
  return re.op == Regex::Op::Chars || (re.op == Regex::Op::Alt && re.kids.empty());
}

void print_group(const Regex& re, std::string& out) {
  out += "(?:";
  print(re, out);
  out += ')';
}

void print(const Regex& re, std::string& out) {
  switch (re.op) {
    case Regex::Op::Chars:
      if (re.ranges.size() == 1 && re.ranges[0].first == re.ranges[0].second) {
        put_byte(out, re.ranges[0].first, false);
      } else if (re.ranges.empty()) {
        out += "[^\\x00-\\xff]";
      } else if (to_set(re.ranges) == kDot) {
        out += '.';
      } else {
        out += '[';
        for (auto [lo, hi] : re.ranges) {
          put_byte(out, lo, true);
          if (hi == lo) continue;
          out += '-';
          put_byte(out, hi, true);
        }
        out += ']';
      }
      return;
    case Regex::Op::Concat:
      for (const auto& k : re.kids) {
        if (is_atom(k) || k.op == Regex::Op::Repeat)
          print(k, out);
        else
          print_group(k, out);
      }
      return;
    case Regex::Op::Alt:
      if (re.kids.empty()) out += "[^\\x00-\\xff]";
      for (size_t i = 0; i < re.kids.size(); ++i) {
        if (i) out += '|';
        if (re.kids[i].op == Regex::Op::Alt)
          print_group(re.kids[i], out);
        else
          print(re.kids[i], out);
      }
      return;
    case Regex::Op::Repeat: {
      if (re.kids.empty() || re.min > re.max) {  // hand-built, matches nothing
        out += "[^\\x00-\\xff]";
        return;
      }
      const Regex& k = re.kids[0];
      if (is_atom(k))
        print(k, out);
      else
        print_group(k, out);
      unsigned n = re.min, m = re.max;
      if (m == Regex::kUnbounded && n <= 1)
        out += n == 0 ? '*' : '+';
      else if (m == 1 && n == 0)
        out += '?';
      else if (m == Regex::kUnbounded)
        out += "{" + std::to_string(n) + ",}";
      else if (n == m)
        out += "{" + std::to_string(n) + "}";
      else
        out += "{" + std::to_string(n) + "," + std::to_string(m) + "}";
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Matching: a Thompson NFA with counted repetition expanded (bounded by the size limit),
// simulated over state sets: O(|s| * states), no backtracking.

class Nfa {
 public:
  explicit Nfa(const Regex& re) {
    if (weight(re) > kRegexMatchLimit)
      throw std::length_error("regular expression too large to match (" +
                              std::to_string(weight(re)) + " positions)");
    states_.push_back(State{});
    states_[0].accept = true;
    start_ = build(re, 0);
    mark_.assign(states_.size(), 0);
  }

  bool run(std::string_view s) {
    std::vector<int> cur, nxt;
    add(start_, cur);
    for (unsigned char b : s) {
      ++gen_;
      nxt.clear();
      for (int st : cur) {
        const State& x = states_[st];
        if (x.set >= 0 && sets_[x.set][b]) add(x.next, nxt);
      }
      cur.swap(nxt);
      if (cur.empty()) return false;
    }
    for (int st : cur)
      if (states_[st].accept) return true;
    return false;
  }

 private:
  struct State {
    int set = -1;  // >= 0: consumes one byte of sets_[set], then goes to next
    int next = -1;
    std::vector<int> eps;  // set < 0: goes to each of these without consuming
    bool accept = false;
  };

  int add_state(State s) {
    states_.push_back(std::move(s));
    return static_cast<int>(states_.size() - 1);
  }

  int build(const Regex& re, int next) {
    switch (re.op) {
      case Regex::Op::Chars: {
        auto [it, fresh] = set_of_.try_emplace(&re, static_cast<int>(sets_.size()));
        if (fresh) sets_.push_back(to_set(re.ranges));
        return add_state(State{it->second, next, {}, false});
      }
      case Regex::Op::Concat:
        for (size_t i = re.kids.size(); i-- > 0;) next = build(re.kids[i], next);
        return next;
      case Regex::Op::Alt: {
        std::vector<int> outs;
        for (const auto& k : re.kids) outs.push_back(build(k, next));
        return add_state(State{-1, -1, std::move(outs), false});
      }
      case Regex::Op::Repeat: {
        if (re.kids.empty() || re.min > re.max) return add_state(State{});  // matches nothing
        const Regex& k = re.kids[0];
        int t = next;
        if (re.max == Regex::kUnbounded) {
          t = add_state(State{});
          int body = build(k, t);
          states_[t].eps = {body, next};
        } else {
          for (unsigned i = re.min; i < re.max; ++i) {
            int body = build(k, t);
            t = add_state(State{-1, -1, {body, next}, false});
          }
        }
        for (unsigned i = 0; i < re.min; ++i) t = build(k, t);
        return t;
      }
    }
    return add_state(State{});
  }

  // Adds st and everything reachable from it without consuming a byte.
  void add(int st, std::vector<int>& list) {
    stack_.push_back(st);
    while (!stack_.empty()) {
      int s = stack_.back();
      stack_.pop_back();
      if (mark_[s] == gen_) continue;
      mark_[s] = gen_;
      const State& x = states_[s];
      if (x.set >= 0 || x.accept)
        list.push_back(s);
      else
        for (int e : x.eps) stack_.push_back(e);
    }
  }

  std::vector<State> states_;
  std::vector<Set> sets_;
  std::map<const Regex*, int> set_of_;
  std::vector<uint32_t> mark_;
  std::vector<int> stack_;
  uint32_t gen_ = 1;
  int start_ = 0;
};

}  // namespace

std::string str(const Regex& re) {
  std::string out;
  print(re, out);
  return out;
}

bool full_match(const Regex& re, std::string_view s) { return Nfa(re).run(s); }

}  // namespace nv::ir
