#include "compiler/backends/peer_groups.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace nv::backends {

bool PeerGroup::uniform() const {
  return std::all_of(by_pod.begin(), by_pod.end(), [&](uint32_t s) { return s == common; });
}

namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// A class holding a PortSet, as one term of a signature's hash (terms combine by XOR,
// so a change of one class costs two terms).
uint64_t term(size_t k, uint32_t set) { return mix(static_cast<uint64_t>(k) << 32 | set); }

}  // namespace

PeerPartition partition_peers(const NodePlan& plan, ir::Direction d, ir::Family f) {
  const int di = static_cast<int>(d), fi = family_index(f);
  const u128 top = f == ir::Family::V4 ? (u128(1) << 32) - 1 : ~u128(0);
  PeerPartition out;

  // The node's pods of the classes that take part, one per address.
  std::vector<std::pair<u128, size_t>> pods;  // address, plan class
  for (size_t c = 0; c < plan.classes.size(); ++c) {
    const SubjectClass& sc = plan.classes[c];
    const PeerMap& pm = sc.peers[di][fi];
    if (!sc.isolated[di][fi] || (pm.runs.empty() && pm.fallback == kAll)) continue;
    for (const ir::Pod* p : sc.pods)
      for (const auto& a : p->ips)
        if (a.family == f) pods.emplace_back(addr_value(a), c);
  }
  std::stable_sort(pods.begin(), pods.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  pods.erase(std::unique(pods.begin(), pods.end(),
                         [](const auto& a, const auto& b) { return a.first == b.first; }),
             pods.end());
  if (pods.empty()) return out;
  // The classes left, numbered in plan order.
  std::map<size_t, uint32_t> index;
  for (const auto& p : pods) index.emplace(p.second, 0);
  std::vector<const PeerMap*> maps;
  for (auto& [c, k] : index) {
    k = static_cast<uint32_t>(maps.size());
    maps.push_back(&plan.classes[c].peers[di][fi]);
  }
  std::vector<uint32_t> pod_class;
  for (const auto& [a, c] : pods) {
    out.pods.push_back(a);
    pod_class.push_back(index[c]);
  }

  // One sweep along the address line over every class's runs: a run of class k begins to
  // hold at lo and stops at hi + 1. Between two event positions every class's PortSet is
  // constant: that vector is the signature of the addresses there.
  struct Event {
    u128 at;
    bool enters;
    uint32_t k, set;
  };
  std::vector<Event> events;
  for (uint32_t k = 0; k < maps.size(); ++k)
    for (const AddrRun& r : maps[k]->runs) {
      events.push_back({r.lo, true, k, r.set});
      if (r.hi < top) events.push_back({r.hi + 1, false, k, 0});
    }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : a.enters < b.enters;  // a run ends before the next
  });
  std::vector<uint32_t> fallback, cur;
  for (const PeerMap* m : maps) fallback.push_back(m->fallback);
  cur = fallback;
  std::vector<std::vector<uint32_t>> sigs = {fallback};
  std::unordered_multimap<uint64_t, uint32_t> by_hash;  // signature hash -> group
  by_hash.emplace(0, 0);
  uint64_t hash = 0;   // XOR over k of term(k, cur[k]) ^ term(k, fallback[k]): 0 for group 0
  size_t changed = 0;  // classes not at their fallback
  auto group = [&]() -> uint32_t {
    if (changed == 0) return 0;
    auto [lo, hi] = by_hash.equal_range(hash);
    for (auto it = lo; it != hi; ++it)
      if (sigs[it->second] == cur) return it->second;
    auto g = static_cast<uint32_t>(sigs.size());
    sigs.push_back(cur);
    by_hash.emplace(hash, g);
    return g;
  };
  for (size_t i = 0; i < events.size();) {
    const u128 at = events[i].at;
    for (; i < events.size() && events[i].at == at; ++i) {
      const Event& e = events[i];
      uint32_t now = e.enters ? e.set : fallback[e.k], was = cur[e.k];
      if (now == was) continue;
      hash ^= term(e.k, was) ^ term(e.k, now);
      changed = changed + (now != fallback[e.k]) - (was != fallback[e.k]);
      cur[e.k] = now;
    }
    const u128 hi = i < events.size() ? events[i].at - 1 : top;
    uint32_t g = group();
    if (g == 0) continue;
    if (!out.runs.empty() && out.runs.back().group == g && out.runs.back().hi + 1 == at)
      out.runs.back().hi = hi;
    else
      out.runs.push_back({at, hi, g});
  }

  // Each group's PortSet per pod, and the most frequent one.
  for (const auto& sig : sigs) {
    PeerGroup g;
    std::map<uint32_t, size_t> count;
    for (uint32_t k : pod_class) {
      g.by_pod.push_back(sig[k]);
      ++count[sig[k]];
    }
    size_t best = 0;
    for (const auto& [set, n] : count)
      if (n > best) {
        best = n;
        g.common = set;
      }
    out.groups.push_back(std::move(g));
  }
  return out;
}

}  // namespace nv::backends
