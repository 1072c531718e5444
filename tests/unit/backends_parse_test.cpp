// The ruleset parsers (nft, iptables + ipset) against the corpus goldens (corpus/rulesets/
// *.model; NETVERIFY_UPDATE_GOLDEN=1 rewrites them), their errors with exact positions, and
// the concrete interpreter run().
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "compiler/backends/dump.h"
#include "compiler/backends/parse.h"
#include "tests/support/support.h"

namespace nv::backends {
namespace {

namespace fs = std::filesystem;

std::string rulesets_dir() { return std::string(NV_SOURCE_DIR) + "/corpus/rulesets"; }

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(rulesets_dir())) {
    auto ext = e.path().extension();
    if (ext == ".nft" || ext == ".rules") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<Firewall> parse_file(const fs::path& p, ir::Diagnostics& diags) {
  std::string text = test::read_file(p.string());
  if (p.extension() == ".nft") return parse_nft(text, p.filename().string(), diags);
  std::string ipset_path = p.string() + ".ipset";
  std::string ipsets = fs::exists(ipset_path) ? test::read_file(ipset_path) : "";
  ir::Family fam = p.filename().string().rfind("ipt6", 0) == 0 ? ir::Family::V6 : ir::Family::V4;
  return parse_iptables(text, p.filename().string(), ipsets, p.filename().string() + ".ipset", fam,
                        diags);
}

std::string messages(const ir::Diagnostics& d) {
  std::string out;
  d.render(out, nullptr, false);
  return out;
}

TEST(RulesetCorpus, ParsesAndMatchesGoldenModel) {
  auto files = corpus_files();
  ASSERT_GE(files.size(), 6u);
  bool update = std::getenv("NETVERIFY_UPDATE_GOLDEN") &&
                std::string(std::getenv("NETVERIFY_UPDATE_GOLDEN")) == "1";
  for (const auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    ir::Diagnostics diags;
    auto fw = parse_file(f, diags);
    ASSERT_TRUE(fw.has_value()) << messages(diags);
    EXPECT_TRUE(diags.all().empty()) << messages(diags);
    std::string got = dump(*fw);
    std::string golden = f.string() + ".model";
    if (update) {
      std::ofstream(golden) << got;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << "missing " << golden << " (NETVERIFY_UPDATE_GOLDEN=1)";
    EXPECT_EQ(test::read_file(golden), got);
  }
}

// ---- errors ----

struct ErrorCase {
  std::string text;
  int line, col;
  ir::Code code;
  std::string ipsets = "";
};

std::string head =
    "table inet t {\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority filter; policy accept;\n";

void expect_error(const std::optional<Firewall>& fw, const ir::Diagnostics& diags,
                  const ErrorCase& c) {
  EXPECT_FALSE(fw.has_value());
  ASSERT_EQ(diags.all().size(), 1u) << messages(diags);
  const auto& d = diags.all()[0];
  EXPECT_EQ(d.code, c.code) << messages(diags);
  EXPECT_EQ(d.span.line, c.line) << messages(diags);
  EXPECT_EQ(d.span.col, c.col) << messages(diags);
}

TEST(ParseNft, Errors) {
  std::vector<ErrorCase> cases = {
      {"table ip t\n", 1, 7, ir::Code::NV9001},
      {"delete table inet t\n", 1, 1, ir::Code::NV9001},
      {head + "\t\tip saddr 10.0.0.1 accpt\n\t}\n}\n", 4, 21, ir::Code::NV9001},
      {head + "\t\tip saddr 10.0.0.0/33 accept\n\t}\n}\n", 4, 12, ir::Code::NV9001},
      {head + "\t\tip6 saddr 10.0.0.1 accept\n\t}\n}\n", 4, 13, ir::Code::NV9001},
      {head + "\t\tth dport 90-80 accept\n\t}\n}\n", 4, 12, ir::Code::NV9001},
      {head + "\t\tmeta l4proto 256 accept\n\t}\n}\n", 4, 16, ir::Code::NV9001},
      {head + "\t\tmeta mark 1 accept\n\t}\n}\n", 4, 8, ir::Code::NV9001},
      {head + "\t\tip saddr \"x\" accept\n\t}\n}\n", 4, 12, ir::Code::NV9001},
      {head + "\t\tjump nowhere\n\t}\n}\n", 4, 3, ir::Code::NV9002},
      {head + "\t\tip saddr @nosuch accept\n\t}\n}\n", 4, 3, ir::Code::NV9002},
      {head + "\t\tjump a\n\t}\n\tchain a {\n\t\tgoto b\n\t}\n\tchain b {\n\t\tjump a\n\t}\n}\n",
       10, 3, ir::Code::NV9002},
      {head + "\t}\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.0/8 }\n\t}\n}\n", 7, 16,
       ir::Code::NV9001},
      {head + "\t}\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.0/8,\n"
              "\t\t\t10.1.0.0/16 }\n\t}\n}\n",
       9, 4, ir::Code::NV9001},
      {head + "\t}\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { }\n\t}\n}\n", 7, 16,
       ir::Code::NV9001},
      {head + "\t\tip saddr @s accept\n\t}\n\tset s {\n\t\ttype ipv6_addr\n\t}\n}\n", 4, 3,
       ir::Code::NV9001},
      {head + "\t\tip saddr vmap @m\n\t}\n\tset m {\n\t\ttype ipv4_addr\n\t}\n}\n", 4, 3,
       ir::Code::NV9001},
      {head + "\t}\n\tchain forward {\n\t}\n}\n", 5, 8, ir::Code::NV9001},
      {"table inet t {\n\tchain c {\n\t\taccept\n\t}\n}\n", 6, 1, ir::Code::NV9002},
      {head + "\t\tct state established,bogus accept\n\t}\n}\n", 4, 24, ir::Code::NV9001},
      {head + "\t\tip saddr 10.0.0.1 . th dport 1 accept\n", 4, 21, ir::Code::NV9001},
      {head + "\t}\n", 5, 1, ir::Code::NV9001},  // end of file inside the table
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ":\n" + cases[i].text);
    ir::Diagnostics diags;
    auto fw = parse_nft(cases[i].text, "t.nft", diags);
    expect_error(fw, diags, cases[i]);
  }
}

TEST(ParseIptables, Errors) {
  std::string h = "*filter\n:NETVERIFY - [0:0]\n:NV-A - [0:0]\n";
  std::string sets = "create s4 hash:net family inet hashsize 64 maxelem 65536\n";
  std::vector<ErrorCase> cases = {
      {"*nat\nCOMMIT\n", 1, 1, ir::Code::NV9001},
      {h + "-A NETVERIFY -j ACCEPT\n", 4, 17, ir::Code::NV9001},  // no COMMIT
      {h + "-A NETVERIFY -s 10.0.0.0/8 -j ACCEP\nCOMMIT\n", 4, 31, ir::Code::NV9002},
      {h + "-A NETVERIFY -s 10.0.0.0/8 -j NV-B\nCOMMIT\n", 4, 31, ir::Code::NV9002},
      {h + "-A NV-B -j DROP\nCOMMIT\n", 4, 4, ir::Code::NV9002},
      {h + "-A NETVERIFY -m multiport --dports 80 -j DROP\nCOMMIT\n", 4, 17, ir::Code::NV9001},
      {h + "-A NETVERIFY -p udp -m tcp --dport 80 -j DROP\nCOMMIT\n", 4, 24, ir::Code::NV9001},
      {h + "-A NETVERIFY -p tcp -m tcp --dport 90:80 -j DROP\nCOMMIT\n", 4, 36, ir::Code::NV9001},
      {h + "-A NETVERIFY -p all -j DROP\nCOMMIT\n", 4, 17, ir::Code::NV9001},
      {h + "-A NETVERIFY ! -s 10.0.0.1 -j DROP\nCOMMIT\n", 4, 16, ir::Code::NV9001},
      {h + "-A NETVERIFY -m set --match-set nosuch src -j DROP\nCOMMIT\n", 4, 1, ir::Code::NV9002},
      {h + "-A NETVERIFY -m comment --comment x -j DROP\nCOMMIT\n", 4, 17, ir::Code::NV9001},
      {h + "-A NETVERIFY -m conntrack --ctstate NEW,UNTRACKED -j DROP\nCOMMIT\n", 4, 37,
       ir::Code::NV9001},
      {h + "-A NETVERIFY -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:16 -j "
           "DROP\n"
           "COMMIT\n",
       4, 43, ir::Code::NV9001},
      {h + "-A NETVERIFY -j NV-A\n-A NV-A -j NETVERIFY\nCOMMIT\n", 5, 1, ir::Code::NV9002},
      {h + "-A NV-A -g NV-A\nCOMMIT\n", 4, 1, ir::Code::NV9002},
      {"*filter\n:NV-A - [0:0]\nCOMMIT\n", 1, 1, ir::Code::NV9002},  // no NETVERIFY
      {h + ":FORWARD ACCEPT [0:0]\nCOMMIT\n", 4, 1, ir::Code::NV9001},
      {h + "COMMIT\n-A NETVERIFY -j DROP\n", 5, 1, ir::Code::NV9001},
      // ipset errors are reported in the ipset file
      {h + "COMMIT\n", 2, 5, ir::Code::NV9002, sets + "add s5 10.0.0.1\n"},
      {h + "COMMIT\n", 2, 8, ir::Code::NV9001, sets + "add s4 2001:db8::1\n"},
      {h + "COMMIT\n", 3, 8, ir::Code::NV9001, sets + "add s4 10.0.0.1\nadd s4 10.0.0.1\n"},
      // a duplicate after an element out of order (the reader's ordered list has become a tree)
      {h + "COMMIT\n", 5, 8, ir::Code::NV9001,
       sets + "add s4 10.0.0.9\nadd s4 10.0.0.1\nadd s4 10.0.0.5\nadd s4 10.0.0.9\n"},
      {h + "COMMIT\n", 4, 8, ir::Code::NV9001,
       "create s4 hash:net family inet maxelem 2\nadd s4 10.0.0.9\nadd s4 10.0.0.1\n"
       "add s4 10.0.0.5\n"},
      {h + "COMMIT\n", 2, 8, ir::Code::NV9001, sets + "create s4 hash:net family inet\n"},
      {h + "COMMIT\n", 2, 8, ir::Code::NV9001, sets + "add s4 0.0.0.0/0\n"},
      {h + "COMMIT\n", 3, 9, ir::Code::NV9001,
       sets + "create s6 hash:net family inet6\nswap s4 s6\n"},
      {h + "COMMIT\n", 2, 1, ir::Code::NV9001, sets + "list s4\n"},
      {h + "-A NETVERIFY -m set --match-set s4 src -j DROP\nCOMMIT\n", 4, 1, ir::Code::NV9002,
       sets + "destroy s4\n"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ":\n" + cases[i].text + "---\n" + cases[i].ipsets);
    ir::Diagnostics diags;
    auto fw = parse_iptables(cases[i].text, "t.rules", cases[i].ipsets, "t.ipset", ir::Family::V4,
                             diags);
    expect_error(fw, diags, cases[i]);
  }
}

TEST(ParseIptables, SetFamilyMustMatchTheTable) {
  ir::Diagnostics diags;
  auto fw = parse_iptables("*filter\n:NETVERIFY - [0:0]\n-A NETVERIFY -m set --match-set s4 dst -j DROP\nCOMMIT\n",
                           "t.rules", "create s4 hash:net family inet\n", "t.ipset", ir::Family::V6,
                           diags);
  EXPECT_FALSE(fw.has_value());
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].code, ir::Code::NV9001);
}

TEST(ParseIptables, IpsetSwapKeepsContentsAndDestroyRemoves) {
  ir::Diagnostics diags;
  auto fw = parse_iptables("*filter\n:NETVERIFY - [0:0]\nCOMMIT\n", "t.rules",
                           "create a hash:net family inet\nadd a 10.0.0.0/8\n"
                           "create b hash:net family inet\nadd b 192.0.2.1\nswap a b\n"
                           "create c hash:net\ndestroy c\n",
                           "t.ipset", ir::Family::V4, diags);
  ASSERT_TRUE(fw.has_value()) << messages(diags);
  ASSERT_EQ(fw->sets.size(), 2u);
  ASSERT_EQ(fw->sets.at("a").elements.size(), 1u);
  EXPECT_EQ(fw->sets.at("a").elements[0].key[0].lo, 0xc0000201u);
  EXPECT_EQ(fw->sets.at("b").elements[0].key[0], (Range{0x0a000000u, 0x0affffffu}));
}

// Elements come out in ascending order whatever order they were added in; a set destroyed
// and created again under its name starts empty.
TEST(ParseIptables, IpsetElementsInOrderAndARecreatedSetStartsEmpty) {
  ir::Diagnostics diags;
  auto fw =
      parse_iptables("*filter\n:NETVERIFY - [0:0]\nCOMMIT\n", "t.rules",
                     "create a hash:net family inet\nadd a 10.0.0.1\nadd a 10.0.0.3\n"
                     "add a 10.0.0.2\nadd a 10.0.0.0/31\n"
                     "create b hash:net family inet\nadd b 192.0.2.1\ndestroy b\n"
                     "create b hash:net family inet\nadd b 192.0.2.2\nflush a\nadd a 10.0.0.7\n"
                     "add a 10.0.0.6\n",
                     "t.ipset", ir::Family::V4, diags);
  ASSERT_TRUE(fw.has_value()) << messages(diags);
  const auto& a = fw->sets.at("a").elements;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].key[0].lo, 0x0a000006u);
  EXPECT_EQ(a[1].key[0].lo, 0x0a000007u);
  const auto& b = fw->sets.at("b").elements;
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].key[0].lo, 0xc0000202u);

  fw = parse_iptables("*filter\n:NETVERIFY - [0:0]\nCOMMIT\n", "t.rules",
                      "create a hash:net family inet\nadd a 10.0.0.3\nadd a 10.0.0.1\n"
                      "add a 10.0.0.0/31\nadd a 10.0.0.2\n",
                      "t.ipset", ir::Family::V4, diags);
  ASSERT_TRUE(fw.has_value()) << messages(diags);
  std::vector<Range> got;
  for (const auto& e : fw->sets.at("a").elements) got.push_back(e.key[0]);
  EXPECT_EQ(got, (std::vector<Range>{{0x0a000000u, 0x0a000001u},
                                     {0x0a000001u, 0x0a000001u},
                                     {0x0a000002u, 0x0a000002u},
                                     {0x0a000003u, 0x0a000003u}}));
}

TEST(ParseNft, DeleteTableStartsOver) {
  ir::Diagnostics diags;
  std::string t = "table inet t {\n\tchain old {\n\t}\n}\ndelete table inet t\n" + head + "\t}\n}\n";
  auto fw = parse_nft(t, "t.nft", diags);
  ASSERT_TRUE(fw.has_value()) << messages(diags);
  EXPECT_EQ(fw->chains.size(), 1u);
  EXPECT_EQ(fw->entry, "forward");
}

// Inputs the fuzzers found (kept so they stay fixed).
TEST(ParseNft, FuzzRegressions) {
  std::vector<std::string> inputs = {
      "", "\n", "@", "table inet t {", "table inet t {\n\tset s {\n\t\ttype ipv4_addr\n",
      "table inet t {\n\tmap m {\n\t\ttype inet_service : verdict\n\t\telements = { 1 : jump",
      "table inet t {\n\tchain c {\n\t\tip saddr . ip saddr vmap { 0.0.0.0/0 . 0.0.0.0/0 : accept }",
  };
  for (const auto& in : inputs) {
    ir::Diagnostics diags;
    auto fw = parse_nft(in, "f.nft", diags);
    EXPECT_FALSE(fw.has_value());
    EXPECT_TRUE(diags.has_errors());
  }
}

// ---- run() ----

Packet pkt4(const char* src, const char* dst, uint8_t proto, uint16_t port, uint8_t ct = kCtNew) {
  return Packet{*ir::IpAddr::parse(src), *ir::IpAddr::parse(dst), proto, port, ct};
}

Firewall nft(const std::string& body) {
  ir::Diagnostics diags;
  auto fw = parse_nft(head + body + "}\n", "t.nft", diags);
  if (!fw) throw std::runtime_error(messages(diags));
  return *fw;
}

TEST(Run, JumpReturnsGotoReturnsToCaller) {
  Firewall fw = nft(
      "\t\tjump a\n\t\tdrop\n\t}\n"
      "\tchain a {\n\t\tip saddr 10.0.0.1 goto b\n\t\tip saddr 10.0.0.2 jump b\n\t\taccept\n\t}\n"
      "\tchain b {\n\t\tip daddr 10.0.0.9 accept\n\t}\n");
  // goto b; b falls off: back to forward after `jump a`: drop.
  EXPECT_EQ(run(fw, pkt4("10.0.0.1", "10.0.0.8", 6, 80)), VerdictKind::Drop);
  // jump b; b falls off: back to a: accept.
  EXPECT_EQ(run(fw, pkt4("10.0.0.2", "10.0.0.8", 6, 80)), VerdictKind::Accept);
  EXPECT_EQ(run(fw, pkt4("10.0.0.1", "10.0.0.9", 6, 80)), VerdictKind::Accept);
}

TEST(Run, VmapWithoutElementDoesNothingAndPolicyApplies) {
  Firewall fw = nft(
      "\t\tip saddr vmap { 10.0.0.0/8 : drop, 192.0.2.1 : return }\n\t\tip saddr 192.0.2.2 drop\n\t}\n");
  EXPECT_EQ(run(fw, pkt4("10.1.1.1", "1.1.1.1", 6, 1)), VerdictKind::Drop);
  EXPECT_EQ(run(fw, pkt4("192.0.2.1", "1.1.1.1", 6, 1)), VerdictKind::Accept);  // return: policy
  EXPECT_EQ(run(fw, pkt4("192.0.2.2", "1.1.1.1", 6, 1)), VerdictKind::Drop);
  EXPECT_EQ(run(fw, pkt4("192.0.2.3", "1.1.1.1", 6, 1)), VerdictKind::Accept);
}

TEST(Run, AddressMatchesOnlyItsFamilyEvenNegated) {
  Firewall fw = nft("\t\tip saddr != 10.0.0.0/8 drop\n\t}\n");
  EXPECT_EQ(run(fw, pkt4("192.0.2.1", "1.1.1.1", 6, 1)), VerdictKind::Drop);
  EXPECT_EQ(run(fw, pkt4("10.0.0.1", "1.1.1.1", 6, 1)), VerdictKind::Accept);
  Packet v6{*ir::IpAddr::parse("2001:db8::1"), *ir::IpAddr::parse("2001:db8::2"), 6, 1, kCtNew};
  EXPECT_EQ(run(fw, v6), VerdictKind::Accept);
}

TEST(Run, CtStateIsABitMask) {
  Firewall fw = nft("\t\tct state established,related drop\n\t}\n");
  EXPECT_EQ(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1, kCtEstablished)), VerdictKind::Drop);
  EXPECT_EQ(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1, kCtRelated)), VerdictKind::Drop);
  EXPECT_EQ(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1, kCtNew)), VerdictKind::Accept);
}

TEST(Run, PortOfAProtocolWithoutPortsIsUnknown) {
  Firewall fw = nft("\t\tth dport 80 drop\n\t\tmeta l4proto . th dport { tcp . 22 } drop\n\t}\n");
  EXPECT_THROW(run(fw, pkt4("1.1.1.1", "2.2.2.2", 1, 80)), std::runtime_error);
  EXPECT_EQ(run(fw, pkt4("1.1.1.1", "2.2.2.2", 17, 80)), VerdictKind::Drop);
  Firewall guarded = nft("\t\tmeta l4proto . th dport { tcp . 22 } drop\n\t\tth dport 0-65535 drop\n\t}\n");
  EXPECT_EQ(run(guarded, pkt4("1.1.1.1", "2.2.2.2", 1, 0)), VerdictKind::Drop);  // all ports: known
}

TEST(Run, ThrowsOnMissingChainSetAndDeepNesting) {
  Firewall fw = nft("\t\tjump a\n\t}\n\tchain a {\n\t}\n");
  fw.chains["a"].rules.push_back(Rule{{}, std::nullopt, Verdict{VerdictKind::Jump, "zz"}, {}});
  EXPECT_THROW(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1)), std::runtime_error);
  fw.chains["a"].rules[0].verdict.chain = "a";  // a loop
  EXPECT_THROW(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1)), std::runtime_error);
  Match m;
  m.key = {Field::Src4};
  m.set = "nosuch";
  fw.chains["a"].rules[0] = Rule{{m}, std::nullopt, Verdict{VerdictKind::Accept, ""}, {}};
  EXPECT_THROW(run(fw, pkt4("1.1.1.1", "2.2.2.2", 6, 1)), std::runtime_error);
}

TEST(Run, AddrValueRoundTrips) {
  auto a = *ir::IpAddr::parse("198.18.0.1");
  EXPECT_EQ(addr_value(a), 0xc6120001u);
  EXPECT_EQ(addr_of(0xc6120001u, ir::Family::V4), a);
  auto b = *ir::IpAddr::parse("2001:db8::ff");
  EXPECT_EQ(addr_value(b) >> 96, 0x20010db8u);
  EXPECT_EQ(addr_of(addr_value(b), ir::Family::V6), b);
  EXPECT_EQ(field_bits(Field::Src6), 128);
  EXPECT_EQ(field_bits(Field::DstPort), 16);
}

}  // namespace
}  // namespace nv::backends
