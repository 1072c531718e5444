// The firewall model (compiler/backends/firewall.h) in Z3, for translation validation: a
// symbolic packet of one address family and the formula "the entry chain's final verdict is
// accept", mirroring backends::run() rule by rule.
//
// Each chain is encoded once, as its outcome (a 2-bit code: return, accept, drop; inside a
// chain also "continue"), and shared wherever it is jumped to. A set or map on one field is
// a balanced binary search over its sorted, disjoint ranges (ite on comparisons), so that
// maps of 10^5 elements stay small; concatenated keys are a disjunction (sets) or a chain of
// ites in element order (maps) of per-field range conjunctions.
#pragma once

#include <z3++.h>

#include <optional>
#include <string>
#include <vector>

#include "compiler/backends/firewall.h"

namespace nv::verifier {

struct FwPacket {
  ir::Family family;
  z3::expr src, dst;   // bv32 or bv128, network order as an integer (backends::addr_value)
  z3::expr proto;      // bv8
  z3::expr port;       // bv16: the destination port for TCP, UDP and SCTP; type << 8 | code
                       // for ICMP and ICMPv6 (ir/model.h is_icmp)
  z3::expr junk_port;  // bv16: what a port match reads for any other protocol (ICMP too)
  z3::expr junk_head;  // bv16: what an ICMP type match (th sport) reads for non-ICMP protocols
  z3::expr ct;         // bv8: conntrack state bits (backends::kCtNew...)
  // Optional, for a packet whose source (destination) is known to be one of a few
  // addresses: those addresses, sorted, and the index of src (dst) among them. The
  // ruleset's address tests are then encoded on the index, a few bits wide, instead of on
  // the address (fw_domain_facts ties the two).
  std::vector<backends::u128> src_domain = {}, dst_domain = {};
  std::optional<z3::expr> src_index = std::nullopt, dst_index = std::nullopt;
};

// Fresh constants named prefix + "src", "dst", "proto", "port", "junk_port", "junk_head",
// "ct".
FwPacket make_fw_packet(z3::context& ctx, ir::Family family, const std::string& prefix);

// `p` with src and dst restricted to `src_values` and `dst_values` (each sorted, distinct,
// not empty), through fresh index constants named prefix + "src_index", "dst_index".
FwPacket with_domains(const FwPacket& p, std::vector<backends::u128> src_values,
                      std::vector<backends::u128> dst_values, const std::string& prefix);
// What the domains of `p` say: each index is in range and its address is the value there.
// A query about a packet with domains must include it.
z3::expr fw_domain_facts(const FwPacket& p);

// The entry chain's final verdict is Accept. Throws std::runtime_error on a reference to a
// missing chain or set, a jump loop, chains nested deeper than 64, a key of the wrong length,
// or a one-field map with overlapping elements.
z3::expr fw_accepts(z3::context& ctx, const backends::Firewall& fw, const FwPacket& p);

// The packet's fields equal a concrete packet's (junk_port and junk_head stay free). Throws
// std::invalid_argument when the families differ.
z3::expr fw_packet_is(const FwPacket& p, const backends::Packet& pkt);

// A concrete packet from a model (the junk fields are not part of backends::Packet).
backends::Packet fw_packet_value(const z3::model& m, const FwPacket& p);

}  // namespace nv::verifier
