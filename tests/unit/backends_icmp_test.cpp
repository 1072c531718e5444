// ICMP and ICMPv6 type/code matches in the rule compiler: PortSet ranges of type << 8 |
// code, nft `meta l4proto . th sport`, iptables --icmp-type / ip6tables --icmpv6-type and
// u32, parsed back into the firewall model, run on concrete packets and proved equal to
// the policies by translation validation, which catches a wrong type in the output.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/plan.h"
#include "tests/support/support.h"
#include "verifier/validate.h"

using namespace nv;
using backends::PortSet;

namespace {

ir::Endpoint external() { return ir::Endpoint{}; }

std::unique_ptr<test::Loaded> dual_stack(const std::string& policy) {
  return test::load_paths({NV_SOURCE_DIR "/corpus/icmp/" + policy},
                          {NV_SOURCE_DIR "/corpus/icmp/cluster.yaml"});
}

// The four firewalls of a plan: nft for IPv4 and IPv6, iptables and ip6tables.
struct Outputs {
  std::string nft;
  backends::IptablesOutput ipt;
  std::vector<std::pair<ir::Family, backends::Firewall>> fws;
};

Outputs emit_all(const backends::NodePlan& plan) {
  Outputs o;
  o.nft = backends::emit_nft(plan, {});
  o.ipt = backends::emit_iptables(plan, {});
  ir::Diagnostics d;
  auto nft = backends::parse_nft(o.nft, "nft", d);
  auto v4 = backends::parse_iptables(o.ipt.rules4, "r4", o.ipt.ipsets, "s", ir::Family::V4, d);
  auto v6 = backends::parse_iptables(o.ipt.rules6, "r6", o.ipt.ipsets, "s", ir::Family::V6, d);
  EXPECT_TRUE(nft && v4 && v6) << o.nft << o.ipt.rules4 << o.ipt.rules6;
  if (nft && v4 && v6)
    o.fws = {{ir::Family::V4, *nft},
             {ir::Family::V6, *nft},
             {ir::Family::V4, *v4},
             {ir::Family::V6, *v6}};
  return o;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  size_t p = text.find(from);
  EXPECT_NE(p, std::string::npos) << from << " in\n" << text;
  if (p != std::string::npos) text.replace(p, from.size(), to);
  return text;
}

}  // namespace

TEST(IcmpPortSet, TypesAndCodesAsRanges) {
  PortSet echo =
      PortSet::of({ir::kICMP, ir::icmp_port(8, 0), ir::icmp_port(8, 255), {}}, external());
  EXPECT_TRUE(echo.contains(ir::kICMP, ir::icmp_port(8, 3)));
  EXPECT_FALSE(echo.contains(ir::kICMP, ir::icmp_port(0, 0)));
  EXPECT_FALSE(echo.contains(ir::kICMPv6, ir::icmp_port(8, 0)));
  EXPECT_EQ(echo.str(), "ICMP/type 8");
  PortSet code1 =
      PortSet::of({ir::kICMP, ir::icmp_port(8, 1), ir::icmp_port(8, 1), {}}, external());
  EXPECT_EQ(echo.minus(code1).str(), "ICMP/type 8 code 0,type 8 code 2-type 8 code 255");
  EXPECT_EQ(PortSet::of({ir::kICMPv6, 0, 65535, {}}, external()).str(), "ICMPv6");
  // Every protocol with a port range sees ICMP as port 0 (ir::matches): a range from 0
  // holds every ICMP type, any other range none.
  ir::PortMatch any0{ir::kAnyProto, 0, 100, {}}, any80{ir::kAnyProto, 80, 80, {}};
  for (int proto : {ir::kICMP, ir::kICMPv6})
    for (int type : {0, 8, 128, 255}) {
      uint16_t port = ir::icmp_port(type, 7);
      EXPECT_EQ(PortSet::of(any0, external()).contains(proto, port),
                ir::matches(any0, proto, port, external()));
      EXPECT_EQ(PortSet::of(any80, external()).contains(proto, port),
                ir::matches(any80, proto, port, external()));
      EXPECT_TRUE(PortSet::of(any0, external()).contains(proto, port));
      EXPECT_FALSE(PortSet::of(any80, external()).contains(proto, port));
    }
  EXPECT_EQ(PortSet::of(any0, external()).str(),
            "TCP/0-100 UDP/0-100 SCTP/0-100 ICMP ICMPv6 every other protocol");
}

// The plan of the dual-stack node decides every ICMP/ICMPv6 type (codes 0, 1, 255) in both
// families as the evaluator does, and so does each emitted ruleset, parsed back and run.
TEST(IcmpCompile, PlanAndEveryRulesetAgreeWithTheEvaluator) {
  for (const char* policy : {"calico-by-family.yaml", "calico-any-family.yaml"}) {
    auto w = dual_stack(policy);
    ASSERT_FALSE(w->diags.has_errors()) << w->messages();
    backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
    Outputs o = emit_all(plan);
    ASSERT_EQ(o.fws.size(), 4u);
    bool ip6tables_exact = backends::iptables_inexpressible(plan).empty();
    EXPECT_EQ(ip6tables_exact, std::string(policy) == "calico-by-family.yaml");
    size_t compared = 0, allowed = 0;
    for (auto [src, dst] : {std::pair{"10.244.1.11", "10.244.1.10"},
                            {"fd00:244:1::11", "fd00:244:1::10"},
                            {"203.0.113.7", "10.244.1.10"}}) {
      ir::IpAddr s = *ir::IpAddr::parse(src), d = *ir::IpAddr::parse(dst);
      for (int proto : {ir::kICMP, ir::kICMPv6})
        for (int type = 0; type < 256; ++type)
          for (int code : {0, 1, 255}) {
            uint16_t port = ir::icmp_port(type, code);
            ir::Packet pkt{ir::Endpoint::of_ip(w->inventory, s),
                           ir::Endpoint::of_ip(w->inventory, d), proto, port};
            bool expected = ir::evaluate(w->policies, w->inventory, pkt).allowed;
            EXPECT_EQ(backends::plan_allows(plan, w->inventory, s, d, proto, port), expected);
            backends::Packet fp{s, d, static_cast<uint8_t>(proto), port, backends::kCtNew};
            for (size_t i = 0; i < o.fws.size(); ++i) {
              if (o.fws[i].first != s.family) continue;
              if (i == 3 && !ip6tables_exact) continue;  // refused by compile (NV4029)
              EXPECT_EQ(backends::run(o.fws[i].second, fp) == backends::VerdictKind::Accept,
                        expected)
                  << policy << " firewall " << i << ": " << src << " -> " << dst << " "
                  << ir::packet_port_str(proto, port);
            }
            ++compared;
            allowed += expected;
          }
    }
    EXPECT_EQ(compared, 3u * 2 * 256 * 3);
    EXPECT_GT(allowed, 0u);
    EXPECT_LT(allowed, compared);
  }
}

// What each target writes for ICMP, and that translation validation proves it.
TEST(IcmpCompile, EmitsTypeMatchesAndValidationProvesThem) {
  auto w = dual_stack("calico-by-family.yaml");
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  Outputs o = emit_all(plan);
  ASSERT_EQ(o.fws.size(), 4u);
  EXPECT_NE(o.nft.find("meta l4proto . th sport @pp_"), std::string::npos) << o.nft;
  EXPECT_NE(o.nft.find("icmp . 2050-2303"), std::string::npos) << o.nft;
  EXPECT_NE(o.ipt.rules4.find("-p icmp -m icmp --icmp-type 8/1 -j DROP"), std::string::npos)
      << o.ipt.rules4;
  EXPECT_NE(o.ipt.rules4.find("-p icmp -m icmp --icmp-type 8 -j RETURN"), std::string::npos)
      << o.ipt.rules4;
  EXPECT_NE(o.ipt.rules6.find("-p icmpv6 -m icmp6 --icmpv6-type 128/0 -j RETURN"),
            std::string::npos)
      << o.ipt.rules6;
  EXPECT_NE(o.ipt.rules6.find("-p icmpv6 -m icmp6 --icmpv6-type 135 -j RETURN"), std::string::npos)
      << o.ipt.rules6;
  verifier::SolverOptions so;
  for (const auto& [family, fw] : o.fws)
    EXPECT_FALSE(verifier::validate_firewall(w->policies, w->inventory, "node-1", fw, family, so));
}

// A wrong ICMP type in each target's output is caught with a counterexample of that type,
// which the concrete interpreter confirms.
TEST(IcmpCompile, ValidationCatchesAWrongType) {
  auto w = dual_stack("calico-by-family.yaml");
  backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
  Outputs o = emit_all(plan);
  struct Mutant {
    const char* target;
    ir::Family family;
    std::string text;
    int proto;
    std::vector<int> types;  // the counterexample's type is one of these
  };
  std::vector<Mutant> mutants = {
      {"nft",
       ir::Family::V4,
       replace_once(o.nft, "icmp . 2050-2303", "icmp . 2306-2559"),
       ir::kICMP,
       {8, 9}},
      {"nft",
       ir::Family::V6,
       replace_once(o.nft, "icmpv6 . 34048-35327", "icmpv6 . 34304-35583"),
       ir::kICMPv6,
       {133, 138}},
      {"iptables",
       ir::Family::V4,
       replace_once(o.ipt.rules4, "--icmp-type 8 -j RETURN", "--icmp-type 9 -j RETURN"),
       ir::kICMP,
       {8, 9}},
      {"ip6tables",
       ir::Family::V6,
       replace_once(o.ipt.rules6, "--icmpv6-type 128/0 -j", "--icmpv6-type 129/0 -j"),
       ir::kICMPv6,
       {128, 129}},
  };
  verifier::SolverOptions so;
  for (const auto& m : mutants) {
    ir::Diagnostics d;
    auto fw = std::string(m.target) == "nft"
                  ? backends::parse_nft(m.text, "m", d)
                  : backends::parse_iptables(m.text, "m", o.ipt.ipsets, "s", m.family, d);
    ASSERT_TRUE(fw) << m.target;
    auto cx = verifier::validate_firewall(w->policies, w->inventory, "node-1", *fw, m.family, so);
    ASSERT_TRUE(cx) << m.target;
    EXPECT_EQ(cx->proto, m.proto) << cx->text;
    EXPECT_NE(std::find(m.types.begin(), m.types.end(), cx->port >> 8), m.types.end()) << cx->text;
    EXPECT_NE(cx->policies_allow, cx->ruleset_accepts);
    EXPECT_NE(cx->text.find(" type "), std::string::npos) << cx->text;
    backends::Packet pkt{cx->src, cx->dst, static_cast<uint8_t>(cx->proto), cx->port,
                         backends::kCtNew};
    EXPECT_EQ(backends::run(*fw, pkt) == backends::VerdictKind::Accept, cx->ruleset_accepts)
        << cx->text;
  }
}

// Parse-back of the ICMP forms: --icmp-type 255 is every ICMP type (ip_tables.c), T alone
// every code, T/C one; u32 reads the transport header's first 16 bits; misuse is an error.
TEST(IcmpParse, IptablesFormsAndErrors) {
  auto fw_of = [](const std::string& rule, ir::Family f, ir::Diagnostics& d) {
    std::string text = "*filter\n:NETVERIFY - [0:0]\n" + rule + "\n-A NETVERIFY -j DROP\nCOMMIT\n";
    return backends::parse_iptables(text, "r", "", "s", f, d);
  };
  auto accepts = [](const backends::Firewall& fw, const char* src, const char* dst, int proto,
                    int type, int code) {
    backends::Packet p{*ir::IpAddr::parse(src), *ir::IpAddr::parse(dst),
                       static_cast<uint8_t>(proto), ir::icmp_port(type, code), backends::kCtNew};
    return backends::run(fw, p) == backends::VerdictKind::Accept;
  };
  ir::Diagnostics d;
  auto any = fw_of("-A NETVERIFY -p icmp -m icmp --icmp-type 255 -j ACCEPT", ir::Family::V4, d);
  ASSERT_TRUE(any);
  EXPECT_TRUE(accepts(*any, "10.0.0.1", "10.0.0.2", 1, 3, 4));
  auto t8 = fw_of("-A NETVERIFY -p icmp -m icmp --icmp-type 8 -j ACCEPT", ir::Family::V4, d);
  ASSERT_TRUE(t8);
  EXPECT_TRUE(accepts(*t8, "10.0.0.1", "10.0.0.2", 1, 8, 200));
  EXPECT_FALSE(accepts(*t8, "10.0.0.1", "10.0.0.2", 1, 0, 0));
  auto t8c0 = fw_of("-A NETVERIFY -p icmp -m icmp --icmp-type 8/0 -j ACCEPT", ir::Family::V4, d);
  ASSERT_TRUE(t8c0);
  EXPECT_TRUE(accepts(*t8c0, "10.0.0.1", "10.0.0.2", 1, 8, 0));
  EXPECT_FALSE(accepts(*t8c0, "10.0.0.1", "10.0.0.2", 1, 8, 1));
  auto v6 = fw_of("-A NETVERIFY -p icmpv6 -m icmp6 --icmpv6-type 255 -j ACCEPT", ir::Family::V6, d);
  ASSERT_TRUE(v6);
  EXPECT_TRUE(accepts(*v6, "fd00::1", "fd00::2", 58, 255, 9));
  EXPECT_FALSE(accepts(*v6, "fd00::1", "fd00::2", 58, 128, 0));  // no wildcard in IPv6
  auto u32 = fw_of("-A NETVERIFY -p icmpv6 -m u32 --u32 0>>22&0x3C@0>>16=0x8000:0x80FF -j ACCEPT",
                   ir::Family::V4, d);
  ASSERT_TRUE(u32);
  EXPECT_TRUE(accepts(*u32, "10.0.0.1", "10.0.0.2", 58, 128, 9));
  EXPECT_FALSE(accepts(*u32, "10.0.0.1", "10.0.0.2", 58, 129, 0));
  EXPECT_FALSE(accepts(*u32, "10.0.0.1", "10.0.0.2", 1, 128, 0));
  EXPECT_FALSE(d.has_errors());
  for (auto [rule, fam] : std::vector<std::pair<std::string, ir::Family>>{
           {"-A NETVERIFY -p tcp -m icmp --icmp-type 8 -j ACCEPT", ir::Family::V4},
           {"-A NETVERIFY -p icmp -m icmp --icmp-type echo-request -j ACCEPT", ir::Family::V4},
           {"-A NETVERIFY -p icmp -m icmp --icmp-type 8 -j ACCEPT", ir::Family::V6},
           {"-A NETVERIFY -p icmpv6 -m icmp6 --icmpv6-type 128 -j ACCEPT", ir::Family::V4},
           {"-A NETVERIFY -p tcp -m u32 --u32 0>>22&0x3C@0>>16=0x50 -j ACCEPT", ir::Family::V4},
           {"-A NETVERIFY -p icmp -m u32 --u32 0>>22&0x3C@4>>16=0x50 -j ACCEPT", ir::Family::V4}}) {
    ir::Diagnostics e;
    EXPECT_FALSE(fw_of(rule, fam, e)) << rule;
    EXPECT_TRUE(e.has_errors()) << rule;
  }
}

// ICMP with every type is a protocol like any other (no type match, as before types were
// compiled); ICMP with some types beside other protocols keeps both parts apart. Every
// packet of the four rulesets against the evaluator.
TEST(IcmpCompile, WholeIcmpByProtocolAndTypesBesideOtherProtocols) {
  std::string cluster = test::read_file(NV_SOURCE_DIR "/corpus/icmp/cluster.yaml");
  auto calico = [](const std::string& rules) {
    return "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
           "  namespace: demo\nspec:\n  selector: app == 'web'\n  types: [Ingress]\n  ingress:\n" +
           rules;
  };
  struct Case {
    std::string rules;
    bool typed;  // the output matches ICMP types
  };
  for (const Case& c : {Case{"  - {action: Deny, protocol: TCP, destination: {ports: [80]}}\n"
                             "  - {action: Allow}\n",
                             false},
                        Case{"  - {action: Allow, protocol: ICMP, icmp: {type: 8}}\n"
                             "  - {action: Allow, protocol: 47}\n"
                             "  - {action: Allow, protocol: ICMPv6}\n",
                             true}}) {
    auto w = test::load_text(calico(c.rules), cluster);
    ASSERT_FALSE(w->diags.has_errors()) << w->messages();
    backends::NodePlan plan = backends::plan_node(w->policies, w->inventory, "node-1");
    Outputs o = emit_all(plan);
    ASSERT_EQ(o.fws.size(), 4u);
    EXPECT_EQ(o.nft.find("th sport") != std::string::npos, c.typed) << o.nft;
    EXPECT_EQ(o.ipt.rules4.find("--icmp-type") != std::string::npos, c.typed) << o.ipt.rules4;
    EXPECT_EQ(o.nft.find("icmp . 0-65535"), std::string::npos) << o.nft;
    bool ip6tables_exact = backends::iptables_inexpressible(plan).empty();
    size_t compared = 0;
    for (auto [src, dst] :
         {std::pair{"10.244.1.11", "10.244.1.10"}, {"fd00:244:1::11", "fd00:244:1::10"}}) {
      ir::IpAddr s = *ir::IpAddr::parse(src), d = *ir::IpAddr::parse(dst);
      for (auto [proto, port] :
           std::vector<std::pair<int, uint16_t>>{{ir::kTCP, 80},
                                                 {ir::kTCP, 81},
                                                 {47, 0},
                                                 {17, 0},
                                                 {ir::kICMP, ir::icmp_port(8, 0)},
                                                 {ir::kICMP, ir::icmp_port(0, 0)},
                                                 {ir::kICMPv6, ir::icmp_port(128, 0)},
                                                 {ir::kICMPv6, ir::icmp_port(1, 3)}}) {
        ir::Packet pkt{ir::Endpoint::of_ip(w->inventory, s), ir::Endpoint::of_ip(w->inventory, d),
                       proto, port};
        bool expected = ir::evaluate(w->policies, w->inventory, pkt).allowed;
        backends::Packet fp{s, d, static_cast<uint8_t>(proto), port, backends::kCtNew};
        for (size_t i = 0; i < o.fws.size(); ++i) {
          if (o.fws[i].first != s.family || (i == 3 && !ip6tables_exact)) continue;
          EXPECT_EQ(backends::run(o.fws[i].second, fp) == backends::VerdictKind::Accept, expected)
              << "firewall " << i << ": " << src << " -> " << dst << " "
              << ir::packet_port_str(proto, port);
          ++compared;
        }
      }
    }
    EXPECT_GT(compared, 20u);
  }
}
