// An IR HTTP rule as a Calico `http` match (projectcalico/calico api/pkg/apis/projectcalico/v3
// policy_common.go HTTPMatch: methods, paths with exact or prefix), only when the Calico
// frontend (compiler/frontends/calico/http.cpp) lowers the match back to exactly the same
// regular expressions: methods a list of literals, paths prefixes `P.*` or exact paths
// `P([#?].*)?` (Dikastes cuts the query and fragment off before comparing). Anything else
// has no Calico form and is refused with what it is.
#include "compiler/emit/common.h"

namespace nv::emit {

namespace {

bool single(const ir::Regex& c) {
  return c.op == ir::Regex::Op::Chars && c.ranges.size() == 1 &&
         c.ranges[0].first == c.ranges[0].second;
}

// The literal a regex matches when it is one (single bytes in sequence).
std::optional<std::string> literal(const ir::Regex& re) {
  if (single(re)) return std::string(1, static_cast<char>(re.ranges[0].first));
  if (re.op != ir::Regex::Op::Concat) return std::nullopt;
  std::string out;
  for (const auto& k : re.kids) {
    if (!single(k)) return std::nullopt;
    out += static_cast<char>(k.ranges[0].first);
  }
  return out;
}

const std::vector<ir::Regex>& alternatives(const ir::Regex& re, std::vector<ir::Regex>& one) {
  if (re.op == ir::Regex::Op::Alt && !re.kids.empty()) return re.kids;
  one = {re};
  return one;
}

}  // namespace

std::optional<yaml::Node> calico_http(const ir::HttpRule& h, std::string& why) {
  using yaml::Node;
  if (h.host || !h.headers.empty()) {
    why = h.where + ": a " + std::string(h.host ? "host" : "header") +
          " match (Calico's http match has methods and paths only)";
    return std::nullopt;
  }
  Node m = Node::map();
  if (h.method) {
    std::vector<ir::Regex> one, rebuilt;
    Node& list = m.set("methods", Node::list());
    for (const auto& alt : alternatives(*h.method, one)) {
      auto lit = literal(alt);
      if (!lit || lit->empty() || *lit == "*") {
        why = h.where + ": method " + ir::str(*h.method) +
              " is not a list of method names (Calico matches methods by name)";
        return std::nullopt;
      }
      list.push(Node::str(*lit));
      rebuilt.push_back(ir::Regex::literal(*lit));
    }
    if (ir::Regex::alt(std::move(rebuilt)) != *h.method) {
      why = h.where + ": method " + ir::str(*h.method) + " has no exact Calico form";
      return std::nullopt;
    }
  }
  if (h.path) {
    std::vector<ir::Regex> one, rebuilt;
    Node& list = m.set("paths", Node::list());
    for (const auto& alt : alternatives(*h.path, one)) {
      // The leading literal, then either `.*` (prefix) or the exact-path tail.
      std::string v;
      size_t i = 0;
      if (alt.op == ir::Regex::Op::Concat)
        for (; i < alt.kids.size() && single(alt.kids[i]); ++i)
          v += static_cast<char>(alt.kids[i].ranges[0].first);
      bool valid = !v.empty() && v.front() == '/' && v.find_first_of("? #") == std::string::npos;
      ir::Regex prefix = ir::Regex::prefix(v),
                exact = ir::Regex::exact_path(v);  // as the frontend lowers it
      const char* key = alt == prefix ? "prefix" : alt == exact ? "exact" : nullptr;
      if (!valid || !key) {
        why = h.where + ": path " + ir::str(alt) +
              " is neither an exact path nor a prefix that Calico accepts";
        return std::nullopt;
      }
      list.push(Node::map()).set(key, Node::str(v));
      rebuilt.push_back(alt);
    }
    if (ir::Regex::alt(std::move(rebuilt)) != *h.path) {
      why = h.where + ": path " + ir::str(*h.path) + " has no exact Calico form";
      return std::nullopt;
    }
  }
  return m;
}

}  // namespace nv::emit
