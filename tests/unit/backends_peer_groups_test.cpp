// partition_peers: the nft backend's peer groups answer, for every peer address and every
// node pod, what that pod's class's peer map answers.
#include <gtest/gtest.h>

#include <random>

#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/peer_groups.h"
#include "tests/support/support.h"
#include "verifier/validate.h"

namespace nv {
namespace {

using backends::u128;

// The class's answer for a peer address, read from its peer map directly.
uint32_t lookup(const backends::PeerMap& m, u128 a) {
  for (const auto& r : m.runs)
    if (r.lo <= a && a <= r.hi) return r.set;
  return m.fallback;
}

// The partition's answer: the group of the address, then the pod's entry.
uint32_t lookup(const backends::PeerPartition& p, u128 a, size_t pod) {
  uint32_t g = 0;
  for (const auto& r : p.runs)
    if (r.lo <= a && a <= r.hi) g = r.group;
  return p.groups[g].by_pod[pod];
}

ir::IpAddr v4(uint32_t v) { return backends::addr_of(u128(0x0a000000) + v, ir::Family::V4); }

TEST(PeerGroups, AnswerAsEveryClassMapForRandomPlans) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const int n_classes = 1 + static_cast<int>(rng() % 6);
    std::vector<ir::Pod> pods(1 + rng() % 12);
    backends::NodePlan plan;
    plan.classes.resize(n_classes);
    for (size_t i = 0; i < pods.size(); ++i) {
      pods[i].name = "p" + std::to_string(i);
      // Pod addresses 200.. (some shared, as NV3003 allows), in a random class.
      pods[i].ips = {v4(200 + static_cast<uint32_t>(rng() % 10))};
      plan.classes[rng() % n_classes].pods.push_back(&pods[i]);
    }
    for (auto& c : plan.classes) {
      c.isolated[0][0] = rng() % 4 != 0;
      backends::PeerMap& m = c.peers[0][0];
      m.fallback = static_cast<uint32_t>(rng() % 3);
      u128 at = 0x0a000000 + rng() % 8;
      while (at < 0x0a000000 + 250 && rng() % 8 != 0) {
        u128 hi = at + rng() % 20;
        m.runs.push_back({at, hi, static_cast<uint32_t>(rng() % 4)});
        at = hi + 1 + rng() % 3;  // sometimes adjacent
      }
    }
    backends::PeerPartition p =
        backends::partition_peers(plan, ir::Direction::Ingress, ir::Family::V4);

    // The pods: every address of an isolated class that does not allow everything, once,
    // with the class of the first pod (in plan order) that has it.
    std::map<u128, size_t> first;
    for (size_t c = 0; c < plan.classes.size(); ++c) {
      const auto& cls = plan.classes[c];
      const auto& m = cls.peers[0][0];
      if (!cls.isolated[0][0] || (m.runs.empty() && m.fallback == backends::kAll)) continue;
      for (const ir::Pod* pod : cls.pods) first.emplace(backends::addr_value(pod->ips[0]), c);
    }
    ASSERT_EQ(p.pods.size(), first.size());
    size_t i = 0;
    for (const auto& [a, c] : first) {
      ASSERT_EQ(p.pods[i], a);
      for (u128 peer = 0x0a000000 - 2; peer < 0x0a000000 + 300; ++peer)
        ASSERT_EQ(lookup(p, peer, i), lookup(plan.classes[c].peers[0][0], peer))
            << "round " << round << " pod " << i << " peer " << static_cast<uint64_t>(peer);
      ++i;
    }
    // Runs are sorted, disjoint, never of group 0, and adjacent runs differ in group.
    for (size_t r = 0; r < p.runs.size(); ++r) {
      EXPECT_NE(p.runs[r].group, 0u);
      EXPECT_LE(p.runs[r].lo, p.runs[r].hi);
      if (r > 0) {
        EXPECT_LT(p.runs[r - 1].hi, p.runs[r].lo);
        if (p.runs[r - 1].hi + 1 == p.runs[r].lo) {
          EXPECT_NE(p.runs[r - 1].group, p.runs[r].group);
        }
      }
    }
    // Groups are distinct, and `common` is one of the most frequent answers.
    for (size_t g = 0; g < p.groups.size(); ++g) {
      for (size_t h = g + 1; h < p.groups.size(); ++h)
        EXPECT_NE(p.groups[g].by_pod, p.groups[h].by_pod);
      const auto& bp = p.groups[g].by_pod;
      auto n = std::count(bp.begin(), bp.end(), p.groups[g].common);
      for (uint32_t s : bp) EXPECT_LE(std::count(bp.begin(), bp.end(), s), n);
    }
  }
}

TEST(PeerGroups, RunsReachTheTopAddress) {
  ir::Pod pod;
  pod.ips = {v4(1)};
  backends::NodePlan plan;
  plan.classes.resize(1);
  plan.classes[0].pods = {&pod};
  plan.classes[0].isolated[1][0] = true;
  plan.classes[0].peers[1][0].fallback = backends::kNone;
  plan.classes[0].peers[1][0].runs = {{0xfffffff0, 0xffffffff, backends::kAll}};
  backends::PeerPartition p =
      backends::partition_peers(plan, ir::Direction::Egress, ir::Family::V4);
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].lo, u128(0xfffffff0));
  EXPECT_EQ(p.runs[0].hi, u128(0xffffffff));
  EXPECT_EQ(p.groups[p.runs[0].group].by_pod, std::vector<uint32_t>{backends::kAll});
  EXPECT_EQ(p.groups[0].by_pod, std::vector<uint32_t>{backends::kNone});
}

// Translation validation sees into group chains: a group chain that answers wrongly for one
// of the node's pods is caught, with that pod and a peer of that group. (Validation counts
// a peer map's verdicts as what the group chains come to for the pod of the part, so peers
// of different groups with the same answer are one case; resolving a chain wrongly would
// merge peers that the ruleset treats differently.)
TEST(PeerGroups, ValidationCatchesAWrongGroupChainEntry) {
  std::vector<std::string> inv = {
      "ns prod",
      "ns other",
      "pod prod/web-a 10.1.0.10 role=a node=node-1",
      "pod prod/web-b 10.1.0.11 role=b node=node-1",
      "pod prod/web-c 10.1.0.12 role=c node=node-1",
      "pod other/c1 10.2.0.5 app=client tier=x node=node-2",
      "pod other/c2 10.2.0.6 app=client tier=y node=node-2",
      "pod other/c3 10.2.0.7 app=other node=node-2",
  };
  auto policy = [](const std::string& name, const std::string& role, const std::string& from,
                   int port) {
    return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name +
           ", namespace: prod}\nspec:\n  podSelector: {matchLabels: {role: " + role +
           "}}\n  ingress:\n  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {" +
           from + "}}}]\n    ports: [{port: " + std::to_string(port) + "}]\n---\n";
  };
  const std::string policies = policy("a", "a", "app: client", 80) +
                               policy("b", "b", "tier: x", 81) +
                               policy("c", "c", "app: client", 80);
  auto w = test::load_text(policies, test::inventory_yaml(inv));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  const std::string nft = backends::emit_nft(plan, backends::EmitInfo{});
  verifier::SolverOptions so;
  ir::Diagnostics d;
  auto fw = backends::parse_nft(nft, "nft", d);
  ASSERT_TRUE(fw) << nft;
  EXPECT_FALSE(
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V4, so));

  // c1 (tier=x) is the only peer for which web-b's answer is TCP/81: its group's chain has
  // an entry for web-b. Make that entry accept everything.
  const std::string entry = "\t\t\t10.1.0.11 : goto pp_";
  size_t at = nft.find(entry);
  ASSERT_NE(at, std::string::npos) << nft;
  ASSERT_EQ(nft.find(entry, at + 1), std::string::npos) << nft;
  std::string mutant = nft;
  mutant.replace(at, mutant.find('\n', at) - at, "\t\t\t10.1.0.11 : return");
  auto m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  auto cx =
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx) << mutant;
  EXPECT_EQ(cx->src.str(), "10.2.0.5") << cx->text;
  EXPECT_EQ(cx->dst.str(), "10.1.0.11") << cx->text;
  EXPECT_TRUE(cx->ruleset_accepts);
  EXPECT_FALSE(cx->policies_allow);

  // For web-a, c1 and c2 are alike (app=client, TCP/80): only the ruleset can tell them
  // apart, through their groups' chains. Give web-a an entry that accepts everything in
  // c2's group chain (the one whose entry for web-b drops), so that only c2, the later
  // address, is accepted wrongly. Validation must not take c1 for both.
  const std::string drop_b = "\t\t\t10.1.0.11 : drop";
  at = nft.find(drop_b);
  ASSERT_NE(at, std::string::npos) << nft;
  ASSERT_EQ(nft.find(drop_b, at + 1), std::string::npos) << nft;
  mutant = nft;
  mutant.insert(at, "\t\t\t10.1.0.10 : return,\n");
  m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  cx = verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx) << mutant;
  EXPECT_EQ(cx->src.str(), "10.2.0.6") << cx->text;
  EXPECT_EQ(cx->dst.str(), "10.1.0.10") << cx->text;
  EXPECT_TRUE(cx->ruleset_accepts);
}

// The peer representatives of a part sweep the known addresses between two cuts of the
// ruleset and the policies: a peer that the policies treat apart from the known addresses
// before it in the same zone must still be one (here c3, after c1 and c2 in the zone that
// the mutant ruleset leaves without a cut at c3's address).
TEST(PeerGroups, ValidationSeesAPeerAfterOthersInItsZone) {
  std::vector<std::string> inv = {
      "ns prod",
      "ns other",
      "pod prod/web 10.1.0.10 role=web node=node-1",
      "pod other/c0 10.2.0.3 app=client node=node-2",
      "pod other/c1 10.2.0.5 app=other node=node-2",
      "pod other/c2 10.2.0.6 app=other node=node-2",
      "pod other/c3 10.2.0.7 app=client node=node-2",
      "pod other/c4 10.2.0.9 app=other node=node-2",
  };
  const std::string policies =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, "
      "namespace: prod}\nspec:\n  podSelector: {matchLabels: {role: web}}\n  ingress:\n  - "
      "from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]\n    ports: "
      "[{port: 80}]\n";
  auto w = test::load_text(policies, test::inventory_yaml(inv));
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  const std::string nft = backends::emit_nft(plan, backends::EmitInfo{});
  verifier::SolverOptions so;
  ir::Diagnostics d;
  auto fw = backends::parse_nft(nft, "nft", d);
  ASSERT_TRUE(fw) << nft;
  EXPECT_FALSE(
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V4, so));

  // The mutant drops c3's entry from the ingress peer map: its packets to web are dropped,
  // which the policies allow, and nothing in the ruleset cuts at c3's address.
  const std::string entry = ",\n\t\t\t10.2.0.7 : goto pp_";
  size_t at = nft.find(entry);
  ASSERT_NE(at, std::string::npos) << nft;
  std::string mutant = nft;
  mutant.erase(at, mutant.find('\n', at + 2) - at);
  ASSERT_EQ(mutant.find("10.2.0.7"), std::string::npos) << mutant;
  auto m = backends::parse_nft(mutant, "m", d);
  ASSERT_TRUE(m) << mutant;
  auto cx =
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx) << mutant;
  EXPECT_EQ(cx->src.str(), "10.2.0.7") << cx->text;
  EXPECT_EQ(cx->dst.str(), "10.1.0.10") << cx->text;
  EXPECT_FALSE(cx->ruleset_accepts);
  EXPECT_TRUE(cx->policies_allow);
}

}  // namespace
}  // namespace nv
