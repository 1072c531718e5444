// Calico `http` matches (projectcalico/calico api/pkg/apis/projectcalico/v3/policy_common.go
// HTTPMatch {methods []string, paths []HTTPPath{exact, prefix}}).
//
// Validation follows libcalico-go/lib/validator/v3/validator.go:
//   validateHTTPRule: methods without duplicates; each path sets exactly one of exact and
//     prefix, starts with '/' and contains none of '?', ' ', '#';
//   validateRule: protocol TCP or unset ("rules that specify HTTP fields must set protocol
//     to TCP or empty"); ruleUsesAppLayerPolicy on a rule other than Allow: "only valid for
//     Allow rules";
//   validateNetworkPolicy / validateGlobalNetworkPolicy: http on an egress rule: "not
//     allowed in egress rule(s)".
// Matching follows Dikastes, which enforces these rules for Envoy (app-policy/checker/
// check.go matchHTTP): methods and paths both have to match (an empty list matches all);
// a method matches when it equals one listed (case-sensitive, as the API docs say) or one
// listed is "*"; the request path has its query ('?...') and fragment ('#...') cut off and
// then equals an exact path or starts with a prefix (strings.HasPrefix, byte-wise, not per
// segment). The IR's request path is Envoy's `:path`, query included, so an exact path P
// becomes P | P?.* | P#.* here, and a prefix P (which has no '?' or '#') stays P.*.
#include "compiler/frontends/calico/http.h"

#include <set>

namespace nv::calico {

using load::MapReader;
using load::YNode;

namespace {

// One entry of `paths`, as a regular expression over the whole `:path`; nullopt on error.
std::optional<ir::Regex> http_path(load::Ctx& ctx, const YNode& node, const std::string& path) {
  MapReader r(ctx, node, path);
  auto exact = r.string("exact");
  auto prefix = r.string("prefix");
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;
  bool has_exact = exact && !exact->empty(), has_prefix = prefix && !prefix->empty();
  if (has_exact == has_prefix) {
    ctx.error(
        ir::Code::NV5030, node,
        "`" + path + "`: " +
            (has_exact ? "both exact and prefix are set" : "one of exact and prefix must be set") +
            " (Calico rejects it)");
    return std::nullopt;
  }
  const std::string& v = has_exact ? *exact : *prefix;
  if (v.front() != '/' || v.find_first_of("? #") != std::string::npos) {
    ctx.error(ir::Code::NV5030, *node.get(has_exact ? "exact" : "prefix"),
              "`" + path + (has_exact ? ".exact" : ".prefix") + "`: \"" + v +
                  "\" is not a path Calico accepts (it must start with '/' and contain no "
                  "'?', '#' or space)");
    return std::nullopt;
  }
  return has_prefix ? ir::Regex::prefix(v) : ir::Regex::exact_path(v);
}

}  // namespace

std::optional<ir::L7Match> lower_http(load::Ctx& ctx, const YNode& node, const YNode& key,
                                      const std::string& path, const HttpPlacement& where) {
  size_t errors = ctx.diags.error_count();
  if (where.direction == ir::Direction::Egress)
    ctx.error(ir::Code::NV5043, key,
              "`" + path +
                  "`: HTTP matches are not allowed in egress rules (Calico rejects them: "
                  "Dikastes sees the requests a workload receives)");
  if (where.has_action && where.action != ir::Action::Allow)
    ctx.error(ir::Code::NV5043, key,
              "`" + path +
                  "`: HTTP matches are only valid on Allow rules (Calico rejects them "
                  "on Deny, Pass and Log rules)");
  if (where.protocol && *where.protocol != ir::kTCP && where.protocol_node)
    ctx.error(ir::Code::NV5043, *where.protocol_node,
              "rules that specify HTTP fields must set protocol to TCP or leave it empty "
              "(`" +
                  path + "`)");

  MapReader r(ctx, node, path);
  const YNode* methods = r.list("methods");
  const YNode* paths = r.list("paths");
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;

  ir::HttpRule h;
  h.where = path;
  if (methods && !methods->items().empty()) {
    std::set<std::string> seen;
    std::vector<ir::Regex> alts;
    bool any = false;
    for (size_t i = 0; i < methods->items().size(); ++i) {
      const YNode& m = methods->items()[i];
      if (!m.is_scalar() || load::not_a_string(m)) {
        ctx.error(ir::Code::NV1021, m, "`" + path + ".methods` must be a list of strings");
        continue;
      }
      if (!seen.insert(std::string(m.value)).second) {
        ctx.error(ir::Code::NV5030, m,
                  "`" + path + ".methods[" + std::to_string(i) + "]`: \"" + std::string(m.value) +
                      "\" is listed twice (Calico rejects duplicate methods)");
        continue;
      }
      if (m.value == "*") any = true;  // matchHTTPMethods: "*" matches every method
      alts.push_back(ir::Regex::literal(m.value));
    }
    if (!any) h.method = ir::Regex::alt(std::move(alts));
  }
  if (paths && !paths->items().empty()) {
    std::vector<ir::Regex> alts;
    for (size_t i = 0; i < paths->items().size(); ++i)
      if (auto re = http_path(ctx, paths->items()[i], path + ".paths[" + std::to_string(i) + "]"))
        alts.push_back(std::move(*re));
    if (alts.size() == paths->items().size()) h.path = ir::Regex::alt(std::move(alts));
  }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  ir::L7Match m;
  m.http.push_back(std::move(h));
  m.answer = "Dikastes denies it: Envoy answers 403 Forbidden";
  return m;
}

}  // namespace nv::calico
