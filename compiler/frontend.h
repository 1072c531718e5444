// From loaded objects to IR: routes each object to its dialect's frontend.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/frontends/k8s/k8s.h"
#include "compiler/load/inputs.h"
#include "ir/inventory.h"
#include "ir/model.h"

namespace nv {

struct LoadOptions {
  std::string default_namespace = "default";
  k8s::Options k8s;
};

struct LoadStats {
  std::map<std::string, int> skipped;  // "apps/v1 Deployment" -> count
  int namespace_defaulted = 0;
  int policies_in_inventory = 0;
  int inventory_in_policies = 0;
  int finished_pods = 0;

  // Human-readable notes (one per line) about what was skipped or defaulted.
  std::string notes(const std::string& default_namespace) const;
};

// Policies from `objects`. Kinds of policy dialects this build does not support are
// errors (refused, never ignored); inventory kinds and other kinds are skipped and counted.
void load_policies(const std::vector<load::Object>& objects, const LoadOptions& opt,
                   ir::PolicySet& ps, ir::Diagnostics& diags, LoadStats& stats);

// Namespaces, pods, services and nodes from `objects`; everything else is skipped.
// Call inv.finalize() afterwards.
void load_inventory(const std::vector<load::Object>& objects, const LoadOptions& opt,
                    ir::Inventory& inv, ir::Diagnostics& diags, LoadStats& stats);

}  // namespace nv
