// netverify convert against the reference evaluator, beside the Z3 proof the command makes:
// random policy sets converted to another dialect are either refused with a convert code
// (NV4070-NV4077) or, read back through the target's real frontend, give the same verdict
// as the input on random packets over the generated inventory. rapidcheck prints how often
// each outcome happened (its tags: the refusal codes, or "converted").
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "compiler/emit/emit.h"
#include "compiler/frontend.h"
#include "ir/evaluate.h"
#include "tests/property/generators.h"

using namespace nv;

namespace {

Cni cni_of(emit::Target t) {
  return t == emit::Target::Calico   ? Cni::Calico
         : t == emit::Target::Cilium ? Cni::Cilium
                                     : Cni::Generic;
}

// The emitted text read back as a user would, with the target CNI's semantics.
ir::PolicySet read_back(const std::string& yaml, emit::Target t) {
  Workspace ws;
  ws.read_texts(yaml, "");
  LoadOptions lo;
  lo.cni = cni_of(t);
  ws.lower(lo);
  if (ws.diags.has_errors()) {
    std::string msgs;
    ws.diags.render(msgs, &ws.sources, false);
    RC_FAIL("the converted policies do not load:\n" + msgs + "\n" + yaml);
  }
  return std::move(ws.policies);
}

// Endpoints: every pod, and addresses outside the pods (inside and outside the generated
// ipBlocks' 10.0.0.0/16).
std::vector<ir::Endpoint> endpoints(const ir::Inventory& inv) {
  std::vector<ir::Endpoint> out;
  for (const auto& p : inv.pods) out.push_back(ir::Endpoint::of_pod(p, ir::Family::V4));
  for (const char* a : {"10.0.0.200", "10.0.3.7", "203.0.113.9"})
    out.push_back(ir::Endpoint::of_ip(inv, *ir::IpAddr::parse(a)));
  return out;
}

// Converts `ps` (evaluated on `inv`); returns the read-back set, or nullopt when refused.
std::optional<ir::PolicySet> check(const ir::PolicySet& ps, const ir::Inventory& inv,
                                   emit::Target t) {
  emit::Output out = emit::convert(ps, t, &inv);
  if (!out.refusals.empty()) {
    for (const auto& r : out.refusals) {
      auto id = std::string(ir::code_info(r.code).id);
      RC_ASSERT(id >= "NV4070" && id <= "NV4077");
      RC_ASSERT(out.yaml.empty());
    }
    RC_TAG(std::string(emit::name(t)) + " refused " + ir::code_info(out.refusals.front().code).id);
    return std::nullopt;
  }
  RC_TAG(std::string(emit::name(t)) + " converted");
  RC_LOG() << out.yaml;
  ir::PolicySet back = read_back(out.yaml, t);
  auto eps = endpoints(inv);
  for (int round = 0; round < 3; ++round) {
    int proto = *rc::gen::element(ir::kTCP, ir::kUDP, ir::kSCTP, ir::kICMP, ir::kICMPv6);
    // ICMP: type << 8 | code (echo 8/0, unreachable 3/3 and 3/4, ICMPv6 echo 128/0, 0/0).
    uint16_t port = static_cast<uint16_t>(
        ir::is_icmp(proto) ? *rc::gen::element(0x0800, 0x0303, 0x0304, 0x8000, 0x0000)
                           : *rc::gen::element(53, 79, 80, 81, 82, 83, 8080));
    for (const auto& src : eps)
      for (const auto& dst : eps) {
        if (src.kind != ir::EndpointKind::Pod && dst.kind != ir::EndpointKind::Pod) continue;
        ir::Packet pkt{src, dst, proto, port};
        bool want = ir::evaluate(ps, inv, pkt).allowed;
        bool got = ir::evaluate(back, inv, pkt).allowed;
        if (want != got)
          RC_FAIL(std::string("verdicts differ for ") + src.str() + " -> " + dst.str() + " " +
                  ir::proto_name(proto) + "/" + std::to_string(port) + ": input " +
                  (want ? "allows" : "denies"));
      }
  }
  return back;
}

// gen_world's Kubernetes-shaped sets, made Kubernetes-expressible where they are not by
// construction (rules of a direction that does not isolate dropped; ports of every
// protocol made TCP), then written as NetworkPolicy text and read back through the real
// Kubernetes frontend: that is the Kubernetes policy set converted to Calico and Cilium.
std::optional<ir::PolicySet> kubernetes_set(test::World& w) {
  ir::PolicySet tidy;
  for (const auto& t : w.policies.tiers()) tidy.add_tier(t);
  for (ir::Policy p : w.policies.policies()) {
    for (ir::Direction d : ir::kDirections) {
      if (!p.dir(d).isolates) p.dir(d).rules.clear();
      for (auto& r : p.dir(d).rules)
        for (auto& pm : r.ports)
          if (pm.proto == ir::kAnyProto && !pm.all_ports()) pm.proto = ir::kTCP;
    }
    tidy.add(std::move(p));
  }
  tidy.finalize();
  return check(tidy, w.inventory, emit::Target::K8s);
}

}  // namespace

RC_GTEST_PROP(ConvertProperty, KubernetesShapedWorldsToKubernetes, ()) {
  test::World w = *test::gen_world(true);
  check(w.policies, w.inventory, emit::Target::K8s);
}

RC_GTEST_PROP(ConvertProperty, KubernetesSetsToCalicoAndCilium, ()) {
  test::World w = *test::gen_world(true);
  auto k8s = kubernetes_set(w);
  if (!k8s) return;
  check(*k8s, w.inventory, emit::Target::Calico);
  check(*k8s, w.inventory, emit::Target::Cilium);
}

RC_GTEST_PROP(ConvertProperty, TieredWorldsToCalico, ()) {
  test::World w = *test::gen_world(false);
  check(w.policies, w.inventory, emit::Target::Calico);
}

// Kubernetes sets (as KubernetesSetsToCalicoAndCilium) whose port matches become ICMP/ICMPv6 type
// or type-and-code ranges at random: Calico emits them (one `icmp` per rule), Cilium emits whole
// types as `icmps` and refuses code-level pieces; either output must read back with the same
// verdicts.
RC_GTEST_PROP(ConvertProperty, IcmpWorldsToCalicoAndCilium, ()) {
  test::World w = *test::gen_world(true);
  auto k8s = kubernetes_set(w);  // expressible in both targets before the ICMP change
  if (!k8s) return;
  ir::PolicySet ps;
  for (const auto& t : k8s->tiers()) ps.add_tier(t);
  for (ir::Policy p : k8s->policies()) {
    for (ir::Direction d : ir::kDirections)
      for (auto& r : p.dir(d).rules) {
        if (!*rc::gen::inRange(0, 2)) continue;
        // One more ICMP/ICMPv6 match (a rule of every port becomes one of that match only).
        ir::PortMatch pm;
        pm.proto = *rc::gen::element(ir::kICMP, ir::kICMPv6);
        int type = *rc::gen::element(0, 3, 8, 128);
        int kind = *rc::gen::inRange(0, 4);  // 0, 1: whole type; 2: one code; 3: types 0..8
        pm.lo = ir::icmp_port(kind == 3 ? 0 : type, kind == 2 ? 4 : 0);
        pm.hi = kind == 2 ? pm.lo : ir::icmp_port(kind == 3 ? 8 : type, 255);
        r.ports.push_back(pm);
      }
    ps.add(std::move(p));
  }
  ps.finalize();
  int icmp = 0;
  for (const auto& p : ps.policies())
    for (ir::Direction d : ir::kDirections)
      for (const auto& r : p.dir(d).rules)
        for (const auto& pm : r.ports) icmp += ir::is_icmp(pm.proto);
  RC_TAG(icmp ? "with ICMP matches" : "without ICMP matches");
  check(ps, w.inventory, emit::Target::Calico);
  check(ps, w.inventory, emit::Target::Cilium);
}
