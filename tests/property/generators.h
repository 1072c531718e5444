// rapidcheck generators: random inventories and random IR policy sets, including every
// selector operator, CIDR excepts, named ports, and Deny/Pass/Log actions across tiers.
#pragma once

#include <rapidcheck.h>

#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::test {

struct World {
  ir::Inventory inventory;
  ir::PolicySet policies;
};

// Small label and port vocabularies, so that selectors often match.
rc::Gen<ir::Labels> gen_labels();
rc::Gen<ir::Selector> gen_selector(int depth = 2);
rc::Gen<ir::Peer> gen_peer(const std::vector<std::string>& namespaces);
rc::Gen<ir::PortMatch> gen_port_match();
// A world; `k8s_only` restricts policies to what Kubernetes NetworkPolicy can say.
rc::Gen<World> gen_world(bool k8s_only);

}  // namespace nv::test
