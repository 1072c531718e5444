#include "ir/diagnostic.h"

#include <algorithm>

namespace nv::ir {

std::string SourceSpan::str() const {
  if (!known()) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const std::vector<CodeInfo>& all_codes() {
  static const std::vector<CodeInfo> codes = {
#define NV_CODE(code, name, sev, summary) {Code::code, #code, #name, Severity::sev, summary},
#include "ir/codes.def"
#undef NV_CODE
  };
  return codes;
}

const CodeInfo& code_info(Code c) { return all_codes()[static_cast<size_t>(c)]; }

const std::string& SourceManager::add(const std::string& name, std::string text) {
  auto& slot = texts_[name];
  if (slot) replaced_.push_back(std::move(slot));
  slot = std::make_unique<std::string>(std::move(text));
  return *slot;
}

void SourceManager::adopt(SourceManager&& other) {
  for (auto& [name, text] : other.texts_)
    if (auto [it, fresh] = texts_.try_emplace(name, std::move(text)); !fresh)
      replaced_.push_back(std::move(text));
  for (auto& text : other.replaced_) replaced_.push_back(std::move(text));
  other.texts_.clear();
  other.replaced_.clear();
}

std::string_view SourceManager::line(const std::string& name, int line) const {
  auto it = texts_.find(name);
  if (it == texts_.end() || line < 1) return {};
  std::string_view text = *it->second;
  size_t pos = 0;
  for (int l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  size_t end = text.find('\n', pos);
  auto out = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

Diagnostic& Diagnostics::report(Code code, SourceSpan span, std::string message) {
  return report(code, code_info(code).severity, std::move(span), std::move(message));
}

Diagnostic& Diagnostics::report(Code code, Severity severity, SourceSpan span,
                                std::string message) {
  diags_.push_back(Diagnostic{code, severity, std::move(message), std::move(span), {}});
  return diags_.back();
}

void Diagnostics::append(const Diagnostics& other) {
  diags_.insert(diags_.end(), other.diags_.begin(), other.diags_.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return std::count_if(diags_.begin(), diags_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = diags_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.span.file, a.span.line, a.span.col) <
           std::tie(b.span.file, b.span.line, b.span.col);
  });
  return out;
}

static const char* severity_word(Severity s) {
  switch (s) {
    case Severity::Note:
      return "note";
    case Severity::Warning:
      return "warning";
    case Severity::Error:
      return "error";
  }
  return "";
}

static void quote_line(std::string& out, const SourceSpan& span, const SourceManager* sources,
                       bool color) {
  if (!sources || !span.known()) return;
  auto text = sources->line(span.file, span.line);
  if (text.empty()) return;
  // A long line (minified JSON) is quoted as a window around the column.
  // Columns past the end of the line happen (a parser's mark at the line break): clamp.
  constexpr int kWidth = 120;
  const int len = static_cast<int>(text.size());
  const int col = std::clamp(span.col, 1, len + 1);
  int first = 1;
  std::string prefix, suffix;
  if (len > kWidth) {
    first = std::clamp(col - kWidth / 2, 1, len - kWidth + 1);
    int last = first + kWidth - 1;
    if (first > 1) prefix = "...";
    if (last < len) suffix = "...";
    text = text.substr(static_cast<size_t>(first - 1), static_cast<size_t>(kWidth));
  }
  out += "  " + prefix;
  out += text;
  out += suffix + "\n  " + std::string(prefix.size(), ' ');
  for (int i = first; i < col && i - first < static_cast<int>(text.size()); ++i)
    out += text[static_cast<size_t>(i - first)] == '\t' ? '\t' : ' ';
  out += color ? "\033[1;32m^\033[0m\n" : "^\n";
}

std::string render(const Diagnostic& d, const SourceManager* sources, bool color) {
  std::string out;
  std::string where = d.span.str();
  if (!where.empty()) out += (color ? "\033[1m" + where + "\033[0m" : where) + ": ";
  std::string word = std::string(severity_word(d.severity)) + "[" + code_info(d.code).id + "]";
  if (color) {
    const char* c = d.severity == Severity::Error     ? "\033[1;31m"
                    : d.severity == Severity::Warning ? "\033[1;35m"
                                                      : "\033[1;36m";
    word = c + word + "\033[0m";
  }
  out += word + ": " + d.message + "\n";
  quote_line(out, d.span, sources, color);
  for (const auto& n : d.notes) {
    std::string nwhere = n.span.str();
    out += (nwhere.empty() ? "" : nwhere + ": ") + "note: " + n.message + "\n";
    quote_line(out, n.span, sources, color);
  }
  return out;
}

void Diagnostics::render(std::string& out, const SourceManager* sources, bool color) const {
  for (const auto& d : sorted()) out += ir::render(d, sources, color);
}

}  // namespace nv::ir
