#include "compiler/emit/yaml.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace nv::emit::yaml {

namespace {

bool lower_equals(std::string_view s, std::string_view word) {
  if (s.size() != word.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
  return true;
}

// Words YAML 1.1 reads as booleans or null (yaml.org/type/bool.html, null.html), in any case.
bool special_word(std::string_view s) {
  static constexpr std::array<std::string_view, 14> kWords = {
      "y",   "yes",  "n", "no",   "true",  "false", "on",
      "off", "null", "~", ".inf", "-.inf", "+.inf", ".nan"};
  for (auto w : kWords)
    if (lower_equals(s, w)) return true;
  return false;
}

// Characters a plain scalar may hold here: the label, CIDR, name and selector-free text this
// writer meets. Anything else is quoted, which is always correct.
bool plain_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/' || c == ':';
}

}  // namespace

std::string scalar(std::string_view s) {
  bool plain = !s.empty() && !special_word(s);
  for (char c : s) plain = plain && plain_char(c);
  // Numbers in any YAML 1.1 form (ints, octal "080", floats "1e3", sexagesimal "1:20",
  // timestamps) start with a digit, a sign or a dot: quote all of those. So do `-`, `:`
  // and `.` in first place, and a trailing `:`.
  if (plain) {
    char f = s.front();
    if (std::isdigit(static_cast<unsigned char>(f)) || f == '-' || f == '+' || f == '.' || f == ':')
      plain = false;
    if (s.back() == ':' || s.find("::") != std::string_view::npos) plain = false;
  }
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

Node Node::str(std::string_view s) {
  Node n(Kind::Scalar);
  n.text_ = scalar(s);
  return n;
}

Node Node::integer(int64_t v) {
  Node n(Kind::Scalar);
  n.text_ = std::to_string(v);
  return n;
}

Node Node::number(double v) {
  Node n(Kind::Scalar);
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v > -1e15 && v < 1e15) {
    n.text_ = std::to_string(static_cast<int64_t>(v));
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    n.text_.assign(buf, r.ptr);
  }
  return n;
}

Node Node::boolean(bool v) {
  Node n(Kind::Scalar);
  n.text_ = v ? "true" : "false";
  return n;
}

Node& Node::set(std::string_view key, Node value) {
  items_.emplace_back(scalar(key), std::move(value));
  return items_.back().second;
}

Node& Node::push(Node value) {
  items_.emplace_back(std::string(), std::move(value));
  return items_.back().second;
}

const Node* Node::get(std::string_view key) const {
  std::string k = scalar(key);
  for (const auto& [name, v] : items_)
    if (name == k) return &v;
  return nullptr;
}

std::string inline_text(const Node& n) {
  if (n.kind_ == Node::Kind::Scalar) return n.text_;
  return n.kind_ == Node::Kind::Map ? "{}" : "[]";
}

// A non-empty map or list, its lines starting at column `indent`. Lists inside maps sit at
// the map's indentation (kubectl's style).
void write_block(const Node& n, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  for (const auto& [key, v] : n.items_) {
    bool inline_value = v.kind_ == Node::Kind::Scalar || v.items_.empty();
    if (n.kind_ == Node::Kind::Map) {
      out += pad + key + ":";
      if (inline_value) {
        out += " " + inline_text(v) + "\n";
      } else {
        out += "\n";
        write_block(v, v.kind_ == Node::Kind::Map ? indent + 2 : indent, out);
      }
      continue;
    }
    if (inline_value) {
      out += pad + "- " + inline_text(v) + "\n";
      continue;
    }
    std::string inner;
    write_block(v, 0, inner);
    size_t start = 0;
    bool first = true;
    while (start < inner.size()) {
      size_t nl = inner.find('\n', start);
      out += pad + (first ? "- " : "  ") + inner.substr(start, nl - start) + "\n";
      first = false;
      start = nl + 1;
    }
  }
}

std::string render(const Node& doc) {
  if (doc.kind() == Node::Kind::Scalar || doc.empty()) return inline_text(doc) + "\n";
  std::string out;
  write_block(doc, 0, out);
  return out;
}

}  // namespace nv::emit::yaml
