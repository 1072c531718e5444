// End to end: any policy input, lowered to IR, compiled for each node of a small cluster to
// nft and to iptables, parsed back and validated. Bad input is fine (diagnostics); a crash,
// a ruleset that does not parse back, or a validation counterexample is a bug. A solver
// timeout is not (the sanitizers slow Z3's callers down; `netverify compile` reports it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/backends/iptables.h"
#include "compiler/backends/nft.h"
#include "compiler/backends/parse.h"
#include "compiler/backends/plan.h"
#include "compiler/frontend.h"
#include "tests/fuzz/world.h"
#include "verifier/validate.h"

namespace {

void must_validate(const nv::Workspace& ws, const std::string& node, const nv::backends::Firewall& fw,
                   nv::ir::Family family) {
  nv::verifier::SolverOptions so;
  so.timeout_ms = 5000;
  try {
    if (nv::verifier::validate_firewall(ws.policies, ws.inventory, node, fw, family, so)) __builtin_trap();
  } catch (const nv::verifier::SolverUnknown&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nv::Workspace ws;
  ws.read_texts(std::string(reinterpret_cast<const char*>(data), size), nv::fuzz::kInventory);
  ws.lower({});
  if (ws.diags.has_errors()) return 0;
  for (const char* node : {"n1", "n2"}) {
    auto plan = nv::backends::plan_node(ws.policies, ws.inventory, node);
    nv::backends::EmitInfo info;
    nv::ir::Diagnostics diags;
    std::string nft = nv::backends::emit_nft(plan, info);
    auto fw = nv::backends::parse_nft(nft, "<nft>", diags);
    if (!fw) __builtin_trap();
    must_validate(ws, node, *fw, nv::ir::Family::V4);
    auto ipt = nv::backends::emit_iptables(plan, info);
    auto fw4 = nv::backends::parse_iptables(ipt.rules4, "<iptables>", ipt.ipsets, "<ipset>", nv::ir::Family::V4, diags);
    if (!fw4) __builtin_trap();
    must_validate(ws, node, *fw4, nv::ir::Family::V4);
  }
  return 0;
}
