#include "cli/verify_common.h"

#include <cctype>
#include <iostream>
#include <map>
#include <tuple>

#include "ir/inventory.h"

namespace nv::cli {

void add_verify_options(CLI::App* sub, VerifyOptions& o) {
  sub->add_option("--timeout", o.timeout_s,
                  "Seconds per solver query (0: none); running out is exit 3")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option(
      "--solver-rlimit", o.rlimit,
      "Z3 resource limit per query (deterministic, unlike --timeout); running out is exit 3");
  sub->add_option("--emit-smt2", o.emit_smt2,
                  "Write every solver query to this directory as SMT-LIB 2");
  sub->add_option("--ip-family", o.ip_family, "Address families to prove: 4, 6 or both")
      ->check(CLI::IsMember({"4", "6", "both"}))
      ->capture_default_str();
}

verifier::QueryOptions query_options(const VerifyOptions& o, const ir::Inventory& inv, bool pin) {
  verifier::QueryOptions q;
  q.solver.timeout_ms = static_cast<unsigned>(o.timeout_s * 1000);
  q.solver.emit_smt2_dir = o.emit_smt2;
  q.solver.rlimit = o.rlimit;
  if (o.ip_family == "4") q.families = {ir::Family::V4};
  if (o.ip_family == "6") q.families = {ir::Family::V6};
  if (pin) q.pin = &inv;
  return q;
}

std::string families_text(const std::vector<ir::Family>& f) {
  if (f.size() == 2) return "IPv4 and IPv6";
  return f.at(0) == ir::Family::V4 ? "IPv4" : "IPv6";
}

int guarded(Session& s, const std::function<int()>& body) {
  try {
    return body();
  } catch (const verifier::SolverUnknown& e) {
    s.usage_error(
        ir::Code::NV4010,
        std::string(e.what()) + "; raise --timeout or --solver-rlimit, or narrow the question");
    return kExitUnknown;
  } catch (const verifier::InternalError& e) {
    s.usage_error(ir::Code::NV4011, e.what());
    return kExitInternal;
  }
}

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 317) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/'))
      return false;
  return true;
}

bool valid_value(const std::string& v) {
  if (v.size() > 63) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

}  // namespace

std::optional<ir::Selector> parse_label_selector(const std::string& text, std::string& err) {
  std::vector<std::string> terms;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) {
    err = "unbalanced parentheses";
    return std::nullopt;
  }
  if (!trim(cur).empty() || !terms.empty()) terms.push_back(cur);
  std::vector<ir::Selector> out;
  for (const auto& raw : terms) {
    std::string t = trim(raw);
    if (t.empty()) {
      err = "an empty term";
      return std::nullopt;
    }
    auto set_op = [&](const std::string& word) -> std::optional<size_t> {
      auto p = t.find(" " + word + " ");
      if (p == std::string::npos) p = t.find(" " + word + "(");
      return p == std::string::npos ? std::nullopt : std::optional<size_t>(p);
    };
    std::optional<size_t> p;
    if (t[0] == '!') {
      std::string k = trim(t.substr(1));
      if (!valid_key(k)) return err = "bad key '" + k + "'", std::nullopt;
      out.push_back(ir::Selector::negate(ir::Selector::has(k)));
    } else if ((p = set_op("notin")) || (p = set_op("in"))) {
      bool notin = t.compare(*p + 1, 5, "notin") == 0;
      std::string k = trim(t.substr(0, *p));
      std::string rest = trim(t.substr(*p + (notin ? 6 : 3)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
        return err = "expected (v1,v2) after " + std::string(notin ? "notin" : "in"), std::nullopt;
      std::vector<std::string> vals;
      std::string v;
      for (char c : rest.substr(1, rest.size() - 2) + ",") {
        if (c == ',') {
          vals.push_back(trim(v));
          v.clear();
        } else {
          v += c;
        }
      }
      for (const auto& x : vals)
        if (!valid_value(x)) return err = "bad value '" + x + "'", std::nullopt;
      if (!valid_key(k)) return err = "bad key '" + k + "'", std::nullopt;
      out.push_back(notin ? ir::Selector::not_in(k, vals) : ir::Selector::in(k, vals));
    } else if (auto ne = t.find("!="); ne != std::string::npos) {
      std::string k = trim(t.substr(0, ne)), v = trim(t.substr(ne + 2));
      if (!valid_key(k) || !valid_value(v)) return err = "bad term '" + t + "'", std::nullopt;
      out.push_back(ir::Selector::not_eq_(k, v));
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      std::string k = trim(t.substr(0, eq));
      std::string v = trim(t.substr(t.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1));
      if (!valid_key(k) || !valid_value(v)) return err = "bad term '" + t + "'", std::nullopt;
      out.push_back(ir::Selector::eq(k, v));
    } else {
      if (!valid_key(t)) return err = "bad term '" + t + "'", std::nullopt;
      out.push_back(ir::Selector::has(t));
    }
  }
  return ir::Selector::conj(std::move(out));
}

std::optional<FqdnSpec> parse_fqdn_spec(const std::string& spec, std::string& err) {
  FqdnSpec f;
  std::string name = spec.substr(spec.starts_with("fqdn:") ? 5 : 0), addr;
  if (auto at = name.find('@'); at != std::string::npos) {
    addr = name.substr(at + 1);
    name = name.substr(0, at);
  }
  // As the Cilium frontend compares names: lower-case, without dns.FQDN's trailing dot.
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  bool ok = !name.empty() && name.size() <= 253;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    err = "'" + name + "' is not a DNS name (expected fqdn:NAME or fqdn:NAME@IP)";
    return std::nullopt;
  }
  f.name = name;
  if (!addr.empty() || spec.ends_with("@")) {
    if (!(f.ip = ir::IpAddr::parse(addr))) {
      err = "'" + addr + "' is not an IP address (expected fqdn:NAME@IP)";
      return std::nullopt;
    }
  }
  return f;
}

std::optional<ir::Peer> parse_endpoint_spec(const std::string& spec, std::string& err) {
  ir::Peer p;
  // fqdn:NAME[@IP]: an address outside the cluster that DNS returned for NAME; any such
  // address unless IP is given (the verifier's address is free, the name a string).
  if (spec.starts_with("fqdn:")) {
    auto f = parse_fqdn_spec(spec, err);
    if (!f) return std::nullopt;
    p.kinds = ir::mask(ir::EndpointKind::External);
    p.fqdns = std::vector<ir::Regex>{ir::Regex::literal(f->name)};
    if (f->ip) p.cidrs = std::vector<ir::CidrBlock>{{ir::Cidr::host(*f->ip), {}}};
    return p;
  }
  if (spec == "world") {
    p.kinds = ir::mask(ir::EndpointKind::External);
    return p;
  }
  std::optional<ir::Cidr> c = ir::Cidr::parse(spec);
  if (!c)
    if (auto a = ir::IpAddr::parse(spec)) c = ir::Cidr::host(*a);
  if (c) {
    p.cidrs = std::vector<ir::CidrBlock>{{*c, {}}};
    return p;
  }
  auto slash = spec.find('/');
  if (slash == std::string::npos) {
    err =
        "expected NS/SELECTOR or NS/sa/NAME (NS a namespace or *), a CIDR, world, or "
        "fqdn:NAME[@IP]";
    return std::nullopt;
  }
  std::string ns = spec.substr(0, slash);
  p.kinds = ir::mask(ir::EndpointKind::Pod);
  if (ns != "*") {
    if (!valid_value(ns) || ns.empty()) {
      err = "'" + ns + "' is not a namespace name";
      return std::nullopt;
    }
    p.ns_name = ns;
  }
  // NS/sa/NAME: the pods that run as service account NAME (of their namespace), as Calico
  // and Cilium select them; the account is no label a label selector can name.
  if (std::string rest = spec.substr(slash + 1); rest.starts_with("sa/")) {
    std::string name = rest.substr(3);
    if (name.empty() || !valid_value(name)) {
      err = "'" + name + "' is not a service account name";
      return std::nullopt;
    }
    ir::Selector sa;
    sa.op = ir::Selector::Op::Eq;
    sa.key = ir::kServiceAccountLabel;
    sa.values = {name};
    p.pod_selector = std::move(sa);
    return p;
  }
  auto sel = parse_label_selector(spec.substr(slash + 1), err);
  if (!sel) return std::nullopt;
  if (!sel->is_all()) p.pod_selector = std::move(*sel);
  return p;
}

bool parse_ends(Session& s, const std::string& from, const std::string& to,
                verifier::Scope& scope) {
  for (auto [flag, text, out] :
       {std::tuple{"--from ", &from, &scope.from}, std::tuple{"--to ", &to, &scope.to}}) {
    if (text->empty()) continue;
    std::string err;
    if (!(*out = parse_endpoint_spec(*text, err))) {
      s.usage_error(ir::Code::NV4004, flag + *text + ": " + err);
      return false;
    }
  }
  return true;
}

void add_hole_flags(CLI::App* sub, HoleFlags& f) {
  sub->add_option("--dns", f.dns, "The cluster DNS pods, as NS/SELECTOR")->capture_default_str();
  sub->add_option("--dns-port", f.dns_port, "DNS port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--dns-proto", f.dns_proto, "DNS protocol")->capture_default_str();
  sub->add_option("--pod-cidr", f.pod_cidrs,
                  "The cluster's pod network, for ipBlock checks (repeat for more)")
      ->allow_extra_args(false);
  sub->add_option("--service-cidr", f.service_cidrs,
                  "The cluster's service network (repeat for more)")
      ->allow_extra_args(false);
  sub->add_flag("--no-shadowing", f.no_shadowing,
                "Skip the shadowed-rule checks (one solver query per rule)");
}

bool hole_options(const HoleFlags& f, Session& s, verifier::HoleOptions& h) {
  std::string err;
  auto dns = parse_endpoint_spec(f.dns, err);
  if (!dns) {
    s.usage_error(ir::Code::NV4004, "--dns " + f.dns + ": " + err);
    return false;
  }
  h.dns = *dns;
  h.dns_text = f.dns;
  auto proto = ir::parse_proto(f.dns_proto);
  if (!proto) {
    s.usage_error(ir::Code::NV4001, "--dns-proto " + f.dns_proto + ": not a protocol");
    return false;
  }
  h.dns_proto = *proto;
  h.dns_port = static_cast<uint16_t>(f.dns_port);
  for (auto [from, to, flag] : {std::tuple{&f.pod_cidrs, &h.pod_cidrs, "--pod-cidr"},
                                std::tuple{&f.service_cidrs, &h.service_cidrs, "--service-cidr"}})
    for (const auto& text : *from) {
      auto c = ir::Cidr::parse(text);
      if (!c) {
        s.usage_error(ir::Code::NV4001, std::string(flag) + " " + text + ": not a CIDR");
        return false;
      }
      to->push_back(*c);
    }
  h.shadowing = !f.no_shadowing;
  return true;
}

bool RequestFlags::given() const {
  return !http_method.empty() || !http_path.empty() || !http_host.empty() ||
         !http_headers.empty() || !dns_name.empty();
}

void add_request_flags(CLI::App* sub, RequestFlags& f) {
  sub->add_option("--http-method", f.http_method,
                  "The connection carries an HTTP request with this method");
  sub->add_option("--http-path", f.http_path,
                  "... and this path (the request target, query string included)");
  sub->add_option("--http-host", f.http_host, "... and this Host (authority)");
  sub->add_option("--http-header", f.http_headers,
                  "... and this header, 'Name: value', or 'Name' alone: with some value, any "
                  "(reach only; repeatable)");
  sub->add_option("--dns-name", f.dns_name, "The connection carries a DNS query for this name");
}

bool parse_request(Session& s, const RequestFlags& f, Request& out) {
  auto lower = [](std::string t) {
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
  };
  bool http = !f.http_method.empty() || !f.http_path.empty() || !f.http_host.empty() ||
              !f.http_headers.empty();
  if (http && !f.dns_name.empty()) {
    s.usage_error(ir::Code::NV4001,
                  "--dns-name and --http-* describe two different requests; give one kind");
    return false;
  }
  if (http) {
    if (f.http_method.empty() || f.http_path.empty()) {
      s.usage_error(ir::Code::NV4001, "an HTTP request needs --http-method and --http-path");
      return false;
    }
    ir::HttpRequest r{f.http_method, f.http_path, f.http_host, {}};
    for (const auto& h : f.http_headers) {
      auto colon = h.find(':');
      // A header name is an RFC 9110 token: no spaces, no colon.
      std::string name = lower(h.substr(0, colon));
      if (name.empty() || name.find_first_of(" \t") != std::string::npos) {
        s.usage_error(ir::Code::NV4001,
                      "--http-header \"" + h + "\": expected 'Name: value' or a name alone");
        return false;
      }
      if (colon == std::string::npos) {
        out.any_value_headers.insert(name);
        continue;
      }
      std::string v = h.substr(colon + 1);
      if (!v.empty() && v.front() == ' ') v.erase(0, 1);
      r.headers[name] = v;
    }
    for (const auto& n : out.any_value_headers)
      if (r.headers.count(n)) {
        s.usage_error(ir::Code::NV4001,
                      "--http-header " + n + " is given both with a value and alone (any value)");
        return false;
      }
    out.http = std::move(r);
  }
  if (!f.dns_name.empty()) {
    std::string n = lower(f.dns_name);
    if (n.size() > 1 && n.back() == '.') n.pop_back();
    out.dns = n;
  }
  return true;
}

// The (node address, pod of that node) pairs, in either order and each family, whose
// ends the scope's --from and --to match.
size_t node_local_pairs(const ir::Inventory& inv, const verifier::Scope& scope,
                        const std::vector<ir::Family>& families) {
  auto in = [&](const std::optional<ir::Peer>& p, const ir::Endpoint& e) {
    return !p || ir::matches(*p, e, inv);
  };
  std::map<std::string, std::vector<const ir::Pod*>> on_node;
  for (const auto& pod : inv.pods)
    if (!pod.host_network) on_node[pod.node].push_back(&pod);
  size_t n = 0;
  for (ir::Family f : families) {
    for (const ir::Endpoint& h : ir::host_endpoints(inv, f)) {
      if (h.node.empty()) continue;
      for (const ir::Pod* pod : on_node[h.node]) {
        if (!pod->ip(f)) continue;
        ir::Endpoint e = ir::Endpoint::of_pod(*pod, f);
        n += in(scope.from, h) && in(scope.to, e);
        n += in(scope.from, e) && in(scope.to, h);
      }
    }
  }
  return n;
}

}  // namespace nv::cli
