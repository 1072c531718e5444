// Kernel tests: a cluster's nodes and pods as Linux network namespaces, wired the way a
// routed CNI (Calico) wires them, so that a node's compiled ruleset filters real packets
// in its forward path.
//
// One namespace per node and per pod, all named `nvk<pid>-<topology>-...` so that runs of
// the tests never collide and a crashed run's leftovers can be recognised (and removed:
// remove_stale()). Per pod a veth: the pod side carries the pod's addresses as /32 and
// /128 and a default route via 169.254.1.1 (IPv4, onlink) and fe80::1 (IPv6); the node
// side carries fe80::1, proxy_arp, and the /32 and /128 routes to the pod; 169.254.1.1
// lives on the node's lo (this kernel has no dummy link driver). Nodes are joined by one
// veth per pair; each node routes the other nodes' pod and host addresses over it.
// hostNetwork pods are addresses on their node's lo.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/inventory.h"

namespace nv::kernel {

struct RunResult {
  int status = -1;  // the exit status, or 128 + signal
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (found on PATH) with `input` on its stdin, inside the network namespace
// `netns_fd` when it is not -1. Never throws for a failing program; throws when it cannot
// be started.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "", int netns_fd = -1);

// One named network namespace (/run/netns/<name>), removed by the destructor.
class Netns {
 public:
  explicit Netns(std::string name);  // throws std::runtime_error
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }
  // Writes /proc/sys/<key> as seen from inside this namespace ("net/ipv4/ip_forward").
  void sysctl(const std::string& key, const std::string& value) const;
  RunResult exec(const std::vector<std::string>& argv, const std::string& input = "") const {
    return run(argv, input, fd_);
  }
  // `ip -batch -` in this namespace; throws with the output when a command fails.
  void ip_batch(const std::string& commands) const;

 private:
  std::string name_;
  int fd_ = -1;
};

// Enters a network namespace on the calling thread; the destructor returns to the
// namespace the thread was in. Sockets created in between stay in `fd`'s namespace.
class EnterNetns {
 public:
  explicit EnterNetns(int fd);
  ~EnterNetns();
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  int saved_ = -1;
};

struct NodeSlot {
  std::string name;
  std::unique_ptr<Netns> ns;
  std::vector<ir::IpAddr> host_addrs;  // Node addresses and hostNetwork pod addresses, on lo
};

// A host outside the cluster (an address no pod or node of the inventory has), attached
// to a node like a pod: the evaluator sees it as an External endpoint.
struct ExternalHost {
  std::string node;
  std::vector<ir::IpAddr> ips;
};

struct PodSlot {
  // "ns/name", "node/<name>" (a Node's own addresses) or "external/<first address>".
  std::string id;
  // Into the inventory the topology was built from; null for nodes and externals.
  const ir::Pod* pod = nullptr;
  size_t node = 0;  // index into nodes()
  bool host = false;  // hostNetwork: lives in the node's namespace
  std::unique_ptr<Netns> own_ns;  // null for hostNetwork pods
  std::vector<ir::IpAddr> ips;

  std::optional<ir::IpAddr> ip(ir::Family f) const;
};

class Topology {
 public:
  // Every node that a pod or a Node object names (1 to 8 of them), every pod that has an
  // address. Addresses must lie in 198.18.0.0/15, 192.0.2.0/24 or 2001:db8::/32 (the
  // test never touches an address that could be real). Throws std::runtime_error with
  // the failing command's output.
  // `extra_nodes`: nodes to build even when no pod or Node object names them.
  // pods() lists the pods, then one slot per Node object with addresses that no
  // hostNetwork pod has (host = true, in its node's namespace), then
  // `externals`: hosts outside the cluster.
  explicit Topology(const ir::Inventory& inv, const std::vector<std::string>& extra_nodes = {},
                    const std::vector<ExternalHost>& externals = {});
  ~Topology();

  const std::vector<NodeSlot>& nodes() const { return nodes_; }
  const std::vector<PodSlot>& pods() const { return pods_; }
  const NodeSlot& node(const std::string& name) const;
  const PodSlot* pod(const std::string& id) const;
  // The namespace a pod's sockets live in (its node's for hostNetwork pods).
  const Netns& netns_of(const PodSlot& p) const { return p.host ? *nodes_[p.node].ns : *p.own_ns; }

  // Removes every rule, set and ipset from each node's namespace and flushes conntrack.
  void reset_firewalls() const;
  void flush_conntrack() const;

  // The prefix of this process's namespaces, "nvk<pid>-".
  static std::string prefix();
  // Deletes the namespaces of earlier runs whose process is gone; returns how many.
  static int remove_stale();
  // Installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers that delete this process's namespaces.
  static void install_signal_cleanup();

 private:
  std::vector<NodeSlot> nodes_;
  std::vector<PodSlot> pods_;
};

// True for addresses the kernel tests may use (see Topology).
bool allowed_test_address(const ir::IpAddr& a);

}  // namespace nv::kernel
