// PLACEHOLDER on branch l7-base: replaced by the regex helper's implementation.
#include "verifier/regex_z3.h"

namespace nv::verifier {

z3::expr to_z3(z3::context& ctx, const ir::Regex&) { return z3::re_empty(ctx.re_sort(ctx.string_sort())); }

z3::expr regex_matches(const z3::expr& s, const ir::Regex& re) { return z3::in_re(s, to_z3(s.ctx(), re)); }

}  // namespace nv::verifier

namespace nv::verifier {

z3::expr string_lit(z3::context& ctx, std::string_view bytes) { return ctx.string_val(std::string(bytes)); }

z3::expr bytes_only(const z3::expr& s) { return s.ctx().bool_val(true); }

std::string string_of(const z3::expr& value) { return value.get_string(); }

}  // namespace nv::verifier
