// The concrete interpreter of the firewall model: one packet through the entry chain.
#include "compiler/backends/firewall.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "compiler/backends/parse.h"

namespace nv::backends {

int field_bits(Field f) {
  switch (f) {
    case Field::Src4:
    case Field::Dst4:
      return 32;
    case Field::Src6:
    case Field::Dst6:
      return 128;
    case Field::L4Proto:
    case Field::CtState:
      return 8;
    case Field::DstPort:
    case Field::IcmpTypeCode:
      return 16;
  }
  return 0;
}

u128 addr_value(const ir::IpAddr& a) {
  u128 v = 0;
  int n = a.family == ir::Family::V4 ? 4 : 16;
  for (int i = 0; i < n; ++i) v = (v << 8) | a.bytes[i];
  return v;
}

ir::IpAddr addr_of(u128 v, ir::Family f) {
  ir::IpAddr a;
  a.family = f;
  int n = f == ir::Family::V4 ? 4 : 16;
  for (int i = n - 1; i >= 0; --i) {
    a.bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return a;
}

namespace {

bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }
bool has_icmp_type(uint8_t proto) { return proto == 1 || proto == 58; }

// Whether the field's value is unknown for the packet: a port of a protocol without ports,
// an ICMP type of one without ICMP types.
bool unknown(Field f, const Packet& p) {
  return (f == Field::DstPort && !has_ports(p.proto)) ||
         (f == Field::IcmpTypeCode && !has_icmp_type(p.proto));
}

enum class Tri : uint8_t { False, True, Unknown };

// The value of one field for the packet; nullopt when the field does not apply (an address
// field of the other family). DstPort of a protocol without ports is handled by callers.
std::optional<u128> value(Field f, const Packet& p) {
  switch (f) {
    case Field::Src4:
      if (p.src.family != ir::Family::V4) return std::nullopt;
      return addr_value(p.src);
    case Field::Dst4:
      if (p.dst.family != ir::Family::V4) return std::nullopt;
      return addr_value(p.dst);
    case Field::Src6:
      if (p.src.family != ir::Family::V6) return std::nullopt;
      return addr_value(p.src);
    case Field::Dst6:
      if (p.dst.family != ir::Family::V6) return std::nullopt;
      return addr_value(p.dst);
    case Field::L4Proto:
      return p.proto;
    case Field::DstPort:
    case Field::IcmpTypeCode:
      return p.port;
    case Field::CtState:
      return p.ct;
  }
  return std::nullopt;
}

bool in_range(Field f, const Range& r, u128 v) {
  if (f == Field::CtState) return (v & r.lo) != 0;
  return r.lo <= v && v <= r.hi;
}

// The elements of `s` that hold the packet's key, where an unknown field (unknown()) is
// left out of the comparison. `port_unknown` says whether one was, `unknown_at` which.
struct Lookup {
  bool family_mismatch = false;
  bool port_unknown = false;
  size_t unknown_at = 0;
  std::vector<const Element*> hits;
};

Lookup lookup(const Set& s, const std::vector<Field>& key, const Packet& p) {
  if (key.size() != s.key.size())
    throw std::runtime_error("key of " + std::to_string(key.size()) + " fields used with set '" +
                             s.name + "' of " + std::to_string(s.key.size()));
  Lookup out;
  std::vector<std::optional<u128>> vals;
  for (Field f : key) {
    auto v = value(f, p);
    if (!v) {
      out.family_mismatch = true;
      return out;
    }
    if (unknown(f, p)) {
      if (out.port_unknown)
        throw std::runtime_error("two unknown fields in a key of '" + s.name + "'");
      out.port_unknown = true;
      out.unknown_at = vals.size();
      v.reset();
    }
    vals.push_back(v);
  }
  for (const auto& e : s.elements) {
    if (e.key.size() != key.size())
      throw std::runtime_error("element of set '" + s.name + "' has the wrong key length");
    bool ok = true;
    for (size_t i = 0; i < key.size() && ok; ++i)
      if (vals[i]) ok = in_range(key[i], e.key[i], *vals[i]);
    if (ok) out.hits.push_back(&e);
  }
  return out;
}

// For an unknown field: whether the hits' ranges of it cover every value (0..65535).
bool covers_all_ports(const Lookup& l) {
  size_t pi = l.unknown_at;
  const std::vector<const Element*>& hits = l.hits;
  std::vector<Range> rs;
  for (const Element* e : hits) rs.push_back(e->key[pi]);
  std::sort(rs.begin(), rs.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  u128 next = 0;
  for (const auto& r : rs) {
    if (r.lo > next) return false;
    next = std::max(next, r.hi + 1);
  }
  return next > 0xffff;
}

class Runner {
 public:
  Runner(const Firewall& fw, const Packet& p) : fw_(fw), p_(p) {}

  // Accept, Drop, or Return (fell off the end / return verdict).
  VerdictKind chain(const std::string& name, int depth) {
    if (depth > 64) throw std::runtime_error("chain nesting deeper than 64 at '" + name + "'");
    auto it = fw_.chains.find(name);
    if (it == fw_.chains.end()) throw std::runtime_error("no chain '" + name + "'");
    for (const Rule& r : it->second.rules) {
      Verdict v;
      if (!rule_verdict(r, v)) continue;
      switch (v.kind) {
        case VerdictKind::Continue:
          continue;
        case VerdictKind::Accept:
        case VerdictKind::Drop:
        case VerdictKind::Return:
          return v.kind;
        case VerdictKind::Jump: {
          VerdictKind k = chain(v.chain, depth + 1);
          if (k == VerdictKind::Return) continue;
          return k;
        }
        case VerdictKind::Goto:
          return chain(v.chain, depth + 1);
      }
    }
    return VerdictKind::Return;
  }

 private:
  const Set& set_of(const std::string& name, const std::optional<Set>& inline_set) {
    if (name.empty()) {
      if (!inline_set) throw std::runtime_error("match without a set");
      return *inline_set;
    }
    auto it = fw_.sets.find(name);
    if (it == fw_.sets.end()) throw std::runtime_error("no set '" + name + "'");
    return it->second;
  }

  Tri match(const Match& m) {
    const Set& s = set_of(m.set, m.inline_set);
    Lookup l = lookup(s, m.key, p_);
    if (l.family_mismatch) return Tri::False;  // negated or not: the rule needs the family
    bool hit;
    if (!l.port_unknown || l.hits.empty()) {
      hit = !l.hits.empty();
    } else if (covers_all_ports(l)) {
      hit = true;
    } else {
      return Tri::Unknown;
    }
    return hit != m.negate ? Tri::True : Tri::False;
  }

  // Whether the rule applies; its verdict in `v` (Continue for a vmap without element).
  bool rule_verdict(const Rule& r, Verdict& v) {
    bool unknown = false;
    for (const Match& m : r.matches) {
      Tri t = match(m);
      if (t == Tri::False) return false;
      if (t == Tri::Unknown) unknown = true;
    }
    std::optional<Verdict> mv;
    if (r.vmap) {
      const Set& s = set_of(r.vmap->map, r.vmap->inline_map);
      Lookup l = lookup(s, r.vmap->key, p_);
      if (l.family_mismatch || l.hits.empty()) {
        mv = Verdict{};
      } else {
        for (const Element* e : l.hits)
          if (!(e->verdict == l.hits[0]->verdict))
            throw std::runtime_error(l.port_unknown
                                         ? "map '" + s.name + "' lookup depends on an unknown port"
                                         : "map '" + s.name + "' has overlapping elements");
        if (l.port_unknown && !covers_all_ports(l))
          throw std::runtime_error("map '" + s.name + "' lookup depends on an unknown port");
        mv = l.hits[0]->verdict;
      }
    }
    Verdict out = mv ? *mv : r.verdict;
    if (unknown && out.kind == VerdictKind::Continue) return false;  // does nothing either way
    if (unknown)
      throw std::runtime_error("a port match on protocol " + std::to_string(p_.proto) +
                               " (no ports) decides the rule at line " +
                               std::to_string(r.span.line));
    v = out;
    return true;
  }

  const Firewall& fw_;
  const Packet& p_;
};

}  // namespace

VerdictKind run(const Firewall& fw, const Packet& p) {
  auto it = fw.chains.find(fw.entry);
  if (it == fw.chains.end()) throw std::runtime_error("no entry chain '" + fw.entry + "'");
  Runner r(fw, p);
  VerdictKind k = r.chain(fw.entry, 0);
  if (k == VerdictKind::Return) k = it->second.policy.kind;
  if (k != VerdictKind::Accept && k != VerdictKind::Drop)
    throw std::runtime_error("entry chain policy is neither accept nor drop");
  return k;
}

namespace detail {

std::optional<uint32_t> parse_uint(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<Range> parse_addr(std::string_view s, ir::Family family, bool allow_prefix) {
  if (s.find('/') != std::string_view::npos) {
    if (!allow_prefix) return std::nullopt;
    auto c = ir::Cidr::parse(s);
    if (!c || c->family() != family) return std::nullopt;
    int bits = c->addr.bits();
    u128 lo = addr_value(c->addr);
    int host_bits = bits - c->len;
    u128 host = host_bits == 0 ? 0 : host_bits >= 128 ? ~u128{0} : (u128{1} << host_bits) - 1;
    return Range{lo, lo | host};
  }
  auto a = ir::IpAddr::parse(s);
  if (!a || a->family != family) return std::nullopt;
  u128 v = addr_value(*a);
  return Range{v, v};
}

namespace {

int category(Field f) {
  switch (f) {
    case Field::Src4:
    case Field::Dst4:
      return 0;
    case Field::Src6:
    case Field::Dst6:
      return 1;
    case Field::IcmpTypeCode:  // an inet_service key, as DstPort
      return static_cast<int>(Field::DstPort);
    default:
      return static_cast<int>(f);
  }
}

bool compatible(const std::vector<Field>& a, const std::vector<Field>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (category(a[i]) != category(b[i])) return false;
  return true;
}

}  // namespace

bool check_references(const Firewall& fw, ir::Diagnostics& diags) {
  bool ok = true;
  auto report = [&](ir::Code code, const ir::SourceSpan& at, std::string msg) {
    ok = false;
    diags.report(code, at, std::move(msg));
  };
  std::vector<const Chain*> chains;
  std::map<std::string, size_t> index;
  for (const auto& [n, c] : fw.chains) {
    index[n] = chains.size();
    chains.push_back(&c);
  }
  // Edges: chain -> (target, the rule that refers to it).
  std::vector<std::vector<std::pair<size_t, const Rule*>>> edges(chains.size());
  auto edge = [&](size_t from, const Verdict& v, const Rule& r) {
    if (v.kind != VerdictKind::Jump && v.kind != VerdictKind::Goto) return;
    auto it = index.find(v.chain);
    if (it == index.end()) {
      report(ir::Code::NV9002, r.span, "no chain '" + v.chain + "'");
    } else if (chains[it->second]->base) {
      report(ir::Code::NV9002, r.span, "a jump or goto to the base chain '" + v.chain + "'");
    } else {
      edges[from].push_back({it->second, &r});
    }
  };
  auto named = [&](const std::string& name, bool map, const std::vector<Field>& key,
                   const Rule& r) -> const Set* {
    auto it = fw.sets.find(name);
    const char* what = map ? "map" : "set";
    if (it == fw.sets.end()) {
      report(ir::Code::NV9002, r.span, std::string("no ") + what + " '" + name + "'");
      return nullptr;
    }
    if (it->second.is_map != map) {
      report(ir::Code::NV9001, r.span, "'" + name + "' is not a " + what);
      return nullptr;
    }
    if (!compatible(key, it->second.key)) {
      report(ir::Code::NV9001, r.span, "the key does not match the type of '" + name + "'");
      return nullptr;
    }
    return &it->second;
  };
  for (size_t ci = 0; ci < chains.size(); ++ci) {
    for (const Rule& r : chains[ci]->rules) {
      for (const Match& m : r.matches)
        if (!m.set.empty()) named(m.set, false, m.key, r);
      if (r.vmap) {
        const Set* map = r.vmap->map.empty() ? (r.vmap->inline_map ? &*r.vmap->inline_map : nullptr)
                                             : named(r.vmap->map, true, r.vmap->key, r);
        if (map)
          for (const Element& e : map->elements) edge(ci, e.verdict, r);
      } else {
        edge(ci, r.verdict, r);
      }
    }
  }
  if (!ok) return false;
  // Loops (iterative depth-first search) and depth.
  std::vector<int> state(chains.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::vector<int> depth(chains.size(), 1);
  for (size_t root = 0; root < chains.size() && ok; ++root) {
    if (state[root]) continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty() && ok) {
      auto& [c, i] = stack.back();
      if (i < edges[c].size()) {
        auto [t, r] = edges[c][i++];
        if (state[t] == 1) {
          report(ir::Code::NV9002, r->span,
                 "chains loop: '" + chains[t]->name + "' is reached again from '" +
                     chains[c]->name + "'");
        } else if (state[t] == 0) {
          state[t] = 1;
          stack.push_back({t, 0});
        }
      } else {
        for (auto [t, r] : edges[c]) depth[c] = std::max(depth[c], depth[t] + 1);
        if (depth[c] > 65)
          report(ir::Code::NV9002, chains[c]->span,
                 "chains nest deeper than 64 from '" + chains[c]->name + "'");
        state[c] = 2;
        stack.pop_back();
      }
    }
  }
  return ok;
}

}  // namespace detail

}  // namespace nv::backends
