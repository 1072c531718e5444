// Calico's selector parser: any text parses or fails with an in-range offset and a
// selector code; a parsed selector prints to text that parses back to the same selector.
//
// The round trip is exact (ir::Selector ==) because the parser builds canonical selectors:
// conjunctions and disjunctions flattened through ir::Selector::conj/disj (so str()'s
// parenthesization reads back the same tree), double negations removed (str() prints
// Not(Not(x)) as `!!x`, which upstream's grammar reads as x), set values sorted and unique,
// and the parsed tree bounded in depth (kMaxSelectorDepth) so that str(), which may need more
// parentheses than the input had, stays within the parser's limit. Values never hold both
// quote characters (the grammar has no escapes), so str()'s quoting always reads back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/frontends/calico/selector.h"

namespace {

void check_error(const std::string& text, const nv::calico::SelectorError& err) {
  if (err.offset > text.size() || err.message.empty()) __builtin_trap();
  if (err.code != nv::ir::Code::NV5001 && err.code != nv::ir::Code::NV5002) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nv::calico::SelectorError err;
  auto sel = nv::calico::parse_selector(text, &err);

  // The namespaceSelector substitutions accept and reject exactly the same texts.
  nv::calico::SelectorOptions ns{nv::ir::Selector::has("projectcalico.org/namespace"),
                                 nv::ir::Selector::negate(nv::ir::Selector::has("projectcalico.org/namespace"))};
  nv::calico::SelectorError ns_err;
  nv::calico::SelectorInfo info;
  auto ns_sel = nv::calico::parse_selector(text, ns, &ns_err, &info);
  if (sel.has_value() != ns_sel.has_value() && ns_err.code != nv::ir::Code::NV5002) __builtin_trap();
  if (info.all_offset && *info.all_offset >= text.size()) __builtin_trap();
  if (info.global_offset && *info.global_offset >= text.size()) __builtin_trap();

  if (!sel) {
    check_error(text, err);
    return 0;
  }
  std::string printed = sel->str();
  auto again = nv::calico::parse_selector(printed, &err);
  if (!again || !(*again == *sel)) __builtin_trap();
  if (again->str() != printed) __builtin_trap();
  return 0;
}
