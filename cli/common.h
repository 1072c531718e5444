// What every subcommand shares: reading inputs, printing diagnostics, exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "compiler/frontend.h"
#include "ir/diagnostic.h"
#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::cli {

// Exit codes (conftest/kubeconform conventions).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // an assertion failed
inline constexpr int kExitInput = 2;   // usage or input error

struct CommonOptions {
  std::vector<std::string> cluster;
  std::vector<std::string> policies;
  std::string default_namespace = "default";
  std::string cni = "auto";
  std::string ipblock_pods = "auto";
  std::string host_network_pods = "node";
  bool no_color = false;
  bool quiet = false;
};

// Adds --cluster, --namespace, --ipblock-pods, --no-color, --quiet and the POLICIES
// positional to a subcommand.
void add_common(CLI::App* sub, CommonOptions& opt, bool cluster_required, bool policies_positional = true);

struct Session : Workspace {
  bool color = false;

  // Prints every diagnostic so far to stderr.
  void print_diagnostics() const;
  // Reports a problem with the command itself (NV4xxx) and prints it.
  void usage_error(ir::Code code, const std::string& message);
};

// The load options that the command-line options stand for.
LoadOptions load_options(const CommonOptions& opt);

// Reads policies and inventory. Prints diagnostics and notes to stderr. Returns false when
// there were errors (the caller exits with kExitInput and writes no output).
bool load(const CommonOptions& opt, Session& s);

bool stderr_color(bool no_color);

// Prints an error about the command itself (no source location) to stderr.
void print_usage_error(ir::Code code, const std::string& message, bool color);

// With NETVERIFY_TIMINGS=1 in the environment, prints "timing: PHASE SECONDS" to stderr
// for each phase since the previous call (for benchmarks).
void phase(const char* name);

// Ends the process with `code` once a command's work is done and its output written:
// flushes standard output and error, then exits without running destructors (clang's
// -disable-free). Tearing down a large compile's objects (the IR of a 22,000-pod
// cluster, a ruleset of 260,000 set elements, Z3 contexts) took 0.04 s that the exit
// does for free.
[[noreturn]] void exit_now(int code);

// Subcommands.
void add_query(CLI::App& app, int& exit_code);
void add_matrix(CLI::App& app, int& exit_code);
void add_dump(CLI::App& app, int& exit_code);
void add_reach(CLI::App& app, int& exit_code);
void add_check(CLI::App& app, int& exit_code);
void add_compare(CLI::App& app, int& exit_code);  // equiv, contains, diff
void add_holes(CLI::App& app, int& exit_code);
void add_compile(CLI::App& app, int& exit_code);
void add_convert(CLI::App& app, int& exit_code);

}  // namespace nv::cli
