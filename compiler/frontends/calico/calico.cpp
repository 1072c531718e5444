#include "compiler/frontends/calico/calico.h"

namespace nv::calico {

void lower(const std::vector<Item>& items, ir::PolicySet&, ir::Diagnostics& diags) {
  for (const auto& it : items)
    diags.report(ir::Code::NV1012, it.obj->span,
                 "Calico " + it.obj->kind + " is not supported by this version of netverify");
}

}  // namespace nv::calico
