// Label keys, values and selectors, validated as apimachinery does
// (k8s.io/apimachinery/pkg/util/validation, pkg/apis/meta/v1/validation).
#include <cctype>

#include "compiler/frontends/k8s/k8s.h"

namespace nv::k8s {

using load::MapReader;
using load::not_a_string;
using load::YNode;

static bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
static bool qualified_name_part(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// A lowercase RFC 1123 subdomain, at most 253 characters.
static bool dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
            c == '-'))
        return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_label_key(std::string_view key, std::string* why) {
  auto slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!dns_subdomain(prefix)) {
      *why = "the prefix must be a lowercase DNS subdomain";
      return false;
    }
  }
  if (!qualified_name_part(name)) {
    *why =
        "the name part must be 1-63 characters of letters, digits, '-', '_' or '.', beginning "
        "and ending with a letter or digit";
    return false;
  }
  return true;
}

bool valid_label_value(std::string_view value, std::string* why) {
  if (value.empty() || qualified_name_part(value)) return true;
  *why =
      "a label value must be empty or 1-63 characters of letters, digits, '-', '_' or '.', "
      "beginning and ending with a letter or digit";
  return false;
}

bool valid_port_name(std::string_view name, std::string* why) {
  bool letter = false;
  if (name.empty() || name.size() > 15) {
    *why = "a port name must be 1-15 characters";
    return false;
  }
  for (char c : name) {
    if (std::islower(static_cast<unsigned char>(c))) letter = true;
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      *why = "a port name may contain only lowercase letters, digits and '-'";
      return false;
    }
  }
  if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string_view::npos) {
    *why = "a port name may not begin or end with '-' or contain '--'";
    return false;
  }
  if (!letter) {
    *why = "a port name must contain at least one letter (write a port number without quotes)";
    return false;
  }
  return true;
}

ir::Labels lower_labels(load::Ctx& ctx, const YNode* node, const std::string& path,
                        bool validate) {
  ir::Labels out;
  if (!node) return out;
  if (!node->is_map()) {
    ctx.error(ir::Code::NV1021, *node, "`" + path + "` must be a mapping of label keys to values");
    return out;
  }
  for (auto [k, v] : node->entries()) {
    if (!k.is_scalar() || !(v.is_scalar() || v.is_null())) {
      ctx.error(ir::Code::NV1021, k.is_scalar() ? v : k,
                "`" + path + "` must map label keys to string values");
      continue;
    }
    std::string why;
    if (ctx.strict_strings) {
      auto key_why = not_a_string(k), value_why = not_a_string(v);
      if (key_why || value_why) {
        ctx.error(ir::Code::NV1021, key_why ? k : v, "`" + path + "` must map strings to strings: " +
                                                         (key_why ? *key_why : *value_why));
        continue;
      }
    }
    if (validate && !valid_label_key(k.value, &why)) {
      ctx.error(ir::Code::NV2003, k, "invalid label key \"" + std::string(k.value) + "\": " + why);
      continue;
    }
    if (validate && !valid_label_value(v.value, &why)) {
      ctx.error(ir::Code::NV2004, v,
                "invalid value \"" + std::string(v.value) + "\" for label " + std::string(k.value) +
                    ": " + why);
      continue;
    }
    out[std::string(k.value)] = std::string(v.value);
  }
  return out;
}

std::optional<ir::Selector> lower_label_selector(load::Ctx& ctx, const YNode& node,
                                                 const std::string& path) {
  MapReader r(ctx, node, path);
  if (!r.ok()) return std::nullopt;
  std::vector<ir::Selector> terms;
  size_t errors = ctx.diags.error_count();
  ir::Labels ml = lower_labels(ctx, r.get("matchLabels"), path + ".matchLabels", true);
  for (const auto& [k, v] : ml) terms.push_back(ir::Selector::eq(k, v));
  if (const YNode* exprs = r.list("matchExpressions")) {
    for (size_t i = 0; i < exprs->items().size(); ++i) {
      std::string epath = path + ".matchExpressions[" + std::to_string(i) + "]";
      const YNode& e = exprs->items()[i];
      MapReader er(ctx, e, epath);
      auto key = er.string("key");
      auto op = er.string("operator");
      const YNode* values_node = er.list("values");
      er.reject_unknown();
      if (!er.ok()) continue;
      if (!key || key->empty()) {
        ctx.error(ir::Code::NV1022, e, "`" + epath + ".key` is required");
        continue;
      }
      std::string why;
      if (!valid_label_key(*key, &why)) {
        ctx.error(ir::Code::NV2003, *e.get("key"), "invalid label key \"" + *key + "\": " + why);
        continue;
      }
      std::vector<std::string> values;
      if (values_node)
        for (const auto& v : values_node->items()) {
          if (auto not_str = ctx.strict_strings ? not_a_string(v) : std::nullopt) {
            ctx.error(ir::Code::NV1021, v, "`" + epath + ".values()` must be strings: " + *not_str);
            continue;
          }
          if (!v.is_scalar()) {
            ctx.error(ir::Code::NV1021, v, "`" + epath + ".values()` must be a list of strings");
            continue;
          }
          if (!valid_label_value(v.value, &why))
            ctx.error(ir::Code::NV2004, v,
                      "invalid value \"" + std::string(v.value) + "\": " + why);
          values.push_back(std::string(v.value));
        }
      const YNode& at = e.get("operator") ? *e.get("operator") : e;
      if (!op) {
        ctx.error(ir::Code::NV1022, e, "`" + epath + ".operator` is required");
      } else if (*op == "In" || *op == "NotIn") {
        if (values.empty()) {
          ctx.error(ir::Code::NV2002, at, "operator " + *op + " needs at least one value");
          continue;
        }
        terms.push_back(*op == "In" ? ir::Selector::in(*key, values)
                                    : ir::Selector::not_in(*key, values));
      } else if (*op == "Exists" || *op == "DoesNotExist") {
        if (values_node && !values_node->items().empty()) {
          ctx.error(ir::Code::NV2002, *values_node, "operator " + *op + " takes no values");
          continue;
        }
        terms.push_back(*op == "Exists" ? ir::Selector::has(*key)
                                        : ir::Selector::negate(ir::Selector::has(*key)));
      } else {
        ctx.error(ir::Code::NV2001, at,
                  "unknown operator \"" + *op + "\" (expected In, NotIn, Exists or DoesNotExist)");
      }
    }
  }
  r.reject_unknown();
  if (ctx.diags.error_count() != errors) return std::nullopt;
  return ir::Selector::conj(std::move(terms));
}

}  // namespace nv::k8s
