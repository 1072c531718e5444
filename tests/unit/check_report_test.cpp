// Tests for cli/report: the renderings of `netverify check` (escaping in JSON, XML and
// GitHub workflow commands; fingerprints that survive a policy moving; the verdict).
#include <gtest/gtest.h>

#include "cli/report.h"

namespace nv::cli::report {
namespace {

Finding finding(ir::Code code, ir::Severity sev, std::string message, int line) {
  Finding f;
  f.code = code;
  f.severity = sev;
  f.message = std::move(message);
  f.policy = "NetworkPolicy production/web";
  f.rule = "spec.ingress[1]";
  f.span = {"policies/web.yaml", 0, line, 5};
  return f;
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The value of the first `"key": "..."` in a rendered JSON text.
std::string json_value(const std::string& text, const std::string& key) {
  auto p = text.find("\"" + key + "\": \"");
  if (p == std::string::npos) return "";
  p += key.size() + 5;
  return text.substr(p, text.find('"', p) - p);
}

TEST(CheckReportEscape, JsonString) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("line\nnext\r\ttab"), "\"line\\nnext\\r\\ttab\"");
  EXPECT_EQ(json_string(std::string("nul\0x\x01\x1f", 7)), "\"nul\\u0000x\\u0001\\u001f\"");
  EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x86\x92"),
            "\"caf\xc3\xa9 \xe2\x86\x92\"");  // kept as UTF-8
  // Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(json_string("a\x80z"), "\"a\xef\xbf\xbdz\"");
  EXPECT_EQ(json_string("\xe2\x86"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(CheckReportEscape, Xml) {
  EXPECT_EQ(xml_escape("a<b>&c", false), "a&lt;b&gt;&amp;c");
  EXPECT_EQ(xml_escape("say \"hi\" 'x'", false), "say \"hi\" 'x'");
  EXPECT_EQ(xml_escape("say \"hi\" 'x'", true), "say &quot;hi&quot; &apos;x&apos;");
  // Line breaks survive in attributes only as character references; CR everywhere.
  EXPECT_EQ(xml_escape("a\nb\tc", true), "a&#10;b&#9;c");
  EXPECT_EQ(xml_escape("a\nb\r\n", false), "a\nb&#13;\n");
  // XML 1.0 cannot hold most control characters even escaped: they become U+FFFD.
  EXPECT_EQ(xml_escape(std::string("x\0y\x1bz", 5), false), "x\xef\xbf\xbdy\xef\xbf\xbdz");
  EXPECT_EQ(xml_escape("\xef\xbf\xbe", false), "\xef\xbf\xbd");  // U+FFFE is not a Char
  EXPECT_EQ(xml_escape("bad\xff", false), "bad\xef\xbf\xbd");
}

TEST(CheckReportEscape, GitHubCommands) {
  EXPECT_EQ(github_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
  EXPECT_EQ(github_property("dir,x/a:b.yaml%"), "dir%2Cx/a%3Ab.yaml%25");
  EXPECT_EQ(github_property("two\nlines"), "two%0Alines");
}

TEST(CheckReportEscape, RelativePathsAndUris) {
  EXPECT_EQ(relative_path("corpus/a.yaml", "/work/main"), "corpus/a.yaml");
  EXPECT_EQ(relative_path("./corpus//a.yaml", "/work/main/"), "corpus/a.yaml");
  EXPECT_EQ(relative_path("/work/main/x/../b.yaml", "/work/main"), "b.yaml");
  EXPECT_EQ(relative_path("/etc/passwd", "/work/main"), std::nullopt);
  EXPECT_EQ(relative_path("../other/a.yaml", "/work/main"), std::nullopt);
  EXPECT_EQ(relative_path("<stdin>", "/work/main"), std::nullopt);
  EXPECT_EQ(uri_path("a b/c#d%.yaml"), "a%20b/c%23d%25.yaml");
  EXPECT_EQ(uri_path("ok-_.~/x"), "ok-_.~/x");
}

TEST(CheckReportFingerprint, StableWhenThePolicyMoves) {
  Finding a = finding(ir::Code::NV8010, ir::Severity::Warning,
                      "spec.ingress[1] admits ingress from anywhere", 28);
  Finding moved = a;
  moved.span = {"elsewhere/web.yaml", 2, 140, 9};
  EXPECT_EQ(fingerprint(a), fingerprint(moved));
  EXPECT_EQ(fingerprint(a).size(), 32u);
  EXPECT_EQ(fingerprint(a).find_first_not_of("0123456789abcdef"), std::string::npos);
  // Each part of its identity counts.
  Finding other = a;
  other.code = ir::Code::NV8011;
  EXPECT_NE(fingerprint(a), fingerprint(other));
  other = a;
  other.policy = "NetworkPolicy production/api";
  EXPECT_NE(fingerprint(a), fingerprint(other));
  other = a;
  other.rule = "spec.ingress[0]";
  EXPECT_NE(fingerprint(a), fingerprint(other));
  other = a;
  other.message += ".";
  EXPECT_NE(fingerprint(a), fingerprint(other));
  // Field boundaries are kept: moving text between policy and rule is another identity.
  other = a;
  other.policy = a.policy + " spec.ingress[1]";
  other.rule = "";
  EXPECT_NE(fingerprint(a), fingerprint(other));
}

TEST(CheckReportFingerprint, SarifKeepsItWhenLinesMove) {
  CheckReport before, after;
  before.findings = {
      finding(ir::Code::NV8010, ir::Severity::Warning, "admits ingress from anywhere", 28)};
  after.findings = {
      finding(ir::Code::NV8010, ir::Severity::Warning, "admits ingress from anywhere", 61)};
  finish(before);
  finish(after);
  RenderOptions o;
  o.cwd = "/repo";
  std::string a = render_sarif(before, o), b = render_sarif(after, o);
  ASSERT_NE(json_value(a, "netverify/v1"), "");
  EXPECT_EQ(json_value(a, "netverify/v1"), json_value(b, "netverify/v1"));
  EXPECT_NE(a.find("\"startLine\": 28"), std::string::npos);
  EXPECT_NE(b.find("\"startLine\": 61"), std::string::npos);
  // Two identical findings get distinct fingerprints (an occurrence count).
  CheckReport twice = before;
  twice.findings.push_back(twice.findings.front());
  std::string t = render_sarif(twice, o);
  EXPECT_EQ(occurrences(t, fingerprint(twice.findings[0]) + ":1"), 1u);
  EXPECT_EQ(occurrences(t, fingerprint(twice.findings[0]) + ":2"), 1u);
}

TEST(CheckReportSarif, RulesLocationsAndSuppressedFindings) {
  CheckReport r;
  r.findings = {finding(ir::Code::NV8010, ir::Severity::Error, "from anywhere", 28),
                finding(ir::Code::NV8013, ir::Severity::Warning, "every namespace", 40),
                finding(ir::Code::NV8010, ir::Severity::Warning, "again", 50)};
  r.findings[1].suppressed = true;
  finish(r);
  RenderOptions o;
  o.cwd = "/repo";
  std::string s = render_sarif(r, o);
  // One rule per code used by a reported result; the suppressed NV8013 is not reported.
  EXPECT_EQ(occurrences(s, "\"id\": \"NV8010\""), 1u);
  EXPECT_EQ(occurrences(s, "NV8013"), 0u);
  EXPECT_EQ(occurrences(s, "\"ruleId\": \"NV8010\""), 2u);
  EXPECT_NE(s.find(json_string(ir::code_info(ir::Code::NV8010).summary)), std::string::npos);
  EXPECT_NE(s.find("\"uri\": \"policies/web.yaml\""), std::string::npos);
  EXPECT_NE(s.find("\"uriBaseId\": \"%SRCROOT%\""), std::string::npos);
  EXPECT_NE(s.find("\"level\": \"error\""), std::string::npos);
  // Standard input has no file to point at: a logical location only.
  r.findings[0].span.file = "<stdin>";
  s = render_sarif(r, o);
  EXPECT_EQ(occurrences(s, "\"physicalLocation\""), 1u);
  EXPECT_EQ(occurrences(s, "\"logicalLocations\""), 2u);
}

TEST(CheckReportJunit, EscapesAndCounts) {
  CheckReport r;
  r.policies = {{"NetworkPolicy production/web", {"policies/web.yaml", 0, 1, 1}},
                {"NetworkPolicy production/db", {"policies/db.yaml", 0, 1, 1}}};
  Finding f = finding(ir::Code::NV8010, ir::Severity::Warning, "port <8080> & \"all\"", 28);
  f.witness_caption = "matched, for example";
  f.witness = "packet       TCP 203.0.113.10 -> 10.244.2.20:8080 (IPv4)\n";
  r.findings = {f, finding(ir::Code::NV8007, ir::Severity::Note, "adds nothing", 30)};
  finish(r);
  std::string x = render_junit(r, {});
  EXPECT_NE(x.find("<testsuites name=\"netverify check\" tests=\"2\" failures=\"1\" errors=\"0\">"),
            std::string::npos);
  EXPECT_NE(x.find("<testsuite name=\"holes\" tests=\"2\" failures=\"1\""), std::string::npos);
  EXPECT_NE(x.find("message=\"NV8010: port &lt;8080&gt; &amp; &quot;all&quot;\""),
            std::string::npos);
  EXPECT_NE(x.find("port &lt;8080&gt; &amp; \"all\""), std::string::npos);  // in the failure text
  EXPECT_NE(x.find("TCP 203.0.113.10 -&gt; 10.244.2.20:8080"), std::string::npos);
  EXPECT_EQ(x.find("<8080>"), std::string::npos);
  // The note is below --fail-on: it is output, not a failure.
  EXPECT_NE(x.find("<system-out>policies/web.yaml:30:5: note[NV8007]: adds nothing\n</system-out>"),
            std::string::npos);
  EXPECT_NE(x.find("<testcase name=\"NetworkPolicy production/db\" classname=\"netverify.holes\" "
                   "file=\"policies/db.yaml\"/>"),
            std::string::npos);
}

TEST(CheckReportGitHub, Commands) {
  CheckReport r;
  Finding f = finding(ir::Code::NV8010, ir::Severity::Error, "100% open,\nreally", 28);
  f.span.file = "/repo/dir,a/x:y.yaml";
  r.findings = {f, finding(ir::Code::NV8007, ir::Severity::Note, "adds nothing", 30)};
  finish(r);
  RenderOptions o;
  o.cwd = "/repo";
  std::string g = render_github(r, o);
  EXPECT_NE(
      g.find("::error file=dir%2Ca/x%3Ay.yaml,line=28,col=5,title=NV8010::100%25 open,%0Areally\n"),
      std::string::npos);
  EXPECT_NE(g.find("::notice file=policies/web.yaml,line=30,col=5,title=NV8007::adds nothing\n"),
            std::string::npos);
  EXPECT_NE(
      g.find("\nFAIL: 2 findings (1 error, 0 warnings, 1 note), 1 at or above --fail-on warning"),
      std::string::npos);
}

TEST(CheckReportJson, Shape) {
  CheckReport r;
  r.inputs = {"policies"};
  r.findings = {finding(ir::Code::NV8010, ir::Severity::Warning, "tab\there", 28)};
  finish(r);
  std::string j = render_json(r, {});
  EXPECT_EQ(json_value(j, "format"), "netverify-check/v1");
  EXPECT_EQ(json_value(j, "result"), "fail");
  EXPECT_NE(j.find("\"exitCode\": 1,"), std::string::npos);
  EXPECT_NE(j.find("\"message\": \"tab\\there\""), std::string::npos);
  EXPECT_NE(
      j.find("\"location\": {\n        \"file\": \"policies/web.yaml\",\n        \"line\": 28"),
      std::string::npos);
  EXPECT_NE(j.find("\"expectations\": null"), std::string::npos);
  EXPECT_NE(j.find("\"baseline\": null"), std::string::npos);
}

TEST(CheckReportVerdict, ExitCodes) {
  CheckReport r;
  r.findings = {finding(ir::Code::NV8007, ir::Severity::Note, "note", 1)};
  finish(r);
  EXPECT_EQ(r.exit_code, 0);  // a note is below the default --fail-on warning
  r.fail_on = FailOn::Note;
  finish(r);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.findings[0].failing);
  r.findings[0].suppressed = true;
  finish(r);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.findings[0].failing);

  r.findings = {finding(ir::Code::NV8010, ir::Severity::Error, "error", 1)};
  r.fail_on = FailOn::Never;
  finish(r);
  EXPECT_EQ(r.exit_code, 0);

  // Baseline regions fail only as --fail-on-diff says.
  r.baseline = Baseline{};
  r.baseline->opened.push_back(Region{"a", "b", "TCP port 80", "IPv4", "", "", "", {}, false});
  finish(r);
  EXPECT_EQ(r.exit_code, 0);
  r.fail_on_diff = FailOnDiff::NewDeny;
  finish(r);
  EXPECT_EQ(r.exit_code, 0);
  r.fail_on_diff = FailOnDiff::NewAllow;
  finish(r);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.baseline->opened[0].failing);
  r.fail_on_diff = FailOnDiff::Any;
  finish(r);
  EXPECT_EQ(r.exit_code, 1);

  // A failed expectation fails; an undecided one is exit 3 even next to a failure.
  r = CheckReport{};
  r.expect_file = "expect.yaml";
  r.expectations.push_back(ExpectationResult{
      "web reaches db", "must-allow", {}, ExpectationResult::Status::Fail, "", ""});
  finish(r);
  EXPECT_EQ(r.exit_code, 1);
  r.expectations.push_back(ExpectationResult{
      "db isolated", "isolated", {}, ExpectationResult::Status::Unknown, "timeout", ""});
  finish(r);
  EXPECT_EQ(r.exit_code, 3);
  r.errors.push_back({"holes", ir::Code::NV4011, "disagree"});
  finish(r);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(summary_line(r).substr(0, 6), "ERROR:");
}

TEST(CheckReportText, FindingsWitnessAndSummary) {
  CheckReport r;
  Finding f = finding(ir::Code::NV8010, ir::Severity::Warning, "admits ingress from anywhere", 28);
  f.witness_caption = "matched, for example";
  f.witness = "packet       TCP 1.2.3.4 -> 10.0.0.1:80 (IPv4)\n";
  Finding s = finding(ir::Code::NV8013, ir::Severity::Warning, "every namespace", 30);
  s.suppressed = true;
  s.suppressed_at = {"policies/web.yaml", 0, 6, 29};
  r.findings = {f, s};
  r.proved = {"keeps DNS"};
  finish(r);
  EXPECT_EQ(render_text(r, {}),
            "policies/web.yaml:28:5: warning[NV8010]: admits ingress from anywhere\n"
            "  matched, for example:\n"
            "    packet       TCP 1.2.3.4 -> 10.0.0.1:80 (IPv4)\n"
            "suppressed: policies/web.yaml:30:5: warning[NV8013]: every namespace "
            "(netverify.dev/ignore at "
            "policies/web.yaml:6:29)\n"
            "proved: keeps DNS\n"
            "FAIL: 1 finding (0 errors, 1 warning, 0 notes), 1 at or above --fail-on warning, 1 "
            "suppressed; "
            "1 property proved\n");
}

TEST(CheckReportExpectations, JunitTextAndSarif) {
  CheckReport r;
  r.expect_file = "expect.yaml";
  using S = ExpectationResult::Status;
  r.expectations = {
      ExpectationResult{"web <-> db",
                        "must-allow",
                        {"expect.yaml", 0, 7, 3},
                        S::Fail,
                        "denied: \"TCP/5432\" & more",
                        "  packet       TCP 10.0.0.1 -> 10.0.0.2:5432 (IPv4)\n  DENIED\n    "
                        "ingress to db: denied\n"},
      ExpectationResult{"internet never reaches db",
                        "must-deny",
                        {"expect.yaml", 0, 12, 3},
                        S::Pass,
                        "proved",
                        ""},
      ExpectationResult{
          "isolated", "isolated", {"expect.yaml", 0, 15, 3}, S::Unknown, "timeout", ""}};
  finish(r);
  EXPECT_EQ(r.exit_code, 3);
  std::string x = render_junit(r, {});
  EXPECT_NE(x.find("<testsuite name=\"expectations\" tests=\"3\" failures=\"1\" errors=\"1\""),
            std::string::npos);
  EXPECT_NE(
      x.find("<testcase name=\"web &lt;-&gt; db\" classname=\"netverify.expectations.must-allow\""),
      std::string::npos);
  EXPECT_NE(x.find("<failure message=\"denied: &quot;TCP/5432&quot; &amp; more\" type=\"NV4032\">"),
            std::string::npos);
  // The witness loses its producer's indentation but keeps its own structure.
  EXPECT_NE(x.find("\n  packet       TCP 10.0.0.1 -&gt; 10.0.0.2:5432 (IPv4)\n  DENIED\n    "
                   "ingress to db: denied\n"),
            std::string::npos);
  EXPECT_NE(x.find("<error message=\"timeout\" type=\"NV4010\">"), std::string::npos);
  std::string t = render_text(r, {});
  EXPECT_NE(
      t.find(
          "expect.yaml:7:3: error[NV4032]: expectation web <-> db (must-allow) does not hold: "
          "denied: "
          "\"TCP/5432\" & more\n    packet       TCP 10.0.0.1 -> 10.0.0.2:5432 (IPv4)\n    DENIED\n"
          "      ingress to db: denied\n"),
      std::string::npos);
  EXPECT_NE(t.find("expectation holds: internet never reaches db (must-deny): proved\n"),
            std::string::npos);
  EXPECT_NE(t.find("expect.yaml:15:3: error[NV4010]: expectation isolated (isolated) could not be "
                   "decided: timeout"),
            std::string::npos);
  EXPECT_NE(t.find("UNKNOWN: 0 findings"), std::string::npos);
  std::string s = render_sarif(r, {nullptr, false, "/repo"});
  EXPECT_NE(s.find("\"ruleId\": \"NV4032\""), std::string::npos);
  EXPECT_NE(s.find("\"ruleId\": \"NV4010\""), std::string::npos);
  EXPECT_EQ(s.find("internet never reaches db"), std::string::npos);  // a pass is no result
}

}  // namespace
}  // namespace nv::cli::report
