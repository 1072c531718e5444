#include "ir/ranges.h"

#include <algorithm>

namespace nv::ir {

namespace {

// The half of `p` whose next bit is `bit`.
Cidr half(const Cidr& p, bool bit) {
  Cidr h = p;
  if (bit) h.addr.bytes[p.len / 8] |= static_cast<uint8_t>(0x80 >> (p.len % 8));
  ++h.len;
  return h;
}

// Appends `p` minus `holes` (all strictly inside or equal to `p`), in address order.
// Splitting only halves that hold a hole keeps the result minimal: a half with a hole
// never comes back whole, so no two results merge.
void minus(const Cidr& p, const std::vector<Cidr>& holes, std::vector<Cidr>& out) {
  if (holes.empty()) {
    out.push_back(p);
    return;
  }
  for (const auto& h : holes)
    if (h.len <= p.len) return;  // a hole covers p
  for (bool bit : {false, true}) {
    Cidr q = half(p, bit);
    std::vector<Cidr> inner;
    for (const auto& h : holes)
      if (q.contains(h)) inner.push_back(h);
    minus(q, inner, out);
  }
}

}  // namespace

std::vector<Cidr> cidr_minus(const Cidr& c, const std::vector<Cidr>& except) {
  std::vector<Cidr> holes;
  for (const auto& e : except) {
    if (e.family() != c.family()) continue;
    if (e.contains(c)) return {};
    if (c.contains(e)) holes.push_back(e);  // otherwise disjoint from c
  }
  std::vector<Cidr> out;
  minus(c, holes, out);
  return out;
}

std::vector<MaskedPort> split_port_range(uint16_t lo, uint16_t hi) {
  std::vector<MaskedPort> out;
  uint32_t a = lo;
  const uint32_t end = uint32_t{hi} + 1;  // exclusive
  while (a < end) {
    // The largest aligned block starting at `a` that ends inside the range.
    uint32_t size = a == 0 ? 0x10000 : a & (~a + 1);
    while (a + size > end) size >>= 1;
    out.push_back(MaskedPort{static_cast<uint16_t>(a), static_cast<uint16_t>(~(size - 1))});
    a += size;
  }
  return out;
}

}  // namespace nv::ir
