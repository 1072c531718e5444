// YAML (and JSON) documents as a small tree with 1-based source positions.
//
// Built from yaml-cpp's event parser, one document at a time. This avoids YAML::LoadAll,
// which loops forever on some inputs in yaml-cpp 0.7 (jbeder/yaml-cpp#1040), and lets us
// detect duplicate keys (which yaml-cpp accepts), bound alias expansion, and keep the
// quoted/plain distinction Kubernetes relies on (`port: 80` vs `port: "80"`).
#pragma once

#include <cstdint>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"

namespace nv::load {

// A node of a parsed tree: 40 bytes, trivially copyable, owning nothing. A scalar's
// value is a view into the source text, or into the tree's arena when the source spells it
// otherwise (escapes, block scalars); children are an array in the arena, a mapping's keys
// first and then its values. The text and the arena outlive the tree; copying a node
// shares its children. A 20 MB inventory is 1.8 million nodes: as 144-byte nodes with a
// std::string and three vectors each, their memory (the page faults that fill it) was most
// of the time spent reading it.
struct YNode {
  enum class Kind : uint8_t { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  bool plain = true;  // an unquoted scalar
  int line = 0, col = 0;

 private:
  uint32_t n_ = 0;  // items, or keys (here, not below, to pack the node into 40 bytes)

 public:
  std::string_view value;

  // A list's items; empty for anything else.
  std::span<const YNode> items() const {
    return kind == Kind::Seq ? std::span<const YNode>(kids_, n_) : std::span<const YNode>();
  }
  // A mapping's keys in source order, and their values (values()[i] belongs to keys()[i]);
  // empty for anything else.
  std::span<const YNode> keys() const {
    return kind == Kind::Map ? std::span<const YNode>(kids_, n_) : std::span<const YNode>();
  }
  std::span<const YNode> values() const {
    return kind == Kind::Map ? std::span<const YNode>(kids_ + n_, n_) : std::span<const YNode>();
  }

  // Every child: a list's items, or a mapping's keys and then their values.
  std::span<const YNode> children() const {
    return {kids_, kind == Kind::Map ? size_t{2} * n_ : kind == Kind::Seq ? size_t{n_} : 0};
  }

  struct Entry {
    const YNode& key;
    const YNode& value;
  };
  class Entries {
   public:
    struct iterator {
      const YNode* n;
      size_t i;
      Entry operator*() const { return {n->kids_[i], n->kids_[n->n_ + i]}; }
      iterator& operator++() {
        ++i;
        return *this;
      }
      bool operator!=(const iterator& o) const { return i != o.i; }
    };
    explicit Entries(const YNode* n) : n_(n) {}
    iterator begin() const { return {n_, 0}; }
    iterator end() const { return {n_, n_->keys().size()}; }

   private:
    const YNode* n_;
  };
  // The mapping's key/value pairs: `for (auto [k, v] : node.entries())`.
  Entries entries() const { return Entries(this); }

  bool is_map() const { return kind == Kind::Map; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_null() const { return kind == Kind::Null; }
  // The value of a scalar key, or nullptr.
  const YNode* get(std::string_view key) const;
  const YNode* key_node(std::string_view key) const;

  // For the builders. A list's `n` items, or a mapping's `n` keys followed by their `n`
  // values, at `kids` (which must live as long as the tree).
  void set_children(YNode* kids, size_t n) {
    kids_ = kids;
    n_ = static_cast<uint32_t>(n);
  }
  // The children as the builder gave them (items, or keys then values), to adjust.
  std::span<YNode> mutable_children() {
    return {kids_, kind == Kind::Map ? size_t{2} * n_ : kind == Kind::Seq ? size_t{n_} : 0};
  }

 private:
  YNode* kids_ = nullptr;
};

// Room in an arena for `n` nodes (default-constructed), and a copy of `s`.
YNode* new_nodes(std::pmr::memory_resource& arena, size_t n);
std::string_view copy_string(std::pmr::memory_resource& arena, std::string_view s);

struct ParseLimits {
  // Bytes that anchors and aliases may stand for, per input (nodes count 120 bytes each,
  // strings their length). Parsed nodes are bounded by the input's size. An alias shares
  // its anchor's subtree, but whatever walks the tree walks it once per alias: that is how
  // a few bytes become gigabytes ("billion laughs", or one long string aliased many times).
  size_t max_alias_bytes = size_t{64} << 20;
};

// Parses every document of `text`. Empty and comment-only documents come back as Null
// roots. On a syntax error the documents before it are returned and an error reported.
// Uses the fast reader (fast_yaml.h) when the input is in its subset, yaml-cpp otherwise;
// rejects duplicate keys either way. The trees point into `text` and `arena`, which must
// outlive them. With `second_arena` too, a large List is read on two threads
// (parse_yaml_fast_split).
std::vector<YNode> parse_yaml(std::string_view text, const std::string& file,
                              ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                              const ParseLimits& limits = {},
                              std::pmr::memory_resource* second_arena = nullptr);

// The same through yaml-cpp's event parser only (for differential testing).
std::vector<YNode> parse_yaml_cpp(std::string_view text, const std::string& file,
                                  ir::Diagnostics& diags, std::pmr::memory_resource& arena,
                                  const ParseLimits& limits = {});

// A text and its trees, owning what the trees point into (for one-off reads and tests).
struct ParsedYaml {
  std::unique_ptr<const std::string> text;
  std::unique_ptr<std::pmr::monotonic_buffer_resource> arena;
  std::vector<YNode> docs;
};
ParsedYaml parse_yaml_text(std::string text, const std::string& file, ir::Diagnostics& diags,
                           const ParseLimits& limits = {});

// Reports every mapping key given twice (NV1004), with a note at the first.
void check_duplicate_keys(const std::vector<YNode>& docs, const std::string& file,
                          ir::Diagnostics& diags);

// Where two trees differ ("" when equal): kinds, values, quoting, keys, and the positions
// of every node but nulls.
std::string tree_difference(const YNode& a, const YNode& b);

const char* kind_name(YNode::Kind k);  // "null", "string", "list", "mapping"

}  // namespace nv::load
