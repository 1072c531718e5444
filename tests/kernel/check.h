// Kernel tests: probe a matrix of pod pairs and compare what the kernel delivered with an
// expectation (the reference evaluator, an upstream truth table, a hand-written rule).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "ir/evaluate.h"
#include "tests/kernel/probe.h"

namespace nv::kernel {

struct Service {
  int proto = 6;
  uint16_t port = 0;
  auto operator<=>(const Service&) const = default;
};
std::string str(const Service& s);  // "TCP/80"

struct Comparison {
  size_t compared = 0;   // packets whose kernel fate was compared
  size_t delivered = 0;  // of those, delivered by the kernel
  std::vector<std::string> disagreements;  // one line each: the packet, kernel, expected
  std::vector<bool> kernel;  // per probe: delivered
};

using Expectation = std::function<bool(const Probe&)>;

// Every ordered pair of distinct pods of the topology with addresses of a family, on
// every service. Probes that the kernel dropped while `expect` says delivered are sent
// again, alone, with a long timeout before they count as disagreements, so that a slow
// moment cannot pass for a drop.
std::vector<Probe> all_pairs(const Topology& topo, const std::vector<Service>& services,
                             const std::vector<ir::Family>& families);
Comparison compare(Prober& prober, const std::vector<Probe>& probes, const Expectation& expect,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(250));

// The reference evaluator's verdict for a probe, with the pods looked up by id in `inv`
// (which may be another load of the inventory the topology was built from).
bool evaluator_allows(const ir::PolicySet& ps, const ir::Inventory& inv, const Topology& topo, const Probe& p);

// Services worth probing for a policy set: both ends of every port range the rules name
// and their neighbours, every container port that a named port could resolve to, and
// port 80 and an unnamed high port, on TCP, UDP and SCTP; at most `limit` ports.
std::vector<Service> relevant_services(const ir::PolicySet& ps, const ir::Inventory& inv, size_t limit = 12);

}  // namespace nv::kernel
