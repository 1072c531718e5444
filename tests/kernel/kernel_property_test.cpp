// Kernel property: for random worlds (two nodes, IPv4 and IPv6, random policies with tiers
// and every action, or Kubernetes-shaped ones), each node's firewall compiled through the
// backends library (plan_node, emit_nft, emit_iptables), loaded into the node's namespace,
// delivers exactly the packets the reference evaluator allows, on both targets, between
// all pods (hostNetwork ones too), the addresses of labelled Node objects (selected by
// node-selector peers, in worlds that are not Kubernetes-shaped) and two hosts outside
// the cluster. Each
// ruleset is loaded over the previous world's, so reloading is tested too.
//
// 200 worlds per run, each on both targets. Long mode:
//   RC_PARAMS="max_success=2000" build/tests/kernel/nv_kernel --gtest_filter='KernelProperty.*'
// On a failure, shrinking is capped (kShrinkRuns kernel runs), and the smallest failing
// world's dump, rulesets and disagreements are printed and written under the work directory.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/plan.h"
#include "ir/dump.h"
#include "tests/kernel/check.h"
#include "tests/kernel/kernel_env.h"
#include "tests/kernel/ruleset.h"
#include "tests/property/generators.h"

using namespace nv;
using namespace nv::kernel;

namespace {

constexpr size_t kShrinkRuns = 30;

Ruleset compile_ir(Target t, const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node) {
  auto plan = backends::plan_node(ps, inv, node);
  backends::EmitInfo info;
  Ruleset r;
  r.target = t;
  if (t == Target::Nft) {
    r.nft = backends::emit_nft(plan, info);
  } else {
    auto out = backends::emit_iptables(plan, info);
    r.v4 = out.rules4;
    r.v6 = out.rules6;
    r.ipset = out.ipsets;
  }
  return r;
}

std::string text_of(const Ruleset& r) {
  if (r.target == Target::Nft) return r.nft;
  return "## ipset\n" + r.ipset + "## iptables\n" + r.v4 + "## ip6tables\n" + r.v6;
}

class KernelProperty : public KernelTest {};

TEST_F(KernelProperty, CompiledRulesetsDeliverWhatTheEvaluatorAllows) {
  setenv("RC_PARAMS", "max_success=200", 0);  // unless the caller chose
  test::WorldAddresses addrs;
  addrs.v4_prefix = {198, 18};
  addrs.v6_prefix = ir::IpAddr::parse("2001:db8:4e56::");
  // Outside the cluster, inside the generated ipBlocks' range: one host behind each node.
  const std::vector<ExternalHost> externals = {
      {"n0", {*ir::IpAddr::parse("198.18.0.50"), *ir::IpAddr::parse("2001:db8:4e56::32")}},
      {"n1", {*ir::IpAddr::parse("198.18.0.51"), *ir::IpAddr::parse("2001:db8:4e56::33")}}};
  size_t worlds = 0, packets = 0, delivered = 0, runs_after_failure = 0;
  size_t node_packets = 0, node_delivered = 0;  // from or to a Node's own address
  bool failed = false;
  std::string smallest_failure;
  std::map<std::pair<Target, std::string>, Ruleset> previous;  // the last world's rulesets  // rapidcheck re-runs its counterexample to print it, past the budget
  auto started = std::chrono::steady_clock::now();
  bool ok = rc::check("kernel delivery == reference evaluator", [&] {
    // Node objects with labels, their own addresses probed, and node-selector peers. Host
    // policies are left out: the node's forward path cannot enforce them (NV4020).
    test::World w = *test::gen_world(*rc::gen::arbitrary<bool>(), addrs, true, true);
    const auto& all = w.policies.policies();
    if (std::any_of(all.begin(), all.end(), ir::applies_to_hosts)) {
      ir::PolicySet kept;
      for (const auto& t : w.policies.tiers()) kept.add_tier(t);
      for (const auto& p : w.policies.policies())
        if (!ir::applies_to_hosts(p)) kept.add(p);
      kept.finalize();
      w.policies = std::move(kept);
    }
    if (failed && ++runs_after_failure > kShrinkRuns) return;  // shrinking budget spent
    Topology topo(w.inventory, {"n0", "n1"}, externals);
    Prober prober(topo);
    auto services = relevant_services(w.policies, w.inventory);
    auto probes = all_pairs(topo, services, {ir::Family::V4, ir::Family::V6});
    ++worlds;
    for (Target t : kTargets) {
      topo.reset_firewalls();
      std::string rulesets;
      for (const auto& n : topo.nodes()) {
        Ruleset r = compile_ir(t, w.policies, w.inventory, n.name);
        rulesets += "### node " + n.name + " (" + n.ns->name() + ")\n" + text_of(r);
        // Loaded over the previous world's ruleset: a reload must replace it entirely.
        if (auto prev = previous.find({t, n.name}); prev != previous.end())
          load_ruleset(*n.ns, prev->second);
        load_ruleset(*n.ns, r);
        previous[{t, n.name}] = r;
      }
      auto cmp = compare(prober, probes, [&](const Probe& p) {
        return evaluator_allows(w.policies, w.inventory, topo, p);
      });
      packets += cmp.compared;
      delivered += cmp.delivered;
      for (size_t i = 0; i < probes.size(); ++i) {
        const PodSlot& s = topo.pods()[probes[i].src];
        const PodSlot& d = topo.pods()[probes[i].dst];
        if (s.id.rfind("node/", 0) == 0 || d.id.rfind("node/", 0) == 0) {
          ++node_packets;
          node_delivered += cmp.kernel[i];
        }
      }
      if (!cmp.disagreements.empty()) {
        failed = true;
        std::string msg = std::string(name(t)) + ": " + std::to_string(cmp.disagreements.size()) + " of " +
                          std::to_string(cmp.compared) + " packets disagree\n";
        for (size_t i = 0; i < cmp.disagreements.size() && i < 40; ++i)
          msg += "  " + cmp.disagreements[i] + "\n";
        msg += "--- policies\n" + ir::dump(w.policies) + "--- inventory\n" + ir::dump(w.inventory) +
               "--- rulesets\n" + rulesets;
        smallest_failure = msg;
        spit(work_dir() + "/property-failure.txt", msg);
        RC_FAIL(std::string(name(t)) + ": disagreements (the smallest failing world is printed below)");
      }
    }
  });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "kernel property: %zu worlds x 2 targets, %zu packets compared (%zu delivered; %zu from or "
      "to a node's address, %zu of them delivered), %.1f s\n",
      worlds, packets, delivered, node_packets, node_delivered, secs);
  EXPECT_TRUE(ok);
  if (!ok)
    ADD_FAILURE() << "smallest failing world found (also in " << work_dir() << "/property-failure.txt):\n"
                  << smallest_failure.substr(0, 60000);
}

}  // namespace
