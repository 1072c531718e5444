// Calico NetworkPolicy / GlobalNetworkPolicy (projectcalico.org/v3) to IR, with upstream's
// validation (libcalico-go lib/validator/v3/validator.go, lib/names/policy.go), defaulting
// (api/pkg/defaults/networkpolicy.go) and conversion (libcalico-go lib/backend/syncersv1/
// updateprocessors/{networkpolicyprocessor,globalnetworkpolicyprocessor,rules}.go).
#include "compiler/frontends/calico/policy.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "compiler/frontends/calico/http.h"
#include "compiler/frontends/calico/selector.h"
#include "compiler/frontends/k8s/k8s.h"

namespace nv::calico {

using load::MapReader;
using load::YNode;

std::optional<ir::Selector> read_selector(load::Ctx& ctx, const YNode& n, const std::string& path,
                                         const SelectorOptions& options) {
  SelectorError err;
  auto s = parse_selector(n.value, options, &err);
  if (s) return s;
  // The error's column: a single-line plain scalar's text starts at the node's column, a
  // quoted one just after the quote. Approximate for quoted scalars with escapes and for
  // scalars folded over several lines.
  ir::SourceSpan at = ctx.at(n);
  at.col += static_cast<int>(err.offset) + (n.plain ? 0 : 1);
  ctx.diags.report(err.code, at, "`" + path + "`: invalid selector: " + err.message);
  return std::nullopt;
}

std::optional<double> read_number(load::Ctx& ctx, const YNode& n, const std::string& path) {
  if (n.is_scalar() && n.plain) {
    load::Resolved r = load::resolve_plain(n.value);
    if (r.type == load::Resolved::Type::Int) return static_cast<double>(r.i);
    if (r.type == load::Resolved::Type::Float) {
      if (std::isfinite(r.f)) return r.f;
      ctx.error(ir::Code::NV5013, n,
                "`" + path + "` must be a finite number, found " + std::string(n.value));
      return std::nullopt;
    }
  }
  ctx.error(ir::Code::NV1021, n,
            "`" + path + "` must be a number, found " +
                (n.is_scalar() ? "the string \"" + std::string(n.value) + "\""
                               : std::string(load::kind_name(n.kind))));
  return std::nullopt;
}

namespace {

const YNode& empty_map() {
  static const YNode n = [] {
    YNode m;
    m.kind = YNode::Kind::Map;
    return m;
  }();
  return n;
}

// validator.go nameLabelFmt: [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && i > 0 && i + 1 < s.size())) return false;
  }
  return true;
}

bool is_subdomain(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!is_label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// names.policyNameIsFormatted: names Calico generates for other kinds of policy.
bool generated_name(const std::string& name) {
  for (const char* p : {"knp.default.", "kcnp.kube-admin.", "kcnp.kube-baseline.", "ossg."})
    if (name.starts_with(p)) return true;
  return false;
}

// validator.go networkPolicyNameRegex / globalNetworkPolicyNameRegex.
bool valid_policy_name(const std::string& name, bool global) {
  size_t dot = name.find('.');
  std::string_view first = std::string_view(name).substr(0, dot);
  if (dot == std::string::npos) return is_label(name);
  std::string_view rest = std::string_view(name).substr(dot + 1);
  if (is_label(first) && is_label(rest)) return true;
  if (global) return false;
  for (const char* p : {"knp.default.", "ossg.default."})
    if (name.starts_with(p)) return is_subdomain(std::string_view(name).substr(std::string(p).size()));
  return false;
}

// validator.go checks for global() in the text (a label value included).
bool contains_global(const std::string& s) { return s.find("global(") != std::string::npos; }

void global_error(load::Ctx& ctx, const YNode& n, const std::string& text, const std::string& message) {
  ir::SourceSpan at = ctx.at(n);
  at.col += static_cast<int>(text.find("global(")) + (n.plain ? 0 : 1);  // approximate if quoted
  ctx.diags.report(ir::Code::NV5021, at, message);
}

// validateEntityRule: a namespaceSelector with global() must be only that.
bool only_global(const std::string& s) {
  std::string t;
  for (char c : s)
    if (c != ' ' && c != '\t') t += c;
  return t == "global()";
}

// A rule, and the pods its own side admits (nullopt: it does not constrain them).
struct LoweredRule {
  ir::Rule rule;
  std::optional<Region> own;
};

// One side of a rule as written.
struct Entity {
  const YNode* node = nullptr;
  std::vector<ir::Cidr> nets, not_nets;
  std::optional<ir::Selector> selector, not_selector, ns_selector;
  std::optional<ir::Selector> service_accounts;  // over Calico's keys, unscoped
  std::vector<PortRange> ports, not_ports;
  std::vector<std::string> named, not_named;
  const YNode *nets_n = nullptr, *not_nets_n = nullptr, *selector_n = nullptr, *not_selector_n = nullptr,
              *ns_selector_n = nullptr, *ports_n = nullptr, *not_ports_n = nullptr, *sa_n = nullptr,
              *services_n = nullptr;
};

struct Lowering {
  load::Ctx& ctx;
  const std::string& ns;  // the policy's namespace; empty for a GlobalNetworkPolicy
  const std::vector<NetworkSet>& sets;

  std::optional<ir::Cidr> net(const YNode& n, const std::string& path) {
    if (!n.is_scalar()) {
      ctx.error(ir::Code::NV1021, n, "`" + path + "` must be a string (a CIDR)");
      return std::nullopt;
    }
    bool host_bits = false;
    auto c = ir::Cidr::parse(n.value, &host_bits);
    if (!c) {
      ctx.error(ir::Code::NV5019, n,
                "`" + path + "`: invalid CIDR \"" + std::string(n.value) + "\" (address/length)");
      return std::nullopt;
    }
    if (host_bits) {
      ctx.error(ir::Code::NV5019, n,
                "`" + path + "`: " + std::string(n.value) +
                    " is not a network address (Calico requires " + c->str() + ")");
      return std::nullopt;
    }
    return c;
  }

  void nets(const YNode* list, const std::string& path, std::vector<ir::Cidr>& out) {
    if (!list) return;
    for (size_t i = 0; i < list->items().size(); ++i)
      if (auto c = net(list->items()[i], path + "[" + std::to_string(i) + "]")) out.push_back(*c);
  }

  // A numorstring.Port: an integer, "lo:hi" or a port name (port.go PortFromString,
  // validator.go validatePort and validatePortName).
  void port(const YNode& n, const std::string& path, std::vector<PortRange>& ranges,
            std::vector<std::string>& names) {
    auto bad = [&](const std::string& why) { ctx.error(ir::Code::NV5018, n, "`" + path + "`: " + why); };
    if (!n.is_scalar()) {
      ctx.error(ir::Code::NV1021, n, "`" + path + "` must be a port number, \"lo:hi\" or a port name");
      return;
    }
    auto number = [&](std::string_view digits) -> std::optional<uint32_t> {
      if (digits.empty() || digits.size() > 5) return std::nullopt;
      uint32_t v = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint32_t>(c - '0');
      }
      return v;
    };
    if (n.plain) {
      if (auto i = load::as_integer(n)) {
        if (*i < 1 || *i > 65535)
          return bad("port " + std::string(n.value) + " is outside 1..65535");
        ranges.push_back({static_cast<uint16_t>(*i), static_cast<uint16_t>(*i)});
        return;
      }
      if (load::resolve_plain(n.value).type != load::Resolved::Type::String)
        return bad("\"" + std::string(n.value) +
                   "\" is not a port number, \"lo:hi\" or a port name");
    }
    const std::string s(n.value);
    if (auto v = number(s)) {
      if (*v < 1 || *v > 65535) return bad("port " + s + " is outside 1..65535");
      ranges.push_back({static_cast<uint16_t>(*v), static_cast<uint16_t>(*v)});
      return;
    }
    if (size_t colon = s.find(':'); colon != std::string::npos) {
      auto lo = number(std::string_view(s).substr(0, colon));
      auto hi = number(std::string_view(s).substr(colon + 1));
      if (!lo || !hi) return bad("invalid port range \"" + s + "\" (expected lo:hi)");
      if (*lo < 1 || *hi < 1 || *lo > 65535 || *hi > 65535)
        return bad("port range " + s + " is outside 1..65535");
      if (*lo > *hi) return bad("port range " + s + " has its minimum above its maximum");
      ranges.push_back({static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)});
      return;
    }
    std::string why;
    if (!k8s::valid_port_name(s, &why)) return bad("invalid port name \"" + s + "\": " + why);
    names.push_back(s);
  }

  void ports(const YNode* list, const std::string& path, std::vector<PortRange>& ranges,
             std::vector<std::string>& names) {
    if (!list) return;
    for (size_t i = 0; i < list->items().size(); ++i)
      port(list->items()[i], path + "[" + std::to_string(i) + "]", ranges, names);
  }

  // A selector field of a rule: nullopt when absent or empty ("" means unset upstream).
  // validateEntityRule: global() only in a namespaceSelector, and only alone there; it
  // does not look at notSelector, where global() means all() (GlobalNode.Evaluate).
  enum class Field : uint8_t { Selector, NotSelector, Namespace };
  std::optional<ir::Selector> selector(MapReader& r, const char* key, const std::string& path,
                                       const YNode*& node, Field field) {
    bool namespace_field = field == Field::Namespace;
    auto text = r.string(key);
    node = r.get(key);
    if (!text || text->empty()) return std::nullopt;
    std::string p = path + "." + key;
    if (field != Field::NotSelector && contains_global(*text) && !(namespace_field && only_global(*text))) {
      global_error(ctx, *node, *text,
                   namespace_field ? "`" + p + "`: global() cannot be combined with other selectors"
                                   : "`" + p + "`: global() can only be used in a rule's namespaceSelector");
      return std::nullopt;
    }
    SelectorOptions opts;
    if (namespace_field) opts = {all_marker(), global_marker()};
    return read_selector(ctx, *node, p, opts);
  }

  Entity entity(const YNode* n, const std::string& path) {
    Entity e;
    e.node = n;
    if (!n) return e;
    MapReader r(ctx, *n, path);
    e.nets_n = r.list("nets");
    e.not_nets_n = r.list("notNets");
    e.ports_n = r.list("ports");
    e.not_ports_n = r.list("notPorts");
    e.sa_n = r.map("serviceAccounts");
    e.services_n = r.map("services");
    e.selector = selector(r, "selector", path, e.selector_n, Field::Selector);
    e.not_selector = selector(r, "notSelector", path, e.not_selector_n, Field::NotSelector);
    e.ns_selector = selector(r, "namespaceSelector", path, e.ns_selector_n, Field::Namespace);
    r.reject_unknown();
    if (e.sa_n) e.service_accounts = service_accounts(*e.sa_n, path + ".serviceAccounts");
    nets(e.nets_n, path + ".nets", e.nets);
    nets(e.not_nets_n, path + ".notNets", e.not_nets);
    ports(e.ports_n, path + ".ports", e.ports, e.named);
    ports(e.not_ports_n, path + ".notPorts", e.not_ports, e.not_named);
    return e;
  }

  // A ServiceAccountMatch as the selector upstream builds of it (updateprocessors/rules.go
  // parseServiceAccounts): the selector with its keys prefixed `pcsa.`, ANDed with
  // `projectcalico.org/serviceaccount in {names}`; nullopt when both are empty.
  std::optional<ir::Selector> service_accounts(const YNode& n, const std::string& path) {
    MapReader r(ctx, n, path);
    const YNode* names_n = r.list("names");
    const YNode* sel_n = nullptr;
    auto sel = selector(r, "selector", path, sel_n, Field::Selector);
    r.reject_unknown();
    std::optional<ir::Selector> out;
    if (sel) out = prefixed(*sel, kServiceAccountPrefix, ir::Selector::all());
    if (names_n && !names_n->items().empty()) {
      std::vector<std::string> names;
      for (size_t i = 0; i < names_n->items().size(); ++i) {
        const YNode& item = names_n->items()[i];
        if (!item.is_scalar() || load::not_a_string(item)) {
          ctx.error(ir::Code::NV1021, item,
                    "`" + path + ".names[" + std::to_string(i) + "]` must be a string");
          continue;
        }
        names.push_back(std::string(item.value));
      }
      auto in = ir::Selector::in(kLabelServiceAccount, names);
      out = out ? raw_and(*out, in) : in;
    }
    return out;
  }

  // numorstring.Protocol: 1..255 or a name of validator.go protocolRegex.
  std::optional<int> protocol(const YNode& n, const std::string& path) {
    if (!n.is_scalar()) {
      ctx.error(ir::Code::NV1021, n, "`" + path + "` must be a protocol name or number");
      return std::nullopt;
    }
    std::optional<int64_t> num;
    if (n.plain) num = load::as_integer(n);
    if (!num && !n.value.empty() && n.value.size() <= 3 &&
        n.value.find_first_not_of("0123456789") == std::string::npos)
      num = std::stoi(std::string(n.value));  // Uint8OrString reads a quoted number as a number
    if (num) {
      if (*num >= 1 && *num <= 255) return static_cast<int>(*num);
    } else if (auto p = protocol_number(std::string(n.value))) {
      return p;
    }
    ctx.error(ir::Code::NV5015, n,
              "`" + path + "`: unsupported protocol \"" + std::string(n.value) +
                  "\" (expected TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1..255; names are "
                  "case-sensitive)");
    return std::nullopt;
  }

  // icmp / notICMP: api/pkg/apis/projectcalico/v3 policy_common.go ICMPFields{Type, Code}
  // ("If specified, the Type value must also be specified"; only with protocol ICMP or
  // ICMPv6), libcalico-go validator: type 0..254, code 0..255. As the range of the packet's
  // type << 8 | code (ir/model.h is_icmp); nullopt after an error.
  using IcmpRange = std::pair<uint16_t, uint16_t>;
  std::optional<IcmpRange> icmp_range(const YNode& n, const std::string& path,
                                      std::optional<int> proto, const YNode* proto_n) {
    MapReader m(ctx, n, path);
    const YNode* type_n = m.get("type");
    const YNode* code_n = m.get("code");
    m.reject_unknown();
    if (!m.ok()) return std::nullopt;
    auto number = [&](const YNode* v, int64_t max, const char* key) -> std::optional<int> {
      auto x = load::as_integer(*v);
      if (x && *x >= 0 && *x <= max) return static_cast<int>(*x);
      ctx.error(ir::Code::NV5031, *v,
                "`" + path + "." + key + "` must be an integer 0.." + std::to_string(max));
      return std::nullopt;
    };
    std::optional<int> type, code;
    if (type_n) type = number(type_n, 254, "type");
    if (code_n) code = number(code_n, 255, "code");
    if (code_n && !type_n) ctx.error(ir::Code::NV5031, *code_n, "`" + path + ".code` needs a type");
    if (!proto || !ir::is_icmp(*proto))
      ctx.error(ir::Code::NV5031, proto_n ? *proto_n : n,
                "`" + path + "` needs protocol ICMP or ICMPv6");
    if ((type_n && !type) || (code_n && (!code || !type_n)) || !proto || !ir::is_icmp(*proto))
      return std::nullopt;
    if (!type) return IcmpRange{0, 65535};  // `icmp: {}`: every type
    if (!code) return IcmpRange{ir::icmp_port(*type, 0), ir::icmp_port(*type, 255)};
    return IcmpRange{ir::icmp_port(*type, *code), ir::icmp_port(*type, *code)};
  }

  // The ICMP ranges of a rule with protocol `proto`: icmp minus notICMP, 0 to 2 matches.
  static std::vector<ir::PortMatch> icmp_matches(int proto, const std::optional<IcmpRange>& in,
                                                 const std::optional<IcmpRange>& out) {
    IcmpRange r = in.value_or(IcmpRange{0, 65535});
    Intervals without;
    if (out) without.emplace_back(out->first, out->second);
    std::vector<ir::PortMatch> pms;
    for (auto [lo, hi] : minus({{r.first, r.second}}, without))
      pms.push_back(ir::PortMatch{proto, static_cast<uint16_t>(lo), static_cast<uint16_t>(hi), {}});
    return pms;
  }

  void refuse(const YNode* n, ir::Code code, const std::string& message) {
    if (n) ctx.error(code, *n, message);
  }

  // The selector, notSelector and nets one side of a rule puts on its endpoint, scoped as
  // upstream scopes it (updateprocessors/rules.go getEndpointSelector, the same for the
  // source and the destination); nullopt when the side constrains nothing but ports.
  std::optional<PeerSpec> side_spec(const Entity& e) {
    if (!e.selector && !e.not_selector && !e.ns_selector && !e.service_accounts && e.nets.empty() &&
        e.not_nets.empty())
      return std::nullopt;
    PeerSpec spec;
    // getEndpointSelector: the service-account selector ANDed with the selector, scoped
    // like it.
    std::optional<ir::Selector> side = e.selector;
    if (e.service_accounts) side = side ? raw_and(*e.service_accounts, *side) : *e.service_accounts;
    spec.selector =
        scoped_selector(SideSelectors{side, e.ns_selector, e.not_selector.has_value()}, ns);
    spec.not_selector = e.not_selector;
    spec.nets = e.nets;
    spec.not_nets = e.not_nets;
    return spec;
  }

  std::optional<LoweredRule> rule(const YNode& n, const std::string& path, ir::Direction d) {
    size_t errors = ctx.diags.error_count();
    MapReader r(ctx, n, path);
    auto action = r.string("action");
    const YNode* ipv_n = r.get("ipVersion");
    const YNode* proto_n = r.get("protocol");
    const YNode* not_proto_n = r.get("notProtocol");
    const YNode* icmp_n = r.get("icmp");
    const YNode* not_icmp_n = r.get("notICMP");
    const YNode* src_n = r.get("source");
    const YNode* dst_n = r.get("destination");
    const YNode* http_n = r.map("http");
    const YNode* meta_n = r.map("metadata");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;

    ir::Rule rule;
    rule.path = path;
    rule.span = ctx.at(n);
    if (!action) {
      if (!r.get("action")) ctx.error(ir::Code::NV1022, n, "`" + path + ".action` is required");
    } else if (*action == "Allow") {
      rule.action = ir::Action::Allow;
    } else if (*action == "Deny") {
      rule.action = ir::Action::Deny;
    } else if (*action == "Pass") {
      rule.action = ir::Action::Pass;
    } else if (*action == "Log") {
      rule.action = ir::Action::Log;
    } else {
      ctx.error(ir::Code::NV5013, *r.get("action"),
                "`" + path + ".action`: \"" + *action + "\" is not Allow, Deny, Pass or Log");
    }
    std::optional<int> ip_version;
    if (ipv_n) {
      auto v = load::as_integer(*ipv_n);
      if (v && (*v == 4 || *v == 6))
        ip_version = static_cast<int>(*v);
      else
        ctx.error(ir::Code::NV5020, *ipv_n, "`" + path + ".ipVersion` must be 4 or 6");
    }
    std::optional<int> proto, not_proto;
    if (proto_n) proto = protocol(*proto_n, path + ".protocol");
    if (not_proto_n) not_proto = protocol(*not_proto_n, path + ".notProtocol");
    using Proto = std::pair<std::optional<int>, const YNode*>;
    for (auto [p, pn] : std::initializer_list<Proto>{{proto, proto_n}, {not_proto, not_proto_n}}) {
      if (p == ir::kICMP && ip_version && *ip_version != 4)
        ctx.error(ir::Code::NV5020, *pn, "protocol ICMP needs ipVersion 4");
      if (p == ir::kICMPv6 && ip_version && *ip_version != 6)
        ctx.error(ir::Code::NV5020, *pn, "protocol ICMPv6 needs ipVersion 6");
    }
    std::optional<IcmpRange> icmp, not_icmp;
    if (icmp_n) icmp = icmp_range(*icmp_n, path + ".icmp", proto, proto_n);
    if (not_icmp_n) not_icmp = icmp_range(*not_icmp_n, path + ".notICMP", proto, proto_n);
    if (http_n) {
      HttpPlacement where{rule.action, action.has_value(), d, proto, proto_n};
      rule.l7 = lower_http(ctx, *http_n, *n.key_node("http"), path + ".http", where);
    }
    if (meta_n) {
      MapReader m(ctx, *meta_n, path + ".metadata");
      m.map("annotations");  // comments on the rule: no effect on traffic
      m.reject_unknown();
    }

    Entity src = entity(src_n, path + ".source");
    Entity dst = entity(dst_n, path + ".destination");
    bool ingress = d == ir::Direction::Ingress;
    Entity& peer = ingress ? src : dst;
    Entity& own = ingress ? dst : src;
    std::string peer_path = path + (ingress ? ".source" : ".destination");
    std::string own_path = path + (ingress ? ".destination" : ".source");

    // Ports need a protocol that has them (validator.go validateRule).
    for (const YNode* pn : {src.ports_n, src.not_ports_n, dst.ports_n, dst.not_ports_n})
      if (pn && !pn->items().empty() && !(proto && supports_ports(*proto)))
        ctx.error(ir::Code::NV5018, *pn, "rules that specify ports must set protocol to TCP, UDP or SCTP");
    refuse(src.ports_n, ir::Code::NV5032,
           "`" + path + ".source.ports`: source ports are not supported yet");
    refuse(src.not_ports_n, ir::Code::NV5032,
           "`" + path + ".source.notPorts`: source ports are not supported yet");
    // services on the own side: the endpoints of a Service, which the policy's own
    // endpoint may or may not be; not modelled.
    refuse(own.services_n, ir::Code::NV5033,
           "`" + own_path +
               ".services`: Kubernetes Service matches on the policy's own endpoint (the " +
               (ingress ? "destination of an ingress" : "source of an egress") +
               " rule) are not supported yet");
    refuse(peer.services_n, ir::Code::NV5035,
           "`" + peer_path + ".services`: Kubernetes Service matches are not supported yet");
    refuse(!dst.not_named.empty() ? dst.not_ports_n : nullptr, ir::Code::NV5036,
           "`" + path + ".destination.notPorts`: named ports in notPorts are not supported yet");

    // IP family: the rule's CIDRs are all of one family (validateRule scanNets), and felix
    // renders a rule only for the family of its CIDRs (felix/rules/policy.go filterNets):
    // even notNets of one family keep the rule from matching the other.
    bool v4 = false, v6 = false;
    const YNode* first_list = nullptr;
    using Nets = std::pair<const std::vector<ir::Cidr>*, const YNode*>;
    // The own side's nets count too: they are matches of the same rule (policy.go).
    for (auto [list, node] : std::initializer_list<Nets>{{&peer.nets, peer.nets_n},
                                                         {&peer.not_nets, peer.not_nets_n},
                                                         {&own.nets, own.nets_n},
                                                         {&own.not_nets, own.not_nets_n}}) {
      for (const auto& c : *list) {
        bool is6 = c.family() == ir::Family::V6;
        if ((is6 && v4) || (!is6 && v6)) {
          ctx.error(ir::Code::NV5019, *node, "the rule contains both IPv4 and IPv6 CIDRs");
          break;
        }
        (is6 ? v6 : v4) = true;
        if (!first_list) first_list = node;
      }
    }
    std::optional<ir::Family> family;
    if (ip_version) family = *ip_version == 4 ? ir::Family::V4 : ir::Family::V6;
    if ((v4 && ip_version == 6) || (v6 && ip_version == 4))
      ctx.error(ir::Code::NV5019, *first_list, "the rule's ipVersion does not match its CIDRs");
    if (!family && (v4 || v6)) family = v4 ? ir::Family::V4 : ir::Family::V6;
    if (ctx.diags.error_count() != errors) return std::nullopt;

    PeerSpec spec = side_spec(peer).value_or(PeerSpec{});
    spec.family = family;
    auto peers = lower_peer(spec, sets);
    if (auto* p = std::get_if<Problem>(&peers)) {
      ctx.error(p->code, peer.node ? *peer.node : n, "`" + peer_path + "`: " + p->message);
      return std::nullopt;
    }
    rule.peers = std::get<std::vector<ir::Peer>>(peers);
    LoweredRule out;
    // The own side: the same matches on the policy's endpoint (felix/rules/policy.go
    // renders an ingress rule's destination selector and nets as dst matches, an egress
    // rule's source ones as src matches). Its family is the rule's, already applied to the
    // peer: the condition leaves it out, so that it holds for both.
    if (auto own_spec = side_spec(own)) {
      auto own_peers = lower_peer(*own_spec, sets);
      if (auto* p = std::get_if<Problem>(&own_peers)) {
        ctx.error(p->code, own.node ? *own.node : n, "`" + own_path + "`: " + p->message);
        return std::nullopt;
      }
      out.own = pod_region(std::get<std::vector<ir::Peer>>(own_peers));
      if (out.own->size() > 64) {
        ctx.error(ir::Code::NV5033, own.node ? *own.node : n,
                  "`" + own_path +
                      "`: the pods it matches split into more than 64 IR peers; not supported yet");
        return std::nullopt;
      }
    }

    // An HTTP match makes the rule match HTTP requests only (policy_common.go HTTPMatch),
    // which Envoy receives over TCP: with protocol unset, the rule's L4 part is TCP.
    std::optional<int> l4_proto = proto;
    if (http_n && !proto) l4_proto = ir::kTCP;
    PortSpec ps{l4_proto, not_proto, dst.ports, dst.named, dst.not_ports};
    auto pm = lower_ports(ps);
    if (auto* p = std::get_if<Problem>(&pm)) {
      ctx.error(p->code, dst.ports_n ? *dst.ports_n : n, "`" + path + "`: " + p->message);
      return std::nullopt;
    }
    auto& ports = std::get<std::optional<std::vector<ir::PortMatch>>>(pm);
    // icmp / notICMP (validated above: the protocol is ICMP or ICMPv6, and there are no
    // ports): the type/code ranges of that protocol, unless notProtocol excluded it.
    if ((icmp_n || not_icmp_n) && ports && !ports->empty())
      ports = icmp_matches(*proto, icmp, not_icmp);
    out.rule = std::move(rule);
    if (ports && ports->empty()) {
      // No packet has this protocol and port: the rule matches nothing.
      ir::Peer none;
      none.kinds = 0;
      out.rule.peers = {none};
    } else if (ports) {
      out.rule.ports = std::move(*ports);
    }
    return out;
  }
};

}  // namespace

namespace {

// A policy whose rules constrain its own endpoint, as copies whose subjects split the
// original's by which of those conditions hold (own.cpp): each copy keeps the rules whose
// conditions hold for its endpoints, in their order, and the policy's name, tier, order
// and spans, so that tier walks, explanations and end-of-tier drops read as before.
std::vector<ir::Policy> split_own(load::Ctx& ctx, const load::Object& obj, ir::Policy p,
                                  const std::array<std::vector<std::optional<Region>>, 2>& own) {
  std::vector<Region> conditions;
  std::array<std::vector<int>, 2> index;  // per rule: its condition, -1 none, -2 never holds
  Region every{to_peer(PodTerm{})};
  for (size_t d = 0; d < 2; ++d)
    for (const auto& o : own[d]) {
      int i = -1;
      if (o && o->empty()) {
        i = -2;
      } else if (o && *o != every) {
        auto it = std::find(conditions.begin(), conditions.end(), *o);
        i = static_cast<int>(it - conditions.begin());
        if (it == conditions.end()) conditions.push_back(*o);
      }
      index[d].push_back(i);
    }
  auto keep = [&](const ir::Policy& from, const std::vector<bool>& holds) {
    ir::Policy v = from;
    for (size_t d = 0; d < 2; ++d) {
      v.dirs[d].rules.clear();
      for (size_t r = 0; r < from.dirs[d].rules.size(); ++r) {
        int i = index[d][r];
        if (i == -1 || (i >= 0 && holds[static_cast<size_t>(i)]))
          v.dirs[d].rules.push_back(from.dirs[d].rules[r]);
      }
    }
    return v;
  };
  if (conditions.empty() || p.subject.kinds == 0)
    return {keep(p, std::vector<bool>(conditions.size(), true))};
  auto variants = own_variants(p.subject, conditions);
  if (auto* prob = std::get_if<Problem>(&variants)) {
    ctx.error(prob->code, *obj.node, obj.kind + " " + obj.name + ": " + prob->message);
    return {};
  }
  auto& vs = std::get<std::vector<OwnVariant>>(variants);
  // None: the subject selects no pod (a contradiction in its selector); as written.
  if (vs.empty()) return {keep(p, std::vector<bool>(conditions.size(), true))};
  std::vector<ir::Policy> out;
  for (auto& v : vs) {
    out.push_back(keep(p, v.holds));
    out.back().subject = std::move(v.subject);
  }
  return out;
}

}  // namespace

std::vector<ir::Policy> lower_policy(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                                     const std::set<std::string>& tiers,
                                     const std::vector<NetworkSet>& sets) {
  bool global = obj.kind == "GlobalNetworkPolicy";
  size_t errors = ctx.diags.error_count();
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  top.get("metadata");
  if (!global) top.get("status");
  const YNode* spec_node = top.get("spec");
  top.reject_unknown();

  MapReader spec(ctx, spec_node ? *spec_node : empty_map(), "spec");
  auto tier_text = spec.string("tier");
  const YNode* tier_n = spec.get("tier");
  const YNode* order_n = spec.get("order");
  const YNode* types = spec.list("types");
  const YNode* ingress = spec.list("ingress");
  const YNode* egress = spec.list("egress");
  const YNode* hints = spec.list("performanceHints");
  const std::string policy_ns = global ? std::string() : ns;
  Lowering low{ctx, policy_ns, sets};
  const YNode *sel_n = nullptr, *sa_n = nullptr, *nssel_n = nullptr;
  std::optional<ir::Selector> sel, sa_sel, ns_sel;
  auto policy_selector = [&](const char* key, const YNode*& node,
                             const SelectorOptions& opts) -> std::optional<ir::Selector> {
    auto text = spec.string(key);
    node = spec.get(key);
    if (!text || text->empty()) return std::nullopt;
    if (contains_global(*text)) {
      global_error(ctx, *node, *text,
                   "`spec." + std::string(key) + "`: global() can only be used in a rule's namespaceSelector");
      return std::nullopt;
    }
    return read_selector(ctx, *node, "spec." + std::string(key), opts);
  };
  // GlobalNetworkPolicy: upstream rewrites all() in the namespace and service-account
  // selectors after prefixing (globalnetworkpolicyprocessor.go); the rewrite also reaches
  // an all() of spec.selector, where has(projectcalico.org/namespace) is true of every pod
  // and has(projectcalico.org/serviceaccount) is refused anyway.
  sel = policy_selector("selector", sel_n, {});
  sa_sel = policy_selector("serviceAccountSelector", sa_n, global ? SelectorOptions{all_marker(), {}} : SelectorOptions{});
  std::optional<bool> dnt, pre_dnat, aof;
  if (global) {
    ns_sel = policy_selector("namespaceSelector", nssel_n, {all_marker(), {}});
    dnt = spec.boolean("doNotTrack");
    pre_dnat = spec.boolean("preDNAT");
    aof = spec.boolean("applyOnForward");
  }
  spec.reject_unknown();
  if (!spec.ok()) return {};

  ir::Policy p;
  p.dialect = "calico";
  p.kind = obj.kind;
  p.ns = global ? "" : ns;
  p.name = obj.name;
  p.span = obj.span;
  p.tier = tier_text && !tier_text->empty() ? *tier_text : ir::kDefaultTier;

  // Names (validator.go networkPolicyNameRegex / globalNetworkPolicyNameRegex). Tiers:
  // names.ValidateTieredPolicyName long required a policy of tier T to be named
  // `T.<name>` (the default tier's may drop the prefix); current Calico keeps it only for
  // backward compatibility and accepts any valid name. The tier is spec.tier either way.
  ir::SourceSpan name_at = obj.span;
  if (const YNode* md = obj.node->get("metadata"); md && md->is_map())
    if (const YNode* n = md->get("name")) name_at = ctx.at(*n);
  if (!valid_policy_name(obj.name, global)) {
    ctx.diags.report(ir::Code::NV5010, name_at,
                     obj.kind + " name \"" + obj.name +
                         "\" must be a lowercase DNS label, optionally prefixed by one `<tier>.`");
  } else if (!generated_name(obj.name)) {
    size_t dot = obj.name.find('.');
    bool ok = dot == std::string::npos ? p.tier == ir::kDefaultTier : obj.name.starts_with(p.tier + ".");
    if (!ok)
      ctx.diags.report(ir::Code::NV5016, name_at,
                       obj.kind + " \"" + obj.name + "\" is in tier \"" + p.tier +
                           "\": Calico releases that require the tier prefix reject it unless it is named \"" +
                           p.tier + "." + obj.name.substr(dot == std::string::npos ? 0 : dot + 1) + "\"" +
                           (p.tier == ir::kDefaultTier ? " or has no dot" : ""));
  }
  if (!tiers.contains(p.tier))
    ctx.error(ir::Code::NV5011, tier_n ? *tier_n : *obj.node,
              "tier \"" + p.tier + "\" is not defined: give its Tier object (its order decides when "
              "the policy applies)");
  if (order_n)
    if (auto o = read_number(ctx, *order_n, "spec.order")) p.order = *o;
  if (hints)
    for (const auto& h : hints->items())
      if (!h.is_scalar() || h.value != "AssumeNeededOnEveryNode")
        ctx.error(ir::Code::NV5013, h, "`spec.performanceHints`: the only hint is AssumeNeededOnEveryNode");

  // types, defaulted from the rules present (api/pkg/defaults/networkpolicy.go).
  bool has_ingress = false, has_egress = false;
  size_t n_ingress = ingress ? ingress->items().size() : 0,
         n_egress = egress ? egress->items().size() : 0;
  if (types && !types->items().empty()) {
    for (const auto& t : types->items()) {
      bool* flag = t.is_scalar() && t.value == "Ingress"  ? &has_ingress
                   : t.is_scalar() && t.value == "Egress" ? &has_egress
                                                          : nullptr;
      if (!flag)
        ctx.error(ir::Code::NV5013, t,
                  "`spec.types`: \"" + (t.is_scalar() ? std::string(t.value) : std::string("?")) +
                      "\" is not Ingress or Egress");
      else if (*flag)
        ctx.error(ir::Code::NV5013, t,
                  "`spec.types`: '" + std::string(t.value) + "' type specified more than once");
      else
        *flag = true;
    }
  } else {
    has_ingress = n_egress == 0 || n_ingress > 0;
    has_egress = n_egress > 0;
  }

  // Host-endpoint-only settings (validator.go validateGlobalNetworkPolicySpec).
  bool is_dnt = dnt.value_or(false), is_pre_dnat = pre_dnat.value_or(false), is_aof = aof.value_or(false);
  if (is_dnt && is_pre_dnat)
    ctx.diags.report(ir::Code::NV5042, obj.span, "preDNAT and doNotTrack cannot both be true");
  if (is_pre_dnat && (n_egress > 0 || has_egress))
    ctx.diags.report(ir::Code::NV5042, obj.span, "a preDNAT policy can have no egress rules nor Egress type");
  if (!is_aof && (is_dnt || is_pre_dnat))
    ctx.diags.report(ir::Code::NV5042, obj.span,
                     "applyOnForward must be true if either preDNAT or doNotTrack is true");

  // The subject (networkpolicyprocessor.go, globalnetworkpolicyprocessor.go).
  ir::Selector subject = sel.value_or(ir::Selector::all());
  if (global) {
    if (ns_sel)
      subject = raw_and(subject, prefixed(*ns_sel, kNamespacePrefix, ir::Selector::has(kLabelNamespace)));
    if (sa_sel)
      subject = raw_and(subject, prefixed(*sa_sel, kServiceAccountPrefix, ir::Selector::has(kLabelServiceAccount)));
  } else {
    subject = raw_and(subject, ir::Selector::eq(kLabelNamespace, ns));
    if (sa_sel) subject = raw_and(subject, prefixed(*sa_sel, kServiceAccountPrefix, ir::Selector::all()));
  }
  auto terms = pod_terms(subject);
  if (auto* prob = std::get_if<Problem>(&terms)) {
    ctx.error(prob->code, sel_n ? *sel_n : sa_n ? *sa_n : nssel_n ? *nssel_n : *obj.node, prob->message);
  } else {
    auto& t = std::get<std::vector<PodTerm>>(terms);
    if (t.size() > 1) {
      ctx.error(ir::Code::NV5023, sel_n ? *sel_n : *obj.node,
                "the policy's selector is a union of conditions on pod labels and on namespace "
                "labels (" + std::to_string(t.size()) + " terms); not supported yet as a policy subject");
    } else if (t.empty()) {
      p.subject.kinds = 0;  // selects no pod
    } else {
      p.subject = to_peer(t[0]);
    }
  }

  std::array<std::vector<std::optional<Region>>, 2> own;  // per direction, per rule
  auto lower_dir = [&](const YNode* list, const char* key, bool governed, ir::Direction d) {
    ir::DirectionRules& dr = p.dir(d);
    dr.isolates = governed;
    if (!list) return;
    for (size_t i = 0; i < list->items().size(); ++i) {
      auto r =
          low.rule(list->items()[i], std::string("spec.") + key + "[" + std::to_string(i) + "]", d);
      if (r && governed) {
        dr.rules.push_back(std::move(r->rule));
        own[static_cast<size_t>(d)].push_back(std::move(r->own));
      }
    }
    if (!governed && !list->items().empty())
      ctx.error(ir::Code::NV5014, *list,
                std::string("spec.types does not list ") + (d == ir::Direction::Ingress ? "Ingress" : "Egress") +
                    ", so felix ignores these " + key + " rules");
  };
  lower_dir(ingress, "ingress", has_ingress, ir::Direction::Ingress);
  lower_dir(egress, "egress", has_egress, ir::Direction::Egress);

  if (ctx.diags.error_count() != errors) return {};
  // Felix puts doNotTrack and preDNAT policies in the untracked and pre-DNAT tiers of host
  // endpoints only (felix/calc/event_sequencer.go tierInfoToProtoTierInfo): no pod sees them.
  if (is_dnt || is_pre_dnat) {
    ctx.diags.report(ir::Code::NV5040, obj.span,
                     std::string(is_dnt ? "doNotTrack" : "preDNAT") +
                         " policies apply only to host endpoints, which netverify does not model: "
                         "this policy has no effect on pods and is left out");
    return {};
  }
  if (is_aof)
    ctx.diags.report(ir::Code::NV5040, obj.span,
                     "applyOnForward only adds traffic forwarded through host endpoints, which "
                     "netverify does not model; the policy applies to pods as usual");
  return split_own(ctx, obj, std::move(p), own);
}

}  // namespace nv::calico
