#include "tests/kernel/ruleset.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nv::kernel {

const char* name(Target t) { return t == Target::Nft ? "nft" : "iptables"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

namespace {
void step(const Netns& ns, const std::vector<std::string>& argv, const std::string& input,
          const std::string& what) {
  auto r = ns.exec(argv, input);
  if (r.status != 0)
    throw std::runtime_error(what + " failed in " + ns.name() + " (exit " + std::to_string(r.status) +
                             "):\n" + r.output + "\n--- input ---\n" + input);
}
}  // namespace

void load_ruleset(const Netns& ns, const Ruleset& r) {
  if (r.target == Target::Nft) {
    step(ns, {"nft", "-f", "-"}, r.nft, "nft -f");
    return;
  }
  if (!r.ipset.empty()) step(ns, {"ipset", "restore", "-exist"}, r.ipset, "ipset restore");
  step(ns, {"iptables-restore", "--noflush"}, r.v4, "iptables-restore");
  step(ns, {"ip6tables-restore", "--noflush"}, r.v6, "ip6tables-restore");
  for (const char* tool : {"iptables", "ip6tables"}) {
    std::string t = tool;
    if (ns.exec({t, "-C", "FORWARD", "-j", "NETVERIFY"}).status != 0)
      step(ns, {t, "-I", "FORWARD", "1", "-j", "NETVERIFY"}, "", t + " -I FORWARD");
  }
}

Ruleset compile_cli(const std::string& netverify, Target t, const std::string& cluster,
                    const std::string& node, const std::vector<std::string>& policies,
                    const std::string& outdir) {
  std::filesystem::create_directories(outdir);
  std::string out = outdir + "/" + node + (t == Target::Nft ? ".nft" : ".iptables");
  std::vector<std::string> argv = {netverify, "compile", "--target", name(t), "--cluster", cluster, "--node", node};
  argv.insert(argv.end(), policies.begin(), policies.end());
  argv.insert(argv.end(), {"-o", out});
  auto res = run(argv);
  if (res.status != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("netverify compile failed (exit " + std::to_string(res.status) + "): " + cmd +
                             "\n" + res.output);
  }
  Ruleset r;
  r.target = t;
  if (t == Target::Nft) {
    r.nft = slurp(out);
  } else {
    r.v4 = slurp(out);
    r.v6 = slurp(out + ".v6");
    r.ipset = slurp(out + ".ipset");
  }
  return r;
}

bool cli_has_compile(const std::string& netverify) {
  return run({netverify, "compile", "--help"}).status == 0;
}

}  // namespace nv::kernel
