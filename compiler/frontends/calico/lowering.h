// The Calico frontend's pure parts: how a rule's source or destination, its protocol and
// ports, and the selectors upstream builds from them become IR peers and port matches.
// No YAML here (policy.cpp reads the objects); tests/unit/calico_test.cpp checks these
// functions against a direct evaluation of Calico's semantics on many endpoints.
//
// Calico matches peers by address: a rule selector becomes an IP set holding the addresses
// of every workload endpoint (pod) and every network set CIDR whose labels match it
// (felix/calc, libcalico-go lib/backend/syncersv1/updateprocessors). So
//   selector S      = pods matching S, or an address inside a network set matching S;
//   notSelector N   = neither: not a pod matching N, and not inside a set matching N;
//   nets / notNets  = the address is / is not inside one of the CIDRs (pods included).
// The IR has no negation: negations are expanded here into unions of positive peers.
// Host endpoints are not modelled (frontend.cpp refuses HostEndpoint objects), so nodes
// and hostNetwork pods never match a selector; they are reached through nets only.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/ip.h"
#include "ir/model.h"
#include "ir/selector.h"

namespace nv::calico {

// Labels Calico adds to endpoints (api/pkg/apis/projectcalico/v3/constants.go,
// libcalico-go/lib/backend/k8s/conversion/{constants.go,workload_endpoint_default.go}).
inline constexpr const char* kLabelNamespace = "projectcalico.org/namespace";
inline constexpr const char* kLabelOrchestrator = "projectcalico.org/orchestrator";
inline constexpr const char* kLabelServiceAccount = "projectcalico.org/serviceaccount";
inline constexpr const char* kLabelName = "projectcalico.org/name";  // on namespace profiles
inline constexpr const char* kNamespacePrefix = "pcns.";             // namespace labels
inline constexpr const char* kServiceAccountPrefix = "pcsa.";        // service account labels

// A problem that stops the lowering, with its diagnostic code.
struct Problem {
  ir::Code code;
  std::string message;
};
template <class T>
using Result = std::variant<T, Problem>;

// A NetworkSet (ns set) or GlobalNetworkSet (ns empty).
struct NetworkSet {
  std::string ns;
  std::string name;
  ir::Labels labels;  // metadata.labels as written
  std::vector<ir::Cidr> nets;
  ir::SourceSpan span;

  std::string id() const;  // "NetworkSet ns/name", "GlobalNetworkSet name"
};

// ---- Selectors over Calico endpoint labels -------------------------------------------

// Stand-ins for all() and global(), given to parse_selector (SelectorOptions) for the
// selectors upstream rewrites as text after prefixing their keys: a rule's
// namespaceSelector, a GlobalNetworkPolicy's namespaceSelector and serviceAccountSelector
// (updateprocessors/rules.go, globalnetworkpolicyprocessor.go). prefixed() replaces them.
ir::Selector all_marker();
ir::Selector global_marker();

// `sel` with every key prefixed (parser.PrefixVisitor), all_marker() replaced by
// `all_means` and global_marker() by !has(projectcalico.org/namespace).
ir::Selector prefixed(const ir::Selector& sel, const std::string& prefix, const ir::Selector& all_means);
// A raw conjunction that keeps all() members (Selector::conj drops them).
ir::Selector raw_and(ir::Selector a, ir::Selector b);

// The selector upstream builds for one side of a rule (updateprocessors/rules.go
// getEndpointSelector): the namespaceSelector with its keys prefixed `pcns.`, all() read
// as has(projectcalico.org/namespace) and global() as its negation; without one, a
// namespaced policy's `projectcalico.org/namespace == '<ns>'`; ANDed with the selector.
// The namespace part is added only when a selector, notSelector or namespaceSelector is
// given. nullopt: the side has no selector constraint.
struct SideSelectors {
  std::optional<ir::Selector> selector;
  std::optional<ir::Selector> namespace_selector;  // parsed with the markers, not prefixed
  bool has_not_selector = false;
};
std::optional<ir::Selector> scoped_selector(const SideSelectors& s, const std::string& policy_ns);

// Pods matching a selector over Calico endpoint labels, as a union of terms, each the
// conjunction of a namespace-label selector and a pod-label selector. Pod labels are the
// pod's own; `projectcalico.org/namespace` is the namespace's name; `projectcalico.org/
// orchestrator` is `k8s`; `pcns.<key>` is the namespace's label <key> and
// `pcns.projectcalico.org/name` its name. Service-account labels are refused.
struct PodTerm {
  std::optional<std::string> ns_name;
  ir::Selector ns = ir::Selector::all();
  ir::Selector pod = ir::Selector::all();
  bool operator==(const PodTerm&) const = default;
};
Result<std::vector<PodTerm>> pod_terms(const ir::Selector& sel, size_t limit = 64);
ir::Peer to_peer(const PodTerm& t);

// Whether a network set's labels match: Calico gives a namespaced set the label
// projectcalico.org/namespace and the labels of its namespace (pcns.*), which are not
// known when policies are read: Unknown when the answer depends on them.
enum class Tri : uint8_t { False, True, Unknown };
Tri matches(const ir::Selector& sel, const NetworkSet& set);

// ---- Address sets -----------------------------------------------------------------------

// A union of blocks (cidr minus excepts), normalized: excepts are strict subsets of their
// cidr, disjoint and minimal. nullopt means every address.
using AddrSet = std::optional<std::vector<ir::CidrBlock>>;
AddrSet addr_union(const std::vector<ir::Cidr>& cidrs);
AddrSet addr_complement(const std::vector<ir::Cidr>& cidrs);  // both families
AddrSet addr_family(ir::Family f);
AddrSet addr_intersect(const AddrSet& a, const AddrSet& b);

// A conjunction of two peers (nullopt: they share no endpoint).
std::optional<ir::Peer> intersect(const ir::Peer& a, const ir::Peer& b);

// ---- One side of a rule --------------------------------------------------------------

// What a rule requires of the peer (the source of an ingress rule, the destination of an
// egress rule), after scoping. Matches when every given part matches.
struct PeerSpec {
  std::optional<ir::Selector> selector;      // scoped_selector()
  std::optional<ir::Selector> not_selector;  // as written: upstream does not scope it
  std::vector<ir::Cidr> nets, not_nets;
  std::optional<ir::Family> family;  // ipVersion, or the family of the rule's CIDRs
};

// The peers whose union is exactly the endpoints `spec` matches: an empty vector for
// "every endpoint", a single peer of no kind for "no endpoint".
Result<std::vector<ir::Peer>> lower_peer(const PeerSpec& spec, const std::vector<NetworkSet>& sets,
                                         size_t limit = 256);

// ---- The policy's own endpoint (own.cpp) ----------------------------------------------

// The destination of an ingress rule, the source of an egress rule: the endpoint the policy
// applies to. Its fields are matched as the peer's (upstream converts both sides alike),
// and only pods are subjects, so a condition there is a set of pods (with the address of
// the packet's family), here a union of disjoint pod peers.
using Region = std::vector<ir::Peer>;
// The pods among lower_peer's peers (empty: every endpoint), as disjoint peers. Above
// `limit` pieces, a region of limit + 1 pieces (the caller refuses it).
Region pod_region(const std::vector<ir::Peer>& peers, size_t limit = 64);
// The pods outside `r`, as disjoint peers; above `limit` pieces as pod_region.
Region complement(const Region& r, size_t limit = 64);

// One copy of a policy: its subject, and which conditions hold for every endpoint of it.
struct OwnVariant {
  ir::Peer subject;
  std::vector<bool> holds;  // per condition
};
// The subject AND each pattern of the conditions, pieces that are certainly empty left
// out: disjoint, and together exactly the subject. More than `limit`: NV5033.
Result<std::vector<OwnVariant>> own_variants(const ir::Peer& subject,
                                             const std::vector<Region>& conditions,
                                             size_t limit = 64);

// ---- Protocol and ports ------------------------------------------------------------------

// Inclusive integer intervals, sorted and disjoint (ports, ICMP type << 8 | code).
using Intervals = std::vector<std::pair<uint32_t, uint32_t>>;
// The values of `a` not in `b`.
Intervals minus(const Intervals& a, const Intervals& b);

struct PortRange {
  uint16_t lo = 0, hi = 0;
};
struct PortSpec {
  std::optional<int> protocol, not_protocol;
  std::vector<PortRange> ports;   // destination.ports, numeric
  std::vector<std::string> named; // destination.ports, named
  std::vector<PortRange> not_ports;
};
// nullopt: every protocol and port; an empty vector: nothing (e.g. protocol TCP with
// notProtocol TCP). Named ports together with notPorts are refused (not exactly
// representable: the name's number may fall in notPorts).
Result<std::optional<std::vector<ir::PortMatch>>> lower_ports(const PortSpec& spec);

// Protocol names Calico v3 accepts (validator.go protocolRegex), with their numbers.
std::optional<int> protocol_number(const std::string& name);
bool supports_ports(int proto);  // TCP, UDP, SCTP (numorstring.Protocol.SupportsPorts)

}  // namespace nv::calico
