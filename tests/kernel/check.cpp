#include "tests/kernel/check.h"

#include <set>
#include <stdexcept>

namespace nv::kernel {

std::string str(const Service& s) { return ir::proto_name(s.proto) + "/" + std::to_string(s.port); }

std::vector<Probe> all_pairs(const Topology& topo, const std::vector<Service>& services,
                             const std::vector<ir::Family>& families) {
  std::vector<Probe> out;
  const auto& pods = topo.pods();
  for (ir::Family f : families)
    for (size_t s = 0; s < pods.size(); ++s)
      for (size_t d = 0; d < pods.size(); ++d) {
        if (s == d || !pods[s].ip(f) || !pods[d].ip(f)) continue;
        for (const auto& svc : services) out.push_back({s, d, f, svc.proto, svc.port});
      }
  return out;
}

Comparison compare(Prober& prober, const std::vector<Probe>& probes, const Expectation& expect,
                   std::chrono::milliseconds timeout) {
  Comparison c;
  auto got = prober.run(probes, timeout);
  std::vector<size_t> suspicious;
  for (size_t i = 0; i < probes.size(); ++i)
    if (!got[i] && expect(probes[i])) suspicious.push_back(i);
  if (!suspicious.empty()) {
    std::vector<Probe> again;
    for (size_t i : suspicious) again.push_back(probes[i]);
    auto second = prober.run(again, std::chrono::milliseconds(2000));
    for (size_t k = 0; k < again.size(); ++k) got[suspicious[k]] = second[k];
  }
  c.kernel = got;
  for (size_t i = 0; i < probes.size(); ++i) {
    ++c.compared;
    c.delivered += got[i];
    bool want = expect(probes[i]);
    if (got[i] != want)
      c.disagreements.push_back(prober.describe(probes[i]) + ": kernel " + (got[i] ? "delivered" : "dropped") +
                                ", expected " + (want ? "delivered" : "dropped"));
  }
  return c;
}

bool evaluator_allows(const ir::PolicySet& ps, const ir::Inventory& inv, const Topology& topo, const Probe& p) {
  auto find = [&](const std::string& id) {
    auto slash = id.find('/');
    const ir::Pod* pod = inv.find_pod(id.substr(0, slash), id.substr(slash + 1));
    if (!pod) throw std::runtime_error("no pod " + id + " in the inventory");
    return pod;
  };
  auto endpoint = [&](const PodSlot& slot) {
    // A node or an external host.
    if (!slot.pod) return ir::Endpoint::of_ip(inv, *slot.ip(p.family));
    return ir::Endpoint::of_pod(*find(slot.id), p.family);
  };
  ir::Packet pkt{endpoint(topo.pods()[p.src]), endpoint(topo.pods()[p.dst]), p.proto, p.port};
  return ir::evaluate(ps, inv, pkt).allowed;
}

std::vector<Service> relevant_services(const ir::PolicySet& ps, const ir::Inventory& inv, size_t limit) {
  std::set<uint16_t> ports = {80, 4242};
  std::set<std::string> names;
  for (const auto& pol : ps.policies())
    for (auto d : ir::kDirections)
      for (const auto& rule : pol.dir(d).rules)
        for (const auto& pm : rule.ports) {
          if (!pm.named.empty()) {
            names.insert(pm.named);
            continue;
          }
          if (pm.all_ports()) continue;
          for (int v : {pm.lo - 1, int{pm.lo}, int{pm.hi}, pm.hi + 1})
            if (v > 0 && v < 65536) ports.insert(static_cast<uint16_t>(v));
        }
  for (const auto& pod : inv.pods)
    for (const auto& cp : pod.ports)
      if (names.count(cp.name)) ports.insert(cp.port);
  std::vector<Service> out;
  for (uint16_t port : ports) {
    if (out.size() >= limit * 3) break;
    for (int proto : {ir::kTCP, ir::kUDP, ir::kSCTP}) out.push_back({proto, port});
  }
  return out;
}

}  // namespace nv::kernel
