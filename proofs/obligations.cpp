// nv_proofs: checks every proof obligation about the verifier's encoding (README.md).
//
//   nv_proofs [--emit DIR] [--no-check] [--only PREFIX] [--known-bugs] [--negative-control]
//
// Prints "proved  NAME" or "FAILED NAME: counterexample" per obligation. Exit status: 0
// when every obligation is proved, 1 when one failed, 3 when the solver could not decide
// one (never a pass), 2 on usage errors. --emit writes NAME.smt2 per obligation to DIR.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "proofs/catalog.h"

namespace {

int usage(const std::string& why) {
  std::cerr << "nv_proofs: " << why
            << "\nusage: nv_proofs [--emit DIR] [--no-check] [--only PREFIX] [--known-bugs] "
               "[--negative-control] [--timeout MS]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string emit_dir, only;
  bool check = true, known_bugs = false, negative = false;
  nv::proofs::CheckOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--emit" || a == "--only" || a == "--timeout") {
      const char* v = value();
      if (!v) return usage(a + " needs a value");
      if (a == "--emit")
        emit_dir = v;
      else if (a == "--only")
        only = v;
      else if (std::string(v).find_first_not_of("0123456789") == std::string::npos && *v &&
               std::strlen(v) <= 9)
        opt.timeout_ms = static_cast<unsigned>(std::stoul(v));
      else
        return usage("--timeout needs a number of milliseconds");
    } else if (a == "--no-check") {
      check = false;
    } else if (a == "--known-bugs") {
      known_bugs = true;
    } else if (a == "--negative-control") {
      negative = true;
    } else {
      return usage("unknown argument " + a);
    }
  }

  z3::context ctx;
  std::vector<nv::proofs::Obligation> obs;
  try {
    if (negative)
      obs.push_back(nv::proofs::negative_control(ctx));
    else if (known_bugs)
      obs = nv::proofs::known_bug_obligations(ctx);
    else
      obs = nv::proofs::all_obligations(ctx);
  } catch (const std::exception& e) {  // includes z3::exception
    std::cout << "FAILED stating the obligations: " << e.what() << std::endl;
    return 1;
  }

  std::vector<const nv::proofs::Obligation*> chosen;
  for (const auto& ob : obs)
    if (only.empty() || ob.name.rfind(only, 0) == 0) chosen.push_back(&ob);

  // Every file before any check: the printer names shared subterms after Z3's internal
  // ids, which solving would shift, and the committed files must be reproducible.
  if (!emit_dir.empty())
    for (const auto* ob : chosen) {
      std::string path = emit_dir + "/" + ob->name + ".smt2";
      std::ofstream f(path, std::ios::binary);
      f << nv::proofs::to_smt2(ctx, *ob);
      if (!f.flush()) {
        std::cerr << "nv_proofs: cannot write " << path << "\n";
        return 2;
      }
    }
  if (!check) return 0;

  int status = 0;
  for (const auto* ob : chosen) {
    nv::proofs::Outcome out;
    try {
      out = nv::proofs::check(ctx, *ob, opt);
    } catch (const z3::exception& e) {
      out.kind = nv::proofs::Outcome::Kind::Failed;
      out.detail = std::string("Z3 error: ") + e.msg();
    }
    std::cout << nv::proofs::report_line(*ob, out) << std::endl;
    if (out.kind == nv::proofs::Outcome::Kind::Failed)
      status = 1;
    else if (out.kind == nv::proofs::Outcome::Kind::Unknown && status == 0)
      status = 3;
  }
  return status;
}
