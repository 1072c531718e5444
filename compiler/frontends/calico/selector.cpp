// Calico's selector language, as projectcalico/calico parses and evaluates it:
//   libcalico-go/lib/selector/tokenizer/tokenizer.go  (commit d4bced9ad8c2, the version with
//     word-boundary checks after operator words and the 512-byte label limit)
//   libcalico-go/lib/selector/parser/parser.go        (commit 039a259ed729)
//   libcalico-go/lib/selector/parser/ast.go           (commit 91871723f33c: Evaluate)
// Like upstream, the whole text is tokenized first (so a tokenizer error anywhere wins over
// a parse error earlier in the text), then parsed by recursive descent:
//   or  := and ("||" and)*       and := op ("&&" op)*
//   op  := "!"* ( has(L) | all() | global() | "(" or ")" | L cmp S | L in-op "{" set "}" )
//   set := empty | S ("," S)* [","]           (upstream accepts a trailing comma)
// Evaluation is ir::Selector's, whose ops mean what ast.go's nodes mean: ==, in, contains,
// starts with, ends with and has() are false on an absent label; != and not in are true.
#include "compiler/frontends/calico/selector.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace nv::calico {

namespace {

using ir::Selector;

enum class Tok : uint8_t {
  Label,
  String,
  LBrace,
  RBrace,
  Comma,
  Eq,
  Ne,
  In,
  NotIn,
  Contains,
  StartsWith,
  EndsWith,
  Not,
  And,
  Or,
  LParen,
  RParen,
  Has,
  All,
  Global,
  Eof,
};

struct Token {
  Tok kind;
  size_t begin;  // byte offsets of the token's text
  size_t end;
  std::string_view value;  // label name (Label, Has) or string contents (String)
};

// tokenizer.go MaxLabelLength and identifierChar.
constexpr size_t kMaxLabelLength = 512;

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '/' || c == '-';
}

// A short, printable rendering of source text for messages.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string describe_byte(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  if (c == '\n') return "a newline (only spaces and tabs may separate tokens)";
  if (c == '\r') return "a carriage return (only spaces and tabs may separate tokens)";
  if (c > 0x20 && c < 0x7f) return std::string("`") + static_cast<char>(c) + "`";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
}

class Tokenizer {
 public:
  Tokenizer(std::string_view text, SelectorError* err) : t_(text), err_(err) {}

  // tokenizer.go AppendTokens. Only ' ' and '\t' are whitespace (trimWhitespace).
  bool run(std::vector<Token>& out) {
    size_t pos = 0;
    for (;;) {
      pos = skip_ws(pos);
      if (pos == t_.size()) {
        out.push_back({Tok::Eof, pos, pos, {}});
        return true;
      }
      bool after_label = !out.empty() && out.back().kind == Tok::Label;
      size_t start = pos;
      auto single = [&](Tok k) {
        out.push_back({k, start, start + 1, {}});
        ++pos;
      };
      auto pair = [&](char second, Tok k, const char* what) {
        if (pos + 1 < t_.size() && t_[pos + 1] == second) {
          out.push_back({k, start, start + 2, {}});
          pos += 2;
          return true;
        }
        return fail(start, std::string("expected `") + what + "`, found a lone `" + t_[pos] + "`");
      };
      switch (t_[pos]) {
        case '(':
          single(Tok::LParen);
          break;
        case ')':
          single(Tok::RParen);
          break;
        case '{':
          single(Tok::LBrace);
          break;
        case '}':
          single(Tok::RBrace);
          break;
        case ',':
          single(Tok::Comma);
          break;
        case '"':
        case '\'': {
          // No escapes: the string ends at the next quote of the same kind.
          char q = t_[pos];
          size_t close = t_.find(q, pos + 1);
          if (close == std::string_view::npos)
            return fail(start, std::string("unterminated string: no closing `") + q + "`");
          out.push_back({Tok::String, start, close + 1, t_.substr(pos + 1, close - pos - 1)});
          pos = close + 1;
          break;
        }
        case '=':
          if (!pair('=', Tok::Eq, "==")) return false;
          break;
        case '!':
          if (pos + 1 < t_.size() && t_[pos + 1] == '=') {
            out.push_back({Tok::Ne, start, start + 2, {}});
            pos += 2;
          } else {
            single(Tok::Not);
          }
          break;
        case '&':
          if (!pair('&', Tok::And, "&&")) return false;
          break;
        case '|':
          if (!pair('|', Tok::Or, "||")) return false;
          break;
        default:
          if (!word(out, pos, after_label)) return false;
          break;
      }
    }
  }

 private:
  size_t skip_ws(size_t pos) const {
    while (pos < t_.size() && (t_[pos] == ' ' || t_[pos] == '\t')) ++pos;
    return pos;
  }
  bool boundary(size_t pos) const { return pos >= t_.size() || !ident_char(t_[pos]); }
  bool has_prefix(size_t pos, std::string_view p) const { return t_.substr(pos).starts_with(p); }

  // cutPrefixCheckBreak: `w` followed by a word boundary.
  bool cut_word(size_t pos, std::string_view w, size_t* next) const {
    if (!has_prefix(pos, w) || !boundary(pos + w.size())) return false;
    *next = pos + w.size();
    return true;
  }
  // cutMultiWordPrefixCheckBreak: the words with optional blanks between them ("not in",
  // "notin"), blanks skipped after the last one too, then a word boundary.
  bool cut_words(size_t pos, std::string_view w1, std::string_view w2, size_t* next) const {
    size_t p = pos;
    for (std::string_view w : {w1, w2}) {
      if (!has_prefix(p, w)) return false;
      p = skip_ws(p + w.size());
    }
    if (!boundary(p)) return false;
    *next = p;
    return true;
  }

  // cutIdentifier: a run of [a-zA-Z0-9_./-], 1 to 512 bytes.
  bool ident(size_t pos, size_t* end, const char* what) {
    size_t e = pos;
    while (e < t_.size() && ident_char(t_[e])) ++e;
    if (e == pos) {
      if (pos == t_.size())
        return fail(pos, std::string("expected ") + what + ", found the end of the selector");
      return fail(pos, std::string("expected ") + what + ", found " + describe_byte(t_[pos]));
    }
    if (e - pos > kMaxLabelLength)
      return fail(pos,
                  "label `" + excerpt(t_.substr(pos, e - pos)) + "` is longer than 512 characters");
    *end = e;
    return true;
  }

  // The default case of AppendTokens: operator words right after a label; otherwise has(,
  // all(, global( (no blank before the parenthesis) or a label.
  bool word(std::vector<Token>& out, size_t& pos, bool after_label) {
    size_t start = pos, next = 0;
    if (after_label) {
      Tok k;
      if (cut_word(pos, "contains", &next)) {
        k = Tok::Contains;
      } else if (cut_words(pos, "starts", "with", &next)) {
        k = Tok::StartsWith;
      } else if (cut_words(pos, "ends", "with", &next)) {
        k = Tok::EndsWith;
      } else if (cut_words(pos, "not", "in", &next)) {
        k = Tok::NotIn;
      } else if (cut_word(pos, "in", &next)) {
        k = Tok::In;
      } else {
        return fail(start,
                    "expected an operator (==, !=, in, not in, contains, starts with, ends "
                    "with) after label `" +
                        excerpt(out.back().value) + "`");
      }
      out.push_back({k, start, next, {}});
      pos = next;
      return true;
    }
    if (has_prefix(pos, "has(")) {
      size_t p = skip_ws(pos + 4), e = 0;
      if (!ident(p, &e, "a label name inside `has(`")) return false;
      size_t close = skip_ws(e);
      if (close >= t_.size() || t_[close] != ')')
        return fail(close, "expected `)` to close `has(`");
      out.push_back({Tok::Has, start, close + 1, t_.substr(p, e - p)});
      pos = close + 1;
      return true;
    }
    for (auto [prefix, kind] : {std::pair{std::string_view("all("), Tok::All},
                                std::pair{std::string_view("global("), Tok::Global}}) {
      if (!has_prefix(pos, prefix)) continue;
      size_t close = skip_ws(pos + prefix.size());
      if (close >= t_.size() || t_[close] != ')')
        return fail(close, "expected `)` after `" + std::string(prefix) + "`");
      out.push_back({kind, start, close + 1, {}});
      pos = close + 1;
      return true;
    }
    size_t e = 0;
    if (!ident(pos, &e, "a label, `has(`, `all()`, `global()`, `!` or `(`")) return false;
    out.push_back({Tok::Label, start, e, t_.substr(pos, e - pos)});
    pos = e;
    return true;
  }

  bool fail(size_t offset, std::string message) {
    if (err_) *err_ = {offset, std::move(message), ir::Code::NV5001};
    return false;
  }

  std::string_view t_;
  SelectorError* err_;
};

int tree_depth(const Selector& s) {
  int d = 0;
  for (const auto& k : s.kids) d = std::max(d, tree_depth(k));
  return d + 1;
}

// A parsed subexpression and the depth of its tree (ir::Selector nesting).
struct Node {
  Selector sel;
  int depth = 1;
};

class Parser {
 public:
  Parser(std::string_view text, const std::vector<Token>& toks, const SelectorOptions& opts,
         SelectorInfo* info, SelectorError* err)
      : t_(text), toks_(toks), opts_(opts), info_(info), err_(err) {}

  // parser.go parseRoot.
  std::optional<Selector> run() {
    if (toks_[0].kind == Tok::Eof) {
      auto n = all_leaf(0);
      if (!n) return std::nullopt;
      return std::move(n->sel);
    }
    auto n = parse_or();
    if (!n) return std::nullopt;
    if (cur().kind != Tok::Eof) {
      fail(cur().begin, "unexpected " + describe(cur()) + " after a complete selector");
      return std::nullopt;
    }
    return std::move(n->sel);
  }

 private:
  const Token& cur() const { return toks_[i_]; }

  std::string describe(const Token& t) const {
    if (t.kind == Tok::Eof) return "the end of the selector";
    return "`" + excerpt(t_.substr(t.begin, t.end - t.begin)) + "`";
  }

  static const char* op_name(Tok k) {
    switch (k) {
      case Tok::Eq:
        return "==";
      case Tok::Ne:
        return "!=";
      case Tok::Contains:
        return "contains";
      case Tok::StartsWith:
        return "starts with";
      case Tok::EndsWith:
        return "ends with";
      case Tok::In:
        return "in";
      case Tok::NotIn:
        return "not in";
      default:
        return "?";
    }
  }

  bool fail(size_t offset, std::string message, ir::Code code = ir::Code::NV5001) {
    if (err_) *err_ = {offset, std::move(message), code};
    return false;
  }

  std::optional<Node> checked(Node n, size_t offset) {
    if (n.depth > kMaxSelectorDepth) {
      fail(offset,
           "the selector nests deeper than " + std::to_string(kMaxSelectorDepth) +
               " levels (netverify's limit)",
           ir::Code::NV5002);
      return std::nullopt;
    }
    return n;
  }

  std::optional<Node> leaf(const std::optional<Selector>& substitute, size_t offset) {
    if (!substitute) return Node{Selector::all(), 1};
    return checked(Node{*substitute, tree_depth(*substitute)}, offset);
  }
  std::optional<Node> all_leaf(size_t offset) { return leaf(opts_.all_as, offset); }

  // ir::Selector::conj/disj flatten same-op members (and conj drops all()); the depth follows.
  std::optional<Node> combine(Selector::Op op, std::vector<Node> kids, size_t offset) {
    if (kids.size() == 1) return std::move(kids[0]);
    int d = 0;
    size_t members = 0;
    std::vector<Selector> sels;
    sels.reserve(kids.size());
    for (auto& k : kids) {
      if (k.sel.op == op) {
        d = std::max(d, k.depth - 1);
        members += k.sel.kids.size();
      } else if (!(op == Selector::Op::And && k.sel.is_all())) {
        d = std::max(d, k.depth);
        members += 1;
      }
      sels.push_back(std::move(k.sel));
    }
    Selector s =
        op == Selector::Op::And ? Selector::conj(std::move(sels)) : Selector::disj(std::move(sels));
    int depth = members == 0 ? 1 : members == 1 ? d : d + 1;
    return checked(Node{std::move(s), depth}, offset);
  }

  // parseOrExpression.
  std::optional<Node> parse_or() {
    size_t start = cur().begin;
    std::vector<Node> kids;
    for (;;) {
      auto n = parse_and();
      if (!n) return std::nullopt;
      kids.push_back(std::move(*n));
      if (cur().kind != Tok::Or) break;
      ++i_;
    }
    return combine(Selector::Op::Or, std::move(kids), start);
  }

  // parseAndExpression.
  std::optional<Node> parse_and() {
    size_t start = cur().begin;
    std::vector<Node> kids;
    for (;;) {
      auto n = parse_op();
      if (!n) return std::nullopt;
      kids.push_back(std::move(*n));
      if (cur().kind != Tok::And) break;
      ++i_;
    }
    return combine(Selector::Op::And, std::move(kids), start);
  }

  // parseOperation: leading `!`s collapse to their parity; then one operation.
  std::optional<Node> parse_op() {
    size_t start = cur().begin;
    bool negated = false;
    while (cur().kind == Tok::Not) {
      negated = !negated;
      ++i_;
    }
    auto n = operation();
    if (!n || !negated) return n;
    // `!(!x)` is x: upstream keeps both NotNodes, whose String() `!!x` reparses as x.
    if (n->sel.op == Selector::Op::Not) return Node{std::move(n->sel.kids[0]), n->depth - 1};
    return checked(Node{Selector::negate(std::move(n->sel)), n->depth + 1}, start);
  }

  std::optional<Node> operation() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::Has:
        ++i_;
        return Node{Selector::has(std::string(t.value)), 1};
      case Tok::All:
        ++i_;
        if (info_ && !info_->all_offset) info_->all_offset = t.begin;
        return all_leaf(t.begin);
      case Tok::Global:
        // ast.go: GlobalNode.Evaluate returns true whatever the labels, like AllNode.
        ++i_;
        if (info_ && !info_->global_offset) info_->global_offset = t.begin;
        return leaf(opts_.global_as, t.begin);
      case Tok::Label:
        return comparison();
      case Tok::LParen: {
        if (++depth_ > kMaxSelectorDepth) {
          fail(t.begin,
               "parentheses nest deeper than " + std::to_string(kMaxSelectorDepth) +
                   " levels (netverify's limit)",
               ir::Code::NV5002);
          return std::nullopt;
        }
        ++i_;
        auto n = parse_or();
        if (!n) return std::nullopt;
        if (cur().kind != Tok::RParen) {
          fail(cur().begin, "expected `)` to match an earlier `(`, found " + describe(cur()));
          return std::nullopt;
        }
        ++i_;
        --depth_;
        return n;
      }
      default:
        fail(t.begin,
             "expected a label, `has(...)`, `all()`, `global()`, `!` or `(`, found " + describe(t));
        return std::nullopt;
    }
  }

  // A label, an operator and a string or set literal.
  std::optional<Node> comparison() {
    const Token& label = toks_[i_];
    const Token& op = toks_[i_ + 1];  // the label is never the last token: Eof follows
    std::string key(label.value);
    switch (op.kind) {
      case Tok::Eq:
      case Tok::Ne:
      case Tok::Contains:
      case Tok::StartsWith:
      case Tok::EndsWith: {
        const Token& s = toks_[i_ + 2];  // op is never last either
        if (s.kind != Tok::String) {
          fail(s.begin, std::string("expected a quoted string after `") + op_name(op.kind) +
                            "`, found " + describe(s));
          return std::nullopt;
        }
        i_ += 3;
        std::string v(s.value);
        switch (op.kind) {
          case Tok::Eq:
            return Node{Selector::eq(std::move(key), std::move(v)), 1};
          case Tok::Ne:
            return Node{Selector::not_eq_(std::move(key), std::move(v)), 1};
          case Tok::Contains:
            return Node{Selector{Selector::Op::Contains, std::move(key), {std::move(v)}, {}}, 1};
          case Tok::StartsWith:
            return Node{Selector{Selector::Op::StartsWith, std::move(key), {std::move(v)}, {}}, 1};
          default:
            return Node{Selector{Selector::Op::EndsWith, std::move(key), {std::move(v)}, {}}, 1};
        }
      }
      case Tok::In:
      case Tok::NotIn: {
        const Token& brace = toks_[i_ + 2];
        if (brace.kind != Tok::LBrace) {
          fail(brace.begin, std::string("expected a set `{...}` after `") + op_name(op.kind) +
                                "`, found " + describe(brace));
          return std::nullopt;
        }
        i_ += 3;
        std::vector<std::string> values;
        bool after_value = false;
        while (cur().kind == Tok::String) {
          values.emplace_back(cur().value);
          ++i_;
          after_value = true;
          if (cur().kind != Tok::Comma) break;
          ++i_;
          after_value = false;
        }
        if (cur().kind != Tok::RBrace) {
          fail(cur().begin,
               std::string(after_value ? "expected `,` or `}` after a set member"
                                       : "expected a quoted string or `}` in the set") +
                   ", found " + describe(cur()));
          return std::nullopt;
        }
        ++i_;
        // stringset.go ConvertToStringSetInPlace sorts and de-duplicates, as ir does.
        if (op.kind == Tok::In) return Node{Selector::in(std::move(key), std::move(values)), 1};
        return Node{Selector::not_in(std::move(key), std::move(values)), 1};
      }
      default:
        fail(op.begin,
             "expected an operator (==, !=, in, not in, contains, starts with, ends with) "
             "after label `" +
                 excerpt(label.value) + "`, found " + describe(op));
        return std::nullopt;
    }
  }

  std::string_view t_;
  const std::vector<Token>& toks_;
  const SelectorOptions& opts_;
  SelectorInfo* info_;
  SelectorError* err_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::optional<ir::Selector> parse_selector(std::string_view text, const SelectorOptions& options,
                                           SelectorError* err, SelectorInfo* info) {
  std::vector<Token> toks;
  if (!Tokenizer(text, err).run(toks)) return std::nullopt;
  return Parser(text, toks, options, info, err).run();
}

std::optional<ir::Selector> parse_selector(std::string_view text, SelectorError* err) {
  static const SelectorOptions kNone;
  return parse_selector(text, kNone, err);
}

}  // namespace nv::calico
