// Cilium's L7 rules (toPorts[].rules.http / .dns) and DNS names (toFQDNs), lowered to the
// IR's L7 constraints and FQDN peers.
//
// Upstream: pkg/policy/api/{http.go,l4.go,fqdn.go,rule_validation.go}, the Envoy
// translation in pkg/envoy (server.go getHTTPRule) and pkg/fqdn/matchpattern.
#include <cctype>

#include "compiler/frontends/cilium/lower.h"
#include "ir/fqdn_pattern.h"

namespace nv::cilium {

using load::MapReader;
using load::YNode;

namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_dns_chars(std::string_view s, bool star) {
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          (star && c == '*')))
      return false;
  return !s.empty();
}

// A DNS name as the IR compares it: lower-case, without the trailing dot (dns.FQDN adds
// one to both the name and the pattern, so dropping it from both changes nothing).
std::string fqdn_text(std::string_view s) {
  std::string n = lower(s);
  while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.pop_back();
  size_t b = n.find_first_not_of(" \t");
  n = b == std::string::npos ? "" : n.substr(b);
  if (n.size() > 1 && n.back() == '.') n.pop_back();
  return n;
}

// An FQDNSelector (fqdn.go): exactly one of matchName and matchPattern, each of the
// characters upstream allows (allowedMatchNameChars / allowedPatternChars).
std::optional<ir::Regex> fqdn_selector(load::Ctx& ctx, const YNode& node, const std::string& path) {
  MapReader r(ctx, node, path);
  auto name = r.string("matchName");
  auto pattern = r.string("matchPattern");
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;
  bool has_name = name && !name->empty(), has_pattern = pattern && !pattern->empty();
  if (has_name == has_pattern) {
    ctx.error(ir::Code::NV6031, node,
              "`" + path + "` must set exactly one of matchName and matchPattern");
    return std::nullopt;
  }
  std::string text = fqdn_text(has_name ? *name : *pattern);
  if (!valid_dns_chars(text, has_pattern) || text.find("..") != std::string::npos) {
    ctx.error(ir::Code::NV6031, *node.get(has_name ? "matchName" : "matchPattern"),
              "`" + path + (has_name ? ".matchName" : ".matchPattern") + "`: \"" +
                  (has_name ? *name : *pattern) + "\" is not a DNS name" +
                  (has_pattern ? " pattern" : "") + " (letters, digits, '-', '_', '.'" +
                  (has_pattern ? " and '*'" : "") + " only)");
    return std::nullopt;
  }
  return has_name ? ir::Regex::literal(text) : ir::fqdn_pattern(text);  // ir/fqdn_pattern.h
}

// An HTTP method, path or host: an RE2 regular expression that Envoy matches against the
// whole `:method`, `:path` or `:authority` (safe_regex). Empty means no constraint.
bool http_field(load::Ctx& ctx, MapReader& r, const YNode& node, const char* key,
                const std::string& path, std::optional<ir::Regex>& out) {
  auto v = r.string(key);
  if (!v || v->empty()) return true;
  auto parsed = ir::parse_regex(*v);
  if (auto* err = std::get_if<ir::RegexError>(&parsed)) {
    ctx.error(ir::Code::NV6041, *node.get(key),
              "`" + path + "." + key + "`: \"" + *v +
                  "\" is not a regular expression netverify accepts: " + err->message +
                  " (at byte " + std::to_string(err->offset) + ")");
    return false;
  }
  out = std::get<ir::Regex>(std::move(parsed));
  return true;
}

std::optional<ir::HttpRule> http_rule(load::Ctx& ctx, const YNode& node, const std::string& path) {
  size_t errors = ctx.diags.error_count();
  MapReader r(ctx, node, path);
  ir::HttpRule h;
  h.where = path;
  http_field(ctx, r, node, "method", path, h.method);
  http_field(ctx, r, node, "path", path, h.path);
  http_field(ctx, r, node, "host", path, h.host);
  const YNode* headers = r.list("headers");
  const YNode* header_matches = r.list("headerMatches");
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;
  // headers: "Name" (present) or "Name: value" / "Name value" (exactly that value), as
  // pkg/envoy getHTTPRule splits them: strings.SplitN(hdr, " ", 2), the name with its
  // trailing ':' trimmed. Envoy compares header names case-insensitively.
  if (headers)
    for (size_t i = 0; i < headers->items().size(); ++i) {
      const YNode& hn = headers->items()[i];
      if (!hn.is_scalar() || load::not_a_string(hn)) {
        ctx.error(ir::Code::NV1021, hn, "`" + path + ".headers` must be a list of strings");
        continue;
      }
      size_t sp = hn.value.find(' ');
      std::string name(hn.value.substr(0, sp));
      while (!name.empty() && name.back() == ':') name.pop_back();
      if (name.empty()) {
        ctx.error(ir::Code::NV6042, hn,
                  "`" + path + ".headers[" + std::to_string(i) + "]` has no header name");
        continue;
      }
      ir::HeaderMatch m{lower(name), std::nullopt};
      if (sp != std::string::npos) m.value = hn.value.substr(sp + 1);
      h.headers.push_back(std::move(m));
    }
  // headerMatches (http.go HeaderMatch), as pkg/envoy's L7 rules translator (getHTTPRule)
  // hands them to Envoy:
  // - no mismatch action, no secret: a value becomes an exact match, no value a
  //   present_match: the header must be present;
  // - a mismatch action (LOG, ADD, DELETE, REPLACE) goes to cilium-envoy's HeaderMatch,
  //   whose allowed() (cilium/proxy cilium/network_policy.cc) returns true on every mismatch
  //   action: it logs or edits the header and the rule still matches. The edits happen only
  //   in a rule whose other conditions (Envoy matchers, checked first) have passed, so that
  //   rule allows the request anyway: such an entry is no condition on reachability;
  // - a secret: the value is in a Kubernetes Secret netverify does not read: refused.
  if (header_matches)
    for (size_t i = 0; i < header_matches->items().size(); ++i) {
      std::string hp = path + ".headerMatches[" + std::to_string(i) + "]";
      const YNode& hn = header_matches->items()[i];
      MapReader hr(ctx, hn, hp);
      auto name = hr.string("name");
      auto value = hr.string("value");
      auto mismatch = hr.string("mismatch");
      const YNode* secret = hr.get("secret");
      hr.reject_unknown();
      if (!hr.ok()) continue;
      if (!name || name->empty()) {
        ctx.error(ir::Code::NV6043, hn, "`" + hp + "` needs a name (Cilium rejects it)");
        continue;
      }
      if (secret) {
        ctx.error(ir::Code::NV6043, *hn.key_node("secret"),
                  "`" + hp +
                      ".secret`: the header value is in a Kubernetes Secret that netverify does "
                      "not read; not supported");
        continue;
      }
      if (mismatch && !mismatch->empty()) {
        // http.go PortRuleHTTP.Sanitize: only these four actions are valid.
        if (*mismatch != "LOG" && *mismatch != "ADD" && *mismatch != "DELETE" &&
            *mismatch != "REPLACE") {
          ctx.error(ir::Code::NV6043, *hn.get("mismatch"),
                    "`" + hp + ".mismatch`: \"" + *mismatch +
                        "\" is not a mismatch action (LOG, ADD, DELETE or REPLACE; Cilium "
                        "rejects it)");
          continue;
        }
        continue;  // the request is forwarded whether the header matches or not
      }
      ir::HeaderMatch m{lower(*name), std::nullopt};
      if (value && !value->empty()) m.value = *value;
      h.headers.push_back(std::move(m));
    }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  return h;
}

}  // namespace

std::optional<ir::L7Match> l7_rules(load::Ctx& ctx, const YNode& node, const std::string& path,
                                    ir::Direction dir, const std::vector<ir::PortMatch>& ports) {
  size_t errors = ctx.diags.error_count();
  MapReader r(ctx, node, path);
  const YNode* http = r.list("http");
  const YNode* dns = r.list("dns");
  for (const char* key : {"kafka", "l7proto", "l7"})
    if (r.get(key))
      ctx.error(
          ir::Code::NV6030, *node.key_node(key),
          "`" + path + "." + key + "`: " + key +
              " L7 rules are not supported yet (http and dns are); netverify refuses the policy "
              "rather than ignore them");
  r.reject_unknown();
  if (!r.ok() || ctx.diags.error_count() != errors) return std::nullopt;
  bool has_http = http && !http->items().empty(), has_dns = dns && !dns->items().empty();
  // L7Rules.IsEmpty: no rules of any kind leaves the port an L4 rule (rule_validation.go
  // PortRule.sanitize: `case pr.Rules.IsEmpty()` skips every L7 check, and the Envoy
  // policy of such a port is L3/L4 only).
  if (!has_http && !has_dns) return std::nullopt;
  if (has_http && has_dns) {
    ctx.error(ir::Code::NV6042, node,
              "`" + path + "` mixes http and dns rules (Cilium rejects it)");
    return std::nullopt;
  }
  ir::L7Match m;
  if (has_http) {
    // rule_validation.go PortRule.sanitize: L7 rules other than DNS apply to TCP ports only;
    // ANY is refused too ("L7 rules can only apply to TCP (not ANY) except for DNS rules").
    for (const auto& pm : ports)
      if (pm.proto != ir::kTCP) {
        ctx.error(ir::Code::NV6042, node,
                  "`" + path +
                      "`: HTTP rules apply to TCP only; every port of this toPorts entry "
                      "needs protocol TCP (Cilium rejects other protocols, ANY included)");
        return std::nullopt;
      }
    for (size_t i = 0; i < http->items().size(); ++i)
      if (auto h = http_rule(ctx, http->items()[i], path + ".http[" + std::to_string(i) + "]"))
        m.http.push_back(std::move(*h));
    m.answer = "Cilium's proxy answers 403 Access denied";
  } else {
    if (dir == ir::Direction::Ingress) {
      ctx.error(
          ir::Code::NV6042, node,
          "`" + path + ".dns`: DNS rules are egress rules only (Cilium rejects them on ingress)");
      return std::nullopt;
    }
    // Any port: rule_validation.go PortRule.sanitize lets DNS rules sit on TCP, UDP or ANY
    // ports of any number ("DNS L7 rules can be TCP, UDP or ANY"); the DNS proxy answers
    // the queries sent to those ports. A query is DNS content on the packet, so the port
    // part stays the entry's ports.
    for (size_t i = 0; i < dns->items().size(); ++i) {
      std::string dp = path + ".dns[" + std::to_string(i) + "]";
      if (auto re = fqdn_selector(ctx, dns->items()[i], dp)) m.dns.push_back({std::move(*re), dp});
    }
    m.answer = "Cilium's DNS proxy answers REFUSED";
  }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  return m;
}

std::optional<ir::Peer> fqdn_peer(load::Ctx& ctx, const YNode& list, const std::string& path) {
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::External);
  p.fqdns.emplace();
  bool ok = true;
  for (size_t i = 0; i < list.items().size(); ++i) {
    if (auto re = fqdn_selector(ctx, list.items()[i], path + "[" + std::to_string(i) + "]"))
      p.fqdns->push_back(std::move(*re));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return p;
}

}  // namespace nv::cilium
