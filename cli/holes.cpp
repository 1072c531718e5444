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
  HoleFlags holes;
  std::string fail_on = "warning";
};

int run_holes(const HolesOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  verifier::HoleOptions h;
  if (!hole_options(o.holes, s, h)) return kExitInput;
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
  add_hole_flags(sub, o->holes);
  sub->add_option("--fail-on", o->fail_on, "Exit 1 on findings of this severity or above: error, warning, note, never")
      ->check(CLI::IsMember({"error", "warning", "note", "never"}))
      ->capture_default_str();
  add_common(sub, o->common, false);
  add_verify_options(sub, o->verify);
  sub->callback([o, &exit_code] { exit_code = run_holes(*o); });
}

}  // namespace nv::cli
