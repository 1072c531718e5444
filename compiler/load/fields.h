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

// A plain scalar read as an integer; nullopt for anything else.
std::optional<int64_t> as_integer(const YNode& n);

}  // namespace nv::load
