// Tests for cli/expect: the expectations file of `netverify check --expect`, on the seed
// guide (corpus/guide). Every failure's witness is re-judged by the reference evaluator.
#include "cli/expect.h"

#include <gtest/gtest.h>

#include <regex>

#include "tests/support/support.h"

namespace nv {
namespace {

using cli::ExpectationResult;
using Status = ExpectationResult::Status;

const std::string kDir = NV_SOURCE_DIR;
const std::string kHeader =
    "apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nexpectations:\n";

// The guide's policies, with its inventory (pinned, as `check --cluster`) or without.
struct Guide {
  cli::Session s;
  verifier::QueryOptions opt;

  explicit Guide(bool cluster = true,
                 const std::string& policies = kDir + "/corpus/guide/policies") {
    std::vector<std::string> inv;
    if (cluster) inv.push_back(kDir + "/corpus/guide/cluster.yaml");
    s.read({policies}, inv);
    s.lower({});
    if (cluster) opt.pin = &s.inventory;
  }

  std::string messages() const {
    std::string out;
    s.diags.render(out, &s.sources, false);
    return out;
  }

  // Parses `items` (under the header) as if it were the file `name`; runs when it parses.
  std::vector<ExpectationResult> run(const std::string& items,
                                     const std::string& name = "expect.yaml") {
    auto e = cli::load_expectations_text(name, kHeader + items, s);
    if (!e) ADD_FAILURE() << messages();
    if (!e) return {};
    return cli::run_expectations(*e, s, opt);
  }
  ExpectationResult one(const std::string& items) {
    auto r = run(items);
    if (r.size() != 1) {
      ADD_FAILURE() << "expected one result, got " << r.size();
      return {};
    }
    return r[0];
  }

  // Parses a file that must be refused; returns the rendered diagnostics.
  std::string refused(const std::string& text) {
    auto e = cli::load_expectations_text("expect.yaml", text, s);
    EXPECT_EQ(e, nullptr);
    return messages();
  }
};

std::string dump(const ExpectationResult& r) {
  const char* st = r.status == Status::Pass   ? "PASS"
                   : r.status == Status::Fail ? "FAIL"
                                              : "UNKNOWN";
  return std::string(st) + " " + r.name + ": " + r.message + "\n" + r.witness;
}

// The witness's packet, rebuilt on the inventory from its addresses ("TCP a -> b:port").
ir::Packet packet_of(const Guide& g, const std::string& witness) {
  std::smatch m;
  std::regex re(R"(packet +(\w+) ([0-9.]+) -> ([0-9.]+):(\d+))");
  EXPECT_TRUE(std::regex_search(witness, m, re)) << witness;
  if (m.empty()) return {};
  ir::Packet p;
  p.proto = *ir::parse_proto(m[1].str());
  p.src = ir::Endpoint::of_ip(g.s.inventory, *ir::IpAddr::parse(m[2].str()));
  p.dst = ir::Endpoint::of_ip(g.s.inventory, *ir::IpAddr::parse(m[3].str()));
  p.port = static_cast<uint16_t>(std::stoi(m[4].str()));
  return p;
}

bool allowed(const Guide& g, const ir::Packet& p) {
  return ir::evaluate(g.s.policies, g.s.inventory, p).allowed;
}

// --- mustAllow / mustDeny -------------------------------------------------------------

TEST(Expect, MustAllowThroughAServiceAndItsNamedTargetPort) {
  Guide g;
  // backend-service 9090 -> targetPort grpc, the backends' container port 9090.
  auto r = g.one(
      "- mustAllow: {from: monitoring/app=prometheus, to: production/svc/backend-service, port: "
      "9090}\n");
  EXPECT_EQ(r.status, Status::Pass) << dump(r);
  EXPECT_EQ(r.kind, "must-allow");
  EXPECT_EQ(r.name,
            "must-allow monitoring/app=prometheus -> production/svc/backend-service:9090/TCP");
  EXPECT_EQ(r.span.line, 4);
  EXPECT_EQ(r.span.col, 3);
  EXPECT_TRUE(r.witness.empty());
  // The evaluator agrees on each endpoint.
  ir::Packet p{
      ir::Endpoint::of_pod(*g.s.inventory.find_pod("monitoring", "prometheus-0"), ir::Family::V4),
      {},
      ir::kTCP,
      9090};
  for (const auto* name : {"backend-5f6d8b7c9-4hq2n", "backend-5f6d8b7c9-m7v4t"}) {
    p.dst = ir::Endpoint::of_pod(*g.s.inventory.find_pod("production", name), ir::Family::V4);
    EXPECT_TRUE(allowed(g, p)) << name;
  }
}

TEST(Expect, MustAllowFailsWithAWitnessTheEvaluatorDenies) {
  Guide g;
  // default-deny-all isolates postgres and no policy admits anyone to it.
  auto r = g.one(
      "- name: db\n  mustAllow: {from: production/app=backend, to: production/pod/postgres-0, "
      "port: 5432}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  EXPECT_EQ(r.name, "db");
  EXPECT_NE(r.message.find("is denied"), std::string::npos) << r.message;
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.dst.pod, g.s.inventory.find_pod("production", "postgres-0"));
  ASSERT_NE(p.src.pod, nullptr);
  EXPECT_EQ(p.src.pod->labels.at("app"), "backend");
  EXPECT_EQ(p.port, 5432);
  ir::Verdict v = ir::evaluate(g.s.policies, g.s.inventory, p);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.ingress.kind, ir::SideDecision::Kind::TierDefault);
  EXPECT_NE(r.witness.find("DENIED"), std::string::npos) << r.witness;
}

TEST(Expect, MustAllowEveryListedPort) {
  Guide g;
  // The web tier admits 10.0.0.0/8 on 80 and 443, but not on 8443.
  EXPECT_EQ(
      g.one("- mustAllow: {from: 10.10.0.0/16, to: production/tier=web, port: [80, 443]}\n").status,
      Status::Pass);
  auto r = g.one("- mustAllow: {from: 10.10.0.0/16, to: production/tier=web, port: [80, 8443]}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.port, 8443);
  EXPECT_EQ(p.src.kind, ir::EndpointKind::External);
  EXPECT_FALSE(allowed(g, p));
}

TEST(Expect, MustDenyPassesAndFails) {
  Guide g;
  auto ok = g.one("- mustDeny: {from: world, to: production/app=postgres, port: 5432}\n");
  EXPECT_EQ(ok.status, Status::Pass) << dump(ok);
  EXPECT_NE(ok.message.find("proved over the inventory's pods"), std::string::npos) << ok.message;
  auto r = g.one(
      "- mustDeny: {from: monitoring/app=prometheus, to: production/svc/backend-service, port: "
      "9090}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.src.pod, g.s.inventory.find_pod("monitoring", "prometheus-0"));
  EXPECT_EQ(p.port, 9090);  // the target port, through the service
  EXPECT_TRUE(allowed(g, p));
}

TEST(Expect, MustDenyAnyProtocolFromTheFrontend) {
  Guide g;
  EXPECT_EQ(g.one("- mustDeny: {from: production/app=frontend, to: world, protocol: ANY}\n").status,
            Status::Pass);
  // The backend may call HTTPS APIs outside the private ranges.
  auto r = g.one("- mustDeny: {from: production/app=backend, to: world, protocol: ANY}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.dst.kind, ir::EndpointKind::External);
  EXPECT_TRUE(allowed(g, p));
}

TEST(Expect, SymbolicWithoutInventory) {
  Guide g(false);
  // Without --cluster every possible pod counts: a namespace labelled name=monitoring may be
  // any namespace, so "from monitoring" is not what admits Prometheus...
  auto r = g.one(
      "- mustAllow: {from: monitoring/app=prometheus, to: \"production/app=backend,tier=api\", "
      "port: 9090}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  EXPECT_NE(r.witness.find("a pod in namespace monitoring"), std::string::npos) << r.witness;
  // ...but the namespace labels are: every pod of a namespace labelled so is admitted.
  auto deny = g.one("- mustDeny: {from: world, to: \"production/app=postgres\", port: 5432}\n");
  EXPECT_EQ(deny.status, Status::Pass) << dump(deny);
  EXPECT_NE(deny.message.find("every possible pod"), std::string::npos) << deny.message;
}

TEST(Expect, EndpointsThatMatchNothingFailClosed) {
  Guide g;
  auto r = g.one("- mustDeny: {from: world, to: production/app=postgress, port: 5432}\n");
  EXPECT_EQ(r.status, Status::Fail) << dump(r);
  EXPECT_NE(r.message.find("matches nothing"), std::string::npos) << r.message;
}

// --- isolated --------------------------------------------------------------------------

TEST(Expect, IsolatedPasses) {
  Guide g;
  auto r = g.one("- isolated: {namespace: production}\n");
  EXPECT_EQ(r.status, Status::Pass) << dump(r);
  EXPECT_EQ(r.name, "isolated namespace production (ingress, egress)");
  // Symbolically too: default-deny-all selects every pod that could ever be in production.
  Guide sym(false);
  EXPECT_EQ(sym.one("- isolated: {namespace: production, directions: [Ingress, egress]}\n").status,
            Status::Pass);
}

TEST(Expect, IsolatedFailsWithAPodNoPolicyIsolates) {
  Guide g;
  auto r = g.one("- isolated: {namespace: monitoring, directions: [egress]}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.src.pod, g.s.inventory.find_pod("monitoring", "prometheus-0"));
  ir::Verdict v = ir::evaluate(g.s.policies, g.s.inventory, p);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.egress.kind, ir::SideDecision::Kind::NotIsolated);
}

TEST(Expect, IsolatedInOneDirectionOnly) {
  // Ingress isolated for every pod of prod, egress only for app=web.
  cli::Session s;
  s.read_texts(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
)",
               "");
  s.lower({});
  auto e = cli::load_expectations_text(
      "x.yaml", kHeader + R"y(- isolated: {namespace: prod, directions: [ingress]}
- isolated: {namespace: prod, selector: app=web}
- isolated: {namespace: prod, directions: [egress]}
- isolated: {namespace: prod, selector: "app in (web,db)", directions: [egress]}
)y",
      s);
  ASSERT_NE(e, nullptr);
  auto r = cli::run_expectations(*e, s, {});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].status, Status::Pass) << dump(r[0]);
  EXPECT_EQ(r[1].status, Status::Pass) << dump(r[1]);
  EXPECT_EQ(r[2].status, Status::Fail) << dump(r[2]);
  EXPECT_NE(r[2].message.find("not isolated for egress"), std::string::npos);
  ASSERT_EQ(r[3].status, Status::Fail) << dump(r[3]);
  EXPECT_NE(r[3].witness.find("app=db"), std::string::npos) << r[3].witness;
}

TEST(Expect, IsolatedUnderAdminNetworkPolicyPassTier) {
  // An AdminNetworkPolicy whose rules do not decide a packet passes it on (its tier's
  // default): without a NetworkPolicy isolating the pod, the packet is allowed at the end.
  std::string cluster =
      test::inventory_yaml({"ns prod env=prod", "ns ops env=ops", "pod prod/web 10.0.0.1 app=web",
                            "pod ops/prom 10.2.0.1 app=prom"});
  std::string anp = R"(apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: ops-in}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - action: Allow
    from: [{namespaces: {matchLabels: {env: ops}}}]
)";
  std::string deny = R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: prod}
spec: {podSelector: {}, policyTypes: [Ingress]}
)";
  for (bool with_np : {false, true}) {
    cli::Session s;
    s.read_texts(anp + (with_np ? deny : ""), cluster);
    s.lower({});
    ASSERT_FALSE(s.diags.has_errors());
    auto e = cli::load_expectations_text(
        "x.yaml", kHeader + "- isolated: {namespace: prod, directions: [ingress]}\n", s);
    ASSERT_NE(e, nullptr);
    verifier::QueryOptions opt;
    opt.pin = &s.inventory;
    auto r = cli::run_expectations(*e, s, opt);
    ASSERT_EQ(r.size(), 1u);
    if (with_np) {
      EXPECT_EQ(r[0].status, Status::Pass) << dump(r[0]);
      continue;
    }
    ASSERT_EQ(r[0].status, Status::Fail) << dump(r[0]);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r[0].witness, m,
                                  std::regex(R"(packet +TCP ([0-9.]+) -> ([0-9.]+):(\d+))")));
    ir::Packet p{ir::Endpoint::of_ip(s.inventory, *ir::IpAddr::parse(m[1].str())),
                 ir::Endpoint::of_ip(s.inventory, *ir::IpAddr::parse(m[2].str())), ir::kTCP,
                 static_cast<uint16_t>(std::stoi(m[3].str()))};
    EXPECT_EQ(p.dst.pod, s.inventory.find_pod("prod", "web"));
    ir::Verdict v = ir::evaluate(s.policies, s.inventory, p);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.ingress.kind,
              ir::SideDecision::Kind::PassedAll);  // visited, passed, allowed at the end
  }
}

// --- onlyReach -------------------------------------------------------------------------

TEST(Expect, OnlyReachPasses) {
  Guide g;
  auto r = g.one(R"(- onlyReach:
    to: production/app=backend,tier=api
    port: [8080, 9090]
    allowedFrom: [production/app=frontend, ingress-nginx/app.kubernetes.io/name=ingress-nginx, monitoring/]
)");
  EXPECT_EQ(r.status, Status::Pass) << dump(r);
  EXPECT_EQ(r.kind, "only-reach");
  // Nobody reaches the database.
  EXPECT_EQ(g.one("- onlyReach: {to: production/app=postgres, allowedFrom: []}\n").status,
            Status::Pass);
}

TEST(Expect, OnlyReachFailsWithASourceOffTheList) {
  Guide g;
  auto r = g.one(
      "- onlyReach: {to: production/svc/backend-service, port: 80, allowedFrom: "
      "[production/app=frontend]}\n");
  ASSERT_EQ(r.status, Status::Fail) << dump(r);
  ir::Packet p = packet_of(g, r.witness);
  EXPECT_EQ(p.port, 8080);  // service port 80 is target port 8080
  ASSERT_EQ(p.src.kind, ir::EndpointKind::Pod);
  EXPECT_NE(p.src.pod->labels.count("app") ? p.src.pod->labels.at("app") : "", "frontend");
  EXPECT_TRUE(allowed(g, p));
  // With the sources the policies name, it holds.
  EXPECT_EQ(g.one("- onlyReach: {to: production/svc/backend-service, port: 80, allowedFrom: "
                  "[production/app=frontend, ingress-nginx/, monitoring/]}\n")
                .status,
            Status::Pass);
}

// --- equivalent / contains -------------------------------------------------------------

TEST(Expect, EquivalentAndContainsOnTheCorpus) {
  Guide g;
  std::string name = kDir + "/corpus/expect/inline.yaml";  // paths are relative to its directory
  auto r = g.run(R"(- equivalent: {b: guide-as-list.yaml}
- equivalent: {a: ../guide/policies, b: [guide-as-list.yaml]}
- contains: {inner: guide-tightened/}
- contains: {outer: guide-tightened}
- equivalent: {b: ../equiv/guide-metrics-port-typo}
)",
                 name);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].status, Status::Pass) << dump(r[0]);
  EXPECT_EQ(r[1].status, Status::Pass) << dump(r[1]);
  EXPECT_EQ(r[2].status, Status::Pass) << dump(r[2]);
  ASSERT_EQ(r[3].status, Status::Fail) << dump(r[3]);
  ASSERT_EQ(r[4].status, Status::Fail) << dump(r[4]);
  // The checked policies admit health checks from anywhere; the tightened set does not.
  auto tightened = test::load_paths({kDir + "/corpus/expect/guide-tightened"},
                                    {kDir + "/corpus/guide/cluster.yaml"});
  ir::Packet p = packet_of(g, r[3].witness);
  EXPECT_TRUE(allowed(g, p));
  EXPECT_FALSE(ir::evaluate(tightened->policies, g.s.inventory, p).allowed);
  EXPECT_EQ(p.port, 8080);
  auto typo = test::load_paths({kDir + "/corpus/equiv/guide-metrics-port-typo"}, {});
  ir::Packet q = packet_of(g, r[4].witness);
  EXPECT_NE(allowed(g, q), ir::evaluate(typo->policies, g.s.inventory, q).allowed);
}

// --- the corpus files ------------------------------------------------------------------

std::vector<ExpectationResult> run_file(Guide& g, const std::string& file) {
  auto e = cli::load_expectations(kDir + "/corpus/expect/" + file, g.s);
  if (!e) ADD_FAILURE() << g.messages();
  if (!e) return {};
  return cli::run_expectations(*e, g.s, g.opt);
}

TEST(Expect, GuideFileHolds) {
  Guide g;
  auto r = run_file(g, "guide.yaml");
  ASSERT_EQ(r.size(), 9u);
  for (const auto& x : r) EXPECT_EQ(x.status, Status::Pass) << dump(x);
  EXPECT_EQ(r[0].span.file, kDir + "/corpus/expect/guide.yaml");
}

TEST(Expect, BrokenGuideFileFailsTwice) {
  Guide g;
  auto r = run_file(g, "guide-broken.yaml");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].status, Status::Fail) << dump(r[0]);
  EXPECT_EQ(r[1].status, Status::Fail) << dump(r[1]);
  EXPECT_EQ(r[2].status, Status::Pass) << dump(r[2]);
  EXPECT_EQ(r[3].status, Status::Pass) << dump(r[3]);
  for (int i : {0, 1}) {
    ir::Packet p = packet_of(g, r[static_cast<size_t>(i)].witness);
    EXPECT_FALSE(allowed(g, p)) << r[static_cast<size_t>(i)].witness;
  }
  EXPECT_EQ(r[1].span.line, 9);
}

// --- solver unknown --------------------------------------------------------------------

TEST(Expect, ResourceLimitIsUnknownNeverAPass) {
  Guide g;
  g.opt.solver.rlimit = 1;  // deterministic: Z3 runs out at once
  auto r = g.run(
      "- mustDeny: {from: world, to: production/app=postgres, port: 5432}\n- isolated: {namespace: "
      "production}\n");
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    EXPECT_EQ(x.status, Status::Unknown) << dump(x);
    EXPECT_NE(x.message.find("could not decide"), std::string::npos) << x.message;
  }
}

// --- errors ----------------------------------------------------------------------------

struct BadCase {
  const char* text;  // under the header unless it starts with "apiVersion" or "!"
  ir::Code code;
  const char* where;  // "line:col"
};

TEST(Expect, ErrorsHaveCodesAndPositions) {
  const BadCase cases[] = {
      {"- mustAllow: {from: a/, to: b/, prot: TCP}\n", ir::Code::NV1020, "4:33"},
      {"- mustAllow: {from: a/, to: b/}\n  nmae: x\n", ir::Code::NV1020, "5:3"},
      {"- mustAllow: {from: [a/], to: b/}\n", ir::Code::NV1021, "4:21"},
      {"- mustAllow: {from: a/, to: b/, port: http}\n", ir::Code::NV1021, "4:39"},
      {"- mustAllow: {from: a/, to: b/, port: 0}\n", ir::Code::NV4054, "4:39"},
      {"- mustAllow: {from: a/, to: b/, protocol: TPC}\n", ir::Code::NV4054, "4:43"},
      {"- mustAllow: {from: a/, to: \"b/app=in valid\"}\n", ir::Code::NV4052, "4:29"},
      {"- mustAllow: {from: \"prod\", to: b/}\n", ir::Code::NV4052, "4:21"},
      {"- mustAllow: {from: a/}\n", ir::Code::NV1022, "4:14"},
      {"- mustAllow: {from: a/, to: b/}\n  mustDeny: {from: a/, to: b/}\n", ir::Code::NV4051,
       "4:3"},
      {"- name: nothing\n", ir::Code::NV4051, "4:3"},
      {"- mustAllow: {from: a/, to: production/pod/nope}\n", ir::Code::NV4053, "4:29"},
      {"- mustAllow: {from: a/, to: production/svc/nope}\n", ir::Code::NV4053, "4:29"},
      {"- mustAllow: {from: a/, to: production/svc/backend-service, port: 81}\n", ir::Code::NV4053,
       "4:67"},
      {"- mustAllow: {from: production/svc/backend-service, to: b/}\n", ir::Code::NV4059, "4:21"},
      {"- mustAllow: {from: a/, to: kube-system/pod/kube-proxy-8f244}\n", ir::Code::NV4059, "4:29"},
      {"- onlyReach: {to: 10.0.0.0/8, allowedFrom: []}\n", ir::Code::NV4059, "4:19"},
      {"- onlyReach: {to: b/}\n", ir::Code::NV1022, "4:14"},
      {"- onlyReach: {to: b/, allowedFrom: }\n", ir::Code::NV1022, "4:14"},
      {"- onlyReach: {to: b/, allowedFrom: b/}\n", ir::Code::NV1021, "4:36"},
      {"- isolated: {namespace: prod, directions: [ingres]}\n", ir::Code::NV4055, "4:44"},
      {"- isolated: {namespace: prod, directions: [egress, egress]}\n", ir::Code::NV4055, "4:52"},
      {"- isolated: {namespace: \"pr od\"}\n", ir::Code::NV4052, "4:25"},
      {"- isolated: {namespace: prod, selector: \"a in b\"}\n", ir::Code::NV4052, "4:41"},
      {"- isolated: {directions: [ingress]}\n", ir::Code::NV1022, "4:13"},
      {"- equivalent: {from: a/}\n", ir::Code::NV4056, "4:15"},
      {"- equivalent: {b: [\"-\"]}\n", ir::Code::NV4056, "4:20"},
      {"- equivalent: {b: []}\n", ir::Code::NV4056, "4:19"},
      {"- contains: {inner: no-such-dir/}\n", ir::Code::NV1001, "4:21"},
      {"- {name: a, isolated: {namespace: p}}\n- {name: a, isolated: {namespace: q}}\n",
       ir::Code::NV4057, "5:10"},
      {"- {name: yes, isolated: {namespace: p}}\n", ir::Code::NV1021, "4:10"},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nexpectations: {}\n",
       ir::Code::NV1021, "3:15"},
      {"- mustAllow: {from: a/, to: b/, from: c/}\n", ir::Code::NV1004, "4:33"},
      {"!apiVersion: netverify.dev/v1\nkind: Expectations\nexpectations: []\n", ir::Code::NV4050,
       "1:13"},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectation\nexpectations: []\n",
       ir::Code::NV4050, "2:7"},
      {"!kind: Expectations\nexpectations: []\n", ir::Code::NV1022, "1:1"},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nexpectations: []\n",
       ir::Code::NV1022, "3:15"},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nexpectations:\n- isolated: "
       "{namespace: a}\n---\n"
       "kind: x\n",
       ir::Code::NV4058, "6:1"},
      {"!# nothing\n", ir::Code::NV4058, ""},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nexpectations: [\n",
       ir::Code::NV1002, ""},
      {"!apiVersion: netverify.dev/v1alpha1\nkind: Expectations\nspec: {}\nexpectations: "
       "[{isolated: {namespace: "
       "a}}]\n",
       ir::Code::NV1020, "3:1"},
  };
  for (const auto& c : cases) {
    Guide g;
    std::string text = c.text;
    text = text[0] == '!' ? text.substr(1) : kHeader + text;
    std::string out = g.refused(text);
    bool found = false;
    for (const auto& d : g.s.diags.all())
      if (d.code == c.code &&
          (std::string(c.where).empty() ||
           std::to_string(d.span.line) + ":" + std::to_string(d.span.col) == c.where))
        found = true;
    EXPECT_TRUE(found) << "case: " << c.text << "\nexpected " << ir::code_info(c.code).id << " at "
                       << c.where << ", got:\n"
                       << out;
  }
}

TEST(Expect, ErrorRendersWithFileLineAndCaret) {
  Guide g;
  std::string out =
      g.refused(kHeader + "- mustDeny: {from: world, to: production/app=db, porr: 5432}\n");
  EXPECT_NE(
      out.find("expect.yaml:4:50: error[NV1020]: unknown field `expectations[0].mustDeny.porr`"),
      std::string::npos)
      << out;
}

TEST(Expect, ReadingAMissingFileIsAnError) {
  Guide g;
  EXPECT_EQ(cli::load_expectations(kDir + "/corpus/expect/no-such-file.yaml", g.s), nullptr);
  ASSERT_FALSE(g.s.diags.all().empty());
  EXPECT_EQ(g.s.diags.all().back().code, ir::Code::NV1001);
}

TEST(Expect, ParseOnlyLeavesPolicyFilesUnread) {
  Guide g;
  cli::ExpectOptions o;
  o.read_policy_files = false;
  auto e = cli::load_expectations_text("x.yaml", kHeader + "- contains: {inner: /no/such/dir}\n",
                                       g.s, o);
  EXPECT_NE(e, nullptr) << g.messages();
}

}  // namespace
}  // namespace nv
