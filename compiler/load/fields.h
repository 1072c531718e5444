// Checked access to the fields of a YAML mapping, reporting wrong types and (for strict
// schemas) unknown fields with their source position.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compiler/load/yaml_tree.h"
#include "ir/diagnostic.h"

namespace nv::load {

// Where the nodes being read come from.
struct Ctx {
  ir::Diagnostics& diags;
  std::string file;
  int doc = 0;
  // Policies: a plain scalar that YAML reads as a boolean or number is an error where a
  // string belongs (`kubectl apply` converts YAML to JSON untyped, and the API server then
  // refuses `app: yes`). Inventories, printed by kubectl, quote what needs quoting.
  bool strict_strings = false;

  ir::SourceSpan at(const YNode& n) const { return {file, doc, n.line, n.col}; }
  ir::Diagnostic& error(ir::Code code, const YNode& n, std::string message) {
    return diags.report(code, at(n), std::move(message));
  }
};

// A Kubernetes IntOrString.
using IntOrString = std::variant<int64_t, std::string>;

class MapReader {
 public:
  // Reports NV1021 unless `node` is a mapping (or null, read as empty).
  MapReader(Ctx& ctx, const YNode& node, std::string path);

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  const YNode& node() const { return node_; }

  // The value of `key`, or nullptr when absent or null. Marks the key as known.
  const YNode* get(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  std::optional<int64_t> integer(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<IntOrString> int_or_string(std::string_view key);
  // A list (nullptr when absent or null; reports and returns nullptr when not a list).
  const YNode* list(std::string_view key);
  const YNode* map(std::string_view key);

  // Reports every key that was not read (and is not in `ignored`) as an unknown field.
  void reject_unknown(std::initializer_list<std::string_view> ignored = {});

 private:
  void wrong_type(std::string_view key, const YNode& v, const char* expected);

  Ctx& ctx_;
  const YNode& node_;
  std::string path_;
  bool ok_ = true;
  std::vector<std::string_view> read_;
};

// How goyaml.v2 (sigs.k8s.io/yaml, so kubectl and the API server) resolves a plain scalar.
struct Resolved {
  enum class Type : uint8_t { String, Null, Bool, Int, Float } type = Type::String;
  int64_t i = 0;  // Int, and Float with an integral value (`integral`)
  double f = 0;
  bool b = false;
  bool integral = false;
  const char* name() const;  // "string", "null", "boolean", "integer", "number"
};
Resolved resolve_plain(std::string_view text);

// A scalar read as Kubernetes reads an integer field: a plain integer in Go syntax
// (`80`, `0120` octal, `0x50`, `1_000`) or an integral number (`1e2`); nullopt otherwise.
std::optional<int64_t> as_integer(const YNode& n);
// When a plain scalar that YAML reads as another type stands where a string belongs.
std::optional<std::string> not_a_string(const YNode& n);

}  // namespace nv::load
