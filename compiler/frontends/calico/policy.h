// Calico NetworkPolicy and GlobalNetworkPolicy objects to IR policies (policy.cpp).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/frontends/calico/lowering.h"
#include "compiler/frontends/calico/selector.h"
#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "ir/model.h"

namespace nv::calico {

// A selector field: parsed, or nullopt with NV5001/NV5002 reported at the error's position.
std::optional<ir::Selector> read_selector(load::Ctx& ctx, const load::YNode& n, const std::string& path,
                                         const SelectorOptions& options = {});

// A finite number (order fields); reports NV1021 / NV5013 otherwise.
std::optional<double> read_number(load::Ctx& ctx, const load::YNode& n, const std::string& path);

// Lowers one policy; `ns` is empty for a GlobalNetworkPolicy; `tiers` the tiers that exist.
// Returns the policy, as several copies with disjoint subjects when its rules constrain its
// own endpoint (own.cpp), or nothing when it has errors or does not apply to pods.
std::vector<ir::Policy> lower_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                                     const std::set<std::string>& tiers,
                                     const std::vector<NetworkSet>& sets);

}  // namespace nv::calico
