// From loaded objects to IR: routes each object to its dialect's frontend.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/frontends/k8s/k8s.h"
#include "compiler/load/inputs.h"
#include "ir/inventory.h"
#include "ir/model.h"

namespace nv {

// Which dataplane's semantics the policies are evaluated with. Each CNI layers the
// dialects it reads in its own way (README "Dialects and CNIs").
enum class Cni : uint8_t {
  Auto,     // Calico when Calico objects are present, Cilium when Cilium ones are, else Generic
  Generic,  // Kubernetes NetworkPolicy with AdminNetworkPolicy and BaselineAdminNetworkPolicy
  Calico,   // Calico v3 policies, with Kubernetes NetworkPolicy, ANP and BANP as Calico layers them
  Cilium,   // Cilium policies with Kubernetes NetworkPolicy (ipBlock never matches pods)
};
const char* name(Cni c);  // "auto", "generic", "calico", "cilium"

struct LoadOptions {
  std::string default_namespace = "default";
  Cni cni = Cni::Auto;
  // NetworkPolicy ipBlock and pod addresses, overriding k8s.ipblock_matches_pods; unset
  // means the CNI's behaviour (Cilium does not match pod addresses, the others keep k8s's).
  std::optional<bool> ipblock_matches_pods;
  k8s::Options k8s;
};

struct LoadStats {
  Cni cni = Cni::Generic;              // the CNI the policies were evaluated as (after Auto)
  std::map<std::string, int> skipped;  // "apps/v1 Deployment" -> count
  int namespace_defaulted = 0;
  int policies_in_inventory = 0;
  int policies_from_cluster = 0;  // used because no policy inputs were given
  int inventory_in_policies = 0;
  int finished_pods = 0;

  // Adds o's counts to these (not its cni).
  void add(const LoadStats& o);
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

// Everything read for one run: sources (for quoting lines), diagnostics, the IR.
struct Workspace {
  ir::SourceManager sources;
  ir::Diagnostics diags;
  ir::PolicySet policies;
  ir::Inventory inventory;
  LoadStats stats;

  // Step 1: parse. Policies come from `policy_paths`, the inventory from `cluster_paths`
  // (files, directories, "-" for stdin). With no policy paths at all, the policies found
  // in the cluster inputs are used (a `kubectl get ns,pods,svc,netpol -A -o yaml` snapshot
  // answers as the cluster is); given policy paths replace them.
  void read(const std::vector<std::string>& policy_paths,
            const std::vector<std::string>& cluster_paths);
  // The same from texts (tests, fuzzing); names appear in diagnostics.
  void read_texts(const std::string& policies, const std::string& cluster);
  // Step 2: lower to IR, finalize, and free the YAML trees. The policies are lowered on
  // another thread while the inventory is.
  void lower(const LoadOptions& opt);

 private:
  std::unique_ptr<load::InputSet> policy_inputs_, cluster_inputs_;
  bool policies_from_cluster_ = false;
  void make_inputs();
};

}  // namespace nv
