// Calico's selector language (projectcalico.org/v3), parsed into ir::Selector.
// Grammar and semantics: libcalico-go/lib/selector/{tokenizer,parser}/ upstream (the
// exact files and commits read are cited in selector.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ir/diagnostic.h"
#include "ir/selector.h"

namespace nv::calico {

// Deepest nesting accepted: of parentheses in the text, and of the parsed selector tree.
// Upstream has no limit; netverify refuses deeper selectors (NV5002) so that neither the
// parser nor ir::Selector's recursive functions can exhaust the stack.
inline constexpr int kMaxSelectorDepth = 256;

struct SelectorError {
  size_t offset = 0;    // byte offset into the selector text where the problem is
  std::string message;  // e.g. "expected `)` after `has(key`"
  // NV5001: the text is not a selector upstream accepts.  NV5002: upstream would accept
  // it, but it nests deeper than kMaxSelectorDepth.
  ir::Code code = ir::Code::NV5001;
};

// The selector, or nullopt with `err` filled. The empty selector (only whitespace) is all().
// `global()` is all() here: upstream's GlobalNode.Evaluate returns true for any labels.
std::optional<ir::Selector> parse_selector(std::string_view text, SelectorError* err);

// What parse_selector substitutes for the two label-free functions. Upstream evaluates both
// as true, but where a selector is a rule's `namespaceSelector`, Calico rewrites the
// selector's canonical text (libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go,
// getEndpointSelector): `all()` becomes `has(projectcalico.org/namespace)` and `global()`
// becomes `!has(projectcalico.org/namespace)`, evaluated on the endpoint's labels. A caller
// that models this passes those selectors here. The empty text parses to all() and so gets
// `all_as` too (upstream: a non-empty namespaceSelector of blanks parses to all() and is
// rewritten; an empty one is not a namespaceSelector at all, which is the caller's check).
struct SelectorOptions {
  std::optional<ir::Selector> all_as;     // replaces every all(), and the empty selector
  std::optional<ir::Selector> global_as;  // replaces every global()
};

// Where the text used the label-free functions (first occurrence), for callers that refuse
// or treat them specially.
struct SelectorInfo {
  std::optional<size_t> all_offset;     // first `all()`
  std::optional<size_t> global_offset;  // first `global()`
};

std::optional<ir::Selector> parse_selector(std::string_view text, const SelectorOptions& options,
                                           SelectorError* err, SelectorInfo* info = nullptr);

}  // namespace nv::calico
