// YAML (and JSON) documents as a small tree with 1-based source positions.
//
// Built from yaml-cpp's event parser, one document at a time. This avoids YAML::LoadAll,
// which loops forever on some inputs in yaml-cpp 0.7 (jbeder/yaml-cpp#1040), and lets us
// detect duplicate keys (which yaml-cpp accepts), bound alias expansion, and keep the
// quoted/plain distinction Kubernetes relies on (`port: 80` vs `port: "80"`).
#pragma once

#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"

namespace nv::load {

struct YNode {
  // Children. The fast reader allocates them from an arena (a monotonic memory resource
  // that its caller keeps alive as long as the tree): a 20 MB inventory is a million nodes,
  // and allocating and freeing their vectors one by one took a third of its loading time.
  // A copy of a node uses the default resource (the heap), like every other tree.
  using List = std::pmr::vector<YNode>;

  enum class Kind : uint8_t { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  bool plain = true;  // an unquoted scalar
  int line = 0, col = 0;
  std::string value;
  List items;  // Seq
  List keys;   // Map, in source order; values[i] belongs to keys[i]
  List values;

  YNode() = default;
  // A node whose children will be allocated from `mr`.
  explicit YNode(std::pmr::memory_resource* mr) : items(mr), keys(mr), values(mr) {}

  struct Entry {
    const YNode& key;
    const YNode& value;
  };
  class Entries {
   public:
    struct iterator {
      const YNode* n;
      size_t i;
      Entry operator*() const { return {n->keys[i], n->values[i]}; }
      iterator& operator++() {
        ++i;
        return *this;
      }
      bool operator!=(const iterator& o) const { return i != o.i; }
    };
    explicit Entries(const YNode* n) : n_(n) {}
    iterator begin() const { return {n_, 0}; }
    iterator end() const { return {n_, n_->keys.size()}; }

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
};

struct ParseLimits {
  // Bytes that anchors and aliases may copy, per input (nodes count 120 bytes each, about
  // their size, strings their length). Parsed nodes are bounded by the input's size; copies are how
  // a few bytes become gigabytes ("billion laughs", or one long string aliased many times).
  size_t max_alias_bytes = size_t{64} << 20;
};

// Parses every document of `text`. Empty and comment-only documents come back as Null
// roots. On a syntax error the documents before it are returned and an error reported.
// Uses the fast reader (fast_yaml.h) when the input is in its subset, yaml-cpp otherwise;
// rejects duplicate keys either way. The fast reader allocates the children from `arena`
// when given (it must outlive the trees); yaml-cpp's trees use the heap.
// With `second_arena` too, a large List is read on two threads (parse_yaml_fast_split).
std::vector<YNode> parse_yaml(const std::string& text, const std::string& file,
                              ir::Diagnostics& diags, const ParseLimits& limits = {},
                              std::pmr::memory_resource* arena = nullptr,
                              std::pmr::memory_resource* second_arena = nullptr);

// The same through yaml-cpp's event parser only (for differential testing).
std::vector<YNode> parse_yaml_cpp(const std::string& text, const std::string& file,
                                  ir::Diagnostics& diags, const ParseLimits& limits = {});

// Reports every mapping key given twice (NV1004), with a note at the first.
void check_duplicate_keys(const std::vector<YNode>& docs, const std::string& file,
                          ir::Diagnostics& diags);

// Where two trees differ ("" when equal): kinds, values, quoting, keys, and the positions
// of every node but nulls.
std::string tree_difference(const YNode& a, const YNode& b);

const char* kind_name(YNode::Kind k);  // "null", "string", "list", "mapping"

}  // namespace nv::load
