// The IR in Z3: symbolic endpoints and packets, and the verdict of a policy set as a
// formula that mirrors the reference evaluator (ir/evaluate.cpp) step by step.
//
// A symbolic endpoint ranges over every endpoint there could ever be: its kind (pod,
// node, external address), its namespace (a name the policies mention, or one of two
// names they do not), the labels of the pod and of its namespace (for every key a
// selector mentions: absent, one of the values mentioned, or another value), its named
// container ports and its address. Pinning (pin()) restricts it to the pods of an
// inventory, grouped by what the encoding can tell apart.
//
// The verdict formula leaves out the evaluator's two shortcuts (a pod to itself, a pod
// and its own node): queries are about what policy decides. Witnesses are built with
// distinct pods on distinct nodes, where the shortcuts never apply.
#pragma once

#include <z3++.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/evaluate.h"
#include "ir/model.h"

namespace nv::verifier {

// The values one label key (or the namespace name) can take in a query: the literals
// that selectors compare it with, plus `fresh` values that equal none of them. Keys that
// string operators (contains, starts/ends with) test are Z3 strings instead.
struct ValueDomain {
  std::vector<std::string> literals;  // sorted, unique
  bool is_string = false;
  unsigned fresh = 1;

  unsigned size() const { return static_cast<unsigned>(literals.size()) + fresh; }
  unsigned width() const;  // bits of the index bit-vector
  // The index of a literal, or -1.
  int index(const std::string& v) const;
};

// The inventory's namespace names and the distinct values of every pod and namespace label
// key, indexed once: a large inventory has many pods and few distinct values, and
// translation validation builds one universe per part of the packet space.
struct InventoryValues {
  explicit InventoryValues(const ir::Inventory& inv);
  std::vector<std::string> ns_names;  // of Namespace objects and of pods
  std::map<std::string, std::set<std::string>, std::less<>> pod_values, ns_values, node_values;
};

// Everything the policies, queries and inventory mention, per address family.
struct Universe {
  ir::Family family = ir::Family::V4;
  ValueDomain ns;                               // namespace names; two fresh names
  std::map<std::string, ValueDomain> pod_keys;  // pod label keys
  std::map<std::string, ValueDomain> ns_keys;   // namespace label keys, except the name label
  // Node selectors (ir::Peer::node_selector): whether some peer has one, and the node label
  // keys they test. A node endpoint then has its Node object's labels, or no Node object.
  bool nodes = false;
  std::map<std::string, ValueDomain> node_keys;
  std::set<std::string> port_names;             // named ports
  std::vector<ir::Cidr> cidrs;                  // every CIDR and except of the family
  // L7: whether packets may carry HTTP requests and DNS queries (some rule or the scope
  // looks at them), the header names some rule or query mentions, and whether endpoints
  // may have been resolved from a DNS name (some peer is an FQDN peer).
  bool l7 = false;
  bool fqdn = false;
  std::set<std::string> header_names;

  int addr_bits() const { return family == ir::Family::V4 ? 32 : 128; }

  // Collects from policy sets and extra selectors (queries). Call finish() after adding.
  void add(const ir::PolicySet& ps);
  void add(const ir::Peer& p);
  void add_pod_selector(const ir::Selector& s);
  void add_ns_selector(const ir::Selector& s);
  void add_node_selector(const ir::Selector& s);
  // For pinning: finish() adds the inventory's names and the values of keys seen. Pass
  // `values` when building many universes over one inventory; else it is computed here.
  void add_inventory(const ir::Inventory& inv,
                     std::shared_ptr<const InventoryValues> values = nullptr);
  // A query about a request or a DNS name (its header names).
  // `any_headers`: header names the request carries with any value (Scope::http_any_headers).
  void add_request(const std::optional<ir::HttpRequest>& http, bool dns,
                   const std::set<std::string>& any_headers = {});
  void finish();

 private:
  const ir::Inventory* inventory = nullptr;
  std::shared_ptr<const InventoryValues> inventory_values;
  void add_inventory_values(const InventoryValues& values);
};

struct LabelVar {
  z3::expr has, val;
};
struct NamedPortVar {
  z3::expr has, proto, port;  // 8 and 16 bits
};

// An endpoint pinned to an inventory: `cls` picks one class of pods that the universe
// cannot tell apart (index < classes.size()), an address outside the inventory (index
// classes.size()), or one address of a node (index classes.size() + 1 + j: hosts[j]).
struct PinnedClass {
  std::vector<const ir::Pod*> pods;  // all of the class; the first is its representative
};
struct PinTable {
  z3::expr cls;
  std::vector<PinnedClass> classes;
  const ir::Inventory* inv = nullptr;  // the pods' inventory
  std::vector<ir::Endpoint> hosts;     // Host endpoints, one per node address
};

// A few concrete endpoints, one of which an endpoint is, told apart by a bit-vector
// index (see Encoder::pin_indexed).
struct IndexedChoices {
  z3::expr index;
  std::vector<ir::Endpoint> choices;
  const ir::Inventory* inv;
};

struct SymEndpoint {
  std::string name;  // prefix of its Z3 constants, e.g. "src"
  z3::expr is_pod, is_host, is_ext;
  z3::expr ns;
  std::map<std::string, LabelVar> labels, ns_labels;
  // A node endpoint (is_host): whether its node has a Node object (constant false when the
  // universe has no node selector), and that object's labels.
  z3::expr has_node;
  std::map<std::string, LabelVar> node_labels;
  std::map<std::string, NamedPortVar> ports;
  z3::expr addr;
  // The DNS name the address was resolved from (External only); false when the universe
  // has no FQDN peer.
  z3::expr has_fqdn, fqdn;
  std::shared_ptr<PinTable> pinned;  // set by Encoder::pin
  // Set by Encoder::pin_indexed: the endpoint is choices[i] when index == i, and the
  // encoding asks ir::matches about each choice instead of testing symbolic attributes.
  std::shared_ptr<const IndexedChoices> indexed;
};

// The L7 content of a packet: an HTTP request, a DNS query, or neither (a bare
// connection). has_http and has_dns are the constant false when the universe has no L7.
struct SymL7 {
  z3::expr has_http, method, path, host;
  std::map<std::string, LabelVar> headers;  // by lower-cased name
  z3::expr has_dns, dns;
};

struct SymPacket {
  SymEndpoint src, dst;
  z3::expr proto, port;  // 8 and 16 bits
  SymL7 l7;
};

class Encoder {
 public:
  Encoder(z3::context& ctx, const Universe& u);

  z3::context& ctx() { return ctx_; }
  const Universe& universe() const { return u_; }

  // Fresh constants, and the constraints that make them a possible endpoint or packet
  // (added to `facts`): one kind, values inside their domains, namespace labels a function
  // of the namespace, the name label equal to the name, distinct endpoints.
  SymPacket packet(const std::string& prefix = "");
  const std::vector<z3::expr>& facts() const { return facts_; }
  z3::expr facts_conj() const;

  // Restricts both endpoints to the pods of `inv`, the addresses of its nodes (Node
  // objects and hostNetwork pods, as Host endpoints) and addresses that belong to no pod
  // or node. Pods that the universe cannot tell apart form one class; a class of one pod
  // is never both source and destination, and a larger one may be both (the destination
  // may take its second pod's address; with node addresses, either end any pod's of the
  // class). A node and its own pods, which always talk (the evaluator's node-local
  // shortcut, which the verdict formula leaves out), are never the two ends.
  // The universe must have seen the inventory (Universe::add_inventory).
  void pin(SymPacket& p, const ir::Inventory& inv);
  // Restricts an endpoint to one concrete endpoint (property tests, `query` cross-checks).
  void pin_to(SymEndpoint& e, const ir::Endpoint& c, const ir::Inventory& inv);
  void pin_packet(const SymPacket& p, int proto, uint16_t port);
  // Restricts an endpoint to one of `choices`, choices[i] when `index` (a bit-vector
  // constant or value, wide enough) is i; the index is kept below choices.size(). Each choice
  // must have an address; the endpoint's address is not tied to it here (the caller ties
  // it, e.g. through the ruleset packet's domain, firewall_z3.h with_domains). Peer
  // terms and named ports are then decided per choice by the reference evaluator
  // (ir::matches) and encoded as tests on the index: translation validation's parts,
  // whose peers are a few representative addresses, become formulas over a few index
  // bits, the protocol and the port, instead of over every label the policies test.
  void pin_indexed(SymEndpoint& e, std::vector<ir::Endpoint> choices, const z3::expr& index,
                   const ir::Inventory& inv);

  // Building blocks, each mirroring its counterpart in ir/evaluate.cpp.
  z3::expr selector(const ir::Selector& s, const std::map<std::string, LabelVar>& labels,
                    const std::map<std::string, ValueDomain>& doms, const z3::expr* ns_name);
  z3::expr peer(const ir::Peer& p, const SymEndpoint& e);
  z3::expr port_match(const ir::PortMatch& pm, const SymPacket& pkt);
  z3::expr rule(const ir::Rule& r, const SymEndpoint& peer, const SymPacket& pkt);
  z3::expr l7(const ir::L7Match& m, const SymPacket& pkt);
  z3::expr http_rule(const ir::HttpRule& h, const SymPacket& pkt);
  // Restricts the packet's L7 content to exactly `http` / `dns` (`query` flags); nullopt
  // for both: a bare connection.
  void pin_l7(const SymPacket& p, const std::optional<ir::HttpRequest>& http,
              const std::optional<std::string>& dns, const std::set<std::string>& any_headers = {});
  // Whether `dir` of the policy set allows the packet (the evaluator's evaluate_side).
  z3::expr side(const ir::PolicySet& ps, ir::Direction dir, const SymPacket& pkt);
  // Egress of the source and ingress of the destination.
  z3::expr allowed(const ir::PolicySet& ps, const SymPacket& pkt);

  z3::expr in_cidr(const z3::expr& addr, const ir::Cidr& c);
  z3::expr in_block(const z3::expr& addr, const ir::CidrBlock& b);
  z3::expr ns_is(const SymEndpoint& e, const std::string& name);
  z3::expr lit(const ValueDomain& d, const std::string& v);
  z3::expr addr_val(const ir::IpAddr& a);

 private:
  z3::context& ctx_;
  const Universe& u_;
  std::vector<z3::expr> facts_;

  SymEndpoint endpoint(const std::string& name);
  SymL7 l7_vars(const std::string& prefix);
  z3::expr value_var(const ValueDomain& d, const std::string& name);
  z3::expr label_atom(const ir::Selector& s, const LabelVar& lv, const ValueDomain& d);
  void pin_endpoint(SymEndpoint& e, const std::vector<PinnedClass>& classes,
                    const std::vector<ir::Endpoint>& hosts, const std::vector<ir::IpAddr>& taken,
                    const ir::Inventory& inv);
  z3::expr pod_is(const SymEndpoint& e, const ir::Pod& pod, const ir::Inventory& inv);
  // The packet's protocol and port are one of the pod's container ports named `name`.
  z3::expr named_port_is(const ir::Pod& pod, const std::string& name, const SymPacket& pkt);
  // The index is one of `which` (sorted): comparisons on runs of consecutive indices.
  z3::expr index_in(const IndexedChoices& c, const std::vector<size_t>& which);
  // A node endpoint of node `node` (its Node object's labels, or none).
  z3::expr host_is(const SymEndpoint& e, const std::string& node, const ir::Inventory& inv);
};

// An address as a 32- or 128-bit vector, network order (as backends::addr_value).
z3::expr addr_val(z3::context& ctx, const ir::IpAddr& a);

}  // namespace nv::verifier
