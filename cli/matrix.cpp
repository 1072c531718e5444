// netverify matrix: pod-to-pod connectivity for one protocol and port (or ICMP type and code).
#include "ir/matrix.h"

#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "cli/report.h"

namespace nv::cli {

namespace {

struct MatrixOptions {
  CommonOptions common;
  int port = 0;
  std::string protocol = "TCP";
  int icmp_type = -1, icmp_code = -1;
  std::string output = "table";
  int family = 4;
};

using report::json_string;

// Buffered stdout: outputs are up to pods^2 lines.
class Out {
 public:
  ~Out() { flush(); }
  Out& operator<<(const std::string& s) {
    buf_ += s;
    if (buf_.size() > (1 << 20)) flush();
    return *this;
  }
  void flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

void print(const ir::Matrix& m, const MatrixOptions& o, int proto, uint16_t port) {
  const auto& pods = m.pods();
  const size_t n = pods.size();
  Out out;
  const bool icmp = ir::is_icmp(proto);
  const std::string what = ir::packet_port_str(proto, port);
  // The packet's port, or its ICMP type and code, as JSON members and as CSV columns.
  const std::string json_port = icmp ? "\"icmpType\":" + std::to_string(port >> 8) +
                                           ",\"icmpCode\":" + std::to_string(port & 255)
                                     : "\"port\":" + std::to_string(port);
  const std::string csv_port =
      icmp ? std::to_string(port >> 8) + "," + std::to_string(port & 255) : std::to_string(port);
  if (o.output == "json") {
    out << "{" + json_port + ",\"protocol\":" + json_string(ir::proto_name(proto)) + ",\"pods\":[";
    for (size_t i = 0; i < n; ++i) out << (i ? "," : "") + json_string(pods[i]->id());
    out << "],\"allowed\":[";
    bool first = true;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (m.allowed(i, j)) {
          out << std::string(first ? "" : ",") + "[" + json_string(pods[i]->id()) + "," +
                     json_string(pods[j]->id()) + "]";
          first = false;
        }
    out << "]}\n";
  } else if (o.output == "csv") {
    out << std::string("from,to,protocol,") + (icmp ? "icmp_type,icmp_code" : "port") +
               ",allowed\n";
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        out << pods[i]->id() + "," + pods[j]->id() + "," + ir::proto_name(proto) + "," + csv_port +
                   "," + (m.allowed(i, j) ? "true" : "false") + "\n";
  } else if (o.output == "dot") {
    out << "digraph connectivity {\n  label=" + json_string(what + " (self edges omitted)") + ";\n";
    for (size_t i = 0; i < n; ++i) out << "  " + json_string(pods[i]->id()) + ";\n";
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (i != j && m.allowed(i, j))
          out << "  " + json_string(pods[i]->id()) + " -> " + json_string(pods[j]->id()) + ";\n";
    out << "}\n";
  } else if (o.output == "summary") {
    uint64_t total = static_cast<uint64_t>(n) * n, allowed = m.count_allowed();
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f",
                  total ? 100.0 * static_cast<double>(allowed) / total : 0.0);
    out << what + "\npods: " + std::to_string(n) + "\nclasses: " + std::to_string(m.num_classes()) +
               "\nallowed pairs: " + std::to_string(allowed) + " of " + std::to_string(total) +
               " (" + pct + "%)\n";
  } else {  // table: rows are sources, columns destinations
    size_t w = 1;
    for (const auto* p : pods) w = std::max(w, p->id().size());
    auto cell = [&](const std::string& s) { return s + std::string(w + 1 - s.size(), ' '); };
    out << what + " (rows: from, columns: to, X: allowed, .: denied)\n";
    out << cell("-");
    for (size_t j = 0; j < n; ++j) out << (j + 1 < n ? cell(pods[j]->id()) : pods[j]->id());
    out << "\n";
    for (size_t i = 0; i < n; ++i) {
      out << cell(pods[i]->id());
      for (size_t j = 0; j < n; ++j) {
        std::string c = m.allowed(i, j) ? "X" : ".";
        out << (j + 1 < n ? cell(c) : c);
      }
      out << "\n";
    }
  }
}

}  // namespace

void add_matrix(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<MatrixOptions>();
  auto* sub = app.add_subcommand("matrix", "Pod-to-pod connectivity for one protocol and port");
  add_common(sub, o->common, true);
  sub->add_option("--port", o->port, "Destination port (TCP, UDP, SCTP; required for them)")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--protocol", o->protocol, "TCP, UDP, SCTP, ICMP or ICMPv6")
      ->check(CLI::IsMember({"TCP", "UDP", "SCTP", "ICMP", "ICMPv6"}, CLI::ignore_case))
      ->capture_default_str();
  sub->add_option("--icmp-type", o->icmp_type, "ICMP/ICMPv6 type (required with ICMP/ICMPv6)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--icmp-code", o->icmp_code, "ICMP/ICMPv6 code (default 0)")
      ->check(CLI::Range(0, 255));
  sub->add_option("--output,-o", o->output, "table, csv, json, dot, or summary (counts only)")
      ->check(CLI::IsMember({"table", "csv", "json", "dot", "summary"}))
      ->capture_default_str();
  auto* family = sub->add_option("--ip-family", o->family,
                                 "Which pod addresses packets use: 4 or 6 (default: 6 with "
                                 "--protocol ICMPv6, 4 otherwise)")
                     ->check(CLI::IsMember({4, 6}))
                     ->capture_default_str();
  sub->callback([o, family, &exit_code] {
    Session s;
    // ICMP: no port; the packet carries type << 8 | code (ir/model.h is_icmp), as in query.
    const int proto = *ir::parse_proto(o->protocol);
    if (ir::is_icmp(proto) != (o->icmp_type >= 0) || (o->icmp_code >= 0 && o->icmp_type < 0) ||
        (ir::is_icmp(proto) && o->port != 0) || (!ir::is_icmp(proto) && o->port == 0)) {
      s.usage_error(ir::Code::NV4001,
                    ir::is_icmp(proto) ? "--protocol ICMP/ICMPv6 needs --icmp-type (optionally "
                                         "--icmp-code), and no --port"
                    : o->port == 0     ? "--port is required"
                                       : "--icmp-type/--icmp-code need --protocol ICMP or ICMPv6");
      exit_code = kExitInput;
      return;
    }
    // ICMPv6 travels in IPv6 packets (RFC 4443 section 1: Next Header 58), so it defaults to
    // the pods' IPv6 addresses. An explicit mismatch (ICMPv6 with --ip-family 4, ICMP with 6)
    // is asked as given, as query and reach do: the model does not tie the protocol to the
    // family, and a Calico `protocol: ICMP` rule with no ipVersion also matches in IPv6.
    if (proto == ir::kICMPv6 && family->count() == 0) o->family = 6;
    if (!load(o->common, s)) {
      exit_code = kExitInput;
      return;
    }
    // An L3/L4 tool: cells are bare connections, on which L7 rules allow nothing.
    for (const auto& p : s.policies.policies())
      for (const auto& dr : p.dirs)
        for (const auto& r : dr.rules)
          if (r.l7) {
            std::cerr
                << "note: " << p.id() << " " << r.path
                << " has L7 rules: the matrix is for bare connections (no request), which they "
                   "do not allow; ask `netverify query --http-method ... --http-path ...` or "
                   "`netverify reach` for requests\n";
          }
    ir::MatrixOptions mo;
    mo.proto = proto;
    mo.port = ir::is_icmp(proto) ? ir::icmp_port(o->icmp_type, o->icmp_code < 0 ? 0 : o->icmp_code)
                                 : static_cast<uint16_t>(o->port);
    mo.family = o->family == 6 ? ir::Family::V6 : ir::Family::V4;
    auto m = ir::Matrix::compute(s.policies, s.inventory, mo);
    phase("matrix");
    print(m, *o, mo.proto, mo.port);
    phase("output");
    exit_code = kExitOk;
  });
}

}  // namespace nv::cli
