// netverify compile: the firewall of one node, as an nft script or iptables-restore and
// ipset input, proved equivalent to the policies (translation validation) before it is
// written. Output files are written whole or not at all.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>

#include "cli/common.h"
#include "cli/verify_common.h"
#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "verifier/validate.h"

namespace nv::cli {

namespace {

struct CompileOptions {
  CommonOptions common;
  std::string target, node, output;
  bool no_validate = false;
  double timeout_s = 60;
  std::string emit_smt2;
  std::string approximation;  // "", "wider" or "narrower"
};

// What a firewall cannot enforce (L7 constraints, FQDN peers) in the policies that select a
// pod of the node: an NV4020 error per rule, or with --allow-approximation an NV4021
// warning per rule and the approximated set (wider: L7 constraints dropped, FQDN peers
// every external address; narrower: those rules, or FQDN peers, removed). Returns false
// after errors; `header` gets the direction and the rules.
bool approximate(Session& s, const CompileOptions& o, std::vector<std::string>& header) {
  std::vector<const ir::Pod*> local;
  for (const auto& pod : s.inventory.pods)
    if (pod.node == o.node) local.push_back(&pod);
  auto applies = [&](const ir::Policy& p) {
    for (const ir::Pod* pod : local)
      if (ir::matches(p.subject, ir::Endpoint::of_pod(*pod, ir::Family::V4), s.inventory)) return true;
    return false;
  };
  // The node itself, as host policies (ir::applies_to_hosts) see it.
  ir::Endpoint self;
  self.kind = ir::EndpointKind::Host;
  self.node = o.node;
  auto selects_node = [&](const ir::Policy& p) {
    return ir::applies_to_hosts(p) && ir::matches(p.subject, self, s.inventory);
  };
  auto unenforceable = [](const ir::Rule& r) {
    return r.l7 || std::any_of(r.peers.begin(), r.peers.end(),
                               [](const ir::Peer& x) { return x.fqdns.has_value(); });
  };
  auto has_unenforceable = [&](const ir::Policy& p) {
    for (const auto& dr : p.dirs)
      if (std::any_of(dr.rules.begin(), dr.rules.end(), unenforceable)) return true;
    return false;
  };
  // Most policy sets have nothing to approximate: then nothing is copied.
  if (std::none_of(s.policies.policies().begin(), s.policies.policies().end(),
                   [&](const ir::Policy& p) {
                     return selects_node(p) || (has_unenforceable(p) && applies(p));
                   }))
    return true;
  ir::Diagnostics d;
  bool wider = o.approximation == "wider";
  std::string names;
  ir::PolicySet out;
  for (const auto& t : s.policies.tiers()) out.add_tier(t);
  for (ir::Policy p : s.policies.policies()) {
    if (selects_node(p)) {
      // It filters the node's own traffic (input and output), which a forward-path ruleset
      // never sees: the ruleset is exact for the node's pods and leaves that traffic alone.
      std::string what = "host policy " + p.id() + " selects node " + o.node;
      if (o.approximation != "wider") {
        d.report(ir::Code::NV4020, p.span,
                 what + ": it filters the node's own traffic, which the " + o.target +
                     " forward-path ruleset does not; --allow-approximation wider compiles the "
                     "forward path alone (the node's own traffic unfiltered)");
      } else {
        d.report(ir::Code::NV4021, p.span,
                 what + ": approximated wider (the node's own traffic is not filtered)");
        names += (names.empty() ? "" : ", ") + p.id() + " (host policy, not enforced)";
      }
    }
    if (has_unenforceable(p) && applies(p))
      for (auto& dr : p.dirs) {
        std::vector<ir::Rule> kept;
        for (ir::Rule r : dr.rules) {
          if (!unenforceable(r)) {
            kept.push_back(std::move(r));
            continue;
          }
          std::string what = p.id() + " " + r.path + " (" + (r.l7 ? "L7 rules" : "toFQDNs") + ")";
          names += (names.empty() ? "" : ", ") + p.id() + " " + r.path;
          if (o.approximation.empty()) {
            d.report(ir::Code::NV4020, r.span,
                     what + ": the " + o.target + " target cannot enforce it; --allow-approximation wider "
                     "(allow every request / every external address) or narrower (drop the rule) compiles it");
            continue;
          }
          d.report(ir::Code::NV4021, r.span,
                   what + (wider ? ": approximated wider (every request, every external address)"
                                 : ": approximated narrower (what it allows at L7 or by DNS name is denied)"));
          if (wider) {
            r.l7.reset();
            for (auto& peer : r.peers) peer.fqdns.reset();
            kept.push_back(std::move(r));
          } else if (!r.l7) {
            std::erase_if(r.peers, [](const ir::Peer& x) { return x.fqdns.has_value(); });
            if (!r.peers.empty()) kept.push_back(std::move(r));  // no peers would mean every peer
          }
        }
        dr.rules = std::move(kept);
      }
    out.add(std::move(p));
  }
  out.finalize();
  std::string text;
  d.render(text, &s.sources, s.color);
  std::cerr << text;
  if (d.error_count()) return false;
  if (!names.empty()) {
    header.push_back(std::string("APPROXIMATED ") + (wider ? "WIDER" : "NARROWER") +
                     " (--allow-approximation): " + names + ".");
    header.push_back("Validation proves the ruleset equivalent to the approximated policies, not the originals.");
    s.policies = std::move(out);
  }
  return true;
}

// What iptables cannot match exactly (backends::iptables_inexpressible: ICMP types of the
// other family's ICMP, codes of ICMP type 255), refused (NV4029) rather than compiled
// narrower. Returns false after errors.
bool refuse_inexpressible(Session& s, const CompileOptions& o, const backends::NodePlan& plan) {
  if (o.target != "iptables") return true;
  std::vector<std::string> cases = backends::iptables_inexpressible(plan);
  for (const auto& c : cases)
    s.usage_error(ir::Code::NV4029, "node " + o.node + ": " + c +
                                        "; nothing was written (--target nft matches them)");
  return cases.empty();
}

// Writes every (path, text) to a temporary file next to it, then renames them all; on any
// failure removes the temporaries and returns false with a message.
bool write_all(const std::vector<std::pair<std::string, std::string>>& files, std::string& err) {
  std::vector<std::string> tmps;
  auto cleanup = [&] {
    for (const auto& t : tmps) std::remove(t.c_str());
  };
  for (const auto& [path, text] : files) {
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    tmps.push_back(tmp);
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      err = "cannot write " + tmp;
      cleanup();
      return false;
    }
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (std::rename(tmps[i].c_str(), files[i].first.c_str()) != 0) {
      err = "cannot rename " + tmps[i] + " to " + files[i].first;
      cleanup();
      return false;
    }
  return true;
}

// Parses the emitted text back and proves it equivalent, per family. False after
// reporting NV4023 (a netverify bug) with the counterexample.
bool validate(Session& s, const CompileOptions& o,
              const std::vector<std::pair<ir::Family, backends::Firewall>>& fws,
              const std::map<ir::Family, std::shared_ptr<const verifier::ValidationSpec>>& specs,
              const verifier::SolverOptions& so) {
  for (const auto& [family, fw] : fws) {
    auto cx = verifier::validate_firewall(*specs.at(family), fw, so);
    phase(family == ir::Family::V4 ? "validate-ipv4" : "validate-ipv6");
    if (cx) {
      s.usage_error(ir::Code::NV4023, "the " + o.target + " ruleset for node " + o.node +
                                          " differs from the policies; nothing was written. Counterexample:\n" + cx->text);
      return false;
    }
  }
  return true;
}

// Once the ruleset is built, ends the process (exit_now) with the command's exit status.
int run_compile(const CompileOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  if (!backends::node_known(s.inventory, o.node)) {
    s.usage_error(ir::Code::NV4022, "--node " + o.node + ": no node or pod of the inventory has this name");
    return kExitInput;
  }
  if (o.target == "iptables" && o.output.empty()) {
    s.usage_error(ir::Code::NV4001, "--target iptables writes three files (FILE, FILE.v6, FILE.ipset); give -o FILE");
    return kExitInput;
  }
  std::vector<std::string> approx;
  if (!approximate(s, o, approx)) return kExitInput;
  phase("approximate");
  backends::NodePlan plan = backends::plan_node(s.policies, s.inventory, o.node);
  phase("plan");
  if (!refuse_inexpressible(s, o, plan)) return kExitInput;
  backends::EmitInfo info;
  for (const auto& line : approx) info.header.push_back(line);
  info.header.push_back(o.no_validate ? "NOT validated (--no-validate)."
                                      : "Validated: proved equivalent to the policies for new connections (Z3).");
  verifier::SolverOptions so;
  so.timeout_ms = static_cast<unsigned>(o.timeout_s * 1000);
  so.emit_smt2_dir = o.emit_smt2;

  std::vector<std::pair<std::string, std::string>> files;
  exit_now(guarded(s, [&] {
    // The policies' side of the validation, on another thread while the ruleset is
    // emitted and parsed back: it reads the policies and the inventory only.
    std::map<ir::Family, std::shared_ptr<const verifier::ValidationSpec>> specs;
    std::future<void> preparing;
    if (!o.no_validate)
      preparing = std::async(std::launch::async, [&] {
        for (ir::Family f : {ir::Family::V4, ir::Family::V6})
          specs[f] = verifier::prepare_validation(s.policies, s.inventory, o.node, f);
      });
    ir::Diagnostics parse_diags;
    std::vector<std::pair<ir::Family, backends::Firewall>> fws;
    if (o.target == "nft") {
      std::string text = backends::emit_nft(plan, info);
      phase("emit");
      files.emplace_back(o.output, text);
      if (!o.no_validate) {
        auto fw = backends::parse_nft(text, "<emitted nft>", parse_diags);
        if (fw) {
          fws.emplace_back(ir::Family::V4, *fw);
          fws.emplace_back(ir::Family::V6, *fw);
        }
      }
    } else {
      backends::IptablesOutput out = backends::emit_iptables(plan, info);
      phase("emit");
      files = {{o.output, out.rules4}, {o.output + ".v6", out.rules6}, {o.output + ".ipset", out.ipsets}};
      if (!o.no_validate) {
        // Both families read the whole ipset input: the IPv6 one on another thread.
        auto parse_back = [&](ir::Family f, ir::Diagnostics& diags) {
          return backends::parse_iptables(f == ir::Family::V4 ? out.rules4 : out.rules6,
                                          "<emitted iptables>", out.ipsets, "<emitted ipset>", f,
                                          diags);
        };
        ir::Diagnostics v6_diags;
        auto v6 = std::async(std::launch::async, parse_back, ir::Family::V6, std::ref(v6_diags));
        auto v4 = parse_back(ir::Family::V4, parse_diags);
        auto fw6 = v6.get();
        parse_diags.append(v6_diags);
        if (v4) fws.emplace_back(ir::Family::V4, std::move(*v4));
        if (fw6) fws.emplace_back(ir::Family::V6, std::move(*fw6));
      }
    }
    phase("parse-back");
    if (parse_diags.has_errors()) {
      std::string msgs;
      parse_diags.render(msgs, nullptr, false);
      s.usage_error(ir::Code::NV4023, "the emitted ruleset does not parse back; nothing was written:\n" + msgs);
      return kExitInternal;
    }
    if (preparing.valid()) preparing.get();
    if (!o.no_validate && !validate(s, o, fws, specs, so)) return kExitInternal;
    if (o.output.empty()) {
      std::cout << files.front().second;
      return kExitOk;
    }
    std::string err;
    bool written = write_all(files, err);
    phase("write");
    if (!written) {
      s.usage_error(ir::Code::NV4001, err);
      return kExitInput;
    }
    return kExitOk;
  }));
}

}  // namespace

void add_compile(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CompileOptions>();
  auto* sub = app.add_subcommand(
      "compile", "Compile the policies into one node's firewall (nft or iptables), proved equivalent before it is written");
  sub->add_option("--target", o->target, "nft: an `nft -f` script; iptables: iptables-restore, ip6tables-restore and ipset input")
      ->required()
      ->check(CLI::IsMember({"nft", "iptables"}));
  sub->add_option("--node", o->node, "The node whose firewall to compile (its pods are the inventory's pods on it)")->required();
  sub->add_option("-o,--output", o->output,
                  "Write here (nft: FILE; iptables: FILE, FILE.v6 and FILE.ipset), atomically; default: standard output (nft)");
  sub->add_option("--allow-approximation", o->approximation,
                  "Compile L7 rules and toFQDNs peers anyway: wider (allow every request and external "
                  "address) or narrower (drop them)")
      ->check(CLI::IsMember({"wider", "narrower"}));
  sub->add_flag("--no-validate", o->no_validate, "Skip translation validation (for speed measurements only)");
  sub->add_option("--timeout", o->timeout_s, "Seconds per validation query; a timeout is an error (exit 3), never a pass")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--emit-smt2", o->emit_smt2, "Write every validation query to this directory as SMT-LIB 2");
  add_common(sub, o->common, true);
  sub->callback([o, &exit_code] { exit_code = run_compile(*o); });
}

}  // namespace nv::cli
