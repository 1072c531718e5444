// The iptables backend's layout: the class chain splits the peer address space where that
// makes the dearest walk cheaper, tests small port-set groups with native rules and large
// ones with ipsets, and the dispatch tree only goes to chains. Checked on the emitted text,
// by the concrete interpreter against the plan, and by translation validation.
#include <gtest/gtest.h>

#include <sstream>

#include "compiler/backends/iptables.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/plan.h"
#include "tests/support/support.h"
#include "verifier/validate.h"

using namespace nv;

namespace {

// Egress of `prod/web` pods: DNS anywhere, TCP 443 to the internet but the private
// ranges (a set of 31 prefixes with 15 lengths), 5432 to one database pod; ingress from
// the 60 client pods of another namespace (enough for an ipset).
std::unique_ptr<test::Loaded> world() {
  std::vector<std::string> inv = {"ns prod", "ns other"};
  for (int i = 0; i < 20; ++i)
    inv.push_back("pod prod/web" + std::to_string(i) + " 10.1.0." + std::to_string(10 + i) +
                  " app=web node=node-1");
  inv.push_back("pod prod/db 10.1.3.7 app=db node=node-2");
  for (int i = 0; i < 60; ++i)
    inv.push_back("pod other/client" + std::to_string(i) + " 10.2." + std::to_string(i % 7) + "." +
                  std::to_string(3 * i + 1) + " app=client node=node-3");
  const std::string policies = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 8080}]
  egress:
  - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}}]
    ports: [{protocol: TCP, port: 443}]
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{protocol: TCP, port: 5432}]
)";
  return test::load_text(policies, test::inventory_yaml(inv));
}

std::vector<std::string> chain_rules(const std::string& text, const std::string& chain) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("-A " + chain + " ", 0) == 0) out.push_back(line);
  return out;
}

}  // namespace

TEST(IptablesLayout, ClassChainSplitsAddressSpaceAndMatchesThePlan) {
  auto w = world();
  ASSERT_FALSE(w->diags.has_errors()) << w->messages();
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  ASSERT_EQ(plan.classes.size(), 1u);
  backends::IptablesOutput ipt = backends::emit_iptables(plan, backends::EmitInfo{});

  // Egress: the internet set is tested natively and only in the half it lies in; the
  // class chain's first rule splits the address space.
  std::vector<std::string> root = chain_rules(ipt.rules4, "NV-E4-C0");
  ASSERT_EQ(root.size(), 2u) << ipt.rules4;
  EXPECT_NE(root[0].find(" -d "), std::string::npos) << root[0];
  EXPECT_NE(root[0].find("/1 -g NV-E4-C0-"), std::string::npos) << root[0];
  EXPECT_EQ(root[1].find(" -d "), std::string::npos) << root[1];
  EXPECT_EQ(ipt.rules4.find("--match-set nv4-e0"), std::string::npos) << ipt.rules4;
  EXPECT_EQ(ipt.ipsets.find("nv4-e0"), std::string::npos) << ipt.ipsets;
  // Ingress: 60 single addresses in one ipset rather than 60 rules.
  EXPECT_NE(ipt.rules4.find("-A NV-I4-C0 -m set --match-set nv4-i0-"), std::string::npos)
      << ipt.rules4;
  // The dispatch tree and the class chains only go to chains (a class chain's RETURN
  // goes back to NETVERIFY).
  std::istringstream in(ipt.rules4);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("-A NV-E4-T", 0) == 0 || line.rfind("-A NV-I4-T", 0) == 0) {
      EXPECT_NE(line.find(" -g NV-"), std::string::npos) << line;
    }
  }

  ir::Diagnostics d;
  auto fw = backends::parse_iptables(ipt.rules4, "r", ipt.ipsets, "s", ir::Family::V4, d);
  ASSERT_TRUE(fw) << ipt.rules4;
  std::vector<std::string> peers = {"10.1.3.7",    "10.2.0.1",        "10.2.6.178", "10.2.6.179",
                                    "8.8.8.8",     "172.16.0.1",      "172.32.0.1", "192.168.9.9",
                                    "203.0.113.5", "255.255.255.255", "0.0.0.1",    "10.1.0.12"};
  size_t compared = 0;
  for (const std::string pod : {"10.1.0.10", "10.1.0.29"})
    for (const auto& peer : peers)
      for (auto [proto, port] : std::vector<std::pair<int, int>>{
               {ir::kTCP, 443}, {ir::kTCP, 5432}, {ir::kUDP, 53}, {ir::kTCP, 8080}, {ir::kICMP, 0}})
        for (bool out : {true, false}) {
          ir::IpAddr a = *ir::IpAddr::parse(pod), b = *ir::IpAddr::parse(peer);
          ir::IpAddr src = out ? a : b, dst = out ? b : a;
          if (src == dst) continue;
          bool want = backends::plan_allows(plan, w->inventory, src, dst, proto,
                                            static_cast<uint16_t>(port));
          backends::Packet pkt{src, dst, static_cast<uint8_t>(proto), static_cast<uint16_t>(port),
                               backends::kCtNew};
          EXPECT_EQ(backends::run(*fw, pkt) == backends::VerdictKind::Accept, want)
              << src.str() << " -> " << dst.str() << " " << proto << "/" << port;
          ++compared;
        }
  EXPECT_GT(compared, 200u);

  verifier::SolverOptions so;
  EXPECT_FALSE(
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, ir::Family::V4, so));
  // A mutant whose internet half forgets 64.0.0.0/2 is caught.
  std::string mutant = ipt.rules4;
  size_t p = mutant.find(" -d 64.0.0.0/2 ");
  ASSERT_NE(p, std::string::npos) << ipt.rules4;
  mutant.replace(p, 15, " -d 64.0.0.0/3 ");
  auto m = backends::parse_iptables(mutant, "m", ipt.ipsets, "s", ir::Family::V4, d);
  ASSERT_TRUE(m);
  auto cx =
      verifier::validate_firewall(w->policies, w->inventory, "node-1", *m, ir::Family::V4, so);
  ASSERT_TRUE(cx);
  EXPECT_EQ(cx->port, 443) << cx->text;
  EXPECT_TRUE(cx->policies_allow) << cx->text;
  EXPECT_FALSE(cx->ruleset_accepts) << cx->text;
}
