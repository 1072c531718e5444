#include "compiler/backends/iptables.h"

#include <algorithm>
#include <map>
#include <set>

namespace nv::backends {

namespace {

// ipset and multiport limits.
constexpr size_t kMultiportWeight = 15;  // a range counts as two ports

std::string chain_name(int di, int fi, size_t c) {
  return std::string("NV-") + (di == static_cast<int>(ir::Direction::Ingress) ? "I" : "E") +
         (fi == 0 ? "4" : "6") + "-C" + std::to_string(c);
}

std::string port_chain_name(uint32_t id) { return "NV-PP-" + std::to_string(id); }

// The node's pods -> their class chains, as a binary tree of chains split on the first
// address bit where the remaining pods differ, so that a packet meets a few rules per
// level rather than one rule per class: iptables has no verdict maps.
struct Dispatch {
  std::vector<std::pair<u128, std::string>> entries;  // sorted, unique addresses
  const char* flag;                                   // "-s" or "-d"
  std::string prefix;                                 // chain names: PREFIX0, PREFIX1...
  ir::Family fam;
  int count = 0;

  std::string emit(std::string& decl, std::string& rules) { return node(decl, rules, 0, entries.size()); }

 private:
  static constexpr size_t kLeaf = 8;
  std::string node(std::string& decl, std::string& rules, size_t lo, size_t hi) {
    std::string name = prefix + std::to_string(count++);
    decl += ":" + name + " - [0:0]\n";
    int bits = fam == ir::Family::V4 ? 32 : 128;
    if (hi - lo <= kLeaf) {
      for (size_t i = lo; i < hi; ++i)
        rules += "-A " + name + " " + flag + " " + addr_text(entries[i].first, fam) + "/" + std::to_string(bits) +
                 " -j " + entries[i].second + "\n";
      return name;
    }
    auto bit = [&](u128 v, int b) { return static_cast<int>((v >> (bits - 1 - b)) & 1); };
    int b = 0;
    while (bit(entries[lo].first, b) == bit(entries[hi - 1].first, b)) ++b;
    size_t mid = lo;
    while (bit(entries[mid].first, b) == 0) ++mid;
    for (auto [a, z] : {std::pair{lo, mid}, std::pair{mid, hi}}) {
      int host = bits - (b + 1);
      u128 net = host >= 128 ? 0 : (entries[a].first >> host) << host;
      std::string child = node(decl, rules, a, z);
      rules += "-A " + name + " " + flag + " " + addr_text(net, fam) + "/" + std::to_string(b + 1) + " -j " + child + "\n";
    }
    return name;
  }
};

class IpsetWriter {
 public:
  void add(const std::string& name, int fi, const std::vector<std::string>& members) {
    std::string family = fi == 0 ? "inet" : "inet6";
    std::string opts = " hash:net family " + family + " hashsize 64 maxelem " +
                       std::to_string(std::max<size_t>(65536, members.size()));
    std::string tmp = name + "~";
    out += "create " + tmp + opts + " -exist\nflush " + tmp + "\n";
    for (const auto& m : members) out += "add " + tmp + " " + m + "\n";
    out += "create " + name + opts + " -exist\nswap " + tmp + " " + name + "\ndestroy " + tmp + "\n";
  }
  std::string out;
};

std::vector<std::string> cidrs_of_runs(const std::vector<std::pair<u128, u128>>& runs, ir::Family fam) {
  std::vector<std::string> out;
  for (const auto& [lo, hi] : runs)
    for (const auto& c : range_to_cidrs(lo, hi, fam))
      out.push_back(c.len == c.addr.bits() ? c.addr.str() : c.str());
  return out;
}

std::string target(uint32_t set) {
  if (set == kAll) return "-j RETURN";
  if (set == kNone) return "-j DROP";
  return "-g " + port_chain_name(set);
}

void port_chain(std::string& out, uint32_t id, const PortSet& s) {
  std::string c = port_chain_name(id);
  out += "# " + c + ": " + s.str() + "\n";
  for (int i = 0; i < 3; ++i) {
    const auto& ranges = s.ranges[i];
    std::string p = proto_text(PortSet::kPortProtos[i]);
    if (ranges.size() == 1 && ranges[0].lo == 0 && ranges[0].hi == 65535) {
      out += "-A " + c + " -p " + p + " -j RETURN\n";
      continue;
    }
    std::string list;
    size_t weight = 0;
    auto flush = [&] {
      if (!list.empty()) out += "-A " + c + " -p " + p + " -m multiport --dports " + list + " -j RETURN\n";
      list.clear();
      weight = 0;
    };
    for (const auto& r : ranges) {
      size_t w = r.lo == r.hi ? 1 : 2;
      if (weight + w > kMultiportWeight) flush();
      list += (list.empty() ? "" : ",") + std::to_string(r.lo) + (r.lo == r.hi ? "" : ":" + std::to_string(r.hi));
      weight += w;
    }
    flush();
  }
  // Protocols without ports. iptables reads `-p 0` as every protocol, so protocol 0 is
  // only ever what is left at the end of the chain.
  size_t allowed = s.protos.count(), portless = 256 - PortSet::kPortProtos.size();
  bool zero = s.protos.test(0);
  if (!zero && allowed <= portless / 2) {
    for (int p = 1; p < 256; ++p)
      if (s.protos.test(p)) out += "-A " + c + " -p " + std::to_string(p) + " -j RETURN\n";
    out += "-A " + c + " -j DROP\n";
    return;
  }
  for (int p : PortSet::kPortProtos) out += "-A " + c + " -p " + proto_text(p) + " -j DROP\n";
  for (int p = 1; p < 256; ++p)
    if (!is_port_proto(p) && !s.protos.test(p)) out += "-A " + c + " -p " + std::to_string(p) + " -j DROP\n";
  if (!zero)
    for (int p = 1; p < 256; ++p)
      if (s.protos.test(p)) out += "-A " + c + " -p " + std::to_string(p) + " -j RETURN\n";
  out += std::string("-A ") + c + (zero ? " -j RETURN\n" : " -j DROP\n");
}

}  // namespace

IptablesOutput emit_iptables(const NodePlan& plan, const EmitInfo& info) {
  IptablesOutput o;
  IpsetWriter ipsets;
  ipsets.out = "# Generated by " + info.version + ": ipsets for the forward-path firewall of node " + plan.node +
               ".\n# Load with `ipset restore -exist < FILE` before the iptables rules.\n";
  for (int fi = 0; fi < 2; ++fi) {
    ir::Family fam = fi == 0 ? ir::Family::V4 : ir::Family::V6;
    std::string tag = fi == 0 ? "4" : "6";
    std::string& out = fi == 0 ? o.rules4 : o.rules6;
    std::string tool = fi == 0 ? "iptables" : "ip6tables";
    out = "# Generated by " + info.version + ": the forward-path firewall of node " + plan.node + " (IPv" + tag + ").\n";
    out += "# Egress of the node's pods and ingress to them; established and related packets pass;\n"
           "# directions that no policy isolates pass. Load after the ipsets with\n"
           "#   " + tool + "-restore --noflush < FILE\n"
           "#   " + tool + " -C FORWARD -j NETVERIFY || " + tool + " -I FORWARD 1 -j NETVERIFY\n";
    for (const auto& h : info.header) out += "# " + h + "\n";
    std::string decl = "*filter\n:NETVERIFY - [0:0]\n", rules, class_rules;
    rules += "-A NETVERIFY -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
    std::set<uint32_t> used;
    std::string tree_rules;
    for (int di : {static_cast<int>(ir::Direction::Egress), static_cast<int>(ir::Direction::Ingress)}) {
      Dispatch dispatch{{}, di == static_cast<int>(ir::Direction::Egress) ? "-s" : "-d",
                        std::string("NV-") + (di == static_cast<int>(ir::Direction::Egress) ? "E" : "I") + tag + "-T", fam};
      for (size_t c = 0; c < plan.classes.size(); ++c) {
        const SubjectClass& cls = plan.classes[c];
        if (!cls.isolated[di][fi]) continue;
        const PeerMap& pm = cls.peers[di][fi];
        if (pm.runs.empty() && pm.fallback == kAll) continue;
        bool egress = di == static_cast<int>(ir::Direction::Egress);
        std::string chain = chain_name(di, fi, c);
        std::string base = "nv" + tag + "-" + (egress ? "e" : "i") + std::to_string(c);
        decl += ":" + chain + " - [0:0]\n";
        for (const ir::Pod* p : cls.pods)
          for (const auto& a : p->ips)
            if (a.family == fam) dispatch.entries.emplace_back(addr_value(a), chain);
        // One ipset per PortSet of the peer map.
        std::map<uint32_t, std::vector<std::pair<u128, u128>>> by_set;
        for (const auto& r : pm.runs) by_set[r.set].emplace_back(r.lo, r.hi);
        for (const auto& [set, runs] : by_set) {
          std::string name = base + "-" + (set == kAll ? "a" : set == kNone ? "n" : "p" + std::to_string(set));
          ipsets.add(name, fi, cidrs_of_runs(runs, fam));
          class_rules += "-A " + chain + " -m set --match-set " + name + " " + (egress ? "dst" : "src") + " " + target(set) + "\n";
          used.insert(set);
        }
        class_rules += "-A " + chain + " " + target(pm.fallback) + "\n";
        used.insert(pm.fallback);
      }
      // One entry per address: two pods with one address (NV3003) keep the first class.
      std::stable_sort(dispatch.entries.begin(), dispatch.entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      dispatch.entries.erase(std::unique(dispatch.entries.begin(), dispatch.entries.end(),
                                         [](const auto& a, const auto& b) { return a.first == b.first; }),
                             dispatch.entries.end());
      if (!dispatch.entries.empty()) rules += "-A NETVERIFY -j " + dispatch.emit(decl, tree_rules) + "\n";
    }
    std::string ports;
    for (uint32_t id : used)
      if (id != kAll && id != kNone) {
        decl += ":" + port_chain_name(id) + " - [0:0]\n";
        port_chain(ports, id, plan.portsets[id]);
      }
    out += decl + rules + tree_rules + class_rules + ports + "COMMIT\n";
  }
  o.ipsets = ipsets.out;
  return o;
}

}  // namespace nv::backends
