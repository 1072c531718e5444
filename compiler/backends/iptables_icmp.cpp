// The iptables backend's ICMP and ICMPv6 type/code rules (iptables_icmp.h).
#include "compiler/backends/iptables_icmp.h"

#include <bitset>
#include <set>

#include "compiler/backends/iptables.h"

namespace nv::backends {

namespace {

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

}  // namespace

// Every ICMP packet of protocol `proto` is decided here: the rules end in `-p P -j F`, F
// being RETURN or DROP, whichever needs fewer rules before it. The own protocol of the
// family by --icmp-type / --icmpv6-type T (every code) or T/C, which is all that
// iptables-restore reads (libxt_icmp.c parse_icmp), but for IPv4 type 255, which the icmp
// match takes for every type (ip_tables.c icmp_type_code_match): u32 ranges, as for ICMPv6
// in IPv4. ICMP in IPv6 is matched by protocol only (ip6tables has no u32;
// iptables_inexpressible says when that is not exact: the rules then drop).
void iptables_icmp_rules(std::string& out, const std::string& c,
                         const std::vector<PortRange>& allowed, int proto, int fi) {
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
