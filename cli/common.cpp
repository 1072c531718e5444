#include "cli/common.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "verifier/solver.h"

namespace nv::cli {

bool stderr_color(bool no_color) {
  return !no_color && std::getenv("NO_COLOR") == nullptr && isatty(STDERR_FILENO);
}

namespace {
// CPU seconds of the whole process, every thread's, and its peak resident set in MB.
std::pair<double, long> process_usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return {s(u.ru_utime) + s(u.ru_stime), u.ru_maxrss / 1024};
}
}  // namespace

void exit_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

void phase(const char* name) {
  static const bool on = verifier::timings_requested();
  static auto last = std::chrono::steady_clock::now();
  static double last_cpu = on ? process_usage().first : 0;
  auto now = std::chrono::steady_clock::now();
  if (on) {
    auto [cpu, peak_mb] = process_usage();
    std::fprintf(stderr, "timing: %s %.3f (%.3f s CPU, peak RSS %ld MB)\n", name,
                 std::chrono::duration<double>(now - last).count(), cpu - last_cpu, peak_mb);
    last_cpu = cpu;
  }
  last = now;
}

void add_common(CLI::App* sub, CommonOptions& opt, bool cluster_required, bool policies_positional) {
  auto* c = sub->add_option("--cluster", opt.cluster,
                            "Inventory: files or directories with Namespace, Pod, Service and "
                            "Node objects (a `kubectl get ns,pods,svc,nodes -A -o yaml` dump), "
                            "or - for stdin. One value per --cluster; repeat it for more");
  c->allow_extra_args(false);  // never swallow the POLICIES that follow
  if (cluster_required) c->required();
  sub->add_option("--namespace,-n", opt.default_namespace,
                  "Namespace for namespaced objects that name none")
      ->capture_default_str();
  sub->add_option("--cni", opt.cni,
                  "Whose semantics to evaluate with: calico or cilium (their policies with "
                  "NetworkPolicy, as that CNI layers them), generic (NetworkPolicy, ANP, BANP), "
                  "or auto: the one the inputs' policy kinds call for")
      ->check(CLI::IsMember({"auto", "generic", "calico", "cilium"}))
      ->capture_default_str();
  sub->add_option("--ipblock-pods", opt.ipblock_pods,
                  "Whether NetworkPolicy ipBlock matches pod addresses (implementation-defined "
                  "upstream): match, ignore, or auto: as the CNI does (Cilium ignores, the others match)")
      ->check(CLI::IsMember({"auto", "match", "ignore"}))
      ->capture_default_str();
  sub->add_option("--host-network-pods", opt.host_network_pods,
                  "hostNetwork pods: seen as their node, outside pod selectors (node, as most "
                  "CNIs do), or treated as ordinary pods (pod)")
      ->check(CLI::IsMember({"node", "pod"}))
      ->capture_default_str();
  sub->add_flag("--no-color", opt.no_color, "Never color diagnostics");
  sub->add_flag("--quiet,-q", opt.quiet, "Print no notes, only warnings and errors");
  if (policies_positional)
    sub->add_option("policies", opt.policies,
                  "Policy files or directories (.yaml, .yml, .json), or - for stdin");
}

void Session::print_diagnostics() const {
  std::string out;
  diags.render(out, &sources, color);
  std::cerr << out;
}

void print_usage_error(ir::Code code, const std::string& message, bool color) {
  std::cerr << ir::render(ir::Diagnostic{code, ir::Severity::Error, message, {}, {}}, nullptr, color);
}

void Session::usage_error(ir::Code code, const std::string& message) {
  print_usage_error(code, message, color);
}

LoadOptions load_options(const CommonOptions& opt) {
  LoadOptions lo;
  lo.default_namespace = opt.default_namespace;
  lo.cni = opt.cni == "generic"  ? Cni::Generic
           : opt.cni == "calico" ? Cni::Calico
           : opt.cni == "cilium" ? Cni::Cilium
                                 : Cni::Auto;
  if (opt.ipblock_pods != "auto") lo.ipblock_matches_pods = opt.ipblock_pods == "match";
  lo.k8s.host_network_as_pods = opt.host_network_pods == "pod";
  return lo;
}

bool load(const CommonOptions& opt, Session& s) {
  s.color = stderr_color(opt.no_color);
  LoadOptions lo = load_options(opt);

  phase("start");
  if (std::count(opt.policies.begin(), opt.policies.end(), "-") +
          std::count(opt.cluster.begin(), opt.cluster.end(), "-") > 1) {
    s.usage_error(ir::Code::NV1017, "standard input (-) can be read only once; name it once");
    return false;
  }
  s.read(opt.policies, opt.cluster);
  phase("parse");
  s.lower(lo);
  phase("lower");

  s.print_diagnostics();
  if (!opt.quiet) std::cerr << s.stats.notes(opt.default_namespace);
  return !s.diags.has_errors();
}

}  // namespace nv::cli
