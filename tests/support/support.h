// Test helpers: load policies and an inventory from YAML text, as the CLI would.
#pragma once

#include <memory>
#include <vector>
#include <string>

#include "compiler/frontend.h"
#include "ir/evaluate.h"

namespace nv::test {

struct Loaded : Workspace {
  // Every diagnostic rendered, for failure messages and assertions.
  std::string messages() const;
  bool has(ir::Code code) const;
  const ir::Pod& pod(const std::string& id) const;  // "ns/name"
  // The reference evaluator's verdict for a pod-to-pod packet.
  bool allowed(const std::string& from, const std::string& to, int port, int proto = ir::kTCP) const;
  ir::Verdict verdict(const std::string& from, const std::string& to, int port,
                      int proto = ir::kTCP) const;
};

std::unique_ptr<Loaded> load_text(const std::string& policies, const std::string& cluster = "",
                                  LoadOptions opt = {});
std::unique_ptr<Loaded> load_paths(const std::vector<std::string>& policies,
                                   const std::vector<std::string>& cluster, LoadOptions opt = {});

// A namespace / pod inventory in a compact form, for tests:
//   "ns prod env=prod team=a"            a namespace with labels
//   "pod prod/web 10.0.0.1 app=web node=n1 port=http:TCP:8080 hostNetwork sa=api"
//   "sa prod/api team=a"                 a ServiceAccount with labels
std::string inventory_yaml(const std::vector<std::string>& lines);

std::string read_file(const std::string& path);

}  // namespace nv::test
