// A Calico rule's `http` match (HTTPMatch) to the IR's L7 constraint (http.cpp).
#pragma once

#include <optional>
#include <string>

#include "compiler/load/fields.h"
#include "ir/model.h"

namespace nv::calico {

// Where the rule's `http` sits, and what the rest of the rule says, for upstream's
// placement checks (validator.go validateRule, validate{Global,}NetworkPolicy).
struct HttpPlacement {
  ir::Action action = ir::Action::Allow;
  bool has_action = false;  // an action was read (a missing one is reported elsewhere)
  ir::Direction direction = ir::Direction::Ingress;
  std::optional<int> protocol;  // the rule's `protocol`, if set
  const load::YNode* protocol_node = nullptr;
};

// Lowers `node` (the value of `<path>.http`; `key` is its key node, for placement errors)
// to an L7 constraint with one HTTP rule. Reports NV5030 (content Calico rejects) and
// NV5043 (http where Calico rejects it) and returns nullopt on any error.
std::optional<ir::L7Match> lower_http(load::Ctx& ctx, const load::YNode& node,
                                      const load::YNode& key, const std::string& path,
                                      const HttpPlacement& where);

}  // namespace nv::calico
