#include "compiler/frontends/anp/anp.h"

namespace nv::anp {

void lower_policy(load::Ctx& ctx, const load::Object& obj, ir::PolicySet&) {
  ctx.diags.report(ir::Code::NV1012, obj.span,
                   obj.kind + " is not supported by this version of netverify");
}

}  // namespace nv::anp
