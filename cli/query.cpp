// netverify query: can this source reach that destination on this port, and why (not)?
#include <cctype>
#include <iostream>

#include "cli/common.h"
#include "cli/verify_common.h"
#include "ir/evaluate.h"

namespace nv::cli {

namespace {

struct QueryOptions {
  CommonOptions common;
  std::string from, to;
  int port = 0;
  int icmp_type = -1, icmp_code = -1;
  std::string protocol = "TCP";
  std::string expect;
  int family = 4;
  RequestFlags request;
};

// What --from/--to named.
struct Target {
  std::optional<ir::Endpoint> endpoint;
  const ir::Service* service = nullptr;
};

std::optional<Target> resolve(Session& s, const std::string& text, const char* flag,
                              ir::Family family, bool allow_service) {
  const ir::Inventory& inv = s.inventory;
  // fqdn:NAME or fqdn:NAME@IP: an external address that DNS returned for NAME (192.0.2.1,
  // a documentation address, unless given).
  if (text.starts_with("fqdn:")) {
    std::string err;
    auto f = parse_fqdn_spec(text, err);
    if (!f) {
      s.usage_error(ir::Code::NV4001, std::string(flag) + " \"" + text + "\": " + err);
      return std::nullopt;
    }
    ir::IpAddr ip =
        f->ip ? *f->ip : *ir::IpAddr::parse(family == ir::Family::V6 ? "2001:db8::1" : "192.0.2.1");
    ir::Endpoint e = ir::Endpoint::of_ip(inv, ip);
    if (e.kind != ir::EndpointKind::External) {
      s.usage_error(ir::Code::NV4001,
                    std::string(flag) + " \"" + text + "\": " + ip.str() +
                        " belongs to the cluster; a DNS name resolves to an outside address");
      return std::nullopt;
    }
    e.fqdn = f->name;
    return Target{e, nullptr};
  }
  if (auto ip = ir::IpAddr::parse(text)) {
    if (const ir::Service* svc = inv.find_service_by_ip(*ip)) {
      if (allow_service) return Target{std::nullopt, svc};
      s.usage_error(ir::Code::NV4001, std::string(flag) + " " + text +
                                          " is the cluster IP of service " + svc->id() +
                                          "; a Service is never the source of a packet");
      return std::nullopt;
    }
    return Target{ir::Endpoint::of_ip(inv, *ip), nullptr};
  }
  // NS/NAME, NS/pod/NAME or NS/svc/NAME.
  std::string ns, kind, name;
  auto first = text.find('/');
  auto last = text.rfind('/');
  if (first == std::string::npos || first == 0 || last + 1 == text.size()) {
    s.usage_error(ir::Code::NV4001, std::string(flag) + " \"" + text +
                                        "\": expected NAMESPACE/NAME, NAMESPACE/pod/NAME, "
                                        "NAMESPACE/svc/NAME or an IP address");
    return std::nullopt;
  }
  ns = text.substr(0, first);
  name = text.substr(last + 1);
  if (first != last) kind = text.substr(first + 1, last - first - 1);
  if (!kind.empty() && kind != "pod" && kind != "pods" && kind != "svc" && kind != "service" &&
      kind != "services") {
    s.usage_error(ir::Code::NV4001, std::string(flag) + " \"" + text + "\": unknown kind \"" +
                                        kind + "\" (expected pod or svc)");
    return std::nullopt;
  }
  bool want_pod = kind.empty() || kind.starts_with("pod");
  bool want_svc = allow_service && (kind.empty() || kind.starts_with("s"));
  const ir::Pod* pod = want_pod ? inv.find_pod(ns, name) : nullptr;
  const ir::Service* svc = want_svc ? inv.find_service(ns, name) : nullptr;
  if (pod && svc) {
    s.usage_error(ir::Code::NV4003, std::string(flag) + " \"" + text +
                                        "\" names both a pod and a service; write " + ns + "/pod/" +
                                        name + " or " + ns + "/svc/" + name);
    return std::nullopt;
  }
  if (pod) return Target{ir::Endpoint::of_pod(*pod, family), nullptr};
  if (svc) return Target{std::nullopt, svc};
  s.usage_error(ir::Code::NV4002, std::string(flag) + " \"" + text + "\": no " +
                                      (want_svc && want_pod ? "pod or service"
                                       : want_svc           ? "service"
                                                            : "pod") +
                                      " of that name in the inventory");
  return std::nullopt;
}

ir::Family family_of(const QueryOptions& o) {
  for (const auto* t : {&o.from, &o.to})
    if (auto ip = ir::IpAddr::parse(*t)) return ip->family;
  return o.family == 6 ? ir::Family::V6 : ir::Family::V4;
}

std::string header(const ir::Packet& pkt) {
  std::string out =
      pkt.src.str() + " -> " + pkt.dst.str() + " " + ir::packet_port_str(pkt.proto, pkt.port);
  if (pkt.http) out += " " + pkt.http->str();
  if (pkt.dns_query) out += " DNS query " + *pkt.dns_query;
  return out;
}

std::string indent(const std::string& text, const std::string& by) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out += by + text.substr(pos, nl - pos) + "\n";
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

int run(const QueryOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  ir::Family family = family_of(o);
  auto from = resolve(s, o.from, "--from", family, false);
  if (!from) return kExitInput;
  auto to = resolve(s, o.to, "--to", family, true);
  if (!to) return kExitInput;
  int proto = *ir::parse_proto(o.protocol);
  int port = o.port;
  // ICMP: no port; the packet carries type << 8 | code (ir/model.h is_icmp).
  if (ir::is_icmp(proto) != (o.icmp_type >= 0) || (o.icmp_code >= 0 && o.icmp_type < 0) ||
      (ir::is_icmp(proto) && o.port != 0) || (!ir::is_icmp(proto) && o.port == 0)) {
    s.usage_error(ir::Code::NV4001,
                  ir::is_icmp(proto) ? "--protocol ICMP/ICMPv6 needs --icmp-type (optionally "
                                       "--icmp-code), and no --port"
                  : o.port == 0      ? "--port is required"
                                     : "--icmp-type/--icmp-code need --protocol ICMP or ICMPv6");
    return kExitInput;
  }
  if (ir::is_icmp(proto)) {
    if (to->service) {
      s.usage_error(ir::Code::NV4001, "ICMP to a Service: a Service has no ICMP ports");
      return kExitInput;
    }
    port = ir::icmp_port(o.icmp_type, o.icmp_code < 0 ? 0 : o.icmp_code);
  }
  ir::Packet pkt{*from->endpoint, {}, proto, static_cast<uint16_t>(port)};
  // The request on the connection; none given: a bare connection.
  Request req;
  if (!parse_request(s, o.request, req)) return kExitInput;
  if (!req.any_value_headers.empty()) {
    s.usage_error(ir::Code::NV4001,
                  "--http-header " + *req.any_value_headers.begin() +
                      ": query evaluates one concrete request, so a header needs a value "
                      "('Name: value'); `netverify reach` answers for a header with any value");
    return kExitInput;
  }
  pkt.http = std::move(req.http);
  pkt.dns_query = std::move(req.dns);

  size_t allowed = 0, total = 0;
  if (to->endpoint) {
    pkt.dst = *to->endpoint;
    ir::Verdict v = ir::evaluate(s.policies, s.inventory, pkt);
    std::cout << header(pkt) << ": " << (v.allowed ? "ALLOWED" : "DENIED") << "\n"
              << ir::explain(v, pkt);
    total = 1;
    allowed = v.allowed ? 1 : 0;
  } else {
    const ir::Service& svc = *to->service;
    const ir::ServicePort* sp = nullptr;
    for (const auto& p : svc.ports)
      if (p.port == o.port && p.proto == proto) sp = &p;
    if (!sp) {
      std::string ports;
      for (const auto& p : svc.ports)
        ports +=
            (ports.empty() ? "" : ", ") + ir::proto_name(p.proto) + "/" + std::to_string(p.port);
      s.usage_error(ir::Code::NV4002,
                    "service " + svc.id() + " has no port " + o.protocol + "/" +
                        std::to_string(o.port) +
                        (ports.empty() ? " (it has no ports)" : " (it has " + ports + ")"));
      return kExitInput;
    }
    std::string body;
    for (const ir::Pod* p : s.inventory.endpoints(svc)) {
      uint16_t target = sp->target_port;
      if (!sp->target_name.empty()) {
        auto resolved = p->named_port(sp->target_name, proto);
        if (!resolved) {
          body += "  endpoint " + p->id() +
                  ": not an endpoint for this port (no container port named " + sp->target_name +
                  ")\n";
          continue;
        }
        target = *resolved;
      }
      ir::Packet ep = pkt;
      ep.dst = ir::Endpoint::of_pod(*p, family);
      ep.port = target;
      ir::Verdict v = ir::evaluate(s.policies, s.inventory, ep);
      ++total;
      if (v.allowed) ++allowed;
      body += "  endpoint " + p->id() + " " + ir::proto_name(proto) + "/" + std::to_string(target) +
              ": " + (v.allowed ? "ALLOWED" : "DENIED") + "\n" + indent(ir::explain(v, ep), "  ");
    }
    std::string verdict = total == 0         ? "NO ENDPOINTS"
                          : allowed == total ? "ALLOWED"
                          : allowed == 0     ? "DENIED"
                                             : "PARTLY ALLOWED";
    std::string target =
        sp->target_name.empty() ? std::to_string(sp->target_port) : sp->target_name;
    std::cout << pkt.src.str() << " -> service " << svc.id() << " " << o.protocol << "/" << o.port
              << " (targetPort " << target << "): " << verdict;
    if (total) std::cout << " (" << allowed << " of " << total << " endpoints)";
    std::cout << "\n" << body;
  }

  if (o.expect.empty()) return kExitOk;
  bool ok = o.expect == "allow" ? total > 0 && allowed == total : allowed == 0;
  if (!ok) std::cout << "expectation failed: expected " << o.expect << "\n";
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void add_query(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<QueryOptions>();
  auto* sub = app.add_subcommand("query", "Can a pod or address reach a pod, service or address?");
  add_common(sub, o->common, true);
  sub->add_option("--from", o->from, "Source: NAMESPACE/POD or an IP address")->required();
  sub->add_option(
         "--to", o->to,
         "Destination: NAMESPACE/POD, NAMESPACE/svc/SERVICE (NAMESPACE/NAME when "
         "unambiguous), an IP address, or fqdn:NAME[@IP] (an address DNS returned for NAME)")
      ->required();
  sub->add_option("--port", o->port,
                  "Destination port (a Service's port for a Service); required but for ICMP")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--protocol", o->protocol, "TCP, UDP, SCTP, ICMP or ICMPv6")
      ->check(CLI::IsMember({"TCP", "UDP", "SCTP", "ICMP", "ICMPv6"}, CLI::ignore_case))
      ->capture_default_str();
  sub->add_option("--icmp-type", o->icmp_type, "ICMP/ICMPv6 type (with --protocol ICMP/ICMPv6)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--icmp-code", o->icmp_code, "ICMP/ICMPv6 code (default 0)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--expect", o->expect,
                  "Exit 1 unless the answer is allow (every endpoint) or deny (none)")
      ->check(CLI::IsMember({"allow", "deny"}));
  add_request_flags(sub, o->request);
  sub->add_option("--ip-family", o->family, "Pod addresses used when neither side is an IP: 4 or 6")
      ->check(CLI::IsMember({4, 6}))
      ->capture_default_str();
  sub->callback([o, &exit_code] { exit_code = run(*o); });
}

}  // namespace nv::cli
