// netverify check: the CI entry point. Runs the hole checks on everything it reads, the
// team's expectations (--expect), a semantic diff against a baseline (--baseline), and
// reports all of it as text, JSON, SARIF, JUnit XML or GitHub annotations with one exit
// status (0 pass, 1 fail, 2 usage or input error, 3 solver unknown, 4 internal error).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "cli/common.h"
#include "cli/expect.h"
#include "cli/report.h"
#include "cli/verify_common.h"
#include "compiler/load/yaml_tree.h"
#include "verifier/holes.h"

namespace nv::cli {

namespace {

namespace fs = std::filesystem;
using report::CheckReport;

struct CheckOptions {
  CommonOptions common;
  VerifyOptions verify;
  // As `netverify holes`.
  HoleFlags holes;
  // check's own.
  std::string expect;
  std::vector<std::string> baseline;
  size_t max_regions = 8;
  std::string format = "text", output_file, fail_on = "warning", fail_on_diff = "never";
  std::vector<std::string> severities;
};

// ---- progress on a terminal ------------------------------------------------------------

// "netverify check: hole checks, 2000 policies (12s)" on stderr, rewritten in place every
// second; only when stderr is a terminal, never in pipes or logs.
class Progress {
 public:
  explicit Progress(bool on) : on_(on) {
    if (on_) ticker_ = std::thread([this] { tick(); });
  }
  ~Progress() {
    if (!on_) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    ticker_.join();
    clear();
  }
  void phase(std::string text) {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mu_);
    text_ = std::move(text);
    start_ = std::chrono::steady_clock::now();
    draw();
  }
  // Before anything else is printed to stderr.
  void clear() {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mu_);
    text_.clear();
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }

 private:
  void draw() {
    if (text_.empty()) return;
    auto s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_)
            .count();
    std::string line =
        "\r\033[Knetverify check: " + text_ + (s > 0 ? " (" + std::to_string(s) + "s)" : "");
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
  void tick() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (!stop_) draw();
    }
  }

  bool on_;
  bool stop_ = false;
  std::string text_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread ticker_;
};

// ---- --output-file, written atomically --------------------------------------------------

// A temporary file beside the target, created before the checks run (so an unwritable
// path is a usage error up front) and renamed over it only when complete.
class OutputFile {
 public:
  bool open(const std::string& path, std::string& err) {
    path_ = path;
    fs::path p(path);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    std::string tmpl = (fs::path(dir) / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    if (fd < 0) {
      err = std::strerror(errno);
      return false;
    }
    tmp_ = buf.data();
    mode_t mask = umask(0);  // mkstemp makes 0600; the report gets what a new file would
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    file_ = fdopen(fd, "w");
    return file_ != nullptr;
  }
  bool commit(const std::string& text, std::string& err) {
    bool ok = std::fwrite(text.data(), 1, text.size(), file_) == text.size();
    ok &= std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
    ok &= std::fclose(file_) == 0;
    file_ = nullptr;
    if (ok && std::rename(tmp_.c_str(), path_.c_str()) == 0) {
      tmp_.clear();
      return true;
    }
    err = std::strerror(errno);
    return false;
  }
  ~OutputFile() {
    if (file_) std::fclose(file_);
    if (!tmp_.empty()) std::remove(tmp_.c_str());
  }

 private:
  std::string path_, tmp_;
  FILE* file_ = nullptr;
};

// ---- --severity --------------------------------------------------------------------------

// Codes that findings carry, so that --severity and the ignore annotation can name them.
bool finding_code(const ir::CodeInfo& c) {
  return std::string_view(c.id).starts_with("NV8") || c.code == ir::Code::NV4035;
}

const ir::CodeInfo* code_by_id(std::string_view id) {
  for (const auto& c : ir::all_codes())
    if (id == c.id) return &c;
  return nullptr;
}

// NV8013=error -> {NV8013: Error}; "off" (nullopt) drops the finding. false after NV4033.
bool parse_severities(const std::vector<std::string>& specs,
                      std::map<ir::Code, std::optional<ir::Severity>>& out, bool color) {
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    std::string id = spec.substr(0, eq), level = eq == std::string::npos ? "" : spec.substr(eq + 1);
    const ir::CodeInfo* c = code_by_id(id);
    std::string why = eq == std::string::npos ? "expected CODE=LEVEL"
                      : !c                    ? "'" + id + "' is not a netverify code"
                      : !finding_code(*c)
                          ? id + " is not a finding code (NV8xxx, NV4035); use --fail-on-diff "
                                 "for the baseline"
                          : "";
    if (why.empty()) {
      if (level == "error")
        out[c->code] = ir::Severity::Error;
      else if (level == "warning")
        out[c->code] = ir::Severity::Warning;
      else if (level == "note")
        out[c->code] = ir::Severity::Note;
      else if (level == "off")
        out[c->code] = std::nullopt;
      else
        why = "'" + level + "' is not error, warning, note or off";
    }
    if (!why.empty()) {
      print_usage_error(ir::Code::NV4033, "--severity " + spec + ": " + why, color);
      return false;
    }
  }
  return true;
}

// ---- the ignore annotation ---------------------------------------------------------------

struct Ignore {
  std::set<ir::Code> codes;
  ir::SourceSpan at;  // the annotation's value
};

// The object mapping at (line, col): a document's root or an item of a List in it.
const load::YNode* object_at(const load::YNode& n, int line, int col) {
  if (!n.is_map()) return nullptr;
  if (n.line == line && n.col == col) return &n;
  if (const load::YNode* items = n.get("items"); items && items->is_seq())
    for (const auto& item : items->items())
      if (const load::YNode* found = object_at(item, line, col)) return found;
  return nullptr;
}

// The IR keeps no annotations, so they are read back from the text the loader read: each
// policy's span names its file, document and object mapping (line, column), and the same
// parser finds the same node there. An object that cannot be found again gets no
// suppression (fail closed: the finding stays). Malformed entries become NV4035 findings.
std::map<const ir::Policy*, Ignore> read_ignores(const Session& s,
                                                 std::vector<report::Finding>& problems) {
  std::map<std::string, std::vector<const ir::Policy*>> by_file;
  for (const auto& p : s.policies.policies())
    if (p.span.known()) by_file[p.span.file].push_back(&p);
  std::map<const ir::Policy*, Ignore> out;
  for (const auto& [file, policies] : by_file) {
    // SourceManager hands out views into the stored text, which is a std::string and so
    // NUL-terminated: line 1 starts the whole text. (A text with a NUL byte is cut there,
    // which can only leave findings unsuppressed.)
    const char* start = s.sources.line(file, 1).data();
    if (!start) continue;
    std::string_view text(start);
    if (text.find("netverify.dev/ignore") == std::string_view::npos) continue;
    ir::Diagnostics scratch;
    std::pmr::monotonic_buffer_resource arena;
    std::vector<load::YNode> docs = load::parse_yaml(text, file, scratch, arena);
    for (const ir::Policy* p : policies) {
      if (p->span.doc < 0 || static_cast<size_t>(p->span.doc) >= docs.size()) continue;
      const load::YNode* obj =
          object_at(docs[static_cast<size_t>(p->span.doc)], p->span.line, p->span.col);
      const load::YNode* md = obj ? obj->get("metadata") : nullptr;
      const load::YNode* ann = md && md->is_map() ? md->get("annotations") : nullptr;
      const load::YNode* v = ann && ann->is_map() ? ann->get(report::kIgnoreAnnotation) : nullptr;
      if (!v) continue;
      ir::SourceSpan at{file, p->span.doc, v->line, v->col};
      auto problem = [&](const std::string& msg) {
        problems.push_back(
            report::Finding{ir::Code::NV4035,
                            ir::code_info(ir::Code::NV4035).severity,
                            std::string(report::kIgnoreAnnotation) + " on " + p->id() + ": " + msg,
                            p->id(),
                            "metadata.annotations",
                            at,
                            "",
                            "",
                            false,
                            {},
                            false});
      };
      if (!v->is_scalar()) {
        problem("expected a string of codes such as \"NV8013,NV8010\"");
        continue;
      }
      Ignore ig;
      ig.at = at;
      std::string item;
      for (char c : std::string(v->value) + ",") {
        if (c != ',') {
          if (c != ' ' && c != '\t') item += c;
          continue;
        }
        if (item.empty()) continue;
        const ir::CodeInfo* code = code_by_id(item);
        if (!code)
          problem("'" + item + "' is not a netverify code");
        else if (!finding_code(*code))
          problem(item + " is not a finding code (NV8xxx), so it cannot be ignored");
        else
          ig.codes.insert(code->code);
        item.clear();
      }
      if (!ig.codes.empty()) out[p] = std::move(ig);
    }
  }
  return out;
}

// ---- the three groups ------------------------------------------------------------------

struct Context {
  const CheckOptions& o;
  Session& s;
  Progress& progress;
  CheckReport& r;

  void tool_error(const std::string& group, ir::Code code, const std::string& msg) {
    progress.clear();
    s.usage_error(code, group + ": " + msg);
    r.errors.push_back({group, code, msg});
  }
  template <class F>
  void guarded(const std::string& group, F body) {
    try {
      body();
    } catch (const verifier::SolverUnknown& e) {
      tool_error(
          group, ir::Code::NV4010,
          std::string(e.what()) + "; raise --timeout or --solver-rlimit, or narrow the question");
    } catch (const verifier::InternalError& e) {
      tool_error(group, ir::Code::NV4011, e.what());
    }
  }
};

void run_holes(Context& c, const verifier::HoleOptions& h,
               const std::map<ir::Code, std::optional<ir::Severity>>& severities) {
  c.progress.phase("hole checks, " + std::to_string(c.s.policies.policies().size()) + " policies");
  std::vector<report::Finding> found;
  c.guarded("holes", [&] {
    auto holes = verifier::find_holes(c.s.policies, c.s.inventory, h);
    for (auto& f : holes.findings)
      found.push_back(report::Finding{f.code,
                                      f.severity,
                                      f.message,
                                      f.policy ? f.policy->id() : "",
                                      f.rule ? f.rule->path : "",
                                      f.span,
                                      f.witness_caption,
                                      f.witness ? f.witness->text("") : "",
                                      false,
                                      {},
                                      false});
    c.r.proved = std::move(holes.proved);
    // find_holes reports by location; the policies carry their own spans.
    std::map<std::string, const ir::Policy*> by_id;
    for (const auto& p : c.s.policies.policies()) by_id.emplace(p.id(), &p);
    auto ignores = read_ignores(c.s, found);
    for (auto& f : found) {
      auto p = by_id.find(f.policy);
      if (p == by_id.end() || f.code == ir::Code::NV4035) continue;
      auto ig = ignores.find(p->second);
      if (ig != ignores.end() && ig->second.codes.count(f.code)) {
        f.suppressed = true;
        f.suppressed_at = ig->second.at;
      }
    }
  });
  for (auto& f : found) {
    auto o = severities.find(f.code);
    if (o == severities.end()) {
      c.r.findings.push_back(std::move(f));
    } else if (o->second) {
      f.severity = *o->second;
      c.r.findings.push_back(std::move(f));
    }
  }
  std::stable_sort(c.r.findings.begin(), c.r.findings.end(),
                   [](const report::Finding& a, const report::Finding& b) {
                     return std::tie(a.span.file, a.span.line, a.span.col) <
                            std::tie(b.span.file, b.span.line, b.span.col);
                   });
}

// What decides the region's example packet under the checked policies, on the side
// (egress or ingress) whose verdict differs from the baseline's.
void attribute(report::Region& out, const verifier::Witness& w, const ir::PolicySet& now,
               const ir::PolicySet& before) {
  ir::Verdict vn = ir::evaluate(now, *w.inv, w.pkt), vb = ir::evaluate(before, *w.inv, w.pkt);
  for (auto [dn, db, who] : {std::tuple{&vn.egress, &vb.egress, "source"},
                             std::tuple{&vn.ingress, &vb.ingress, "destination"}}) {
    if (dn->allowed == db->allowed) continue;
    using K = ir::SideDecision::Kind;
    if (dn->kind == K::Rule && dn->policy && dn->rule) {
      out.decided_by = dn->policy->id() + " " + dn->rule->path;
      out.reason = std::string(dn->allowed ? "allowed" : "denied") + " now by " + out.decided_by;
      out.span = dn->rule->span.known() ? dn->rule->span : dn->policy->span;
    } else if (dn->kind == K::TierDefault && !dn->isolating.empty()) {
      out.decided_by = dn->isolating.front()->id();
      out.reason = "denied now: " + out.decided_by + " isolates the " + who +
                   " and no rule allows the packet";
      out.span = dn->isolating.front()->span;
    }
    return;
  }
}

void run_baseline(Context& c, Session& base) {
  c.progress.phase("baseline diff");
  c.guarded("baseline", [&] {
    auto opt = query_options(c.o.verify, c.s.inventory, !c.o.common.cluster.empty());
    auto d = verifier::diff(base.policies, c.s.policies, verifier::Scope{}, opt, c.o.max_regions);
    report::Baseline b;
    b.paths = c.o.baseline;
    b.families = families_text(opt.families);
    b.opened_truncated = d.opened_truncated;
    b.closed_truncated = d.closed_truncated;
    for (auto [from, to] : {std::pair{&d.opened, &b.opened}, std::pair{&d.closed, &b.closed}})
      for (const auto& g : *from) {
        report::Region x{g.from, g.to, g.traffic, g.families, g.example.text(""),
                         "",     "",   {},        false};
        attribute(x, g.example, c.s.policies, base.policies);
        to->push_back(std::move(x));
      }
    c.r.baseline = std::move(b);
  });
}

// ---- --expect: the expectations file (cli/expect.h, its own parser) ----------------------


// Parses FILE once the policies and inventory are loaded; prints its diagnostics.
std::shared_ptr<const Expectations> load_expect(const std::string& path,
                                                const CommonOptions& common, Session& s) {
  size_t before = s.diags.all().size();
  ExpectOptions eo;
  eo.load = load_options(common);
  auto e = load_expectations(path, s, eo);
  std::string out;
  for (size_t i = before; i < s.diags.all().size(); ++i)
    out += ir::render(s.diags.all()[i], &s.sources, s.color);
  std::cerr << out;
  return e && !s.diags.has_errors() ? e : nullptr;
}

void run_expect(Context& c, const Expectations& e) {
  c.progress.phase("expectations");
  c.guarded("expectations", [&] {
    c.r.expectations = run_expectations(
        e, c.s, query_options(c.o.verify, c.s.inventory, !c.o.common.cluster.empty()));
  });
}

// ---- the command -------------------------------------------------------------------------

int run_check(const CheckOptions& o) {
  bool ecolor = stderr_color(o.common.no_color);
  CheckReport r;
  r.inputs = o.common.policies;
  r.fail_on = *report::parse_fail_on(o.fail_on);
  r.fail_on_diff = *report::parse_fail_on_diff(o.fail_on_diff);
  std::map<ir::Code, std::optional<ir::Severity>> severities;
  if (!parse_severities(o.severities, severities, ecolor)) return kExitInput;
  if (o.common.policies.empty() && o.common.cluster.empty()) {
    print_usage_error(
        ir::Code::NV4001,
        "nothing to check: name policy files or directories, - for stdin, or a --cluster snapshot",
        ecolor);
    return kExitInput;
  }
  size_t stdin_uses = 0;
  for (const auto* v : {&o.common.policies, &o.common.cluster, &o.baseline})
    stdin_uses += static_cast<size_t>(std::count(v->begin(), v->end(), "-"));
  if (stdin_uses + (o.expect == "-") > 1) {
    print_usage_error(ir::Code::NV1017, "standard input (-) can be read only once; name it once",
                      ecolor);
    return kExitInput;
  }

  // Every input is read and every option checked before the first solver query.
  Session s;
  if (!load(o.common, s)) return kExitInput;
  verifier::HoleOptions h;
  if (!hole_options(o.holes, s, h)) return kExitInput;
  h.leak_solver = true;  // netverify exits right after
  h.query = query_options(o.verify, s.inventory, false);

  Session base;
  if (!o.baseline.empty()) {
    CommonOptions cb = o.common;
    cb.policies = o.baseline;
    cb.cluster.clear();
    if (!load(cb, base)) return kExitInput;
  }
  std::shared_ptr<const Expectations> expectations;
  if (!o.expect.empty()) {
    expectations = load_expect(o.expect, o.common, s);
    if (!expectations) return kExitInput;
    r.expect_file = o.expect;
  }
  OutputFile file;
  std::string err;
  if (!o.output_file.empty() && !file.open(o.output_file, err)) {
    s.usage_error(ir::Code::NV4034, "--output-file " + o.output_file + ": " + err);
    return kExitInput;
  }

  for (const auto& p : s.policies.policies()) r.policies.push_back({p.id(), p.span});
  {
    Progress progress(isatty(STDERR_FILENO) && !o.common.quiet);
    Context c{o, s, progress, r};
    run_holes(c, h, severities);
    if (expectations) run_expect(c, *expectations);
    if (!o.baseline.empty()) run_baseline(c, base);
  }
  report::finish(r);

  report::RenderOptions ro;
  ro.sources = &s.sources;
  ro.cwd = fs::current_path().string();
  ro.color = o.format == "text" && o.output_file.empty() && s.color && isatty(STDOUT_FILENO);
  std::string text = o.format == "json"     ? report::render_json(r, ro)
                     : o.format == "sarif"  ? report::render_sarif(r, ro)
                     : o.format == "junit"  ? report::render_junit(r, ro)
                     : o.format == "github" ? report::render_github(r, ro)
                                            : report::render_text(r, ro);
  if (o.output_file.empty()) {
    std::cout << text;
  } else {
    if (!file.commit(text, err)) {
      s.usage_error(ir::Code::NV4034, "--output-file " + o.output_file + ": " + err);
      return kExitInput;
    }
    std::cout << report::summary_line(r) << "\n";
  }
  return r.exit_code;
}

}  // namespace

void add_check(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CheckOptions>();
  auto* sub = app.add_subcommand("check",
                                 "CI entry point: hole checks on every policy read, the --expect "
                                 "file's expectations, and what changed "
                                 "against a --baseline; one pass/fail exit status and reports as "
                                 "text, JSON, SARIF, JUnit or GitHub "
                                 "annotations");
  sub->add_option("--expect", o->expect,
                  "Expectations file (must-allow, must-deny, isolation...) to check");
  sub->add_option("--baseline", o->baseline,
                  "Another version of the policies (a file, directory or -; repeat for more): "
                  "report what the "
                  "checked policies newly allow and newly deny compared with it")
      ->allow_extra_args(false);
  sub->add_option("--max-regions", o->max_regions,
                  "Baseline regions to show per direction and family")
      ->capture_default_str();
  sub->add_option("-o,--output", o->format, "Report format: text, json, sarif, junit, github")
      ->check(CLI::IsMember({"text", "json", "sarif", "junit", "github"}))
      ->capture_default_str();
  sub->add_option(
      "--output-file", o->output_file,
      "Write the report to this file (atomically; nothing on input errors) and only the summary "
      "line to stdout");
  sub->add_option("--fail-on", o->fail_on,
                  "Exit 1 on findings of this severity or above: error, warning, note, never")
      ->check(CLI::IsMember({"error", "warning", "note", "never"}))
      ->capture_default_str();
  sub->add_option(
         "--fail-on-diff", o->fail_on_diff,
         "Exit 1 when the policies, compared with --baseline, newly allow (new-allow), newly deny "
         "(new-deny) or change (any) some packets; never: report only")
      ->check(CLI::IsMember({"new-allow", "new-deny", "any", "never"}))
      ->capture_default_str();
  sub->add_option("--severity", o->severities,
                  "CODE=LEVEL: the severity of a finding code (error, warning, note, or off to "
                  "drop it); repeat "
                  "for more")
      ->allow_extra_args(false);
  add_hole_flags(sub, o->holes);
  add_common(sub, o->common, false);
  add_verify_options(sub, o->verify);
  sub->callback([o, &exit_code] { exit_code = run_check(*o); });
}

}  // namespace nv::cli
