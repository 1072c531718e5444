// Calico frontend (projectcalico.org/v3): NetworkPolicy, GlobalNetworkPolicy, Tier,
// NetworkSet, GlobalNetworkSet lowered to the IR.
#pragma once

#include <string>
#include <vector>

#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "ir/model.h"

namespace nv::calico {

// One object of the run, with its effective namespace (empty for cluster-scoped kinds).
// Envelope checks (names, duplicates, API version) are done by the caller.
struct Item {
  const load::Object* obj = nullptr;
  std::string ns;
};

// Lowers every Calico object of one run together (tiers and network sets first, since
// policies refer to them). Adds the tiers it needs; reports problems to `diags`.
void lower(const std::vector<Item>& items, ir::PolicySet& ps, ir::Diagnostics& diags);

}  // namespace nv::calico
