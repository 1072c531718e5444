// Calico (projectcalico.org/v3) semantics: the normalization of negations checked against a
// direct evaluation of Calico's meaning on many endpoints, then policies end to end
// (shared/SEMANTICS.md section 2).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "compiler/frontends/calico/lowering.h"
#include "ir/evaluate.h"
#include "ir/matrix.h"
#include "tests/support/support.h"

using namespace nv;
using calico::NetworkSet;
using calico::PeerSpec;
using ir::Selector;
using nv::test::inventory_yaml;
using nv::test::load_text;

namespace {

ir::Cidr cidr(const std::string& s) { return *ir::Cidr::parse(s); }
ir::IpAddr ip(const std::string& s) { return *ir::IpAddr::parse(s); }

// ---- A direct evaluation of Calico's meaning ------------------------------------------

// The labels felix sees on a pod's workload endpoint: the pod's, then
// projectcalico.org/namespace and /orchestrator, then the namespace profile's pcns.* under
// the pod's own (conversion/workload_endpoint_default.go, NamespaceToProfile).
ir::Labels endpoint_labels(const ir::Pod& p, const ir::Inventory& inv) {
  ir::Labels l = p.labels;
  l[calico::kLabelNamespace] = p.ns;
  l[calico::kLabelOrchestrator] = "k8s";
  if (!p.service_account.empty() && p.service_account.size() < 63)
    l[calico::kLabelServiceAccount] = p.service_account;
  for (const auto& [k, v] : inv.namespace_labels(p.ns)) l.emplace("pcns." + k, v);
  l.emplace("pcns.projectcalico.org/name", p.ns);
  return l;
}

ir::Labels set_labels(const NetworkSet& s, const ir::Inventory& inv) {
  ir::Labels l = s.labels;
  if (s.ns.empty()) return l;
  l[calico::kLabelNamespace] = s.ns;
  for (const auto& [k, v] : inv.namespace_labels(s.ns)) l.emplace("pcns." + k, v);
  l.emplace("pcns.projectcalico.org/name", s.ns);
  return l;
}

// A namespaceSelector evaluated as upstream does after rewriting it: keys read with the
// pcns. prefix, all() as has(projectcalico.org/namespace), global() as its negation.
bool ns_selector_matches(const Selector& s, const ir::Labels& l) {
  using Op = Selector::Op;
  switch (s.op) {
    case Op::Not: return !ns_selector_matches(s.kids[0], l);
    case Op::And:
      for (const auto& k : s.kids)
        if (!ns_selector_matches(k, l)) return false;
      return true;
    case Op::Or:
      for (const auto& k : s.kids)
        if (ns_selector_matches(k, l)) return true;
      return false;
    case Op::All: return true;
    default:
      if (s == calico::all_marker()) return l.contains(calico::kLabelNamespace);
      if (s == calico::global_marker()) return !l.contains(calico::kLabelNamespace);
      Selector t = s;
      t.key = "pcns." + s.key;
      return t.matches(l);
  }
}

// One side of a Calico rule as written.
struct RawSide {
  std::optional<Selector> selector, not_selector, ns_selector;  // ns_selector with markers
  std::vector<ir::Cidr> nets, not_nets;
  std::optional<ir::Family> family;
};

// getEndpointSelector's meaning as a predicate on an endpoint's labels.
std::optional<bool> scoped(const RawSide& r, const std::string& policy_ns, const ir::Labels& l) {
  bool any = r.selector || r.not_selector || r.ns_selector;
  std::optional<bool> ns_part;
  if (r.ns_selector)
    ns_part = ns_selector_matches(*r.ns_selector, l);
  else if (!policy_ns.empty()) {
    auto it = l.find(calico::kLabelNamespace);
    ns_part = it != l.end() && it->second == policy_ns;
  }
  if (ns_part && any) return *ns_part && (!r.selector || r.selector->matches(l));
  if (r.selector) return r.selector->matches(l);
  return std::nullopt;
}

// Whether an address is in the IP set of endpoints and network sets whose labels satisfy
// `pred` (felix: selectors become IP sets).
template <class Pred>
bool in_ip_set(const ir::IpAddr& a, const ir::Inventory& inv, const std::vector<NetworkSet>& sets,
               Pred pred) {
  for (const auto& p : inv.pods) {
    if (p.host_network) continue;  // no workload endpoint
    for (const auto& pip : p.ips)
      if (pip == a && pred(endpoint_labels(p, inv))) return true;
  }
  for (const auto& s : sets)
    for (const auto& c : s.nets)
      if (c.contains(a) && pred(set_labels(s, inv))) return true;
  return false;
}

bool calico_matches(const RawSide& r, const std::string& policy_ns, const ir::IpAddr& a,
                    const ir::Inventory& inv, const std::vector<NetworkSet>& sets) {
  if (r.family && a.family != *r.family) return false;
  auto in = [&](const std::vector<ir::Cidr>& v) {
    return std::any_of(v.begin(), v.end(), [&](const ir::Cidr& c) { return c.contains(a); });
  };
  if (!r.nets.empty() && !in(r.nets)) return false;
  if (!r.not_nets.empty() && in(r.not_nets)) return false;
  // Whether the scoped selector constrains at all does not depend on the labels.
  if (scoped(r, policy_ns, {}).has_value() &&
      !in_ip_set(a, inv, sets, [&](const ir::Labels& l) { return *scoped(r, policy_ns, l); }))
    return false;
  if (r.not_selector &&
      in_ip_set(a, inv, sets, [&](const ir::Labels& l) { return r.not_selector->matches(l); }))
    return false;
  return true;
}

// ---- The world the normalization is checked on ----------------------------------------

const std::string kWorld = inventory_yaml({
    "ns prod env=prod team=a",
    "ns dev env=dev",
    "ns bare",
    "pod prod/web 10.0.0.1 app=web role=front",
    "pod prod/db 10.0.0.2 app=db",
    "pod prod/cache 10.0.1.3 app=cache role=x",
    "pod dev/web 10.1.0.1 app=web",
    "pod dev/tool 10.1.0.2 app=tool role=x",
    "pod bare/lone 10.2.0.1",
    "pod prod/hostnet 192.168.10.11 app=web hostNetwork node=n1",
});

std::vector<NetworkSet> world_sets() {
  return {
      NetworkSet{"", "partners", {{"role", "x"}}, {cidr("203.0.113.0/24"), cidr("10.0.1.0/24")}, {}},
      NetworkSet{"", "v6", {{"app", "web"}}, {cidr("2001:db8::/32")}, {}},
      NetworkSet{"dev", "office", {{"role", "x"}, {"app", "db"}}, {cidr("198.51.100.0/24")}, {}},
      NetworkSet{"prod", "backup", {{"app", "cache"}}, {cidr("10.1.0.0/30")}, {}},
  };
}

std::vector<ir::IpAddr> world_addresses(const ir::Inventory& inv) {
  std::vector<ir::IpAddr> out;
  for (const auto& p : inv.pods) out.insert(out.end(), p.ips.begin(), p.ips.end());
  for (const char* a : {"203.0.113.9", "10.0.1.77", "198.51.100.1", "8.8.8.8", "2001:db8::5",
                        "2001:db9::1", "10.1.0.3", "192.168.10.12"})
    out.push_back(ip(a));
  return out;
}

std::vector<Selector> selector_pool() {
  return {
      Selector::eq("app", "web"),
      Selector::has("role"),
      Selector::negate(Selector::has("role")),
      Selector::not_eq_("app", "db"),
      Selector::disj({Selector::eq("app", "db"), Selector::eq("role", "x")}),
      Selector::eq(calico::kLabelNamespace, "dev"),
      Selector::has("pcns.team"),
      Selector::disj({Selector::eq("pcns.env", "dev"), Selector::eq("app", "cache")}),
      Selector::conj({Selector::not_in("app", {"web", "tool"}), Selector::eq(calico::kLabelOrchestrator, "k8s")}),
      Selector::eq("pcns.projectcalico.org/name", "bare"),
      Selector::all(),
  };
}

std::vector<Selector> ns_selector_pool() {
  return {
      Selector::eq("env", "prod"),
      calico::all_marker(),
      calico::global_marker(),
      Selector::not_eq_("env", "prod"),
      Selector::has("team"),
      calico::raw_and(calico::all_marker(), Selector::not_eq_("env", "dev")),
  };
}

std::vector<std::vector<ir::Cidr>> nets_pool() {
  return {{cidr("10.0.0.0/16")}, {cidr("10.0.0.2/32"), cidr("203.0.113.0/25")}, {cidr("0.0.0.0/0")},
          {cidr("2001:db8::/48")}, {cidr("10.1.0.0/31")}};
}

struct World {
  std::unique_ptr<test::Loaded> l = load_text("", kWorld);
  std::vector<NetworkSet> sets = world_sets();
  std::vector<ir::IpAddr> addrs = world_addresses(l->inventory);
};

// Compares lower_peer with the direct evaluation on every address of the world; returns
// false (skipped) when lowering refuses the case.
bool check_side(const World& w, const RawSide& r, const std::string& policy_ns, std::string* why) {
  PeerSpec spec;
  spec.selector = calico::scoped_selector({r.selector, r.ns_selector, r.not_selector.has_value()}, policy_ns);
  spec.not_selector = r.not_selector;
  spec.nets = r.nets;
  spec.not_nets = r.not_nets;
  spec.family = r.family;
  auto res = calico::lower_peer(spec, w.sets);
  if (std::holds_alternative<calico::Problem>(res)) return false;
  const auto& peers = std::get<std::vector<ir::Peer>>(res);
  for (const auto& a : w.addrs) {
    ir::Endpoint e = ir::Endpoint::of_ip(w.l->inventory, a);
    bool got = peers.empty() || std::any_of(peers.begin(), peers.end(), [&](const ir::Peer& p) {
                 return ir::matches(p, e, w.l->inventory);
               });
    bool want = calico_matches(r, policy_ns, a, w.l->inventory, w.sets);
    if (got != want) {
      *why = "address " + a.str() + " (" + e.str() + "): lowered " + std::to_string(got) + ", Calico " +
             std::to_string(want) + "; peers:";
      for (const auto& p : peers) *why += "\n  " + p.str();
      return true;
    }
  }
  return true;
}

}  // namespace

// ---- Address sets and peers ----------------------------------------------------------------

TEST(CalicoNormalize, ComplementOfNetsKeepsBothFamiliesApart) {
  auto c = calico::addr_complement({cidr("10.0.0.0/8"), cidr("10.1.0.0/16"), cidr("::/0")});
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->size(), 1u);  // IPv6 is wholly excluded
  EXPECT_EQ((*c)[0].str(), "0.0.0.0/0 except 10.0.0.0/8");
}

TEST(CalicoNormalize, UnionKeepsTheOutermostPrefixes) {
  auto u = calico::addr_union({cidr("10.1.0.0/16"), cidr("10.0.0.0/8"), cidr("11.0.0.0/8"), cidr("10.0.0.0/8"),
                               cidr("10.0.0.0/7"), cidr("2001:db8::/32"), cidr("2001:db8:1::/48")});
  ASSERT_TRUE(u.has_value());
  std::string s;
  for (const auto& b : *u) s += b.str() + " ";
  EXPECT_EQ(s, "10.0.0.0/7 2001:db8::/32 ");
}

TEST(CalicoNormalize, IntersectionOfBlocksKeepsExceptsInside) {
  auto a = calico::addr_complement({cidr("10.0.0.0/8")});
  auto b = calico::addr_union({cidr("10.0.0.0/7"), cidr("192.168.0.0/16")});
  auto i = calico::addr_intersect(a, b);
  ASSERT_TRUE(i.has_value());
  ASSERT_EQ(i->size(), 2u);
  EXPECT_EQ((*i)[0].str(), "10.0.0.0/7 except 10.0.0.0/8");
  EXPECT_EQ((*i)[1].str(), "192.168.0.0/16");
  // An except covering the whole block leaves nothing.
  auto none = calico::addr_intersect(a, calico::addr_union({cidr("10.2.0.0/16")}));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(CalicoNormalize, PeerIntersectionDropsKindsThatCannotHaveLabels) {
  ir::Peer pods;
  pods.kinds = ir::mask(ir::EndpointKind::Pod);
  pods.pod_selector = Selector::eq("app", "web");
  ir::Peer others;
  others.kinds = ir::mask(ir::EndpointKind::External) | ir::mask(ir::EndpointKind::Host);
  EXPECT_FALSE(calico::intersect(pods, others).has_value());
  ir::Peer any_ns;
  any_ns.ns_name = "prod";
  auto r = calico::intersect(any_ns, ir::Peer{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kinds, ir::mask(ir::EndpointKind::Pod));
}

TEST(CalicoNormalize, PodTermsSplitNamespaceAndPodLabels) {
  auto r = calico::pod_terms(Selector::conj(
      {Selector::eq(calico::kLabelNamespace, "prod"), Selector::eq("app", "web"), Selector::has("pcns.team")}));
  ASSERT_TRUE(std::holds_alternative<std::vector<calico::PodTerm>>(r));
  const auto& t = std::get<std::vector<calico::PodTerm>>(r);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].ns_name, "prod");
  EXPECT_EQ(t[0].ns.str(), "has(team)");
  EXPECT_EQ(t[0].pod.str(), "app == 'web'");
  // A union across the two kinds of labels needs two terms.
  auto u = calico::pod_terms(Selector::disj({Selector::eq("pcns.env", "dev"), Selector::eq("app", "db")}));
  EXPECT_EQ(std::get<std::vector<calico::PodTerm>>(u).size(), 2u);
  // The orchestrator of every pod is k8s.
  auto k = calico::pod_terms(Selector::eq(calico::kLabelOrchestrator, "openstack"));
  EXPECT_TRUE(std::get<std::vector<calico::PodTerm>>(k).empty());
}

TEST(CalicoNormalize, ServiceAccountLabelsArePodAttributes) {
  // projectcalico.org/serviceaccount and pcsa.projectcalico.org/name: the account's name;
  // pcsa.<key>: its labels. All three are attributes of the pod, beside its labels.
  auto r = calico::pod_terms(Selector::conj({Selector::eq("pcsa.team", "a"),
                                             Selector::eq(calico::kLabelServiceAccount, "api"),
                                             Selector::eq("pcsa.projectcalico.org/name", "api")}));
  ASSERT_TRUE(std::holds_alternative<std::vector<calico::PodTerm>>(r));
  const auto& t = std::get<std::vector<calico::PodTerm>>(r);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].ns.is_all());
  ir::Labels pod{{ir::kServiceAccountLabel, "api"},
                 {std::string(ir::kServiceAccountLabelPrefix) + "team", "a"}};
  EXPECT_TRUE(t[0].pod.matches(pod));
  pod[ir::kServiceAccountLabel] = "batch";
  EXPECT_FALSE(t[0].pod.matches(pod));
  EXPECT_FALSE(t[0].pod.matches(ir::Labels{{"team", "a"}, {ir::kServiceAccountLabel, "api"}}));
}

TEST(CalicoNormalize, NamespacedSetDependingOnNamespaceLabelsIsUnknown) {
  NetworkSet s{"dev", "office", {{"role", "x"}}, {cidr("198.51.100.0/24")}, {}};
  EXPECT_EQ(calico::matches(Selector::eq("role", "x"), s), calico::Tri::True);
  EXPECT_EQ(calico::matches(Selector::eq("pcns.env", "dev"), s), calico::Tri::Unknown);
  EXPECT_EQ(calico::matches(Selector::conj({Selector::eq("role", "y"), Selector::eq("pcns.env", "dev")}), s),
            calico::Tri::False);
  EXPECT_EQ(calico::matches(Selector::eq("pcns.projectcalico.org/name", "dev"), s), calico::Tri::True);
  NetworkSet g{"", "g", {}, {cidr("198.51.100.0/24")}, {}};
  EXPECT_EQ(calico::matches(Selector::not_eq_("pcns.env", "dev"), g), calico::Tri::True);  // absent
}

// The heart of it: every combination of selector, notSelector, namespaceSelector, nets,
// notNets and family from the pools, in a namespaced and a global policy, lowered and
// compared with Calico's meaning on every address of the world.
TEST(CalicoNormalize, LoweredPeersMatchCalicoOnEveryAddress) {
  World w;
  std::mt19937 rng(12345);
  auto sels = selector_pool();
  auto nssels = ns_selector_pool();
  auto nets = nets_pool();
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n + 1)); };  // n: absent
  int compared = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    RawSide r;
    if (size_t k = pick(sels.size()); k < sels.size()) r.selector = sels[k];
    if (size_t k = pick(sels.size()); k < sels.size() && rng() % 2) r.not_selector = sels[k];
    if (size_t k = pick(nssels.size()); k < nssels.size() && rng() % 2) r.ns_selector = nssels[k];
    if (size_t k = pick(nets.size()); k < nets.size() && rng() % 3 == 0) r.nets = nets[k];
    if (size_t k = pick(nets.size()); k < nets.size() && rng() % 3 == 0) r.not_nets = nets[k];
    if (rng() % 4 == 0) r.family = rng() % 2 ? ir::Family::V4 : ir::Family::V6;
    std::string ns = rng() % 2 ? "prod" : "";
    std::string why;
    if (!check_side(w, r, ns, &why)) {
      ++refused;
      continue;
    }
    ++compared;
    ASSERT_TRUE(why.empty()) << "case " << i << " (policy namespace \"" << ns << "\"): " << why;
  }
  EXPECT_GT(compared, 2000);
  EXPECT_GT(refused, 0);  // namespaced sets whose match needs namespace labels
}

// Rules on the policy's own endpoint (own.cpp): the copies of a policy split its subject
// by which own-side conditions hold. On every pod address of the world, exactly one copy
// applies where the subject does, none elsewhere, and its pattern is Calico's answer for
// each side (the same direct evaluation: upstream matches the own side as the peer).
TEST(CalicoNormalize, OwnEndpointCopiesMatchCalicoOnEveryPodAddress) {
  World w;
  std::mt19937 rng(4242);
  auto sels = selector_pool();
  auto nssels = ns_selector_pool();
  auto nets = nets_pool();
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n + 1)); };
  int compared = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string ns = rng() % 2 ? "prod" : "";
    Selector subject_sel = sels[rng() % sels.size()];
    if (!ns.empty())
      subject_sel = calico::raw_and(subject_sel, Selector::eq(calico::kLabelNamespace, ns));
    auto terms = calico::pod_terms(subject_sel);
    if (!std::holds_alternative<std::vector<calico::PodTerm>>(terms)) continue;
    const auto& t = std::get<std::vector<calico::PodTerm>>(terms);
    if (t.size() != 1) continue;
    ir::Peer subject = calico::to_peer(t[0]);
    std::vector<RawSide> sides(1 + rng() % 3);
    std::vector<calico::Region> conds;
    bool refused = false;
    for (auto& r : sides) {
      if (size_t k = pick(sels.size()); k < sels.size()) r.selector = sels[k];
      if (size_t k = pick(sels.size()); k < sels.size() && rng() % 3 == 0) r.not_selector = sels[k];
      if (size_t k = pick(nssels.size()); k < nssels.size() && rng() % 3 == 0)
        r.ns_selector = nssels[k];
      if (size_t k = pick(nets.size()); k < nets.size() && rng() % 3 == 0) r.nets = nets[k];
      if (size_t k = pick(nets.size()); k < nets.size() && rng() % 4 == 0) r.not_nets = nets[k];
      PeerSpec spec;
      spec.selector =
          calico::scoped_selector({r.selector, r.ns_selector, r.not_selector.has_value()}, ns);
      spec.not_selector = r.not_selector;
      spec.nets = r.nets;
      spec.not_nets = r.not_nets;
      auto res = calico::lower_peer(spec, w.sets);
      if (std::holds_alternative<calico::Problem>(res)) {
        refused = true;
        break;
      }
      conds.push_back(calico::pod_region(std::get<std::vector<ir::Peer>>(res)));
    }
    if (refused) continue;
    auto vs = calico::own_variants(subject, conds);
    ASSERT_TRUE(std::holds_alternative<std::vector<calico::OwnVariant>>(vs)) << "case " << i;
    const auto& variants = std::get<std::vector<calico::OwnVariant>>(vs);
    for (const auto& pod : w.l->inventory.pods) {
      if (pod.host_network) continue;
      for (const auto& a : pod.ips) {
        ir::Endpoint e = ir::Endpoint::of_pod(pod, a.family);
        std::vector<const calico::OwnVariant*> hits;
        for (const auto& v : variants)
          if (ir::matches(v.subject, e, w.l->inventory)) hits.push_back(&v);
        if (!ir::matches(subject, e, w.l->inventory)) {
          ASSERT_TRUE(hits.empty())
              << "case " << i << ": " << pod.id() << " is outside the subject";
          continue;
        }
        ASSERT_EQ(hits.size(), 1u) << "case " << i << ": " << pod.id() << " " << a.str();
        for (size_t c = 0; c < sides.size(); ++c)
          ASSERT_EQ(hits[0]->holds[c], calico_matches(sides[c], ns, a, w.l->inventory, w.sets))
              << "case " << i << ": " << pod.id() << " " << a.str() << ", side " << c << ", copy "
              << hits[0]->subject.str();
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 3000);
}

// ---- Ports and protocols ----------------------------------------------------------------

TEST(CalicoNormalize, PortsMatchCalicoOnEveryProtocolAndPort) {
  World w;
  // prod/db gets named ports through a second world.
  auto l = load_text("", inventory_yaml({"ns prod", "pod prod/db 10.0.0.2 port=pg:TCP:5432 port=dns:UDP:53",
                                         "pod prod/web 10.0.0.1"}));
  ir::Endpoint db = ir::Endpoint::of_pod(l->pod("prod/db"), ir::Family::V4);
  std::mt19937 rng(777);
  std::vector<int> protos = {0, 1, 6, 17, 58, 132, 136, 255};
  std::vector<uint16_t> ports = {0, 1, 52, 53, 79, 80, 81, 443, 5432, 8080, 65535};
  std::vector<std::vector<calico::PortRange>> ranges = {{}, {{80, 80}}, {{53, 53}, {5000, 6000}}, {{1, 65535}}, {{81, 443}}};
  std::vector<std::vector<std::string>> names = {{}, {"pg"}, {"dns", "pg"}};
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    calico::PortSpec s;
    if (rng() % 3) s.protocol = protos[rng() % protos.size()];
    if (rng() % 3 == 0) s.not_protocol = protos[rng() % protos.size()];
    if (s.protocol && calico::supports_ports(*s.protocol)) {
      s.ports = ranges[rng() % ranges.size()];
      s.named = names[rng() % names.size()];
      if (s.named.empty()) s.not_ports = ranges[rng() % ranges.size()];
    }
    auto res = calico::lower_ports(s);
    ASSERT_TRUE(std::holds_alternative<std::optional<std::vector<ir::PortMatch>>>(res));
    const auto& pm = std::get<std::optional<std::vector<ir::PortMatch>>>(res);
    for (int proto : protos)
      for (uint16_t port : ports) {
        bool want = (!s.protocol || proto == *s.protocol) && (!s.not_protocol || proto != *s.not_protocol);
        bool listed = s.ports.empty() && s.named.empty();
        for (const auto& r : s.ports) listed = listed || (r.lo <= port && port <= r.hi);
        for (const auto& n : s.named) listed = listed || l->pod("prod/db").named_port(n, proto) == port;
        bool excluded = false;
        for (const auto& r : s.not_ports) excluded = excluded || (r.lo <= port && port <= r.hi);
        want = want && listed && !excluded;
        bool got = !pm || std::any_of(pm->begin(), pm->end(),
                                      [&](const ir::PortMatch& m) { return ir::matches(m, proto, port, db); });
        ASSERT_EQ(got, want) << "case " << i << " proto " << proto << " port " << port;
        ++compared;
      }
  }
  EXPECT_GT(compared, 100000);
}

TEST(CalicoNormalize, NamedPortsWithNotPortsAreRefused) {
  calico::PortSpec s;
  s.protocol = ir::kTCP;
  s.named = {"http"};
  s.not_ports = {{80, 80}};
  auto r = calico::lower_ports(s);
  ASSERT_TRUE(std::holds_alternative<calico::Problem>(r));
  EXPECT_EQ(std::get<calico::Problem>(r).code, ir::Code::NV5036);
}

// ---- Policies end to end --------------------------------------------------------------------

namespace {

const std::string kCluster = inventory_yaml({
    "ns prod env=prod team=a",
    "ns dev env=dev",
    "ns monitoring name=monitoring",
    "pod prod/web 10.0.0.1 app=web port=http:TCP:8080",
    "pod prod/db 10.0.0.2 app=db port=pg:TCP:5432",
    "pod prod/cache 10.0.0.3 app=cache role=x",
    "pod dev/web 10.1.0.1 app=web",
    "pod dev/tool 10.1.0.2 app=tool",
    "pod monitoring/prom 10.2.0.1 app=prom",
});

std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}

std::string gnp(const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: " + name +
         "\nspec:\n" + spec;
}

std::string tier(const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: " + name + "\nspec:\n" + spec;
}

// A packet between pods ("ns/name") or addresses.
bool allowed(const test::Loaded& l, const std::string& from, const std::string& to, int port,
             int proto = ir::kTCP) {
  auto ep = [&](const std::string& s) {
    if (auto a = ir::IpAddr::parse(s)) return ir::Endpoint::of_ip(l.inventory, *a);
    return ir::Endpoint::of_pod(l.pod(s), ir::Family::V4);
  };
  ir::Packet pkt{ep(from), ep(to), proto, static_cast<uint16_t>(port)};
  return ir::evaluate(l.policies, l.inventory, pkt).allowed;
}

const ir::Diagnostic* find(const test::Loaded& l, ir::Code code) {
  for (const auto& d : l.diags.all())
    if (d.code == code) return &d;
  return nullptr;
}

}  // namespace

TEST(Calico, GuideAdvancedPolicyOnTheGuideCluster) {
  auto l = test::load_paths({std::string(NV_SOURCE_DIR) + "/corpus/guide/calico/advanced-calico-policy.yaml"},
                            {std::string(NV_SOURCE_DIR) + "/corpus/guide/cluster.yaml"});
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  ASSERT_EQ(l->policies.policies().size(), 1u);
  const ir::Policy& p = l->policies.policies()[0];
  EXPECT_EQ(p.dialect, "calico");
  EXPECT_EQ(p.tier, "default");
  EXPECT_EQ(p.order, ir::kNoOrder);
  const std::string web = "production/web-app-6c9f7d8b4-q1w2e";
  const std::string frontend = "production/frontend-7d4b9c6f5-x2k8p";
  const std::string prometheus = "monitoring/prometheus-0";
  const std::string postgres = "production/postgres-0";
  // Ingress: TCP 8080 from app == 'frontend' of the policy's namespace.
  EXPECT_TRUE(l->allowed(frontend, web, 8080));
  EXPECT_FALSE(l->allowed(frontend, web, 9090));  // end of the default tier: drop
  EXPECT_FALSE(l->allowed(frontend, web, 8080, ir::kUDP));
  // TCP 9090 from namespaces labelled name=monitoring (the namespace has that label).
  EXPECT_TRUE(l->allowed(prometheus, web, 9090));
  EXPECT_FALSE(l->allowed(prometheus, web, 8080));
  // Egress: DNS over UDP to anyone; TCP 5432 to app == 'database', which no pod is.
  EXPECT_TRUE(l->allowed(web, "kube-system/coredns-5d78c9869d-9xk2p", 53, ir::kUDP));
  EXPECT_FALSE(l->allowed(web, "kube-system/coredns-5d78c9869d-9xk2p", 53, ir::kTCP));
  EXPECT_FALSE(l->allowed(web, postgres, 5432));
  EXPECT_FALSE(allowed(*l, web, "192.168.1.7", 443));  // the Deny rule
  EXPECT_FALSE(allowed(*l, web, "8.8.8.8", 443));      // end of tier
  // Pods the policy does not select stay open.
  EXPECT_TRUE(l->allowed(frontend, postgres, 5432));
}

TEST(Calico, TypesDefaultFromTheRulesPresent) {
  // No rules at all: Ingress only (deny all ingress).
  auto l = load_text(np("prod", "p", "  selector: app == 'db'\n"), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("prod/db", "prod/web", 8080));
  // Egress rules only: Egress only (unlike Kubernetes, ingress stays open).
  l = load_text(np("prod", "p", "  selector: app == 'db'\n  egress:\n  - action: Deny\n"), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/db", "prod/web", 8080));
  // Both.
  l = load_text(np("prod", "p", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
                                "  egress:\n  - action: Deny\n"),
                kCluster);
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/db", "prod/web", 8080));
}

TEST(Calico, RulesOfAnUnlistedTypeAreIgnoredWithAWarning) {
  auto l = load_text(np("prod", "p", "  selector: app == 'db'\n  types: [Egress]\n"
                                     "  ingress:\n  - action: Deny\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->has(ir::Code::NV5014));
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/db", "prod/web", 8080));  // Egress listed, no rules
}

TEST(Calico, NamespacedPolicyAppliesToItsNamespaceOnly) {
  auto l = load_text(np("prod", "p", "  selector: app == 'web'\n"), kCluster);
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_TRUE(l->allowed("prod/db", "dev/web", 80));
  // A global policy applies everywhere; its namespaceSelector narrows it.
  l = load_text(gnp("g", "  selector: app == 'web'\n  namespaceSelector: env == 'dev'\n"), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_FALSE(l->allowed("prod/db", "dev/web", 80));
}

TEST(Calico, TiersInOrderWithPassDenyAndEndOfTierDrop) {
  std::string base = tier("security", "  order: 100\n") +
                     np("prod", "allow-all", "  ingress:\n  - action: Allow\n");  // default tier
  // A Deny in an earlier tier wins over the default tier's Allow.
  auto l = load_text(base + gnp("security.block-tool", "  tier: security\n  order: 10\n"
                                                       "  ingress:\n  - action: Deny\n"
                                                       "    source:\n      selector: app == 'tool'\n"
                                                       "  - action: Pass\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));  // passed to the default tier
  // Without the Pass, the security tier ends undecided: dropped there.
  l = load_text(base + gnp("security.block-tool", "  tier: security\n  ingress:\n  - action: Deny\n"
                                                  "    source:\n      selector: app == 'tool'\n"),
                kCluster);
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 5432));
  // Unless the tier's defaultAction is Pass.
  l = load_text(tier("security", "  order: 100\n  defaultAction: Pass\n") +
                    np("prod", "allow-all", "  ingress:\n  - action: Allow\n") +
                    gnp("security.block-tool", "  tier: security\n  ingress:\n  - action: Deny\n"
                                               "    source:\n      selector: app == 'tool'\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));
  // After the last tier, the namespace profiles allow: a pass-only policy opens the pod.
  l = load_text(gnp("pass", "  ingress:\n  - action: Pass\n"), kCluster);
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
}

TEST(Calico, PolicyOrderWithinATierAndAbsentOrderLast) {
  std::string deny = "  ingress:\n  - action: Deny\n";
  std::string allow = "  ingress:\n  - action: Allow\n";
  auto l = load_text(gnp("a-deny", "  order: 20\n" + deny) + gnp("b-allow", "  order: 10\n" + allow), kCluster);
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
  l = load_text(gnp("a-deny", "  order: 10\n" + deny) + gnp("b-allow", "  order: 10.5\n" + allow), kCluster);
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 5432));
  l = load_text(gnp("a-deny", deny) + gnp("b-allow", "  order: 1e6\n" + allow), kCluster);
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));
  // Kubernetes NetworkPolicies sit in the default tier at order 1000.
  l = load_text(np("prod", "early", "  order: 999\n  ingress:\n  - action: Deny\n") +
                    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
                    "  name: k\n  namespace: prod\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n",
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 5432));
}

TEST(Calico, EqualOrdersBrokenDifferentlyFromFelixAreReported) {
  // felix compares "allow/..." with "allow-dns/...": '-' sorts before '/', so allow-dns
  // comes first; the IR compares names, so allow comes first.
  auto l = load_text(gnp("allow", "  order: 5\n  ingress:\n  - action: Allow\n") +
                         gnp("allow-dns", "  order: 5\n  ingress:\n  - action: Deny\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  const ir::Diagnostic* d = find(*l, ir::Code::NV5041);
  ASSERT_NE(d, nullptr) << l->messages();
  EXPECT_NE(d->message.find("felix applies GlobalNetworkPolicy allow-dns first"), std::string::npos)
      << d->message;
  // Distinct orders: nothing to report.
  l = load_text(gnp("allow", "  order: 5\n  ingress:\n  - action: Allow\n") +
                    gnp("allow-dns", "  order: 6\n  ingress:\n  - action: Deny\n"),
                kCluster);
  EXPECT_FALSE(l->has(ir::Code::NV5041));
}

TEST(Calico, ActionsLogPassDeny) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Log\n  - action: Deny\n"
                                     "    protocol: UDP\n  - action: Allow\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  auto v = l->verdict("dev/web", "prod/db", 53, ir::kTCP);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.ingress.logged.size(), 1u);
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 53, ir::kUDP));
}

TEST(Calico, ProtocolsByNameAndNumberAndNotProtocol) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    protocol: 132\n"
                                     "  - action: Allow\n    protocol: ICMP\n"
                                     "  - action: Allow\n    notProtocol: TCP\n    source:\n"
                                     "      selector: app == 'cache'\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 9, ir::kSCTP));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 0, ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 9, ir::kUDP));
  EXPECT_TRUE(l->allowed("prod/cache", "prod/db", 9, ir::kUDP));
  EXPECT_TRUE(l->allowed("prod/cache", "prod/db", 9, 47));  // GRE
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 9, ir::kTCP));
}

TEST(Calico, PortsRangesNamedAndNotPorts) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    protocol: TCP\n"
                                     "    destination:\n      ports: [80, '8000:8100']\n"
                                     "      notPorts: ['8050:8060']\n"
                                     "  - action: Allow\n    protocol: TCP\n    destination:\n"
                                     "      ports: [pg]\n"
                                     "  - action: Allow\n    protocol: UDP\n    destination:\n"
                                     "      notPorts: [53]\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 80));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 8000));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 8055));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 8100));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 5432));    // pg on prod/db
  EXPECT_FALSE(l->allowed("dev/web", "prod/web", 5432));  // no pg on prod/web
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 81));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 54, ir::kUDP));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 53, ir::kUDP));
}

TEST(Calico, NetsAndNotNetsMatchPodsToo) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                     "      nets: [10.1.0.0/16, 203.0.113.0/24]\n"
                                     "      notNets: [10.1.0.2/32]\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 1));   // a pod inside nets
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 1)); // 10.1.0.2 is in notNets
  EXPECT_TRUE(allowed(*l, "203.0.113.5", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "198.51.100.5", "prod/db", 1));
}

TEST(Calico, NotNetsOfOneFamilyNeverMatchTheOther) {
  auto l = load_text(inventory_yaml({}) + np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                                          "      notNets: [10.0.0.0/8]\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(allowed(*l, "8.8.8.8", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "10.9.9.9", "prod/db", 1));
  const ir::Rule& r = l->policies.policies()[0].dir(ir::Direction::Ingress).rules[0];
  ASSERT_EQ(r.peers.size(), 1u);
  EXPECT_EQ(r.peers[0].str(), "address in 0.0.0.0/0 except 10.0.0.0/8");  // no ::/0
}

TEST(Calico, SelectorsInNamespacedPoliciesStayInTheirNamespace) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                     "      selector: app == 'web'\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 1));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 1));
  // namespaceSelector widens it; all() is every namespace.
  l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                "      selector: app == 'web'\n      namespaceSelector: all()\n"),
                kCluster);
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 1));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 1));
  l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                "      namespaceSelector: env == 'dev'\n"),
                kCluster);
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 1));
  // global(): no pod at all.
  l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    source:\n"
                                "      namespaceSelector: global()\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "8.8.8.8", "prod/db", 1));
}

TEST(Calico, SelectorNegationVersusNotSelector) {
  // selector: !has(role) matches Calico endpoints only; notSelector: has(role) in a global
  // policy also matches addresses outside the cluster.
  auto l = load_text(gnp("g", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n    source:\n"
                              "      selector: \"!has(role)\"\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "8.8.8.8", "prod/db", 1));
  l = load_text(gnp("g", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n    source:\n"
                         "      notSelector: has(role)\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/cache", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "8.8.8.8", "prod/db", 1));
  // In a namespaced policy, notSelector brings the namespace scope with it.
  l = load_text(np("prod", "p", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n    source:\n"
                                "      notSelector: has(role)\n"),
                kCluster);
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 1));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "8.8.8.8", "prod/db", 1));
}

TEST(Calico, SpecialLabels) {
  auto l = load_text(gnp("g", "  selector: projectcalico.org/namespace == 'prod' && app == 'db'\n"
                              "  ingress:\n  - action: Allow\n    source:\n"
                              "      selector: pcns.env == 'dev' && projectcalico.org/orchestrator == 'k8s'\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  const ir::Policy& p = l->policies.policies()[0];
  EXPECT_EQ(p.subject.str(), "kind pod; namespace prod; pod labels app == 'db'");
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 1));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 1));
  EXPECT_TRUE(l->allowed("prod/web", "dev/web", 1));  // not selected
}

// Pods with service accounts: prod/web runs as `api` (labelled team=a), prod/job as
// `batch`, prod/db and dev/tool as `default` (dev's is not listed: no labels, a warning).
const std::string kSaCluster = inventory_yaml({
    "ns prod",
    "ns dev",
    "sa prod/api team=a",
    "sa prod/batch team=b",
    "sa prod/default",
    "pod prod/web 10.0.0.1 app=web sa=api",
    "pod prod/job 10.0.0.2 app=job sa=batch",
    "pod prod/db 10.0.0.3 app=db",
    "pod dev/tool 10.1.0.1 app=tool sa=api",
});

TEST(Calico, ServiceAccountsInRules) {
  auto ingress = [](const std::string& source) {
    return np("prod", "p",
              "  selector: app == 'db'\n  ingress:\n  - action: Allow\n    source:\n" + source);
  };
  // names: the account's name; in a namespaced policy, in its own namespace.
  auto l = load_text(ingress("      serviceAccounts:\n        names: [api]\n"), kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/job", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 5432));  // `api` of dev: another namespace
  // selector: the account's labels.
  l = load_text(ingress("      serviceAccounts:\n        selector: team == 'b'\n"), kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("prod/job", "prod/db", 5432));
  // Both: ANDed (parseServiceAccounts); and ANDed with the rule's selector.
  l = load_text(
      ingress("      serviceAccounts:\n        names: [batch]\n        selector: team == 'a'\n"),
      kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/job", "prod/db", 5432));
  l = load_text(
      ingress(
          "      selector: app == 'job'\n      serviceAccounts:\n        names: [api, batch]\n"),
      kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 5432));
  EXPECT_TRUE(l->allowed("prod/job", "prod/db", 5432));
  // With a namespaceSelector, other namespaces' accounts of that name.
  l = load_text(
      ingress("      namespaceSelector: all()\n      serviceAccounts:\n        names: [api]\n"),
      kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 5432));
  EXPECT_FALSE(l->allowed("prod/job", "prod/db", 5432));
  // dev's `api` is not among the ServiceAccounts: a warning naming the pod.
  const ir::Diagnostic* w = find(*l, ir::Code::NV3005);
  ASSERT_NE(w, nullptr) << l->messages();
  EXPECT_NE(w->message.find("dev/tool"), std::string::npos);
  // On the policy's own endpoint: the rule applies to the pods of that account only
  // (tests/unit/calico_own_test.cpp has the rest).
  l = load_text(np("prod", "p",
                   "  ingress:\n  - action: Allow\n    destination:\n"
                   "      serviceAccounts:\n        names: [api]\n"),
                kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/job", "prod/web", 5432));
  EXPECT_FALSE(l->allowed("prod/job", "prod/db", 5432));
}

TEST(Calico, ServiceAccountLabelsWithoutServiceAccountsInTheInventoryWarn) {
  // kCluster lists no ServiceAccounts: account labels would match no pod.
  auto l = load_text(np("prod", "p",
                        "  ingress:\n  - action: Allow\n    source:\n"
                        "      serviceAccounts:\n        selector: team == 'a'\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_NE(find(*l, ir::Code::NV3006), nullptr) << l->messages();
  // Names need no ServiceAccount objects; an inventory that lists them needs no warning.
  l = load_text(np("prod", "p",
                   "  ingress:\n  - action: Allow\n    source:\n"
                   "      serviceAccounts:\n        names: [api]\n"),
                kCluster);
  EXPECT_EQ(find(*l, ir::Code::NV3006), nullptr) << l->messages();
  l = load_text(np("prod", "p",
                   "  ingress:\n  - action: Allow\n    source:\n"
                   "      serviceAccounts:\n        selector: team == 'a'\n"),
                kSaCluster);
  EXPECT_EQ(find(*l, ir::Code::NV3006), nullptr) << l->messages();
}

TEST(Calico, ServiceAccountsInPolicySelectors) {
  // serviceAccountSelector: the subject's account labels.
  auto l = load_text(
      np("prod", "p", "  serviceAccountSelector: team == 'a'\n  ingress:\n  - action: Deny\n"),
      kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("prod/db", "prod/web", 80));
  EXPECT_TRUE(l->allowed("prod/db", "prod/job", 80));
  // The account's name as a label of the endpoint, and as pcsa.projectcalico.org/name.
  for (const char* sel :
       {"projectcalico.org/serviceaccount == 'batch'", "pcsa.projectcalico.org/name == 'batch'"}) {
    l = load_text(gnp("g", "  selector: " + std::string(sel) + "\n  ingress:\n  - action: Deny\n"),
                  kSaCluster);
    ASSERT_FALSE(l->diags.has_errors()) << sel << ": " << l->messages();
    EXPECT_FALSE(l->allowed("prod/db", "prod/job", 80)) << sel;
    EXPECT_TRUE(l->allowed("prod/db", "prod/web", 80)) << sel;
  }
  // Every pod has an account: has() holds for all of them, !has() for none.
  l = load_text(
      gnp("g",
          "  selector: '!has(projectcalico.org/serviceaccount)'\n  ingress:\n  - action: Deny\n"),
      kSaCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/db", "prod/web", 80));
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 80));
}

TEST(Calico, NetworkSetsAreMatchedBySelectors) {
  std::string sets =
      "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: partners\n"
      "  labels:\n    role: partner\nspec:\n  nets: [203.0.113.0/24, 198.51.100.7]\n"
      "---\napiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: office\n"
      "  namespace: prod\n  labels:\n    role: partner\nspec:\n  nets: [192.0.2.0/24]\n";
  // A global policy's selector sees global and namespaced sets.
  auto l = load_text(sets + gnp("g", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
                                     "    source:\n      selector: role == 'partner'\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "198.51.100.7", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "198.51.100.8", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "192.0.2.1", "prod/db", 1));
  // A namespaced policy's selector sees its namespace's sets only.
  l = load_text(sets + np("prod", "p", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
                                       "    source:\n      selector: role == 'partner'\n"),
                kCluster);
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "192.0.2.1", "prod/db", 1));
  // ... and global sets through namespaceSelector: global().
  l = load_text(sets + np("prod", "p", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
                                       "    source:\n      selector: role == 'partner'\n"
                                       "      namespaceSelector: global()\n"),
                kCluster);
  EXPECT_TRUE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "192.0.2.1", "prod/db", 1));
  // notSelector excludes the set's addresses, pods included.
  l = load_text(sets + gnp("g", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n"
                                "    source:\n      notSelector: role == 'partner'\n"),
                kCluster);
  EXPECT_FALSE(allowed(*l, "203.0.113.9", "prod/db", 1));
  EXPECT_TRUE(allowed(*l, "8.8.8.8", "prod/db", 1));
  EXPECT_TRUE(l->allowed("prod/web", "prod/db", 1));
}

TEST(Calico, NamespacedSetsNeedingNamespaceLabelsAreRefused) {
  std::string set = "---\napiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  name: office\n"
                    "  namespace: prod\n  labels:\n    role: partner\nspec:\n  nets: [192.0.2.0/24]\n";
  auto l = load_text(set + gnp("g", "  ingress:\n  - action: Allow\n    source:\n"
                                    "      namespaceSelector: env == 'prod'\n"),
                     kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV5024)) << l->messages();
}

TEST(Calico, IpVersionRestrictsTheFamily) {
  auto l = load_text(np("prod", "p", "  ingress:\n  - action: Allow\n    ipVersion: 6\n"), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 1));
  EXPECT_FALSE(allowed(*l, "8.8.8.8", "prod/db", 1));
}

// Dikastes (app-policy/checker/check.go): methods exact or "*", paths compared after the
// query and fragment are cut off, exact or byte prefix; no request (a bare connection)
// matches no http rule; protocol unset with http means TCP.
TEST(Calico, HttpMatchesAsDikastesMatchesThem) {
  auto l = load_text(np("prod", "p", R"(  selector: app == 'db'
  ingress:
  - action: Allow
    http:
      methods: [GET, put]
      paths: [{exact: /a}, {prefix: /b/}]
  - action: Allow
    source: {selector: app == 'tool', namespaceSelector: all()}
    http: {}
)"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  auto ask = [&](const std::string& from, int proto, std::optional<ir::HttpRequest> req) {
    ir::Packet pkt{ir::Endpoint::of_pod(l->pod(from), ir::Family::V4),
                   ir::Endpoint::of_pod(l->pod("prod/db"), ir::Family::V4), proto, 5432};
    pkt.http = std::move(req);
    return ir::evaluate(l->policies, l->inventory, pkt).allowed;
  };
  auto get = [](std::string method, std::string path) {
    return ir::HttpRequest{std::move(method), std::move(path), "db", {}};
  };
  EXPECT_TRUE(ask("prod/web", ir::kTCP, get("GET", "/a")));
  EXPECT_TRUE(ask("prod/web", ir::kTCP, get("GET", "/a?x=1")));
  EXPECT_TRUE(ask("prod/web", ir::kTCP, get("put", "/a#frag")));
  EXPECT_FALSE(ask("prod/web", ir::kTCP, get("PUT", "/a")));  // case-sensitive
  EXPECT_FALSE(ask("prod/web", ir::kTCP, get("GET", "/ab")));
  EXPECT_TRUE(ask("prod/web", ir::kTCP, get("GET", "/b/c/d")));
  EXPECT_FALSE(ask("prod/web", ir::kTCP, get("GET", "/b")));
  EXPECT_FALSE(ask("prod/web", ir::kTCP, std::nullopt));      // a bare connection
  EXPECT_FALSE(ask("prod/web", ir::kUDP, get("GET", "/a")));  // HTTP is TCP
  EXPECT_TRUE(ask("dev/tool", ir::kTCP, get("DELETE", "/z")));  // http: {} is any request
  EXPECT_FALSE(ask("dev/tool", ir::kTCP, std::nullopt));
  // "*" is every method.
  l = load_text(np("prod", "p", "  selector: app == 'db'\n  ingress:\n  - action: Allow\n    http:\n"
                                "      methods: [\"*\"]\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(ask("prod/web", ir::kTCP, get("ANYTHING", "/q")));
}

TEST(Calico, DoNotTrackPoliciesDoNotApplyToPods) {
  auto l = load_text(gnp("g", "  doNotTrack: true\n  applyOnForward: true\n  ingress:\n  - action: Deny\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->has(ir::Code::NV5040));
  EXPECT_TRUE(l->policies.policies().empty());
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 1));
  l = load_text(gnp("g", "  doNotTrack: true\n  ingress:\n  - action: Deny\n"), kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV5042));  // applyOnForward must be true
}

// ---- Errors: codes and positions ----------------------------------------------------------

namespace {

// The first error's code and position ("line:col").
std::string first_error(const test::Loaded& l) {
  for (const auto& d : l.diags.sorted())
    if (d.severity == ir::Severity::Error)
      return std::string(ir::code_info(d.code).id) + " " + std::to_string(d.span.line) + ":" +
             std::to_string(d.span.col);
  return "none";
}

std::string rule_error(const std::string& rule_lines) {
  // Lines 1-7: "---" and the envelope; line 8: "  ingress:"; the rule starts on line 9.
  auto l = load_text(np("prod", "p", "  ingress:\n" + rule_lines), kCluster);
  return first_error(*l);
}

}  // namespace

TEST(CalicoErrors, RefusedConstructsHaveCodesAndPositions) {
  // http: upstream's validator.go rejections, at the field.
  EXPECT_EQ(rule_error("  - action: Deny\n    http:\n      methods: [GET]\n"), "NV5043 10:5");
  EXPECT_EQ(rule_error("  - action: Allow\n    protocol: UDP\n    http:\n      methods: [GET]\n"),
            "NV5043 10:15");
  EXPECT_EQ(rule_error("  - action: Allow\n    http:\n      methods: [GET, GET]\n"), "NV5030 11:22");
  EXPECT_EQ(rule_error("  - action: Allow\n    http:\n      paths: [{exact: /a, prefix: /b}]\n"),
            "NV5030 11:15");
  EXPECT_EQ(rule_error("  - action: Allow\n    http:\n      paths: [{prefix: a}]\n"), "NV5030 11:24");
  EXPECT_EQ(rule_error("  - action: Allow\n    http:\n      paths: [{exact: \"/a?b\"}]\n"), "NV5030 11:23");
  EXPECT_EQ(rule_error("  - action: Allow\n    protocol: TCP\n    icmp: {type: 8}\n"), "NV5031 10:15");
  EXPECT_EQ(rule_error("  - action: Allow\n    protocol: TCP\n    source:\n      ports: [80]\n"),
            "NV5032 12:14");
  EXPECT_EQ(rule_error("  - action: Allow\n    destination:\n      services:\n        name: a\n"),
            "NV5033 12:9");
  EXPECT_EQ(
      rule_error(
          "  - action: Allow\n    source:\n      serviceAccounts:\n        names: [{a: b}]\n"),
      "NV1021 12:17");
  EXPECT_EQ(rule_error("  - action: Allow\n    source:\n      services:\n        name: a\n"), "NV5035 12:9");
  EXPECT_EQ(rule_error("  - action: Allow\n    protocol: TCP\n    destination:\n      notPorts: [http]\n"),
            "NV5036 12:17");
  EXPECT_EQ(rule_error("  - action: Allow\n    protocol: tcp\n"), "NV5015 10:15");
  EXPECT_EQ(rule_error("  - action: Allow\n    destination:\n      ports: [80]\n"), "NV5018 11:14");
  EXPECT_EQ(rule_error("  - action: Allow\n    source:\n      nets: [10.0.0.1/8]\n"), "NV5019 11:14");
  EXPECT_EQ(rule_error("  - action: Allow\n    source:\n      nets: [10.0.0.0/8, '::/0']\n"), "NV5019 11:13");
  EXPECT_EQ(rule_error("  - action: Allow\n    source:\n      selector: global()\n"), "NV5021 11:17");
  EXPECT_EQ(rule_error("  - action: Allow\n    source:\n      selektor: app == 'x'\n"), "NV1020 11:7");
  EXPECT_EQ(rule_error("  - action: Accept\n"), "NV5013 9:13");
}

TEST(CalicoErrors, SelectorSyntaxErrorsPointIntoTheSelector) {
  // Plain scalar: column of the selector plus the parser's offset.
  auto l = load_text(np("prod", "p", "  selector: app == 'web' &&\n"), kCluster);
  EXPECT_EQ(first_error(*l), "NV5001 8:28") << l->messages();
  // Quoted: one more for the quote.
  l = load_text(np("prod", "p", "  selector: \"app = 'web'\"\n"), kCluster);
  EXPECT_EQ(first_error(*l), "NV5001 8:18") << l->messages();
}

TEST(CalicoErrors, TiersAndNames) {
  // A policy outside the default tier without the <tier>. prefix: older Calico rejects it,
  // current Calico accepts it (names.ValidateTieredPolicyName is now a no-op).
  auto l = load_text(tier("security", "  order: 1\n") + gnp("block", "  tier: security\n"), kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->has(ir::Code::NV5016)) << l->messages();
  EXPECT_EQ(l->policies.policies().at(0).tier, "security");
  // Names with two dots are invalid.
  l = load_text(tier("security", "  order: 1\n") + gnp("security.a.b", "  tier: security\n"), kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV5010)) << l->messages();
  // A tier needs its Tier object.
  l = load_text(gnp("ops.block", "  tier: ops\n"), kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV5011)) << l->messages();
  // The default tier's order is fixed.
  l = load_text(tier("default", "  order: 5\n"), kCluster);
  EXPECT_TRUE(l->has(ir::Code::NV5012)) << l->messages();
  // default.<name> is a valid name in the default tier.
  l = load_text(gnp("default.block", "  ingress:\n  - action: Deny\n"), kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
}

TEST(CalicoErrors, UnknownFieldsAreErrors) {
  auto l = load_text(gnp("g", "  selector: all()\n  ingres:\n  - action: Allow\n"), kCluster);
  EXPECT_EQ(first_error(*l), "NV1020 8:3") << l->messages();
  l = load_text(np("prod", "p", "  doNotTrack: true\n"), kCluster);  // GlobalNetworkPolicy only
  EXPECT_EQ(first_error(*l), "NV1020 8:3") << l->messages();
}

// The fuzz seeds and the examples lower cleanly (the refused-constructs seed excepted).
TEST(Calico, SeedsAndExamplesLower) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const char* dir : {"/corpus/fuzz/fuzz_calico", "/corpus/calico"})
    for (const auto& e : fs::directory_iterator(std::string(NV_SOURCE_DIR) + dir))
      if (e.path().extension() == ".yaml") files.push_back(e.path());
  ASSERT_GE(files.size(), 8u);
  for (const auto& f : files) {
    auto l = test::load_paths({f.string()}, {std::string(NV_SOURCE_DIR) + "/corpus/guide/cluster.yaml"});
    bool refused = f.filename().string().find("refused") != std::string::npos;
    EXPECT_EQ(l->diags.has_errors(), refused) << f << "\n" << l->messages();
    if (!refused) {
      EXPECT_FALSE(l->policies.policies().empty()) << f;
    }
  }
}

TEST(Calico, TieredSecurityExampleOnTheGuideCluster) {
  auto l = test::load_paths({std::string(NV_SOURCE_DIR) + "/corpus/calico/tiered-security.yaml"},
                            {std::string(NV_SOURCE_DIR) + "/corpus/guide/cluster.yaml"});
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  const std::string postgres = "production/postgres-0", backend = "production/backend-5f6d8b7c9-4hq2n";
  const std::string frontend = "production/frontend-7d4b9c6f5-x2k8p", prom = "monitoring/prometheus-0";
  EXPECT_TRUE(l->allowed(backend, postgres, 5432));    // default tier, named port
  EXPECT_FALSE(l->allowed(backend, postgres, 5433));   // default tier ends: drop
  EXPECT_FALSE(l->allowed(frontend, postgres, 5432));
  EXPECT_TRUE(l->allowed(prom, postgres, 9187));       // security tier allows scrapes
  EXPECT_TRUE(l->allowed(frontend, backend, 8080));    // passed, no default-tier policy
  EXPECT_FALSE(allowed(*l, "198.51.100.20", backend, 8080));  // threat feed
  EXPECT_FALSE(allowed(*l, backend, "203.0.113.66", 443));
  EXPECT_TRUE(allowed(*l, backend, "203.0.113.67", 443));
}

// The class-based matrix agrees with the reference evaluator on the Calico lowering's
// shapes (peers of no kind, address blocks with excepts, long protocol lists).
TEST(Calico, MatrixAgreesWithTheEvaluator) {
  std::string policies =
      np("prod", "p", "  ingress:\n  - action: Allow\n    protocol: TCP\n    notProtocol: TCP\n"
                      "  - action: Deny\n    notProtocol: UDP\n    source:\n      notSelector: app == 'web'\n"
                      "  - action: Allow\n    source:\n      notNets: [10.1.0.0/24]\n") +
      gnp("g", "  selector: app == 'web'\n  egress:\n  - action: Pass\n    destination:\n"
               "      namespaceSelector: env == 'dev'\n  - action: Allow\n    protocol: UDP\n"
               "    destination:\n      notPorts: ['50:60']\n");
  auto l = load_text(policies, kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  int checked = 0;
  for (int proto : {ir::kTCP, ir::kUDP, ir::kSCTP})
    for (uint16_t port : {1, 53, 80}) {
      auto m = ir::Matrix::compute(l->policies, l->inventory, {proto, port, ir::Family::V4});
      for (size_t i = 0; i < m.pods().size(); ++i)
        for (size_t j = 0; j < m.pods().size(); ++j) {
          ir::Packet pkt{ir::Endpoint::of_pod(*m.pods()[i], ir::Family::V4),
                         ir::Endpoint::of_pod(*m.pods()[j], ir::Family::V4), proto, port};
          ASSERT_EQ(ir::evaluate(l->policies, l->inventory, pkt).allowed, m.allowed(i, j))
              << m.pods()[i]->id() << " -> " << m.pods()[j]->id() << " " << proto << "/" << port;
          ++checked;
        }
    }
  EXPECT_GT(checked, 300);
}
