// The cluster inventory: namespaces, pods, services and nodes, as read from
// `kubectl get ns,pods,svc,nodes -A -o yaml`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/ip.h"
#include "ir/selector.h"

namespace nv::ir {

// The label every namespace carries with its own name.
inline constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

// Labels Inventory::finalize gives every pod besides its own: the name of its service
// account, and that account's labels (from the inventory's ServiceAccount objects) as
// `@serviceaccount/<key>`. No Kubernetes label key contains '@', so no pod carries them
// itself and only the dialects that select by service account reach them: Calico's
// projectcalico.org/serviceaccount, pcsa.<key> and rules' serviceAccounts, Cilium's
// io.cilium.k8s.policy.serviceaccount.
inline constexpr const char* kServiceAccountLabel = "@serviceaccount";
inline constexpr const char* kServiceAccountLabelPrefix = "@serviceaccount/";
// Whether a label key is one of those (not the pod's own).
inline bool is_service_account_key(const std::string& key) {
  return key.starts_with(kServiceAccountLabel);
}

struct Namespace {
  std::string name;
  Labels labels;  // always includes kubernetes.io/metadata.name
  SourceSpan span;
};

struct ContainerPort {
  std::string name;  // empty when unnamed
  int proto = 6;
  uint16_t port = 0;
};

struct Pod {
  std::string ns;
  std::string name;
  Labels labels;
  std::vector<IpAddr> ips;  // status.podIPs, primary first
  std::string node;
  std::string service_account = "default";
  bool host_network = false;
  std::vector<ContainerPort> ports;
  SourceSpan span;

  std::string id() const { return ns + "/" + name; }
  std::optional<IpAddr> ip(Family f) const;
  // The container port with this name and protocol, if any.
  std::optional<uint16_t> named_port(const std::string& name, int proto) const;
};

struct ServiceAccount {
  std::string ns;
  std::string name;
  Labels labels;
  SourceSpan span;
};

struct ServicePort {
  std::string name;
  int proto = 6;
  uint16_t port = 0;
  uint16_t target_port = 0;  // when the target is a number
  std::string target_name;   // when the target is a container port name
  uint16_t node_port = 0;
};

struct Service {
  std::string ns;
  std::string name;
  std::string type = "ClusterIP";
  std::optional<Labels> selector;  // absent: endpoints are managed by hand
  std::vector<IpAddr> cluster_ips;
  std::vector<ServicePort> ports;
  SourceSpan span;

  std::string id() const { return ns + "/" + name; }
};

struct Node {
  std::string name;
  Labels labels;
  std::vector<IpAddr> addresses;
  SourceSpan span;
};

class Inventory {
 public:
  std::vector<Namespace> namespaces;
  std::vector<Pod> pods;
  std::vector<Service> services;
  std::vector<Node> nodes;
  std::vector<ServiceAccount> service_accounts;

  // Sorts everything by name, adds namespaces that pods or services name but that the
  // inputs lack (with a warning), gives every pod its service-account labels (above;
  // with a warning for a pod whose account is missing when the inventory lists some
  // accounts), and builds the lookup indices.
  void finalize(Diagnostics& diags);

  const Namespace* find_namespace(const std::string& name) const;
  const Pod* find_pod(const std::string& ns, const std::string& name) const;
  const Service* find_service(const std::string& ns, const std::string& name) const;
  const Pod* find_pod_by_ip(const IpAddr& a) const;
  const Node* find_node_by_ip(const IpAddr& a) const;
  const Node* find_node(const std::string& name) const;  // by name (after finalize), or null
  // The node whose address this is: a Node object's, or a hostNetwork pod's (inventories
  // often lack Node objects, which need cluster-wide read access).
  std::optional<std::string> node_of_ip(const IpAddr& a) const;
  const Service* find_service_by_ip(const IpAddr& a) const;
  const Labels& namespace_labels(const std::string& ns) const;
  // The pods a service's selector picks, in its namespace.
  std::vector<const Pod*> endpoints(const Service& svc) const;

 private:
  void add_service_account_labels(Diagnostics& diags);

  std::unordered_map<std::string, size_t> ns_index_, pod_index_, svc_index_;
  std::unordered_map<IpAddr, size_t, IpAddrHash> pod_by_ip_, node_by_ip_, svc_by_ip_,
      host_pod_by_ip_;
};

}  // namespace nv::ir
