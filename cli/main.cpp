// netverify: packet-path policy verifier and firewall rule compiler.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/common.h"

int main(int argc, char** argv) {
  CLI::App app{"netverify: answers reachability questions about Kubernetes network policies"};
  app.set_version_flag("--version", "netverify 0.1.0");
  app.require_subcommand(1);
  int exit_code = nv::cli::kExitOk;
  nv::cli::add_check(app, exit_code);
  nv::cli::add_query(app, exit_code);
  nv::cli::add_matrix(app, exit_code);
  nv::cli::add_dump(app, exit_code);
  nv::cli::add_reach(app, exit_code);
  nv::cli::add_compare(app, exit_code);
  nv::cli::add_holes(app, exit_code);
  nv::cli::add_compile(app, exit_code);
  nv::cli::add_convert(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    nv::cli::print_usage_error(nv::ir::Code::NV4001, e.what(), nv::cli::stderr_color(false));
    std::cerr << "Run with --help for more information.\n";
    return nv::cli::kExitInput;
  }
  return exit_code;
}
