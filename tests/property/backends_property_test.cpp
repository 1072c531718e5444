// The rule compiler against the reference evaluator, for random inventories and policy
// sets (Kubernetes-shaped, and with tiers and every action), on both nodes of each world:
//  - the emitted nft and iptables rulesets, parsed back and run by the firewall model's
//    interpreter, decide every packet between the world's addresses (and outside ones)
//    as the evaluator decides the node's share of it;
//  - translation validation (Z3) proves each ruleset equivalent, and, for a ruleset with
//    one element's verdict flipped, returns a counterexample that really distinguishes.
// NV_BACKENDS_STATS=1 prints how many packets were compared.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "ir/evaluate.h"
#include "tests/property/generators.h"
#include "verifier/validate.h"

using namespace nv;

namespace {

std::atomic<uint64_t> g_packets{0}, g_validations{0}, g_mutants{0};

struct Stats {
  ~Stats() {
    if (std::getenv("NV_BACKENDS_STATS"))
      std::fprintf(stderr, "backends: %llu packets compared, %llu rulesets validated, %llu mutants caught\n",
                   static_cast<unsigned long long>(g_packets), static_cast<unsigned long long>(g_validations),
                   static_cast<unsigned long long>(g_mutants));
  }
} g_stats;

// What the node decides: the source's egress if the source is one of its pods, the
// destination's ingress if the destination is.
bool node_share(const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node,
                const ir::IpAddr& src, const ir::IpAddr& dst, int proto, uint16_t port) {
  ir::Packet pkt{ir::Endpoint::of_ip(inv, src), ir::Endpoint::of_ip(inv, dst), proto, port};
  auto local = [&](const ir::Endpoint& e) { return e.kind == ir::EndpointKind::Pod && e.pod->node == node; };
  bool ok = true;
  if (local(pkt.src)) ok = ok && ir::evaluate_side(ps, inv, ir::Direction::Egress, pkt).allowed;
  if (local(pkt.dst)) ok = ok && ir::evaluate_side(ps, inv, ir::Direction::Ingress, pkt).allowed;
  return ok;
}

// The node's own addresses never cross its forward path.
bool own(const ir::Inventory& inv, const std::string& node, const ir::IpAddr& a) {
  if (inv.find_pod_by_ip(a)) return false;
  auto n = inv.node_of_ip(a);
  return n && *n == node;
}

ir::IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  ir::IpAddr x;
  x.bytes = {a, b, c, d};
  return x;
}

test::WorldAddresses dual_stack() {
  test::WorldAddresses w;
  w.v6_prefix = *ir::IpAddr::parse("2001:db8::");
  return w;
}

std::vector<ir::IpAddr> addresses(const ir::Inventory& inv, ir::Family f) {
  std::set<ir::IpAddr> out;
  for (const auto& p : inv.pods)
    for (const auto& a : p.ips)
      if (a.family == f) out.insert(a);
  for (const auto& n : inv.nodes)
    for (const auto& a : n.addresses)
      if (a.family == f) out.insert(a);
  if (f == ir::Family::V4) {
    for (uint8_t last : {0, 12, 99, 255}) out.insert(v4(10, 0, 0, last));
    out.insert(v4(10, 0, 1, 7));
    out.insert(v4(192, 0, 2, 1));
    out.insert(v4(0, 0, 0, 0));
    out.insert(v4(255, 255, 255, 255));
  } else {
    for (const char* t : {"2001:db8::ffff", "2001:db8:1::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"})
      out.insert(*ir::IpAddr::parse(t));
  }
  return {out.begin(), out.end()};
}

struct Probe {
  int proto;
  uint16_t port;
};
const std::vector<Probe> kProbes = {{ir::kTCP, 79},
                                    {ir::kTCP, 80},
                                    {ir::kTCP, 81},
                                    {ir::kTCP, 82},
                                    {ir::kUDP, 80},
                                    {ir::kUDP, 81},
                                    {ir::kSCTP, 80},
                                    {ir::kSCTP, 82},
                                    {ir::kICMP, 0},
                                    {47, 0},
                                    // ICMP and ICMPv6 carry type << 8 | code (ir/model.h is_icmp).
                                    {ir::kICMP, ir::icmp_port(8, 0)},
                                    {ir::kICMP, ir::icmp_port(8, 1)},
                                    {ir::kICMP, ir::icmp_port(3, 2)},
                                    {ir::kICMPv6, ir::icmp_port(128, 0)},
                                    {ir::kICMPv6, ir::icmp_port(8, 0)},
                                    {ir::kICMPv6, 0}};

// `skip_icmp`: leave out ICMP (protocol 1) packets, for ip6tables when compile refuses the
// plan's ICMP types in IPv6 (NV4029, backends::iptables_inexpressible).
void compare(const test::World& w, const std::string& node, const backends::Firewall& fw,
             ir::Family f, const char* what, bool skip_icmp = false) {
  auto addrs = addresses(w.inventory, f);
  for (const auto& s : addrs)
    for (const auto& d : addrs) {
      if (s == d || own(w.inventory, node, s) || own(w.inventory, node, d)) continue;
      for (const auto& pr : kProbes) {
        if (skip_icmp && pr.proto == ir::kICMP) continue;
        backends::Packet p{s, d, static_cast<uint8_t>(pr.proto), pr.port, backends::kCtNew};
        bool fw_accepts = backends::run(fw, p) == backends::VerdictKind::Accept;
        bool expected = node_share(w.policies, w.inventory, node, s, d, pr.proto, pr.port);
        ++g_packets;
        if (fw_accepts != expected) {
          RC_FAIL(std::string(what) + " on " + node + ": " + s.str() + " -> " + d.str() + " " +
                  ir::packet_port_str(pr.proto, pr.port) + ": ruleset " +
                  (fw_accepts ? "accepts" : "drops") + ", evaluator " +
                  (expected ? "allows" : "denies"));
        }
      }
    }
}

std::vector<std::pair<ir::Family, backends::Firewall>> parse_all(const std::string& nft,
                                                                 const backends::IptablesOutput* ipt) {
  ir::Diagnostics d;
  std::vector<std::pair<ir::Family, backends::Firewall>> out;
  if (ipt) {
    for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
      auto fw = backends::parse_iptables(f == ir::Family::V4 ? ipt->rules4 : ipt->rules6, "rules", ipt->ipsets,
                                         "ipsets", f, d);
      RC_ASSERT(fw.has_value());
      out.emplace_back(f, std::move(*fw));
    }
  } else {
    auto fw = backends::parse_nft(nft, "nft", d);
    RC_ASSERT(fw.has_value());
    out.emplace_back(ir::Family::V4, *fw);
    out.emplace_back(ir::Family::V6, std::move(*fw));
  }
  if (d.has_errors()) {
    std::string m;
    d.render(m, nullptr, false);
    RC_FAIL("emitted ruleset does not parse back:\n" + m);
  }
  return out;
}

}  // namespace

// 1. Every packet between the world's addresses: the parsed rulesets decide as the evaluator.
RC_GTEST_PROP(Backends, RulesetsAgreeWithEvaluator, ()) {
  // Half the time with Node objects and node selectors (gen_world `nodes`).
  test::World w = *test::gen_world(*rc::gen::arbitrary<bool>(), dual_stack(), true,
                                   *rc::gen::arbitrary<bool>());
  for (const std::string node : {"n0", "n1"}) {
    backends::NodePlan plan = backends::plan_node(w.policies, w.inventory, node);
    backends::EmitInfo info;
    std::string nft = backends::emit_nft(plan, info);
    RC_ASSERT(nft == backends::emit_nft(backends::plan_node(w.policies, w.inventory, node), info));  // deterministic
    backends::IptablesOutput ipt = backends::emit_iptables(plan, info);
    for (const auto& [f, fw] : parse_all(nft, nullptr)) compare(w, node, fw, f, "nft");
    bool inexact6 = !backends::iptables_inexpressible(plan).empty();
    for (const auto& [f, fw] : parse_all("", &ipt))
      compare(w, node, fw, f, "iptables", inexact6 && f == ir::Family::V6);
  }
}

// 2. Translation validation proves the emitted rulesets, and catches a flipped verdict
// with a counterexample that the evaluator and the interpreter confirm.
RC_GTEST_PROP(Backends, ValidationProvesAndCatches, ()) {
  // Half the time with Node objects and node selectors (gen_world `nodes`).
  test::World w = *test::gen_world(*rc::gen::arbitrary<bool>(), dual_stack(), true,
                                   *rc::gen::arbitrary<bool>());
  const std::string node = *rc::gen::elementOf(std::vector<std::string>{"n0", "n1"});
  backends::NodePlan plan = backends::plan_node(w.policies, w.inventory, node);
  backends::EmitInfo info;
  std::string nft = backends::emit_nft(plan, info);
  verifier::SolverOptions so;
  so.timeout_ms = 0;
  for (const auto& [f, fw] : parse_all(nft, nullptr)) {
    auto cx = verifier::validate_firewall(w.policies, w.inventory, node, fw, f, so);
    RC_ASSERT(!cx.has_value());
    ++g_validations;
  }
  // iptables too, where compile does not refuse the plan (NV4029).
  if (backends::iptables_inexpressible(plan).empty()) {
    backends::IptablesOutput ipt = backends::emit_iptables(plan, info);
    for (const auto& [f, fw] : parse_all("", &ipt)) {
      auto cx = verifier::validate_firewall(w.policies, w.inventory, node, fw, f, so);
      RC_ASSERT(!cx.has_value());
      ++g_validations;
    }
  }
  // Mutant: flip one verdict, of a peer map element or of a chain's last rule.
  std::vector<std::pair<size_t, std::pair<std::string, std::string>>> at;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {": drop", ": return"}, {": return", ": drop"}, {"\t\tdrop\n\t}", "\t\treturn\n\t}"},
           {"\t\treturn\n\t}", "\t\tdrop\n\t}"}})
    for (size_t p = nft.find(from); p != std::string::npos; p = nft.find(from, p + 1)) at.push_back({p, {from, to}});
  if (at.empty()) return;  // nothing to flip
  auto [p, flip] = *rc::gen::elementOf(at);
  std::string mutant = nft;
  mutant.replace(p, flip.first.size(), flip.second);
  bool caught = false;
  for (const auto& [f, fw] : parse_all(mutant, nullptr)) {
    auto cx = verifier::validate_firewall(w.policies, w.inventory, node, fw, f, so);
    if (!cx) continue;
    caught = true;
    backends::Packet pkt{cx->src, cx->dst, static_cast<uint8_t>(cx->proto), cx->port, backends::kCtNew};
    RC_ASSERT((backends::run(fw, pkt) == backends::VerdictKind::Accept) == cx->ruleset_accepts);
    RC_ASSERT(node_share(w.policies, w.inventory, node, cx->src, cx->dst, cx->proto, cx->port) == cx->policies_allow);
    RC_ASSERT(cx->ruleset_accepts != cx->policies_allow);
  }
  if (caught) {
    ++g_mutants;
    return;
  }
  // Unnoticed: then the mutant must be equivalent (another element or the other
  // direction decides the same), so no probe packet may tell the two apart.
  auto orig = parse_all(nft, nullptr), mut = parse_all(mutant, nullptr);
  for (size_t i = 0; i < orig.size(); ++i) {
    auto addrs = addresses(w.inventory, orig[i].first);
    for (const auto& src : addrs)
      for (const auto& dst : addrs) {
        if (src == dst || own(w.inventory, node, src) || own(w.inventory, node, dst)) continue;
        for (const auto& pr : kProbes) {
          backends::Packet pkt{src, dst, static_cast<uint8_t>(pr.proto), pr.port, backends::kCtNew};
          if (backends::run(orig[i].second, pkt) != backends::run(mut[i].second, pkt))
            RC_FAIL("validation missed a mutant that " + src.str() + " -> " + dst.str() + " " +
                    ir::packet_port_str(pr.proto, pr.port) + " tells apart:\n" + mutant);
        }
      }
  }
}
