// A fixed-size dynamic bitset with the few whole-word operations the matrix needs.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nv::ir {

class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(size_t n, bool value = false)
      : n_(n), w_((n + 63) / 64, value ? ~uint64_t{0} : 0) {
    trim();
  }

  size_t size() const { return n_; }
  bool test(size_t i) const { return (w_[i / 64] >> (i % 64)) & 1; }
  void set(size_t i) { w_[i / 64] |= uint64_t{1} << (i % 64); }
  bool none() const {
    for (auto x : w_)
      if (x) return false;
    return true;
  }
  size_t count() const {
    size_t c = 0;
    for (auto x : w_) c += std::popcount(x);
    return c;
  }
  void fill(bool value) {
    for (auto& x : w_) x = value ? ~uint64_t{0} : 0;
    trim();
  }
  Bitset& operator|=(const Bitset& o) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] |= o.w_[i];
    return *this;
  }
  // this |= (a & ~b & ~c): the newly decided part of a match.
  void or_andnot2(const Bitset& a, const Bitset& b, const Bitset& c) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] |= a.w_[i] & ~b.w_[i] & ~c.w_[i];
  }
  // this = a & b
  void assign_and(const Bitset& a, const Bitset& b) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] = a.w_[i] & b.w_[i];
  }
  // this |= (a & ~b)
  void or_andnot(const Bitset& a, const Bitset& b) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] |= a.w_[i] & ~b.w_[i];
  }
  // this |= ~a
  void or_not(const Bitset& a) {
    for (size_t i = 0; i < w_.size(); ++i) w_[i] |= ~a.w_[i];
    trim();
  }
  // Calls fn(i) for every set bit, in increasing order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (size_t w = 0; w < w_.size(); ++w)
      for (uint64_t x = w_[w]; x; x &= x - 1) fn(w * 64 + static_cast<size_t>(std::countr_zero(x)));
  }
  bool operator==(const Bitset&) const = default;

  uint64_t word(size_t i) const { return w_[i]; }
  uint64_t& word(size_t i) { return w_[i]; }
  size_t words() const { return w_.size(); }

 private:
  void trim() {
    if (n_ % 64 && !w_.empty()) w_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
  }
  size_t n_ = 0;
  std::vector<uint64_t> w_;
};

// The transpose of a square bit matrix given as rows: out[j].test(i) == rows[i].test(j).
// Works in 64x64 blocks (Hacker's Delight 7-3), so it costs n^2/64 word operations.
inline std::vector<Bitset> transpose(const std::vector<Bitset>& rows) {
  const size_t n = rows.size();
  std::vector<Bitset> out(n, Bitset(n));
  const size_t blocks = (n + 63) / 64;
  uint64_t a[64];
  for (size_t bi = 0; bi < blocks; ++bi)
    for (size_t bj = 0; bj < blocks; ++bj) {
      // a[r] = bits bj*64.. of row bi*64 + r
      for (size_t r = 0; r < 64; ++r) a[r] = bi * 64 + r < n ? rows[bi * 64 + r].word(bj) : 0;
      // Transpose a 64x64 block where a[r] bit c is (r, c), LSB first.
      for (size_t j = 32, k; j != 0; j >>= 1) {
        uint64_t m = j == 32 ? 0x00000000FFFFFFFFull
                   : j == 16 ? 0x0000FFFF0000FFFFull
                   : j == 8  ? 0x00FF00FF00FF00FFull
                   : j == 4  ? 0x0F0F0F0F0F0F0F0Full
                   : j == 2  ? 0x3333333333333333ull
                             : 0x5555555555555555ull;
        for (k = 0; k < 64; k = ((k | j) + 1) & ~j) {
          uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
          a[k] ^= t << j;
          a[k | j] ^= t;
        }
      }
      for (size_t c = 0; c < 64; ++c)
        if (bj * 64 + c < n) out[bj * 64 + c].word(bi) = a[c];
    }
  return out;
}

}  // namespace nv::ir
