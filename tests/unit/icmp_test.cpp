// ICMP type and code (ir/model.h is_icmp): an ICMP/ICMPv6 packet carries type << 8 | code
// in its port. The evaluator, Calico icmp/notICMP, Cilium icmps, and Z3 against the
// evaluator on the same policies.
#include <gtest/gtest.h>

#include "ir/evaluate.h"
#include "tests/support/support.h"
#include "verifier/queries.h"

using namespace nv;
using nv::test::inventory_yaml;
using nv::test::load_text;

namespace {

const std::string kCluster = inventory_yaml({
    "ns prod env=prod",
    "ns dev env=dev",
    "pod prod/web 10.0.0.1 app=web",
    "pod dev/tool 10.1.0.2 app=tool",
});

std::string calico(const std::string& rules) {
  return "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
         "  namespace: prod\nspec:\n  selector: app == 'web'\n  types: [Ingress]\n  ingress:\n" +
         rules;
}

std::string cilium(const std::string& rules) {
  return "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n"
         "  namespace: prod\nspec:\n  endpointSelector:\n    matchLabels: {app: web}\n"
         "  ingress:\n" +
         rules;
}

TEST(Icmp, PortMatchOfEveryProtocolSeesIcmpAsPortZero) {
  ir::Endpoint none;
  ir::PortMatch any80{ir::kAnyProto, 80, 80, {}};
  EXPECT_FALSE(ir::matches(any80, ir::kICMP, ir::icmp_port(0, 80), none));
  EXPECT_TRUE(ir::matches(any80, ir::kTCP, 80, none));
  ir::PortMatch any0{ir::kAnyProto, 0, 100, {}};
  EXPECT_TRUE(ir::matches(any0, ir::kICMP, ir::icmp_port(8, 0), none));
  ir::PortMatch echo{ir::kICMP, ir::icmp_port(8, 0), ir::icmp_port(8, 255), {}};
  EXPECT_TRUE(ir::matches(echo, ir::kICMP, ir::icmp_port(8, 3), none));
  EXPECT_FALSE(ir::matches(echo, ir::kICMP, ir::icmp_port(0, 0), none));
  EXPECT_FALSE(ir::matches(echo, ir::kICMPv6, ir::icmp_port(8, 0), none));
  EXPECT_EQ(echo.str(), "ICMP/type 8");
  EXPECT_EQ(ir::packet_port_str(ir::kICMPv6, ir::icmp_port(128, 1)), "ICMPv6 type 128 code 1");
}

TEST(Icmp, CalicoTypeCodeAndNotIcmp) {
  auto l = load_text(calico("  - action: Deny\n    protocol: ICMP\n    icmp: {type: 8, code: 1}\n"
                            "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8}\n"
                            "  - action: Allow\n    protocol: ICMPv6\n    notICMP: {type: 128}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 0), ir::kICMP));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 255), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 1), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(0, 0), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(128, 0), ir::kICMPv6));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(127, 255), ir::kICMPv6));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(129, 0), ir::kICMPv6));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 80, ir::kTCP));
}

TEST(Icmp, CalicoIcmpAndNotIcmpTogether) {
  auto l = load_text(
      calico("  - action: Allow\n    protocol: ICMP\n    icmp: {type: 3}\n    notICMP: {type: 3, "
             "code: 4}\n"),
      kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(3, 3), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(3, 4), ir::kICMP));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(3, 5), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(4, 0), ir::kICMP));
}

TEST(Icmp, CalicoValidationErrorsAtTheirPlace) {
  struct Case {
    std::string rule, where;
  };
  for (const Case& c : {
           Case{"  - action: Allow\n    protocol: TCP\n    icmp: {type: 8}\n", ":11:15:"},
           Case{"  - action: Allow\n    protocol: ICMP\n    icmp: {code: 1}\n", ":12:18:"},
           Case{"  - action: Allow\n    protocol: ICMP\n    notICMP: {type: 255}\n", ":12:21:"},
           Case{"  - action: Allow\n    icmp: {type: 8}\n", ":11:11:"},
       }) {
    auto l = load_text(calico(c.rule), kCluster);
    EXPECT_TRUE(l->has(ir::Code::NV5031)) << c.rule << l->messages();
    EXPECT_NE(l->messages().find(c.where), std::string::npos) << c.rule << l->messages();
  }
}

TEST(Icmp, CiliumIcmpsByNameAndNumberPerFamily) {
  auto l = load_text(cilium("  - icmps:\n    - fields:\n      - type: EchoRequest\n"
                            "      - {type: 128, family: IPv6}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 0), ir::kICMP));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 7), ir::kICMP));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(128, 0), ir::kICMP));
  EXPECT_TRUE(l->allowed("dev/tool", "prod/web", ir::icmp_port(128, 0), ir::kICMPv6));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", ir::icmp_port(8, 0), ir::kICMPv6));
  EXPECT_FALSE(l->allowed("dev/tool", "prod/web", 8, ir::kTCP));
}

TEST(Icmp, CiliumIcmpsErrors) {
  for (const std::string& rule :
       {std::string("  - icmps:\n    - fields:\n      - type: Bogus\n"),
        std::string("  - icmps:\n    - fields:\n      - {type: 8, family: IPv5}\n"),
        std::string("  - icmps: []\n"), std::string("  - icmps:\n    - {}\n"),
        std::string(
            "  - icmps: [{fields: [{type: 8}]}]\n    toPorts: [{ports: [{port: '80'}]}]\n")}) {
    auto l = load_text(cilium(rule), kCluster);
    EXPECT_TRUE(l->has(ir::Code::NV6035)) << rule << l->messages();
  }
}

// Z3 and the evaluator agree: reach answers for ICMP types, and its witnesses evaluate the same.
TEST(Icmp, ReachProvesPerTypeAndWitnessesAgree) {
  auto l = load_text(calico("  - action: Deny\n    protocol: ICMP\n    icmp: {type: 8, code: 1}\n"
                            "  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8}\n"),
                     kCluster);
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  ir::Peer web;
  web.kinds = ir::mask(ir::EndpointKind::Pod);
  web.ns_name = "prod";
  verifier::Scope scope;
  scope.to = web;
  scope.proto = ir::kICMP;
  verifier::QueryOptions opt;
  opt.pin = &l->inventory;
  scope.port = ir::icmp_port(8, 1);
  EXPECT_EQ(verifier::reach(l->policies, scope, opt).answer, verifier::ReachResult::Answer::Denied);
  scope.port = ir::icmp_port(8, 0);
  EXPECT_EQ(verifier::reach(l->policies, scope, opt).answer,
            verifier::ReachResult::Answer::Allowed);
  scope.port = ir::icmp_port(8, 0);
  scope.port_hi = ir::icmp_port(8, 255);
  auto r = verifier::reach(l->policies, scope, opt);
  ASSERT_EQ(r.answer, verifier::ReachResult::Answer::Depends);
  ASSERT_TRUE(r.allowed && r.denied);
  EXPECT_EQ(r.denied->pkt.port, ir::icmp_port(8, 1));
  EXPECT_TRUE(ir::evaluate(l->policies, l->inventory, r.allowed->pkt).allowed);
  EXPECT_FALSE(ir::evaluate(l->policies, l->inventory, r.denied->pkt).allowed);
  // Type 0 (echo reply) is denied for every code.
  scope.port = ir::icmp_port(0, 0);
  scope.port_hi = ir::icmp_port(0, 255);
  EXPECT_EQ(verifier::reach(l->policies, scope, opt).answer, verifier::ReachResult::Answer::Denied);
}

}  // namespace
