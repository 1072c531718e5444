// Calico's selector language (projectcalico.org/v3), parsed into ir::Selector.
// Grammar and semantics: libcalico-go/lib/selector/{tokenizer,parser}/ upstream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/selector.h"

namespace nv::calico {

struct SelectorError {
  size_t offset = 0;    // byte offset into the selector text where the problem is
  std::string message;  // e.g. "expected `)` after `has(key`"
};

// The selector, or nullopt with `err` filled. The empty selector (only whitespace) is all().
std::optional<ir::Selector> parse_selector(std::string_view text, SelectorError* err);

}  // namespace nv::calico
