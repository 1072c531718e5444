// netverify convert --to calico|cilium|k8s: the input policies in another dialect, emitted
// from the IR, read back through the target's own frontend (as if saved and loaded), and
// proved equivalent to the input by the verifier before a byte is printed.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/common.h"
#include "cli/verify_common.h"
#include "compiler/emit/emit.h"
#include "verifier/queries.h"

namespace nv::cli {

namespace {

struct ConvertOptions {
  CommonOptions common;
  VerifyOptions verify;
  std::string to, output;
};

Cni target_cni(emit::Target t) {
  switch (t) {
    case emit::Target::Calico:
      return Cni::Calico;
    case emit::Target::Cilium:
      return Cni::Cilium;
    case emit::Target::K8s:
      return Cni::Generic;
  }
  return Cni::Generic;
}

std::string verdict_text(const ir::PolicySet& ps, const verifier::Witness& w) {
  ir::Verdict v = ir::evaluate(ps, *w.inv, w.pkt);
  return std::string(v.allowed ? "ALLOWED" : "DENIED") + "\n" + ir::explain(v, w.pkt);
}

// Writes `text` to a temporary file beside `path`, then renames it over `path`.
bool write_atomically(const std::string& path, const std::string& text, std::string& err) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      err = "cannot write " + path;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    err = "cannot write " + path + " (renaming its temporary file failed)";
    return false;
  }
  return true;
}

int run_convert(const ConvertOptions& o) {
  Session s;
  if (!load(o.common, s)) return kExitInput;
  emit::Target target = o.to == "calico"   ? emit::Target::Calico
                        : o.to == "cilium" ? emit::Target::Cilium
                                           : emit::Target::K8s;
  if (s.policies.policies().empty()) {
    s.usage_error(ir::Code::NV4001, "no policies to convert (the inputs hold none)");
    return kExitInput;
  }
  bool pinned = !o.common.cluster.empty();
  emit::Output out = emit::convert(s.policies, target, pinned ? &s.inventory : nullptr);
  if (!out.refusals.empty()) {
    ir::Diagnostics d;
    for (const auto& r : out.refusals) d.report(r.code, r.span, r.message);
    std::string text;
    d.render(text, &s.sources, s.color);
    std::cerr << text << out.refusals.size() << " construct"
              << (out.refusals.size() == 1 ? "" : "s") << " of the input cannot be expressed in "
              << emit::name(target) << "; nothing was written\n";
    return kExitFailed;
  }

  // Read the text back as a user would, with the target CNI's semantics.
  Session back;
  back.color = s.color;
  back.read_texts(out.yaml, "");
  LoadOptions lo = load_options(o.common);
  lo.cni = target_cni(target);
  lo.ipblock_matches_pods.reset();  // as the target CNI does
  back.lower(lo);
  if (back.diags.has_errors()) {
    // Each error at the input policy its document came from, with the target's own
    // diagnostic (on the emitted text, named policies.yaml) as a note.
    ir::Diagnostics d;
    for (const auto& e : back.diags.all()) {
      if (e.severity != ir::Severity::Error) continue;
      size_t doc = static_cast<size_t>(e.span.doc);
      emit::Origin from = doc < out.origins.size() ? out.origins[doc] : emit::Origin{};
      auto& diag = d.report(ir::Code::NV4077, from.span,
                            from.policy + ": the " + std::string(emit::name(target)) +
                                " frontend rejects its converted form: " + e.message);
      std::string line(back.sources.line(e.span.file, e.span.line));
      size_t indent = line.find_first_not_of(' ');
      diag.notes.push_back(
          {e.span, "in the converted " + std::string(emit::name(target)) + " text: `" +
                       line.substr(indent == std::string::npos ? 0 : indent) + "`"});
    }
    std::string text;
    d.render(text, &s.sources, s.color);
    std::cerr << text << "nothing was written\n";
    return kExitFailed;
  }

  return guarded(s, [&] {
    auto opt = query_options(o.verify, s.inventory, pinned);
    auto r = verifier::compare(s.policies, back.policies, verifier::Relation::Equiv, {}, opt);
    std::string fams = families_text(opt.families);
    if (!r.holds) {
      const auto& w = *r.witness;
      s.usage_error(ir::Code::NV4078,
                    std::string("the ") + emit::name(target) +
                        " output is not equivalent to the input (a netverify bug); nothing "
                        "was written. A packet the " +
                        (r.a_allows ? "input allows and the output denies:"
                                    : "output allows and the input denies:"));
      std::cerr << w.text() << "  under the input: " << verdict_text(s.policies, w)
                << "  under the output: " << verdict_text(back.policies, w);
      return kExitInternal;
    }
    std::string scope = pinned ? "the pods of --cluster" : "every pod";
    std::string text = "# netverify convert --to " + o.to + ": proved equivalent to its input (" +
                       fams + ", " + scope + ") before it was written.\n" + out.yaml;
    if (o.output.empty()) {
      std::cout << text;
    } else {
      std::string err;
      if (!write_atomically(o.output, text, err)) {
        s.usage_error(ir::Code::NV4079, err);
        return kExitInput;
      }
    }
    if (!o.common.quiet)
      std::cerr << "note: " << out.policies << " " << emit::name(target) << " object"
                << (out.policies == 1 ? "" : "s") << " proved equivalent to the input (" << fams
                << ", " << scope << ")\n";
    return kExitOk;
  });
}

}  // namespace

void add_convert(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ConvertOptions>();
  auto* sub = app.add_subcommand(
      "convert",
      "Emit the policies in another dialect, proved equivalent by the verifier before they are "
      "printed; or say exactly what the target cannot express");
  sub->add_option("--to", o->to, "Target dialect: calico, cilium or k8s (Kubernetes NetworkPolicy)")
      ->required()
      ->check(CLI::IsMember({"calico", "cilium", "k8s"}));
  sub->add_option("--output,-o", o->output,
                  "Write the result to this file (atomically) instead of stdout");
  add_common(sub, o->common, false);
  add_verify_options(sub, o->verify);
  sub->callback([o, &exit_code] { exit_code = run_convert(*o); });
}

}  // namespace nv::cli
