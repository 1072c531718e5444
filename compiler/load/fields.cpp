#include "compiler/load/fields.h"

#include <algorithm>
#include <charconv>

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
  if (v.is_scalar()) found = (v.plain ? "the value " : "the string ") + ("\"" + v.value + "\"");
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
  return v->value;
}

std::optional<int64_t> as_integer(const YNode& n) {
  if (!n.is_scalar() || !n.plain) return std::nullopt;
  std::string_view s = n.value;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
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
    static const char* yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char* no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (auto w : yes)
      if (v->value == w) return true;
    for (auto w : no)
      if (v->value == w) return false;
  }
  wrong_type(key, *v, "a boolean");
  return std::nullopt;
}

std::optional<IntOrString> MapReader::int_or_string(std::string_view key) {
  const YNode* v = get(key);
  if (!v) return std::nullopt;
  if (auto i = as_integer(*v)) return IntOrString{*i};
  if (v->is_scalar()) return IntOrString{v->value};
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
    ctx_.error(ir::Code::NV1020, k, "unknown field `" + path_ + "." + k.value + "`");
  }
}

}  // namespace nv::load
