// Cilium frontend (cilium.io/v2): CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy
// lowered to the IR.
#pragma once

#include <string>

#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "ir/model.h"

namespace nv::cilium {

// Adds the policy (its allow part to the `default` tier, its deny part to the
// `cilium-deny` tier) to `ps`; `ns` is empty for CiliumClusterwideNetworkPolicy.
// Envelope checks (names, duplicates, API version) are done by the caller.
void lower_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns, ir::PolicySet& ps);

}  // namespace nv::cilium
