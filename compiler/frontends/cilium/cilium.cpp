#include "compiler/frontends/cilium/cilium.h"

namespace nv::cilium {

void lower_policy(load::Ctx& ctx, const load::Object& obj, const std::string&, ir::PolicySet&) {
  ctx.diags.report(ir::Code::NV1012, obj.span,
                   "Cilium " + obj.kind + " is not supported by this version of netverify");
}

}  // namespace nv::cilium
