// A small YAML writer for the policies `netverify convert` emits: block style, keys in the
// order they were added, and every string quoted that a YAML 1.1 reader (yaml-cpp,
// Kubernetes' sigs.k8s.io/yaml) would read as something else ("y", "on", "080", "1e3").
// Same tree, same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nv::emit::yaml {

class Node {
 public:
  enum class Kind : uint8_t { Scalar, Map, List };

  static Node str(std::string_view s);  // a string, quoted when it has to be
  static Node integer(int64_t v);
  static Node number(double v);  // shortest text that reads back as v
  static Node boolean(bool v);
  static Node map() { return Node(Kind::Map); }
  static Node list() { return Node(Kind::List); }

  Kind kind() const { return kind_; }
  bool empty() const { return kind_ != Kind::Scalar && items_.empty(); }
  // Appends to a map (keys are strings, quoted as needed) or a list; returns the new child.
  Node& set(std::string_view key, Node value);
  Node& push(Node value);
  const Node* get(std::string_view key) const;
  // A map's entries or a list's items (keys ""), to change them in place.
  std::vector<std::pair<std::string, Node>>& children() { return items_; }

 private:
  explicit Node(Kind k) : kind_(k) {}
  friend void write_block(const Node&, int, std::string&);
  friend std::string inline_text(const Node&);

  Kind kind_ = Kind::Scalar;
  std::string text_;                                 // a scalar's text as written (quotes included)
  std::vector<std::pair<std::string, Node>> items_;  // map entries; list items have "" keys
};

// The text of `s` as a plain scalar when YAML reads that back as the same string, else
// double-quoted with JSON escapes.
std::string scalar(std::string_view s);
// One document (without the `---` separator), ending in a newline.
std::string render(const Node& doc);

}  // namespace nv::emit::yaml
