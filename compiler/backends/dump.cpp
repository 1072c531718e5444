#include "compiler/backends/dump.h"

#include <algorithm>

namespace nv::backends {

std::string field_name(Field f) {
  switch (f) {
    case Field::Src4: return "src4";
    case Field::Dst4: return "dst4";
    case Field::Src6: return "src6";
    case Field::Dst6: return "dst6";
    case Field::L4Proto: return "proto";
    case Field::DstPort: return "dport";
    case Field::IcmpTypeCode: return "icmp";
    case Field::CtState: return "ct";
  }
  return "?";
}

namespace {

bool is_addr(Field f) {
  return f == Field::Src4 || f == Field::Dst4 || f == Field::Src6 || f == Field::Dst6;
}

std::string key_str(const std::vector<Field>& key) {
  std::string s;
  for (size_t i = 0; i < key.size(); ++i) s += (i ? " . " : "") + field_name(key[i]);
  return s;
}

std::string element_str(const std::vector<Field>& key, const Element& e, bool is_map) {
  std::string s;
  for (size_t i = 0; i < e.key.size(); ++i)
    s += (i ? " . " : "") + range_str(i < key.size() ? key[i] : Field::DstPort, e.key[i]);
  if (is_map) s += " : " + verdict_str(e.verdict);
  return s;
}

std::vector<const Element*> sorted(const Set& s) {
  std::vector<const Element*> out;
  for (const auto& e : s.elements) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(), [](const Element* a, const Element* b) {
    for (size_t i = 0; i < std::min(a->key.size(), b->key.size()); ++i) {
      if (a->key[i].lo != b->key[i].lo) return a->key[i].lo < b->key[i].lo;
      if (a->key[i].hi != b->key[i].hi) return a->key[i].hi < b->key[i].hi;
    }
    return a->key.size() < b->key.size();
  });
  return out;
}

std::string inline_str(const Set& s) {
  std::string out = "{ ";
  bool first = true;
  for (const Element* e : sorted(s)) {
    out += (first ? "" : ", ") + element_str(s.key, *e, s.is_map);
    first = false;
  }
  return out + (first ? "}" : " }");
}

}  // namespace

std::string range_str(Field f, const Range& r) {
  if (f == Field::CtState) {
    static const char* names[] = {"new", "established", "related", "invalid"};
    std::string s;
    for (int b = 0; b < 8; ++b)
      if (r.lo & (u128{1} << b)) s += (s.empty() ? "" : "|") + std::string(b < 4 ? names[b] : "bit" + std::to_string(b));
    return s.empty() ? "none" : s;
  }
  if (is_addr(f)) {
    ir::Family fam = (f == Field::Src4 || f == Field::Dst4) ? ir::Family::V4 : ir::Family::V6;
    int bits = fam == ir::Family::V4 ? 32 : 128;
    std::string lo = addr_of(r.lo, fam).str();
    if (r.lo == r.hi) return lo;
    u128 size = r.hi - r.lo;  // + 1 would overflow for the whole IPv6 space
    if ((size & (size + 1)) == 0 && (r.lo & size) == 0) {
      int host = 0;
      while (host < bits && ((size >> host) & 1)) ++host;
      return lo + "/" + std::to_string(bits - host);
    }
    return lo + "-" + addr_of(r.hi, fam).str();
  }
  auto num = [](u128 v) { return std::to_string(static_cast<unsigned long long>(v)); };
  return r.lo == r.hi ? num(r.lo) : num(r.lo) + "-" + num(r.hi);
}

std::string verdict_str(const Verdict& v) {
  switch (v.kind) {
    case VerdictKind::Continue: return "continue";
    case VerdictKind::Accept: return "accept";
    case VerdictKind::Drop: return "drop";
    case VerdictKind::Return: return "return";
    case VerdictKind::Jump: return "jump " + v.chain;
    case VerdictKind::Goto: return "goto " + v.chain;
  }
  return "?";
}

std::string dump(const Firewall& fw) {
  std::string out = "entry " + fw.entry + "\n";
  for (const auto& [name, s] : fw.sets) {
    out += "\n" + std::string(s.is_map ? "map " : "set ") + name + " : " + key_str(s.key) +
           (s.is_map ? " -> verdict" : "") + " (" + std::to_string(s.elements.size()) +
           " elements)\n";
    for (const Element* e : sorted(s)) out += "  " + element_str(s.key, *e, s.is_map) + "\n";
  }
  for (const auto& [name, c] : fw.chains) {
    out += "\nchain " + name;
    if (c.base) out += " : base, policy " + verdict_str(c.policy);
    out += "\n";
    for (const Rule& r : c.rules) {
      out += "  L" + std::to_string(r.span.line) + ":";
      for (const Match& m : r.matches) {
        out += " " + key_str(m.key) + (m.negate ? " not in " : " in ");
        out += m.set.empty() ? (m.inline_set ? inline_str(*m.inline_set) : "{?}") : "@" + m.set;
        out += ",";
      }
      if (!r.matches.empty()) out.pop_back();
      if (r.vmap) {
        out += " " + key_str(r.vmap->key) + " vmap ";
        out += r.vmap->map.empty() ? (r.vmap->inline_map ? inline_str(*r.vmap->inline_map) : "{?}")
                                   : "@" + r.vmap->map;
      } else {
        out += (r.matches.empty() ? " " : " : ") + verdict_str(r.verdict);
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace nv::backends
