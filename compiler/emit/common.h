// What the three emitters share: refusals, label selectors as Kubernetes requirements,
// unique object names, CIDR peers against a pinned inventory.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/emit/emit.h"
#include "compiler/emit/yaml.h"

namespace nv::emit {

// Collects refusals; each names the policy and, when given, the rule path.
class Refusals {
 public:
  void add(ir::Code code, const ir::Policy& p, const ir::Rule* r, const std::string& what);
  bool any() const { return !list_.empty(); }
  size_t size() const { return list_.size(); }
  std::vector<Refusal> take() { return std::move(list_); }

 private:
  std::vector<Refusal> list_;
};

// One matchExpressions-style requirement.
struct Requirement {
  enum class Op : uint8_t { In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;
};
using Conjunction = std::vector<Requirement>;

// A selector as a union of conjunctions of requirements (negations pushed to the atoms,
// ORs distributed); an empty union matches nothing, a union holding one empty conjunction
// matches everything. nullopt (and `why`) when an atom has no Kubernetes form (contains,
// starts with, ends with), the union would exceed `limit` terms, or it tests a pod's
// service account (ir/inventory.h): its name becomes `service_account_key` where the
// target has one, its labels have none.
std::optional<std::vector<Conjunction>> to_dnf(const ir::Selector& s, std::string* why,
                                               size_t limit = 16,
                                               const char* service_account_key = nullptr);

// matchLabels / matchExpressions with every key prefixed by `prefix` (Cilium's label
// sources). Single-valued In goes to matchLabels, the rest to matchExpressions; `{}` for an
// empty conjunction.
yaml::Node label_selector(const Conjunction& c, const std::string& prefix = "");

// A CIDR block as the targets require it (Kubernetes: each except a strict subset of the
// cidr; Cilium: inside it): excepts disjoint from the cidr dropped (they take nothing
// away), nullopt when an except covers the whole cidr (the block holds no address).
std::optional<ir::CidrBlock> emitted_block(const ir::CidrBlock& b);

// Object names: the first use of a name keeps it, later ones get -2, -3, ...
class Names {
 public:
  std::string unique(const std::string& kind, const std::string& ns, const std::string& name);

 private:
  std::map<std::string, int> used_;
};

// Whether every (none) of the pinned inventory's endpoints of `kind` (Pod or Host) has all
// (none) of its addresses inside the blocks. Unknown without an inventory.
enum class Cover : uint8_t { All, None, Some, Unknown };
Cover coverage(const std::vector<ir::CidrBlock>& blocks, ir::EndpointKind kind,
               const ir::Inventory* pin);

// The rule's ports with every named port of any protocol split into TCP, UDP and SCTP, as
// dialects whose named ports need a protocol write it. Exact: a container port's protocol
// is TCP, UDP or SCTP, in an inventory and in the verifier's symbolic pods alike
// (verifier/encode.cpp Encoder::endpoint).
std::vector<ir::PortMatch> split_named_any(const std::vector<ir::PortMatch>& ports);

// The metadata block and a document's header.
yaml::Node object(const char* api_version, const char* kind, const std::string& name,
                  const std::string& ns);
// "allow"-style names of kinds, for messages: "pods", "nodes", "external addresses".
// A rule-level construct a target cannot express: its code and what it is.
struct Problem {
  ir::Code code;
  std::string what;
};
// L7 rules and FQDN peers, for a target that has no form for them (NV4080), naming the
// construct and the target ("Kubernetes NetworkPolicy").
std::optional<Problem> l7_unsupported(const ir::Rule& r, const std::string& target);

// An IR HTTP rule as a Calico `http` match (calico_http.cpp); nullopt and `why` when the
// Calico frontend would not lower any match to exactly this rule.
std::optional<yaml::Node> calico_http(const ir::HttpRule& h, std::string& why);

std::string kinds_text(ir::KindMask k);
std::string join_docs(const std::vector<yaml::Node>& docs);
// An emitter's result: the refusals, or (when there are none) the documents joined, their
// origins, and `policies` objects counted.
Output finish_output(Refusals& refusals, const std::vector<yaml::Node>& docs,
                     std::vector<Origin> origins, int policies);

inline constexpr ir::KindMask kPod = ir::mask(ir::EndpointKind::Pod);
inline constexpr ir::KindMask kExternal = ir::mask(ir::EndpointKind::External);
inline constexpr ir::KindMask kHost = ir::mask(ir::EndpointKind::Host);

}  // namespace nv::emit
