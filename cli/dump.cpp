// netverify dump: the IR of the inputs, as text.
#include <iostream>

#include "cli/common.h"
#include "ir/dump.h"

namespace nv::cli {

void add_dump(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<CommonOptions>();
  auto* sub = app.add_subcommand("dump", "Print the IR that the inputs lower to (policies, then inventory)");
  add_common(sub, *opt, false);
  sub->callback([opt, &exit_code] {
    Session s;
    if (!load(*opt, s)) {
      exit_code = kExitInput;
      return;
    }
    std::cout << ir::dump(s.policies);
    if (!opt->cluster.empty()) std::cout << ir::dump(s.inventory);
    exit_code = kExitOk;
  });
}

}  // namespace nv::cli
