// c.*, d.* and e.*: ports.
#include <stdexcept>

#include "ir/evaluate.h"
#include "ir/ranges.h"
#include "proofs/cases.h"
#include "proofs/catalog.h"
#include "verifier/encode.h"

namespace nv::proofs {

namespace {

using verifier::Encoder;
using verifier::SymPacket;
using verifier::Universe;

std::string range_name(uint16_t lo, uint16_t hi) {
  return std::to_string(lo) + "-" + std::to_string(hi);
}

z3::expr in_range(z3::context& ctx, const z3::expr& port, uint16_t lo, uint16_t hi) {
  return z3::ule(ctx.bv_val(uint64_t{lo}, 16), port) && z3::ule(port, ctx.bv_val(uint64_t{hi}, 16));
}

// c: the value/mask blocks of split_port_range cover exactly the range.
Obligation port_split(z3::context& ctx) {
  z3::expr port = ctx.bv_const("port", 16);
  Obligation ob{"c.split_port_range",
                "for every listed range, lo <= port <= hi <=> OR over b in "
                "ir::split_port_range(lo, hi) of (port & b.mask) == b.value",
                {},
                {},
                {{port, Show::Number}}};
  for (auto [lo, hi] : port_range_cases(300, 16)) {
    z3::expr_vector blocks(ctx);
    for (const auto& b : ir::split_port_range(lo, hi))
      blocks.push_back((port & ctx.bv_val(uint64_t{b.mask}, 16)) ==
                       ctx.bv_val(uint64_t{b.value}, 16));
    ob.instances.push_back({range_name(lo, hi), in_range(ctx, port, lo, hi) == z3::mk_or(blocks)});
  }
  return ob;
}

z3::expr proto_is(z3::context& ctx, const SymPacket& pkt, int proto) {
  return pkt.proto == ctx.bv_val(static_cast<uint64_t>(proto), 8);
}

// The evaluator's protocol test: ANY, or the packet's protocol.
z3::expr proto_ok(z3::context& ctx, const ir::PortMatch& pm, const SymPacket& pkt) {
  return pm.proto == ir::kAnyProto ? ctx.bool_val(true) : proto_is(ctx, pkt, pm.proto);
}

// d: numeric port matches.
Obligation numeric_ports(z3::context& ctx) {
  Universe u;
  u.family = ir::Family::V4;
  u.finish();
  Encoder enc(ctx, u);
  SymPacket pkt = enc.packet();
  Obligation ob{
      "d.port_match.numeric",
      "under the packet facts (a protocol without ports carries port 0, ICMP and ICMPv6 "
      "type << 8 | code), for every listed numeric PortMatch {proto, lo, hi}: "
      "Encoder::port_match <=> (proto is ANY or the packet's) and lo <= port' <= hi, where "
      "port' is 0 for an ICMP or ICMPv6 packet under proto ANY and the port otherwise",
      enc.facts(),
      {},
      {{pkt.proto, Show::Number}, {pkt.port, Show::Number}}};
  std::vector<std::pair<uint16_t, uint16_t>> ranges = {{0, 65535},   {80, 80},      {0, 0},
                                                       {1, 65535},   {1024, 65535}, {65535, 65535},
                                                       {8000, 8999}, {0, 1023}};
  auto random = port_range_cases(8, 17);
  ranges.insert(ranges.end(), random.end() - 8, random.end());
  ob.reachable.push_back({"every packet", ctx.bool_val(true)});
  for (int proto : {ir::kAnyProto, ir::kTCP, ir::kUDP, ir::kSCTP, ir::kICMP, ir::kICMPv6, 0, 255})
    for (auto [lo, hi] : ranges) {
      ir::PortMatch pm;
      pm.proto = proto;
      pm.lo = lo;
      pm.hi = hi;
      // ICMP and ICMPv6 carry type << 8 | code in the port; a range of every protocol
      // sees them as port 0 (ir/evaluate.cpp matches).
      z3::expr icmp = proto_is(ctx, pkt, ir::kICMP) || proto_is(ctx, pkt, ir::kICMPv6);
      z3::expr seen = proto == ir::kAnyProto ? z3::ite(icmp, ctx.bv_val(0, 16), pkt.port) : pkt.port;
      z3::expr spec = proto_ok(ctx, pm, pkt) && in_range(ctx, seen, lo, hi);
      ob.instances.push_back({pm.str(), enc.port_match(pm, pkt) == spec});
    }
  return ob;
}

// What the evaluator accepts for a named port and a destination pod: per protocol, the
// port Pod::named_port resolves, confirmed by ir::matches itself.
z3::expr resolved(z3::context& ctx, const ir::PortMatch& pm, const ir::Pod& pod,
                  const SymPacket& pkt) {
  const ir::Endpoint dst = ir::Endpoint::of_pod(pod, ir::Family::V4);
  z3::expr_vector any(ctx);
  for (int proto = 0; proto < 256; ++proto) {
    auto port = pod.named_port(pm.named, proto);
    bool accepted = port && ir::matches(pm, proto, *port, dst);
    if (accepted != (port && (pm.proto == ir::kAnyProto || pm.proto == proto)) ||
        (port && ir::matches(pm, proto, static_cast<uint16_t>(*port + 1), dst)))
      throw std::logic_error("the evaluator's named-port rule changed; restate e.*");
    if (accepted)
      any.push_back(proto_is(ctx, pkt, proto) && pkt.port == ctx.bv_val(uint64_t{*port}, 16));
  }
  return z3::mk_or(any);
}

// e: named ports for destinations pinned to an inventory.
Obligation named_ports(z3::context& ctx, const InventoryCase& c) {
  Universe u;
  u.family = ir::Family::V4;
  u.add(c.policies);
  u.add_inventory(c.inv);
  u.finish();
  Encoder enc(ctx, u);
  SymPacket pkt = enc.packet();
  enc.pin(pkt, c.inv);
  const auto& table = *pkt.dst.pinned;
  const unsigned w = table.cls.get_sort().bv_size();
  Obligation ob{"e.port_match.named." + c.name,
                "under the facts of a packet pinned to the inventory, for every class i of "
                "destination pods, every pod of the class and every listed named PortMatch: "
                "dst.class == i => (Encoder::port_match <=> the evaluator resolves (proto, port) "
                "for that pod); and no address outside the inventory has a named port",
                enc.facts(),
                {},
                {{table.cls, Show::Number}, {pkt.proto, Show::Number}, {pkt.port, Show::Number}}};
  for (size_t i = 0; i <= table.classes.size(); ++i) {
    z3::expr is_i = table.cls == ctx.bv_val(static_cast<uint64_t>(i), w);
    ob.reachable.push_back({"dst.class == " + std::to_string(i), is_i});
    for (const auto& pm : c.named) {
      z3::expr encoded = enc.port_match(pm, pkt);
      if (i == table.classes.size()) {
        ob.instances.push_back({"outside the inventory, " + pm.str(), z3::implies(is_i, !encoded)});
        continue;
      }
      for (const ir::Pod* pod : table.classes[i].pods) {
        z3::expr spec = resolved(ctx, pm, *pod, pkt);
        ob.instances.push_back({"class " + std::to_string(i) + " " + pod->id() + ", " + pm.str(),
                                z3::implies(is_i, encoded == spec)});
        if (pod == table.classes[i].pods.front() && !spec.simplify().is_false())
          ob.reachable.push_back(
              {"class " + std::to_string(i) + " matching " + pm.str(), is_i && encoded});
      }
    }
  }
  return ob;
}

// e, for Encoder::pin_to: the destination pinned to one concrete pod. Every encoder
// names its packet's constants alike ("proto", "dst.addr"...), so the instances share
// them; each states its own pod's facts as a premise.
Obligation named_ports_pin_to(z3::context& ctx, const InventoryCase& c) {
  Universe u;
  u.family = ir::Family::V4;
  u.add(c.policies);
  u.add_inventory(c.inv);
  u.finish();
  Obligation ob{
      "e.port_match.named.pin_to",
      "with the destination pinned by Encoder::pin_to to each pod of the inventory, for "
      "every listed named PortMatch: Encoder::port_match <=> the evaluator resolves "
      "(proto, port) for that pod",
      {},
      {},
      {{ctx.bv_const("proto", 8), Show::Number}, {ctx.bv_const("port", 16), Show::Number}}};
  for (const auto& pod : c.inv.pods) {
    Encoder enc(ctx, u);
    SymPacket pkt = enc.packet();
    enc.pin_to(pkt.dst, ir::Endpoint::of_pod(pod, ir::Family::V4), c.inv);
    ob.reachable.push_back({"pinned to " + pod.id(), enc.facts_conj()});
    for (const auto& pm : c.named)
      ob.instances.push_back(
          {pod.id() + ", " + pm.str(),
           z3::implies(enc.facts_conj(), enc.port_match(pm, pkt) == resolved(ctx, pm, pod, pkt))});
  }
  return ob;
}

}  // namespace

std::vector<Obligation> port_obligations(z3::context& ctx) {
  std::vector<Obligation> out;
  out.push_back(port_split(ctx));
  out.push_back(numeric_ports(ctx));
  for (const auto& c : inventory_cases()) out.push_back(named_ports(ctx, c));
  out.push_back(named_ports_pin_to(ctx, pin_to_case()));
  return out;
}

std::vector<Obligation> all_obligations(z3::context& ctx) {
  std::vector<Obligation> out = cidr_obligations(ctx);
  for (auto& ob : port_obligations(ctx)) out.push_back(std::move(ob));
  return out;
}

std::vector<Obligation> known_bug_obligations(z3::context&) {
  return {};  // none: pin_to's named ports were fixed with a one-class pin table
}

}  // namespace nv::proofs
