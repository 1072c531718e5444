// Kubernetes frontend: NetworkPolicy (networking.k8s.io/v1) and the inventory kinds
// (Namespace, Pod, Service, Node) lowered to the IR, validated as the API server would.
#pragma once

#include <optional>
#include <string>

#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::k8s {

struct Options {
  // NetworkPolicy ipBlock matching pod addresses is implementation-defined upstream;
  // most CNIs (Calico, kube-router, Antrea) match them, Cilium does not.
  bool ipblock_matches_pods = true;
  // hostNetwork pods are implementation-defined too: most CNIs ignore them in selectors
  // and see them as their node (false); some treat them as ordinary pods (true).
  bool host_network_as_pods = false;
};

// A metav1.LabelSelector: matchLabels AND matchExpressions. Null or `{}` selects everything.
std::optional<ir::Selector> lower_label_selector(load::Ctx& ctx, const load::YNode& node,
                                                 const std::string& path);
// metadata.labels and the like: a mapping of valid label keys to valid values.
ir::Labels lower_labels(load::Ctx& ctx, const load::YNode* node, const std::string& path,
                        bool validate);

bool valid_label_key(std::string_view key, std::string* why);
bool valid_label_value(std::string_view value, std::string* why);
bool valid_port_name(std::string_view name, std::string* why);  // IANA_SVC_NAME

// Adds the policy to `ps` (and the default tier); reports problems to ctx.diags.
void lower_network_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                          const Options& opt, ir::PolicySet& ps);

// Inventory objects. Return false when the object was skipped (for example a finished pod).
void lower_namespace(load::Ctx& ctx, const load::Object& obj, ir::Inventory& inv);
bool lower_pod(load::Ctx& ctx, const load::Object& obj, const std::string& ns, const Options& opt,
               ir::Inventory& inv);
void lower_service(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                   ir::Inventory& inv);
void lower_node(load::Ctx& ctx, const load::Object& obj, ir::Inventory& inv);
// A ServiceAccount: its labels, which Calico selects by (pcsa.<key>).
void lower_service_account(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                           ir::Inventory& inv);

}  // namespace nv::k8s
