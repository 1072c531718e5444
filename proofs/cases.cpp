#include "proofs/cases.h"

#include <stdexcept>

namespace nv::proofs {

uint64_t Rng::next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

ir::Cidr cidr(const std::string& text) {
  auto c = ir::Cidr::parse(text);
  if (!c) throw std::invalid_argument("bad CIDR in a proof case: " + text);
  return *c;
}

ir::Cidr truncate(ir::Cidr c, int len) {
  for (int i = len; i < c.addr.bits(); ++i)
    c.addr.bytes[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  c.len = len;
  return c;
}

ir::IpAddr last_address(const ir::Cidr& c) {
  ir::IpAddr a = c.addr;
  for (int i = c.len; i < a.bits(); ++i) a.bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return a;
}

ir::Cidr random_cidr(Rng& r, ir::Family f, int len) {
  ir::Cidr c;
  c.addr.family = f;
  for (int i = 0; i < c.addr.bits() / 8; ++i) c.addr.bytes[i] = static_cast<uint8_t>(r.next());
  return truncate(c, len);
}

ir::Cidr random_inside(Rng& r, const ir::Cidr& outer, int len) {
  ir::Cidr c = random_cidr(r, outer.family(), outer.addr.bits());
  for (int i = 0; i < outer.len; ++i) {  // keep outer's prefix
    uint8_t bit = static_cast<uint8_t>(0x80 >> (i % 8));
    c.addr.bytes[i / 8] =
        static_cast<uint8_t>((c.addr.bytes[i / 8] & ~bit) | (outer.addr.bytes[i / 8] & bit));
  }
  return truncate(c, len);
}

std::vector<ir::Cidr> prefix_cases(ir::Family f, const std::vector<int>& lens, unsigned per_len,
                                   uint64_t seed) {
  Rng r(seed);
  std::vector<ir::Cidr> out;
  ir::Cidr zero;
  zero.addr.family = f;
  for (int len : lens) {
    out.push_back(truncate(zero, len));
    ir::Cidr ones = zero;
    for (int i = 0; i < ones.addr.bits() / 8; ++i) ones.addr.bytes[i] = 0xff;
    if (len > 0) out.push_back(truncate(ones, len));
    for (unsigned i = 0; i < per_len; ++i) out.push_back(random_cidr(r, f, len));
  }
  return out;
}

namespace {

ir::CidrBlock block(const std::string& c, const std::vector<std::string>& except) {
  ir::CidrBlock b{cidr(c), {}};
  for (const auto& e : except) b.except.push_back(cidr(e));
  return b;
}

int random_len(Rng& r, int bits) {
  // A third of the lengths at the ends and byte boundaries, where mistakes hide.
  static const int v4[] = {0, 1, 7, 8, 9, 16, 24, 31, 32};
  static const int v6[] = {0, 1, 7, 8, 63, 64, 65, 120, 127, 128};
  if (r.chance(33)) return bits == 32 ? v4[r.below(std::size(v4))] : v6[r.below(std::size(v6))];
  return static_cast<int>(r.below(bits + 1));
}

}  // namespace

std::vector<ir::CidrBlock> block_cases(ir::Family f, unsigned n_random, uint64_t seed) {
  std::vector<ir::CidrBlock> out;
  if (f == ir::Family::V4) {
    out = {
        block("0.0.0.0/0", {}),
        block("0.0.0.0/0", {"0.0.0.0/0"}),
        block("0.0.0.0/0", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}),
        block("0.0.0.0/0", {"0.0.0.0/32", "255.255.255.255/32"}),
        block("10.0.0.0/8", {"10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32"}),   // nested
        block("10.0.0.0/8", {"10.0.0.0/9", "10.64.0.0/10", "10.96.0.0/11"}),  // overlapping
        block("10.0.0.0/8", {"11.0.0.0/8", "9.255.255.255/32"}),              // outside
        block("10.0.0.0/8", {"0.0.0.0/1"}),                                   // containing
        block("10.0.0.0/8", {"10.0.0.0/8"}),                                  // equal
        block("10.0.0.0/8", {"10.0.0.0/32", "10.255.255.255/32"}),
        block("10.0.0.0/8", {"fd00::/8", "::/0"}),  // other family
        block("192.0.2.1/32", {}),
        block("192.0.2.1/32", {"192.0.2.1/32"}),
        block("192.0.2.1/32", {"192.0.2.0/24"}),
        block("192.0.2.1/32", {"192.0.2.2/32", "192.0.2.0/32"}),
        block("128.0.0.0/1", {"0.0.0.0/1"}),
    };
  } else {
    out = {
        block("::/0", {}),
        block("::/0", {"::/1"}),
        block("::/0", {"::/0"}),
        block("2001:db8::/32", {"2001:db8::/48", "2001:db8:0:1::/64", "2001:db8::1/128"}),
        block("2001:db8::/32", {"2001:db9::/32", "2000::/3"}),
        block("2001:db8::/32", {"2001:db8::/33", "2001:db8:4000::/34"}),
        block("fd00::/8", {"10.0.0.0/8", "0.0.0.0/0"}),
        block("fd00::/64", {"fd00::/65", "fd00::8000:0:0:0/65"}),
        block("::1/128", {"::1/128"}),
        block("::1/128", {}),
        block("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
              {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}),
    };
  }
  const ir::Family other = f == ir::Family::V4 ? ir::Family::V6 : ir::Family::V4;
  const int bits = f == ir::Family::V4 ? 32 : 128;
  Rng r(seed);
  for (unsigned n = 0; n < n_random; ++n) {
    ir::CidrBlock b{random_cidr(r, f, random_len(r, bits)), {}};
    unsigned excepts = static_cast<unsigned>(r.below(5));
    for (unsigned i = 0; i < excepts; ++i) {
      uint64_t kind = r.below(100);
      auto inside_len = [&](int from) { return from + static_cast<int>(r.below(bits - from + 1)); };
      if (kind < 50) {
        b.except.push_back(random_inside(r, b.cidr, inside_len(b.cidr.len)));
      } else if (kind < 60 && !b.except.empty()) {  // nested in (or equal to) an earlier except
        const ir::Cidr outer = b.except[r.below(b.except.size())];
        if (outer.family() == f) b.except.push_back(random_inside(r, outer, inside_len(outer.len)));
      } else if (kind < 70) {  // containing the block
        b.except.push_back(truncate(b.cidr, static_cast<int>(r.below(b.cidr.len + 1))));
      } else if (kind < 90) {  // anywhere: mostly outside
        b.except.push_back(random_cidr(r, f, random_len(r, bits)));
      } else {
        b.except.push_back(
            random_cidr(r, other, random_len(r, other == ir::Family::V4 ? 32 : 128)));
      }
    }
    out.push_back(b);
  }
  return out;
}

std::vector<std::pair<uint16_t, uint16_t>> port_range_cases(unsigned n_random, uint64_t seed) {
  std::vector<std::pair<uint16_t, uint16_t>> out = {
      {0, 0},       {0, 65535},     {1, 65535},     {65535, 65535}, {1024, 65535},  {80, 80},
      {8000, 8999}, {0, 1023},      {1, 1},         {32768, 32768}, {32767, 32768}, {1, 65534},
      {0, 32767},   {32768, 65535}, {30000, 32767}, {100, 99},
  };
  Rng r(seed);
  for (unsigned n = 0; n < n_random; ++n) {
    uint32_t lo, hi;
    switch (r.below(4)) {
      case 0:  // anywhere
        lo = static_cast<uint32_t>(r.below(65536));
        hi = static_cast<uint32_t>(r.below(65536));
        if (lo > hi) std::swap(lo, hi);
        break;
      case 1:  // narrow
        lo = static_cast<uint32_t>(r.below(65536));
        hi = std::min<uint32_t>(65535, lo + static_cast<uint32_t>(r.below(64)));
        break;
      case 2: {  // around aligned boundaries
        uint32_t a = static_cast<uint32_t>(r.below(65536)) & ~((1u << r.below(16)) - 1);
        uint32_t b = a + (1u << r.below(17));
        lo = a + static_cast<uint32_t>(r.below(3)) - 1;
        hi = b + static_cast<uint32_t>(r.below(3)) - 2;
        if (lo > 65535) lo = 0;
        if (hi > 65535) hi = 65535;
        if (lo > hi) std::swap(lo, hi);
        break;
      }
      default:  // to the top
        lo = static_cast<uint32_t>(r.below(65536));
        hi = 65535;
        break;
    }
    out.emplace_back(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
  }
  return out;
}

}  // namespace nv::proofs
