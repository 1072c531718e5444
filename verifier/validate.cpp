#include "verifier/validate.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "compiler/backends/plan.h"
#include "verifier/encode.h"
#include "verifier/firewall_z3.h"

namespace nv::verifier {

namespace {

// The policies that select one of the node's pods: the only ones whose rules the node
// enforces (a policy that selects none of them takes no part in their tier walks).
// With `only`, the policies that select that pod.
ir::PolicySet selecting(const ir::PolicySet& ps, const ir::Inventory& inv, const std::string& node,
                        const ir::Pod* only) {
  ir::PolicySet out;
  for (const auto& t : ps.tiers()) out.add_tier(t);
  for (const auto& p : ps.policies()) {
    bool any = false;
    for (const auto& pod : inv.pods) {
      if (pod.node != node || pod.host_network || (only && only != &pod)) continue;
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

// ---------------------------------------------------------------------------------------
// The peer-address partition
//
// With one endpoint of a packet fixed, the specification depends on the other (peer)
// address only through the pin table's class of it and its membership in the universe's
// CIDRs, and the ruleset only through the sets and maps it looks the peer field up in.
// Cutting the address line at every boundary of all of these gives blocks on which both
// sides are constant; blocks with the same outcome of every test are interchangeable, so
// it is enough for Z3 to consider one address per distinct outcome. The tests on the
// ruleset side are found by walking the parsed ruleset with the fixed endpoint known.

using backends::Field;
using backends::u128;

bool addr_field(Field f) { return f == Field::Src4 || f == Field::Dst4 || f == Field::Src6 || f == Field::Dst6; }
bool field_family(Field f, ir::Family fam) {
  return (fam == ir::Family::V4) == (f == Field::Src4 || f == Field::Dst4);
}

struct Known {
  std::string node;
  ir::Family family;
  Field fixed, peer;  // the fixed endpoint's field and the peer's, of this family
  u128 value;         // the fixed endpoint's address
};

// One ruleset test on the peer field: ranges of the peer component with an outcome id.
struct PeerTest {
  std::vector<std::tuple<u128, u128, std::string>> ranges;  // lo, hi, outcome (element)
};

bool in_element(const backends::Element& e, size_t i, u128 v) { return e.key[i].lo <= v && v <= e.key[i].hi; }

class TestCollector {
 public:
  TestCollector(const backends::Firewall& fw, const Known& k) : fw_(fw), k_(k) {}

  void chain(const std::string& name, int depth = 0) {
    if (depth > 64 || !visited_.insert(name).second) return;
    auto it = fw_.chains.find(name);
    if (it == fw_.chains.end()) return;
    for (const auto& r : it->second.rules) {
      bool possible = true;
      for (const auto& m : r.matches)
        if (!match(m.key, m.set.empty() ? &*m.inline_set : find(m.set), m.negate)) possible = false;
      if (!possible) continue;
      if (r.vmap) {
        const backends::Set* map = r.vmap->map.empty() ? &*r.vmap->inline_map : find(r.vmap->map);
        if (!map) continue;
        std::optional<size_t> fixed_pos;
        bool other_family = false;
        for (size_t i = 0; i < r.vmap->key.size(); ++i) {
          Field f = r.vmap->key[i];
          if (addr_field(f) && !field_family(f, k_.family)) other_family = true;
          if (f == k_.fixed) fixed_pos = i;
        }
        if (other_family) continue;
        record(r.vmap->key, *map, true);
        for (const auto& e : map->elements) {
          if (fixed_pos && !in_element(e, *fixed_pos, k_.value)) continue;
          follow(e.verdict, depth);
        }
      } else {
        follow(r.verdict, depth);
      }
    }
  }
  std::vector<PeerTest> tests;

 private:
  const backends::Set* find(const std::string& n) {
    auto it = fw_.sets.find(n);
    return it == fw_.sets.end() ? nullptr : &it->second;
  }
  void follow(const backends::Verdict& v, int depth) {
    if (v.kind == backends::VerdictKind::Jump || v.kind == backends::VerdictKind::Goto) chain(v.chain, depth + 1);
  }
  // False when the match can never hold for the fixed endpoint (or this family).
  bool match(const std::vector<Field>& key, const backends::Set* set, bool negate) {
    if (!set) return true;
    std::optional<size_t> fixed_pos;
    bool peer = false;
    for (size_t i = 0; i < key.size(); ++i) {
      if (addr_field(key[i]) && !field_family(key[i], k_.family)) return false;
      if (key[i] == k_.fixed) fixed_pos = i;
      if (key[i] == k_.peer) peer = true;
    }
    if (peer) record(key, *set, false);
    if (fixed_pos && key.size() == 1 && !peer) {
      bool in = std::any_of(set->elements.begin(), set->elements.end(),
                            [&](const backends::Element& e) { return in_element(e, 0, k_.value); });
      return in != negate;
    }
    return true;
  }
  void record(const std::vector<Field>& key, const backends::Set& set, bool is_map) {
    for (size_t i = 0; i < key.size(); ++i) {
      if (key[i] != k_.peer) continue;
      PeerTest t;
      for (size_t j = 0; j < set.elements.size(); ++j) {
        const auto& e = set.elements[j];
        // A one-field map's lookup depends on the element's verdict only; anything else
        // on which element it is.
        std::string id = is_map && key.size() == 1
                             ? std::to_string(static_cast<int>(e.verdict.kind)) + e.verdict.chain
                             : std::to_string(j);
        t.ranges.emplace_back(e.key[i].lo, e.key[i].hi, id);
      }
      tests.push_back(std::move(t));
    }
  }

  const backends::Firewall& fw_;
  Known k_;
  std::set<std::string> visited_;
};

// One address per distinct outcome of every test, the fixed address excluded.
//
// On the specification side the tests are those of the universe of the policies that
// select the fixed pod: for a peer that is not one of the node's pods, no other policy
// takes part (the peer's own policies are other nodes' business), so peers alike for
// that universe (class_key) and in its CIDRs are alike for the specification.
std::vector<u128> representatives(const Encoder::NodePin& pin, const Universe& pu, const ir::Inventory& inv,
                                  const std::vector<PeerTest>& tests, const Known& k) {
  const std::vector<ir::Cidr>& cidrs = pu.cidrs;
  u128 top = k.family == ir::Family::V4 ? (u128(1) << 32) - 1 : ~u128(0);
  std::vector<u128> cuts = {0, k.value};
  if (k.value < top) cuts.push_back(k.value + 1);
  auto cut_range = [&](u128 lo, u128 hi) {
    cuts.push_back(lo);
    if (hi < top) cuts.push_back(hi + 1);
  };
  // The pin table's addresses, each with what the fixed pod's policies see of it.
  std::vector<std::pair<u128, std::string>> table;
  for (const auto& [a, c] : pin.table) {
    const ir::Pod* pod = inv.find_pod_by_ip(a);
    // The node's pods never share a representative with other pods (the parts tell them apart).
    std::string key = pod ? std::string(pod->node == k.node ? "L" : "R") + class_key(pu, *pod, a) : "";
    table.emplace_back(backends::addr_value(a), std::to_string(c < pin.outside - 2 ? 0 : c) + ':' + key);
    cut_range(table.back().first, table.back().first);
  }
  std::vector<std::pair<u128, u128>> cr;
  for (const auto& c : cidrs) {
    u128 lo = backends::addr_value(c.addr);
    int host = c.addr.bits() - c.len;
    u128 hi = host >= 128 ? top : lo + ((u128(1) << host) - 1);
    cr.emplace_back(lo, hi);
    cut_range(lo, hi);
  }
  std::vector<std::vector<std::tuple<u128, u128, std::string>>> sorted;
  for (const auto& t : tests) {
    for (const auto& [lo, hi, id] : t.ranges) cut_range(lo, hi);
    sorted.push_back(t.ranges);
    std::sort(sorted.back().begin(), sorted.back().end());
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  std::set<std::string> seen;
  std::vector<u128> reps;
  for (u128 r : cuts) {
    if (r == k.value) continue;
    std::string sig;
    auto it = std::lower_bound(table.begin(), table.end(), std::make_pair(r, std::string()));
    sig += (it != table.end() && it->first == r ? it->second : "outside") + '|';
    for (const auto& [lo, hi] : cr) sig += (lo <= r && r <= hi) ? '1' : '0';
    for (const auto& t : sorted) {
      sig += '|';
      // Ranges may overlap in concatenated keys: every element that holds r.
      auto end = std::upper_bound(t.begin(), t.end(), std::make_tuple(r, top, std::string("\xff")));
      for (auto e = t.begin(); e != end; ++e)
        if (std::get<1>(*e) >= r) sig += std::get<2>(*e) + ',';
    }
    if (seen.insert(sig).second) reps.push_back(r);
  }
  return reps;
}

}  // namespace

std::optional<Counterexample> validate_firewall(const ir::PolicySet& all, const ir::Inventory& inv,
                                                const std::string& node, const backends::Firewall& fw,
                                                ir::Family family, const SolverOptions& opt) {
  ir::PolicySet ps = selecting(all, inv, node, nullptr);
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

  // The parts of the packet space, each a query under an assumption: from each of the
  // node's pods to anything but them (and to them), to each pod from anything but them,
  // and between two addresses that are neither. Together they cover every packet.
  const bool v4 = family == ir::Family::V4;
  const Field src_f = v4 ? Field::Src4 : Field::Src6, dst_f = v4 ? Field::Dst4 : Field::Dst6;
  std::vector<ir::IpAddr> local;
  for (const ir::Pod* pod : backends::local_pods(inv, node))
    for (const auto& a : pod->ips)
      if (a.family == family) local.push_back(a);
  auto one_of = [&](const z3::expr& x, const std::vector<z3::expr>& vals) {
    z3::expr_vector v(ctx);
    for (const auto& c : vals) v.push_back(x == c);
    return z3::mk_or(v);
  };
  std::vector<z3::expr> local_vals;
  for (const auto& a : local) local_vals.push_back(enc.addr_val(a));
  z3::expr src_local = one_of(pkt.src.addr, local_vals), dst_local = one_of(pkt.dst.addr, local_vals);
  auto peers = [&](const ir::IpAddr& a, Field fixed, Field peer) {
    Known k{node, family, fixed, peer, backends::addr_value(a)};
    Universe pu;
    pu.family = family;
    pu.add(selecting(all, inv, node, inv.find_pod_by_ip(a)));
    pu.add_inventory(inv);
    pu.finish();
    TestCollector tc(fw, k);
    tc.chain(fw.entry);
    std::vector<z3::expr> vals;
    for (u128 r : representatives(here, pu, inv, tc.tests, k)) vals.push_back(enc.addr_val(backends::addr_of(r, family)));
    return vals;
  };
  std::string name = std::string("validate-") + node + (v4 ? "-ipv4" : "-ipv6");
  unsigned n = 0;
  auto part = [&](const std::string& label, const z3::expr& cond) {
    z3::expr b = ctx.bool_const(("part" + std::to_string(n++)).c_str());
    s.add(z3::implies(b, cond));
    z3::expr_vector assume(ctx);
    assume.push_back(b);
    return checker.sat(s, assume, label);
  };
  bool differs = false;
  for (const auto& a : local) {
    z3::expr at = enc.addr_val(a);
    if ((differs = part(name + " from " + a.str(), pkt.src.addr == at && !dst_local &&
                                                       one_of(pkt.dst.addr, peers(a, src_f, dst_f))) ||
                   part(name + " to " + a.str(), pkt.dst.addr == at && !src_local &&
                                                     one_of(pkt.src.addr, peers(a, dst_f, src_f))) ||
                   part(name + " from " + a.str() + " to the node's pods", pkt.src.addr == at && dst_local)))
      break;
  }
  if (!differs) differs = part(name + " transit", !src_local && !dst_local);
  if (!differs) return std::nullopt;
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
