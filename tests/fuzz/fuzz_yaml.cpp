// The YAML/JSON loader on arbitrary bytes: no crash, no hang, bounded memory; and the fast
// reader, wherever it answers, must produce exactly yaml-cpp's tree (differential).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory_resource>
#include <string>

#include "compiler/load/fast_yaml.h"
#include "compiler/load/yaml_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nv::load::ParseLimits limits;
  limits.max_alias_bytes = size_t{16} << 20;
  nv::ir::Diagnostics diags;
  std::pmr::monotonic_buffer_resource arena, first, second;
  auto docs = nv::load::parse_yaml(text, "f.yaml", diags, arena, limits);
  for (const auto& d : diags.all())
    if (d.span.line < 0 || d.span.col < 0) __builtin_trap();

  // Read on two threads (split at any size here), the answer is the one-piece reader's.
  bool dup_whole = false, dup_split = false;
  auto fast = nv::load::parse_yaml_fast(text, arena, &dup_whole);
  auto split = nv::load::parse_yaml_fast_split(text, first, &second, &dup_split, 0);
  if (fast.has_value() != split.has_value() ||
      (fast && (dup_whole != dup_split || fast->size() != split->size()))) {
    std::fprintf(stderr, "the split reader answers otherwise\n");
    __builtin_trap();
  }
  if (!fast) return 0;
  for (size_t i = 0; i < fast->size(); ++i) {
    std::string diff = nv::load::tree_difference((*fast)[i], (*split)[i]);
    if (!diff.empty()) {
      std::fprintf(stderr, "the split reader differs: %s\n", diff.c_str());
      __builtin_trap();
    }
  }
  nv::ir::Diagnostics ref_diags;
  auto ref = nv::load::parse_yaml_cpp(text, "f.yaml", ref_diags, arena, limits);
  if (ref_diags.has_errors()) {
    std::fprintf(stderr, "fast reader accepted what yaml-cpp rejects: %s\n",
                 ref_diags.all()[0].message.c_str());
    __builtin_trap();
  }
  std::vector<const nv::load::YNode*> a, b;
  for (const auto& d : *fast)
    if (!d.is_null()) a.push_back(&d);
  for (const auto& d : ref)
    if (!d.is_null()) b.push_back(&d);
  if (a.size() != b.size()) {
    std::fprintf(stderr, "document count %zu vs %zu\n", a.size(), b.size());
    __builtin_trap();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    std::string diff = nv::load::tree_difference(*a[i], *b[i]);
    if (!diff.empty()) {
      std::fprintf(stderr, "fast reader differs from yaml-cpp: %s\n", diff.c_str());
      __builtin_trap();
    }
  }
  return 0;
}
