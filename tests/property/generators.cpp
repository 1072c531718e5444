#include "tests/property/generators.h"

namespace nv::test {

namespace {
const std::vector<std::string> kKeys = {"app", "tier", "env"};
const std::vector<std::string> kValues = {"a", "b", "c"};
const std::vector<std::string> kPortNames = {"http", "dns"};
const std::vector<std::string> kServiceAccounts = {"default", "sa1", "sa2"};
const std::vector<int> kProtos = {ir::kTCP, ir::kUDP, ir::kSCTP};

ir::Cidr cidr(uint8_t third, uint8_t fourth, int len, const WorldAddresses& addrs = {}, bool v6 = false) {
  ir::Cidr c{ir::IpAddr{}, 32};
  if (v6) {
    c.addr = *addrs.v6_prefix;
    for (int i = 12; i < 16; ++i) c.addr.bytes[static_cast<size_t>(i)] = 0;
    c.addr.bytes[14] = third;
    c.addr.bytes[15] = fourth;
    return *ir::Cidr::parse(c.addr.str() + "/" + std::to_string(96 + len));
  }
  c.addr.bytes = {addrs.v4_prefix[0], addrs.v4_prefix[1], third, fourth};
  return *ir::Cidr::parse(c.addr.str() + "/" + std::to_string(len));
}

// The IPv6 address under addrs.v6_prefix whose last byte is `n` (as the IPv4 one's).
ir::IpAddr v6_addr(const WorldAddresses& addrs, int n) {
  ir::IpAddr a = *addrs.v6_prefix;
  for (int i = 12; i < 16; ++i) a.bytes[static_cast<size_t>(i)] = 0;
  a.bytes[15] = static_cast<uint8_t>(n);
  return a;
}
}  // namespace

rc::Gen<ir::Labels> gen_labels() {
  return rc::gen::exec([] {
    ir::Labels l;
    for (const auto& k : kKeys)
      if (*rc::gen::inRange(0, 3) != 0) l[k] = *rc::gen::elementOf(kValues);
    return l;
  });
}

rc::Gen<ir::Selector> gen_selector(int depth) {
  return rc::gen::exec([depth] {
    int max = depth > 0 ? 11 : 8;
    std::string k = *rc::gen::elementOf(kKeys);
    std::string v = *rc::gen::elementOf(kValues);
    switch (*rc::gen::inRange(0, max + 1)) {
      case 0:
        return ir::Selector::all();
      case 1:
        return ir::Selector::has(k);
      case 2:
        return ir::Selector::eq(k, v);
      case 3:
        return ir::Selector::not_eq_(k, v);
      case 4:
        return ir::Selector::in(k, *rc::gen::container<std::vector<std::string>>(2, rc::gen::elementOf(kValues)));
      case 5:
        return ir::Selector::not_in(k, *rc::gen::container<std::vector<std::string>>(2, rc::gen::elementOf(kValues)));
      case 6:
        return ir::Selector{ir::Selector::Op::StartsWith, k, {v.substr(0, 1)}, {}};
      case 7:
        return ir::Selector{ir::Selector::Op::Contains, k, {v}, {}};
      case 8:
        return ir::Selector{ir::Selector::Op::EndsWith, k, {v}, {}};
      case 9:
        return ir::Selector::negate(*gen_selector(depth - 1));
      case 10:
        return ir::Selector::conj({*gen_selector(depth - 1), *gen_selector(depth - 1)});
      default:
        return ir::Selector::disj({*gen_selector(depth - 1), *gen_selector(depth - 1)});
    }
  });
}

rc::Gen<ir::Peer> gen_peer(const std::vector<std::string>& namespaces, const WorldAddresses& addrs,
                           bool nodes) {
  return rc::gen::exec([namespaces, addrs, nodes] {
    ir::Peer p;
    if (nodes && *rc::gen::inRange(0, 4) == 0) {
      p.kinds = ir::mask(ir::EndpointKind::Host);
      p.node_selector = *gen_selector(1);
      return p;
    }
    if (*rc::gen::inRange(0, 4) == 0) {
      const ir::KindMask all = ir::kAllKinds, pods = ir::mask(ir::EndpointKind::Pod),
                         outside = ir::mask(ir::EndpointKind::External) | ir::mask(ir::EndpointKind::Host);
      p.kinds = *rc::gen::element(all, pods, outside);
      bool v6 = addrs.v6_prefix && *rc::gen::arbitrary<bool>();  // no draw with the default
      ir::CidrBlock b{cidr(0, 0, *rc::gen::inRange(24, 31), addrs, v6), {}};
      if (*rc::gen::arbitrary<bool>())
        b.except.push_back(cidr(0, static_cast<uint8_t>(*rc::gen::inRange(0, 8)), 31, addrs, v6));
      p.cidrs = std::vector<ir::CidrBlock>{b};
      return p;
    }
    const ir::KindMask all = ir::kAllKinds, pods = ir::mask(ir::EndpointKind::Pod);
    p.kinds = *rc::gen::element(pods, all);
    if (*rc::gen::arbitrary<bool>()) p.pod_selector = *gen_selector();
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        p.ns_name = *rc::gen::elementOf(namespaces);
        break;
      case 1:
        p.ns_selector = *gen_selector(1);
        break;
      default:
        break;
    }
    return p;
  });
}

rc::Gen<ir::PortMatch> gen_port_match(bool icmp) {
  return rc::gen::exec([icmp] {
    ir::PortMatch pm;
    pm.proto = icmp ? *rc::gen::element(ir::kAnyProto, ir::kTCP, ir::kUDP, ir::kSCTP, ir::kICMP,
                                        ir::kICMPv6)
                    : *rc::gen::element(ir::kAnyProto, ir::kTCP, ir::kUDP, ir::kSCTP);
    if (ir::is_icmp(pm.proto)) {
      // ICMP type << 8 | code (ir/model.h is_icmp): every type, one type (every code), or
      // one or two codes of a type.
      int type = *rc::gen::element(0, 3, 8, 128);
      switch (*rc::gen::inRange(0, 3)) {
        case 0:
          pm.lo = ir::icmp_port(type, 0);
          pm.hi = ir::icmp_port(type, 255);
          break;
        case 1: {
          int code = *rc::gen::inRange(0, 2);
          pm.lo = ir::icmp_port(type, code);
          pm.hi = ir::icmp_port(type, code + *rc::gen::inRange(0, 2));
          break;
        }
        default:
          break;  // every type
      }
      return pm;
    }
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        pm.named = *rc::gen::elementOf(kPortNames);
        break;
      case 1: {
        // From 0 now and then: a range of every protocol that holds port 0 admits every
        // protocol without ports and every ICMP type (ir::matches).
        int lo = icmp && *rc::gen::inRange(0, 5) == 0 ? 0 : *rc::gen::inRange(79, 83);
        pm.lo = static_cast<uint16_t>(lo);
        pm.hi = static_cast<uint16_t>(lo + *rc::gen::inRange(0, 3));
        break;
      }
      default:
        break;  // every port
    }
    return pm;
  });
}

rc::Gen<World> gen_world(bool k8s_only, const WorldAddresses& addrs, bool icmp, bool nodes) {
  nodes = nodes && !k8s_only;
  return rc::gen::exec([k8s_only, addrs, icmp, nodes] {
    World w;
    int nns = *rc::gen::inRange(1, 4);
    std::vector<std::string> namespaces;
    for (int i = 0; i < nns; ++i) {
      namespaces.push_back("ns" + std::to_string(i));
      w.inventory.namespaces.push_back({namespaces.back(), *gen_labels(), {}});
    }
    int npods = *rc::gen::inRange(1, 12);
    for (int i = 0; i < npods; ++i) {
      ir::Pod p;
      p.ns = *rc::gen::elementOf(namespaces);
      p.name = "p" + std::to_string(i);
      p.labels = *gen_labels();
      p.node = "n" + std::to_string(*rc::gen::inRange(0, 2));
      p.host_network = *rc::gen::inRange(0, 8) == 0;
      ir::IpAddr a;
      a.bytes = {addrs.v4_prefix[0], addrs.v4_prefix[1], 0, static_cast<uint8_t>(p.host_network ? 100 + i : i)};
      p.ips.push_back(a);
      if (addrs.v6_prefix) p.ips.push_back(v6_addr(addrs, p.host_network ? 100 + i : i));
      for (const auto& n : kPortNames)
        if (*rc::gen::arbitrary<bool>())
          p.ports.push_back({n, *rc::gen::elementOf(kProtos), static_cast<uint16_t>(*rc::gen::inRange(79, 83))});
      // A service account (Calico and Cilium select by it), sa1 and sa2 with labels.
      p.service_account = *rc::gen::elementOf(kServiceAccounts);
      w.inventory.pods.push_back(std::move(p));
    }
    for (const auto& ns : namespaces)
      for (const auto& sa : kServiceAccounts)
        if (sa != "default") w.inventory.service_accounts.push_back({ns, sa, *gen_labels(), {}});
    if (nodes)
      for (int i = 0; i < 2; ++i) {
        ir::IpAddr a;
        a.bytes = {addrs.v4_prefix[0], addrs.v4_prefix[1], 0, static_cast<uint8_t>(200 + i)};
        ir::Node n{"n" + std::to_string(i), *gen_labels(), {a}, {}};
        if (addrs.v6_prefix) n.addresses.push_back(v6_addr(addrs, 200 + i));
        w.inventory.nodes.push_back(std::move(n));
      }
    ir::Diagnostics ignored;
    w.inventory.finalize(ignored);

    int ntiers = k8s_only ? 1 : *rc::gen::inRange(1, 4);
    std::vector<std::string> tiers;
    for (int t = 0; t < ntiers; ++t) {
      tiers.push_back(k8s_only ? ir::kDefaultTier : "t" + std::to_string(t));
      w.policies.add_tier({tiers.back(), static_cast<double>(t),
                           k8s_only ? ir::Action::Deny : *rc::gen::element(ir::Action::Deny, ir::Action::Pass)});
    }
    int npol = *rc::gen::inRange(0, 6);
    for (int i = 0; i < npol; ++i) {
      ir::Policy p;
      p.dialect = "test";
      p.kind = "P";
      p.name = "pol" + std::to_string(i);
      p.tier = *rc::gen::elementOf(tiers);
      p.order = *rc::gen::inRange(0, 3);
      if (nodes && *rc::gen::inRange(0, 4) == 0) {
        // A host policy: it applies to the nodes its selector picks (ir::applies_to_hosts).
        p.subject.kinds = ir::mask(ir::EndpointKind::Host);
        p.subject.node_selector = *gen_selector(1);
      } else {
        p.subject.kinds = ir::mask(ir::EndpointKind::Pod);
        if (k8s_only || *rc::gen::arbitrary<bool>())
          p.subject.ns_name = *rc::gen::elementOf(namespaces);
        p.subject.pod_selector = *gen_selector(1);
      }
      for (auto d : ir::kDirections) {
        auto& dr = p.dir(d);
        dr.isolates = *rc::gen::arbitrary<bool>();
        int nrules = *rc::gen::inRange(0, 4);
        for (int r = 0; r < nrules; ++r) {
          ir::Rule rule;
          rule.action = k8s_only ? ir::Action::Allow
                                 : *rc::gen::element(ir::Action::Allow, ir::Action::Deny, ir::Action::Pass,
                                                     ir::Action::Log);
          rule.path = "rule" + std::to_string(r);
          rule.peers = *rc::gen::container<std::vector<ir::Peer>>(
              static_cast<size_t>(*rc::gen::inRange(0, 3)), gen_peer(namespaces, addrs, nodes));
          rule.ports = *rc::gen::container<std::vector<ir::PortMatch>>(
              static_cast<size_t>(*rc::gen::inRange(0, 3)), gen_port_match(icmp && !k8s_only));
          dr.rules.push_back(std::move(rule));
        }
      }
      w.policies.add(std::move(p));
    }
    w.policies.finalize();
    return w;
  });
}

}  // namespace nv::test
