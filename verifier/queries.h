// The verifier's questions: reach, equiv, contains, diff. Each answer is a proof or a
// witness that the reference evaluator has confirmed. IPv4 and IPv6 are both asked.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/evaluate.h"
#include "ir/inventory.h"
#include "ir/model.h"
#include "verifier/solver.h"
#include "verifier/witness.h"

namespace nv::verifier {

struct QueryOptions {
  SolverOptions solver;
  const ir::Inventory* pin = nullptr;  // endpoints are this inventory's pods (--cluster)
  std::vector<ir::Family> families = {ir::Family::V4, ir::Family::V6};
  // Prefer readable witness values (small ports, the inventory's labels, short strings).
  // Off: any witness the solver finds (still rechecked by the evaluator), without the
  // extra checks, which can take seconds each when strings are in play.
  bool readable_witness = true;
};

// Which packets a question is about; an unset field is no constraint.
struct Scope {
  std::optional<ir::Peer> from, to;
  std::optional<int> proto;
  std::optional<uint16_t> port;
  std::optional<uint16_t> port_hi = std::nullopt;  // with `port`: port..port_hi (ICMP type)
  // L7 content: when `l7_pinned`, exactly this request or query (neither: a bare
  // connection); otherwise any L7 content or none.
  bool l7_pinned = false;
  std::optional<ir::HttpRequest> http = std::nullopt;
  // With `http`: headers (lower-case names) that the request carries with some value,
  // any value: a question about them is one about every value at once.
  std::set<std::string> http_any_headers = {};
  std::optional<std::string> dns = std::nullopt;
};

struct ReachResult {
  enum class Answer { Allowed, Denied, Depends, NoSuchTraffic };
  Answer answer = Answer::NoSuchTraffic;
  std::optional<Witness> allowed, denied;  // an example of each, when there is one
};
ReachResult reach(const ir::PolicySet& ps, const Scope& scope, const QueryOptions& opt);

// equiv: A and B admit the same packets. contains: every packet B admits, A admits.
enum class Relation { Equiv, Contains };
struct CompareResult {
  bool holds = true;
  std::optional<Witness> witness;  // a packet on which they differ
  bool a_allows = false;           // the witness's verdict under A (B's is the opposite)
};
CompareResult compare(const ir::PolicySet& a, const ir::PolicySet& b, Relation rel,
                      const Scope& scope, const QueryOptions& opt);

// A set of packets described by constraints on its source, destination, protocol and
// port, each a short phrase ("pod in namespace production with app=web").
struct Region {
  std::string from, to, traffic;
  Witness example;
  std::string families;  // "IPv4", "IPv6", "IPv4 and IPv6"
  std::string text() const;
};
struct DiffResult {
  std::vector<Region> opened, closed;  // newly allowed by B; newly denied by B
  bool opened_truncated = false, closed_truncated = false;
};
DiffResult diff(const ir::PolicySet& a, const ir::PolicySet& b, const Scope& scope,
                const QueryOptions& opt, size_t max_regions = 8);

}  // namespace nv::verifier
