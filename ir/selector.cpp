#include "ir/selector.h"

#include <algorithm>

namespace nv::ir {

namespace {

const std::string* lookup(const Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

bool contains_value(const std::vector<std::string>& sorted, const std::string& v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

std::string quote(const std::string& s) {
  // Calico strings have no escapes: pick the quote the value does not contain.
  char q = s.find('\'') == std::string::npos ? '\'' : '"';
  return q + s + q;
}

std::string set_str(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + quote(values[i]);
  return out + "}";
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

bool Selector::matches(const Labels& labels) const {
  switch (op) {
    case Op::All:
      return true;
    case Op::Has:
      return lookup(labels, key) != nullptr;
    case Op::Eq: {
      auto v = lookup(labels, key);
      return v && *v == values[0];
    }
    case Op::NotEq: {
      auto v = lookup(labels, key);
      return !v || *v != values[0];
    }
    case Op::In: {
      auto v = lookup(labels, key);
      return v && contains_value(values, *v);
    }
    case Op::NotIn: {
      auto v = lookup(labels, key);
      return !v || !contains_value(values, *v);
    }
    case Op::Contains: {
      auto v = lookup(labels, key);
      return v && v->find(values[0]) != std::string::npos;
    }
    case Op::StartsWith: {
      auto v = lookup(labels, key);
      return v && v->starts_with(values[0]);
    }
    case Op::EndsWith: {
      auto v = lookup(labels, key);
      return v && v->ends_with(values[0]);
    }
    case Op::Not:
      return !kids[0].matches(labels);
    case Op::And:
      return std::all_of(kids.begin(), kids.end(), [&](const Selector& k) { return k.matches(labels); });
    case Op::Or:
      return std::any_of(kids.begin(), kids.end(), [&](const Selector& k) { return k.matches(labels); });
  }
  return false;
}

std::string Selector::str() const {
  switch (op) {
    case Op::All:
      return "all()";
    case Op::Has:
      return "has(" + key + ")";
    case Op::Eq:
      return key + " == " + quote(values[0]);
    case Op::NotEq:
      return key + " != " + quote(values[0]);
    case Op::In:
      return key + " in " + set_str(values);
    case Op::NotIn:
      return key + " not in " + set_str(values);
    case Op::Contains:
      return key + " contains " + quote(values[0]);
    case Op::StartsWith:
      return key + " starts with " + quote(values[0]);
    case Op::EndsWith:
      return key + " ends with " + quote(values[0]);
    case Op::Not: {
      const auto& k = kids[0];
      bool atomic = k.op != Op::And && k.op != Op::Or;
      return "!" + (atomic ? k.str() : "(" + k.str() + ")");
    }
    case Op::And:
    case Op::Or: {
      if (kids.empty()) return op == Op::And ? "all()" : "!all()";
      std::string out;
      for (size_t i = 0; i < kids.size(); ++i) {
        if (i) out += op == Op::And ? " && " : " || ";
        bool paren = kids[i].op == Op::Or || (op == Op::Or && kids[i].op == Op::And);
        out += paren ? "(" + kids[i].str() + ")" : kids[i].str();
      }
      return out;
    }
  }
  return "";
}

Selector Selector::has(std::string key) { return Selector{Op::Has, std::move(key), {}, {}}; }

Selector Selector::eq(std::string key, std::string value) {
  return Selector{Op::Eq, std::move(key), {std::move(value)}, {}};
}

Selector Selector::not_eq_(std::string key, std::string value) {
  return Selector{Op::NotEq, std::move(key), {std::move(value)}, {}};
}

Selector Selector::in(std::string key, std::vector<std::string> values) {
  return Selector{Op::In, std::move(key), sorted_unique(std::move(values)), {}};
}

Selector Selector::not_in(std::string key, std::vector<std::string> values) {
  return Selector{Op::NotIn, std::move(key), sorted_unique(std::move(values)), {}};
}

Selector Selector::negate(Selector s) { return Selector{Op::Not, {}, {}, {std::move(s)}}; }

static Selector combine(Selector::Op op, std::vector<Selector> kids) {
  std::vector<Selector> flat;
  for (auto& k : kids) {
    if (k.op == op) {
      for (auto& kk : k.kids) flat.push_back(std::move(kk));
    } else if (!(op == Selector::Op::And && k.is_all())) {
      flat.push_back(std::move(k));
    }
  }
  if (op == Selector::Op::And && flat.empty()) return Selector::all();
  if (flat.size() == 1) return std::move(flat[0]);
  return Selector{op, {}, {}, std::move(flat)};
}

Selector Selector::conj(std::vector<Selector> kids) { return combine(Op::And, std::move(kids)); }
Selector Selector::disj(std::vector<Selector> kids) { return combine(Op::Or, std::move(kids)); }

}  // namespace nv::ir
