// Hole detection: accidental deny-all and allow-all, proved or shown with a witness.
//
// Deny-all: a policy whose allow rules can never match (NV8001); egress isolation that
// blocks DNS (NV8003); selectors no pod can satisfy (NV8004) or no pod of the inventory
// does (NV8005); rules that never decide (NV8006, NV8007). A deliberate default-deny is
// reported as a note (NV8002).
// Allow-all: rules admitting every address (NV8010, NV8011) or every pod of every
// namespace (NV8015, NV8016); ipBlocks covering the cluster's pod or service addresses
// (NV8012); empty namespaceSelectors (NV8013); the OR-instead-of-AND peer mistake (NV8014).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/inventory.h"
#include "ir/model.h"
#include "verifier/queries.h"

namespace nv::verifier {

struct Finding {
  ir::Code code;
  ir::Severity severity;
  std::string message;
  const ir::Policy* policy = nullptr;
  const ir::Rule* rule = nullptr;  // when the finding is about one rule
  ir::SourceSpan span;
  std::optional<Witness> witness;  // a packet that shows it, re-checked by the evaluator
  std::string witness_caption;     // what the witness shows
};

struct HoleOptions {
  QueryOptions query;  // solver options; the checks reason about every possible pod
  ir::Peer dns;        // the cluster DNS pods; default: kube-system, k8s-app=kube-dns
  std::string dns_text = "kube-system/k8s-app=kube-dns";
  int dns_proto = ir::kUDP;
  uint16_t dns_port = 53;
  std::vector<ir::Cidr> pod_cidrs, service_cidrs;  // besides the inventory's addresses
  bool shadowing = true;
  bool leak_solver = false;  // skip freeing the Z3 context (for a process about to exit)
  unsigned threads = 0;      // 1 or 2; 0: two from 64 policies on (tests set it)

  HoleOptions();
};

struct HoleReport {
  std::vector<Finding> findings;   // sorted by location
  std::vector<std::string> proved; // properties proved, e.g. "keeps DNS"
};

HoleReport find_holes(const ir::PolicySet& ps, const ir::Inventory& inv, const HoleOptions& opt);

}  // namespace nv::verifier
