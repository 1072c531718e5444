// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)
// lowered to the IR: ANPs in the `kube-admin` tier ordered by priority, the BANP in the
// `kube-baseline` tier.
#pragma once

#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "ir/model.h"

namespace nv::anp {

// Adds the policy and its tier to `ps`. Envelope checks (names, duplicates, API version)
// are done by the caller.
void lower_policy(load::Ctx& ctx, const load::Object& obj, ir::PolicySet& ps);

}  // namespace nv::anp
