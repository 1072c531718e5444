// Internals of the Cilium frontend, shared by its files: endpoint selectors (selector.cpp),
// L3 peers and L4 ports (peers.cpp), rules and policies (cilium.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/load/fields.h"
#include "ir/model.h"

namespace nv::cilium {

// The policy being lowered: its namespace (empty for CiliumClusterwideNetworkPolicy).
struct Scope {
  std::string ns;
  bool clusterwide() const { return ns.empty(); }
};

// A requirement on a label Cilium reserves for its special identities (`reserved:host`).
struct ReservedRequirement {
  std::string name;           // "host", "world", ...
  bool holds_when_absent;     // NotIn / DoesNotExist
  bool plain_match = false;   // matchLabels `reserved:<name>: ""`
};

// A Kubernetes LabelSelector read as a Cilium EndpointSelector (pkg/policy/api/selector.go):
// keys carry an optional label source (`k8s:app`, `any:app`, `app` are one key for pod
// labels), and a few keys are Cilium's own labels of a pod's identity:
//   io.kubernetes.pod.namespace          the pod's namespace name
//   io.cilium.k8s.namespace.labels.<k>   the label <k> of the pod's namespace
struct EndpointSelector {
  std::vector<ir::Selector> pod;  // over pod labels, ANDed
  std::vector<ir::Selector> ns;   // over namespace labels (the name is kubernetes.io/metadata.name)
  // matchLabels `k8s:io.kubernetes.pod.namespace: <value>` (kept apart: a CNP's
  // endpointSelector has it replaced by the policy's namespace, utils.go ParseToCiliumRule).
  std::optional<std::string> k8s_ns_match;
  bool names_namespace = false;   // some requirement is on io.kubernetes.pod.namespace
  bool has_ns_labels = false;     // some requirement is on io.cilium.k8s.namespace.labels.*
  bool holds_when_absent = true;  // every requirement holds for labels that are absent
  std::vector<ReservedRequirement> reserved;
  size_t requirements = 0;
};

// Reports problems and returns nullopt on any error.
std::optional<EndpointSelector> read_endpoint_selector(load::Ctx& ctx, const load::YNode& node,
                                                       const std::string& path);

// The peers of a fromEndpoints/toEndpoints selector, scoped as Cilium scopes it
// (utils.go getEndpointSelector).
std::optional<std::vector<ir::Peer>> endpoint_peers(load::Ctx& ctx, const load::YNode& node,
                                                    const std::string& path, const Scope& scope,
                                                    bool deny);

// One fromNodes/toNodes selector: the nodes (their addresses and hostNetwork pods') whose
// Node labels match; nullopt after an error.
std::optional<ir::Peer> node_peer(load::Ctx& ctx, const load::YNode& node, const std::string& path);

// The IR peers of one entity (pkg/policy/api/entity.go); nullopt after an error.
std::optional<std::vector<ir::Peer>> entity_peers(load::Ctx& ctx, const load::YNode& at,
                                                  const std::string& entity, bool deny);

// fromCIDR/toCIDR items and fromCIDRSet/toCIDRSet items.
std::optional<ir::Peer> cidr_peer(load::Ctx& ctx, const load::YNode& node);
std::optional<ir::Peer> cidr_set_peer(load::Ctx& ctx, const load::YNode& node,
                                      const std::string& path);

// One toPorts entry: its ports and, when it has L7 rules, their constraint.
struct PortRule {
  std::vector<ir::PortMatch> ports;
  std::optional<ir::L7Match> l7;
};

// One toPorts list; nullopt after an error. No ports in any entry matches nothing.
std::optional<std::vector<PortRule>> port_rules(load::Ctx& ctx, const load::YNode& list,
                                                const std::string& path, ir::Direction dir,
                                                bool deny);

// A toPorts entry's `rules` (l7.cpp): nullopt when it has no HTTP or DNS rule, or after an
// error (check the error count). `ports` are the entry's ports, for upstream's validation.
std::optional<ir::L7Match> l7_rules(load::Ctx& ctx, const load::YNode& node, const std::string& path,
                                    ir::Direction dir, const std::vector<ir::PortMatch>& ports);

// A toFQDNs list as one peer: external addresses DNS returned for a matching name.
std::optional<ir::Peer> fqdn_peer(load::Ctx& ctx, const load::YNode& list, const std::string& path);

// A peer that matches no endpoint (an entity no endpoint of the model has, or an explicitly
// empty peer list).
inline ir::Peer nothing() {
  ir::Peer p;
  p.kinds = 0;
  return p;
}

}  // namespace nv::cilium
