// a.* and b.*: addresses.
#include <stdexcept>

#include "ir/ranges.h"
#include "proofs/cases.h"
#include "proofs/catalog.h"
#include "verifier/encode.h"

namespace nv::proofs {

namespace {

using verifier::Encoder;
using verifier::Universe;

const std::vector<int> kV6Lens = {0, 1, 7, 8, 63, 64, 65, 127, 128};

std::vector<int> v4_lens() {
  std::vector<int> lens;
  for (int l = 0; l <= 32; ++l) lens.push_back(l);
  return lens;
}

int bits(ir::Family f) { return f == ir::Family::V4 ? 32 : 128; }
Show show(ir::Family f) { return f == ir::Family::V4 ? Show::Ipv4 : Show::Ipv6; }
const char* tag(ir::Family f) { return f == ir::Family::V4 ? "v4" : "v6"; }

z3::expr addr_const(z3::context& ctx, const ir::IpAddr& a) {
  return bv_bytes(ctx, a.bytes.data(), static_cast<unsigned>(a.bits() / 8));
}

// The prefix mask of `len` ones followed by zeros, built bit by bit.
z3::expr prefix_mask(z3::context& ctx, ir::Family f, int len) {
  ir::Cidr all;
  all.addr.family = f;
  for (auto& b : all.addr.bytes) b = 0xff;
  if (f == ir::Family::V4)
    for (int i = 4; i < 16; ++i) all.addr.bytes[i] = 0;
  return addr_const(ctx, truncate(all, len).addr);
}

z3::expr in_range(const z3::expr& x, const z3::expr& lo, const z3::expr& hi) {
  return z3::ule(lo, x) && z3::ule(x, hi);
}

Universe universe(ir::Family f) {
  Universe u;
  u.family = f;
  u.finish();
  return u;
}

// a: for concrete prefixes, in_cidr equals the range [network & mask, network | ~mask].
Obligation concrete_prefixes(z3::context& ctx, ir::Family f) {
  Universe u = universe(f);
  Encoder enc(ctx, u);
  z3::expr addr = ctx.bv_const(f == ir::Family::V4 ? "addr4" : "addr6", bits(f));
  Obligation ob{std::string("a.in_cidr.") + tag(f) + ".concrete",
                "for every listed prefix, Encoder::in_cidr(addr, prefix) <=> lo <= addr <= hi "
                "(unsigned), lo = network & mask, hi = network | ~mask",
                {},
                {},
                {{addr, show(f)}}};
  auto lens = f == ir::Family::V4 ? v4_lens() : kV6Lens;
  for (const auto& c :
       prefix_cases(f, lens, f == ir::Family::V4 ? 8 : 16, f == ir::Family::V4 ? 4 : 6)) {
    z3::expr net = addr_const(ctx, c.addr), mask = prefix_mask(ctx, f, c.len);
    z3::expr lo = (net & mask).simplify(), hi = (net | ~mask).simplify();
    ob.instances.push_back({c.str(), enc.in_cidr(addr, c) == in_range(addr, lo, hi)});
  }
  return ob;
}

// a: the network symbolic. Two forms per length: the prefix test written out as the
// encoder writes it (equal top bits, by extract), and the encoder's own output for a
// template prefix with its network constant replaced by the symbolic network.
Obligation symbolic_prefixes(z3::context& ctx, ir::Family f) {
  Universe u = universe(f);
  Encoder enc(ctx, u);
  const int n = bits(f);
  z3::expr addr = ctx.bv_const(f == ir::Family::V4 ? "addr4" : "addr6", n);
  z3::expr net = ctx.bv_const(f == ir::Family::V4 ? "net4" : "net6", n);
  Obligation ob{std::string("a.in_cidr.") + tag(f) + ".symbolic",
                "for every listed length and every network, the prefix test (equal top bits, "
                "by extract; and Encoder::in_cidr with its network made symbolic) <=> "
                "net & mask <= addr <= net | ~mask",
                {},
                {},
                {{addr, show(f)}, {net, show(f)}}};
  ir::Cidr pattern;  // an unlikely network constant, so substitution finds only it
  pattern.addr.family = f;
  for (int i = 0; i < n / 8; ++i) pattern.addr.bytes[i] = static_cast<uint8_t>(0xa5 ^ (i * 0x1d));
  for (int len : f == ir::Family::V4 ? v4_lens() : kV6Lens) {
    z3::expr mask = prefix_mask(ctx, f, len);
    z3::expr range = in_range(addr, net & mask, net | ~mask);
    z3::expr shape =
        len == 0 ? ctx.bool_val(true) : addr.extract(n - 1, n - len) == net.extract(n - 1, n - len);
    ob.instances.push_back({"/" + std::to_string(len) + " extract", shape == range});

    ir::Cidr tmpl = truncate(pattern, len);
    z3::expr encoded = enc.in_cidr(addr, tmpl);
    z3::expr_vector from(ctx), to(ctx);
    from.push_back(enc.addr_val(tmpl.addr));  // the subterm to lift, as the encoder builds it
    to.push_back(net);
    z3::expr lifted = encoded.substitute(from, to);
    if (len > 0 && z3::eq(lifted, encoded))
      throw std::logic_error("a.in_cidr symbolic: Encoder::in_cidr(" + tmpl.str() +
                             ") no longer holds its network as one constant; restate the lemma");
    ob.instances.push_back({"/" + std::to_string(len) + " Encoder::in_cidr", lifted == range});
  }
  return ob;
}

// a: a prefix of the other family never matches (the encoder returns false).
Obligation other_family(z3::context& ctx) {
  Universe u4 = universe(ir::Family::V4), u6 = universe(ir::Family::V6);
  Encoder e4(ctx, u4), e6(ctx, u6);
  z3::expr a4 = ctx.bv_const("addr4", 32), a6 = ctx.bv_const("addr6", 128);
  Obligation ob{"a.in_cidr.other_family",
                "a prefix of the other family matches no address, /0 included",
                {},
                {},
                {{a4, Show::Ipv4}, {a6, Show::Ipv6}}};
  for (const char* c : {"::/0", "fd00::/8", "::ffff:10.0.0.0/104"})
    ob.instances.push_back({std::string("v4 universe, ") + c, !e4.in_cidr(a4, cidr(c))});
  for (const char* c : {"0.0.0.0/0", "10.0.0.0/8", "10.0.0.1/32"})
    ob.instances.push_back({std::string("v6 universe, ") + c, !e6.in_cidr(a6, cidr(c))});
  return ob;
}

// b: in_block(addr, {cidr, excepts}) equals the union of cidr_minus(cidr, excepts).
Obligation blocks(z3::context& ctx, ir::Family f) {
  Universe u = universe(f);
  Encoder enc(ctx, u);
  z3::expr addr = ctx.bv_const(f == ir::Family::V4 ? "addr4" : "addr6", bits(f));
  Obligation ob{std::string("b.in_block.") + tag(f),
                "for every listed block, Encoder::in_block(addr, {cidr, except}) <=> "
                "OR over p in ir::cidr_minus(cidr, except) of Encoder::in_cidr(addr, p)",
                {},
                {},
                {{addr, show(f)}}};
  for (const auto& b :
       block_cases(f, f == ir::Family::V4 ? 200 : 80, f == ir::Family::V4 ? 44 : 66)) {
    z3::expr_vector parts(ctx);
    for (const auto& p : ir::cidr_minus(b.cidr, b.except)) {
      if (p.family() != f || p.len < 0 || p.len > bits(f))  // Z3 would not survive it
        throw std::logic_error("ir::cidr_minus(" + b.str() + ") returned the invalid prefix " +
                               p.str());
      parts.push_back(enc.in_cidr(addr, p));
    }
    ob.instances.push_back({b.str(), enc.in_block(addr, b) == z3::mk_or(parts)});
  }
  return ob;
}

}  // namespace

std::vector<Obligation> cidr_obligations(z3::context& ctx) {
  std::vector<Obligation> out;
  for (auto f : {ir::Family::V4, ir::Family::V6}) {
    out.push_back(concrete_prefixes(ctx, f));
    out.push_back(symbolic_prefixes(ctx, f));
  }
  out.push_back(other_family(ctx));
  for (auto f : {ir::Family::V4, ir::Family::V6}) out.push_back(blocks(ctx, f));
  return out;
}

Obligation negative_control(z3::context& ctx) {
  Universe u = universe(ir::Family::V4);
  Encoder enc(ctx, u);
  z3::expr addr = ctx.bv_const("addr4", 32);
  ir::Cidr c = cidr("10.0.0.0/8");
  // Off by one: the range ends at 11.0.0.0 instead of 10.255.255.255.
  z3::expr lo = ctx.bv_val(uint64_t{0x0a000000}, 32), hi = ctx.bv_val(uint64_t{0x0b000000}, 32);
  return Obligation{
      "negative_control.off_by_one",
      "deliberately false: in_cidr(addr, 10.0.0.0/8) <=> 10.0.0.0 <= addr <= 11.0.0.0",
      {},
      {{c.str(), enc.in_cidr(addr, c) == in_range(addr, lo, hi)}},
      {{addr, Show::Ipv4}}};
}

}  // namespace nv::proofs
