// Diagnostics: stable code, severity, message, a 1-based source span and notes.
// Collected, never thrown; rendered clang-style with the source line and a caret.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nv::ir {

// Where an IR node came from. line and col are 1-based; line 0 means "no location".
struct SourceSpan {
  std::string file;
  int doc = 0;  // 0-based index of the YAML document in the file
  int line = 0;
  int col = 0;

  bool operator==(const SourceSpan&) const = default;
  bool known() const { return line > 0; }
  std::string str() const;  // "file:line:col", or the file alone
};

enum class Severity : uint8_t { Note, Warning, Error };

enum class Code : uint16_t {
#define NV_CODE(code, name, sev, summary) code,
#include "ir/codes.def"
#undef NV_CODE
};

struct CodeInfo {
  Code code;
  const char* id;  // "NV1004"
  const char* name;
  Severity severity;
  const char* summary;
};
const CodeInfo& code_info(Code c);
const std::vector<CodeInfo>& all_codes();

struct Note {
  SourceSpan span;
  std::string message;
};

struct Diagnostic {
  Code code;
  Severity severity;
  std::string message;
  SourceSpan span;
  std::vector<Note> notes;
};

// Holds the text of every input, so that diagnostics can quote the line.
class SourceManager {
 public:
  // Returns a stable reference to the stored text, valid as long as this manager: a text
  // added again under the same name replaces it for line(), not in memory (parsed trees
  // are views of their text).
  const std::string& add(const std::string& name, std::string text);
  std::string_view line(const std::string& name, int line) const;
  // Takes the texts of `other`: line() answers from those whose names this one lacks; all
  // of them stay valid as long as this manager.
  void adopt(SourceManager&& other);

 private:
  std::map<std::string, std::unique_ptr<std::string>> texts_;
  std::vector<std::unique_ptr<std::string>> replaced_;
};

class Diagnostics {
 public:
  Diagnostic& report(Code code, SourceSpan span, std::string message);
  Diagnostic& report(Code code, Severity severity, SourceSpan span, std::string message);
  // Adds `other`'s diagnostics after these, in their order.
  void append(const Diagnostics& other);
  void append(const Diagnostic& d) { diags_.push_back(d); }
  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return diags_; }
  // Sorted by file, line, column; stable for equal locations.
  std::vector<Diagnostic> sorted() const;
  void render(std::string& out, const SourceManager* sources, bool color) const;

 private:
  std::vector<Diagnostic> diags_;
};

std::string render(const Diagnostic& d, const SourceManager* sources, bool color);

}  // namespace nv::ir
