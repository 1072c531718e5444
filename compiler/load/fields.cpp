#include "compiler/load/fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace nv::load {

MapReader::MapReader(Ctx& ctx, const YNode& node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!node.is_map() && !node.is_null()) {
    ok_ = false;
    ctx.error(ir::Code::NV1021, node,
              "`" + path_ + "` must be a mapping, found a " + kind_name(node.kind));
  }
}

const YNode* MapReader::get(std::string_view key) {
  read_.push_back(key);
  if (!ok_) return nullptr;
  const YNode* v = node_.get(key);
  return v && !v->is_null() ? v : nullptr;
}

void MapReader::wrong_type(std::string_view key, const YNode& v, const char* expected) {
  std::string found = kind_name(v.kind);
  if (v.is_scalar())
    found = (v.plain ? "the value " : "the string ") + ("\"" + std::string(v.value) + "\"");
  ctx_.error(ir::Code::NV1021, v,
             "`" + path_ + "." + std::string(key) + "` must be " + expected + ", found " + found);
}

std::optional<std::string> MapReader::string(std::string_view key) {
  const YNode* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_scalar()) {
    wrong_type(key, *v, "a string");
    return std::nullopt;
  }
  if (ctx_.strict_strings)
    if (auto why = not_a_string(*v)) {
      ctx_.error(ir::Code::NV1021, *v, "`" + path_ + "." + std::string(key) + "` must be a string: " + *why);
      return std::nullopt;
    }
  return std::string(v->value);
}

const char* Resolved::name() const {
  switch (type) {
    case Type::String:
      return "string";
    case Type::Null:
      return "null";
    case Type::Bool:
      return "boolean";
    case Type::Int:
      return "integer";
    case Type::Float:
      return "number";
  }
  return "";
}

// strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b prefixes or a leading 0 (octal).
static std::optional<int64_t> go_parse_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    if (p == 'x') base = 16, s.remove_prefix(2);
    else if (p == 'o') base = 8, s.remove_prefix(2);
    else if (p == 'b') base = 2, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  if (v > (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// goyaml.v2's float syntax: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
static bool yaml_float(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Resolved resolve_plain(std::string_view text) {
  using T = Resolved::Type;
  Resolved r;
  static constexpr std::string_view yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                             "true", "True", "TRUE"};
  static constexpr std::string_view no[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF",
                                            "false", "False", "FALSE"};
  for (auto w : yes)
    if (text == w) return {T::Bool, 0, 0, true, false};
  for (auto w : no)
    if (text == w) return {T::Bool, 0, 0, false, false};
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return {T::Null, 0, 0, false, false};
  static constexpr std::string_view specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                                  "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  for (auto w : specials)
    if (text == w) return {T::Float, 0, 0, false, false};
  char c = text[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return r;
  std::string plain;
  for (char ch : text)
    if (ch != '_') plain += ch;
  if (auto i = go_parse_int(plain)) return {T::Int, *i, 0, false, true};
  if (yaml_float(plain)) {
    double f = std::strtod(plain.c_str(), nullptr);
    Resolved out{T::Float, 0, f, false, false};
    if (std::isfinite(f) && f == std::floor(f) && std::fabs(f) < 9.2e18) {
      out.integral = true;
      out.i = static_cast<int64_t>(f);
    }
    return out;
  }
  return r;
}

std::optional<int64_t> as_integer(const YNode& n) {
  if (!n.is_scalar() || !n.plain) return std::nullopt;
  Resolved r = resolve_plain(n.value);
  if (r.type == Resolved::Type::Int || (r.type == Resolved::Type::Float && r.integral)) return r.i;
  return std::nullopt;
}

std::optional<std::string> not_a_string(const YNode& n) {
  if (!n.is_scalar() || !n.plain) return std::nullopt;
  Resolved r = resolve_plain(n.value);
  if (r.type == Resolved::Type::String || r.type == Resolved::Type::Null) return std::nullopt;
  return std::string("YAML reads `") + std::string(n.value) + "` as a " + r.name() +
         "; quote it to make it a string";
}

std::optional<int64_t> MapReader::integer(std::string_view key) {
  const YNode* v = get(key);
  if (!v) return std::nullopt;
  auto i = as_integer(*v);
  if (!i) wrong_type(key, *v, "an integer");
  return i;
}

std::optional<bool> MapReader::boolean(std::string_view key) {
  const YNode* v = get(key);
  if (!v) return std::nullopt;
  if (v->is_scalar() && v->plain) {
    Resolved r = resolve_plain(v->value);
    if (r.type == Resolved::Type::Bool) return r.b;
  }
  wrong_type(key, *v, "a boolean");
  return std::nullopt;
}

std::optional<IntOrString> MapReader::int_or_string(std::string_view key) {
  const YNode* v = get(key);
  if (!v) return std::nullopt;
  if (auto i = as_integer(*v)) return IntOrString{*i};
  if (v->is_scalar() && v->plain && resolve_plain(v->value).type != Resolved::Type::String) {
    wrong_type(key, *v, "an integer or a string");  // `true`, `80.5`, `.inf`
    return std::nullopt;
  }
  if (v->is_scalar()) return IntOrString{std::string(v->value)};
  wrong_type(key, *v, "an integer or a string");
  return std::nullopt;
}

const YNode* MapReader::list(std::string_view key) {
  const YNode* v = get(key);
  if (v && !v->is_seq()) {
    wrong_type(key, *v, "a list");
    return nullptr;
  }
  return v;
}

const YNode* MapReader::map(std::string_view key) {
  const YNode* v = get(key);
  if (v && !v->is_map()) {
    wrong_type(key, *v, "a mapping");
    return nullptr;
  }
  return v;
}

void MapReader::reject_unknown(std::initializer_list<std::string_view> ignored) {
  if (!ok_) return;
  for (auto [k, v] : node_.entries()) {
    if (!k.is_scalar()) {
      ctx_.error(ir::Code::NV1020, k, "`" + path_ + "` has a key that is not a string");
      continue;
    }
    std::string_view key = k.value;
    if (std::find(read_.begin(), read_.end(), key) != read_.end()) continue;
    if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
    ctx_.error(ir::Code::NV1020, k, "unknown field `" + path_ + "." + std::string(k.value) + "`");
  }
}

}  // namespace nv::load
