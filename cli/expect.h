// The expectations file of `netverify check --expect FILE`: the team's must-allow,
// must-deny, isolation, "only these may reach" and equivalence/containment requirements,
// each checked by the verifier and reported as one result (a JUnit testcase).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "verifier/queries.h"

namespace nv::cli {

struct ExpectationResult {
  enum class Status : uint8_t { Pass, Fail, Unknown };  // Unknown: solver timeout (exit 3)
  std::string name;    // the expectation's `name`, or a generated one ("must-allow a -> b:80/TCP")
  std::string kind;    // "must-allow", "must-deny", "isolated", "only-reach", "equivalent", "contains"
  ir::SourceSpan span; // where the expectation is in the expectations file
  Status status = Status::Pass;
  std::string message;  // one line: what holds or what is broken
  std::string witness;  // multi-line text (Witness::text) of the packet that breaks it, or empty
};

struct Expectations;  // parsed file; defined in expect.cpp

// Parses the expectations file at `path` (file:line:col errors with NV4050-NV4069 go to
// s.diags; its text is registered in s.sources for quoting). nullptr on errors.
std::shared_ptr<const Expectations> load_expectations(const std::string& path, Session& s);
// The same from a text (tests, fuzzing); `name` appears in diagnostics.
std::shared_ptr<const Expectations> load_expectations_text(const std::string& name, std::string text,
                                                           Session& s);

// What load_expectations needs beyond the file (additive to the two functions above, which
// use the defaults).
struct ExpectOptions {
  // How the policy sets that `equivalent` and `contains` name are read: pass the options the
  // check's own policies were loaded with (--namespace, --cni, --ipblock-pods...).
  LoadOptions load;
  // false: parse only (fuzzing); `equivalent`/`contains` then must not be run.
  bool read_policy_files = true;
};
// Call these after the session's policies and inventory are loaded: pod and service names
// are resolved against s.inventory, and the result points into it (keep the session alive).
std::shared_ptr<const Expectations> load_expectations(const std::string& path, Session& s,
                                                      const ExpectOptions& o);
std::shared_ptr<const Expectations> load_expectations_text(const std::string& name, std::string text,
                                                           Session& s, const ExpectOptions& o);

// Checks every expectation against the session's policies and inventory, in file order.
// `opt.pin` should be set when the check was given --cluster; expectations that name pods
// or services are pinned to s.inventory even when it is not.
// Throws what the verifier throws (verifier::SolverUnknown is caught per expectation and
// reported as Status::Unknown).
std::vector<ExpectationResult> run_expectations(const Expectations& e, Session& s,
                                                const verifier::QueryOptions& opt);

}  // namespace nv::cli
