// Kernel tests: compiled rulesets, as text, loaded into a node's namespace the way an
// operator would load `netverify compile` output.
#pragma once

#include <string>
#include <vector>

#include "tests/kernel/netns.h"

namespace nv::kernel {

enum class Target { Nft, Iptables };
const char* name(Target t);  // "nft", "iptables"
inline constexpr Target kTargets[] = {Target::Nft, Target::Iptables};

struct Ruleset {
  Target target = Target::Nft;
  std::string nft;              // Target::Nft: `nft -f` input
  std::string v4, v6, ipset;    // Target::Iptables: iptables-restore, ip6tables-restore, ipset restore
};

// Loads `r` into the namespace:
//   nft:      nft -f OUT.nft
//   iptables: ipset restore -exist < OUT.ipset; iptables-restore --noflush < OUT;
//             ip6tables-restore --noflush < OUT.v6; FORWARD jumps to NETVERIFY first.
// Throws std::runtime_error with the tool's output (and the ruleset) when a step fails.
void load_ruleset(const Netns& ns, const Ruleset& r);

// Runs `netverify compile --target T --cluster CLUSTER --node NODE POLICIES... -o OUT`
// with OUT under `outdir`, and reads the output files back. Throws with the CLI's output
// on a nonzero exit.
Ruleset compile_cli(const std::string& netverify, Target t, const std::string& cluster,
                    const std::string& node, const std::vector<std::string>& policies,
                    const std::string& outdir);

// Whether `netverify compile --help` works (the subcommand exists in this build).
bool cli_has_compile(const std::string& netverify);

std::string slurp(const std::string& path);  // a file's text; throws when unreadable
void spit(const std::string& path, const std::string& text);  // creates parent directories

}  // namespace nv::kernel
