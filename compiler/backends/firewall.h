// A packet filter ruleset as the kernel sees it: sets, maps, chains and rules, for the
// subset of nftables and iptables/ipset that netverify emits. The backends' output is
// parsed back into this model (parse_nft, parse_iptables) and the model is what
// translation validation encodes in Z3 (verifier/firewall_z3.h) and what the concrete
// interpreter below runs, so the emitted text itself is what gets checked, not the data
// structures that produced it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/ip.h"

namespace nv::backends {

// The packet fields rules match on. An address field only matches packets of its family
// (nft `ip saddr` never matches an IPv6 packet).
enum class Field : uint8_t {
  Src4,     // ip saddr / iptables -s, set ... src
  Dst4,     // ip daddr
  Src6,     // ip6 saddr
  Dst6,     // ip6 daddr
  L4Proto,  // meta l4proto / iptables -p (8 bits)
  DstPort,  // th dport / --dport / --dports (16 bits; see Packet::port)
  CtState,  // ct state: bit 0 new, bit 1 established, bit 2 related, bit 3 invalid
  // th sport (@th,0,16) / iptables --icmp-type, ip6tables --icmpv6-type (16 bits): the first
  // two bytes of the transport header, type << 8 | code for ICMP and ICMPv6 (Packet::port,
  // as ir/model.h is_icmp); for every other protocol unknown (a TCP source port, ...).
  IcmpTypeCode,
};
int field_bits(Field f);  // 32, 32, 128, 128, 8, 16, 8, 16

inline constexpr uint8_t kCtNew = 1, kCtEstablished = 2, kCtRelated = 4, kCtInvalid = 8;

using u128 = unsigned __int128;

// An inclusive range of values of one field (addresses as 32- or 128-bit integers).
struct Range {
  u128 lo = 0, hi = 0;
  bool operator==(const Range&) const = default;
};
// Whether a match on a CtState field tests bits (ct state a,b: any bit set) rather than
// ranges: CtState elements are bit masks, lo == hi == mask.

enum class VerdictKind : uint8_t { Continue, Accept, Drop, Return, Jump, Goto };
struct Verdict {
  VerdictKind kind = VerdictKind::Continue;
  std::string chain;  // Jump, Goto
  bool operator==(const Verdict&) const = default;
};

// One element of a set or map: one range per key field (a concatenation), and for maps
// the verdict.
struct Element {
  std::vector<Range> key;
  Verdict verdict;  // maps only
};

// A named set or verdict map (nft set/map, ipset), or an anonymous one written inline.
struct Set {
  std::string name;
  std::vector<Field> key;  // concatenated fields; ipset hash:net on src/dst is one address field
  bool is_map = false;
  std::vector<Element> elements;
  ir::SourceSpan span;
};

// `key in set` (or not in, with negate). A single literal is a one-element inline set.
struct Match {
  std::vector<Field> key;
  bool negate = false;
  std::string set;           // a named set, or empty for `inline_set`
  std::optional<Set> inline_set;
};

// A rule: every match holds, then the verdict; or, with `vmap`, the verdict of the map
// element that holds the key (no element: the rule does nothing).
struct Rule {
  std::vector<Match> matches;
  struct VMap {
    std::vector<Field> key;
    std::string map;  // a named map, or empty for inline_map
    std::optional<Set> inline_map;
  };
  std::optional<VMap> vmap;
  Verdict verdict;  // when no vmap
  ir::SourceSpan span;
};

struct Chain {
  std::string name;
  bool base = false;       // attached to a hook (nft base chain; the iptables entry chain)
  Verdict policy;          // base chains: Accept or Drop (end of the chain)
  std::vector<Rule> rules;
  ir::SourceSpan span;
};

struct Firewall {
  std::map<std::string, Set> sets;     // sets and maps by name
  std::map<std::string, Chain> chains;
  std::string entry;  // the base chain netverify hooks into the forward path
};

// Calls `f` on every set and map of `fw`: the named ones, then those written inline in
// its rules.
template <typename F>
void for_each_set(const Firewall& fw, F&& f) {
  for (const auto& [name, set] : fw.sets) f(set);
  for (const auto& [name, c] : fw.chains)
    for (const auto& r : c.rules) {
      for (const auto& m : r.matches)
        if (m.inline_set) f(*m.inline_set);
      if (r.vmap && r.vmap->inline_map) f(*r.vmap->inline_map);
    }
}

// A concrete packet as the filter sees it. `port` is the transport header's destination
// port for TCP, UDP and SCTP and type << 8 | code for ICMP and ICMPv6; the bytes a DstPort
// match reads on other protocols (ICMP included) and an IcmpTypeCode match on protocols
// other than ICMP/ICMPv6 are unspecified, and the interpreter treats a match that depends
// on them as unknown (throws).
struct Packet {
  ir::IpAddr src, dst;
  uint8_t proto = 6;
  uint16_t port = 0;
  uint8_t ct = kCtNew;
};

// The final verdict of the entry chain for a packet: Accept or Drop.
// Throws std::runtime_error on a reference to a missing chain or set, a loop, or a port
// (ICMP type) match that decides a rule on a protocol without ports (without ICMP types).
VerdictKind run(const Firewall& fw, const Packet& p);

u128 addr_value(const ir::IpAddr& a);
ir::IpAddr addr_of(u128 v, ir::Family f);

}  // namespace nv::backends
