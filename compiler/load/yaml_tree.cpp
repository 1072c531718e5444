#include "compiler/load/yaml_tree.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>

#include "compiler/load/fast_yaml.h"

namespace nv::load {

static std::vector<YNode> parse_events(std::string_view text, const std::string& file,
                                       ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                                       const ParseLimits& limits);

const YNode* YNode::key_node(std::string_view key) const {
  for (const auto& k : keys())
    if (k.is_scalar() && k.value == key) return &k;
  return nullptr;
}

const YNode* YNode::get(std::string_view key) const {
  auto ks = keys();
  for (size_t i = 0; i < ks.size(); ++i)
    if (ks[i].is_scalar() && ks[i].value == key) return &kids_[n_ + i];
  return nullptr;
}

YNode* new_nodes(std::pmr::memory_resource& arena, size_t n) {
  if (n == 0) return nullptr;
  auto* p = static_cast<YNode*>(arena.allocate(n * sizeof(YNode), alignof(YNode)));
  std::uninitialized_default_construct_n(p, n);
  return p;
}

std::string_view copy_string(std::pmr::memory_resource& arena, std::string_view s) {
  if (s.empty()) return {};
  auto* p = static_cast<char*>(arena.allocate(s.size(), 1));
  std::copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

const char* kind_name(YNode::Kind k) {
  switch (k) {
    case YNode::Kind::Null:
      return "null";
    case YNode::Kind::Scalar:
      return "string";
    case YNode::Kind::Seq:
      return "list";
    case YNode::Kind::Map:
      return "mapping";
  }
  return "";
}

namespace {

struct Abort {};  // unwinds the parser after a fatal diagnostic

// What an alias costs: the bytes of the subtree it stands for, counting 120 bytes a node
// (sizeof(YNode) when the limit was set) and a scalar's length. An alias shares its
// anchor's subtree, but whatever walks the tree walks it once per alias: a few bytes can
// stand for gigabytes ("billion laughs"). The count stays as it was when the trees copied,
// so does where the limit strikes, and so the NV1005 position.
constexpr size_t kNodeBytes = 120;

size_t copy_bytes(const YNode& n) {
  size_t c = kNodeBytes + n.value.size();
  for (const auto& k : n.children()) c += copy_bytes(k);
  return c;
}

class Builder : public YAML::EventHandler {
 public:
  Builder(const std::string& file, int doc, ir::Diagnostics& diags,
          std::pmr::memory_resource& arena, size_t& budget, size_t limit)
      : file_(file), doc_(doc), diags_(diags), arena_(arena), budget_(budget), limit_(limit) {}

  YNode root;
  bool got_root = false;
  int start_pos = -1;

  void OnDocumentStart(const YAML::Mark& m) override { start_pos = m.pos; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    YNode n;
    place(m, n);
    finish(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      diags_.report(ir::Code::NV1006, span(m), "alias to an anchor that is not defined yet");
      throw Abort{};
    }
    charge(it->second.second, m.line + 1, m.column + 1);
    finish(it->second.first, 0);  // shares the anchor's subtree
  }

  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YNode n;
    place(m, n);
    n.kind = YNode::Kind::Scalar;
    n.plain = tag == "?" || (tag != "!" && tag != "tag:yaml.org,2002:str");
    if (n.plain && (value == "~" || value == "null" || value == "Null" || value == "NULL"))
      n.kind = YNode::Kind::Null;
    else
      n.value = copy_string(arena_, value);
    finish(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(m, YNode::Kind::Seq, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(m, YNode::Kind::Map, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YNode node;
    YAML::anchor_t anchor;
    std::vector<YNode> kids;  // a mapping's alternate keys and values
  };

  ir::SourceSpan span(const YAML::Mark& m) const { return {file_, doc_, m.line + 1, m.column + 1}; }
  ir::SourceSpan span(const YNode& n) const { return {file_, doc_, n.line, n.col}; }

  void place(const YAML::Mark& m, YNode& n) {
    n.line = m.line + 1;
    n.col = m.column + 1;
  }

  void charge(size_t n, int line, int col) {
    if (n > budget_) {
      diags_.report(
          ir::Code::NV1005, {file_, doc_, line, col},
          "anchors and aliases copy more than " + std::to_string(limit_ >> 20) + " MiB of YAML");
      throw Abort{};
    }
    budget_ -= n;
  }

  void open(const YAML::Mark& m, YNode::Kind kind, YAML::anchor_t anchor) {
    Frame f{YNode{}, anchor, {}};
    place(m, f.node);
    f.node.kind = kind;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.node.kind == YNode::Kind::Map) {
      pair_up(f.node, f.kids);
    } else {
      YNode* kids = new_nodes(arena_, f.kids.size());
      std::copy(f.kids.begin(), f.kids.end(), kids);
      f.node.set_children(kids, f.kids.size());
    }
    finish(f.node, f.anchor);
  }

  // Map children arrive as key, value, key, value...; pair them and apply merge keys.
  void pair_up(YNode& map, const std::vector<YNode>& flat) {
    std::vector<std::pair<size_t, size_t>> merges;  // indices into flat: key, value
    std::vector<YNode> keys, values;
    keys.reserve(flat.size() / 2);
    values.reserve(flat.size() / 2);
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
      const YNode& k = flat[i];
      if (k.is_scalar() && k.plain && k.value == "<<") {
        merges.emplace_back(i, i + 1);
        continue;
      }
      keys.push_back(k);
      values.push_back(flat[i + 1]);
    }
    merge(keys, values, flat, merges);
    YNode* kids = new_nodes(arena_, 2 * keys.size());
    std::copy(values.begin(), values.end(), std::copy(keys.begin(), keys.end(), kids));
    map.set_children(kids, keys.size());
  }

  void merge(std::vector<YNode>& keys, std::vector<YNode>& values, const std::vector<YNode>& flat,
             const std::vector<std::pair<size_t, size_t>>& merges) {
    if (merges.empty()) return;
    std::set<std::string_view> seen;
    for (const auto& k : keys)
      if (k.is_scalar()) seen.insert(k.value);
    for (auto [ki, vi] : merges) {
      const YNode& k = flat[ki];
      const YNode& v = flat[vi];
      std::vector<const YNode*> sources;
      if (v.is_map()) {
        sources.push_back(&v);
      } else if (v.is_seq()) {
        for (const auto& item : v.items()) sources.push_back(&item);
      }
      if (sources.empty() || std::any_of(sources.begin(), sources.end(),
                                         [](const YNode* s) { return !s->is_map(); })) {
        diags_.report(ir::Code::NV1007, span(k),
                      "the value of a merge key `<<` must be a mapping or a list of mappings");
        continue;
      }
      for (const YNode* s : sources)
        for (auto [sk, sv] : s->entries())
          if (sk.is_scalar() && seen.insert(sk.value).second) {
            keys.push_back(sk);
            values.push_back(sv);
          }
    }
  }

  void finish(const YNode& n, YAML::anchor_t anchor) {
    if (anchor) {
      size_t bytes = copy_bytes(n);
      charge(bytes, n.line, n.col);  // counted as when keeping the anchor was a copy
      anchors_[anchor] = {n, bytes};
    }
    if (stack_.empty()) {
      root = n;
      got_root = true;
    } else {
      stack_.back().kids.push_back(n);
    }
  }

  const std::string& file_;
  int doc_;
  ir::Diagnostics& diags_;
  std::pmr::memory_resource& arena_;
  size_t& budget_;
  size_t limit_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, std::pair<YNode, size_t>> anchors_;
};

}  // namespace

std::vector<YNode> parse_yaml(std::string_view text, const std::string& file,
                              ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                              const ParseLimits& limits, std::pmr::memory_resource* second_arena) {
  bool duplicates = true;
  std::vector<YNode> docs;
  if (auto fast = parse_yaml_fast_split(text, arena, second_arena, &duplicates)) {
    docs = std::move(*fast);
  } else {
    docs = parse_yaml_cpp(text, file, diags, arena, limits);
  }
  // The fast reader tells whether a mapping repeats a key: walk its trees only then.
  if (duplicates) check_duplicate_keys(docs, file, diags);
  return docs;
}

namespace {

void duplicates_in(const YNode& n, const std::string& file, int doc, ir::Diagnostics& diags,
                   std::set<std::pair<int, int>>& reported) {
  if (n.is_map() && n.keys().size() > 1) {
    std::unordered_map<std::string_view, const YNode*> seen;
    seen.reserve(n.keys().size());
    for (const auto& k : n.keys()) {
      if (!k.is_scalar()) continue;
      auto [it, fresh] = seen.emplace(k.value, &k);
      // An alias copy repeats its original's positions: report each place once.
      if (!fresh && reported.emplace(k.line, k.col).second) {
        auto& d = diags.report(ir::Code::NV1004, {file, doc, k.line, k.col},
                               "duplicate key \"" + std::string(k.value) + "\"");
        d.notes.push_back({{file, doc, it->second->line, it->second->col}, "first given here"});
      }
    }
  }
  for (const auto& i : n.items()) duplicates_in(i, file, doc, diags, reported);
  for (const auto& v : n.values()) duplicates_in(v, file, doc, diags, reported);
}

}  // namespace

void check_duplicate_keys(const std::vector<YNode>& docs, const std::string& file,
                          ir::Diagnostics& diags) {
  std::set<std::pair<int, int>> reported;
  for (size_t i = 0; i < docs.size(); ++i)
    duplicates_in(docs[i], file, static_cast<int>(i), diags, reported);
}

std::string tree_difference(const YNode& a, const YNode& b) {
  auto at = [](const YNode& n) { return std::to_string(n.line) + ":" + std::to_string(n.col); };
  if (a.kind != b.kind)
    return at(a) + " kind " + kind_name(a.kind) + " vs " + at(b) + " " + kind_name(b.kind);
  if (a.is_null()) return "";
  if (a.line != b.line || a.col != b.col) return "position " + at(a) + " vs " + at(b);
  if (a.is_scalar() && (a.value != b.value || a.plain != b.plain))
    return at(a) + " scalar \"" + std::string(a.value) + "\"" + (a.plain ? "" : "(quoted)") +
           " vs \"" + std::string(b.value) + "\"" + (b.plain ? "" : "(quoted)");
  if (a.items().size() != b.items().size() || a.keys().size() != b.keys().size())
    return at(a) + " size differs";
  for (size_t i = 0; i < a.items().size(); ++i)
    if (auto d = tree_difference(a.items()[i], b.items()[i]); !d.empty()) return d;
  for (size_t i = 0; i < a.keys().size(); ++i) {
    if (auto d = tree_difference(a.keys()[i], b.keys()[i]); !d.empty()) return d;
    if (auto d = tree_difference(a.values()[i], b.values()[i]); !d.empty()) return d;
  }
  return "";
}

namespace {

const YNode* last_scalar(const YNode& n, const YNode* best) {
  auto later = [](const YNode* a, const YNode* b) {
    return !b || std::tie(a->line, a->col) > std::tie(b->line, b->col);
  };
  if (n.is_scalar() && later(&n, best)) best = &n;
  for (const auto& c : n.children()) best = last_scalar(c, best);
  return best;
}

// yaml-cpp 0.7 accepts a quoted scalar that is still open at the end of the stream and
// swallows the rest of the file into it. Only the stream's last scalar can do that: scan
// from its opening quote for the closing one.
bool closes(std::string_view text, const YNode& n) {
  size_t pos = 0;
  for (int line = 1; line < n.line; ++line) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return true;  // positions we cannot map: trust the parser
    ++pos;
  }
  pos += static_cast<size_t>(n.col - 1);
  if (pos >= text.size()) return true;
  char q = text[pos];
  if (q != '"' && q != '\'') return true;  // a block scalar
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<YNode> parse_yaml_cpp(std::string_view text, const std::string& file,
                                  ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                                  const ParseLimits& limits) {
  std::vector<YNode> docs = parse_events(text, file, diags, arena, limits);
  const YNode* last = nullptr;
  int last_doc = 0;
  for (size_t i = 0; i < docs.size(); ++i)
    if (const YNode* l = last_scalar(docs[i], last); l != last) {
      last = l;
      last_doc = static_cast<int>(i);
    }
  if (last && !last->plain && !closes(text, *last)) {
    diags.report(ir::Code::NV1002, {file, last_doc, last->line, last->col},
                 "YAML syntax error: this quoted string is never closed");
    docs.clear();
  }
  return docs;
}

ParsedYaml parse_yaml_text(std::string text, const std::string& file, ir::Diagnostics& diags,
                           const ParseLimits& limits) {
  ParsedYaml p;
  p.text = std::make_unique<const std::string>(std::move(text));
  p.arena = std::make_unique<std::pmr::monotonic_buffer_resource>();
  p.docs = parse_yaml(*p.text, file, diags, *p.arena, limits);
  return p;
}

static std::vector<YNode> parse_events(std::string_view text, const std::string& file,
                                       ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                                       const ParseLimits& limits) {
  std::vector<YNode> docs;
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  size_t budget = limits.max_alias_bytes;
  int last_start = -1;
  for (int doc = 0;; ++doc) {
    Builder b(file, doc, diags, arena, budget, limits.max_alias_bytes);
    try {
      if (!parser.HandleNextDocument(b)) break;
    } catch (const Abort&) {
      break;
    } catch (const YAML::DeepRecursion& e) {
      diags.report(ir::Code::NV1002, {file, doc, e.mark.line + 1, e.mark.column + 1},
                   "YAML nesting is deeper than yaml-cpp's limit of 500 levels");
      break;
    } catch (const YAML::Exception& e) {
      ir::SourceSpan s{file, doc, e.mark.is_null() ? 0 : e.mark.line + 1,
                       e.mark.is_null() ? 0 : e.mark.column + 1};
      diags.report(ir::Code::NV1002, s, "YAML syntax error: " + e.msg);
      break;
    } catch (const std::exception& e) {
      diags.report(ir::Code::NV1002, {file, doc, 0, 0}, std::string("YAML error: ") + e.what());
      break;
    }
    // yaml-cpp 0.7 can return "another document" forever without consuming input.
    if (b.start_pos >= 0 && b.start_pos <= last_start) {
      int line = 1, col = 1;
      for (int i = 0; i < b.start_pos && i < static_cast<int>(text.size()); ++i) {
        if (text[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      diags.report(ir::Code::NV1003, {file, doc, line, col},
                   "YAML syntax error: unexpected content the parser cannot read past");
      break;
    }
    last_start = b.start_pos;
    docs.push_back(b.got_root ? b.root : YNode{});
  }
  return docs;
}

}  // namespace nv::load
