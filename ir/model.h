// The common policy IR. Every dialect (Kubernetes NetworkPolicy, AdminNetworkPolicy,
// Calico, Cilium) lowers to these value types; every consumer (evaluator, matrix,
// verifier, rule compiler) reads only these.
//
// Semantics in one paragraph: policies are grouped in tiers, visited in tier order.
// For an endpoint and a direction, a tier is visited only if some policy of the tier
// that selects the endpoint isolates that direction. Within a visited tier, the rules of
// the selecting policies are tried in (policy order, rule order): the first matching
// Allow or Deny decides, Pass leaves the tier, Log records and goes on. A visited tier
// that ends undecided applies its default action (Deny, or Pass to the next tier).
// After the last tier, traffic is allowed. A connection needs its source's egress and
// its destination's ingress to allow it.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/ip.h"
#include "ir/regex.h"
#include "ir/selector.h"

namespace nv::ir {

enum class Direction : uint8_t { Ingress = 0, Egress = 1 };
inline constexpr std::array<Direction, 2> kDirections = {Direction::Ingress, Direction::Egress};
const char* name(Direction d);  // "ingress" / "egress"

enum class Action : uint8_t { Allow, Deny, Pass, Log };
const char* name(Action a);  // "allow", "deny", "pass", "log"

// IP protocol numbers; kAnyProto matches every protocol.
inline constexpr int kAnyProto = -1;
inline constexpr int kICMP = 1, kTCP = 6, kUDP = 17, kICMPv6 = 58, kSCTP = 132;
std::string proto_name(int proto);  // "TCP", "UDP", "SCTP", "ANY", or the number
std::optional<int> parse_proto(std::string_view text);  // case-insensitive names

// ICMP and ICMPv6 have no ports: their packets carry the ICMP header's first two bytes,
// type << 8 | code, where other protocols carry the destination port (a PortMatch of
// protocol ICMP/ICMPv6 with lo..hi restricts type and code; nft `@th,0,16`). A PortMatch
// of every protocol (kAnyProto) with a port range sees an ICMP packet as port 0, as every
// other protocol without ports.
inline bool is_icmp(int proto) { return proto == kICMP || proto == kICMPv6; }
inline constexpr uint16_t icmp_port(int type, int code) {
  return static_cast<uint16_t>((type & 255) << 8 | (code & 255));
}
// "TCP/80", "ICMP type 8 code 0", "proto 47": a packet's protocol and port in words.
std::string packet_port_str(int proto, uint16_t port);

// One protocol and either a port range or a named port.
struct PortMatch {
  int proto = kAnyProto;
  uint16_t lo = 0, hi = 65535;  // inclusive; ignored when `named` is set
  std::string named;            // resolved against the destination pod's container ports

  bool operator==(const PortMatch&) const = default;
  bool all_ports() const { return named.empty() && lo == 0 && hi == 65535; }
  std::string str() const;  // "TCP/80", "UDP/1000-2000", "TCP/http", "ANY", "ICMP/type 8"
};

// What kind of endpoint a packet's source or destination is.
enum class EndpointKind : uint8_t {
  Pod = 1,       // a pod on the pod network, subject to policy
  External = 2,  // an address outside the cluster's pods and nodes
  Host = 4,      // a node, or a hostNetwork pod (seen as its node)
};
using KindMask = uint8_t;
inline constexpr KindMask kAllKinds = 7;
inline constexpr KindMask mask(EndpointKind k) { return static_cast<KindMask>(k); }

// An address range: cidr minus its excepts.
struct CidrBlock {
  Cidr cidr;
  std::vector<Cidr> except;

  bool operator==(const CidrBlock&) const = default;
  bool contains(const IpAddr& a) const;
  std::string str() const;
};

// A set of endpoints, as a conjunction of constraints; an unset constraint is no constraint.
struct Peer {
  KindMask kinds = kAllKinds;
  std::optional<std::string> ns_name;           // pods of this namespace only
  std::optional<Selector> ns_selector;          // pods whose namespace's labels match
  std::optional<Selector> pod_selector;         // pods whose labels match
  // Host endpoints whose node's labels match. The node is the Node object named by the
  // endpoint (a Node object's address, or a hostNetwork pod's spec.nodeName); a Host
  // endpoint whose node has no Node object in the inventory has unknown labels and matches
  // no node selector (fail closed: the selector may not select it).
  std::optional<Selector> node_selector;
  std::optional<std::vector<CidrBlock>> cidrs;  // the endpoint's address is in one block
  // An FQDN destination (Cilium toFQDNs): an External endpoint whose address DNS returned
  // for a name that one of the patterns matches (whole-string, lower-case, no trailing dot).
  std::optional<std::vector<Regex>> fqdns;

  bool operator==(const Peer&) const = default;
  std::string str() const;
};

// One HTTP header a request must carry: its lower-cased name, and its exact value if set.
struct HeaderMatch {
  std::string name;
  std::optional<std::string> value;

  bool operator==(const HeaderMatch&) const = default;
};

// One HTTP rule: a request matches when every present field matches (whole-string
// regular expressions; headers all present, with their values where given).
struct HttpRule {
  std::optional<Regex> method, path, host;
  std::vector<HeaderMatch> headers;
  std::string where;  // its place in the object, e.g. "spec.ingress[0].toPorts[0].rules.http[1]"

  bool operator==(const HttpRule&) const = default;
};

// One DNS rule: the queried name (lower-case, no trailing dot) matches the pattern.
struct DnsRule {
  Regex name;
  std::string where;  // e.g. "spec.egress[0].toPorts[0].rules.dns[0]"

  bool operator==(const DnsRule&) const = default;
};

// The L7 constraint of a rule: the packet carries a request of one of these kinds that one
// of the rules matches. A packet without L7 content (a bare connection) matches none.
struct L7Match {
  std::vector<HttpRule> http;
  std::vector<DnsRule> dns;
  std::string answer;  // what the enforcer does with a request no rule matches ("403"), or empty

  bool operator==(const L7Match&) const = default;
};

struct Rule {
  Action action = Action::Allow;
  std::vector<Peer> peers;       // any of them; empty: every endpoint
  std::vector<PortMatch> ports;  // any of them; empty: every protocol and port
  std::optional<L7Match> l7;     // Allow rules only; unset: any L7 content, or none
  std::string path;              // where in the object, e.g. "spec.ingress[1]"
  SourceSpan span;

  bool operator==(const Rule&) const = default;
};

struct DirectionRules {
  bool isolates = false;  // selecting this endpoint makes its tier visited for this direction
  std::vector<Rule> rules;

  bool operator==(const DirectionRules&) const = default;
};

inline constexpr double kNoOrder = std::numeric_limits<double>::infinity();

struct Policy {
  std::string dialect;  // "k8s"
  std::string kind;     // "NetworkPolicy"
  std::string ns;       // empty for cluster-scoped policies
  std::string name;
  std::string tier;                    // the name of a Tier of the PolicySet
  double order = kNoOrder;             // within the tier, ascending; ties by (kind, ns, name)
  Peer subject;                        // the endpoints the policy applies to
  std::array<DirectionRules, 2> dirs;  // indexed by Direction
  SourceSpan span;

  bool operator==(const Policy&) const = default;
  const DirectionRules& dir(Direction d) const { return dirs[static_cast<int>(d)]; }
  DirectionRules& dir(Direction d) { return dirs[static_cast<int>(d)]; }
  std::string id() const;  // "NetworkPolicy production/web"
};

// A host policy (Cilium `nodeSelector`): its subject selects nodes by their labels, and it
// applies to node endpoints (a node's addresses, its hostNetwork pods), never to pods.
// Every other policy applies to pods only.
inline bool applies_to_hosts(const Policy& p) { return p.subject.node_selector.has_value(); }

struct Tier {
  std::string name;
  double order = kNoOrder;
  Action default_action = Action::Deny;  // Deny or Pass

  bool operator==(const Tier&) const = default;
};

// Kubernetes NetworkPolicies live in Calico's "default" tier at order 1000.
inline constexpr const char* kDefaultTier = "default";
inline constexpr double kDefaultTierOrder = 1'000'000;
inline constexpr double kK8sPolicyOrder = 1000;
// AdminNetworkPolicy and BaselineAdminNetworkPolicy tiers, named and ordered as Calico
// layers them (felix: `kube-admin` order 1000, `kube-baseline` order 10,000,000, both
// default Pass); the generic (non-Calico) layering is the same: ANP, NetworkPolicy, BANP.
inline constexpr const char* kAdminTier = "kube-admin";
inline constexpr double kAdminTierOrder = 1000;
inline constexpr const char* kBaselineTier = "kube-baseline";
inline constexpr double kBaselineTierOrder = 10'000'000;
// Cilium: deny rules of every policy win over every allow, so they sit in a tier of their
// own before `default` (default action Pass); Cilium's allow rules and Kubernetes
// NetworkPolicies share the `default` tier, where order does not matter (allows only).
inline constexpr const char* kCiliumDenyTier = "cilium-deny";
inline constexpr double kCiliumDenyTierOrder = 0;

class PolicySet {
 public:
  // Adds a tier unless one with that name exists; returns it.
  const Tier& add_tier(Tier t);
  void add(Policy p);
  // Sorts tiers and policies into evaluation order. Call once all policies are added.
  void finalize();

  const std::vector<Tier>& tiers() const { return tiers_; }
  const std::vector<Policy>& policies() const { return policies_; }
  // Indices into policies(), per tier, in evaluation order (after finalize()).
  const std::vector<std::vector<size_t>>& by_tier() const { return by_tier_; }

 private:
  std::vector<Tier> tiers_;
  std::vector<Policy> policies_;
  std::vector<std::vector<size_t>> by_tier_;
};

}  // namespace nv::ir
