// netverify reach | equiv | contains | diff: questions answered by the Z3 verifier.
#include <iostream>
#include <map>
#include <memory>

#include "cli/common.h"
#include "cli/verify_common.h"
#include "verifier/queries.h"

namespace nv::cli {

namespace {

using verifier::ReachResult;

std::string verdict_text(const ir::PolicySet& ps, const verifier::Witness& w) {
  ir::Verdict v = ir::evaluate(ps, *w.inv, w.pkt);
  return std::string(v.allowed ? "ALLOWED" : "DENIED") + "\n" + ir::explain(v, w.pkt);
}

struct ReachOptions {
  CommonOptions common;
  VerifyOptions verify;
  std::string from, to, proto = "TCP", expect;
  int port = -1;
  RequestFlags request;
  int icmp_type = -1, icmp_code = -1;
};

int run_reach(const ReachOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  verifier::Scope scope;
  if (!parse_ends(s, o.from, o.to, scope)) return kExitInput;
  auto proto = ir::parse_proto(o.proto);
  if (o.proto != "ANY" && o.proto != "any") {
    if (!proto) {
      s.usage_error(ir::Code::NV4001, "--proto " + o.proto + ": not a protocol name or number");
      return kExitInput;
    }
    scope.proto = *proto;
  }
  if (o.port >= 0) scope.port = static_cast<uint16_t>(o.port);
  std::string port_what = o.port >= 0 ? "/" + std::to_string(o.port) : " any port";
  // ICMP type and code: the packet's port is type << 8 | code (ir/model.h is_icmp).
  if (o.icmp_type >= 0 || o.icmp_code >= 0) {
    std::string bad;
    if (!proto || !ir::is_icmp(*proto))
      bad = "--icmp-type/--icmp-code need --proto ICMP or ICMPv6";
    else if (o.port >= 0)
      bad = "--port and --icmp-type exclude each other";
    else if (o.icmp_type < 0)
      bad = "--icmp-code needs --icmp-type";
    if (!bad.empty()) {
      s.usage_error(ir::Code::NV4001, bad);
      return kExitInput;
    }
    scope.port = ir::icmp_port(o.icmp_type, o.icmp_code < 0 ? 0 : o.icmp_code);
    if (o.icmp_code < 0) scope.port_hi = ir::icmp_port(o.icmp_type, 255);
    port_what = " type " + std::to_string(o.icmp_type) +
                (o.icmp_code < 0 ? " any code" : " code " + std::to_string(o.icmp_code));
  } else if (o.port >= 0 && proto && ir::is_icmp(*proto)) {
    s.usage_error(ir::Code::NV4001, "ICMP has no ports: give --icmp-type (and --icmp-code)");
    return kExitInput;
  }
  std::string what = "from " + (o.from.empty() ? std::string("anywhere") : o.from) + " to " +
                     (o.to.empty() ? std::string("anywhere") : o.to) + ", " + o.proto + port_what;
  // With --http-* or --dns-name, exactly that request on every connection; without them,
  // any request or none.
  if (o.request.given()) {
    Request req;
    if (!parse_request(s, o.request, req)) return kExitInput;
    scope.l7_pinned = true;
    if (req.http) what += ", carrying HTTP " + req.http->method + " " + req.http->path;
    for (const auto& n : req.any_value_headers) what += " with header " + n + " (any value)";
    if (req.dns) what += ", carrying a DNS query for " + *req.dns;
    scope.http = std::move(req.http);
    scope.http_any_headers = std::move(req.any_value_headers);
    scope.dns = std::move(req.dns);
  }
  return guarded(s, [&] {
    auto opt = query_options(o.verify, s.inventory, !o.common.cluster.empty());
    ReachResult r = verifier::reach(s.policies, scope, opt);
    std::string fams = families_text(opt.families);
    using A = ReachResult::Answer;
    switch (r.answer) {
      case A::Allowed:
        std::cout << "ALLOWED: every packet " << what << " is allowed (proved, " << fams << ")\n";
        break;
      case A::Denied:
        std::cout << "DENIED: every packet " << what << " is denied (proved, " << fams << ")\n";
        break;
      case A::Depends:
        std::cout << "DEPENDS: some packets " << what << " are allowed, others denied\n";
        break;
      case A::NoSuchTraffic:
        std::cout << "NO SUCH TRAFFIC: no endpoint pair matches " << what << "\n";
        break;
    }
    // With --cluster, a node and its own pods are never the two ends (Encoder::pin): they
    // always talk. Where that makes a difference to the answer, say how many such pairs the
    // question has.
    if (opt.pin && (r.answer == A::Denied || r.answer == A::NoSuchTraffic)) {
      size_t local = node_local_pairs(*opt.pin, scope, opt.families);
      if (local)
        std::cout << "note: not counted above: " << local << " pair" << (local == 1 ? "" : "s")
                  << " of a node address and one of that node's own pods, which always talk "
                     "(the node-local rule)\n";
    }
    if (r.allowed && r.answer == A::Depends)
      std::cout << "\nallowed, for example:\n" << r.allowed->text();
    if (r.allowed && r.answer == A::Depends)
      std::cout << "  " << verdict_text(s.policies, *r.allowed);
    if (r.denied) {
      std::cout << "\n"
                << (r.answer == A::Depends ? "denied, for example:\n" : "for example:\n")
                << r.denied->text();
      std::cout << "  " << verdict_text(s.policies, *r.denied);
    }
    if (o.expect == "allow") return r.answer == A::Allowed ? kExitOk : kExitFailed;
    if (o.expect == "deny") return r.answer == A::Denied ? kExitOk : kExitFailed;
    return kExitOk;
  });
}

struct PairOptions {
  CommonOptions common;
  VerifyOptions verify;
  std::string a, b;
  std::string from, to;
  size_t max_regions = 8;
};

// Loads the two policy sets; the inventory (for pinning) comes with the first.
bool load_pair(const PairOptions& o, Session& a, Session& b) {
  if (o.a == "-" && o.b == "-") {
    a.usage_error(ir::Code::NV1017, "standard input (-) can be read only once; name it once");
    return false;
  }
  CommonOptions ca = o.common, cb = o.common;
  ca.policies = {o.a};
  cb.policies = {o.b};
  cb.cluster.clear();
  if (!load(ca, a)) return false;
  return load(cb, b);
}

int run_pair(const PairOptions& o, const std::string& cmd) {
  Session a, b;
  if (!load_pair(o, a, b)) return kExitInput;
  verifier::Scope scope;
  if (!parse_ends(a, o.from, o.to, scope)) return kExitInput;
  return guarded(a, [&] {
    auto opt = query_options(o.verify, a.inventory, !o.common.cluster.empty());
    std::string fams = families_text(opt.families);
    if (cmd == "diff") {
      auto r = verifier::diff(a.policies, b.policies, scope, opt, o.max_regions);
      auto print = [&](const std::vector<verifier::Region>& rs, bool more, const char* title) {
        std::cout << title << " (" << rs.size() << (more ? "+" : "") << " region"
                  << (rs.size() == 1 ? "" : "s") << ")"
                  << (rs.empty() ? ": none (proved, " + fams + ")" : ":") << "\n";
        for (size_t i = 0; i < rs.size(); ++i)
          std::cout << "  " << i + 1 << ". " << rs[i].text() << "\n";
        if (more) std::cout << "  ... more regions exist (raise --max-regions to see them)\n";
      };
      print(r.opened, r.opened_truncated, ("newly allowed by " + o.b).c_str());
      print(r.closed, r.closed_truncated, ("newly denied by " + o.b).c_str());
      bool changed = !r.opened.empty() || !r.closed.empty();
      return changed ? kExitFailed : kExitOk;
    }
    auto rel = cmd == "equiv" ? verifier::Relation::Equiv : verifier::Relation::Contains;
    auto r = verifier::compare(a.policies, b.policies, rel, scope, opt);
    if (r.holds) {
      if (cmd == "equiv")
        std::cout << "EQUIVALENT: " << o.a << " and " << o.b
                  << " admit exactly the same packets (proved, " << fams << ")\n";
      else
        std::cout << "CONTAINS: every packet " << o.b << " admits, " << o.a
                  << " admits too (proved, " << fams << ")\n";
      return kExitOk;
    }
    const auto& w = *r.witness;
    std::cout << (cmd == "equiv" ? "NOT EQUIVALENT: " : "DOES NOT CONTAIN: ") << "a packet that "
              << (r.a_allows ? o.a : o.b) << " allows and " << (r.a_allows ? o.b : o.a)
              << " denies\n"
              << w.text() << "  under " << o.a << ": " << verdict_text(a.policies, w) << "  under "
              << o.b << ": " << verdict_text(b.policies, w);
    return kExitFailed;
  });
}

}  // namespace

void add_reach(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReachOptions>();
  auto* sub = app.add_subcommand(
      "reach",
      "Prove that every packet between two sets of endpoints is allowed, or denied, for every pod "
      "that could ever match (or every pod of --cluster); otherwise show one of each");
  sub->add_option("--from", o->from,
                  "Source: NS/SELECTOR (NS a name or *; SELECTOR as kubectl -l), a CIDR, or world");
  sub->add_option("--to", o->to, "Destination, as --from");
  sub->add_option("--port", o->port, "Destination port (default: any)")
      ->check(CLI::Range(0, 65535));
  sub->add_option("--proto", o->proto, "Protocol: TCP, UDP, SCTP, ICMP, ICMPv6, a number, or ANY")
      ->capture_default_str();
  sub->add_option("--icmp-type", o->icmp_type, "ICMP/ICMPv6 type (with --proto ICMP or ICMPv6)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--icmp-code", o->icmp_code, "ICMP/ICMPv6 code (needs --icmp-type)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--expect", o->expect, "Exit 1 unless proved: allow or deny")
      ->check(CLI::IsMember({"allow", "deny"}));
  add_request_flags(sub, o->request);
  add_common(sub, o->common, false);
  add_verify_options(sub, o->verify);
  sub->callback([o, &exit_code] { exit_code = run_reach(*o); });
}

void add_compare(CLI::App& app, int& exit_code) {
  struct Cmd {
    const char* name;
    const char* help;
  };
  for (Cmd c :
       {Cmd{"equiv",
            "Prove that two policy sets admit exactly the same packets, or show one they disagree "
            "on"},
        Cmd{"contains",
            "Prove that the first policy set admits every packet the second admits, or show one "
            "it does not"},
        Cmd{"diff",
            "What the second policy set newly allows and newly denies, as regions of packets"}}) {
    auto o = std::make_shared<PairOptions>();
    auto* sub = app.add_subcommand(c.name, c.help);
    sub->add_option("a", o->a, "First policy set: a file, a directory, or -")->required();
    sub->add_option("b", o->b, "Second policy set: a file, a directory, or -")->required();
    sub->add_option("--from", o->from, "Only packets from these sources (as reach --from)");
    sub->add_option("--to", o->to, "Only packets to these destinations (as reach --to)");
    if (std::string(c.name) == "diff")
      sub->add_option("--max-regions", o->max_regions, "Regions to show per direction and family")
          ->capture_default_str();
    add_common(sub, o->common, false, false);
    add_verify_options(sub, o->verify);
    std::string name = c.name;
    sub->callback([o, name, &exit_code] { exit_code = run_pair(*o, name); });
  }
}

}  // namespace nv::cli
