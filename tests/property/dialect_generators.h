// rapidcheck generators of policy TEXT in the Calico and Cilium dialects (and Kubernetes
// NetworkPolicy beside them), over the vocabulary of generators.h (namespaces ns0..ns2,
// label keys app/tier/env with values a/b/c, named ports http/dns, addresses 10.0.0.x),
// so that they select the pods of gen_world's inventories. The texts go through the real
// frontends: properties then compare what they lower to with Z3 and the kernel.
#pragma once

#include <rapidcheck.h>

#include <string>

namespace nv::test {

// Calico objects (NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet),
// sometimes with Kubernetes NetworkPolicies, as one multi-document YAML text.
rc::Gen<std::string> gen_calico_text();
// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy objects, sometimes with
// Kubernetes NetworkPolicies, as one multi-document YAML text.
rc::Gen<std::string> gen_cilium_text();

}  // namespace nv::test
