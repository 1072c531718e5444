// The results of `netverify check` (hole findings, expectations, baseline diff) as one
// value, and its renderings: text, JSON, SARIF 2.1.0, JUnit XML and GitHub workflow
// commands. Nothing here runs the verifier; check.cpp fills a CheckReport and picks one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/expect.h"  // ExpectationResult (the type only)
#include "ir/diagnostic.h"

namespace nv::cli::report {

inline constexpr const char* kToolName = "netverify";
inline constexpr const char* kToolVersion = "0.1.0";  // as `netverify --version` (cli/main.cpp)
// The project's home, as named by the annotation domain below; helpUri points into its
// README. One place to change when the project is published somewhere else.
inline constexpr const char* kInformationUri = "https://netverify.dev/";
inline constexpr const char* kReadmeUri = "https://netverify.dev/README.md";
// metadata.annotations[kIgnoreAnnotation]: "NV8013,NV8010" suppresses those codes for
// findings located in that object.
inline constexpr const char* kIgnoreAnnotation = "netverify.dev/ignore";
// The JSON output's "format" value; bumped only on an incompatible change.
inline constexpr const char* kJsonFormat = "netverify-check/v1";

enum class FailOn : uint8_t { Note, Warning, Error, Never };  // findings at or above
enum class FailOnDiff : uint8_t { Never, NewAllow, NewDeny, Any };

std::optional<FailOn> parse_fail_on(std::string_view);           // error|warning|note|never
std::optional<FailOnDiff> parse_fail_on_diff(std::string_view);  // new-allow|new-deny|any|never
const char* name(FailOn);
const char* name(FailOnDiff);
const char* severity_name(ir::Severity);  // "error", "warning", "note"

struct Finding {
  ir::Code code;
  ir::Severity severity;  // after --severity overrides
  std::string message;
  std::string policy;  // "NetworkPolicy production/web"
  std::string rule;    // "spec.ingress[1]", or empty for the whole policy
  ir::SourceSpan span;
  std::string witness_caption;  // "matched, for example, from outside the cluster"
  std::string witness;          // Witness::text(""): three lines, or empty
  bool suppressed = false;      // by the ignore annotation (span: suppressed_at)
  ir::SourceSpan suppressed_at;
  bool failing = false;  // set by finish(): not suppressed and at or above --fail-on
};

// A region of packets the checked policies newly allow (opened) or deny (closed)
// compared with the baseline.
struct Region {
  std::string from, to, traffic, families;
  std::string example;     // Witness::text(""): a packet of the region
  std::string decided_by;  // "NetworkPolicy production/x spec.ingress[0]" (a rule) or
                           // "NetworkPolicy production/x" (its isolation): what decides the
                           // example now, on the side that changed; empty when no policy
                           // of the checked set does (e.g. the isolating policy was removed)
  std::string reason;      // the same as a sentence: "allowed now by ...", "denied now: ..."
  ir::SourceSpan span;     // where that is (unknown when decided_by is empty)
  bool failing = false;    // set by finish() from --fail-on-diff
};

struct Baseline {
  std::vector<std::string> paths;
  std::vector<Region> opened, closed;
  bool opened_truncated = false, closed_truncated = false;
  std::string families;  // what "none" was proved for: "IPv4 and IPv6"
};

struct PolicyEntry {
  std::string id;  // "NetworkPolicy production/web"
  ir::SourceSpan span;
};

// The solver gave up (NV4010, exit 3) or contradicted the evaluator (NV4011, exit 4).
struct ToolError {
  std::string group;  // "holes", "expectations", "baseline"
  ir::Code code;
  std::string message;
};

struct CheckReport {
  std::vector<std::string> inputs;    // the POLICIES arguments ("-" for stdin)
  std::vector<PolicyEntry> policies;  // every policy checked, in input order
  std::vector<Finding> findings;      // by location; suppressed ones included
  std::vector<std::string> proved;    // properties proved ("... keeps DNS ...")
  std::optional<std::string> expect_file;
  std::vector<ExpectationResult> expectations;
  std::optional<Baseline> baseline;
  std::vector<ToolError> errors;
  FailOn fail_on = FailOn::Warning;
  FailOnDiff fail_on_diff = FailOnDiff::Never;
  int exit_code = 0;  // set by finish()
};

// Marks failing findings and regions and sets exit_code:
// 4 an internal error, else 3 a solver unknown (a finding may still be missed: never a
// pass), else 1 a failing finding, expectation or region, else 0.
void finish(CheckReport& r);

struct Counts {
  size_t by_severity[3] = {0, 0, 0};  // unsuppressed findings, indexed by ir::Severity
  size_t failing = 0, suppressed = 0;
  size_t expect_pass = 0, expect_fail = 0, expect_unknown = 0;
};
Counts count(const CheckReport& r);

struct RenderOptions {
  const ir::SourceManager* sources = nullptr;  // text: quote the source line with a caret
  bool color = false;                          // text only
  std::string cwd;  // absolute; paths in SARIF and GitHub output are made relative to it
};

std::string render_text(const CheckReport& r, const RenderOptions& o);
std::string render_json(const CheckReport& r, const RenderOptions& o);
std::string render_sarif(const CheckReport& r, const RenderOptions& o);
std::string render_junit(const CheckReport& r, const RenderOptions& o);
std::string render_github(const CheckReport& r, const RenderOptions& o);
// "FAIL: 6 findings (...)": the last line of the text output.
std::string summary_line(const CheckReport& r);

// Building blocks, exposed for the tests.

// A JSON string literal with its quotes; control characters as \uXXXX, invalid UTF-8 as
// U+FFFD.
std::string json_string(std::string_view s);
// XML 1.0 character data (attribute: also quotes and line breaks as character
// references); characters XML 1.0 cannot hold become U+FFFD, as does invalid UTF-8.
std::string xml_escape(std::string_view s, bool attribute);
// GitHub workflow command escaping: the message (% CR LF) and property values (also : ,).
std::string github_data(std::string_view s);
std::string github_property(std::string_view s);
// A stable identity for a finding, from its code, policy, rule path and message; never
// from its line or file, so moving a policy keeps it. 32 hex digits.
std::string fingerprint(const Finding& f);
// `file` relative to `cwd` with '/' separators when it lies inside cwd; nullopt when it
// does not (or is not a file: "<stdin>").
std::optional<std::string> relative_path(const std::string& file, const std::string& cwd);
// A relative path as a URI reference: every byte outside RFC 3986 unreserved and '/'
// percent-encoded.
std::string uri_path(std::string_view path);

}  // namespace nv::cli::report
