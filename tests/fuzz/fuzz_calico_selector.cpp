// Calico's selector parser: any text parses or fails with an in-range offset; a parsed
// selector prints to text that parses back to the same selector.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/frontends/calico/selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nv::calico::SelectorError err;
  auto sel = nv::calico::parse_selector(text, &err);
  if (!sel) {
    if (err.offset > text.size()) __builtin_trap();
    return 0;
  }
  auto again = nv::calico::parse_selector(sel->str(), &err);
  if (!again || !(*again == *sel)) __builtin_trap();
  return 0;
}
