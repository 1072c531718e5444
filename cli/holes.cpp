// netverify holes: accidental deny-all and allow-all, each proved or shown with a witness.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/common.h"
#include "cli/verify_common.h"
#include "verifier/holes.h"

namespace nv::cli {

namespace {

struct HolesOptions {
  CommonOptions common;
  VerifyOptions verify;
  std::string dns = "kube-system/k8s-app=kube-dns", dns_proto = "UDP", fail_on = "warning";
  int dns_port = 53;
  std::vector<std::string> pod_cidrs, service_cidrs;
  bool no_shadowing = false;
};

int run_holes(const HolesOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  verifier::HoleOptions h;
  std::string err;
  auto dns = parse_endpoint_spec(o.dns, err);
  if (!dns) {
    s.usage_error(ir::Code::NV4004, "--dns " + o.dns + ": " + err);
    return kExitInput;
  }
  h.dns = *dns;
  h.dns_text = o.dns;
  auto proto = ir::parse_proto(o.dns_proto);
  if (!proto) {
    s.usage_error(ir::Code::NV4001, "--dns-proto " + o.dns_proto + ": not a protocol");
    return kExitInput;
  }
  h.dns_proto = *proto;
  h.dns_port = static_cast<uint16_t>(o.dns_port);
  for (auto [from, to, flag] : {std::tuple{&o.pod_cidrs, &h.pod_cidrs, "--pod-cidr"},
                                std::tuple{&o.service_cidrs, &h.service_cidrs, "--service-cidr"}})
    for (const auto& text : *from) {
      auto c = ir::Cidr::parse(text);
      if (!c) {
        s.usage_error(ir::Code::NV4001, std::string(flag) + " " + text + ": not a CIDR");
        return kExitInput;
      }
      to->push_back(*c);
    }
  h.shadowing = !o.no_shadowing;
  h.leak_solver = true;  // netverify exits right after
  return guarded(s, [&] {
    h.query = query_options(o.verify, s.inventory, false);
    auto report = verifier::find_holes(s.policies, s.inventory, h);
    size_t counts[3] = {0, 0, 0};
    for (const auto& f : report.findings) {
      ++counts[static_cast<int>(f.severity)];
      ir::Diagnostics one;
      one.report(f.code, f.severity, f.span, f.message);
      std::string out;
      one.render(out, &s.sources, s.color && isatty(1));
      std::cout << out;
      if (f.witness) std::cout << "  " << f.witness_caption << ":\n" << f.witness->text("    ");
    }
    for (const auto& p : report.proved) std::cout << "proved: " << p << "\n";
    std::cout << report.findings.size() << " finding(s): " << counts[2] << " error(s), " << counts[1]
              << " warning(s), " << counts[0] << " note(s); " << report.proved.size() << " propert"
              << (report.proved.size() == 1 ? "y" : "ies") << " proved\n";
    size_t failing = o.fail_on == "never" ? 0
                     : o.fail_on == "error" ? counts[2]
                     : o.fail_on == "warning" ? counts[2] + counts[1]
                                              : counts[2] + counts[1] + counts[0];
    return failing ? kExitFailed : kExitOk;
  });
}

}  // namespace

void add_holes(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<HolesOptions>();
  auto* sub = app.add_subcommand("holes", "Find accidental deny-all and allow-all holes, each proved or shown with a witness");
  sub->add_option("--dns", o->dns, "The cluster DNS pods, as NS/SELECTOR")->capture_default_str();
  sub->add_option("--dns-port", o->dns_port, "DNS port")->check(CLI::Range(0, 65535))->capture_default_str();
  sub->add_option("--dns-proto", o->dns_proto, "DNS protocol")->capture_default_str();
  sub->add_option("--pod-cidr", o->pod_cidrs, "The cluster's pod network, for ipBlock checks (repeat for more)")
      ->allow_extra_args(false);
  sub->add_option("--service-cidr", o->service_cidrs, "The cluster's service network (repeat for more)")
      ->allow_extra_args(false);
  sub->add_flag("--no-shadowing", o->no_shadowing, "Skip the shadowed-rule checks (one solver query per rule)");
  sub->add_option("--fail-on", o->fail_on, "Exit 1 on findings of this severity or above: error, warning, note, never")
      ->check(CLI::IsMember({"error", "warning", "note", "never"}))
      ->capture_default_str();
  add_common(sub, o->common, false);
  add_verify_options(sub, o->verify);
  sub->callback([o, &exit_code] { exit_code = run_holes(*o); });
}

}  // namespace nv::cli
