// ir::Regex as a Z3 regular expression over strings (sequences of 8-bit characters), so
// that `z3::in_re(s, to_z3(ctx, re))` holds exactly when ir::full_match(re, s) does.
#pragma once

#include <z3++.h>

#include "ir/regex.h"

namespace nv::verifier {

z3::expr to_z3(z3::context& ctx, const ir::Regex& re);

// in_re(s, re) for a Z3 string s.
z3::expr regex_matches(const z3::expr& s, const ir::Regex& re);

}  // namespace nv::verifier
