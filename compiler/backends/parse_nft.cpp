// parse_nft: an `nft -f` script in the subset the nft backend emits, into the firewall
// model. A line-oriented recursive descent over a token stream; the first error stops it.
#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "compiler/backends/parse.h"

namespace nv::backends {

namespace {

enum class Tok : uint8_t { Word, LBrace, RBrace, Comma, Semi, Eq, Neq, At, Newline, End };

struct Token {
  Tok kind;
  std::string_view text;  // Word: the word; At: the name after '@'
  int line, col;
};

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '/' || c == '-';
}

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

struct NftParser {
  NftParser(std::string_view t, const std::string& f) : text(t), file(f) {}
  std::string_view text;
  const std::string& file;
  std::vector<Token> toks;
  size_t pos = 0;

  // State of the table as the script runs.
  bool table_exists = false;
  std::string table_name;
  Firewall fw;
  std::map<std::string, bool> interval;  // set name -> flags interval

  [[noreturn]] void fail(int line, int col, const std::string& msg) {
    throw detail::SyntaxError{ir::Code::NV9001, line, col, msg};
  }
  [[noreturn]] void fail(const Token& t, const std::string& msg) { fail(t.line, t.col, msg); }

  void lex() {
    int line = 1, col = 1;
    size_t i = 0, n = text.size();
    auto push = [&](Tok k, std::string_view s, int l, int c) { toks.push_back({k, s, l, c}); };
    while (i < n) {
      char c = text[i];
      if (c == '\n') {
        push(Tok::Newline, {}, line, col);
        ++line, col = 1, ++i;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i, ++col;
      } else if (c == '#') {
        while (i < n && text[i] != '\n') ++i, ++col;
      } else if (word_char(c)) {
        size_t s = i;
        int sc = col;
        while (i < n && word_char(text[i])) ++i, ++col;
        push(Tok::Word, text.substr(s, i - s), line, sc);
      } else if (c == '@') {
        size_t s = ++i;
        int sc = col++;
        while (i < n && word_char(text[i])) ++i, ++col;
        if (!is_name(text.substr(s, i - s))) fail(line, sc, "'@' must be followed by a set name");
        push(Tok::At, text.substr(s, i - s), line, sc);
      } else if (c == '!' && i + 1 < n && text[i + 1] == '=') {
        push(Tok::Neq, text.substr(i, 2), line, col);
        i += 2, col += 2;
      } else {
        Tok k;
        switch (c) {
          case '{': k = Tok::LBrace; break;
          case '}': k = Tok::RBrace; break;
          case ',': k = Tok::Comma; break;
          case ';': k = Tok::Semi; break;
          case '=': k = Tok::Eq; break;
          default: {
            std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + hex8(c);
            fail(line, col, "unexpected character '" + shown + "'");
          }
        }
        push(k, text.substr(i, 1), line, col);
        ++i, ++col;
      }
    }
    push(Tok::End, {}, line, col);
  }

  static std::string hex8(char c) {
    const char* d = "0123456789abcdef";
    auto u = static_cast<unsigned char>(c);
    return std::string{d[u >> 4], d[u & 15]};
  }

  const Token& peek() const { return toks[pos]; }
  const Token& next() {
    const Token& t = toks[pos];
    if (t.kind != Tok::End) ++pos;
    return t;
  }
  bool is_word(const Token& t, std::string_view w) const { return t.kind == Tok::Word && t.text == w; }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::Word: return "'" + std::string(t.text) + "'";
      case Tok::LBrace: return "'{'";
      case Tok::RBrace: return "'}'";
      case Tok::Comma: return "','";
      case Tok::Semi: return "';'";
      case Tok::Eq: return "'='";
      case Tok::Neq: return "'!='";
      case Tok::At: return "'@" + std::string(t.text) + "'";
      case Tok::Newline: return "end of line";
      case Tok::End: return "end of file";
    }
    return "?";
  }
  void expect_word(std::string_view w) {
    const Token& t = next();
    if (!is_word(t, w)) fail(t, "expected '" + std::string(w) + "', found " + describe(t));
  }
  const Token& expect(Tok k, const char* what) {
    const Token& t = next();
    if (t.kind != k) fail(t, std::string("expected ") + what + ", found " + describe(t));
    return t;
  }
  void expect_eol() {
    const Token& t = peek();
    if (t.kind == Tok::End) return;
    if (t.kind != Tok::Newline) fail(t, "expected end of line, found " + describe(t));
    next();
  }
  void skip_nl() {
    while (peek().kind == Tok::Newline) next();
  }
  std::string name(const char* what) {
    const Token& t = next();
    if (t.kind != Tok::Word || !is_name(t.text))
      fail(t, std::string("expected ") + what + " name, found " + describe(t));
    return std::string(t.text);
  }

  void file_level() {
    for (;;) {
      skip_nl();
      const Token& t = peek();
      if (t.kind == Tok::End) return;
      if (is_word(t, "delete")) {
        next();
        expect_word("table");
        expect_word("inet");
        const Token& nt = peek();
        std::string n = name("table");
        same_table(nt, n);
        if (!table_exists) fail(t, "delete of table '" + n + "', which does not exist");
        expect_eol();
        table_exists = false;
        fw = Firewall{};
        interval.clear();
      } else if (is_word(t, "table")) {
        next();
        const Token& ft = peek();
        if (!is_word(ft, "inet")) fail(ft, "expected table family 'inet', found " + describe(ft));
        next();
        const Token& nt = peek();
        std::string n = name("table");
        same_table(nt, n);
        table_exists = true;
        if (peek().kind == Tok::LBrace) {
          next();
          expect_eol();
          table_body();
        }
        expect_eol();
      } else {
        fail(t, "expected 'table' or 'delete table', found " + describe(t));
      }
    }
  }

  void same_table(const Token& t, const std::string& n) {
    if (table_name.empty()) table_name = n;
    if (n != table_name) fail(t, "a second table '" + n + "' (only one table is read)");
  }

  void table_body() {
    for (;;) {
      skip_nl();
      const Token& t = peek();
      if (t.kind == Tok::RBrace) {
        next();
        return;
      }
      if (is_word(t, "set") || is_word(t, "map")) {
        set_decl();
      } else if (is_word(t, "chain")) {
        chain_decl();
      } else {
        fail(t, "expected 'set', 'map', 'chain' or '}', found " + describe(t));
      }
    }
  }

  static std::optional<Field> type_field(std::string_view w) {
    if (w == "ipv4_addr") return Field::Src4;
    if (w == "ipv6_addr") return Field::Src6;
    if (w == "inet_proto") return Field::L4Proto;
    if (w == "inet_service") return Field::DstPort;
    return std::nullopt;
  }

  void set_decl() {
    const Token& kw = next();
    Set s;
    s.is_map = kw.text == "map";
    const Token& nt = peek();
    s.name = name(s.is_map ? "map" : "set");
    s.span = {file, 0, kw.line, kw.col};
    if (fw.sets.count(s.name)) fail(nt, "'" + s.name + "' is already defined");
    expect(Tok::LBrace, "'{'");
    expect_eol();
    skip_nl();
    expect_word("type");
    for (;;) {
      const Token& tt = next();
      auto f = tt.kind == Tok::Word ? type_field(tt.text) : std::nullopt;
      if (!f) fail(tt, "expected ipv4_addr, ipv6_addr, inet_proto or inet_service, found " + describe(tt));
      s.key.push_back(*f);
      if (!is_word(peek(), ".")) break;
      next();
    }
    if (s.is_map) {
      expect_word(":");
      expect_word("verdict");
    }
    expect_eol();
    bool flags = false, elements = false;
    std::vector<const Token*> elem_toks;
    for (;;) {
      skip_nl();
      const Token& t = peek();
      if (t.kind == Tok::RBrace) {
        next();
        break;
      }
      if (is_word(t, "flags") && !flags) {
        next();
        expect_word("interval");
        flags = true;
      } else if (is_word(t, "elements") && !elements) {
        next();
        expect(Tok::Eq, "'='");
        element_list(s, flags, &elem_toks);
        elements = true;
      } else {
        fail(t, "expected " + std::string(flags ? "" : "'flags interval', ") +
                    (elements ? "" : "'elements = { ... }', ") + "or '}', found " + describe(t));
      }
      expect_eol();
    }
    expect_eol();
    check_elements(s, flags, elem_toks);
    interval[s.name] = flags;
    fw.sets.emplace(s.name, std::move(s));
  }

  // `{ e, e, ... }`, elements possibly across lines, trailing comma allowed.
  void element_list(Set& s, bool flags, std::vector<const Token*>* where) {
    expect(Tok::LBrace, "'{'");
    skip_nl();
    if (peek().kind == Tok::RBrace) fail(peek(), "an empty element list");
    for (;;) {
      skip_nl();
      const Token& start = peek();
      s.elements.push_back(element(s.key, s.is_map, flags));
      if (where) where->push_back(&start);
      skip_nl();
      const Token& t = next();
      if (t.kind == Tok::RBrace) return;
      if (t.kind != Tok::Comma) fail(t, "expected ',' or '}', found " + describe(t));
      skip_nl();
      if (peek().kind == Tok::RBrace) {
        next();
        return;
      }
    }
  }

  Element element(const std::vector<Field>& key, bool is_map, bool flags) {
    Element e;
    for (size_t i = 0; i < key.size(); ++i) {
      if (i > 0) expect_word(".");
      e.key.push_back(value(key[i], flags));
    }
    if (is_map) {
      expect_word(":");
      e.verdict = verdict(/*in_map=*/true);
    }
    return e;
  }

  // One value of a field; ranges and prefixes only when `flags` (interval) allows them.
  Range value(Field f, bool flags) {
    const Token& t = next();
    if (t.kind != Tok::Word) fail(t, "expected a value, found " + describe(t));
    std::string_view w = t.text;
    auto bad = [&](const std::string& what) -> Range {
      fail(t, "'" + std::string(w) + "' is not " + what);
    };
    auto need_interval = [&]() {
      if (!flags) fail(t, "a range or prefix in a set without 'flags interval'");
    };
    switch (f) {
      case Field::L4Proto: {
        static const std::pair<const char*, uint32_t> names[] = {
            {"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp", 1}, {"icmpv6", 58}};
        for (auto [n, v] : names)
          if (w == n) return {v, v};
        auto v = detail::parse_uint(w, 255);
        if (!v) return bad("a protocol (tcp, udp, sctp, icmp, icmpv6 or 0..255)");
        return {*v, *v};
      }
      case Field::DstPort:
      case Field::IcmpTypeCode: {
        auto dash = w.find('-');
        auto lo = detail::parse_uint(w.substr(0, dash), 65535);
        if (!lo) return bad("a port or port range");
        if (dash == std::string_view::npos) return {*lo, *lo};
        need_interval();
        auto hi = detail::parse_uint(w.substr(dash + 1), 65535);
        if (!hi) return bad("a port or port range");
        if (*hi < *lo) fail(t, "range '" + std::string(w) + "' has negative size");
        return {*lo, *hi};
      }
      case Field::CtState: {
        static const std::pair<const char*, uint32_t> names[] = {
            {"new", kCtNew}, {"established", kCtEstablished}, {"related", kCtRelated},
            {"invalid", kCtInvalid}};
        for (auto [n, v] : names)
          if (w == n) return {v, v};
        return bad("a ct state (new, established, related, invalid)");
      }
      default: {
        ir::Family fam = (f == Field::Src4 || f == Field::Dst4) ? ir::Family::V4 : ir::Family::V6;
        const char* what = fam == ir::Family::V4 ? "an IPv4 address, prefix or range"
                                                 : "an IPv6 address, prefix or range";
        auto dash = w.find('-');
        if (dash != std::string_view::npos) {
          need_interval();
          auto lo = detail::parse_addr(w.substr(0, dash), fam, false);
          auto hi = detail::parse_addr(w.substr(dash + 1), fam, false);
          if (!lo || !hi) return bad(what);
          if (hi->lo < lo->lo) fail(t, "range '" + std::string(w) + "' has negative size");
          return {lo->lo, hi->lo};
        }
        auto r = detail::parse_addr(w, fam, true);
        if (!r) return bad(what);
        if (r->lo != r->hi) need_interval();
        return *r;
      }
    }
  }

  Verdict verdict(bool in_map) {
    const Token& t = next();
    Verdict v;
    if (is_word(t, "accept")) {
      v.kind = VerdictKind::Accept;
    } else if (is_word(t, "drop")) {
      v.kind = VerdictKind::Drop;
    } else if (is_word(t, "return")) {
      v.kind = VerdictKind::Return;
    } else if (is_word(t, "jump") || is_word(t, "goto")) {
      v.kind = t.text == "jump" ? VerdictKind::Jump : VerdictKind::Goto;
      v.chain = name("chain");
    } else {
      fail(t, std::string("expected a verdict (accept, drop, return, jump, goto)") +
                  (in_map ? "" : " or a match") + ", found " + describe(t));
    }
    return v;
  }

  // Overlaps (nft: "conflicting intervals") and duplicate map keys are refused.
  void check_elements(const Set& s, bool flags, const std::vector<const Token*>& where) {
    if (s.key.size() == 1 && s.key[0] == Field::CtState) return;
    std::vector<size_t> idx(s.elements.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    const auto& el = s.elements;
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      for (size_t k = 0; k < s.key.size(); ++k)
        if (el[a].key[k].lo != el[b].key[k].lo) return el[a].key[k].lo < el[b].key[k].lo;
      return a < b;
    });
    for (size_t i = 0; i < idx.size(); ++i) {
      const Element& a = el[idx[i]];
      for (size_t j = i + 1; j < idx.size(); ++j) {
        const Element& b = el[idx[j]];
        if (b.key[0].lo > a.key[0].hi) break;
        bool overlap = true;
        for (size_t k = 1; k < s.key.size() && overlap; ++k)
          overlap = a.key[k].lo <= b.key[k].hi && b.key[k].lo <= a.key[k].hi;
        if (!overlap) continue;
        bool same = a.key == b.key;
        if (same && !flags && !s.is_map) continue;  // a repeated value in a plain set
        size_t later = std::max(idx[i], idx[j]);
        const Token* t = later < where.size() ? where[later] : nullptr;
        fail(t ? t->line : s.span.line, t ? t->col : s.span.col,
             std::string(same ? "a repeated element" : "conflicting intervals") + " in " +
                 (s.is_map ? "map" : "set") + (s.name.empty() ? "" : " '" + s.name + "'"));
      }
    }
  }

  void chain_decl() {
    const Token& kw = next();
    Chain c;
    const Token& nt = peek();
    c.name = name("chain");
    c.span = {file, 0, kw.line, kw.col};
    if (fw.chains.count(c.name)) fail(nt, "chain '" + c.name + "' is already defined");
    expect(Tok::LBrace, "'{'");
    expect_eol();
    skip_nl();
    if (is_word(peek(), "type")) {
      const Token& tt = next();
      expect_word("filter");
      expect_word("hook");
      expect_word("forward");
      expect_word("priority");
      expect_word("filter");
      expect(Tok::Semi, "';'");
      expect_word("policy");
      const Token& pt = next();
      if (is_word(pt, "accept")) {
        c.policy.kind = VerdictKind::Accept;
      } else if (is_word(pt, "drop")) {
        c.policy.kind = VerdictKind::Drop;
      } else {
        fail(pt, "expected 'accept' or 'drop', found " + describe(pt));
      }
      expect(Tok::Semi, "';'");
      expect_eol();
      if (!fw.entry.empty()) fail(tt, "a second base chain (only one, hooked on forward, is read)");
      c.base = true;
      fw.entry = c.name;
    }
    for (;;) {
      skip_nl();
      const Token& t = peek();
      if (t.kind == Tok::RBrace) {
        next();
        break;
      }
      c.rules.push_back(rule());
    }
    expect_eol();
    fw.chains.emplace(c.name, std::move(c));
  }

  static bool is_verdict_word(const Token& t) {
    return t.kind == Tok::Word && (t.text == "accept" || t.text == "drop" || t.text == "return" ||
                                   t.text == "jump" || t.text == "goto");
  }

  std::optional<Field> field() {
    const Token& t = next();
    auto second = [&](std::string_view w) {
      const Token& u = next();
      if (!is_word(u, w)) fail(u, "expected '" + std::string(w) + "', found " + describe(u));
    };
    if (is_word(t, "ip") || is_word(t, "ip6")) {
      bool v6 = t.text == "ip6";
      const Token& u = next();
      if (is_word(u, "saddr")) return v6 ? Field::Src6 : Field::Src4;
      if (is_word(u, "daddr")) return v6 ? Field::Dst6 : Field::Dst4;
      fail(u, "expected 'saddr' or 'daddr', found " + describe(u));
    }
    if (is_word(t, "meta")) {
      second("l4proto");
      return Field::L4Proto;
    }
    if (is_word(t, "th")) {
      // th sport reads the first two bytes of the transport header: type << 8 | code for
      // ICMP and ICMPv6 (Field::IcmpTypeCode); netverify emits it only for those.
      const Token& u = next();
      if (is_word(u, "dport")) return Field::DstPort;
      if (is_word(u, "sport")) return Field::IcmpTypeCode;
      fail(u, "expected 'dport' or 'sport', found " + describe(u));
    }
    if (is_word(t, "ct")) {
      second("state");
      return Field::CtState;
    }
    fail(t,
         "expected a match (ip, ip6, meta l4proto, th dport, th sport, ct state) or a verdict, "
         "found " +
             describe(t));
  }

  Rule rule() {
    Rule r;
    const Token& first = peek();
    r.span = {file, 0, first.line, first.col};
    while (!is_verdict_word(peek())) {
      const Token& et = peek();
      std::vector<Field> key;
      for (;;) {
        key.push_back(*field());
        if (!is_word(peek(), ".")) break;
        next();
      }
      bool has_ct = std::count(key.begin(), key.end(), Field::CtState) > 0;
      if (has_ct && key.size() > 1) fail(et, "'ct state' in a concatenation");
      if (is_word(peek(), "vmap")) {
        next();
        if (has_ct) fail(et, "'ct state' as a verdict map key");
        Rule::VMap vm;
        vm.key = key;
        if (peek().kind == Tok::At) {
          vm.map = std::string(next().text);
        } else if (peek().kind == Tok::LBrace) {
          Set m;
          m.is_map = true;
          m.key = key;
          m.span = {file, 0, peek().line, peek().col};
          std::vector<const Token*> where;
          element_list(m, true, &where);
          check_elements(m, true, where);
          vm.inline_map = std::move(m);
        } else {
          fail(peek(), "expected '@map' or '{' after 'vmap', found " + describe(peek()));
        }
        r.vmap = std::move(vm);
        expect_eol();
        return r;
      }
      Match m;
      m.key = key;
      if (peek().kind == Tok::Neq) {
        next();
        m.negate = true;
      }
      if (peek().kind == Tok::At) {
        if (has_ct) fail(peek(), "a named set for 'ct state'");
        m.set = std::string(next().text);
      } else {
        Set s;
        s.key = key;
        s.span = {file, 0, peek().line, peek().col};
        std::vector<const Token*> where;
        if (peek().kind == Tok::LBrace) {
          element_list(s, true, &where);
        } else if (has_ct) {
          for (;;) {
            s.elements.push_back(element(key, false, true));
            if (peek().kind != Tok::Comma) break;
            next();
          }
        } else {
          where.push_back(&peek());
          s.elements.push_back(element(key, false, true));
        }
        check_elements(s, true, where);
        m.inline_set = std::move(s);
      }
      r.matches.push_back(std::move(m));
    }
    r.verdict = verdict(false);
    expect_eol();
    return r;
  }
};

}  // namespace

std::optional<Firewall> parse_nft(std::string_view text, const std::string& file,
                                  ir::Diagnostics& diags) {
  NftParser p(text, file);
  try {
    p.lex();
    p.file_level();
  } catch (const detail::SyntaxError& e) {
    diags.report(e.code, ir::SourceSpan{file, 0, e.line, e.col}, e.message);
    return std::nullopt;
  }
  if (!p.table_exists || p.fw.entry.empty()) {
    const Token& end = p.toks.back();
    diags.report(ir::Code::NV9002, ir::SourceSpan{file, 0, end.line, end.col},
                 "the ruleset defines no base chain hooked on forward");
    return std::nullopt;
  }
  if (!detail::check_references(p.fw, diags)) return std::nullopt;
  return std::move(p.fw);
}

}  // namespace nv::backends
