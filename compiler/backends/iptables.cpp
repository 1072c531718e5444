#include "compiler/backends/iptables.h"

#include <algorithm>
#include <bitset>
#include <charconv>
#include <map>
#include <set>

#include "compiler/backends/iptables_icmp.h"

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
// level rather than one rule per class: iptables has no verdict maps. Every step is a
// goto, so the class chain's RETURN goes straight back to NETVERIFY and the packet does
// not unwind through the rest of each level. An inner node tests one half's prefix and
// sends everything else to the other half unconditionally: only the leaves test whole
// addresses, so an address of no pod of the node falls off a leaf and returns.
struct Dispatch {
  std::vector<std::pair<u128, std::string>> entries;  // sorted, unique addresses
  const char* flag;                                   // "-s" or "-d"
  std::string prefix;                                 // chain names: PREFIX0, PREFIX1...
  ir::Family fam;
  int count = 0;
  int depth = 0;  // chains below the root on the longest path

  std::string emit(std::string& decl, std::string& rules) {
    return node(decl, rules, 0, entries.size(), 0);
  }

 private:
  static constexpr size_t kLeaf = 8;
  std::string node(std::string& decl, std::string& rules, size_t lo, size_t hi, int level) {
    depth = std::max(depth, level);
    std::string name = prefix + std::to_string(count++);
    decl += ":" + name + " - [0:0]\n";
    int bits = fam == ir::Family::V4 ? 32 : 128;
    if (hi - lo <= kLeaf) {
      for (size_t i = lo; i < hi; ++i)
        rules += "-A " + name + " " + flag + " " + addr_text(entries[i].first, fam) + "/" +
                 std::to_string(bits) + " -g " + entries[i].second + "\n";
      return name;
    }
    auto bit = [&](u128 v, int b) { return static_cast<int>((v >> (bits - 1 - b)) & 1); };
    int b = 0;
    while (bit(entries[lo].first, b) == bit(entries[hi - 1].first, b)) ++b;
    size_t mid = lo;
    while (bit(entries[mid].first, b) == 0) ++mid;
    int host = bits - (b + 1);
    u128 net = host >= 128 ? 0 : (entries[lo].first >> host) << host;
    std::string zero = node(decl, rules, lo, mid, level + 1);
    std::string one = node(decl, rules, mid, hi, level + 1);
    rules += "-A " + name + " " + flag + " " + addr_text(net, fam) + "/" + std::to_string(b + 1) +
             " -g " + zero + "\n";
    rules += "-A " + name + " -g " + one + "\n";
    return name;
  }
};

std::string target(uint32_t set) {
  if (set == kAll) return "-j RETURN";
  if (set == kNone) return "-j DROP";
  return "-g " + port_chain_name(set);
}

// The peer addresses of one PortSet of a class's peer map, as CIDRs.
struct PeerSet {
  uint32_t set = 0;
  std::string ipset;                         // its name, if a leaf tests it as an ipset
  std::vector<ir::Cidr> cidrs;               // ascending, disjoint
  std::vector<std::pair<u128, u128>> spans;  // of each CIDR
  int cost = 0;                              // of one ipset test, in native-rule units
  bool as_ipset = false;                     // some leaf tests it as an ipset
};

// A class chain: the peer address against the PortSets of the peer map, then the
// fallback. The sets are disjoint, so their order is free and a region of the address
// space needs to test only the sets that meet it. A test is a native -d/-s rule per CIDR
// or one ipset match; a hash:net ipset costs a hash lookup per distinct prefix length in
// it (ip_set_hash_gen.h, mtype_test_cidrs), behind iptables-nft's xt compatibility layer.
// The chain splits the address space in halves while that makes the most expensive walk
// through it cheaper, at most `max_splits` levels deep (nf_tables limits the depth of
// jumps and gotos from a base chain to 16).
class ClassTree {
 public:
  ClassTree(std::vector<PeerSet>& sets, uint32_t fallback, ir::Family fam, bool egress,
            int max_splits)
      : sets_(sets),
        fallback_(fallback),
        fam_(fam),
        flag_(egress ? "-d" : "-s"),
        dir_(egress ? "dst" : "src"),
        max_splits_(max_splits) {}

  void emit(const std::string& chain, std::string& decl, std::string& rules) {
    int bits = fam_ == ir::Family::V4 ? 32 : 128;
    u128 top = bits == 128 ? ~u128(0) : (u128(1) << 32) - 1;
    node(chain, 0, top, 0, decl, rules);
  }

 private:
  using Meets = std::vector<std::pair<size_t, size_t>>;  // per set: CIDRs [first, last)

  Meets meet(u128 lo, u128 hi) const {
    Meets m;
    for (const auto& s : sets_) {
      auto b = std::partition_point(s.spans.begin(), s.spans.end(),
                                    [&](const auto& x) { return x.second < lo; });
      auto e = std::partition_point(b, s.spans.end(), [&](const auto& x) { return x.first <= hi; });
      m.emplace_back(b - s.spans.begin(), e - s.spans.begin());
    }
    return m;
  }
  bool native(size_t i, const Meets& m) const {
    return static_cast<int>(m[i].second - m[i].first) <= sets_[i].cost;
  }
  int cost(const Meets& m) const {
    int c = 0;
    for (size_t i = 0; i < sets_.size(); ++i)
      if (m[i].second > m[i].first)
        c += native(i, m) ? static_cast<int>(m[i].second - m[i].first) : sets_[i].cost;
    return c;
  }

  void node(const std::string& name, u128 lo, u128 hi, int plen, std::string& decl,
            std::string& rules) {
    Meets m = meet(lo, hi);
    int here = cost(m), bits = fam_ == ir::Family::V4 ? 32 : 128;
    if (plen < max_splits_ && plen < bits && here > 2) {
      u128 mid = lo + (hi - lo) / 2;
      int c0 = cost(meet(lo, mid)), c1 = cost(meet(mid + 1, hi));
      bool zero_first = c0 >= c1;  // the dearer half is tested first, reached in one rule
      if (std::max(std::max(c0, c1) + 1, std::min(c0, c1) + 2) < here) {
        std::string n0 = name + "-" + std::to_string(count_++),
                    n1 = name + "-" + std::to_string(count_++);
        decl += ":" + n0 + " - [0:0]\n:" + n1 + " - [0:0]\n";
        const std::string& first = zero_first ? n0 : n1;
        const std::string& second = zero_first ? n1 : n0;
        rules += "-A " + name + " " + flag_ + " " + addr_text(zero_first ? lo : mid + 1, fam_) +
                 "/" + std::to_string(plen + 1) + " -g " + first + "\n";
        rules += "-A " + name + " -g " + second + "\n";
        node(n0, lo, mid, plen + 1, decl, rules);
        node(n1, mid + 1, hi, plen + 1, decl, rules);
        return;
      }
    }
    for (size_t i = 0; i < sets_.size(); ++i) {
      PeerSet& s = sets_[i];
      if (m[i].second == m[i].first) continue;
      if (native(i, m)) {
        for (size_t k = m[i].first; k < m[i].second; ++k)
          rules += "-A " + name + " " + flag_ + " " + s.cidrs[k].str() + " " + target(s.set) + "\n";
      } else {
        s.as_ipset = true;
        rules += "-A " + name + " -m set --match-set " + s.ipset + " " + dir_ + " " +
                 target(s.set) + "\n";
      }
    }
    rules += "-A " + name + " " + target(fallback_) + "\n";
  }

  std::vector<PeerSet>& sets_;
  uint32_t fallback_;
  ir::Family fam_;
  const char* flag_;
  const char* dir_;
  int max_splits_;
  int count_ = 0;
};

// An address as inet_ntop writes it, and its prefix length unless it is the whole address.
void append_member(std::string& out, const ir::Cidr& c) {
  if (c.addr.family == ir::Family::V4) {  // the large sets: without inet_ntop's formatting
    char buf[20];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      p = std::to_chars(p, buf + sizeof buf, c.addr.bytes[i]).ptr;
    }
    out.append(buf, p);
  } else {
    out += c.addr.str();
  }
  if (c.len != c.addr.bits()) out.append("/").append(std::to_string(c.len));
}

class IpsetWriter {
 public:
  void add(const std::string& name, int fi, const std::vector<ir::Cidr>& members) {
    std::string family = fi == 0 ? "inet" : "inet6";
    std::string opts = " hash:net family " + family + " hashsize 64 maxelem " +
                       std::to_string(std::max<size_t>(65536, members.size()));
    std::string tmp = name + "~";
    out += "create " + tmp + opts + " -exist\nflush " + tmp + "\n";
    for (const auto& m : members) {
      out.append("add ").append(tmp).append(" ");
      append_member(out, m);
      out += '\n';
    }
    out +=
        "create " + name + opts + " -exist\nswap " + tmp + " " + name + "\ndestroy " + tmp + "\n";
  }
  std::string out;
};

void port_chain(std::string& out, uint32_t id, const PortSet& s, int fi) {
  std::string c = port_chain_name(id);
  out += "# " + c + ": " + s.str() + "\n";
  for (int i = 0; i < PortSet::kTransport; ++i) {
    const auto& ranges = s.ranges[i];
    std::string p = proto_text(PortSet::kPortProtos[i]);
    if (ranges.size() == 1 && ranges[0].lo == 0 && ranges[0].hi == 65535) {
      out += "-A " + c + " -p " + p + " -j RETURN\n";
      continue;
    }
    std::string list;
    size_t weight = 0;
    auto flush = [&] {
      if (!list.empty())
        out += "-A " + c + " -p " + p + " -m multiport --dports " + list + " -j RETURN\n";
      list.clear();
      weight = 0;
    };
    for (const auto& r : ranges) {
      size_t w = r.lo == r.hi ? 1 : 2;
      if (weight + w > kMultiportWeight) flush();
      list += (list.empty() ? "" : ",") + std::to_string(r.lo) +
              (r.lo == r.hi ? "" : ":" + std::to_string(r.hi));
      weight += w;
    }
    flush();
  }
  // ICMP and ICMPv6 with some types only, each decided whole by its rules.
  std::bitset<256> whole = s.whole_protos(), partial = s.partial_icmp();
  for (int i = PortSet::kTransport; i < static_cast<int>(PortSet::kPortProtos.size()); ++i)
    if (partial.test(PortSet::kPortProtos[i]))
      iptables_icmp_rules(out, c, s.ranges[i], PortSet::kPortProtos[i], fi);
  // The other protocols (ICMP with every type too). iptables reads `-p 0` as every
  // protocol, so protocol 0 is only ever what is left at the end of the chain.
  size_t allowed = whole.count(), others = 256 - PortSet::kTransport - partial.count();
  bool zero = whole.test(0);
  if (!zero && allowed <= others / 2) {
    for (int p = 1; p < 256; ++p)
      if (whole.test(p)) out += "-A " + c + " -p " + std::to_string(p) + " -j RETURN\n";
    out += "-A " + c + " -j DROP\n";
    return;
  }
  for (int i = 0; i < PortSet::kTransport; ++i)
    out += "-A " + c + " -p " + proto_text(PortSet::kPortProtos[i]) + " -j DROP\n";
  for (int p = 1; p < 256; ++p)
    if (!(is_port_proto(p) && !ir::is_icmp(p)) && !partial.test(p) && !whole.test(p))
      out += "-A " + c + " -p " + std::to_string(p) + " -j DROP\n";
  if (!zero)
    for (int p = 1; p < 256; ++p)
      if (whole.test(p)) out += "-A " + c + " -p " + std::to_string(p) + " -j RETURN\n";
  out += std::string("-A ") + c + (zero ? " -j RETURN\n" : " -j DROP\n");
}

}  // namespace

IptablesOutput emit_iptables(const NodePlan& plan, const EmitInfo& info) {
  IptablesOutput o;
  IpsetWriter ipsets;
  ipsets.out = "# Generated by " + info.version +
               ": ipsets for the forward-path firewall of node " + plan.node +
               ".\n# Load with `ipset restore -exist < FILE` before the iptables rules.\n";
  for (int fi = 0; fi < 2; ++fi) {
    ir::Family fam = fi == 0 ? ir::Family::V4 : ir::Family::V6;
    std::string tag = fi == 0 ? "4" : "6";
    std::string& out = fi == 0 ? o.rules4 : o.rules6;
    std::string tool = fi == 0 ? "iptables" : "ip6tables";
    out = "# Generated by " + info.version + ": the forward-path firewall of node " + plan.node +
          " (IPv" + tag + ").\n";
    out +=
        "# Egress of the node's pods and ingress to them; established and related packets pass;\n"
        "# directions that no policy isolates pass. Load after the ipsets with\n"
        "#   " +
        tool +
        "-restore --noflush < FILE\n"
        "#   " +
        tool + " -C FORWARD -j NETVERIFY || " + tool + " -I FORWARD 1 -j NETVERIFY\n";
    for (const auto& h : info.header) out += "# " + h + "\n";
    std::string decl = "*filter\n:NETVERIFY - [0:0]\n", rules, class_rules;
    rules += "-A NETVERIFY -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
    std::set<uint32_t> used;
    std::string tree_rules;
    for (int di :
         {static_cast<int>(ir::Direction::Egress), static_cast<int>(ir::Direction::Ingress)}) {
      Dispatch dispatch{{},
                        di == static_cast<int>(ir::Direction::Egress) ? "-s" : "-d",
                        std::string("NV-") +
                            (di == static_cast<int>(ir::Direction::Egress) ? "E" : "I") + tag +
                            "-T",
                        fam};
      bool egress = di == static_cast<int>(ir::Direction::Egress);
      std::vector<size_t> classes;  // with a class chain
      for (size_t c = 0; c < plan.classes.size(); ++c) {
        const SubjectClass& cls = plan.classes[c];
        if (!cls.isolated[di][fi]) continue;
        const PeerMap& pm = cls.peers[di][fi];
        if (pm.runs.empty() && pm.fallback == kAll) continue;
        classes.push_back(c);
        for (const ir::Pod* p : cls.pods)
          for (const auto& a : p->ips)
            if (a.family == fam)
              dispatch.entries.emplace_back(addr_value(a), chain_name(di, fi, c));
      }
      // One entry per address: two pods with one address (NV3003) keep the first class.
      std::stable_sort(dispatch.entries.begin(), dispatch.entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      dispatch.entries.erase(
          std::unique(dispatch.entries.begin(), dispatch.entries.end(),
                      [](const auto& a, const auto& b) { return a.first == b.first; }),
          dispatch.entries.end());
      if (!dispatch.entries.empty())
        rules += "-A NETVERIFY -j " + dispatch.emit(decl, tree_rules) + "\n";
      // Chain depth from FORWARD: NETVERIFY 1, the dispatch root 2, its leaves 2 + depth,
      // the class chain 3 + depth, its splits, then a port chain; nf_tables refuses 16.
      int max_splits = std::clamp(11 - dispatch.depth, 0, 4);
      for (size_t c : classes) {
        const PeerMap& pm = plan.classes[c].peers[di][fi];
        std::string chain = chain_name(di, fi, c);
        std::string base = "nv" + tag + "-" + (egress ? "e" : "i") + std::to_string(c);
        decl += ":" + chain + " - [0:0]\n";
        // The peer map's PortSets, each a native rule per CIDR or one ipset per region.
        std::map<uint32_t, std::vector<std::pair<u128, u128>>> by_set;
        for (const auto& r : pm.runs) by_set[r.set].emplace_back(r.lo, r.hi);
        std::vector<PeerSet> sets;
        for (const auto& [set, runs] : by_set) {
          PeerSet ps;
          ps.set = set;
          ps.ipset = base + "-" +
                     (set == kAll    ? "a"
                      : set == kNone ? "n"
                                     : "p" + std::to_string(set));
          std::set<int> lengths;
          for (const auto& [lo, hi] : runs)
            for (const auto& cidr : range_to_cidrs(lo, hi, fam)) {
              int host = (fam == ir::Family::V4 ? 32 : 128) - cidr.len;
              u128 first = addr_value(cidr.addr);
              ps.spans.emplace_back(first,
                                    host >= 128 ? ~u128(0) : first + ((u128(1) << host) - 1));
              ps.cidrs.push_back(cidr);
              lengths.insert(cidr.len);
            }
          ps.cost = 4 + 2 * static_cast<int>(lengths.size());
          sets.push_back(std::move(ps));
          used.insert(set);
        }
        ClassTree(sets, pm.fallback, fam, egress, max_splits).emit(chain, decl, class_rules);
        used.insert(pm.fallback);
        for (const auto& ps : sets) {
          if (!ps.as_ipset) continue;
          ipsets.add(ps.ipset, fi, ps.cidrs);
        }
      }
    }
    std::string ports;
    for (uint32_t id : used)
      if (id != kAll && id != kNone) {
        decl += ":" + port_chain_name(id) + " - [0:0]\n";
        port_chain(ports, id, plan.portsets[id], fi);
      }
    out += decl + rules + tree_rules + class_rules + ports + "COMMIT\n";
  }
  o.ipsets = ipsets.out;
  return o;
}

}  // namespace nv::backends
