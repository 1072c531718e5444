// Kernel tests: compiled rulesets loaded into network namespaces, real packets.
//
//   Harness.*     the harness itself, with hand-written nft and iptables rulesets: it must
//                 see both deliveries and drops, for TCP, UDP and SCTP, IPv4 and IPv6.
//   E2E.*         every case of corpus/k8s-e2e, compiled by `netverify compile` for node-1
//                 (nft and iptables): the kernel's matrix equals the reference evaluator's
//                 and upstream's truth table; then the same cases spread over three nodes.
//   Guide.*       the seed guide over two nodes (addresses moved into 198.18.0.0/15).
//   ServiceAccounts.*  corpus/service-accounts the same way.
//   Icmp.*        real ICMP and ICMPv6 echo requests under ICMP type/code policies.
//
// Needs root; fails without it unless NETVERIFY_SKIP_KERNEL=1.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/kernel/check.h"
#include "tests/kernel/kernel_env.h"
#include "tests/kernel/ruleset.h"
#include "tests/support/support.h"

using namespace nv;
using namespace nv::kernel;

namespace {

ir::IpAddr ip(const char* text) { return *ir::IpAddr::parse(text); }

// Two nodes: a and b on node-1, c and host pod h (hostNetwork) on node-2.
ir::Inventory harness_inventory() {
  ir::Inventory inv;
  inv.namespaces.push_back({"t", {{"kubernetes.io/metadata.name", "t"}}, {}});
  auto pod = [&](const char* name, const char* node, std::vector<ir::IpAddr> ips, bool host = false) {
    ir::Pod p;
    p.ns = "t";
    p.name = name;
    p.node = node;
    p.ips = std::move(ips);
    p.host_network = host;
    inv.pods.push_back(std::move(p));
  };
  pod("a", "node-1", {ip("198.18.0.10"), ip("2001:db8::a")});
  pod("b", "node-1", {ip("198.18.0.11"), ip("2001:db8::b")});
  pod("c", "node-2", {ip("198.18.0.12"), ip("2001:db8::c")});
  pod("h", "node-2", {ip("192.0.2.12"), ip("2001:db8:ffff::12")}, true);
  ir::Diagnostics d;
  inv.finalize(d);
  return inv;
}

using Key = std::tuple<std::string, std::string, ir::Family, int, uint16_t>;

Expectation dropping(const Topology& topo, std::set<Key> drops) {
  return [&topo, drops = std::move(drops)](const Probe& p) {
    return !drops.count({topo.pods()[p.src].id, topo.pods()[p.dst].id, p.family, p.proto, p.port});
  };
}

const std::vector<Service> kHarnessServices = {{ir::kTCP, 80}, {ir::kTCP, 81}, {ir::kUDP, 80},
                                               {ir::kUDP, 81}, {ir::kSCTP, 80}, {ir::kSCTP, 81}};
const std::vector<ir::Family> kBoth = {ir::Family::V4, ir::Family::V6};

std::string report(const Comparison& c) {
  std::string out;
  for (const auto& d : c.disagreements) out += "  " + d + "\n";
  return out;
}

class Harness : public KernelTest {};

// Drops on node-1, which forwards a->b (both local), b->c (egress) and c->a (ingress);
// node-2 drops h->a SCTP (a host source: only the destination's node can see it... it is
// node-1's forward path that h->a crosses, so that rule lives on node-1 too).
const char* kNftNode1 = R"(table inet nvtest {
  chain nvfwd {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
    ip saddr 198.18.0.10 ip daddr 198.18.0.11 tcp dport 80 drop
    ip6 saddr 2001:db8::a ip6 daddr 2001:db8::b tcp dport 81 drop
    ip saddr 198.18.0.11 ip daddr 198.18.0.12 udp dport 80 drop
    ip6 saddr 2001:db8::c ip6 daddr 2001:db8::a udp dport 81 drop
    ip saddr 198.18.0.12 ip daddr 198.18.0.10 sctp dport 80 drop
    ip6 saddr 2001:db8::b ip6 daddr 2001:db8::a sctp dport 81 drop
    ip saddr 192.0.2.12 ip daddr 198.18.0.11 sctp dport 81 drop
  }
}
)";

std::set<Key> nft_node1_drops() {
  using F = ir::Family;
  return {{"t/a", "t/b", F::V4, ir::kTCP, 80},  {"t/a", "t/b", F::V6, ir::kTCP, 81},
          {"t/b", "t/c", F::V4, ir::kUDP, 80},  {"t/c", "t/a", F::V6, ir::kUDP, 81},
          {"t/c", "t/a", F::V4, ir::kSCTP, 80}, {"t/b", "t/a", F::V6, ir::kSCTP, 81},
          {"t/h", "t/b", F::V4, ir::kSCTP, 81}};
}

TEST_F(Harness, EverythingIsDeliveredWithoutRules) {
  auto inv = harness_inventory();
  Topology topo(inv);
  Prober prober(topo);
  auto probes = all_pairs(topo, kHarnessServices, kBoth);
  auto c = compare(prober, probes, [](const Probe&) { return true; });
  EXPECT_TRUE(c.disagreements.empty()) << report(c);
  EXPECT_EQ(c.compared, 4u * 3 * 6 * 2);
  EXPECT_GT(prober.last().sctp_init_acks, 0u);
  std::printf("harness: %zu packets, %zu delivered, %lld ms\n", c.compared, c.delivered,
              static_cast<long long>(prober.last().elapsed.count()));
}

TEST_F(Harness, NftDropsAreSeenAndNothingElse) {
  auto inv = harness_inventory();
  Topology topo(inv);
  Prober prober(topo);
  load_ruleset(*topo.node("node-1").ns, Ruleset{Target::Nft, kNftNode1, "", "", ""});
  auto probes = all_pairs(topo, kHarnessServices, kBoth);
  auto c = compare(prober, probes, dropping(topo, nft_node1_drops()));
  EXPECT_TRUE(c.disagreements.empty()) << report(c);
  EXPECT_EQ(c.compared - c.delivered, nft_node1_drops().size());
  std::printf("harness nft: %zu packets, %zu dropped, %lld ms\n", c.compared, c.compared - c.delivered,
              static_cast<long long>(prober.last().elapsed.count()));

  // A reload replaces the table; after a reset everything flows again.
  topo.reset_firewalls();
  c = compare(prober, probes, [](const Probe&) { return true; });
  EXPECT_TRUE(c.disagreements.empty()) << report(c);
}

// The same through iptables, ip6tables and an ipset, loaded as `netverify compile
// --target iptables` output is, on node-2.
TEST_F(Harness, IptablesAndIpsetDropsAreSeenAndNothingElse) {
  auto inv = harness_inventory();
  Topology topo(inv);
  Prober prober(topo);
  Ruleset r;
  r.target = Target::Iptables;
  r.ipset = "create nvtest-dst hash:ip family inet\nadd nvtest-dst 198.18.0.12\n";
  r.v4 = "*filter\n:NETVERIFY - [0:0]\n"
         "-A NETVERIFY -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
         "-A NETVERIFY -s 198.18.0.10 -m set --match-set nvtest-dst dst -p tcp --dport 81 -j DROP\n"
         "-A NETVERIFY -s 198.18.0.12 -d 198.18.0.11 -p sctp --dport 80 -j DROP\n"
         "-A NETVERIFY -s 198.18.0.12 -d 192.0.2.12 -p udp --dport 80 -j DROP\n"
         "COMMIT\n";
  r.v6 = "*filter\n:NETVERIFY - [0:0]\n"
         "-A NETVERIFY -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
         "-A NETVERIFY -s 2001:db8::b -d 2001:db8::c -p udp --dport 81 -j DROP\n"
         "-A NETVERIFY -s 2001:db8::a -d 2001:db8::c -p sctp --dport 81 -j DROP\n"
         "COMMIT\n";
  load_ruleset(*topo.node("node-2").ns, r);
  load_ruleset(*topo.node("node-2").ns, r);  // loading twice is harmless (the FORWARD jump is added once)
  using F = ir::Family;
  // c -> h is node-local (c's node is h's node: OUTPUT/INPUT, never forward): not dropped.
  std::set<Key> drops = {{"t/a", "t/c", F::V4, ir::kTCP, 81},
                         {"t/c", "t/b", F::V4, ir::kSCTP, 80},
                         {"t/b", "t/c", F::V6, ir::kUDP, 81},
                         {"t/a", "t/c", F::V6, ir::kSCTP, 81}};
  auto probes = all_pairs(topo, kHarnessServices, kBoth);
  auto c = compare(prober, probes, dropping(topo, drops));
  EXPECT_TRUE(c.disagreements.empty()) << report(c);
  EXPECT_EQ(c.compared - c.delivered, drops.size());
}

// Stateful: with new connections to a dropped everywhere but replies accepted, a's own
// connections still work (the replies are established).
TEST_F(Harness, RepliesPassAsEstablished) {
  auto inv = harness_inventory();
  Topology topo(inv);
  Prober prober(topo);
  load_ruleset(*topo.node("node-1").ns, Ruleset{Target::Nft,
                                        "table inet nvtest {\n chain nvfwd {\n  type filter hook forward priority 0; "
                                        "policy accept;\n  ct state established,related accept\n"
                                        "  ip daddr 198.18.0.10 drop\n  ip6 daddr 2001:db8::a drop\n }\n}\n",
                                        "", "", ""});
  auto probes = all_pairs(topo, kHarnessServices, kBoth);
  auto c = compare(prober, probes, [&](const Probe& p) { return topo.pods()[p.dst].id != "t/a"; });
  EXPECT_TRUE(c.disagreements.empty()) << report(c);
  EXPECT_GT(prober.last().sctp_init_acks, 0u);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The upstream e2e suite, compiled by the CLI.

namespace {

namespace fs = std::filesystem;

struct E2ECase {
  std::string dir, name;
};

std::vector<E2ECase> e2e_cases() {
  std::vector<E2ECase> out;
  for (const auto& d : fs::directory_iterator(fs::path(NV_SOURCE_DIR) / "corpus" / "k8s-e2e" / "cases"))
    if (fs::is_directory(d.path() / "expect")) {
      std::string n = d.path().filename().string();
      for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      out.push_back({d.path().string(), n});
    }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

void PrintTo(const E2ECase& c, std::ostream* os) { *os << c.name; }

std::vector<std::string> policy_files(const std::string& dir) {
  if (fs::exists(dir + "/policies.yaml")) return {dir + "/policies.yaml"};
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml" && e.path().filename() != "cluster.yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// expect/<PROTO>-<PORT>.txt: rows FROM, columns TO, X allowed.
using Table = std::map<std::pair<std::string, std::string>, bool>;
std::map<Service, Table> expect_tables(const std::string& dir) {
  std::map<Service, Table> out;
  for (const auto& e : fs::directory_iterator(dir + "/expect")) {
    std::string stem = e.path().stem().string();
    Service svc{*ir::parse_proto(stem.substr(0, stem.find('-'))),
                static_cast<uint16_t>(std::stoi(stem.substr(stem.find('-') + 1)))};
    std::istringstream in(slurp(e.path().string()));
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::vector<std::string> row;
      for (std::string w; ls >> w;) row.push_back(w);
      if (!row.empty()) rows.push_back(row);
    }
    Table& t = out[svc];
    for (size_t r = 1; r < rows.size(); ++r)
      for (size_t col = 1; col < rows[r].size(); ++col) t[{rows[r][0], rows[0][col]}] = rows[r][col] == "X";
  }
  return out;
}

// The e2e inventory with namespace y's pods on node-2 and z's on node-3.
std::string spread_over_three_nodes(const std::string& cluster_yaml) {
  std::istringstream in(cluster_yaml);
  std::string out, ns;
  for (std::string line; std::getline(in, line);) {
    auto trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (trimmed.starts_with("- apiVersion")) ns.clear();
    if (trimmed.starts_with("namespace:")) {
      ns = trimmed.substr(10);
      std::erase_if(ns, [](char ch) { return ch == ' ' || ch == '"'; });
    }
    if (trimmed == "nodeName: node-1" && (ns == "y" || ns == "z"))
      line = line.substr(0, line.find('n')) + "nodeName: " + (ns == "y" ? "node-2" : "node-3");
    out += line + "\n";
  }
  return out;
}

const std::vector<Service> kE2EServices = {{ir::kTCP, 80},  {ir::kTCP, 81},  {ir::kUDP, 80},
                                           {ir::kUDP, 81},  {ir::kSCTP, 80}, {ir::kSCTP, 81}};

// `netverify compile` for every node of the topology and both targets, all at once (each
// run spends most of its time proving its output equivalent to the policies).
std::map<std::pair<Target, std::string>, Ruleset> compile_all(const Topology& topo, const std::string& cluster,
                                                              const std::vector<std::string>& policies,
                                                              const std::string& outdir) {
  std::map<std::pair<Target, std::string>, std::future<Ruleset>> running;
  for (Target t : kTargets)
    for (const auto& n : topo.nodes())
      running[{t, n.name}] = std::async(std::launch::async, [=, node = n.name] {
        return compile_cli(netverify_bin(), t, cluster, node, policies, outdir + "/" + name(t));
      });
  std::map<std::pair<Target, std::string>, Ruleset> out;
  for (auto& [k, f] : running) out[k] = f.get();
  return out;
}

// Loads each node's ruleset for `target` and compares the kernel with the evaluator.
Comparison load_compare(const Topology& topo, Prober& prober, Target target,
                        const std::map<std::pair<Target, std::string>, Ruleset>& rulesets, const test::Loaded& l,
                        const std::vector<Probe>& probes) {
  topo.reset_firewalls();
  for (const auto& n : topo.nodes()) load_ruleset(*n.ns, rulesets.at({target, n.name}));
  return compare(prober, probes, [&](const Probe& p) { return evaluator_allows(l.policies, l.inventory, topo, p); });
}

class E2E : public KernelTest, public ::testing::WithParamInterface<E2ECase> {
 protected:
  void run_case(int nodes) {
    if (!cli_has_compile(netverify_bin()))
      GTEST_SKIP() << netverify_bin() << " has no `compile` subcommand yet";
    const E2ECase& c = GetParam();
    std::string cluster = fs::exists(c.dir + "/cluster.yaml") ? c.dir + "/cluster.yaml"
                                                               : std::string(NV_SOURCE_DIR) + "/corpus/k8s-e2e/cluster.yaml";
    std::string outdir = work_dir() + "/e2e" + std::to_string(nodes) + "/" + c.name;
    if (nodes == 3) {
      std::string spread = outdir + "/cluster.yaml";
      spit(spread, spread_over_three_nodes(slurp(cluster)));
      cluster = spread;
    }
    auto policies = policy_files(c.dir);
    auto l = test::load_paths(policies, {cluster});
    ASSERT_FALSE(l->diags.has_errors()) << l->messages();
    Topology topo(l->inventory);
    ASSERT_EQ(topo.nodes().size(), static_cast<size_t>(nodes));
    Prober prober(topo);
    auto tables = expect_tables(c.dir);
    auto probes = all_pairs(topo, kE2EServices, {ir::Family::V4});
    auto rulesets = compile_all(topo, cluster, policies, outdir);
    for (Target t : kTargets) {
      auto cmp = load_compare(topo, prober, t, rulesets, *l, probes);
      EXPECT_TRUE(cmp.disagreements.empty())
          << name(t) << ", kernel vs reference evaluator (rulesets in " << outdir << "):\n" << report(cmp);
      size_t table_checked = 0;
      for (size_t i = 0; i < probes.size(); ++i) {
        auto tab = tables.find({probes[i].proto, probes[i].port});
        if (tab == tables.end()) continue;
        const auto& s = topo.pods()[probes[i].src].id;
        const auto& d = topo.pods()[probes[i].dst].id;
        auto want = tab->second.find({s, d});
        ASSERT_NE(want, tab->second.end()) << s << " -> " << d << " missing from the table";
        ++table_checked;
        EXPECT_EQ(cmp.kernel[i], want->second)
            << name(t) << ", kernel vs upstream table: " << prober.describe(probes[i]) << ": kernel "
            << (cmp.kernel[i] ? "delivered" : "dropped");
      }
      std::printf("e2e %s %d node(s) %s: %zu packets compared with the evaluator (%zu delivered), %zu with upstream\n",
                  c.name.c_str(), nodes, name(t), cmp.compared, cmp.delivered, table_checked);
    }
  }
};

TEST_P(E2E, OneNode) { run_case(1); }
TEST_P(E2E, ThreeNodes) { run_case(3); }

INSTANTIATE_TEST_SUITE_P(Upstream, E2E, ::testing::ValuesIn(e2e_cases()),
                         [](const auto& info) { return info.param.name; });

// The seed guide over its two nodes. Its addresses (10.244.x.y pods, 192.168.10.x nodes,
// 10.96.x.y services) may not be used here, so a copy moves them into test ranges, and
// the policies' ipBlocks that name those ranges move with them (10.0.0.0/8 becomes
// 198.18.0.0/15, 192.168.0.0/16 becomes 192.0.2.0/24): every inventory address stays
// inside or outside each block exactly as before. 0.0.0.0/0, 172.16.0.0/12 and
// 203.0.113.0/24 hold no inventory address either way and are kept.
class Guide : public KernelTest {};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

// Compiles `policies` for every node of `cluster` (both targets), loads each ruleset into
// its node and compares every pod pair's delivery with the reference evaluator.
void compare_over_nodes(const std::string& what, const std::string& cluster,
                        const std::vector<std::string>& policies, const std::string& dir,
                        size_t nodes) {
  auto l = test::load_paths(policies, {cluster});
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  Topology topo(l->inventory);
  ASSERT_EQ(topo.nodes().size(), nodes);
  Prober prober(topo);
  auto services = relevant_services(l->policies, l->inventory);
  auto probes = all_pairs(topo, services, {ir::Family::V4});
  auto rulesets = compile_all(topo, cluster, policies, dir);
  for (Target t : kTargets) {
    auto cmp = load_compare(topo, prober, t, rulesets, *l, probes);
    EXPECT_TRUE(cmp.disagreements.empty()) << name(t) << " (rulesets in " << dir << "):\n"
                                           << report(cmp);
    EXPECT_GT(cmp.delivered, 0u) << name(t);
    EXPECT_LT(cmp.delivered, cmp.compared) << name(t);
    std::printf("%s %s: %zu packets compared (%zu delivered) on %zu services\n", what.c_str(),
                name(t), cmp.compared, cmp.delivered, services.size());
  }
}

TEST_F(Guide, TwoNodes) {
  if (!cli_has_compile(netverify_bin())) GTEST_SKIP() << netverify_bin() << " has no `compile` subcommand yet";
  std::string src = std::string(NV_SOURCE_DIR) + "/corpus/guide";
  std::string dir = work_dir() + "/guide";
  std::string cluster = dir + "/cluster.yaml";
  spit(cluster, replace_all(replace_all(replace_all(slurp(src + "/cluster.yaml"), "10.244.", "198.18."),
                                        "192.168.10.", "192.0.2."),
                            "10.96.", "198.19."));
  std::vector<std::string> policies;
  for (const auto& e : fs::directory_iterator(src + "/policies")) {
    std::string out = dir + "/policies/" + e.path().filename().string();
    spit(out, replace_all(replace_all(slurp(e.path().string()), "10.0.0.0/8", "198.18.0.0/15"), "192.168.0.0/16",
                          "192.0.2.0/24"));
    policies.push_back(out);
  }
  std::sort(policies.begin(), policies.end());
  compare_over_nodes("guide", cluster, policies, dir, 2);
}

// corpus/service-accounts: pods told apart by their service accounts (Calico
// serviceAccounts by name and by the account's labels), its pods moved into 198.18.0.0/15.
class ServiceAccounts : public KernelTest {};

TEST_F(ServiceAccounts, CalicoOverTwoNodes) {
  std::string src = std::string(NV_SOURCE_DIR) + "/corpus/service-accounts";
  std::string dir = work_dir() + "/service-accounts";
  std::string cluster = dir + "/cluster.yaml";
  spit(cluster, replace_all(slurp(src + "/cluster.yaml"), "10.244.", "198.18."));
  std::string policy = dir + "/calico.yaml";
  spit(policy, slurp(src + "/calico.yaml"));
  compare_over_nodes("service-accounts", cluster, {policy}, dir, 2);
}

// corpus/icmp's dual-stack node, its pods moved into 198.18.0.0/15 and 2001:db8::/32: a
// client pings the web pod (ICMP echo request, type 8; ICMPv6 type 128) under policies
// that allow echo requests, that allow them but for code 0, and that allow only another
// type, compiled for both targets; each ping's outcome must be the evaluator's verdict.
class Icmp : public KernelTest {};

// One echo request from `src` (in the current namespace) to `dst`; true when the matching
// echo reply came back within `timeout`. The ICMPv6 checksum is the kernel's (raw ICMPv6
// sockets, RFC 3542); the ICMP one is computed here.
bool ping(const ir::IpAddr& src, const ir::IpAddr& dst, uint16_t id,
          std::chrono::milliseconds timeout) {
  bool v4 = dst.family == ir::Family::V4;
  int proto = v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_RAW, proto);
  if (fd < 0) throw std::runtime_error(std::string("raw ICMP socket: ") + std::strerror(errno));
  sockaddr_storage from{}, to{};
  socklen_t len = v4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  auto fill = [&](sockaddr_storage& ss, const ir::IpAddr& a) {
    if (v4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      std::memcpy(&sin6->sin6_addr, a.bytes.data(), 16);
    }
  };
  fill(from, src);
  fill(to, dst);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), len) != 0) {
    close(fd);
    throw std::runtime_error("bind " + src.str() + ": " + std::strerror(errno));
  }
  // Type, code, checksum, identifier, sequence 1, then a payload.
  uint8_t req[16] = {0, 0, 0, 0, 0, 0, 0, 1, 'n', 'e', 't', 'v', 'e', 'r', 'f', 'y'};
  req[0] = v4 ? 8 : 128;
  req[4] = static_cast<uint8_t>(id >> 8);
  req[5] = static_cast<uint8_t>(id);
  if (v4) {
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof req; i += 2)
      sum += static_cast<uint32_t>(req[i] << 8 | req[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = static_cast<uint16_t>(~sum);
    req[2] = static_cast<uint8_t>(c >> 8);
    req[3] = static_cast<uint8_t>(c);
  }
  if (sendto(fd, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&to), len) !=
      static_cast<ssize_t>(sizeof req)) {
    close(fd);
    throw std::runtime_error("sendto " + dst.str() + ": " + std::strerror(errno));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool replied = false;
  while (!replied) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    uint8_t buf[1500];
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n <= 0) continue;
    size_t at =
        v4 ? static_cast<size_t>(buf[0] & 0x0f) * 4 : 0;  // raw IPv4 sockets see the IP header
    if (static_cast<size_t>(n) < at + 8) continue;
    bool from_dst =
        v4 ? std::memcmp(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, dst.bytes.data(), 4) == 0
           : std::memcmp(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, dst.bytes.data(),
                         16) == 0;
    replied =
        from_dst && buf[at] == (v4 ? 0 : 129) && buf[at + 4] == req[4] && buf[at + 5] == req[5];
  }
  close(fd);
  return replied;
}

TEST_F(Icmp, EchoRequestsUnderTypeAndCodePolicies) {
  if (!cli_has_compile(netverify_bin()))
    GTEST_SKIP() << netverify_bin() << " has no `compile` subcommand yet";
  std::string dir = work_dir() + "/icmp";
  std::string cluster = dir + "/cluster.yaml";
  std::string text = slurp(std::string(NV_SOURCE_DIR) + "/corpus/icmp/cluster.yaml");
  for (auto [from, to] : {std::pair{"10.244.1.", "198.18.1."},
                          {"fd00:244:1::", "2001:db8:1::"},
                          {"192.168.10.", "192.0.2."},
                          {"fd00:10::", "2001:db8:10::"}})
    text = replace_all(text, from, to);
  spit(cluster, text);
  auto policy = [](const std::string& name, const std::string& v4, const std::string& v6) {
    return "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
           "\n  namespace: demo\nspec:\n  selector: app == 'web'\n  types: [Ingress]\n  ingress:\n"
           "  - {action: Allow, ipVersion: 4, protocol: ICMP, " +
           v4 +
           "}\n"
           "  - {action: Allow, ipVersion: 6, protocol: ICMPv6, " +
           v6 + "}\n";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"echo", policy("echo", "icmp: {type: 8}", "icmp: {type: 128}")},
      {"echo-but-code-0", policy("echo-but-code-0", "icmp: {type: 8}, notICMP: {type: 8, code: 0}",
                                 "icmp: {type: 128}, notICMP: {type: 128, code: 0}")},
      {"timestamp-only", policy("timestamp-only", "icmp: {type: 13}", "icmp: {type: 129}")},
  };
  auto base = test::load_paths({}, {cluster});
  ASSERT_FALSE(base->diags.has_errors()) << base->messages();
  Topology topo(base->inventory);
  const PodSlot* client = topo.pod("demo/client");
  const PodSlot* web = topo.pod("demo/web");
  ASSERT_TRUE(client && web);
  size_t compared = 0, delivered = 0;
  uint16_t id = 0x4e56;
  for (const auto& [name, yaml] : cases) {
    std::string file = dir + "/" + name + ".yaml";
    spit(file, yaml);
    auto l = test::load_paths({file}, {cluster});
    ASSERT_FALSE(l->diags.has_errors()) << l->messages();
    for (Target t : kTargets) {
      Ruleset rs = compile_cli(netverify_bin(), t, cluster, "node-1", {file},
                               dir + "/" + name + "-" + ::nv::kernel::name(t));
      topo.reset_firewalls();
      load_ruleset(*topo.node("node-1").ns, rs);
      for (ir::Family f : {ir::Family::V4, ir::Family::V6}) {
        ir::IpAddr src = *client->ip(f), dst = *web->ip(f);
        int proto = f == ir::Family::V4 ? ir::kICMP : ir::kICMPv6;
        uint16_t port = ir::icmp_port(f == ir::Family::V4 ? 8 : 128, 0);
        ir::Packet pkt{ir::Endpoint::of_ip(l->inventory, src),
                       ir::Endpoint::of_ip(l->inventory, dst), proto, port};
        bool expected = ir::evaluate(l->policies, l->inventory, pkt).allowed;
        bool got = false;
        {
          EnterNetns in(topo.netns_of(*client).fd());
          // Two tries a second apart: a first packet may wait for neighbour discovery.
          for (int attempt = 0; attempt < 2 && !got; ++attempt)
            got = ping(src, dst, ++id, std::chrono::milliseconds(700));
        }
        EXPECT_EQ(got, expected) << name << " " << ::nv::kernel::name(t) << ": " << src.str()
                                 << " -> " << dst.str() << " " << ir::packet_port_str(proto, port)
                                 << "\n"
                                 << (t == Target::Nft      ? rs.nft
                                     : f == ir::Family::V4 ? rs.v4
                                                           : rs.v6);
        ++compared;
        delivered += got;
      }
    }
  }
  // echo: delivered in both families and targets; the other two policies drop them.
  EXPECT_EQ(compared, 12u);
  EXPECT_EQ(delivered, 4u);
  std::printf("icmp: %zu echo requests compared (%zu delivered)\n", compared, delivered);
}

}  // namespace
