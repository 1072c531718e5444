#include "verifier/validate.h"

#include "compiler/backends/plan.h"
#include "verifier/encode.h"
#include "verifier/firewall_z3.h"

namespace nv::verifier {

namespace {

// The policies that select one of the node's pods: the only ones whose rules the node
// enforces (a policy that selects none of them takes no part in their tier walks).
ir::PolicySet selecting(const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node) {
  ir::PolicySet out;
  for (const auto& t : ps.tiers()) out.add_tier(t);
  for (const auto& p : ps.policies()) {
    bool any = false;
    for (const auto& pod : inv.pods) {
      if (pod.node != node || pod.host_network) continue;
      for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
        ir::Endpoint e = ir::Endpoint::of_pod(pod, f);
        if (e.addr && ir::matches(p.subject, e, inv)) any = true;
      }
      if (any) break;
    }
    if (any) out.add(p);
  }
  out.finalize();
  return out;
}

ir::IpAddr addr_from_model(const z3::model& m, const z3::expr& e, ir::Family f) {
  std::string bits = m.eval(e, true).get_decimal_string(0);
  // Decimal string of up to 128 bits -> u128.
  backends::u128 v = 0;
  for (char c : bits) v = v * 10 + static_cast<unsigned>(c - '0');
  return backends::addr_of(v, f);
}

std::string describe(const ir::PolicySet& ps, const ir::Inventory& inv, Counterexample& cx) {
  ir::Packet pkt{ir::Endpoint::of_ip(inv, cx.src), ir::Endpoint::of_ip(inv, cx.dst), cx.proto, cx.port};
  ir::Verdict v = ir::evaluate(ps, inv, pkt);
  std::string proto = ir::proto_name(cx.proto);
  std::string text = "packet " + pkt.src.str() + " -> " + pkt.dst.str() + " " + proto;
  if (backends::is_port_proto(cx.proto)) text += "/" + std::to_string(cx.port);
  text += ": the policies " + std::string(cx.policies_allow ? "allow" : "deny") + " it, the ruleset " +
          (cx.ruleset_accepts ? "accepts" : "drops") + " it\n" + ir::explain(v, pkt);
  return text;
}

}  // namespace

std::optional<Counterexample> validate_firewall(const ir::PolicySet& all, const ir::Inventory& inv,
                                                const std::string& node, const backends::Firewall& fw,
                                                ir::Family family, const SolverOptions& opt) {
  ir::PolicySet ps = selecting(all, inv, node);
  Universe u;
  u.family = family;
  u.add(ps);
  u.add_inventory(inv);
  u.finish();
  z3::context ctx;
  Encoder enc(ctx, u);
  SymPacket pkt = enc.packet();
  Encoder::NodePin here = enc.pin_node(pkt, inv, node);
  z3::expr spec = z3::implies(here.src_local, enc.side(ps, ir::Direction::Egress, pkt)) &&
                  z3::implies(here.dst_local, enc.side(ps, ir::Direction::Ingress, pkt));

  FwPacket fp = make_fw_packet(ctx, family, "fw.");
  z3::expr link = fp.src == pkt.src.addr && fp.dst == pkt.dst.addr && fp.proto == pkt.proto &&
                  fp.port == pkt.port && fp.ct == ctx.bv_val(backends::kCtNew, 8);
  z3::expr accepts = fw_accepts(ctx, fw, fp);

  Checker checker(ctx, opt);
  z3::solver s = checker.make_solver();
  s.add(enc.facts_conj());
  s.add(link);
  s.add(spec != accepts);
  std::string name = std::string("validate-") + node + (family == ir::Family::V4 ? "-ipv4" : "-ipv6");
  if (!checker.sat(s, name)) return std::nullopt;

  z3::model m = s.get_model();
  Counterexample cx;
  cx.src = addr_from_model(m, pkt.src.addr, family);
  cx.dst = addr_from_model(m, pkt.dst.addr, family);
  cx.proto = static_cast<int>(m.eval(pkt.proto, true).get_numeral_uint());
  cx.port = static_cast<uint16_t>(m.eval(pkt.port, true).get_numeral_uint());
  cx.policies_allow = m.eval(spec, true).is_true();
  cx.ruleset_accepts = m.eval(accepts, true).is_true();
  cx.text = describe(all, inv, cx);
  return cx;
}

}  // namespace nv::verifier
