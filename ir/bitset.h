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
  bool operator==(const Bitset&) const = default;

 private:
  void trim() {
    if (n_ % 64 && !w_.empty()) w_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
  }
  size_t n_ = 0;
  std::vector<uint64_t> w_;
};

}  // namespace nv::ir
