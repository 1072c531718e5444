// Calico rules that constrain the policy's own endpoint (an ingress rule's destination, an
// egress rule's source; compiler/frontends/calico/own.cpp). Upstream matches those fields
// on the local endpoint's address exactly as on the peer's (updateprocessors/rules.go
// converts both sides alike; felix/rules/policy.go renders them as dst / src matches), so
// each expectation below is what felix's rendered rule decides for that packet.
#include <gtest/gtest.h>

#include <map>

#include "compiler/frontends/calico/lowering.h"
#include "ir/evaluate.h"
#include "tests/support/support.h"
#include "verifier/holes.h"

using namespace nv;
using nv::test::inventory_yaml;
using nv::test::load_text;

namespace {

const std::string kCluster = inventory_yaml({
    "ns prod env=prod",
    "ns dev env=dev",
    "sa prod/api team=a",
    "sa prod/batch team=b",
    "pod prod/web 10.0.0.1 app=web sa=api",
    "pod prod/db 10.0.0.2 app=db sa=batch",
    "pod prod/cache 10.0.0.3 app=cache",
    "pod dev/web 10.1.0.1 app=web",
    "pod dev/tool 10.1.0.2 app=tool",
});

std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}

std::string gnp(const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: " +
         name + "\nspec:\n" + spec;
}

std::string rule(const std::string& dir, const std::string& side, const std::string& fields,
                 const std::string& action = "Allow") {
  return "  " + dir + ":\n  - action: " + action + "\n    " + side + ":\n" + fields;
}

const ir::Diagnostic* find(const test::Loaded& l, ir::Code code) {
  for (const auto& d : l.diags.all())
    if (d.code == code) return &d;
  return nullptr;
}

size_t copies(const test::Loaded& l, const std::string& id) {
  size_t n = 0;
  for (const auto& p : l.policies.policies()) n += p.id() == id;
  return n;
}

}  // namespace

TEST(CalicoOwn, IngressDestinationSelectorPicksThePodsTheRuleAppliesTo) {
  auto l = load_text(
      np("prod", "p",
         "  selector: all()\n" + rule("ingress", "destination", "      selector: app == 'web'\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));  // isolated; the rule is not for it
  EXPECT_TRUE(l->allowed("dev/tool", "dev/web", 80));   // not selected by the policy
  EXPECT_EQ(copies(*l, "Calico NetworkPolicy prod/p"), 2u) << l->messages();
  // The copy for the other pods has no rule and keeps the policy's name and span.
  const auto& ps = l->policies.policies();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].span, ps[1].span);
  EXPECT_EQ(ps[0].dir(ir::Direction::Ingress).rules.size() +
                ps[1].dir(ir::Direction::Ingress).rules.size(),
            1u);
}

TEST(CalicoOwn, IngressDestinationNotSelectorAndNamespaceSelector) {
  auto l = load_text(
      np("prod", "p", rule("ingress", "destination", "      notSelector: app == 'web'\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 80));
  // A GlobalNetworkPolicy: the namespaceSelector picks the endpoint's namespace.
  l = load_text(
      gnp("g", "  selector: has(app)\n" +
                   rule("ingress", "destination", "      namespaceSelector: env == 'prod'\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 80));
  EXPECT_FALSE(l->allowed("prod/web", "dev/web", 80));
  // global() selects no workload endpoint (!has(projectcalico.org/namespace)): no pod.
  l = load_text(gnp("g", rule("ingress", "destination", "      namespaceSelector: global()\n")),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));
  EXPECT_FALSE(l->allowed("prod/db", "dev/web", 80));
}

TEST(CalicoOwn, NamespacedPoliciesScopeTheOwnSelectorToTheirNamespace) {
  // A namespaced policy's own-side namespaceSelector names other namespaces: its pods are
  // in prod, so the rule never applies.
  auto l = load_text(
      np("prod", "p", rule("ingress", "destination", "      namespaceSelector: env == 'dev'\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
  // A global one with an own selector applies the rule in every namespace.
  l = load_text(gnp("g", rule("ingress", "destination", "      selector: app == 'web'\n")),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_TRUE(l->allowed("prod/db", "dev/web", 80));
  EXPECT_FALSE(l->allowed("dev/web", "prod/db", 80));
}

TEST(CalicoOwn, IngressDestinationNetsAndNotNets) {
  auto l =
      load_text(gnp("g", rule("ingress", "destination", "      nets: [10.0.0.0/30]\n")), kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_FALSE(l->allowed("prod/web", "dev/web", 80));
  l = load_text(gnp("g", rule("ingress", "destination", "      notNets: [10.0.0.2/32]\n")),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));
}

TEST(CalicoOwn, IngressDestinationServiceAccounts) {
  auto l = load_text(
      np("prod", "p",
         rule("ingress", "destination", "      serviceAccounts:\n        names: [api]\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));
  l = load_text(
      np("prod", "p",
         rule("ingress", "destination", "      serviceAccounts:\n        selector: team == 'b'\n")),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 80));
}

TEST(CalicoOwn, EgressSourceFields) {
  auto egress = [&](const std::string& fields) {
    return load_text(gnp("g", "  selector: has(app)\n" + rule("egress", "source", fields)),
                     kCluster);
  };
  auto l = egress("      selector: app == 'web'\n");
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/web", "dev/tool", 80));
  EXPECT_TRUE(l->allowed("dev/web", "dev/tool", 80));
  EXPECT_FALSE(l->allowed("prod/db", "dev/tool", 80));
  l = egress("      notSelector: app == 'web'\n");
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));
  EXPECT_TRUE(l->allowed("prod/db", "dev/tool", 80));
  l = egress("      namespaceSelector: env == 'dev'\n");
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 80));
  EXPECT_FALSE(l->allowed("prod/web", "prod/db", 80));
  l = egress("      nets: [10.0.0.2/32]\n");
  EXPECT_TRUE(l->allowed("prod/db", "dev/tool", 80));
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));
  l = egress("      notNets: [10.0.0.0/16]\n");
  EXPECT_FALSE(l->allowed("prod/db", "dev/tool", 80));
  EXPECT_TRUE(l->allowed("dev/web", "prod/db", 80));
  l = egress("      serviceAccounts:\n        names: [batch]\n");
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("prod/db", "dev/tool", 80));
  EXPECT_FALSE(l->allowed("prod/web", "dev/tool", 80));
  EXPECT_FALSE(l->allowed("dev/web", "dev/tool", 80));  // no such account in dev
}

TEST(CalicoOwn, RulesKeepTheirOrderAmongOwnConditions) {
  // Deny to web first, then allow everything: web denied, the others allowed.
  auto l =
      load_text(np("prod", "p",
                   "  ingress:\n  - action: Deny\n    destination:\n      selector: app == 'web'\n"
                   "  - action: Allow\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/db", 80));
  // Two overlapping conditions: an allow for 10.0.0.0/31 (web's .1, not db's .2) before a
  // deny for app in {web, db}, then an allow on TCP/80 for every pod.
  l = load_text(np("prod", "p",
                   "  ingress:\n  - action: Allow\n    destination:\n      nets: [10.0.0.0/31]\n"
                   "  - action: Deny\n    destination:\n      selector: app in {'web', 'db'}\n"
                   "  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [80]\n"),
                kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 81));    // first rule
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));    // second rule
  EXPECT_TRUE(l->allowed("dev/tool", "prod/cache", 80));  // third rule
  EXPECT_FALSE(l->allowed("dev/tool", "prod/cache", 81));
}

TEST(CalicoOwn, DualStackPodWithOwnNetsOfOneFamily) {
  std::string cluster =
      kCluster +
      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: dual\n  namespace: prod\n"
      "  labels:\n    app: dual\nspec:\n  containers:\n  - name: c\n    image: x\n"
      "status:\n  podIP: 10.0.0.9\n  podIPs:\n  - ip: 10.0.0.9\n  - ip: fd00::9\n";
  auto packet = [](const test::Loaded& l, const std::string& from, ir::Family f) {
    ir::Endpoint src = ir::Endpoint::of_ip(l.inventory, *ir::IpAddr::parse(from));
    ir::Packet pkt{src, ir::Endpoint::of_pod(l.pod("prod/dual"), f), ir::kTCP, 80};
    return ir::evaluate(l.policies, l.inventory, pkt).allowed;
  };
  // nets of IPv4: the rule exists in felix's IPv4 chains only; IPv6 packets are dropped.
  auto l = load_text(np("prod", "p",
                        "  selector: app == 'dual'\n" +
                            rule("ingress", "destination", "      nets: [10.0.0.0/24]\n")),
                     cluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(packet(*l, "198.51.100.1", ir::Family::V4));
  EXPECT_FALSE(packet(*l, "2001:db8::1", ir::Family::V6));
  // notNets of IPv4 too: still IPv4 only, and the pod's IPv4 address is excluded.
  l = load_text(np("prod", "p",
                   "  selector: app == 'dual'\n" +
                       rule("ingress", "destination", "      notNets: [10.0.0.8/30]\n")),
                cluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(packet(*l, "198.51.100.1", ir::Family::V4));
  EXPECT_FALSE(packet(*l, "2001:db8::1", ir::Family::V6));
  l = load_text(np("prod", "p",
                   "  selector: app == 'dual'\n" +
                       rule("ingress", "destination", "      notNets: [10.9.0.0/16]\n")),
                cluster);
  EXPECT_TRUE(packet(*l, "198.51.100.1", ir::Family::V4));
  EXPECT_FALSE(packet(*l, "2001:db8::1", ir::Family::V6));
  // IPv6 own nets: the IPv6 address matches; the peer side is IPv6 only.
  l = load_text(np("prod", "p",
                   "  selector: app == 'dual'\n" +
                       rule("ingress", "destination", "      nets: ['fd00::/64']\n")),
                cluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_FALSE(packet(*l, "198.51.100.1", ir::Family::V4));
  EXPECT_TRUE(packet(*l, "2001:db8::1", ir::Family::V6));
}

TEST(CalicoOwn, TierWithPassAndEndOfTierDrop) {
  std::string base =
      "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\n"
      "spec:\n  order: 100\n" +
      np("prod", "allow-all", "  ingress:\n  - action: Allow\n");
  auto l = load_text(base + gnp("security.p", "  tier: security\n  selector: has(app)\n" +
                                                  rule("ingress", "destination",
                                                       "      selector: app == 'web'\n", "Pass")),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", 80));  // passed to the default tier's allow
  EXPECT_FALSE(l->allowed("dev/tool", "prod/db", 80));  // security tier ends undecided: dropped
  // dev/web: passed; no default-tier policy selects it, so after the last tier, allowed.
  EXPECT_TRUE(l->allowed("dev/tool", "dev/web", 80));
}

TEST(CalicoOwn, FamiliesAndRefusals) {
  auto l = load_text(np("prod", "p",
                        "  ingress:\n  - action: Allow\n    source:\n      nets: [10.0.0.0/8]\n"
                        "    destination:\n      nets: ['fd00::/8']\n"),
                     kCluster);
  EXPECT_NE(find(*l, ir::Code::NV5019), nullptr) << l->messages();
  l = load_text(np("prod", "p",
                   "  egress:\n  - action: Allow\n    ipVersion: 6\n    source:\n      notNets: "
                   "[10.0.0.0/8]\n"),
                kCluster);
  EXPECT_NE(find(*l, ir::Code::NV5019), nullptr) << l->messages();
  // services on the own side stay refused, in words of their own.
  l = load_text(
      np("prod", "p", rule("ingress", "destination", "      services:\n        name: web\n")),
      kCluster);
  const ir::Diagnostic* d = find(*l, ir::Code::NV5033);
  ASSERT_NE(d, nullptr) << l->messages();
  EXPECT_NE(d->message.find("destination.services"), std::string::npos) << d->message;
  // Seven independent conditions: 128 patterns, over the limit of 64.
  std::string rules = "  ingress:\n";
  for (int i = 0; i < 7; ++i)
    rules +=
        "  - action: Allow\n    destination:\n      selector: k" + std::to_string(i) + " == 'a'\n";
  l = load_text(np("prod", "p", rules), kCluster);
  d = find(*l, ir::Code::NV5033);
  ASSERT_NE(d, nullptr) << l->messages();
  EXPECT_NE(d->message.find("too many"), std::string::npos) << d->message;
  // Six are fine.
  rules = "  ingress:\n";
  for (int i = 0; i < 6; ++i)
    rules +=
        "  - action: Allow\n    destination:\n      selector: k" + std::to_string(i) + " == 'a'\n";
  l = load_text(np("prod", "p", rules), kCluster);
  EXPECT_FALSE(l->diags.has_errors()) << l->messages();
}

// own_variants on its own: for every pod and address, exactly one copy's subject matches,
// and its pattern is what the conditions say of that endpoint.
TEST(CalicoOwn, VariantsPartitionTheSubjectExactly) {
  auto l = load_text(
      "", kCluster +
              "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: dual\n  namespace: dev\n"
              "  labels:\n    app: web\n    tier: x\nspec:\n  containers:\n  - name: c\n"
              "    image: x\nstatus:\n  podIP: 10.1.0.9\n  podIPs:\n  - ip: 10.1.0.9\n"
              "  - ip: fd00::9\n");
  using calico::PeerSpec;
  std::vector<PeerSpec> specs(5);
  specs[0].selector = ir::Selector::eq("app", "web");
  specs[1].not_selector = ir::Selector::eq("projectcalico.org/namespace", "prod");
  specs[2].nets = {*ir::Cidr::parse("10.0.0.0/31"), *ir::Cidr::parse("fd00::/120")};
  specs[3].not_nets = {*ir::Cidr::parse("10.1.0.0/30")};
  specs[4].selector = ir::Selector::conj(
      {ir::Selector::has("pcns.env"), ir::Selector::negate(ir::Selector::has("tier"))});
  std::vector<calico::Region> conds;
  std::vector<std::vector<ir::Peer>> raw;
  for (const auto& s : specs) {
    auto r = calico::lower_peer(s, {});
    ASSERT_TRUE(std::holds_alternative<std::vector<ir::Peer>>(r));
    raw.push_back(std::get<std::vector<ir::Peer>>(r));
    conds.push_back(calico::pod_region(raw.back()));
  }
  ir::Peer subject;
  subject.kinds = ir::mask(ir::EndpointKind::Pod);
  subject.pod_selector = ir::Selector::has("app");
  auto vs = calico::own_variants(subject, conds);
  ASSERT_TRUE(std::holds_alternative<std::vector<calico::OwnVariant>>(vs));
  const auto& variants = std::get<std::vector<calico::OwnVariant>>(vs);
  size_t checked = 0;
  for (const auto& pod : l->inventory.pods)
    for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
      ir::Endpoint e = ir::Endpoint::of_pod(pod, f);
      if (!e.addr) continue;
      std::vector<const calico::OwnVariant*> hits;
      for (const auto& v : variants)
        if (ir::matches(v.subject, e, l->inventory)) hits.push_back(&v);
      if (!ir::matches(subject, e, l->inventory)) {
        EXPECT_TRUE(hits.empty()) << e.str();
        continue;
      }
      ASSERT_EQ(hits.size(), 1u) << e.str() << " " << e.addr->str();
      for (size_t i = 0; i < raw.size(); ++i) {
        bool holds =
            raw[i].empty() || std::any_of(raw[i].begin(), raw[i].end(), [&](const ir::Peer& p) {
              return ir::matches(p, e, l->inventory);
            });
        EXPECT_EQ(hits[0]->holds[i], holds)
            << e.str() << " " << e.addr->str() << " condition " << i;
      }
      ++checked;
    }
  EXPECT_GE(checked, 7u);
}

// holes on a split policy: a finding of the policy only when every copy has it, once.
TEST(CalicoOwn, HolesReportAFindingOfTheCopiesOnce) {
  auto l = load_text(np("prod", "p",
                        "  selector: all()\n  ingress:\n  - action: Allow\n    destination:\n"
                        "      selector: app == 'web'\n  - action: Allow\n    protocol: TCP\n"
                        "    destination:\n      nets: [10.0.0.0/31]\n      ports: [5432]\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  ASSERT_GE(copies(*l, "Calico NetworkPolicy prod/p"), 3u);
  auto report = verifier::find_holes(l->policies, l->inventory, {});
  std::map<std::pair<ir::Code, std::string>, int> seen;
  for (const auto& f : report.findings) ++seen[{f.code, f.rule ? f.rule->path : ""}];
  // The copy holding neither rule has no rules: the policy is no default-deny (NV8002), and
  // every copy selects a pod of the inventory or not, but the policy does (NV8005).
  EXPECT_EQ(seen.count({ir::Code::NV8002, ""}), 0u);
  EXPECT_EQ(seen.count({ir::Code::NV8005, ""}), 0u);
  // spec.ingress[0] admits from anywhere, in each copy that has it: reported once.
  EXPECT_EQ((seen[{ir::Code::NV8010, "spec.ingress[0]"}]), 1);
  // An own side that some pod address could pass: not a default-deny.
  auto default_denies = [&](const std::string& fields) {
    auto q = load_text(np("prod", "q", rule("ingress", "destination", fields)), kCluster);
    EXPECT_FALSE(q->diags.has_errors()) << q->messages();
    int n = 0;
    for (const auto& f : verifier::find_holes(q->policies, q->inventory, {}).findings)
      n += f.code == ir::Code::NV8002;
    return n;
  };
  EXPECT_EQ(default_denies("      nets: [192.0.2.0/24]\n"), 0);
  // One that no pod passes (global(): no workload endpoint): the rule is gone, the policy
  // is one default-deny.
  EXPECT_EQ(default_denies("      namespaceSelector: global()\n"), 1);
}
