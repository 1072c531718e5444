// The report of `netverify check`: verdict, escaping, and the five renderings.
#include "cli/report.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace nv::cli::report {

namespace fs = std::filesystem;

// ---- options and verdict ---------------------------------------------------------------

std::optional<FailOn> parse_fail_on(std::string_view s) {
  if (s == "note") return FailOn::Note;
  if (s == "warning") return FailOn::Warning;
  if (s == "error") return FailOn::Error;
  if (s == "never") return FailOn::Never;
  return std::nullopt;
}

std::optional<FailOnDiff> parse_fail_on_diff(std::string_view s) {
  if (s == "never") return FailOnDiff::Never;
  if (s == "new-allow") return FailOnDiff::NewAllow;
  if (s == "new-deny") return FailOnDiff::NewDeny;
  if (s == "any") return FailOnDiff::Any;
  return std::nullopt;
}

const char* name(FailOn f) {
  switch (f) {
    case FailOn::Note:
      return "note";
    case FailOn::Warning:
      return "warning";
    case FailOn::Error:
      return "error";
    case FailOn::Never:
      return "never";
  }
  return "";
}

const char* name(FailOnDiff f) {
  switch (f) {
    case FailOnDiff::Never:
      return "never";
    case FailOnDiff::NewAllow:
      return "new-allow";
    case FailOnDiff::NewDeny:
      return "new-deny";
    case FailOnDiff::Any:
      return "any";
  }
  return "";
}

const char* severity_name(ir::Severity s) {
  switch (s) {
    case ir::Severity::Note:
      return "note";
    case ir::Severity::Warning:
      return "warning";
    case ir::Severity::Error:
      return "error";
  }
  return "";
}

void finish(CheckReport& r) {
  for (auto& f : r.findings)
    f.failing = !f.suppressed && r.fail_on != FailOn::Never &&
                static_cast<int>(f.severity) >= static_cast<int>(r.fail_on);
  bool any_failing =
      std::any_of(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.failing; });
  if (r.baseline) {
    bool fail_open = r.fail_on_diff == FailOnDiff::NewAllow || r.fail_on_diff == FailOnDiff::Any;
    bool fail_close = r.fail_on_diff == FailOnDiff::NewDeny || r.fail_on_diff == FailOnDiff::Any;
    for (auto& g : r.baseline->opened) any_failing |= (g.failing = fail_open);
    for (auto& g : r.baseline->closed) any_failing |= (g.failing = fail_close);
  }
  bool unknown = false;
  for (const auto& e : r.expectations) {
    any_failing |= e.status == ExpectationResult::Status::Fail;
    unknown |= e.status == ExpectationResult::Status::Unknown;
  }
  bool internal = false;
  for (const auto& e : r.errors) (e.code == ir::Code::NV4011 ? internal : unknown) = true;
  r.exit_code = internal ? 4 : unknown ? 3 : any_failing ? 1 : 0;
}

Counts count(const CheckReport& r) {
  Counts c;
  for (const auto& f : r.findings) {
    if (f.suppressed) {
      ++c.suppressed;
      continue;
    }
    ++c.by_severity[static_cast<int>(f.severity)];
    c.failing += f.failing;
  }
  for (const auto& e : r.expectations) {
    using S = ExpectationResult::Status;
    (e.status == S::Pass   ? c.expect_pass
     : e.status == S::Fail ? c.expect_fail
                           : c.expect_unknown)++;
  }
  return c;
}

// ---- escaping ------------------------------------------------------------------------

namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// Calls f(code point) for each UTF-8 sequence of s; each byte of an invalid one (bad
// lead or continuation, overlong, surrogate, beyond U+10FFFF, truncated) gives U+FFFD.
template <class F>
void each_code_point(std::string_view s, F f) {
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if (ok && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      f(kReplacement);
      ++i;
      continue;
    }
    f(cp);
    i += len;
  }
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string hex(uint64_t v, int digits) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 15];
  return s;
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  each_code_point(s, [&](uint32_t cp) {
    switch (cp) {
      case '"':
        out += "\\\"";
        return;
      case '\\':
        out += "\\\\";
        return;
      case '\n':
        out += "\\n";
        return;
      case '\r':
        out += "\\r";
        return;
      case '\t':
        out += "\\t";
        return;
      case '\b':
        out += "\\b";
        return;
      case '\f':
        out += "\\f";
        return;
      default:
        break;
    }
    if (cp < 0x20)
      out += "\\u" + hex(cp, 4);
    else
      append_utf8(out, cp);
  });
  return out + "\"";
}

std::string xml_escape(std::string_view s, bool attribute) {
  std::string out;
  each_code_point(s, [&](uint32_t cp) {
    // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
    if (!allowed) cp = kReplacement;
    switch (cp) {
      case '&':
        out += "&amp;";
        return;
      case '<':
        out += "&lt;";
        return;
      case '>':
        out += "&gt;";
        return;
      case '\r':
        out += "&#13;";
        return;  // a literal CR would be normalised away
      default:
        break;
    }
    if (attribute) {
      switch (cp) {
        case '"':
          out += "&quot;";
          return;
        case '\'':
          out += "&apos;";
          return;
        case '\n':
          out += "&#10;";
          return;  // attribute values normalise line breaks to spaces
        case '\t':
          out += "&#9;";
          return;
        default:
          break;
      }
    }
    append_utf8(out, cp);
  });
  return out;
}

// As actions/toolkit's escapeData and escapeProperty (packages/core/src/command.ts).
std::string github_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string github_property(std::string_view s) {
  std::string out;
  for (char c : github_data(s)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

namespace {

// FNV-1a, 64 bits, from a given basis: two bases make 128 bits.
uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string stable_hash(const std::vector<std::string_view>& parts) {
  std::string key;
  for (auto p : parts) {
    key += p;
    key += '\0';
  }
  return hex(fnv1a(key, 0xcbf29ce484222325ULL), 16) + hex(fnv1a(key, 0x84222325cbf29ce4ULL), 16);
}

}  // namespace

std::string fingerprint(const Finding& f) {
  return stable_hash({ir::code_info(f.code).id, f.policy, f.rule, f.message});
}

std::optional<std::string> relative_path(const std::string& file, const std::string& cwd) {
  if (file.empty() || file == "<stdin>") return std::nullopt;
  std::string base_text = cwd;
  while (base_text.size() > 1 && base_text.back() == '/') base_text.pop_back();
  fs::path base = fs::path(base_text).lexically_normal();
  fs::path p(file);
  fs::path abs = (p.is_absolute() ? p : base / p).lexically_normal();
  std::string rel = abs.lexically_relative(base).generic_string();
  if (rel.empty() || rel == "." || rel == ".." || rel.starts_with("../")) return std::nullopt;
  return rel;
}

std::string uri_path(std::string_view path) {
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
      out += ch;
    else
      out += "%" + std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 15];
  }
  return out;
}

// ---- shared wording --------------------------------------------------------------------

namespace {

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string indent_lines(const std::string& text, const std::string& indent) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += indent + text.substr(pos, end - pos) + "\n";
    pos = end + 1;
  }
  return out;
}

// The lines of `text` without the indentation they all share (expectation witnesses come
// indented by their producer).
std::string dedent(const std::string& text) {
  size_t common = std::string::npos, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    size_t first = text.find_first_not_of(' ', pos);
    if (first < end) common = std::min(common, first - pos);
    pos = end + 1;
  }
  if (common == 0 || common == std::string::npos) return text;
  std::string out;
  pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += (end - pos > common ? text.substr(pos + common, end - pos - common) : "") + "\n";
    pos = end + 1;
  }
  return out;
}

const char* status_name(ExpectationResult::Status s) {
  switch (s) {
    case ExpectationResult::Status::Pass:
      return "pass";
    case ExpectationResult::Status::Fail:
      return "fail";
    case ExpectationResult::Status::Unknown:
      return "unknown";
  }
  return "";
}

std::string region_text(const Region& g) {
  return "from " + g.from + "\n     to " + g.to + "\n     " + g.traffic + " (" + g.families + ")";
}

std::string region_line(const Region& g) {
  return "from " + g.from + "; to " + g.to + "; " + g.traffic + " (" + g.families + ")";
}

std::string region_decided(const Region& g) {
  if (g.reason.empty()) return "";
  return g.reason + (g.span.known() ? " (" + g.span.str() + ")" : "");
}

std::string expectation_title(const ExpectationResult& e) { return e.name + " (" + e.kind + ")"; }

std::string finding_body(const Finding& f) {
  std::string out = f.message;
  if (!f.witness.empty()) out += "\n" + f.witness_caption + ":\n" + indent_lines(f.witness, "  ");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::string summary_line(const CheckReport& r) {
  Counts c = count(r);
  std::string head = r.exit_code == 0   ? "PASS"
                     : r.exit_code == 1 ? "FAIL"
                     : r.exit_code == 3 ? "UNKNOWN"
                                        : "ERROR";
  size_t shown = c.by_severity[0] + c.by_severity[1] + c.by_severity[2];
  std::string s = head + ": " + plural(shown, "finding", "findings") + " (" +
                  plural(c.by_severity[2], "error", "errors") + ", " +
                  plural(c.by_severity[1], "warning", "warnings") + ", " +
                  plural(c.by_severity[0], "note", "notes") + "), " +
                  (r.fail_on == FailOn::Never
                       ? std::string("none failing (--fail-on never)")
                       : std::to_string(c.failing) + " at or above --fail-on " + name(r.fail_on));
  if (c.suppressed) s += ", " + std::to_string(c.suppressed) + " suppressed";
  s += "; " + plural(r.proved.size(), "property", "properties") + " proved";
  if (r.expect_file) {
    s += "; expectations: " + std::to_string(c.expect_pass) + " passed, " +
         std::to_string(c.expect_fail) + " failed";
    if (c.expect_unknown) s += ", " + std::to_string(c.expect_unknown) + " unknown";
  }
  if (r.baseline) {
    s += "; baseline: " + plural(r.baseline->opened.size(), "region", "regions") +
         (r.baseline->opened_truncated ? "+" : "") + " newly allowed, " +
         std::to_string(r.baseline->closed.size()) + (r.baseline->closed_truncated ? "+" : "") +
         " newly denied";
    auto failing = [](const std::vector<Region>& rs) {
      return std::any_of(rs.begin(), rs.end(), [](const Region& g) { return g.failing; });
    };
    if (failing(r.baseline->opened) || failing(r.baseline->closed))
      s += std::string(", failing --fail-on-diff ") + name(r.fail_on_diff);
  }
  if (!r.errors.empty()) {
    s += "; not decided:";
    for (size_t i = 0; i < r.errors.size(); ++i)
      s += std::string(i ? ", " : " ") + r.errors[i].group + " (" +
           ir::code_info(r.errors[i].code).id + ")";
  }
  return s;
}

// ---- text ----------------------------------------------------------------------------

std::string render_text(const CheckReport& r, const RenderOptions& o) {
  std::string out;
  auto diag = [&](ir::Code code, ir::Severity sev, const ir::SourceSpan& span,
                  const std::string& msg) {
    out += ir::render(ir::Diagnostic{code, sev, msg, span, {}}, o.sources, o.color);
  };
  for (const auto& f : r.findings) {
    if (f.suppressed) continue;
    diag(f.code, f.severity, f.span, f.message);
    if (!f.witness.empty())
      out += "  " + f.witness_caption + ":\n" + indent_lines(f.witness, "    ");
  }
  for (const auto& f : r.findings)
    if (f.suppressed)
      out += "suppressed: " + f.span.str() + ": " + severity_name(f.severity) + "[" +
             ir::code_info(f.code).id + "]: " + f.message + " (" + kIgnoreAnnotation + " at " +
             f.suppressed_at.str() + ")\n";
  for (const auto& p : r.proved) out += "proved: " + p + "\n";

  if (r.expect_file) {
    for (const auto& e : r.expectations) {
      using S = ExpectationResult::Status;
      if (e.status == S::Pass) {
        out += "expectation holds: " + expectation_title(e) +
               (e.message.empty() ? "" : ": " + e.message) + "\n";
        continue;
      }
      bool unknown = e.status == S::Unknown;
      diag(unknown ? ir::Code::NV4010 : ir::Code::NV4032, ir::Severity::Error, e.span,
           "expectation " + expectation_title(e) +
               (unknown ? " could not be decided: " : " does not hold: ") + e.message);
      if (!e.witness.empty()) out += indent_lines(dedent(e.witness), "    ");
    }
  }

  if (r.baseline) {
    const auto& b = *r.baseline;
    std::string against;
    for (const auto& p : b.paths) against += (against.empty() ? "" : ", ") + p;
    auto section = [&](const std::vector<Region>& rs, bool more, bool opened) {
      out += std::string(opened ? "newly allowed" : "newly denied") +
             " compared with the baseline " + against + " (" + std::to_string(rs.size()) +
             (more ? "+" : "") + " region" + (rs.size() == 1 ? "" : "s") + ")" +
             (rs.empty() ? ": none (proved, " + b.families + ")" : ":") + "\n";
      for (size_t i = 0; i < rs.size(); ++i) {
        out += "  " + std::to_string(i + 1) + ". " + region_text(rs[i]) + "\n";
        if (auto d = region_decided(rs[i]); !d.empty()) out += "     " + d + "\n";
      }
      if (more) out += "  ... more regions exist (raise --max-regions to see them)\n";
    };
    section(b.opened, b.opened_truncated, true);
    section(b.closed, b.closed_truncated, false);
  }
  std::string line = summary_line(r);
  if (o.color) line = (r.exit_code == 0 ? "\033[1;32m" : "\033[1;31m") + line + "\033[0m";
  return out + line + "\n";
}

// ---- JSON ----------------------------------------------------------------------------

namespace {

// A JSON value built in order and printed with two-space indentation.
struct J {
  enum class Kind : uint8_t { Null, Bool, Int, Str, Arr, Obj };
  Kind kind = Kind::Null;
  bool b = false;
  long long i = 0;
  std::string s;
  std::vector<std::string> keys;
  std::vector<J> vals;

  static J null() { return {}; }
  static J arr() { return J{Kind::Arr}; }
  static J obj() { return J{Kind::Obj}; }
  J() = default;
  explicit J(Kind k) : kind(k) {}
  J(const char* v) : kind(Kind::Str), s(v) {}
  J(std::string v) : kind(Kind::Str), s(std::move(v)) {}
  J(bool v) : kind(Kind::Bool), b(v) {}
  J(int v) : kind(Kind::Int), i(v) {}
  J(size_t v) : kind(Kind::Int), i(static_cast<long long>(v)) {}

  J& set(std::string key, J v) {
    keys.push_back(std::move(key));
    vals.push_back(std::move(v));
    return *this;
  }
  J& push(J v) {
    vals.push_back(std::move(v));
    return *this;
  }

  void dump(std::string& out, int depth) const {
    std::string pad(static_cast<size_t>(depth + 1) * 2, ' '),
        end(static_cast<size_t>(depth) * 2, ' ');
    switch (kind) {
      case Kind::Null:
        out += "null";
        return;
      case Kind::Bool:
        out += b ? "true" : "false";
        return;
      case Kind::Int:
        out += std::to_string(i);
        return;
      case Kind::Str:
        out += json_string(s);
        return;
      case Kind::Arr:
      case Kind::Obj: {
        bool is_obj = kind == Kind::Obj;
        if (vals.empty()) {
          out += is_obj ? "{}" : "[]";
          return;
        }
        out += is_obj ? "{\n" : "[\n";
        for (size_t k = 0; k < vals.size(); ++k) {
          out += pad;
          if (is_obj) out += json_string(keys[k]) + ": ";
          vals[k].dump(out, depth + 1);
          out += k + 1 < vals.size() ? ",\n" : "\n";
        }
        out += end + (is_obj ? "}" : "]");
      }
    }
  }
  std::string str() const {
    std::string out;
    dump(out, 0);
    return out + "\n";
  }
};

J location_json(const ir::SourceSpan& s) {
  if (s.file.empty()) return J::null();
  J l = J::obj();
  l.set("file", s.file);
  if (s.known()) l.set("line", s.line).set("column", s.col);
  return l;
}

J region_json(const Region& g) {
  return J::obj()
      .set("from", g.from)
      .set("to", g.to)
      .set("traffic", g.traffic)
      .set("families", g.families)
      .set("failing", g.failing)
      .set("decidedBy", g.decided_by.empty() ? J::null() : J(g.decided_by))
      .set("reason", g.reason.empty() ? J::null() : J(g.reason))
      .set("location", g.decided_by.empty() ? J::null() : location_json(g.span))
      .set("example", g.example);
}

const char* result_word(int exit_code) {
  return exit_code == 0 ? "pass" : exit_code == 1 ? "fail" : exit_code == 3 ? "unknown" : "error";
}

}  // namespace

std::string render_json(const CheckReport& r, const RenderOptions&) {
  Counts c = count(r);
  J summary = J::obj();
  summary.set("policies", r.policies.size())
      .set("findings", c.by_severity[0] + c.by_severity[1] + c.by_severity[2])
      .set("errors", c.by_severity[2])
      .set("warnings", c.by_severity[1])
      .set("notes", c.by_severity[0])
      .set("failing", c.failing)
      .set("suppressed", c.suppressed)
      .set("proved", r.proved.size());
  if (r.expect_file)
    summary.set("expectations", J::obj()
                                    .set("passed", c.expect_pass)
                                    .set("failed", c.expect_fail)
                                    .set("unknown", c.expect_unknown));
  if (r.baseline)
    summary.set("newlyAllowed", r.baseline->opened.size())
        .set("newlyDenied", r.baseline->closed.size());

  J findings = J::arr();
  for (const auto& f : r.findings) {
    J w = J::null();
    if (!f.witness.empty()) w = J::obj().set("caption", f.witness_caption).set("text", f.witness);
    findings.push(
        J::obj()
            .set("code", ir::code_info(f.code).id)
            .set("name", ir::code_info(f.code).name)
            .set("severity", severity_name(f.severity))
            .set("failing", f.failing)
            .set("suppressed", f.suppressed)
            .set("message", f.message)
            .set("policy", f.policy)
            .set("rule", f.rule.empty() ? J::null() : J(f.rule))
            .set("location", location_json(f.span))
            .set("suppressedBy", f.suppressed ? location_json(f.suppressed_at) : J::null())
            .set("fingerprint", fingerprint(f))
            .set("witness", std::move(w)));
  }
  J proved = J::arr();
  for (const auto& p : r.proved) proved.push(p);

  J expectations = J::null();
  if (r.expect_file) {
    J results = J::arr();
    for (const auto& e : r.expectations)
      results.push(J::obj()
                       .set("name", e.name)
                       .set("kind", e.kind)
                       .set("status", status_name(e.status))
                       .set("message", e.message)
                       .set("location", location_json(e.span))
                       .set("witness", e.witness.empty() ? J::null() : J(dedent(e.witness))));
    expectations = J::obj().set("file", *r.expect_file).set("results", std::move(results));
  }
  J baseline = J::null();
  if (r.baseline) {
    J paths = J::arr(), opened = J::arr(), closed = J::arr();
    for (const auto& p : r.baseline->paths) paths.push(p);
    for (const auto& g : r.baseline->opened) opened.push(region_json(g));
    for (const auto& g : r.baseline->closed) closed.push(region_json(g));
    baseline = J::obj()
                   .set("paths", std::move(paths))
                   .set("newlyAllowed", std::move(opened))
                   .set("newlyAllowedTruncated", r.baseline->opened_truncated)
                   .set("newlyDenied", std::move(closed))
                   .set("newlyDeniedTruncated", r.baseline->closed_truncated);
  }
  J errors = J::arr();
  for (const auto& e : r.errors)
    errors.push(J::obj()
                    .set("group", e.group)
                    .set("code", ir::code_info(e.code).id)
                    .set("message", e.message));
  J inputs = J::arr();
  for (const auto& i : r.inputs) inputs.push(i);

  J root = J::obj();
  root.set("format", kJsonFormat)
      .set("tool", J::obj().set("name", kToolName).set("version", kToolVersion))
      .set("result", result_word(r.exit_code))
      .set("exitCode", r.exit_code)
      .set("failOn", name(r.fail_on))
      .set("failOnDiff", name(r.fail_on_diff))
      .set("inputs", std::move(inputs))
      .set("summary", std::move(summary))
      .set("findings", std::move(findings))
      .set("proved", std::move(proved))
      .set("expectations", std::move(expectations))
      .set("baseline", std::move(baseline))
      .set("errors", std::move(errors));
  return root.str();
}

// ---- SARIF 2.1.0 ---------------------------------------------------------------------

namespace {

const char* sarif_level(ir::Severity s) {
  return s == ir::Severity::Error ? "error" : s == ir::Severity::Warning ? "warning" : "note";
}

// The README section that explains a code.
std::string help_uri(ir::Code c) {
  std::string id = ir::code_info(c).id;
  if (id.starts_with("NV8")) return std::string(kReadmeUri) + "#the-verifier";
  if (id >= "NV4030" && id <= "NV4049") return std::string(kReadmeUri) + "#ci-netverify-check";
  return std::string(kReadmeUri) + "#errors";
}

// hole_admits_nothing -> HoleAdmitsNothing
std::string pascal(std::string_view snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

struct SarifBuilder {
  explicit SarifBuilder(const RenderOptions& opt) : o(opt) {}
  const RenderOptions& o;
  J results = J::arr();
  std::vector<ir::Code> rules;
  std::map<std::string, int> seen;  // fingerprint -> occurrences

  int rule_index(ir::Code c) {
    auto it = std::find(rules.begin(), rules.end(), c);
    if (it != rules.end()) return static_cast<int>(it - rules.begin());
    rules.push_back(c);
    return static_cast<int>(rules.size() - 1);
  }

  J location(const ir::SourceSpan& span, const std::string& logical) {
    J loc = J::obj();
    if (span.known()) {
      J artifact = J::obj();
      if (auto rel = relative_path(span.file, o.cwd)) {
        artifact.set("uri", uri_path(*rel)).set("uriBaseId", "%SRCROOT%");
      } else if (span.file != "<stdin>") {
        std::string abs = fs::path(span.file).is_absolute() ? span.file : o.cwd + "/" + span.file;
        artifact.set("uri",
                     "file://" + uri_path(fs::path(abs).lexically_normal().generic_string()));
      }
      if (!artifact.vals.empty())
        loc.set("physicalLocation",
                J::obj()
                    .set("artifactLocation", std::move(artifact))
                    .set("region", J::obj()
                                       .set("startLine", span.line)
                                       .set("startColumn", std::max(span.col, 1))));
    }
    if (!logical.empty())
      loc.set("logicalLocations",
              J::arr().push(J::obj().set("fullyQualifiedName", logical).set("kind", "object")));
    return loc;
  }

  void add(ir::Code code, const char* level, const std::string& text, const ir::SourceSpan& span,
           const std::string& logical, const std::string& hash, J properties) {
    int idx = rule_index(code);
    int n = ++seen[hash];
    J locs = J::arr();
    J loc = location(span, logical);
    if (!loc.vals.empty()) locs.push(std::move(loc));
    J res = J::obj();
    res.set("ruleId", ir::code_info(code).id)
        .set("ruleIndex", idx)
        .set("level", level)
        .set("message", J::obj().set("text", text));
    if (!locs.vals.empty()) res.set("locations", std::move(locs));
    res.set("partialFingerprints", J::obj().set("netverify/v1", hash + ":" + std::to_string(n)));
    if (!properties.vals.empty()) res.set("properties", std::move(properties));
    results.push(std::move(res));
  }
};

}  // namespace

std::string render_sarif(const CheckReport& r, const RenderOptions& o) {
  SarifBuilder sb(o);
  // Suppressed findings are left out: GitHub code scanning ignores result.suppressions
  // and would show them as open alerts. The JSON and JUnit outputs list them.
  for (const auto& f : r.findings) {
    if (f.suppressed) continue;
    J props = J::obj().set("policy", f.policy);
    if (!f.rule.empty()) props.set("rule", f.rule);
    props.set("failing", f.failing);
    sb.add(f.code, sarif_level(f.severity), finding_body(f), f.span,
           f.policy + (f.rule.empty() ? "" : " " + f.rule), fingerprint(f), std::move(props));
  }
  if (r.baseline) {
    for (bool opened : {true, false})
      for (const auto& g : opened ? r.baseline->opened : r.baseline->closed) {
        ir::Code code = opened ? ir::Code::NV4030 : ir::Code::NV4031;
        std::string text = std::string(opened ? "newly allowed" : "newly denied") +
                           " compared with the baseline: " + region_line(g);
        if (auto d = region_decided(g); !d.empty()) text += "\n" + d;
        text += "\nfor example:\n" + indent_lines(g.example, "  ");
        text.pop_back();
        sb.add(code, g.failing ? "error" : "note", text, g.span, g.decided_by,
               stable_hash({ir::code_info(code).id, g.from, g.to, g.traffic, g.families}),
               J::obj().set("failing", g.failing));
      }
  }
  for (const auto& e : r.expectations) {
    using S = ExpectationResult::Status;
    if (e.status == S::Pass) continue;
    ir::Code code = e.status == S::Fail ? ir::Code::NV4032 : ir::Code::NV4010;
    std::string text = "expectation " + expectation_title(e) +
                       (e.status == S::Fail ? " does not hold: " : " could not be decided: ") +
                       e.message;
    if (!e.witness.empty()) text += "\n" + indent_lines(dedent(e.witness), "  ");
    while (text.back() == '\n') text.pop_back();
    sb.add(code, "error", text, e.span, "", stable_hash({ir::code_info(code).id, e.name, e.kind}),
           J::obj().set("expectation", e.name).set("kind", e.kind));
  }

  J rules = J::arr();
  for (ir::Code c : sb.rules) {
    const auto& info = ir::code_info(c);
    rules.push(J::obj()
                   .set("id", info.id)
                   .set("name", pascal(info.name))
                   .set("shortDescription", J::obj().set("text", info.summary))
                   .set("helpUri", help_uri(c))
                   .set("defaultConfiguration", J::obj().set("level", sarif_level(info.severity))));
  }
  J notes = J::arr();
  for (const auto& e : r.errors)
    notes.push(J::obj()
                   .set("level", "error")
                   .set("message", J::obj().set("text", std::string(ir::code_info(e.code).id) +
                                                            ": " + e.group + ": " + e.message)));
  J invocation = J::obj();
  invocation.set("executionSuccessful", r.errors.empty()).set("exitCode", r.exit_code);
  if (!notes.vals.empty()) invocation.set("toolExecutionNotifications", std::move(notes));

  J driver = J::obj()
                 .set("name", kToolName)
                 .set("version", kToolVersion)
                 .set("semanticVersion", kToolVersion)
                 .set("informationUri", kInformationUri)
                 .set("rules", std::move(rules));
  J run = J::obj()
              .set("tool", J::obj().set("driver", std::move(driver)))
              .set("invocations", J::arr().push(std::move(invocation)))
              .set("results", std::move(sb.results));
  return J::obj()
      .set("$schema", "https://json.schemastore.org/sarif-2.1.0.json")
      .set("version", "2.1.0")
      .set("runs", J::arr().push(std::move(run)))
      .str();
}

// ---- JUnit XML -----------------------------------------------------------------------

namespace {

struct Case {
  std::string name, classname, file;
  std::string failure_message, failure_type, failure_text;  // a <failure> when message is set
  std::string error_message, error_text;                    // an <error> when message is set
  std::string out;                                          // <system-out>
  std::string skipped;                                      // a <skipped> when set
};

Case make_case(std::string name, std::string classname, std::string file = "") {
  Case c;
  c.name = std::move(name);
  c.classname = std::move(classname);
  c.file = std::move(file);
  return c;
}

Case error_case(std::string name, std::string classname, const ToolError& e) {
  Case c = make_case(std::move(name), std::move(classname));
  c.error_message = ir::code_info(e.code).id + std::string(": ") + e.message;
  c.error_text = e.message;
  return c;
}

void junit_suite(std::string& xml, const std::string& name, const std::vector<Case>& cases) {
  size_t failures = 0, errors = 0, skipped = 0;
  for (const auto& c : cases) {
    failures += !c.failure_message.empty();
    errors += !c.error_message.empty();
    skipped += !c.skipped.empty();
  }
  xml += "  <testsuite name=\"" + xml_escape(name, true) + "\" tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
         "\">\n";
  for (const auto& c : cases) {
    xml += "    <testcase name=\"" + xml_escape(c.name, true) + "\" classname=\"" +
           xml_escape(c.classname, true) + "\"";
    if (!c.file.empty()) xml += " file=\"" + xml_escape(c.file, true) + "\"";
    if (c.failure_message.empty() && c.error_message.empty() && c.out.empty() &&
        c.skipped.empty()) {
      xml += "/>\n";
      continue;
    }
    xml += ">\n";
    if (!c.failure_message.empty())
      xml += "      <failure message=\"" + xml_escape(c.failure_message, true) + "\" type=\"" +
             xml_escape(c.failure_type, true) + "\">" + xml_escape(c.failure_text, false) +
             "</failure>\n";
    if (!c.error_message.empty())
      xml += "      <error message=\"" + xml_escape(c.error_message, true) + "\" type=\"NV4010\">" +
             xml_escape(c.error_text, false) + "</error>\n";
    if (!c.skipped.empty())
      xml += "      <skipped message=\"" + xml_escape(c.skipped, true) + "\"/>\n";
    if (!c.out.empty()) xml += "      <system-out>" + xml_escape(c.out, false) + "</system-out>\n";
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n";
}

std::string finding_text(const Finding& f) {
  return f.span.str() + ": " + severity_name(f.severity) + "[" + ir::code_info(f.code).id +
         "]: " + finding_body(f) + "\n";
}

std::string display_path(const std::string& file, const std::string& cwd) {
  return relative_path(file, cwd).value_or(file);
}

}  // namespace

std::string render_junit(const CheckReport& r, const RenderOptions& o) {
  std::vector<std::pair<std::string, std::vector<Case>>> suites;

  // holes: one testcase per policy; it fails with the findings at or above --fail-on.
  std::vector<Case> holes;
  std::map<std::string, size_t> by_policy;
  for (const auto& p : r.policies) {
    by_policy.emplace(p.id, holes.size());
    holes.push_back(make_case(p.id, "netverify.holes", display_path(p.span.file, o.cwd)));
  }
  std::map<size_t, std::vector<const Finding*>> failing;
  for (const auto& f : r.findings) {
    auto it = by_policy.find(f.policy);
    if (it == by_policy.end()) {
      by_policy.emplace(f.policy, holes.size());
      it = by_policy.find(f.policy);
      holes.push_back(make_case(f.policy, "netverify.holes", display_path(f.span.file, o.cwd)));
    }
    Case& c = holes[it->second];
    if (f.failing) {
      failing[it->second].push_back(&f);
      c.failure_text += finding_text(f);
    } else if (f.suppressed) {
      c.out += "suppressed by " + std::string(kIgnoreAnnotation) + " at " + f.suppressed_at.str() +
               ": " + finding_text(f);
    } else {
      c.out += finding_text(f);
    }
  }
  for (auto& [i, fs] : failing) {
    Case& c = holes[i];
    c.failure_type = ir::code_info(fs.front()->code).id;
    c.failure_message =
        fs.size() == 1
            ? std::string(ir::code_info(fs.front()->code).id) + ": " + fs.front()->message
            : std::to_string(fs.size()) + " findings at or above --fail-on " + name(r.fail_on) +
                  ":";
    if (fs.size() > 1)
      for (const Finding* f : fs) c.failure_message += std::string(" ") + ir::code_info(f->code).id;
  }
  for (const auto& e : r.errors)
    if (e.group == "holes")
      for (auto& c : holes)
        c.skipped = std::string("not checked: the hole checks were not decided (") +
                    ir::code_info(e.code).id + ")";
  for (const auto& e : r.errors)
    if (e.group == "holes") holes.push_back(error_case("hole checks", "netverify.holes", e));
  if (!r.proved.empty()) {
    Case proved = make_case("proved properties", "netverify.holes");
    for (const auto& p : r.proved) proved.out += "proved: " + p + "\n";
    holes.push_back(std::move(proved));
  }
  suites.emplace_back("holes", std::move(holes));

  if (r.expect_file) {
    std::vector<Case> cases;
    for (const auto& e : r.expectations) {
      Case c =
          make_case(e.name, "netverify.expectations." + e.kind, display_path(e.span.file, o.cwd));
      using S = ExpectationResult::Status;
      std::string text =
          e.span.str() + ": " + e.message + "\n" + indent_lines(dedent(e.witness), "  ");
      if (e.status == S::Fail) {
        c.failure_message = e.message;
        c.failure_type = "NV4032";
        c.failure_text = text;
      } else if (e.status == S::Unknown) {
        c.error_message = e.message;
        c.error_text = text;
      } else {
        c.out = e.message.empty() ? "" : e.message + "\n";
      }
      cases.push_back(std::move(c));
    }
    for (const auto& e : r.errors)
      if (e.group == "expectations")
        cases.push_back(error_case("expectations", "netverify.expectations", e));
    suites.emplace_back("expectations", std::move(cases));
  }

  if (r.baseline) {
    std::vector<Case> cases;
    for (bool opened : {true, false}) {
      const auto& rs = opened ? r.baseline->opened : r.baseline->closed;
      bool more = opened ? r.baseline->opened_truncated : r.baseline->closed_truncated;
      Case c = make_case(opened ? "newly allowed" : "newly denied", "netverify.baseline");
      std::string text;
      for (size_t i = 0; i < rs.size(); ++i) {
        text += "  " + std::to_string(i + 1) + ". " + region_text(rs[i]) + "\n";
        if (auto d = region_decided(rs[i]); !d.empty()) text += "     " + d + "\n";
      }
      if (more) text += "  ... more regions exist (raise --max-regions to see them)\n";
      bool fails = std::any_of(rs.begin(), rs.end(), [](const Region& g) { return g.failing; });
      if (fails) {
        c.failure_message = std::to_string(rs.size()) + (more ? "+" : "") + " region" +
                            (rs.size() == 1 ? "" : "s") +
                            (opened ? " newly allowed" : " newly denied") + " (--fail-on-diff " +
                            name(r.fail_on_diff) + ")";
        c.failure_type = opened ? "NV4030" : "NV4031";
        c.failure_text = text;
      } else {
        c.out = rs.empty() ? "none (proved, " + r.baseline->families + ")\n" : text;
      }
      cases.push_back(std::move(c));
    }
    for (const auto& e : r.errors)
      if (e.group == "baseline")
        cases.push_back(error_case("baseline diff", "netverify.baseline", e));
    suites.emplace_back("baseline", std::move(cases));
  }

  size_t tests = 0, failures = 0, errors = 0;
  for (const auto& [n, cs] : suites)
    for (const auto& c : cs) {
      ++tests;
      failures += !c.failure_message.empty();
      errors += !c.error_message.empty();
    }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"netverify check\" tests=\"" +
      std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
      std::to_string(errors) + "\">\n";
  for (const auto& [n, cs] : suites) junit_suite(xml, n, cs);
  return xml + "</testsuites>\n";
}

// ---- GitHub workflow commands --------------------------------------------------------

std::string render_github(const CheckReport& r, const RenderOptions& o) {
  std::string out;
  auto command = [&](const char* level, const ir::SourceSpan& span, ir::Code code,
                     const std::string& msg) {
    std::string props;
    if (span.known() && span.file != "<stdin>") {
      props += "file=" + github_property(display_path(span.file, o.cwd)) +
               ",line=" + std::to_string(span.line);
      if (span.col > 0) props += ",col=" + std::to_string(span.col);
      props += ",";
    }
    props += "title=" + github_property(ir::code_info(code).id);
    out += std::string("::") + level + " " + props + "::" + github_data(msg) + "\n";
  };
  auto level = [](ir::Severity s) {
    return s == ir::Severity::Error ? "error" : s == ir::Severity::Warning ? "warning" : "notice";
  };
  for (const auto& f : r.findings)
    if (!f.suppressed) command(level(f.severity), f.span, f.code, finding_body(f));
  for (const auto& e : r.expectations) {
    using S = ExpectationResult::Status;
    if (e.status == S::Pass) continue;
    std::string msg = "expectation " + expectation_title(e) +
                      (e.status == S::Fail ? " does not hold: " : " could not be decided: ") +
                      e.message;
    if (!e.witness.empty()) msg += "\n" + indent_lines(dedent(e.witness), "  ");
    while (msg.back() == '\n') msg.pop_back();
    command("error", e.span, e.status == S::Fail ? ir::Code::NV4032 : ir::Code::NV4010, msg);
  }
  if (r.baseline)
    for (bool opened : {true, false})
      for (const auto& g : opened ? r.baseline->opened : r.baseline->closed) {
        std::string msg = std::string(opened ? "newly allowed" : "newly denied") +
                          " compared with the baseline: " + region_line(g);
        if (auto d = region_decided(g); !d.empty()) msg += "\n" + d;
        command(g.failing ? "error" : "notice", g.span,
                opened ? ir::Code::NV4030 : ir::Code::NV4031, msg);
      }
  for (const auto& e : r.errors) command("error", {}, e.code, e.group + ": " + e.message);
  return out + summary_line(r) + "\n";
}

}  // namespace nv::cli::report
