// The reference evaluator: the verdict for one packet, with the reason on each side.
// Deliberately small and direct; it is the oracle every other component is tested against.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::ir {

struct Endpoint {
  EndpointKind kind = EndpointKind::External;
  const Pod* pod = nullptr;  // set for pods, and for hostNetwork pods (kind Host)
  std::string node;          // the node of a pod or of a Host endpoint
  std::optional<IpAddr> addr;
  std::optional<std::string> fqdn;  // External only: the name DNS resolved to this address

  // A pod endpoint (Host when the pod uses the host network), with its address of `family`.
  static Endpoint of_pod(const Pod& p, Family family);
  // An address: the pod or node that owns it, or an external endpoint.
  static Endpoint of_ip(const Inventory& inv, const IpAddr& a);
  std::string str() const;  // "ns/pod", "node node-1 (10.0.0.1)", "203.0.113.9"
};

// An HTTP request: header names lower-cased. `path` is the request target as Envoy's
// `:path` holds it (query string included); `host` the `:authority` (Host header).
struct HttpRequest {
  std::string method, path, host;
  std::map<std::string, std::string> headers;

  bool operator==(const HttpRequest&) const = default;
  std::string str() const;  // "GET http://host/path"
};

// A packet, or a connection: with an HTTP request or a DNS query on it, or bare (no L7
// content: no L7 rule matches it).
struct Packet {
  Packet() = default;
  Packet(Endpoint s, Endpoint d, int pr = kTCP, uint16_t po = 0)
      : src(std::move(s)), dst(std::move(d)), proto(pr), port(po) {}

  Endpoint src, dst;
  int proto = kTCP;
  uint16_t port = 0;
  std::optional<HttpRequest> http;
  std::optional<std::string> dns_query;  // lower-case, no trailing dot
};

// How one direction (the source's egress, the destination's ingress) decided.
struct SideDecision {
  enum class Kind : uint8_t {
    NotEnforced,  // the endpoint is not a pod that policy applies to
    NotIsolated,  // no policy isolates the endpoint in this direction
    Rule,         // a rule decided (Allow or Deny)
    TierDefault,  // a visited tier ended undecided and its default action is Deny
    PassedAll,    // every visited tier passed; traffic falls through to allow
  };
  Kind kind = Kind::NotEnforced;
  bool allowed = true;
  const Policy* policy = nullptr;        // Kind::Rule
  const Rule* rule = nullptr;            // Kind::Rule
  const Tier* tier = nullptr;            // Kind::Rule and Kind::TierDefault
  std::vector<const Policy*> isolating;  // policies that isolate, in the last tier visited
  std::vector<const Rule*> logged;       // Log rules that matched on the way
  std::vector<const Rule*> l7_missed;    // rules whose L3/L4 part matched but not their L7 part
  struct Passed {
    const Policy* policy;
    const Rule* rule;
    const Tier* tier;
  };
  std::vector<Passed> passed;  // Pass rules that handed the packet on to the next tier
};

struct Verdict {
  enum class Shortcut : uint8_t { None, Self, NodeLocal };
  bool allowed = true;
  Shortcut shortcut = Shortcut::None;  // decided before policy: a pod to itself, or node-local
  SideDecision egress, ingress;
};

bool matches(const Peer& peer, const Endpoint& e, const Inventory& inv);
bool matches(const PortMatch& pm, int proto, uint16_t port, const Endpoint& dst);
bool matches(const Rule& rule, const Endpoint& peer, const Packet& pkt, const Inventory& inv);
bool matches(const HttpRule& r, const HttpRequest& req);
// The L7 part alone: the index of the matching HTTP or DNS rule, or nullopt.
std::optional<size_t> l7_match(const L7Match& l7, const Packet& pkt);

// Every node address of `f` in the inventory (Node objects' addresses, hostNetwork pods'),
// once each, in address order, as Host endpoints (Endpoint::of_ip).
std::vector<Endpoint> host_endpoints(const Inventory& inv, Family f);

// Traffic between a pod and its own node is always allowed (Kubernetes docs): true when
// one side is a Host endpoint and the other a pod on that node.
bool node_local(const Endpoint& a, const Endpoint& b);

SideDecision evaluate_side(const PolicySet& ps, const Inventory& inv, Direction dir,
                           const Packet& pkt);
Verdict evaluate(const PolicySet& ps, const Inventory& inv, const Packet& pkt);

// The verdict in words: one line per direction, with policy, rule path and location.
std::string explain(const Verdict& v, const Packet& pkt);

}  // namespace nv::ir
