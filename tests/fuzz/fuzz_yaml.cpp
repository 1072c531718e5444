// The YAML/JSON loader on arbitrary bytes: no crash, no hang, bounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/load/yaml_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nv::ir::Diagnostics diags;
  nv::load::ParseLimits limits;
  limits.max_alias_nodes = 200'000;
  auto docs = nv::load::parse_yaml(std::string(reinterpret_cast<const char*>(data), size), "f.yaml",
                                   diags, limits);
  for (const auto& d : diags.all())
    if (d.span.line < 0 || d.span.col < 0) __builtin_trap();
  return 0;
}
