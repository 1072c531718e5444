// Pod-to-pod connectivity for one protocol and port, computed over pod classes.
//
// Pods that no selector, CIDR or named port of the policy set can tell apart fall into
// one class; verdicts are computed per class pair with bitset operations that follow the
// reference evaluator's tier walk exactly, so the cost grows with the number of classes
// and rules rather than with pods x pods x policies.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/bitset.h"
#include "ir/evaluate.h"

namespace nv::ir {

struct MatrixOptions {
  int proto = kTCP;
  uint16_t port = 80;
  Family family = Family::V4;  // which of a pod's addresses packets use
};

class Matrix {
 public:
  static Matrix compute(const PolicySet& ps, const Inventory& inv, const MatrixOptions& opt);

  const std::vector<const Pod*>& pods() const { return pods_; }
  size_t num_classes() const { return sizes_.size(); }
  uint32_t class_of(size_t pod) const { return cls_[pod]; }
  bool allowed(size_t src, size_t dst) const;
  // Allowed ordered pairs, self pairs included.
  uint64_t count_allowed() const;

 private:
  std::vector<const Pod*> pods_;
  std::vector<Endpoint> endpoints_;
  std::vector<uint32_t> cls_;
  std::vector<uint64_t> sizes_;
  std::vector<Bitset> egress_;   // per source class: destination classes its egress allows
  std::vector<Bitset> ingress_;  // per destination class: source classes its ingress allows
  std::vector<size_t> host_pods_;  // indices of hostNetwork pods (node-local exceptions)
};

}  // namespace nv::ir
