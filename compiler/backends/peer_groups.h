// Peer groups: a node plan's peer maps of one direction and family, turned inside out.
//
// The plan gives each subject class a map from peer address to PortSet. Emitted as is,
// one map per class, a 5,000-policy cluster needs about 200,000 map elements for one
// node, because pod addresses are not ordered by labels and every class's map lists most
// of the cluster's pods again (nft -f then takes about 2 s). But the classes see few
// distinct combinations: peers with the same PortSet for every class of the node form one
// peer group, and a 22,000-pod cluster has a few hundred of them. So the peer address is
// looked up once, into its group, and the group then looks up the node's pod:
//
//   peer address -> group (runs of addresses, the only large map)
//   group -> (node's pod -> PortSet)   (at most one entry per pod and group)
//
// Group 0 holds the addresses that no class's map lists (each class's fallback).
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/backends/plan.h"

namespace nv::backends {

struct PeerGroup {
  std::vector<uint32_t> by_pod;  // the PortSet for each of PeerPartition::pods
  uint32_t common = 0;           // the most frequent of them (the lowest id on a tie)
  bool uniform() const;          // the same for every pod
};

struct PeerPartition {
  // The node's pods whose class is isolated in this direction and family (and not
  // allowed everything), by address: sorted, one entry per address (the first class in
  // plan order when two pods share one, as NV3003 warns).
  std::vector<u128> pods;
  std::vector<PeerGroup> groups;  // [0]: the addresses no run of any class covers
  struct Run {
    u128 lo = 0, hi = 0;
    uint32_t group = 0;
  };
  std::vector<Run> runs;  // maximal, sorted, disjoint; group 0 is left out
};

PeerPartition partition_peers(const NodePlan& plan, ir::Direction d, ir::Family f);

}  // namespace nv::backends
