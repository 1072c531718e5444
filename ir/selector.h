// Label selectors: one expression language that holds Kubernetes matchLabels and
// matchExpressions, Calico's selector grammar and Cilium's label selectors.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nv::ir {

// Labels of a pod, namespace or node: key -> value, sorted by key.
using Labels = std::map<std::string, std::string, std::less<>>;

struct Selector {
  enum class Op : uint8_t {
    All,         // matches everything (Kubernetes `{}`, Calico `all()`)
    Has,         // key present
    Eq,          // key present and value == values[0]
    NotEq,       // key absent or value != values[0]
    In,          // key present and value in values
    NotIn,       // key absent or value not in values
    Contains,    // key present and value contains values[0]
    StartsWith,  // key present and value starts with values[0]
    EndsWith,    // key present and value ends with values[0]
    Not,         // !kids[0]
    And,         // all kids (no kids: true)
    Or,          // any kid (no kids: false)
  };

  Op op = Op::All;
  std::string key;
  std::vector<std::string> values;  // sorted and unique for In/NotIn
  std::vector<Selector> kids;

  bool operator==(const Selector&) const = default;

  bool matches(const Labels& labels) const;
  // Canonical text in Calico's syntax, e.g. `app == 'web' && has(tier)`.
  std::string str() const;
  bool is_all() const { return op == Op::All; }

  static Selector all() { return {}; }
  static Selector has(std::string key);
  static Selector eq(std::string key, std::string value);
  static Selector not_eq_(std::string key, std::string value);
  static Selector in(std::string key, std::vector<std::string> values);
  static Selector not_in(std::string key, std::vector<std::string> values);
  static Selector negate(Selector s);
  // Flattens nested conjunctions and drops `all()` members; one member is returned as is.
  static Selector conj(std::vector<Selector> kids);
  static Selector disj(std::vector<Selector> kids);
};

}  // namespace nv::ir
