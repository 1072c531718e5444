// Policy inputs end to end (every dialect; fuzz_calico, fuzz_cilium and fuzz_anp fix the CNI
// and start from that dialect's seeds): load, lower to IR, and, when they lower cleanly, check that the
// class-based matrix agrees with the reference evaluator on a small fixed inventory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/frontend.h"
#include "ir/evaluate.h"
#include "ir/matrix.h"
#include "tests/fuzz/world.h"


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nv::Workspace ws;
  nv::LoadOptions opt;
#ifdef NV_FUZZ_DIALECT
  // Per-dialect targets: the seeds are that dialect's objects; the CNI is fixed so that an
  // object of another dialect is refused rather than explored.
  std::string dialect = NV_FUZZ_DIALECT;
  opt.cni = dialect == "calico" ? nv::Cni::Calico : dialect == "cilium" ? nv::Cni::Cilium : nv::Cni::Generic;
#endif
  ws.read_texts(std::string(reinterpret_cast<const char*>(data), size), nv::fuzz::kInventory);
  ws.lower(opt);
  std::string rendered;
  ws.diags.render(rendered, &ws.sources, false);
  const auto& ps = ws.policies;
  const auto& inv = ws.inventory;
  const auto& diags = ws.diags;
  if (diags.has_errors()) return 0;
  for (int proto : {nv::ir::kTCP, nv::ir::kUDP})
    for (uint16_t port : {53, 80, 81}) {
      auto m = nv::ir::Matrix::compute(ps, inv, {proto, port, nv::ir::Family::V4});
      for (size_t i = 0; i < m.pods().size(); ++i)
        for (size_t j = 0; j < m.pods().size(); ++j) {
          nv::ir::Packet pkt{nv::ir::Endpoint::of_pod(*m.pods()[i], nv::ir::Family::V4),
                             nv::ir::Endpoint::of_pod(*m.pods()[j], nv::ir::Family::V4), proto, port};
          auto v = nv::ir::evaluate(ps, inv, pkt);
          if (v.allowed != m.allowed(i, j)) __builtin_trap();
          (void)nv::ir::explain(v, pkt);
        }
    }
  return 0;
}
