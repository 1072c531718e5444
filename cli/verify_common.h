// What the verifier subcommands share: solver options, endpoint specs, and the mapping
// of solver outcomes to exit codes (3: unknown, 4: internal error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "cli/common.h"
#include "verifier/holes.h"
#include "verifier/queries.h"

namespace nv::cli {

inline constexpr int kExitUnknown = 3;   // the solver could not decide: never a pass
inline constexpr int kExitInternal = 4;  // Z3 and the evaluator disagree: a bug

struct VerifyOptions {
  double timeout_s = 60;
  unsigned rlimit = 0;
  std::string emit_smt2;
  std::string ip_family = "both";
};

void add_verify_options(CLI::App* sub, VerifyOptions& o);
// Pins endpoints to the inventory when the command was given --cluster.
verifier::QueryOptions query_options(const VerifyOptions& o, const ir::Inventory& inv, bool pin);
std::string families_text(const std::vector<ir::Family>& f);  // "IPv4 and IPv6"

// The hole checks' options, shared by `holes` and `check`.
struct HoleFlags {
  std::string dns = "kube-system/k8s-app=kube-dns", dns_proto = "UDP";
  int dns_port = 53;
  std::vector<std::string> pod_cidrs, service_cidrs;
  bool no_shadowing = false;
};
void add_hole_flags(CLI::App* sub, HoleFlags& f);
// The flags as verifier options (without h.query); false after reporting a usage error.
bool hole_options(const HoleFlags& f, Session& s, verifier::HoleOptions& h);

// Runs `body`; a solver unknown prints NV4010 and exits 3, an internal error NV4011, 4.
int guarded(Session& s, const std::function<int()>& body);

// An endpoint set on the command line:
//   NS/SELECTOR   pods of namespace NS (* for every namespace) matching a kubectl-style
//                 label selector (app=web,tier!=db,env in (a,b),!canary; empty: all pods)
//   CIDR or IP    every endpoint with an address inside
//   world         every address outside the cluster
//   fqdn:NAME[@IP] an address outside the cluster that DNS returned for NAME (any such
//                 address, or IP only); NAME lower-cased, a trailing dot dropped
// fqdn:NAME[@IP], the one parser of the spelling (endpoint specs and `query --to`).
struct FqdnSpec {
  std::string name;              // lower-case, no trailing dot
  std::optional<ir::IpAddr> ip;  // when @IP was given
};
std::optional<FqdnSpec> parse_fqdn_spec(const std::string& spec, std::string& err);
std::optional<ir::Peer> parse_endpoint_spec(const std::string& spec, std::string& err);
std::optional<ir::Selector> parse_label_selector(const std::string& text, std::string& err);
// --from and --to (each optional) into the scope; false after reporting NV4004.
bool parse_ends(Session& s, const std::string& from, const std::string& to, verifier::Scope& scope);

// With --cluster, a node and its own pods are never the two ends of a query (Encoder::pin):
// they always talk (the node-local rule). The (node address, pod of that node) pairs, in
// either order and each family, whose ends the scope's from and to match.
size_t node_local_pairs(const ir::Inventory& inv, const verifier::Scope& scope,
                        const std::vector<ir::Family>& families);

// The L7 content of a connection: --http-method/-path/-host/-header or --dns-name.
struct RequestFlags {
  std::string http_method, http_path, http_host, dns_name;
  std::vector<std::string> http_headers;

  bool given() const;
};
void add_request_flags(CLI::App* sub, RequestFlags& f);
// The request the flags describe (neither: a bare connection); false after NV4001.
struct Request {
  std::optional<ir::HttpRequest> http;
  std::set<std::string> any_value_headers;  // `--http-header Name` alone: lower-case names
  std::optional<std::string> dns;           // lower-case, no trailing dot
};
bool parse_request(Session& s, const RequestFlags& f, Request& out);

}  // namespace nv::cli
