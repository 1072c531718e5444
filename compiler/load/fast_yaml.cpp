#include "compiler/load/fast_yaml.h"

#include <algorithm>
#include <cstdint>
#include <unordered_set>

namespace nv::load {

namespace {

struct Unsupported {};  // outside the subset: let yaml-cpp read it

constexpr int kMaxDepth = 200;

bool is_space(char c) { return c == ' '; }
bool is_break(char c) { return c == '\n' || c == '\r'; }

class Reader {
 public:
  Reader(std::string_view s, std::pmr::memory_resource& mr, const ReadWindow& w)
      : s_(s), mr_(&mr), w_(w), line_(w.first_line) {
    if (w_.gap_end > w_.gap_begin) {
      check_encoding(s_.substr(0, w_.gap_begin));
      check_encoding(s_.substr(w_.gap_end));
      if (w_.gap_begin == 0) skip_gap();
    } else {
      check_encoding(s_);
    }
  }

  // Whether some mapping gives a key twice.
  bool saw_duplicate() const { return duplicate_; }

  // Plain UTF-8 only: yaml-cpp also reads UTF-16/32 (by BOM or by NUL bytes), and the
  // fast reader has no business guessing encodings or judging control characters.
  static void check_encoding(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
      unsigned c = *p;
      if (c < 0x80) {
        if ((c < 0x20 && c != '\n') || c == 0x7f) throw Unsupported{};  // tabs, CR, controls
        ++p;
        continue;
      }
      int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
      if (n < 0 || c > 0xF4 || end - p <= n) throw Unsupported{};
      uint32_t cp = c & (0x3F >> n);
      for (int i = 1; i <= n; ++i) {
        if ((p[i] & 0xC0) != 0x80) throw Unsupported{};
        cp = (cp << 6) | (p[i] & 0x3F);
      }
      bool overlong = (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000);
      if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F ||
          cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
        throw Unsupported{};
      p += n + 1;
    }
  }

  std::vector<YNode> documents() {
    std::vector<YNode> docs;
    for (;;) {
      skip_blank_lines();
      if (eof()) break;
      if (peek() == '%' || doc_marker("...")) throw Unsupported{};
      if (doc_marker("---")) {
        pos_ += 3;
        skip_spaces();
        if (!at_eol_or_comment()) throw Unsupported{};  // content after ---
        skip_line();
        skip_blank_lines();
        if (eof() || doc_marker("---")) {
          docs.emplace_back();  // an empty document
          continue;
        }
      }
      if (doc_marker("...") || indent() != 0) throw Unsupported{};
      docs.push_back(block_node(-1, 0, true));
      skip_blank_lines();
      if (!eof() && !doc_marker("---")) throw Unsupported{};
    }
    return docs;
  }

 private:
  // --- positions and lines -------------------------------------------------------------
  bool eof() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\n'; }
  bool at_line_start() const { return pos_ == line_start_; }
  int col() const { return static_cast<int>(pos_ - line_start_) + 1; }

  void skip_line() {
    while (!eof() && s_[pos_] != '\n') ++pos_;
    if (!eof()) {
      ++pos_;
      ++line_;
      if (pos_ == w_.gap_begin) skip_gap();
      line_start_ = pos_;
    }
  }
  // Lines move forward only through skip_line, and the gap is whole lines.
  void skip_gap() {
    if (w_.gap_end <= w_.gap_begin) return;
    pos_ = w_.gap_end;
    line_ += w_.gap_lines;
    line_start_ = pos_;
  }
  void skip_spaces() {
    while (!eof() && is_space(s_[pos_])) ++pos_;
  }
  bool at_eol_or_comment() const { return eof() || is_break(peek()) || peek() == '#'; }
  // Skips lines that are empty or hold only a comment; leaves pos_ at a line start.
  void skip_blank_lines() {
    for (;;) {
      size_t p = pos_;
      while (p < s_.size() && s_[p] == ' ') ++p;
      if (p < s_.size() && s_[p] != '\n' && s_[p] != '#') return;
      if (p >= s_.size()) {
        pos_ = s_.size();
        return;
      }
      pos_ = p;
      skip_line();
    }
  }
  // The indentation of the current line (pos_ at its start).
  int indent() const {
    size_t p = line_start_;
    while (p < s_.size() && s_[p] == ' ') ++p;
    return static_cast<int>(p - line_start_);
  }
  bool doc_marker(std::string_view m) const {
    if (pos_ != line_start_ || s_.substr(pos_, 3) != m) return false;
    char c = peek(3);
    return c == ' ' || c == '\n';
  }
  // At the first content of a line: moves pos_ past the indentation.
  void to_content() { pos_ = line_start_ + static_cast<size_t>(indent()); }

  YNode make(YNode::Kind kind) const {
    YNode n;
    n.kind = kind;
    n.line = line_;
    n.col = col();
    return n;
  }

  // --- block context ---------------------------------------------------------------------
  // The value of a key or sequence item whose content starts on a later line, or the
  // document's root. `parent` is the indentation of the collection that holds it.
  // `seq_at_parent` allows a sequence at the parent's own indentation (a mapping value).
  YNode block_node(int parent, int depth, bool seq_at_parent) {
    if (depth > kMaxDepth) throw Unsupported{};
    skip_blank_lines();
    if (eof() || doc_marker("---") || doc_marker("...")) return YNode{};
    int ind = indent();
    bool dash = s_[line_start_ + ind] == '-' && (line_start_ + ind + 1 >= s_.size() ||
                                                  is_space(s_[line_start_ + ind + 1]) ||
                                                  s_[line_start_ + ind + 1] == '\n');
    if (ind < parent || (ind == parent && !(dash && seq_at_parent))) return YNode{};
    to_content();
    if (dash) return block_seq(ind, depth + 1);
    if (line_is_mapping_entry()) return block_map(ind, depth + 1);
    YNode n = inline_value(ind - 1, depth + 1);
    expect_end_of_value(ind - 1);
    return n;
  }

  // Whether the content at pos_ starts a `key: value` entry.
  bool line_is_mapping_entry() const {
    size_t p = pos_;
    char c = s_[p];
    if (c == '"' || c == '\'') {
      char q = c;
      for (++p; p < s_.size() && s_[p] != '\n'; ++p) {
        if (q == '\'' && s_[p] == '\'' && p + 1 < s_.size() && s_[p + 1] == '\'') {
          ++p;
          continue;
        }
        if (q == '"' && s_[p] == '\\') {
          ++p;
          continue;
        }
        if (s_[p] == q) break;
      }
      if (p >= s_.size() || s_[p] == '\n') return false;
      ++p;
      while (p < s_.size() && s_[p] == ' ') ++p;
      return p < s_.size() && s_[p] == ':' &&
             (p + 1 >= s_.size() || s_[p + 1] == ' ' || s_[p + 1] == '\n');
    }
    for (; p < s_.size() && s_[p] != '\n'; ++p) {
      if (s_[p] == ' ' && p + 1 < s_.size() && s_[p + 1] == '#') return false;
      if (s_[p] == ':' && (p + 1 >= s_.size() || s_[p + 1] == ' ' || s_[p + 1] == '\n')) return true;
    }
    return false;
  }

  // After an entry of the block collection at indentation `ind`: whether the next content
  // line belongs to it (pos_ then at its content). Deeper lines are not ours to read.
  bool continues_at(int ind) {
    skip_blank_lines();
    if (eof() || doc_marker("---") || doc_marker("...")) return false;
    int next = indent();
    if (next < ind) return false;
    if (next > ind) throw Unsupported{};
    to_content();
    return true;
  }

  YNode block_map(int ind, int depth) {
    if (depth > kMaxDepth) throw Unsupported{};
    YNode map = make(YNode::Kind::Map);
    size_t base = stack_.size();
    for (;;) {
      stack_.push_back(key());
      // after "key:"
      skip_spaces();
      if (at_eol_or_comment()) {
        skip_line();
        stack_.push_back(block_node(ind, depth, true));
      } else {
        stack_.push_back(inline_value(ind, depth));
        expect_end_of_value(ind);
      }
      if (!continues_at(ind)) break;
      if (!line_is_mapping_entry()) throw Unsupported{};
    }
    take_entries(map, base);
    return map;
  }

  YNode block_seq(int ind, int depth) {
    if (depth > kMaxDepth) throw Unsupported{};
    YNode seq = make(YNode::Kind::Seq);
    size_t base = stack_.size();
    for (;;) {
      ++pos_;  // the '-'
      skip_spaces();
      if (at_eol_or_comment()) {
        skip_line();
        stack_.push_back(block_node(ind, depth, false));
      } else if (peek() == '-' && (is_space(peek(1)) || is_break(peek(1)))) {
        throw Unsupported{};  // "- - x"
      } else if (line_is_mapping_entry()) {
        stack_.push_back(block_map(col() - 1, depth + 1));  // compact mapping
      } else {
        stack_.push_back(inline_value(ind, depth));
        expect_end_of_value(ind);
      }
      if (!continues_at(ind)) break;
      if (!(peek() == '-' && (is_space(peek(1)) || is_break(peek(1))))) {
        pos_ = line_start_;
        break;  // back to the enclosing mapping at the same indentation
      }
    }
    take_items(seq, base);
    return seq;
  }

  // A mapping key and its ':' (plain or quoted, on one line).
  YNode key() {
    YNode k;
    if (peek() == '"' || peek() == '\'') {
      k = quoted();
      skip_spaces();
    } else {
      k = make(YNode::Kind::Scalar);
      size_t start = pos_;
      check_plain_start();
      while (!(peek() == ':' && (is_space(peek(1)) || is_break(peek(1))))) {
        if (eof() || is_break(peek())) throw Unsupported{};
        ++pos_;
      }
      size_t end = pos_;
      while (end > start && s_[end - 1] == ' ') --end;
      k.value = s_.substr(start, end - start);
      plain_null(k);
    }
    if (peek() != ':' || !(is_space(peek(1)) || is_break(peek(1)))) throw Unsupported{};
    ++pos_;
    if (k.value == "<<" && k.plain) throw Unsupported{};  // merge keys: yaml-cpp path
    return k;
  }

  // A value that starts on the current line (after "key: " or "- ").
  YNode inline_value(int parent, int depth) {
    char c = peek();
    switch (c) {
      case '"':
      case '\'':
        return quoted();
      case '{':
      case '[': {
        YNode n = flow(depth, false);
        return n;
      }
      case '|':
        return literal_block(parent);
      case '>':
      case '&':
      case '*':
      case '!':
      case '%':
      case '@':
      case '`':
      case '?':
      case ',':
      case ']':
      case '}':
      case '#':
        throw Unsupported{};
      default:
        break;
    }
    if (c == '-' && (is_space(peek(1)) || is_break(peek(1)))) throw Unsupported{};
    YNode n = make(YNode::Kind::Scalar);
    check_plain_start();
    size_t start = pos_;
    while (!eof() && !is_break(peek())) {
      if (peek() == ' ' && peek(1) == '#') break;
      if (peek() == ':' && (is_space(peek(1)) || is_break(peek(1)))) throw Unsupported{};
      ++pos_;
    }
    size_t end = pos_;
    while (end > start && s_[end - 1] == ' ') --end;
    n.value = s_.substr(start, end - start);
    plain_null(n);
    return n;
  }

  void check_plain_start() const {
    char c = peek();
    static constexpr std::string_view indicators = ",[]{}#&*!|>'\"%@`";
    if (indicators.find(c) != std::string_view::npos) throw Unsupported{};
    if ((c == '-' || c == '?' || c == ':') && (is_space(peek(1)) || is_break(peek(1))))
      throw Unsupported{};
  }

  static void plain_null(YNode& n) {
    if (n.value.empty() || n.value == "~" || n.value == "null" || n.value == "Null" ||
        n.value == "NULL") {
      n.kind = YNode::Kind::Null;
      n.value = {};
    }
  }

  // After an inline value: only a comment may follow on the line, and the next content
  // line may not be more indented than the collection (that would continue the scalar).
  void expect_end_of_value(int parent) {
    if (block_consumed_) {
      block_consumed_ = false;  // a block scalar ends at a line start already
    } else {
      skip_spaces();
      if (!at_eol_or_comment()) throw Unsupported{};
      skip_line();
    }
    skip_blank_lines();
    if (!eof() && indent() > parent && !(doc_marker("---") || doc_marker("..."))) {
      // A deeper line after a complete value is a continuation or an error.
      throw Unsupported{};
    }
  }

  // --- children --------------------------------------------------------------------------
  // A collection's children are pushed on stack_ while it is read (its nested collections
  // push theirs above and take them off before it resumes), then copied into an array of
  // exactly their size in the arena.
  void take_items(YNode& seq, size_t base) {
    size_t n = stack_.size() - base;
    YNode* kids = new_nodes(*mr_, n);
    std::copy(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end(), kids);
    seq.set_children(kids, n);
    stack_.resize(base);
  }

  // Keys and values alternate on the stack; the array holds the keys, then the values.
  void take_entries(YNode& map, size_t base) {
    size_t n = (stack_.size() - base) / 2;
    YNode* kids = new_nodes(*mr_, 2 * n);
    for (size_t i = 0; i < n; ++i) {
      kids[i] = stack_[base + 2 * i];
      kids[n + i] = stack_[base + 2 * i + 1];
    }
    map.set_children(kids, n);
    stack_.resize(base);
    if (!duplicate_) duplicate_ = repeats_a_key(map.keys());
  }

  // Only a flag: check_duplicate_keys walks the tree for the diagnostics when it is set.
  // Small mappings (nearly all) compare pairwise; large ones hash.
  static bool repeats_a_key(std::span<const YNode> keys) {
    if (keys.size() <= 16) {
      for (size_t i = 1; i < keys.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (keys[i].is_scalar() && keys[j].is_scalar() && keys[i].value == keys[j].value)
            return true;
      return false;
    }
    std::unordered_set<std::string_view> seen;
    seen.reserve(keys.size());
    for (const auto& k : keys)
      if (k.is_scalar() && !seen.insert(k.value).second) return true;
    return false;
  }

  // --- scalars ---------------------------------------------------------------------------
  // A view of the source when it spells the value as it is (nearly always), else a copy
  // in the arena of the value its escapes and doubled quotes stand for.
  YNode quoted() {
    YNode n = make(YNode::Kind::Scalar);
    n.plain = false;
    char q = peek();
    ++pos_;
    const size_t start = pos_;
    for (;;) {
      if (eof() || is_break(peek())) throw Unsupported{};  // multi-line quoted scalar
      char c = s_[pos_];
      if (c == q && !(q == '\'' && peek(1) == '\'')) {
        n.value = s_.substr(start, pos_ - start);
        ++pos_;
        return n;
      }
      if (c == q || (q == '"' && c == '\\')) break;
      ++pos_;
    }
    std::string value(s_.substr(start, pos_ - start));
    for (;;) {
      if (eof() || is_break(peek())) throw Unsupported{};
      char c = s_[pos_++];
      if (c == q) {
        if (q == '\'' && peek() == '\'') {
          ++pos_;
          value += '\'';
          continue;
        }
        n.value = copy_string(*mr_, value);
        return n;
      }
      if (q == '"' && c == '\\') {
        escape(value);
        continue;
      }
      value += c;
    }
  }

  void escape(std::string& out) {
    if (eof()) throw Unsupported{};
    char c = s_[pos_++];
    switch (c) {
      case '\\': out += '\\'; return;
      case '"': out += '"'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case '0': out += '\0'; return;
      case 'a': out += '\a'; return;
      case 'v': out += '\v'; return;
      case 'e': out += '\x1b'; return;
      case ' ': out += ' '; return;
      case 'x': utf8(hex(2), out); return;
      case 'u': utf8(hex(4), out); return;
      case 'U': utf8(hex(8), out); return;
      default: throw Unsupported{};
    }
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      char c = eof() ? '\n' : s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else throw Unsupported{};
    }
    return v;
  }

  static void utf8(uint32_t cp, std::string& out) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) throw Unsupported{};
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // `|`, `|-` or `|+`: literal lines, more indented than `parent`.
  YNode literal_block(int parent) {
    if (parent < 0) throw Unsupported{};  // a block scalar as the whole document
    YNode n = make(YNode::Kind::Scalar);
    n.plain = false;
    ++pos_;
    char chomp = ' ';
    if (peek() == '+') throw Unsupported{};  // keep-chomping: rare, and subtle at the end
    if (peek() == '-') chomp = s_[pos_++];
    skip_spaces();
    if (!at_eol_or_comment()) throw Unsupported{};  // indentation indicators and the like
    skip_line();
    // The content's indentation is that of its first non-empty line.
    int content = -1;
    std::string text;
    size_t trailing_breaks = 0;
    while (!eof()) {
      size_t p = line_start_;
      while (p < s_.size() && s_[p] == ' ') ++p;
      int ind = static_cast<int>(p - line_start_);
      bool empty = p >= s_.size() || s_[p] == '\n';
      if (empty) {
        if (content >= 0 && ind > content) throw Unsupported{};  // spaces kept in content
        if (content < 0 && ind > parent + 1) throw Unsupported{};  // leading blank lines
        ++trailing_breaks;
        skip_line();
        if (eof()) break;
        continue;
      }
      if (content < 0) {
        if (ind <= parent) break;
        if (trailing_breaks) throw Unsupported{};  // leading empty lines
        content = ind;
      }
      if (ind < content) break;
      if (doc_marker("---") || doc_marker("...")) break;
      text.append(trailing_breaks, '\n');
      trailing_breaks = 0;
      size_t end = s_.find('\n', line_start_);
      if (end == std::string_view::npos) throw Unsupported{};  // no final line break
      text.append(s_.substr(line_start_ + static_cast<size_t>(content),
                            end - line_start_ - static_cast<size_t>(content)));
      text += '\n';
      pos_ = end;
      skip_line();
    }
    if (content < 0) throw Unsupported{};  // empty block scalar
    if (chomp == '-') text.pop_back();
    n.value = copy_string(*mr_, text);
    block_consumed_ = true;
    return n;
  }

  // --- flow context ----------------------------------------------------------------------
  // `[...]` or `{...}`. Inside a block collection it must close on its own line; at the
  // root (JSON) it may span lines.
  YNode flow(int depth, bool multiline) {
    if (depth > kMaxDepth) throw Unsupported{};
    bool root = multiline || at_root_;
    YNode n = make(peek() == '{' ? YNode::Kind::Map : YNode::Kind::Seq);
    char close = peek() == '{' ? '}' : ']';
    ++pos_;
    flow_space(root);
    if (peek() == close) {
      ++pos_;
      return n;
    }
    size_t base = stack_.size();
    for (;;) {
      if (n.kind == YNode::Kind::Map) {
        YNode k = flow_scalar(root, true);
        skip_spaces();  // an implicit key and its ':' share a line
        if (peek() != ':') throw Unsupported{};
        ++pos_;
        if (k.plain && !(is_space(peek()) || is_break(peek()))) throw Unsupported{};
        flow_space(root);
        stack_.push_back(std::move(k));
        stack_.push_back(flow_item(depth, root));
      } else {
        stack_.push_back(flow_item(depth, root));
      }
      flow_space(root);
      if (peek() == ',') {
        ++pos_;
        flow_space(root);
        if (peek() == close) throw Unsupported{};  // trailing comma
        continue;
      }
      if (peek() != close) throw Unsupported{};
      ++pos_;
      if (n.kind == YNode::Kind::Map)
        take_entries(n, base);
      else
        take_items(n, base);
      return n;
    }
  }

  YNode flow_item(int depth, bool root) {
    if (peek() == '{' || peek() == '[') return flow(depth + 1, root);
    YNode v = flow_scalar(root, false);
    return v;
  }

  YNode flow_scalar(bool root, bool is_key) {
    (void)root;
    if (peek() == '"' || peek() == '\'') return quoted();
    YNode n = make(YNode::Kind::Scalar);
    static constexpr std::string_view stops = ",[]{}#&*!|>'\"%@`?";
    if (stops.find(peek()) != std::string_view::npos) throw Unsupported{};
    if (peek() == '-' && (is_space(peek(1)) || is_break(peek(1)))) throw Unsupported{};
    if (peek() == ':') throw Unsupported{};
    size_t start = pos_;
    while (!eof() && !is_break(peek())) {
      char c = peek();
      if (c == ',' || c == ']' || c == '}' || c == '[' || c == '{') break;
      if (c == ':' && (is_key || is_space(peek(1)))) break;
      // Machine-printed flow scalars are words and numbers; leave anything else to yaml-cpp.
      bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '/' || c == '-' || c == '+' || c == '=' ||
                  (c == ' ' && peek(1) != '#');
      if (!word) throw Unsupported{};
      ++pos_;
    }
    if (peek() == '[' || peek() == '{') throw Unsupported{};
    size_t end = pos_;
    while (end > start && s_[end - 1] == ' ') --end;
    n.value = s_.substr(start, end - start);
    if (n.value.empty()) throw Unsupported{};
    plain_null(n);
    return n;
  }

  void flow_space(bool root) {
    for (;;) {
      skip_spaces();
      if (eof()) throw Unsupported{};
      if (peek() == '#') throw Unsupported{};
      if (!is_break(peek())) return;
      if (!root) throw Unsupported{};  // multi-line flow inside a block collection
      skip_line();
    }
  }

 public:
  // A document that is a single flow collection (JSON).
  bool root_is_flow() const {
    size_t p = pos_;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\n')) ++p;
    return p < s_.size() && (s_[p] == '{' || s_[p] == '[');
  }
  std::vector<YNode> json() {
    std::vector<YNode> docs;
    skip_blank_lines();
    to_content();
    at_root_ = true;
    docs.push_back(flow(0, true));
    skip_spaces();
    if (!at_eol_or_comment()) throw Unsupported{};
    if (!eof()) skip_line();
    skip_blank_lines();
    if (!eof()) throw Unsupported{};
    return docs;
  }

 private:
  std::string_view s_;
  std::pmr::memory_resource* mr_;
  ReadWindow w_;
  std::vector<YNode> stack_;  // children of the collections being read
  bool duplicate_ = false;
  int line_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  bool at_root_ = false;
  bool block_consumed_ = false;
};

}  // namespace

std::optional<std::vector<YNode>> parse_yaml_fast(std::string_view text,
                                                  std::pmr::memory_resource& arena,
                                                  bool* duplicate_keys, const ReadWindow& window) {
  try {
    Reader r(text, arena, window);
    std::vector<YNode> docs = r.root_is_flow() ? r.json() : r.documents();
    if (duplicate_keys) *duplicate_keys = r.saw_duplicate();
    return docs;
  } catch (const Unsupported&) {
    return std::nullopt;
  }
}

}  // namespace nv::load
