// Reading inputs: files, directories (recursive), "-" for stdin; multi-document YAML and
// JSON; `kind: List` and `*List` expanded; empty and comment-only documents skipped.
#pragma once

#include <deque>
#include <memory_resource>
#include <string>
#include <vector>

#include "compiler/load/yaml_tree.h"
#include "ir/diagnostic.h"

namespace nv::load {

// One Kubernetes object from the inputs.
struct Object {
  std::string api_version;
  std::string kind;
  std::string ns;    // metadata.namespace as written; empty if absent
  std::string name;  // metadata.name as written; empty if absent
  const YNode* node = nullptr;
  ir::SourceSpan span;  // the object's mapping

  std::string group() const;  // "networking.k8s.io", or "" for the core group
};

class InputSet {
 public:
  InputSet(ir::SourceManager& sources, ir::Diagnostics& diags)
      : sources_(&sources), diags_(&diags) {}

  // A file, a directory (files ending .yaml, .yml or .json, recursively, in name order)
  // or "-" for standard input (read once).
  void add_path(const std::string& path);
  void add_text(const std::string& name, std::string text);

  const std::vector<Object>& objects() const { return objects_; }
  // Where later inputs' texts and diagnostics go.
  void attach(ir::SourceManager& sources, ir::Diagnostics& diags) {
    sources_ = &sources;
    diags_ = &diags;
  }

 private:
  static bool read_file(const std::string& path, bool regular, std::string& text);
  void add_object(const YNode& n, const std::string& file, int doc, const std::string& list_api,
                  const std::string& list_kind);

  ir::SourceManager* sources_;
  ir::Diagnostics* diags_;
  // One arena per input for its trees' children, released whole after the trees (declared
  // first, destroyed last).
  std::deque<std::pmr::monotonic_buffer_resource> arenas_;
  std::deque<std::vector<YNode>> docs_;
  std::vector<Object> objects_;
  bool stdin_read_ = false;
};

}  // namespace nv::load
