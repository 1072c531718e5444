#include "compiler/backends/iptables.h"

#include <algorithm>
#include <bitset>
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

class IpsetWriter {
 public:
  void add(const std::string& name, int fi, const std::vector<std::string>& members) {
    std::string family = fi == 0 ? "inet" : "inet6";
    std::string opts = " hash:net family " + family + " hashsize 64 maxelem " +
                       std::to_string(std::max<size_t>(65536, members.size()));
    std::string tmp = name + "~";
    out += "create " + tmp + opts + " -exist\nflush " + tmp + "\n";
    for (const auto& m : members) out += "add " + tmp + " " + m + "\n";
    out +=
        "create " + name + opts + " -exist\nswap " + tmp + " " + name + "\ndestroy " + tmp + "\n";
  }
  std::string out;
};

std::string hex(uint32_t v) {
  static const char* digits = "0123456789ABCDEF";
  std::string h;
  do {
    h.insert(h.begin(), digits[v % 16]);
    v /= 16;
  } while (v);
  return "0x" + h;
}

// A u32 match (xt_u32.c) on the first two bytes of the transport header of an IPv4 packet,
// type << 8 | code for ICMP and ICMPv6: the header length from IHL ("0>>22&0x3C"), then
// the 16 bits there ("@0>>16"). For what the icmp match cannot say in IPv4: types of
// ICMPv6 (58), codes of type 255.
std::string u32_match(uint32_t lo, uint32_t hi) {
  return " -m u32 --u32 0>>22&0x3C@0>>16=" + hex(lo) + (lo == hi ? "" : ":" + hex(hi));
}

// The ICMP packets of protocol `proto` (1 or 58) in family `fi` whose type << 8 | code is
// in `allowed`, some but not all of them. Every ICMP packet of the protocol is decided here: the
// rules end in
// `-p P -j F`, F being RETURN or DROP, whichever needs fewer rules before it. The own
// protocol of the family by --icmp-type / --icmpv6-type T (every code) or T/C, which is
// all that iptables-restore reads (libxt_icmp.c parse_icmp), but for IPv4 type 255, which
// the icmp match takes for every type (ip_tables.c icmp_type_code_match): u32 ranges, as
// for ICMPv6 in IPv4. ICMP in IPv6 is matched by protocol only (ip6tables has no u32;
// iptables_inexpressible says when that is not exact: the rules then drop).
void icmp_rules(std::string& out, const std::string& c, const std::vector<PortRange>& allowed,
                int proto, int fi) {
  std::string p = "-A " + c + " -p " + proto_text(proto);
  auto verdict = [](bool ret) {
    return ret ? std::string(" -j RETURN\n") : std::string(" -j DROP\n");
  };
  bool own = (fi == 0) == (proto == ir::kICMP);
  if (!own && fi == 1) {
    out += p + " -j DROP\n";
    return;
  }
  if (!own) {  // ICMPv6 in IPv4: the allowed or the denied ranges by u32, fewer first
    std::vector<PortRange> denied;
    uint32_t next = 0;
    for (const auto& r : allowed) {
      if (r.lo > next)
        denied.push_back({static_cast<uint16_t>(next), static_cast<uint16_t>(r.lo - 1)});
      next = static_cast<uint32_t>(r.hi) + 1;
    }
    if (next <= 65535) denied.push_back({static_cast<uint16_t>(next), 65535});
    bool f = denied.size() < allowed.size();  // the last rule's verdict
    for (const auto& r : f ? denied : allowed) out += p + u32_match(r.lo, r.hi) + verdict(!f);
    out += p + verdict(f);
    return;
  }
  std::string opt = fi == 0 ? " -m icmp --icmp-type " : " -m icmp6 --icmpv6-type ";
  // codes[t]: which codes of type t are allowed.
  std::vector<std::bitset<256>> codes(256);
  for (const auto& r : allowed)
    for (uint32_t v = r.lo; v <= r.hi; ++v) codes[v >> 8].set(v & 255);
  int by_type = fi == 0 ? 255 : 256;  // types decided by --icmp-type; IPv4 type 255 by u32
  // The rules for type t when the last rule says `f` (true: RETURN): the codes that differ
  // from f, or the codes that agree with f followed by the whole type.
  auto type_rules = [&](int t, bool f, std::string* text) {
    size_t differ = f ? 256 - codes[t].count() : codes[t].count();
    if (differ == 0) return size_t{0};
    size_t agree = 256 - differ;
    bool whole = agree + 1 < differ;
    if (text) {
      for (int code = 0; code < 256; ++code)
        if ((codes[t].test(code) != f) != whole)
          *text +=
              p + opt + std::to_string(t) + "/" + std::to_string(code) + verdict(whole ? f : !f);
      if (whole) *text += p + opt + std::to_string(t) + verdict(!f);
    }
    return whole ? agree + 1 : differ;
  };
  // Type 255 in IPv4: the runs of codes that differ from f, by u32.
  auto type255 = [&](bool f, std::string* text) {
    size_t n = 0;
    for (int code = 0; code < 256;) {
      if (codes[255].test(code) == f) {
        ++code;
        continue;
      }
      int end = code;
      while (end + 1 < 256 && codes[255].test(end + 1) != f) ++end;
      if (text) *text += p + u32_match(0xFF00u | code, 0xFF00u | end) + verdict(!f);
      ++n;
      code = end + 1;
    }
    return n;
  };
  size_t with_return = fi == 0 ? type255(true, nullptr) : 0,
         with_drop = fi == 0 ? type255(false, nullptr) : 0;
  for (int t = 0; t < by_type; ++t) {
    with_return += type_rules(t, true, nullptr);
    with_drop += type_rules(t, false, nullptr);
  }
  bool f = with_return < with_drop;
  for (int t = 0; t < by_type; ++t) type_rules(t, f, &out);
  if (fi == 0) type255(f, &out);
  out += p + verdict(f);
}

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
      icmp_rules(out, c, s.ranges[i], PortSet::kPortProtos[i], fi);
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
          std::vector<std::string> members;
          for (const auto& cidr : ps.cidrs)
            members.push_back(cidr.len == cidr.addr.bits() ? cidr.addr.str() : cidr.str());
          ipsets.add(ps.ipset, fi, members);
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

std::vector<std::string> iptables_inexpressible(const NodePlan& plan) {
  std::vector<std::string> out;
  std::set<uint32_t> used;  // the IPv6 peer maps' PortSets
  for (const auto& cls : plan.classes)
    for (int di = 0; di < 2; ++di) {
      if (!cls.isolated[di][1]) continue;
      used.insert(cls.peers[di][1].fallback);
      for (const auto& r : cls.peers[di][1].runs) used.insert(r.set);
    }
  for (uint32_t id : used) {
    const PortSet& s = plan.portsets[id];
    const auto& rs = s.ranges[PortSet::kTransport];  // ICMP (protocol 1)
    if (!rs.empty() && !(rs.size() == 1 && rs[0].lo == 0 && rs[0].hi == 65535))
      out.push_back("some ICMP (protocol 1) types in IPv6 packets (" + s.str() +
                    "): ip6tables matches ICMP types only in IPv4 packets and has no u32");
  }
  return out;
}

}  // namespace nv::backends
