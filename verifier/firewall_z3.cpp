#include "verifier/firewall_z3.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace nv::verifier {

using backends::Element;
using backends::Field;
using backends::Firewall;
using backends::Range;
using backends::Set;
using backends::u128;
using backends::Verdict;
using backends::VerdictKind;

namespace {

// Outcome codes (bv2).
constexpr unsigned kReturn = 0, kAccept = 1, kDrop = 2, kContinue = 3;

z3::expr bv_const(z3::context& ctx, u128 v, int bits) {
  if (bits <= 64) return ctx.bv_val(static_cast<uint64_t>(v), bits);
  return z3::concat(ctx.bv_val(static_cast<uint64_t>(v >> 64), 64),
                    ctx.bv_val(static_cast<uint64_t>(v), 64));
}

int index_bits(size_t n) {
  int w = 1;
  while ((u128{1} << w) < n) ++w;
  return w;
}

class Encoder {
 public:
  Encoder(z3::context& ctx, const Firewall& fw, const FwPacket& p)
      : ctx_(ctx), fw_(fw), p_(p), port_(ctx), head_(ctx) {
    z3::expr has_ports = p.proto == ctx.bv_val(6, 8) || p.proto == ctx.bv_val(17, 8) ||
                         p.proto == ctx.bv_val(132, 8);
    port_ = z3::ite(has_ports, p.port, p.junk_port);
    // th sport / --icmp-type: type << 8 | code of ICMP and ICMPv6 (backends::Field).
    z3::expr icmp = p.proto == ctx.bv_val(1, 8) || p.proto == ctx.bv_val(58, 8);
    head_ = z3::ite(icmp, p.port, p.junk_head);
  }

  // An address field with a domain is encoded as the index into it (FwPacket::src_domain).
  const std::vector<u128>* domain(Field f) const {
    bool src = f == Field::Src4 || f == Field::Src6, dst = f == Field::Dst4 || f == Field::Dst6;
    if (src && p_.src_index) return &p_.src_domain;
    if (dst && p_.dst_index) return &p_.dst_domain;
    return nullptr;
  }
  int bits(Field f) const {
    const auto* d = domain(f);
    return d ? index_bits(d->size()) : backends::field_bits(f);
  }
  u128 max_of(Field f) const {
    int b = bits(f);
    return b >= 128 ? ~u128{0} : (u128{1} << b) - 1;
  }
  // A range of the field as the encoder sees it: for an indexed field, the indices of the
  // domain's values inside it (contiguous, as the domain is sorted), nullopt if none.
  std::optional<Range> seen(Field f, const Range& r) const {
    const auto* d = domain(f);
    if (!d) return r;
    auto lo = std::lower_bound(d->begin(), d->end(), r.lo);
    auto hi = std::upper_bound(d->begin(), d->end(), r.hi);
    if (lo >= hi) return std::nullopt;
    return Range{static_cast<u128>(lo - d->begin()), static_cast<u128>(hi - d->begin() - 1)};
  }

  z3::expr accepts() {
    auto it = fw_.chains.find(fw_.entry);
    if (it == fw_.chains.end()) throw std::runtime_error("no entry chain '" + fw_.entry + "'");
    VerdictKind pol = it->second.policy.kind;
    if (pol != VerdictKind::Accept && pol != VerdictKind::Drop)
      throw std::runtime_error("entry chain policy is neither accept nor drop");
    z3::expr out = chain(fw_.entry, 0);
    z3::expr acc = out == code(kAccept);
    if (pol == VerdictKind::Accept) acc = acc || out == code(kReturn);
    return acc;
  }

 private:
  z3::expr code(unsigned c) { return ctx_.bv_val(c, 2); }

  // The packet field, or nullopt when it is an address field of the other family.
  std::optional<z3::expr> field(Field f) {
    bool v4 = p_.family == ir::Family::V4;
    const z3::expr& src = p_.src_index ? *p_.src_index : p_.src;
    const z3::expr& dst = p_.dst_index ? *p_.dst_index : p_.dst;
    switch (f) {
      case Field::Src4:
        return v4 ? std::optional(src) : std::nullopt;
      case Field::Dst4:
        return v4 ? std::optional(dst) : std::nullopt;
      case Field::Src6:
        return !v4 ? std::optional(src) : std::nullopt;
      case Field::Dst6:
        return !v4 ? std::optional(dst) : std::nullopt;
      case Field::L4Proto:
        return p_.proto;
      case Field::DstPort:
        return port_;
      case Field::IcmpTypeCode:
        return head_;
      case Field::CtState:
        return p_.ct;
    }
    return std::nullopt;
  }

  z3::expr in_range(Field f, const z3::expr& x, const Range& range) {
    int bits = this->bits(f);
    if (f == Field::CtState) return (x & bv_const(ctx_, range.lo, bits)) != ctx_.bv_val(0, bits);
    std::optional<Range> r = seen(f, range);
    if (!r) return ctx_.bool_val(false);
    if (r->lo == r->hi) return x == bv_const(ctx_, r->lo, bits);
    z3::expr c = ctx_.bool_val(true);
    if (r->lo > 0) c = z3::uge(x, bv_const(ctx_, r->lo, bits));
    if (r->hi < max_of(f)) c = c && z3::ule(x, bv_const(ctx_, r->hi, bits));
    return c;
  }

  const Set& lookup_set(const std::string& name, const std::optional<Set>& inline_set) {
    if (name.empty()) {
      if (!inline_set) throw std::runtime_error("a match without a set");
      return *inline_set;
    }
    auto it = fw_.sets.find(name);
    if (it == fw_.sets.end()) throw std::runtime_error("no set '" + name + "'");
    return it->second;
  }

  // Values of the key fields, or nullopt if one is of the other family.
  std::optional<std::vector<z3::expr>> key_values(const Set& s, const std::vector<Field>& key) {
    if (key.size() != s.key.size())
      throw std::runtime_error("a key of " + std::to_string(key.size()) + " fields used with '" +
                               s.name + "' of " + std::to_string(s.key.size()));
    std::vector<z3::expr> xs;
    for (Field f : key) {
      auto x = field(f);
      if (!x) return std::nullopt;
      xs.push_back(*x);
    }
    for (const auto& e : s.elements)
      if (e.key.size() != key.size())
        throw std::runtime_error("an element of '" + s.name + "' has the wrong key length");
    return xs;
  }

  z3::expr member(const Set& s, const std::vector<Field>& key) {
    std::string memo_key;
    if (!s.name.empty()) {
      memo_key = s.name;
      for (Field f : key) memo_key += "," + std::to_string(static_cast<int>(f));
      auto it = members_.find(memo_key);
      if (it != members_.end()) return it->second;
    }
    z3::expr out = member_uncached(s, key);
    if (!memo_key.empty()) members_.emplace(memo_key, out);
    return out;
  }

  z3::expr member_uncached(const Set& s, const std::vector<Field>& key) {
    auto xs = key_values(s, key);
    if (!xs) return ctx_.bool_val(false);
    if (key.size() == 1 && key[0] != Field::CtState) {
      std::vector<Range> rs;
      for (const auto& e : s.elements)
        if (auto r = seen(key[0], e.key[0])) rs.push_back(*r);
      std::sort(rs.begin(), rs.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
      std::vector<Range> merged;  // disjoint, not adjacent
      for (const auto& r : rs) {
        if (!merged.empty() && (merged.back().hi == max_of(key[0]) || r.lo <= merged.back().hi + 1))
          merged.back().hi = std::max(merged.back().hi, r.hi);
        else
          merged.push_back(r);
      }
      return set_tree(key[0], (*xs)[0], merged, 0, static_cast<long>(merged.size()) - 1);
    }
    z3::expr_vector any(ctx_);
    for (const auto& e : s.elements) any.push_back(element_holds(key, *xs, e));
    return any.empty() ? ctx_.bool_val(false) : z3::mk_or(any);
  }

  z3::expr element_holds(const std::vector<Field>& key, const std::vector<z3::expr>& xs,
                         const Element& e) {
    z3::expr_vector all(ctx_);
    for (size_t i = 0; i < key.size(); ++i) all.push_back(in_range(key[i], xs[i], e.key[i]));
    return z3::mk_and(all);
  }

  z3::expr set_tree(Field f, const z3::expr& x, const std::vector<Range>& rs, long l, long r) {
    if (l > r) return ctx_.bool_val(false);
    long mid = l + (r - l) / 2;
    int bits = this->bits(f);
    const Range& m = rs[mid];
    z3::expr right = set_tree(f, x, rs, mid + 1, r);
    z3::expr inside_or_right = m.hi == max_of(f) ? ctx_.bool_val(true)
                                                 : z3::ite(z3::ule(x, bv_const(ctx_, m.hi, bits)),
                                                           ctx_.bool_val(true), right);
    if (l == mid && m.lo == 0) return inside_or_right;
    return z3::ite(z3::ult(x, bv_const(ctx_, m.lo, bits)), set_tree(f, x, rs, l, mid - 1),
                   inside_or_right);
  }

  // The code of a verdict: Continue for a jump whose chain returns.
  z3::expr verdict_code(const Verdict& v, int depth) {
    switch (v.kind) {
      case VerdictKind::Continue:
        return code(kContinue);
      case VerdictKind::Accept:
        return code(kAccept);
      case VerdictKind::Drop:
        return code(kDrop);
      case VerdictKind::Return:
        return code(kReturn);
      case VerdictKind::Jump: {
        z3::expr o = chain(v.chain, depth + 1);
        return z3::ite(o == code(kReturn), code(kContinue), o);
      }
      case VerdictKind::Goto:
        return chain(v.chain, depth + 1);
    }
    return code(kContinue);
  }

  z3::expr map_code(const Set& m, const std::vector<Field>& key, int depth) {
    auto xs = key_values(m, key);
    if (!xs) return code(kContinue);
    if (key.size() == 1 && key[0] != Field::CtState) {
      std::vector<const Element*> es;
      for (const auto& e : m.elements) es.push_back(&e);
      std::sort(es.begin(), es.end(),
                [](const Element* a, const Element* b) { return a->key[0].lo < b->key[0].lo; });
      std::vector<std::pair<Range, const Verdict*>> merged;
      for (const Element* e : es) {
        const Range& r = e->key[0];
        if (!merged.empty() && r.lo <= merged.back().first.hi) {
          if (!(*merged.back().second == e->verdict))
            throw std::runtime_error("map '" + m.name + "' has overlapping elements");
          merged.back().first.hi = std::max(merged.back().first.hi, r.hi);
        } else if (!merged.empty() && merged.back().first.hi + 1 == r.lo &&
                   *merged.back().second == e->verdict) {
          merged.back().first.hi = r.hi;
        } else {
          merged.push_back({r, &e->verdict});
        }
      }
      // Overlaps are judged on the addresses; the tree is built on what the encoder sees.
      std::vector<std::pair<Range, const Verdict*>> kept;
      for (auto& [r, v] : merged)
        if (auto s = seen(key[0], r)) kept.push_back({*s, v});
      std::vector<z3::expr> codes;
      for (auto& [r, v] : kept) codes.push_back(verdict_code(*v, depth));
      return map_tree(key[0], (*xs)[0], kept, codes, 0, static_cast<long>(kept.size()) - 1);
    }
    z3::expr out = code(kContinue);
    for (auto it = m.elements.rbegin(); it != m.elements.rend(); ++it)
      out = z3::ite(element_holds(key, *xs, *it), verdict_code(it->verdict, depth), out);
    return out;
  }

  z3::expr map_tree(Field f, const z3::expr& x,
                    const std::vector<std::pair<Range, const Verdict*>>& rs,
                    const std::vector<z3::expr>& codes, long l, long r) {
    if (l > r) return code(kContinue);
    long mid = l + (r - l) / 2;
    int bits = this->bits(f);
    const Range& m = rs[mid].first;
    z3::expr inside_or_right = m.hi == max_of(f)
                                   ? codes[mid]
                                   : z3::ite(z3::ule(x, bv_const(ctx_, m.hi, bits)), codes[mid],
                                             map_tree(f, x, rs, codes, mid + 1, r));
    if (l == mid && m.lo == 0) return inside_or_right;
    return z3::ite(z3::ult(x, bv_const(ctx_, m.lo, bits)), map_tree(f, x, rs, codes, l, mid - 1),
                   inside_or_right);
  }

  z3::expr chain(const std::string& name, int depth) {
    if (depth > 64) throw std::runtime_error("chain nesting deeper than 64 at '" + name + "'");
    auto memo = chains_.find(name);
    if (memo != chains_.end()) {
      if (depth + memo->second.second > 64)
        throw std::runtime_error("chain nesting deeper than 64 at '" + name + "'");
      max_depth_ = std::max(max_depth_, depth + memo->second.second);
      return memo->second.first;
    }
    auto it = fw_.chains.find(name);
    if (it == fw_.chains.end()) throw std::runtime_error("no chain '" + name + "'");
    if (!visiting_.insert(name).second) throw std::runtime_error("chains loop at '" + name + "'");
    int saved_max = max_depth_;
    max_depth_ = depth;
    std::vector<z3::expr> conds, codes;
    std::vector<int> constant;  // the code when it is a constant, else -1
    for (const auto& r : it->second.rules) {
      z3::expr_vector all(ctx_);
      for (const auto& m : r.matches) {
        const Set& s = lookup_set(m.set, m.inline_set);
        z3::expr in = member(s, m.key);
        bool applies = true;
        for (Field f : m.key) applies = applies && field(f).has_value();
        all.push_back(!applies ? ctx_.bool_val(false) : m.negate ? !in : in);
      }
      z3::expr c = all.empty() ? ctx_.bool_val(true) : z3::mk_and(all);
      z3::expr v = r.vmap
                       ? map_code(lookup_set(r.vmap->map, r.vmap->inline_map), r.vmap->key, depth)
                       : verdict_code(r.verdict, depth);
      conds.push_back(c);
      codes.push_back(v);
      int k = -1;
      if (!r.vmap) {
        switch (r.verdict.kind) {
          case VerdictKind::Continue:
            k = kContinue;
            break;
          case VerdictKind::Accept:
            k = kAccept;
            break;
          case VerdictKind::Drop:
            k = kDrop;
            break;
          case VerdictKind::Return:
            k = kReturn;
            break;
          case VerdictKind::Goto:
            k = -2;
            break;  // a chain's outcome: never Continue
          case VerdictKind::Jump:
            break;
        }
      }
      constant.push_back(k);
    }
    z3::expr out = code(kReturn);
    for (size_t i = conds.size(); i-- > 0;) {
      if (constant[i] == static_cast<int>(kContinue)) continue;
      z3::expr take = constant[i] != -1 ? conds[i] : conds[i] && codes[i] != code(kContinue);
      out = z3::ite(take, codes[i], out);
    }
    visiting_.erase(name);
    int height = max_depth_ - depth;
    max_depth_ = std::max(saved_max, max_depth_);
    chains_.emplace(name, std::make_pair(out, height));
    return out;
  }

  z3::context& ctx_;
  const Firewall& fw_;
  const FwPacket& p_;
  z3::expr port_, head_;
  std::map<std::string, z3::expr> members_;
  std::map<std::string, std::pair<z3::expr, int>> chains_;  // outcome, height below
  std::set<std::string> visiting_;
  int max_depth_ = 0;
};

u128 numeral(const z3::expr& e) {
  std::string s = e.get_decimal_string(0);
  u128 v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

}  // namespace

FwPacket make_fw_packet(z3::context& ctx, ir::Family family, const std::string& prefix) {
  unsigned bits = family == ir::Family::V4 ? 32 : 128;
  return FwPacket{family,
                  ctx.bv_const((prefix + "src").c_str(), bits),
                  ctx.bv_const((prefix + "dst").c_str(), bits),
                  ctx.bv_const((prefix + "proto").c_str(), 8),
                  ctx.bv_const((prefix + "port").c_str(), 16),
                  ctx.bv_const((prefix + "junk_port").c_str(), 16),
                  ctx.bv_const((prefix + "junk_head").c_str(), 16),
                  ctx.bv_const((prefix + "ct").c_str(), 8)};
}

FwPacket with_domains(const FwPacket& p, std::vector<u128> src_values, std::vector<u128> dst_values,
                      const std::string& prefix) {
  if (src_values.empty() || dst_values.empty())
    throw std::invalid_argument("with_domains: an empty domain");
  FwPacket out = p;
  z3::context& ctx = p.src.ctx();
  out.src_domain = std::move(src_values);
  out.dst_domain = std::move(dst_values);
  out.src_index = ctx.bv_const((prefix + "src_index").c_str(), index_bits(out.src_domain.size()));
  out.dst_index = ctx.bv_const((prefix + "dst_index").c_str(), index_bits(out.dst_domain.size()));
  return out;
}

z3::expr fw_domain_facts(const FwPacket& p) {
  z3::context& ctx = p.src.ctx();
  const int abits = p.family == ir::Family::V4 ? 32 : 128;
  z3::expr_vector all(ctx);
  auto side = [&](const z3::expr& addr, const std::optional<z3::expr>& index,
                  const std::vector<u128>& values) {
    if (!index) return;
    const unsigned w = index->get_sort().bv_size();
    all.push_back(z3::ule(*index, ctx.bv_val(static_cast<uint64_t>(values.size() - 1), w)));
    for (size_t i = 0; i < values.size(); ++i)
      all.push_back(z3::implies(*index == ctx.bv_val(static_cast<uint64_t>(i), w),
                                addr == bv_const(ctx, values[i], abits)));
  };
  side(p.src, p.src_index, p.src_domain);
  side(p.dst, p.dst_index, p.dst_domain);
  return z3::mk_and(all);
}

z3::expr fw_accepts(z3::context& ctx, const Firewall& fw, const FwPacket& p) {
  Encoder e(ctx, fw, p);
  return e.accepts();
}

z3::expr fw_packet_is(const FwPacket& p, const backends::Packet& pkt) {
  if (pkt.src.family != p.family || pkt.dst.family != p.family)
    throw std::invalid_argument("packet family differs from the symbolic packet's");
  z3::context& ctx = p.src.ctx();
  int bits = p.family == ir::Family::V4 ? 32 : 128;
  return p.src == bv_const(ctx, backends::addr_value(pkt.src), bits) &&
         p.dst == bv_const(ctx, backends::addr_value(pkt.dst), bits) &&
         p.proto == ctx.bv_val(pkt.proto, 8) && p.port == ctx.bv_val(pkt.port, 16) &&
         p.ct == ctx.bv_val(pkt.ct, 8);
}

backends::Packet fw_packet_value(const z3::model& m, const FwPacket& p) {
  backends::Packet out;
  out.src = backends::addr_of(numeral(m.eval(p.src, true)), p.family);
  out.dst = backends::addr_of(numeral(m.eval(p.dst, true)), p.family);
  out.proto = static_cast<uint8_t>(numeral(m.eval(p.proto, true)));
  out.port = static_cast<uint16_t>(numeral(m.eval(p.port, true)));
  out.ct = static_cast<uint8_t>(numeral(m.eval(p.ct, true)));
  return out;
}

}  // namespace nv::verifier
