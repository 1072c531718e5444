// parse_iptables: iptables-restore (or ip6tables-restore) input and the ipset restore input
// it uses, in the subset the iptables backend emits, into the firewall model. Both are
// line-oriented: one command per line, whitespace-separated words.
#include <algorithm>
#include <set>

#include "compiler/backends/parse.h"

namespace nv::backends {

namespace {

struct Word {
  std::string_view text;
  int col;
};

struct Line {
  int number;
  std::vector<Word> words;
};

// Reads lines with their words, one at a time into the same Line (the ipset input of a
// large node is 260,000 lines); comment lines (first non-blank '#') and blank lines are
// skipped.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool next(Line& line) {
    while (i_ <= text_.size()) {
      size_t end = text_.find('\n', i_);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view l = text_.substr(i_, end - i_);
      i_ = end + 1;
      line.number = ++number_;
      line.words.clear();
      size_t j = 0;
      while (j < l.size()) {
        char c = l[j];
        if (c == ' ' || c == '\t' || c == '\r') {
          ++j;
          continue;
        }
        size_t s = j;
        while (j < l.size() && l[j] != ' ' && l[j] != '\t' && l[j] != '\r') ++j;
        line.words.push_back({l.substr(s, j - s), static_cast<int>(s) + 1});
      }
      if (!line.words.empty() && line.words[0].text[0] != '#') return true;
    }
    return false;
  }

 private:
  std::string_view text_;
  size_t i_ = 0;
  int number_ = 0;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> out;
  LineReader reader(text);
  for (Line l; reader.next(l);) out.push_back(l);
  return out;
}

bool is_chain_name(std::string_view s) {
  if (s.empty() || s.size() > 28 || s[0] == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-'))
      return false;
  static const char* reserved[] = {"ACCEPT", "DROP",       "RETURN",     "QUEUE", "FORWARD",
                                   "INPUT",  "OUTPUT",     "PREROUTING", "POSTROUTING"};
  for (const char* r : reserved)
    if (s == r) return false;
  return true;
}

bool is_set_name(std::string_view s) {
  if (s.empty() || s.size() > 31) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.' || c == '~'))
      return false;
  return true;
}

struct Fail {
  const std::string* file;
  int line, col;
  std::string message;
  ir::Code code = ir::Code::NV9001;
};

// ---- ipset restore ----

// A set's elements, in order. The backend adds them in ascending order, so a new element
// is nearly always above the last one (no search for a duplicate needed); the first one
// that is not turns the list into a search tree.
class Elements {
 public:
  using Element = std::pair<u128, u128>;
  // False if `e` is there already.
  bool insert(const Element& e) {
    if (tree_.empty() && (list_.empty() || list_.back() < e)) {
      list_.push_back(e);
      return true;
    }
    if (tree_.empty()) {
      tree_.insert(list_.begin(), list_.end());
      list_.clear();
    }
    return tree_.insert(e).second;
  }
  size_t size() const { return tree_.empty() ? list_.size() : tree_.size(); }
  void clear() {
    list_.clear();
    tree_.clear();
  }
  template <class F>
  void for_each(F f) const {
    if (tree_.empty())
      std::for_each(list_.begin(), list_.end(), f);
    else
      std::for_each(tree_.begin(), tree_.end(), f);
  }

 private:
  std::vector<Element> list_;
  std::set<Element> tree_;
};

struct IpSet {
  ir::Family family = ir::Family::V4;
  uint64_t hashsize = 1024, maxelem = 65536;
  Elements elements;
  ir::SourceSpan span;
};

struct IpsetRunner {
  explicit IpsetRunner(const std::string& f) : file(f) {}
  const std::string& file;
  std::map<std::string, IpSet> sets;

  [[noreturn]] void fail(int line, const Word& w, std::string msg) {
    throw Fail{&file, line, w.col, std::move(msg)};
  }

  IpSet& existing(int line, const Word& w) {
    if (last_ && last_->first == w.text) return last_->second;  // `add`s come set by set
    auto it = sets.find(std::string(w.text));
    if (it == sets.end())
      throw Fail{&file, line, w.col, "set '" + std::string(w.text) + "' does not exist",
                 ir::Code::NV9002};
    last_ = &*it;
    return it->second;
  }
  std::pair<const std::string, IpSet>* last_ = nullptr;  // the set `existing` found last

  static uint64_t round_hashsize(uint64_t h) {
    uint64_t r = 64;
    while (r < h) r <<= 1;
    return r;
  }

  void run(std::string_view text) {
    LineReader reader(text);
    for (Line l; reader.next(l);) {
      const auto& w = l.words;
      auto cmd = w[0].text;
      auto need = [&](size_t n) {
        if (w.size() < n) fail(l.number, w.back(), "'" + std::string(cmd) + "' needs more words");
        if (w.size() > n) fail(l.number, w[n], "unexpected '" + std::string(w[n].text) + "'");
      };
      auto set_name = [&](const Word& x) {
        if (!is_set_name(x.text)) fail(l.number, x, "'" + std::string(x.text) + "' is not a set name");
        return std::string(x.text);
      };
      if (cmd == "create") {
        if (w.size() < 3) fail(l.number, w.back(), "'create' needs a name and a type");
        std::string name = set_name(w[1]);
        if (w[2].text != "hash:net") fail(l.number, w[2], "only sets of type hash:net are read");
        IpSet s;
        s.span = {file, 0, l.number, w[0].col};
        bool exist = false, fam = false, hs = false, me = false;
        for (size_t i = 3; i < w.size(); ++i) {
          auto o = w[i].text;
          if (o == "-exist" && !exist) {
            exist = true;
          } else if ((o == "family" && !fam) || (o == "hashsize" && !hs) || (o == "maxelem" && !me)) {
            if (i + 1 >= w.size()) fail(l.number, w[i], "'" + std::string(o) + "' needs a value");
            auto v = w[++i].text;
            if (o == "family") {
              fam = true;
              if (v == "inet") s.family = ir::Family::V4;
              else if (v == "inet6") s.family = ir::Family::V6;
              else fail(l.number, w[i], "family must be inet or inet6");
            } else {
              auto n = detail::parse_uint(v, 0xffffffffu);
              if (!n || *n == 0) fail(l.number, w[i], "'" + std::string(v) + "' is not a size");
              (o == "hashsize" ? hs : me) = true;
              (o == "hashsize" ? s.hashsize : s.maxelem) = *n;
            }
          } else {
            fail(l.number, w[i], "unexpected '" + std::string(o) + "'");
          }
        }
        s.hashsize = round_hashsize(s.hashsize);
        auto it = sets.find(name);
        if (it != sets.end()) {
          const IpSet& o = it->second;
          if (!exist || o.family != s.family || o.hashsize != s.hashsize || o.maxelem != s.maxelem)
            fail(l.number, w[1], "set '" + name + "' already exists");
          continue;
        }
        sets.emplace(name, std::move(s));
      } else if (cmd == "flush" || cmd == "destroy") {
        need(2);
        existing(l.number, w[1]);
        if (cmd == "flush") {
          sets[std::string(w[1].text)].elements.clear();
        } else {
          sets.erase(std::string(w[1].text));
          last_ = nullptr;
        }
      } else if (cmd == "swap") {
        need(3);
        IpSet& a = existing(l.number, w[1]);
        IpSet& b = existing(l.number, w[2]);
        if (a.family != b.family) fail(l.number, w[2], "sets of different families cannot be swapped");
        std::swap(a, b);
      } else if (cmd == "add") {
        need(3);
        IpSet& s = existing(l.number, w[1]);
        auto r = detail::parse_addr(w[2].text, s.family, true);
        if (!r) fail(l.number, w[2], "'" + std::string(w[2].text) + "' is not an address or prefix of the set's family");
        if (r->lo == 0 && r->hi == (s.family == ir::Family::V4 ? u128{0xffffffffu} : ~u128{0}) &&
            w[2].text.find('/') != std::string_view::npos)
          fail(l.number, w[2], "hash:net cannot hold a /0 prefix");
        if (!s.elements.insert({r->lo, r->hi}))
          fail(l.number, w[2], "'" + std::string(w[2].text) + "' is already in the set");
        if (s.elements.size() > s.maxelem) fail(l.number, w[2], "the set is full (maxelem)");
      } else {
        fail(l.number, w[0], "unexpected '" + std::string(cmd) + "' (create, flush, add, swap, destroy)");
      }
    }
  }
};

// ---- iptables-restore ----

struct IptablesParser {
  IptablesParser(const std::string& f, ir::Family fam) : file(f), family(fam) {}
  const std::string& file;
  ir::Family family;
  Firewall fw;
  std::vector<std::string> order;  // chains in declaration order

  [[noreturn]] void fail(int line, const Word& w, std::string msg) {
    throw Fail{&file, line, w.col, std::move(msg)};
  }

  void run(std::string_view text) {
    auto lines = split_lines(text);
    bool table = false, committed = false;
    for (const Line& l : lines) {
      const auto& w = l.words;
      auto first = w[0].text;
      if (committed) fail(l.number, w[0], "unexpected '" + std::string(first) + "' after COMMIT");
      if (first[0] == '*') {
        if (table) fail(l.number, w[0], "a second table (only *filter is read)");
        if (first != "*filter" || w.size() > 1) fail(l.number, w[0], "only the table *filter is read");
        table = true;
        continue;
      }
      if (!table) fail(l.number, w[0], "expected '*filter'");
      if (first == "COMMIT") {
        if (w.size() > 1) fail(l.number, w[1], "unexpected '" + std::string(w[1].text) + "'");
        committed = true;
      } else if (first[0] == ':') {
        declare(l);
      } else if (first == "-A") {
        rule(l);
      } else {
        fail(l.number, w[0], "unexpected '" + std::string(first) + "' (':CHAIN', '-A', 'COMMIT')");
      }
    }
    if (!committed) {
      Word end{"", 1};
      int line = lines.empty() ? 1 : lines.back().number;
      if (!lines.empty()) end = lines.back().words.back();
      fail(line, end, "missing COMMIT");
    }
  }

  void declare(const Line& l) {
    const auto& w = l.words;
    std::string_view name = w[0].text.substr(1);
    if (!is_chain_name(name)) fail(l.number, w[0], "'" + std::string(name) + "' is not a chain name");
    if (w.size() < 2 || w[1].text != "-")
      fail(l.number, w.size() < 2 ? w[0] : w[1], "a user chain is declared with policy '-'");
    if (w.size() > 2) {
      auto c = w[2].text;
      auto colon = c.find(':');
      bool ok = c.size() >= 5 && c.front() == '[' && c.back() == ']' && colon != std::string_view::npos &&
                detail::parse_uint(c.substr(1, colon - 1), 0xffffffffu) &&
                detail::parse_uint(c.substr(colon + 1, c.size() - colon - 2), 0xffffffffu);
      if (!ok) fail(l.number, w[2], "expected counters '[0:0]'");
    }
    if (w.size() > 3) fail(l.number, w[3], "unexpected '" + std::string(w[3].text) + "'");
    std::string n(name);
    if (fw.chains.count(n)) fail(l.number, w[0], "chain '" + n + "' is declared twice");
    Chain c;
    c.name = n;
    c.span = {file, 0, l.number, w[0].col};
    if (n == "NETVERIFY") {
      c.base = true;
      c.policy.kind = VerdictKind::Accept;
      fw.entry = n;
    }
    fw.chains.emplace(n, std::move(c));
  }

  Range address(int line, const Word& w) {
    auto r = detail::parse_addr(w.text, family, true);
    if (!r)
      fail(line, w, "'" + std::string(w.text) + "' is not an " +
                        (family == ir::Family::V4 ? "IPv4" : "IPv6") + " address or prefix");
    return *r;
  }

  Range port_range(int line, const Word& w, std::string_view s) {
    auto colon = s.find(':');
    auto lo = detail::parse_uint(s.substr(0, colon), 65535);
    auto hi = colon == std::string_view::npos ? lo : detail::parse_uint(s.substr(colon + 1), 65535);
    if (!lo || !hi) fail(line, w, "'" + std::string(s) + "' is not a port or port range N:M");
    if (*hi < *lo) fail(line, w, "port range '" + std::string(s) + "' is empty");
    return {*lo, *hi};
  }

  static Match inline_match(Field f, std::vector<Range> rs, bool negate = false) {
    Match m;
    m.key = {f};
    m.negate = negate;
    Set s;
    s.key = {f};
    for (auto& r : rs) s.elements.push_back({{r}, {}});
    m.inline_set = std::move(s);
    return m;
  }

  void rule(const Line& l) {
    const auto& w = l.words;
    int ln = l.number;
    if (w.size() < 2) fail(ln, w[0], "'-A' needs a chain");
    std::string chain(w[1].text);
    auto cit = fw.chains.find(chain);
    if (cit == fw.chains.end()) {
      throw Fail{&file, ln, w[1].col, "chain '" + chain + "' is not declared", ir::Code::NV9002};
    }
    Rule r;
    r.span = {file, 0, ln, w[0].col};
    bool have_s = false, have_d = false, have_p = false, neg_p = false, have_target = false;
    int proto = -1;
    std::vector<std::pair<std::string_view, const Word*>> port_modules;
    size_t i = 2;
    auto arg = [&](const Word& opt) -> const Word& {
      if (i >= w.size()) fail(ln, opt, "'" + std::string(opt.text) + "' needs a value");
      return w[i++];
    };
    while (i < w.size()) {
      const Word& o = w[i++];
      auto t = o.text;
      if (t == "!") {
        if (i >= w.size() || w[i].text != "-p") fail(ln, i < w.size() ? w[i] : o, "'!' is only read before '-p'");
        neg_p = true;
        continue;
      }
      if (neg_p && t != "-p") fail(ln, o, "'!' is only read before '-p'");
      if (have_target) fail(ln, o, "unexpected '" + std::string(t) + "' after the target");
      if (t == "-s" || t == "-d") {
        bool& have = t == "-s" ? have_s : have_d;
        if (have) fail(ln, o, "'" + std::string(t) + "' given twice");
        have = true;
        Range a = address(ln, arg(o));
        bool v4 = family == ir::Family::V4;
        Field f = t == "-s" ? (v4 ? Field::Src4 : Field::Src6) : (v4 ? Field::Dst4 : Field::Dst6);
        r.matches.push_back(inline_match(f, {a}));
      } else if (t == "-p") {
        if (have_p) fail(ln, o, "'-p' given twice");
        have_p = true;
        const Word& v = arg(o);
        static const std::pair<const char*, uint32_t> names[] = {
            {"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp", 1}, {"ipv6-icmp", 58}, {"icmpv6", 58}};
        std::optional<uint32_t> p;
        for (auto [n, num] : names)
          if (v.text == n) p = num;
        if (!p) p = detail::parse_uint(v.text, 255);
        if (!p || *p == 0) fail(ln, v, "'" + std::string(v.text) + "' is not a protocol (tcp, udp, sctp, icmp, ipv6-icmp or 1..255)");
        if (!neg_p) proto = static_cast<int>(*p);
        r.matches.push_back(inline_match(Field::L4Proto, {{*p, *p}}, neg_p));
        neg_p = false;
      } else if (t == "-m") {
        const Word& mod = arg(o);
        auto m = mod.text;
        if (m == "conntrack") {
          const Word& opt = arg(mod);
          if (opt.text != "--ctstate") fail(ln, opt, "expected '--ctstate'");
          const Word& list = arg(opt);
          std::vector<Range> rs;
          std::string_view s = list.text;
          for (;;) {
            auto comma = s.find(',');
            auto item = s.substr(0, comma);
            uint32_t bit = item == "NEW" ? kCtNew : item == "ESTABLISHED" ? kCtEstablished
                           : item == "RELATED" ? kCtRelated : item == "INVALID" ? kCtInvalid : 0;
            if (!bit) fail(ln, list, "'" + std::string(item) + "' is not a state (NEW, ESTABLISHED, RELATED, INVALID)");
            rs.push_back({bit, bit});
            if (comma == std::string_view::npos) break;
            s = s.substr(comma + 1);
          }
          r.matches.push_back(inline_match(Field::CtState, rs));
        } else if (m == "set") {
          const Word& opt = arg(mod);
          if (opt.text != "--match-set") fail(ln, opt, "expected '--match-set'");
          const Word& name = arg(opt);
          if (!is_set_name(name.text)) fail(ln, name, "'" + std::string(name.text) + "' is not a set name");
          const Word& dir = arg(name);
          if (dir.text != "src" && dir.text != "dst") fail(ln, dir, "expected 'src' or 'dst'");
          bool v4 = family == ir::Family::V4;
          Match mt;
          mt.key = {dir.text == "src" ? (v4 ? Field::Src4 : Field::Src6) : (v4 ? Field::Dst4 : Field::Dst6)};
          mt.set = std::string(name.text);
          r.matches.push_back(std::move(mt));
        } else if (m == "multiport") {
          const Word& opt = arg(mod);
          if (opt.text != "--dports") fail(ln, opt, "expected '--dports'");
          const Word& list = arg(opt);
          std::vector<Range> rs;
          int slots = 0;
          std::string_view s = list.text;
          for (;;) {
            auto comma = s.find(',');
            Range pr = port_range(ln, list, s.substr(0, comma));
            slots += pr.lo == pr.hi ? 1 : 2;
            rs.push_back(pr);
            if (comma == std::string_view::npos) break;
            s = s.substr(comma + 1);
          }
          if (slots > 15) fail(ln, list, "multiport takes at most 15 ports (a range counts as two)");
          port_modules.push_back({m, &mod});
          r.matches.push_back(inline_match(Field::DstPort, rs));
        } else if (m == "tcp" || m == "udp" || m == "sctp") {
          const Word& opt = arg(mod);
          if (opt.text != "--dport") fail(ln, opt, "expected '--dport'");
          const Word& v = arg(opt);
          port_modules.push_back({m, &mod});
          r.matches.push_back(inline_match(Field::DstPort, {port_range(ln, v, v.text)}));
        } else if (m == "icmp" || m == "icmp6") {
          // --icmp-type T[/C] (libxt_icmp.c parse_icmp: T alone is every code), numbers
          // only; the IPv4 match reads type 255 as every type (ip_tables.c
          // icmp_type_code_match), the IPv6 one has no such case (ip6_tables.c).
          bool v4 = m == "icmp";
          if (v4 != (family == ir::Family::V4))
            fail(ln, mod,
                 v4 ? "'-m icmp' is an iptables (IPv4) match"
                    : "'-m icmp6' is an ip6tables (IPv6) match");
          const Word& opt = arg(mod);
          if (opt.text != (v4 ? "--icmp-type" : "--icmpv6-type"))
            fail(ln, opt, v4 ? "expected '--icmp-type'" : "expected '--icmpv6-type'");
          const Word& v = arg(opt);
          auto slash = v.text.find('/');
          auto type = detail::parse_uint(v.text.substr(0, slash), 255);
          std::optional<uint32_t> code;
          if (slash != std::string_view::npos)
            code = detail::parse_uint(v.text.substr(slash + 1), 255);
          if (!type || (slash != std::string_view::npos && !code))
            fail(ln, v, "'" + std::string(v.text) + "' is not TYPE or TYPE/CODE (numbers 0..255)");
          Range tc{*type << 8, *type << 8 | 255};
          if (code) tc = {*type << 8 | *code, *type << 8 | *code};
          if (v4 && *type == 255) tc = {0, 65535};
          port_modules.push_back({m, &mod});
          r.matches.push_back(inline_match(Field::IcmpTypeCode, {tc}));
        } else if (m == "u32") {
          // Only the form the iptables backend writes: the 16 bits at the start of an IPv4
          // packet's transport header (header length from IHL), in LO or LO:HI.
          if (family != ir::Family::V4)
            fail(ln, mod, "'-m u32' is only read in iptables (IPv4) rules");
          const Word& opt = arg(mod);
          if (opt.text != "--u32") fail(ln, opt, "expected '--u32'");
          const Word& v = arg(opt);
          constexpr std::string_view head = "0>>22&0x3C@0>>16=";
          auto value = [](std::string_view x) -> std::optional<uint32_t> {
            if (x.size() > 2 && x[0] == '0' && (x[1] == 'x' || x[1] == 'X')) {
              if (x.size() > 6) return std::nullopt;
              uint32_t n = 0;
              for (char ch : x.substr(2)) {
                int d = ch >= '0' && ch <= '9'   ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
                if (d < 0) return std::nullopt;
                n = n * 16 + static_cast<uint32_t>(d);
              }
              return n;
            }
            return detail::parse_uint(x, 65535);
          };
          std::optional<uint32_t> lo, hi;
          if (v.text.substr(0, head.size()) == head) {
            std::string_view rest = v.text.substr(head.size());
            auto colon = rest.find(':');
            lo = value(rest.substr(0, colon));
            hi = colon == std::string_view::npos ? lo : value(rest.substr(colon + 1));
          }
          if (!lo || !hi || *hi < *lo)
            fail(ln, v,
                 "'" + std::string(v.text) + "' is not " + std::string(head) +
                     "LO[:HI] (16-bit numbers)");
          port_modules.push_back({m, &mod});
          r.matches.push_back(inline_match(Field::IcmpTypeCode, {{*lo, *hi}}));
        } else {
          fail(ln, mod,
               "unexpected match module '" + std::string(m) +
                   "' (conntrack, set, multiport, tcp, udp, sctp, icmp, icmp6, u32)");
        }
      } else if (t == "-j" || t == "-g") {
        const Word& v = arg(o);
        have_target = true;
        if (t == "-j" && (v.text == "ACCEPT" || v.text == "DROP" || v.text == "RETURN")) {
          r.verdict.kind = v.text == "ACCEPT" ? VerdictKind::Accept
                           : v.text == "DROP" ? VerdictKind::Drop : VerdictKind::Return;
          continue;
        }
        if (!is_chain_name(v.text)) fail(ln, v, "'" + std::string(v.text) + "' is not a chain name");
        std::string target(v.text);
        if (!fw.chains.count(target))
          throw Fail{&file, ln, v.col, "chain '" + target + "' is not declared", ir::Code::NV9002};
        r.verdict = {t == "-j" ? VerdictKind::Jump : VerdictKind::Goto, target};
      } else {
        fail(ln, o, "unexpected '" + std::string(t) + "'");
      }
    }
    if (neg_p) fail(ln, w.back(), "'!' is only read before '-p'");
    if (!have_target) fail(ln, w.back(), "a rule needs a target (-j or -g)");
    for (auto [m, mw] : port_modules) {
      bool ok = m == "multiport" ? (proto == 6 || proto == 17 || proto == 132)
                : m == "u32"     ? (proto == 1 || proto == 58)
                                 : proto == (m == "tcp"     ? 6
                                             : m == "udp"   ? 17
                                             : m == "icmp"  ? 1
                                             : m == "icmp6" ? 58
                                                            : 132);
      std::string need = m == "icmp6" ? "ipv6-icmp" : std::string(m);
      if (!ok)
        fail(ln, *mw,
             m == "multiport" ? "'-m multiport' needs '-p tcp', '-p udp' or '-p sctp'"
             : m == "u32" ? "'-m u32' needs '-p icmp' or '-p icmpv6' (it reads ICMP type and code)"
                          : "'-m " + std::string(m) + "' needs '-p " + need + "'");
    }
    fw.chains[chain].rules.push_back(std::move(r));
  }
};

}  // namespace

std::optional<Firewall> parse_iptables(std::string_view rules, const std::string& rules_file,
                                       std::string_view ipsets, const std::string& ipset_file,
                                       ir::Family family, ir::Diagnostics& diags) {
  IpsetRunner sets(ipset_file);
  IptablesParser p(rules_file, family);
  try {
    sets.run(ipsets);
    p.run(rules);
  } catch (const Fail& f) {
    diags.report(f.code, ir::SourceSpan{*f.file, 0, f.line, f.col}, f.message);
    return std::nullopt;
  }
  if (p.fw.entry.empty()) {
    diags.report(ir::Code::NV9002, ir::SourceSpan{rules_file, 0, 1, 1},
                 "the ruleset does not declare the chain NETVERIFY");
    return std::nullopt;
  }
  for (auto& [name, s] : sets.sets) {
    Set out;
    out.name = name;
    out.key = {s.family == ir::Family::V4 ? Field::Src4 : Field::Src6};
    out.span = s.span;
    out.elements.reserve(s.elements.size());
    s.elements.for_each([&](const Elements::Element& e) {
      out.elements.push_back({{Range{e.first, e.second}}, {}});
    });
    p.fw.sets.emplace(name, std::move(out));
  }
  if (!detail::check_references(p.fw, diags)) return std::nullopt;
  return std::move(p.fw);
}

}  // namespace nv::backends
