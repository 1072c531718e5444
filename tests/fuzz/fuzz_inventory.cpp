// Inventory inputs (Namespace, Pod, Service, Node) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/frontend.h"
#include "ir/dump.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nv::ir::SourceManager sources;
  nv::ir::Diagnostics diags;
  nv::load::InputSet cluster(sources, diags);
  cluster.add_text("c.yaml", std::string(reinterpret_cast<const char*>(data), size));
  nv::LoadOptions opt;
  nv::LoadStats stats;
  nv::ir::Inventory inv;
  nv::load_inventory(cluster.objects(), opt, inv, diags, stats);
  inv.finalize(diags);
  (void)nv::ir::dump(inv);
  for (const auto& svc : inv.services) (void)inv.endpoints(svc);
  return 0;
}
