// ir::Regex as a Z3 regular expression over strings, so that `regex_matches(s, re)`
// holds exactly when ir::full_match(re, str) does for the byte string str that s denotes.
// Strings in the verifier are byte strings: every character is in 0..255, and the helpers
// below convert between std::string bytes and Z3 string values without loss.
#pragma once

#include <z3++.h>

#include <string>
#include <string_view>

#include "ir/regex.h"

namespace nv::verifier {

z3::expr to_z3(z3::context& ctx, const ir::Regex& re);

// in_re(s, re) for a Z3 string s.
z3::expr regex_matches(const z3::expr& s, const ir::Regex& re);

// A Z3 string constant holding exactly these bytes (any byte value, NUL included).
z3::expr string_lit(z3::context& ctx, std::string_view bytes);

// Constrains a Z3 string to characters 0..255, the alphabet ir::full_match works on.
z3::expr bytes_only(const z3::expr& s);

// The bytes of a string value from a model (model.eval(s, true)); the inverse of string_lit.
std::string string_of(const z3::expr& value);

}  // namespace nv::verifier
