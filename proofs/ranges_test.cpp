// ir::cidr_minus and ir::split_port_range against brute force.
#include "ir/ranges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <functional>

#include "ir/model.h"
#include "proofs/cases.h"

namespace nv::proofs {
namespace {

// ---------------------------------------------------------------------------------------
// cidr_minus, exhaustively over the /24s of a /20: a prefix there is a set of 16 units.

const ir::Cidr kBase = cidr("10.20.16.0/20");

std::vector<ir::Cidr> prefixes_in_base() {
  std::vector<ir::Cidr> out;
  for (int len = 20; len <= 24; ++len)
    for (int k = 0; k < (1 << (len - 20)); ++k) {
      ir::Cidr c = kBase;
      c.addr.bytes[2] = static_cast<uint8_t>(16 + (k << (24 - len)));
      c.len = len;
      out.push_back(c);
    }
  return out;
}

using Units = std::bitset<16>;

Units units(const ir::Cidr& c) {
  Units u;
  for (int i = 0; i < 16; ++i) {
    ir::IpAddr a = kBase.addr;
    a.bytes[2] = static_cast<uint8_t>(16 + i);
    if (c.contains(a)) u.set(i);
  }
  return u;
}

ir::Cidr parent(const ir::Cidr& c) { return truncate(c, c.len - 1); }

void expect_canonical(const ir::Cidr& c, const std::vector<ir::Cidr>& ex,
                      const std::vector<ir::Cidr>& got) {
  Units want = units(c);
  for (const auto& e : ex) want &= ~units(e);
  // The maximal prefixes inside the difference, in address order.
  std::vector<ir::Cidr> maximal;
  for (const auto& p : prefixes_in_base()) {
    Units u = units(p);
    if ((u & ~want).none() && (p.len == 20 || (units(parent(p)) & ~want).any()))
      maximal.push_back(p);
  }
  std::sort(maximal.begin(), maximal.end());
  std::string what = c.str() + " minus";
  for (const auto& e : ex) what += " " + e.str();
  ASSERT_EQ(got, maximal) << what;
}

TEST(CidrMinus, ExhaustiveOverTheSlash24sOfASlash20) {
  std::vector<ir::Cidr> inside = prefixes_in_base();
  std::vector<ir::Cidr> candidates = inside;
  for (const char* extra :
       {"10.20.0.0/16", "10.20.32.0/24", "10.20.15.0/24", "0.0.0.0/0", "fd00::/8"})
    candidates.push_back(cidr(extra));
  const size_t n = candidates.size();
  for (const auto& c : inside) {
    expect_canonical(c, {}, ir::cidr_minus(c, {}));
    for (size_t i = 0; i < n; ++i) {
      expect_canonical(c, {candidates[i]}, ir::cidr_minus(c, {candidates[i]}));
      for (size_t j = i; j < n; ++j) {
        std::vector<ir::Cidr> two = {candidates[i], candidates[j]};
        expect_canonical(c, two, ir::cidr_minus(c, two));
        for (size_t k = j; k < n; ++k) {
          std::vector<ir::Cidr> three = {candidates[k], candidates[i], candidates[j]};
          expect_canonical(c, three, ir::cidr_minus(c, three));
        }
      }
    }
  }
}

// Random blocks of both families, at every granularity: membership against
// CidrBlock::contains (the evaluator's) at the edges of every prefix involved, and shape.
TEST(CidrMinus, RandomBlocksAgreeWithTheEvaluator) {
  for (auto f : {ir::Family::V4, ir::Family::V6}) {
    Rng r(7);
    for (const auto& b : block_cases(f, 3000, f == ir::Family::V4 ? 101 : 202)) {
      auto got = ir::cidr_minus(b.cidr, b.except);
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(b.cidr.contains(got[i])) << b.str();
        ASSERT_EQ(got[i], truncate(got[i], got[i].len)) << "host bits set: " << b.str();
        if (i > 0) {
          ASSERT_LT(last_address(got[i - 1]), got[i].addr)
              << "not sorted and disjoint: " << b.str();
          ASSERT_FALSE(got[i].len == got[i - 1].len && got[i].len > 0 &&
                       parent(got[i]) == parent(got[i - 1]))
              << "siblings " << got[i - 1].str() << " and " << got[i].str() << " of " << b.str();
        }
      }
      std::vector<ir::IpAddr> probes;
      auto edges = [&](const ir::Cidr& c) {
        if (c.family() != f) return;
        for (ir::IpAddr a : {c.addr, last_address(c)}) {
          probes.push_back(a);
          ir::IpAddr up = a, down = a;  // a + 1 and a - 1, wrapping
          for (int k = a.bits() / 8 - 1; k >= 0 && ++up.bytes[k] == 0; --k) {
          }
          for (int k = a.bits() / 8 - 1; k >= 0 && down.bytes[k]-- == 0; --k) {
          }
          probes.push_back(up);
          probes.push_back(down);
        }
      };
      edges(b.cidr);
      for (const auto& e : b.except) edges(e);
      for (const auto& g : got) edges(g);
      for (int k = 0; k < 8; ++k)
        probes.push_back(random_inside(r, b.cidr, b.cidr.addr.bits()).addr);
      for (const auto& a : probes) {
        bool in =
            std::any_of(got.begin(), got.end(), [&](const ir::Cidr& g) { return g.contains(a); });
        ASSERT_EQ(in, b.contains(a)) << a.str() << " in " << b.str();
      }
    }
  }
}

// The evaluator's prefix test is the range the obligations a.* prove in_cidr equal to.
TEST(CidrMinus, PrefixContainsIsItsRange) {
  for (auto f : {ir::Family::V4, ir::Family::V6}) {
    Rng r(9);
    for (int n = 0; n < 20000; ++n) {
      int bits = f == ir::Family::V4 ? 32 : 128;
      ir::Cidr c = random_cidr(r, f, static_cast<int>(r.below(bits + 1)));
      ir::IpAddr a = r.chance(50) ? random_inside(r, c, bits).addr : random_cidr(r, f, bits).addr;
      ASSERT_EQ(c.contains(a), c.addr <= a && a <= last_address(c)) << a.str() << " " << c.str();
    }
  }
}

// ---------------------------------------------------------------------------------------
// split_port_range: the canonical decomposition over the 16-bit trie is the minimal one.

std::vector<ir::MaskedPort> reference_split(uint16_t lo, uint16_t hi) {
  std::vector<ir::MaskedPort> out;
  std::function<void(uint32_t, uint32_t)> walk = [&](uint32_t start, uint32_t size) {
    uint32_t end = start + size - 1;
    if (end < lo || start > hi) return;
    if (lo <= start && end <= hi) {
      out.push_back({static_cast<uint16_t>(start), static_cast<uint16_t>(~(size - 1))});
      return;
    }
    walk(start, size / 2);
    walk(start + size / 2, size / 2);
  };
  if (lo <= hi) walk(0, 0x10000);
  return out;
}

void expect_split(uint16_t lo, uint16_t hi) {
  auto got = ir::split_port_range(lo, hi);
  ASSERT_EQ(got, reference_split(lo, hi)) << lo << "-" << hi;
  uint32_t next = lo;  // contiguous, aligned, in order
  for (const auto& b : got) {
    ASSERT_EQ(b.value, next) << lo << "-" << hi;
    uint32_t size = (~uint32_t{b.mask} & 0xffff) + 1;
    ASSERT_EQ(size & (size - 1), 0u) << "mask not a prefix: " << lo << "-" << hi;
    ASSERT_EQ(b.value & (size - 1), 0u) << "unaligned: " << lo << "-" << hi;
    next += size;
  }
  ASSERT_EQ(next, lo <= hi ? uint32_t{hi} + 1 : uint32_t{lo}) << lo << "-" << hi;
}

TEST(SplitPortRange, EveryRangeAtTheBottomAndTheTop) {
  for (uint32_t lo = 0; lo < 512; ++lo)
    for (uint32_t hi = 0; hi < 512; ++hi) {
      expect_split(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
      expect_split(static_cast<uint16_t>(65535 - hi), static_cast<uint16_t>(65535 - lo));
    }
}

TEST(SplitPortRange, SampledRanges) {
  for (auto [lo, hi] : port_range_cases(200000, 3)) expect_split(lo, hi);
}

TEST(SplitPortRange, EveryPortOfTheEdgeRanges) {
  for (auto [lo, hi] : port_range_cases(0, 0)) {
    auto blocks = ir::split_port_range(lo, hi);
    for (uint32_t p = 0; p < 65536; ++p) {
      bool in = std::any_of(blocks.begin(), blocks.end(), [&](const ir::MaskedPort& b) {
        return b.matches(static_cast<uint16_t>(p));
      });
      ASSERT_EQ(in, lo <= p && p <= hi) << p << " in " << lo << "-" << hi;
    }
  }
}

}  // namespace
}  // namespace nv::proofs
