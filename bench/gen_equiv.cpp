// gen_equiv: deterministic NetworkPolicy sets for benchmarking `netverify equiv`.
//
//   gen_equiv [--policies K] [--namespaces N] [--mutations M] [--seed S] --out DIR
//
// Writes, under DIR:
//   base/          K networking.k8s.io/v1 NetworkPolicies (default 1,000) in N namespaces
//                  (default 60), one YAML file per namespace;
//   copy/          a byte-identical copy of base/;
//   reformatted/   the same policies written differently: other file split and order
//                  (multi-document YAML, `kind: List`, `NetworkPolicyList`, JSON, nested
//                  directories), rules, peers, ports, excepts, expressions and values
//                  shuffled, matchLabels rewritten as `In` expressions with one value,
//                  default protocols and policyTypes made explicit or left out, other key
//                  order and indentation, flow sequences, quoted strings;
//   one-rule-1 .. one-rule-M/
//                  base/ with one rule of one policy in the middle of the set changed
//                  (a port, a peer's pod label, an ipBlock except, an endPort, a
//                  namespaceSelector label: kinds taken in turn), laid out like base/ so
//                  that exactly one file differs;
//   mutations.txt  one line per one-rule-k: the policy, the field, old and new value, and
//                  a packet the change decides differently.
//
// Every mutation is checked to change the set's meaning before it is kept: the generator
// names an endpoint class and a port that the changed rule now treats differently and
// checks, conservatively, that no other rule of the namespace and direction can match
// them and that the other end is not isolated in the other direction. So `equiv` must
// answer "not equivalent" for every one-rule-k.
//
// Identical arguments give byte-identical output (private splitmix64 PRNG, no <random>
// distributions, no iteration over unordered containers). Standard library only.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// PRNG (the same splitmix64 as gen_cluster)
// ---------------------------------------------------------------------------

struct Rng {
  std::uint64_t state;
  explicit Rng(std::uint64_t seed) : state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  int range(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(v.size()))];
  }
  std::size_t weighted(const std::vector<unsigned>& w) {
    std::uint64_t total = 0;
    for (unsigned x : w) total += x;
    std::uint64_t r = below(total);
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (r < w[i]) return i;
      r -= w[i];
    }
    return w.size() - 1;
  }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(below(i))]);
  }
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  Rng r(a ^ (b * 0xD1B54A32D192ED03ULL));
  r.next();
  return r.next();
}

// ---------------------------------------------------------------------------
// Policy model
// ---------------------------------------------------------------------------

const std::string kNsNameKey = "kubernetes.io/metadata.name";

struct Expr {
  std::string key, op;
  std::vector<std::string> values;
};
using Labels = std::vector<std::pair<std::string, std::string>>;
struct Sel {
  Labels labels;  // matchLabels (sorted by key)
  std::vector<Expr> exprs;
  bool empty() const { return labels.empty() && exprs.empty(); }
};
struct Peer {
  bool has_pod = false, has_ns = false, has_ip = false;
  Sel pod, ns;
  std::string cidr;
  std::vector<std::string> except;
};
struct PortE {
  std::string proto;  // "" = left out (TCP)
  bool has_port = true;
  int num = 0;        // numeric port (name empty)
  std::string name;   // named port
  int end = 0;        // endPort, 0 = none
  std::string eff_proto() const { return proto.empty() ? "TCP" : proto; }
};
struct Rule {
  bool peers_key = true;  // false: the from/to key is left out (every peer)
  std::vector<Peer> peers;
  std::vector<PortE> ports;  // empty: every port (the key is left out)
};
struct Policy {
  std::string ns, name, pattern;
  Sel subject;
  bool types_explicit = true;
  bool t_ing = false, t_eg = false;  // policyTypes, when explicit
  bool ing_key = false, eg_key = false;
  std::vector<Rule> ingress, egress;
  std::size_t index = 0;

  bool eff_ing() const { return types_explicit ? t_ing : true; }
  bool eff_eg() const { return types_explicit ? t_eg : (eg_key && !egress.empty()); }
  bool eff(bool ing) const { return ing ? eff_ing() : eff_eg(); }
  const std::vector<Rule>& rules(bool ing) const { return ing ? ingress : egress; }
  std::vector<Rule>& rules(bool ing) { return ing ? ingress : egress; }
};

Sel labels_sel(Labels l) {
  std::sort(l.begin(), l.end());
  return Sel{std::move(l), {}};
}
Expr expr(std::string key, std::string op, std::vector<std::string> values = {}) {
  std::vector<std::string> uniq;
  for (auto& v : values)
    if (std::find(uniq.begin(), uniq.end(), v) == uniq.end()) uniq.push_back(v);
  return Expr{std::move(key), std::move(op), std::move(uniq)};
}
Peer pod_peer(Sel s) {
  Peer p;
  p.has_pod = true;
  p.pod = std::move(s);
  return p;
}
Peer ns_peer(Sel s) {
  Peer p;
  p.has_ns = true;
  p.ns = std::move(s);
  return p;
}
Peer ns_pod_peer(Sel n, Sel s) {
  Peer p = ns_peer(std::move(n));
  p.has_pod = true;
  p.pod = std::move(s);
  return p;
}
Peer ip_peer(std::string cidr, std::vector<std::string> except = {}) {
  Peer p;
  p.has_ip = true;
  p.cidr = std::move(cidr);
  p.except = std::move(except);
  return p;
}
PortE port(std::string proto, int n) { return PortE{std::move(proto), true, n, "", 0}; }
PortE port_range(std::string proto, int n, int end) { return PortE{std::move(proto), true, n, "", end}; }
PortE named(std::string proto, std::string name) { return PortE{std::move(proto), true, 0, std::move(name), 0}; }

// ---------------------------------------------------------------------------
// Namespaces and the policies in them
// ---------------------------------------------------------------------------

struct App {
  std::string name, tier;
};
struct Namespace {
  std::string name, team, env;
  bool system = false;
  std::vector<App> apps;
  bool has_deny = false;
  std::set<std::string> names;  // policy names used
};

const std::vector<std::string> kTeams = {
    "payments", "checkout", "search",   "identity",  "catalog",   "shipping", "analytics",
    "platform", "data",     "ml",       "growth",    "ads",       "billing",  "support",
    "inventory", "messaging", "media",  "risk",      "fraud",     "ledger",   "notify",
    "partners", "reporting", "storefront"};
const std::vector<std::string> kComponents = {"api", "core", "svc", "apps", "jobs", "edge", "portal", "stream"};
const std::vector<std::string> kEnvs = {"prod", "staging", "dev"};
const std::vector<std::string> kTiers = {"web", "api", "db", "cache", "worker"};
const std::vector<std::string> kWeb = {"frontend", "web", "storefront", "admin-ui", "portal", "docs"};
const std::vector<std::string> kApi = {"backend", "api",      "gateway", "orders",  "users",
                                       "payments", "checkout", "catalog", "search",  "auth",
                                       "inventory", "shipping", "cart",   "billing", "signaling"};
const std::vector<std::string> kDb = {"postgres", "mysql", "mongodb"};
const std::vector<std::string> kCache = {"redis", "memcached"};
const std::vector<std::string> kWorker = {"worker", "scheduler", "mailer", "consumer", "indexer", "reporter"};
const std::vector<std::string> kSystemNs = {"kube-system", "monitoring", "ingress-nginx", "logging"};

const std::vector<std::string>& pool_for(const std::string& tier) {
  if (tier == "web") return kWeb;
  if (tier == "api") return kApi;
  if (tier == "db") return kDb;
  if (tier == "cache") return kCache;
  return kWorker;
}

int db_port(const std::string& db) {
  if (db == "mysql") return 3306;
  if (db == "mongodb") return 27017;
  return 5432;
}

class Gen {
 public:
  Gen(std::uint64_t seed, int n_ns) : r_(mix(seed, 0x45515549)) { make_namespaces(n_ns); }

  std::vector<Policy> run(int k) {
    std::vector<unsigned> w;
    for (const auto& n : ns_) w.push_back(n.system ? 2u : static_cast<unsigned>(8 + r_.below(24)));
    std::vector<Policy> out;
    for (int i = 0; i < k; ++i) {
      cur_ = r_.weighted(w);
      Policy p = make();
      p.ns = ns().name;
      p.index = out.size();
      out.push_back(std::move(p));
    }
    return out;
  }
  const std::vector<Namespace>& namespaces() const { return ns_; }

 private:
  Rng r_;
  std::vector<Namespace> ns_;
  std::vector<std::string> teams_;
  std::size_t cur_ = 0;

  Namespace& ns() { return ns_[cur_]; }

  void make_namespaces(int n) {
    std::set<std::string> used, teams;
    for (const auto& s : kSystemNs) {
      if (static_cast<int>(ns_.size()) >= n) break;
      Namespace x;
      x.name = s;
      x.system = true;
      if (s == "kube-system") x.apps = {{"coredns", "dns"}, {"metrics-server", "api"}};
      if (s == "monitoring") x.apps = {{"prometheus", "api"}, {"grafana", "web"}, {"alertmanager", "api"}, {"statsd", "worker"}};
      if (s == "ingress-nginx") x.apps = {{"ingress-nginx", "web"}};
      if (s == "logging") x.apps = {{"fluentd", "worker"}, {"elasticsearch", "db"}};
      ns_.push_back(std::move(x));
      used.insert(s);
    }
    while (static_cast<int>(ns_.size()) < n) {
      Namespace x;
      x.team = r_.pick(kTeams);
      unsigned e = static_cast<unsigned>(r_.below(10));
      x.env = e < 5 ? "prod" : e < 8 ? "staging" : "dev";
      std::string name = x.team + "-" + x.env;
      if (used.count(name)) name = x.team + "-" + r_.pick(kComponents) + "-" + x.env;
      for (int i = 2; used.count(name); ++i) name = x.team + "-" + x.env + "-" + std::to_string(i);
      x.name = name;
      used.insert(name);
      teams.insert(x.team);
      auto add = [&](const std::string& tier, int count) {
        for (int i = 0; i < count; ++i) {
          std::string a = r_.pick(pool_for(tier));
          bool dup = false;
          for (const auto& ap : x.apps) dup = dup || ap.name == a;
          if (!dup) x.apps.push_back({a, tier});
        }
      };
      add("web", 1);
      add("api", r_.range(1, 3));
      add("db", 1);
      if (r_.chance(60)) add("cache", 1);
      if (r_.chance(60)) add("worker", r_.range(1, 2));
      ns_.push_back(std::move(x));
    }
    teams_.assign(teams.begin(), teams.end());
  }

  std::string app(const std::string& tier) {
    if (r_.chance(5)) return "legacy-" + r_.pick(pool_for(tier));
    std::vector<std::string> c;
    for (const auto& a : ns().apps)
      if (a.tier == tier) c.push_back(a.name);
    if (c.empty())
      for (const auto& a : ns().apps) c.push_back(a.name);
    if (c.empty()) return r_.pick(pool_for(tier));
    return r_.pick(c);
  }
  std::string team() {
    if (teams_.empty() || r_.chance(5)) return r_.pick(kTeams);
    return r_.pick(teams_);
  }
  std::string other_ns() {
    if (r_.chance(5)) return "retired-" + r_.pick(kTeams);
    return ns_[static_cast<std::size_t>(r_.below(ns_.size()))].name;
  }
  static Sel ns_by_name(const std::string& n) { return labels_sel({{kNsNameKey, n}}); }
  static Sel app_sel(const std::string& a) { return labels_sel({{"app", a}}); }

  Policy base(std::string name, std::string pattern, Sel subject) {
    Policy p;
    std::string n = name;
    for (int k = 2; ns().names.count(n); ++k) n = name + "-" + std::to_string(k);
    ns().names.insert(n);
    p.name = n;
    p.pattern = std::move(pattern);
    p.subject = std::move(subject);
    return p;
  }
  // Ingress only; policyTypes is left out about one time in six.
  Policy ingress(std::string name, std::string pattern, Sel subject, std::vector<Rule> rules) {
    Policy p = base(std::move(name), std::move(pattern), std::move(subject));
    p.types_explicit = !r_.chance(16);
    p.t_ing = true;
    p.ing_key = true;
    p.ingress = std::move(rules);
    return p;
  }
  Policy egress(std::string name, std::string pattern, Sel subject, std::vector<Rule> rules) {
    Policy p = base(std::move(name), std::move(pattern), std::move(subject));
    p.t_eg = true;
    p.eg_key = true;
    p.egress = std::move(rules);
    return p;
  }
  static Rule rule(std::vector<Peer> peers, std::vector<PortE> ports = {}) {
    return Rule{true, std::move(peers), std::move(ports)};
  }
  std::string tcp() { return r_.chance(60) ? "TCP" : ""; }

  Policy make() {
    // 0 default-deny, 1 frontend->api, 2 api egress, 3 web ingress, 4 db access,
    // 5 matchExpressions, 6 metrics scrape, 7 port ranges, 8 UDP, 9 SCTP,
    // 10 same namespace, 11 team namespaces, 12 DNS egress, 13 allow-all,
    // 14 partner ipBlocks, 15 cross-namespace egress, 16 worker ingress+egress,
    // 17 multi-rule api ingress.
    static const std::vector<unsigned> w = {10, 12, 10, 6, 9, 7, 6, 5, 4, 2, 3, 5, 3, 1, 5, 6, 5, 8};
    std::size_t p = r_.weighted(w);
    while (p == 0 && ns().has_deny) p = r_.weighted(w);
    switch (p) {
      case 0: return default_deny();
      case 1: return frontend_to_api();
      case 2: return api_egress();
      case 3: return web_ingress();
      case 4: return db_access();
      case 5: return match_expressions();
      case 6: return metrics_scrape();
      case 7: return port_ranges();
      case 8: return udp();
      case 9: return sctp();
      case 10: return same_namespace();
      case 11: return team_namespaces();
      case 12: return dns_egress();
      case 13: return allow_all();
      case 14: return partners();
      case 15: return cross_ns_egress();
      case 16: return worker();
      default: return multi_rule_api();
    }
  }

  Policy default_deny() {
    ns().has_deny = true;
    unsigned k = static_cast<unsigned>(r_.below(10));
    std::string name = k < 6 ? "default-deny-all" : k < 9 ? "default-deny-ingress" : "default-deny-egress";
    Policy p = base(name, "default-deny", Sel{});
    p.t_ing = k < 9;
    p.t_eg = k < 6 || k == 9;
    return p;
  }

  Policy frontend_to_api() {
    std::string to = app("api"), from = app("web");
    bool by_tier = r_.chance(15);
    std::vector<Peer> peers;
    peers.push_back(pod_peer(by_tier ? labels_sel({{"tier", "web"}}) : app_sel(from)));
    peers.push_back(ns_pod_peer(ns_by_name("ingress-nginx"), labels_sel({{"app.kubernetes.io/name", "ingress-nginx"}})));
    if (r_.chance(80)) peers.push_back(ns_peer(labels_sel({{"name", "monitoring"}})));
    std::vector<PortE> ports = {port(tcp(), 8080)};
    if (r_.chance(80)) ports.push_back(port(tcp(), 9090));
    std::vector<Rule> rules = {rule(std::move(peers), std::move(ports))};
    if (r_.chance(40)) rules.push_back(rule({pod_peer(labels_sel({{"tier", "worker"}}))}, {named("", "grpc")}));
    return ingress("allow-" + (by_tier ? std::string("web") : from) + "-to-" + to, "frontend-to-api", app_sel(to),
                   std::move(rules));
  }

  Policy api_egress() {
    std::string a = app("api"), db = app("db");
    std::vector<Rule> rules;
    rules.push_back(r_.chance(50) ? rule({}, {port("UDP", 53), port(tcp(), 53)})
                                  : Rule{false, {}, {port("UDP", 53), port(tcp(), 53)}});
    rules.push_back(rule({pod_peer(app_sel(db))}, {port(tcp(), db_port(db))}));
    if (r_.chance(40)) rules.push_back(rule({pod_peer(app_sel(app("cache")))}, {port(tcp(), 6379)}));
    std::vector<PortE> out = {port(tcp(), 443)};
    if (r_.chance(30)) out.push_back(port(tcp(), 80));
    rules.push_back(rule({ip_peer("0.0.0.0/0", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"})}, std::move(out)));
    return egress(a + "-egress", "api-egress", app_sel(a), std::move(rules));
  }

  Policy web_ingress() {
    std::vector<Rule> rules;
    std::vector<std::string> exc;
    if (r_.chance(60)) exc.push_back("10.96.0.0/12");
    if (r_.chance(30)) exc.push_back("10.250.0.0/16");
    rules.push_back(rule({ip_peer("10.0.0.0/8", exc)}, {port(tcp(), 80), port(tcp(), 443)}));
    rules.push_back(r_.chance(50) ? rule({}, {port(tcp(), 8080)}) : Rule{false, {}, {port(tcp(), 8080)}});
    Sel s = r_.chance(70) ? labels_sel({{"tier", "web"}}) : labels_sel({{"app", app("web")}, {"tier", "web"}});
    return ingress("allow-web-ingress", "web-ingress", std::move(s), std::move(rules));
  }

  Policy db_access() {
    std::string db = app("db");
    std::vector<Peer> from;
    if (r_.chance(60)) from.push_back(pod_peer(labels_sel({{"tier", "api"}})));
    else from.push_back(pod_peer(Sel{{}, {expr("app", "In", {app("api"), app("worker")})}}));
    if (r_.chance(30)) from.push_back(pod_peer(labels_sel({{"app", app("worker")}, {"tier", "worker"}})));
    std::vector<PortE> ports;
    if (r_.chance(30)) ports.push_back(named(r_.chance(50) ? "TCP" : "", db == "mysql" ? "mysql" : "postgres"));
    else ports.push_back(port(tcp(), db_port(db)));
    if (r_.chance(40)) ports.push_back(port(tcp(), 9187));
    return ingress("allow-api-to-" + db, "db-access", app_sel(db), {rule(std::move(from), std::move(ports))});
  }

  Policy match_expressions() {
    Sel sel;
    if (r_.chance(50)) sel.exprs.push_back(expr("tier", "In", {"api", "worker"}));
    else sel.exprs.push_back(expr("app", "In", {app("api"), app("api")}));
    if (r_.chance(30)) sel.exprs.push_back(expr("canary", "DoesNotExist"));
    if (r_.chance(25)) sel.labels = {{"version", "v2"}};
    std::vector<Peer> peers;
    Sel pe;
    pe.exprs.push_back(expr("version", "NotIn", {"v1"}));
    if (r_.chance(50)) pe.exprs.push_back(expr("app.kubernetes.io/name", "Exists"));
    peers.push_back(pod_peer(pe));
    Sel ne;
    ne.exprs.push_back(expr("env", "In", r_.chance(50) ? std::vector<std::string>{"prod"}
                                                       : std::vector<std::string>{"prod", "staging"}));
    if (r_.chance(50)) ne.exprs.push_back(expr("quarantine", "DoesNotExist"));
    if (r_.chance(30)) ne.exprs.push_back(expr("team", "NotIn", {team(), team()}));
    peers.push_back(ns_pod_peer(ne, labels_sel({{"tier", r_.chance(50) ? "web" : "api"}})));
    if (r_.chance(40)) peers.push_back(ns_peer(Sel{{}, {expr("istio-injection", "Exists")}}));
    std::vector<PortE> ports = {named(r_.chance(50) ? "TCP" : "", "http")};
    if (r_.chance(40)) ports.push_back(port(tcp(), 9000));
    return ingress("allow-expr-ingress", "match-expressions", std::move(sel), {rule(std::move(peers), std::move(ports))});
  }

  Policy metrics_scrape() {
    Sel sel;
    if (r_.chance(40)) sel.exprs.push_back(expr("app.kubernetes.io/name", "Exists"));
    else if (r_.chance(50)) sel = app_sel(app(r_.pick(kTiers)));
    Sel nsel = r_.chance(60) ? ns_by_name("monitoring") : (r_.chance(50) ? labels_sel({{"name", "monitoring"}}) : Sel{});
    std::vector<PortE> ports = {named(r_.chance(50) ? "TCP" : "", "metrics")};
    if (r_.chance(30)) ports.push_back(named("", "http"));
    return ingress("allow-prometheus-scrape", "metrics-scrape", std::move(sel),
                   {rule({ns_pod_peer(std::move(nsel), app_sel("prometheus"))}, std::move(ports))});
  }

  Policy port_ranges() {
    std::string a = app("api");
    if (r_.chance(50))
      return egress(a + "-nodeport-egress", "port-ranges", app_sel(a),
                    {rule({ip_peer("10.0.0.0/8", r_.chance(50) ? std::vector<std::string>{"10.96.0.0/12"}
                                                               : std::vector<std::string>{})},
                          {port_range(tcp(), 30000, 32767)})});
    std::vector<PortE> ports = {port_range(tcp(), 8000, 8099)};
    if (r_.chance(50)) ports.push_back(port_range(tcp(), 9000, 9100));
    if (r_.chance(30)) ports.push_back(port_range("UDP", 5000, 5010));
    return ingress("allow-" + a + "-port-range", "port-ranges", app_sel(a),
                   {rule({pod_peer(labels_sel({{"tier", "api"}}))}, std::move(ports))});
  }

  Policy udp() {
    if (r_.chance(60)) {
      std::string a = app("worker");
      return egress(a + "-statsd-egress", "udp", app_sel(a),
                    {rule({ns_pod_peer(ns_by_name("monitoring"), app_sel("statsd"))}, {port("UDP", 8125)})});
    }
    return ingress("allow-udp-ingress", "udp", labels_sel({{"tier", "worker"}}),
                   {rule({pod_peer(Sel{})}, {port("UDP", 8125), port("UDP", 5353)})});
  }

  Policy sctp() {
    std::string a = app("api");
    std::vector<PortE> ports = {port("SCTP", 2905)};
    if (r_.chance(50)) ports.push_back(port_range("SCTP", 3868, 3870));
    return ingress("allow-sctp-" + a, "sctp", app_sel(a),
                   {rule({ip_peer("192.168.0.0/16", {"192.168.100.0/24"}), pod_peer(labels_sel({{"tier", "api"}}))},
                         std::move(ports))});
  }

  Policy same_namespace() {
    return ingress("allow-same-namespace", "same-namespace", Sel{}, {rule({pod_peer(Sel{})})});
  }

  Policy team_namespaces() {
    std::string a = app("api");
    Labels nl = {{"team", team()}};
    if (r_.chance(50)) nl.push_back({"env", r_.chance(70) ? "prod" : "staging"});
    std::vector<Peer> from = {ns_peer(labels_sel(nl))};
    if (r_.chance(50)) from.push_back(ns_peer(ns_by_name(other_ns())));
    if (r_.chance(30)) from.push_back(ns_pod_peer(Sel{}, app_sel("prometheus")));
    std::vector<PortE> ports;
    if (r_.chance(70)) ports.push_back(named(r_.chance(50) ? "TCP" : "", "http"));
    return ingress("allow-team-to-" + a, "team-namespaces", app_sel(a), {rule(std::move(from), std::move(ports))});
  }

  Policy dns_egress() {
    Sel sel = r_.chance(50) ? Sel{} : labels_sel({{"tier", r_.pick(kTiers)}});
    return egress("allow-dns-egress", "dns-egress", std::move(sel),
                  {rule({ns_pod_peer(ns_by_name("kube-system"), labels_sel({{"k8s-app", "kube-dns"}}))},
                        {port("UDP", 53), port(tcp(), 53)})});
  }

  Policy allow_all() {
    std::string a = app("web");
    Policy p = base("allow-all-to-" + a, "allow-all", app_sel(a));
    p.t_ing = true;
    p.ing_key = true;
    p.ingress = {Rule{false, {}, {}}};
    return p;
  }

  Policy partners() {
    std::vector<Peer> from;
    from.push_back(ip_peer("203.0.113.0/24", {"203.0.113.128/25"}));
    if (r_.chance(60)) from.push_back(ip_peer("198.51.100.0/24"));
    if (r_.chance(40)) from.push_back(ip_peer("100.64.0.0/10", {"100.64.0.0/16", "100.127.0.0/16"}));
    if (r_.chance(50)) from.push_back(ip_peer("2001:db8:1::/48", {"2001:db8:1:ff::/64"}));
    std::vector<PortE> ports = {port(tcp(), 443)};
    if (r_.chance(60)) ports.push_back(port(tcp(), 8443));
    std::vector<Rule> rules = {rule(std::move(from), std::move(ports))};
    if (r_.chance(40)) rules.push_back(rule({ip_peer("172.20.0.0/16", {"172.20.8.0/21"})}, {port("UDP", 4789)}));
    std::string a = app(r_.chance(50) ? "web" : "api");
    return ingress("allow-partners-to-" + a, "partners", app_sel(a), std::move(rules));
  }

  Policy cross_ns_egress() {
    std::string a = app("api");
    const Namespace& other = ns_[static_cast<std::size_t>(r_.below(ns_.size()))];
    std::string target = other.apps.empty() ? "api" : other.apps[static_cast<std::size_t>(r_.below(other.apps.size()))].name;
    std::vector<Rule> rules;
    std::vector<PortE> ports = {port(tcp(), 8080)};
    if (r_.chance(50)) ports.push_back(port_range(tcp(), 8443, 8445));
    if (r_.chance(30)) ports.push_back(named("", "grpc"));
    rules.push_back(rule({ns_pod_peer(ns_by_name(other.name), app_sel(target))}, std::move(ports)));
    if (r_.chance(50))
      rules.push_back(rule({ns_peer(labels_sel({{"env", r_.pick(kEnvs)}, {"team", team()}}))}, {port(tcp(), 8080)}));
    if (r_.chance(40))
      rules.push_back(rule({ip_peer("52.0.0.0/8", {"52.94.0.0/16"}), ip_peer("35.190.0.0/16")}, {port(tcp(), 443)}));
    return egress(a + "-to-" + other.name, "cross-ns-egress", app_sel(a), std::move(rules));
  }

  Policy worker() {
    std::string w = app("worker");
    Policy p = base(w + "-policy", "worker", labels_sel({{"app", w}, {"tier", "worker"}}));
    p.t_ing = p.t_eg = true;
    p.ing_key = p.eg_key = true;
    p.ingress.push_back(rule({pod_peer(app_sel(app("api")))}, {named("", "http")}));
    if (r_.chance(50)) p.ingress.push_back(rule({ns_pod_peer(ns_by_name("monitoring"), app_sel("prometheus"))}, {port(tcp(), 9102)}));
    p.egress.push_back(rule({pod_peer(app_sel(app("cache")))}, {port(tcp(), 6379)}));
    p.egress.push_back(rule({pod_peer(app_sel(app("db")))}, {port(tcp(), 5432), port(tcp(), 3306)}));
    p.egress.push_back(rule({ip_peer("0.0.0.0/0", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"})},
                            {port(tcp(), 443), port(tcp(), 80)}));
    p.egress.push_back(rule({}, {port("UDP", 53), port("TCP", 53)}));
    return p;
  }

  Policy multi_rule_api() {
    std::string a = app("api");
    std::vector<Rule> rules;
    rules.push_back(rule({pod_peer(app_sel(app("web"))), pod_peer(labels_sel({{"app", app("api")}, {"version", "v2"}}))},
                         {port(tcp(), 8080), port(tcp(), 8081)}));
    rules.push_back(rule({ns_pod_peer(labels_sel({{"team", team()}}), labels_sel({{"tier", "api"}}))},
                         {port(tcp(), 8080), named("", "grpc")}));
    if (r_.chance(60))
      rules.push_back(rule({ns_pod_peer(ns_by_name("monitoring"), app_sel("prometheus"))}, {port(tcp(), 9102)}));
    if (r_.chance(40))
      rules.push_back(rule({ip_peer("10.0.0.0/8", {"10.96.0.0/12", "10.244.0.0/16"})}, {port_range(tcp(), 8000, 8010)}));
    if (r_.chance(30))
      rules.push_back(rule({ns_pod_peer(Sel{{}, {expr("env", "NotIn", {"dev"})}}, Sel{{}, {expr("tier", "In", {"web", "api"})}})},
                           {port("UDP", 9125)}));
    return ingress(a + "-ingress", "multi-rule", app_sel(a), std::move(rules));
  }
};

// ---------------------------------------------------------------------------
// YAML tree and emitters
// ---------------------------------------------------------------------------

struct Node {
  enum class Kind : unsigned char { Str, Num, Map, Seq };
  Kind kind = Kind::Map;
  std::string text;
  std::vector<std::string> keys;
  std::vector<Node> vals;
  Node& add(std::string k, Node v) {
    keys.push_back(std::move(k));
    vals.push_back(std::move(v));
    return vals.back();
  }
  Node& push(Node v) {
    vals.push_back(std::move(v));
    return vals.back();
  }
  bool scalar() const { return kind == Kind::Str || kind == Kind::Num; }
};
Node S(std::string s) {
  Node n;
  n.kind = Node::Kind::Str;
  n.text = std::move(s);
  return n;
}
Node I(long long v) {
  Node n;
  n.kind = Node::Kind::Num;
  n.text = std::to_string(v);
  return n;
}
Node M() { return Node{}; }
Node L() {
  Node n;
  n.kind = Node::Kind::Seq;
  return n;
}

bool needs_quote(const std::string& s) {
  if (s.empty()) return true;
  std::string low;
  for (char c : s) low += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  for (const char* r : {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"})
    if (low == r) return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`. ").find(s.front()) != std::string_view::npos) return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') return true;
  bool numeric = true, digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c != '.' && c != '+' && c != '-' && c != '_' && c != 'e' && c != 'E') numeric = false;
  }
  return numeric && digit;
}

std::uint64_t fnv(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

// Emitter options. Base: kubectl-like block style ("- " at the key's indentation).
// Alternative: sequences indented under their key, short scalar lists in flow style,
// some strings single- or double-quoted.
struct Style {
  bool indent_seqs = false;
  bool flow_scalar_lists = false;
  bool quote_some = false;
};

class Emitter {
 public:
  explicit Emitter(Style s) : st_(s) {}
  std::string doc(const Node& n) {
    o_.clear();
    map(n, 0, false);
    return std::move(o_);
  }

 private:
  Style st_;
  std::string o_;

  void scalar(const Node& n) {
    if (n.kind == Node::Kind::Num) {
      o_ += n.text;
      return;
    }
    std::uint64_t h = fnv(n.text);
    if (needs_quote(n.text) || (st_.quote_some && h % 3 == 0)) {
      o_ += '"';
      for (char c : n.text) {
        if (c == '"' || c == '\\') o_ += '\\';
        o_ += c;
      }
      o_ += '"';
    } else if (st_.quote_some && h % 3 == 1) {
      o_ += '\'';
      o_ += n.text;  // the generator's strings contain no quotes
      o_ += '\'';
    } else {
      o_ += n.text;
    }
  }
  bool flow(const Node& n) const {
    if (!st_.flow_scalar_lists || n.kind != Node::Kind::Seq) return false;
    for (const auto& v : n.vals)
      if (!v.scalar()) return false;
    return true;
  }
  void after_key(const Node& v, int indent) {
    if (v.scalar()) {
      o_ += ' ';
      scalar(v);
      o_ += '\n';
    } else if (v.vals.empty()) {
      o_ += v.kind == Node::Kind::Map ? " {}\n" : " []\n";
    } else if (flow(v)) {
      o_ += " [";
      for (std::size_t i = 0; i < v.vals.size(); ++i) {
        if (i) o_ += ", ";
        scalar(v.vals[i]);
      }
      o_ += "]\n";
    } else if (v.kind == Node::Kind::Map) {
      o_ += '\n';
      map(v, indent + 2, false);
    } else {
      o_ += '\n';
      seq(v, st_.indent_seqs ? indent + 2 : indent);
    }
  }
  void map(const Node& n, int indent, bool first_inline) {
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
      if (!(i == 0 && first_inline)) o_.append(static_cast<std::size_t>(indent), ' ');
      o_ += n.keys[i];
      o_ += ':';
      after_key(n.vals[i], indent);
    }
  }
  void seq(const Node& n, int indent) {
    for (const Node& item : n.vals) {
      o_.append(static_cast<std::size_t>(indent), ' ');
      o_ += '-';
      if (item.scalar()) {
        o_ += ' ';
        scalar(item);
        o_ += '\n';
      } else if (item.vals.empty()) {
        o_ += item.kind == Node::Kind::Map ? " {}\n" : " []\n";
      } else if (item.kind == Node::Kind::Map) {
        o_ += ' ';
        map(item, indent + 2, true);
      } else {
        o_ += '\n';
        seq(item, indent + 2);
      }
    }
  }
};

void json(std::string& o, const Node& n, int indent) {
  auto nl = [&](int i) {
    o += '\n';
    o.append(static_cast<std::size_t>(i), ' ');
  };
  switch (n.kind) {
    case Node::Kind::Num: o += n.text; return;
    case Node::Kind::Str:
      o += '"';
      for (char c : n.text) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
      }
      o += '"';
      return;
    case Node::Kind::Map:
      if (n.keys.empty()) {
        o += "{}";
        return;
      }
      o += '{';
      for (std::size_t i = 0; i < n.keys.size(); ++i) {
        if (i) o += ',';
        nl(indent + 2);
        o += '"' + n.keys[i] + "\": ";
        json(o, n.vals[i], indent + 2);
      }
      nl(indent);
      o += '}';
      return;
    case Node::Kind::Seq:
      if (n.vals.empty()) {
        o += "[]";
        return;
      }
      o += '[';
      for (std::size_t i = 0; i < n.vals.size(); ++i) {
        if (i) o += ',';
        nl(indent + 2);
        json(o, n.vals[i], indent + 2);
      }
      nl(indent);
      o += ']';
      return;
  }
}

// ---------------------------------------------------------------------------
// Policy -> tree. Base: hand-written layout. Alternative (reformatted): other key
// order, matchLabels as `In` expressions, explicit defaults.
// ---------------------------------------------------------------------------

struct Layout {
  bool alt = false;
};

Node strs(const std::vector<std::string>& v) {
  Node n = L();
  for (const auto& s : v) n.push(S(s));
  return n;
}

Node sel_node(const Sel& s, bool alt) {
  Node n = M();
  Node exprs = L();
  for (const auto& e : s.exprs) {
    Node x = M();
    if (alt) {
      x.add("operator", S(e.op));
      if (!e.values.empty()) x.add("values", strs(e.values));
      x.add("key", S(e.key));
    } else {
      x.add("key", S(e.key));
      x.add("operator", S(e.op));
      if (!e.values.empty()) x.add("values", strs(e.values));
    }
    exprs.push(std::move(x));
  }
  if (alt) {
    if (!exprs.vals.empty()) n.add("matchExpressions", std::move(exprs));
    if (!s.labels.empty()) {
      Node ml = M();
      for (const auto& [k, v] : s.labels) ml.add(k, S(v));
      n.add("matchLabels", std::move(ml));
    }
  } else {
    if (!s.labels.empty()) {
      Node ml = M();
      for (const auto& [k, v] : s.labels) ml.add(k, S(v));
      n.add("matchLabels", std::move(ml));
    }
    if (!exprs.vals.empty()) n.add("matchExpressions", std::move(exprs));
  }
  return n;
}

Node peer_node(const Peer& p, bool alt) {
  Node n = M();
  if (p.has_ip) {
    Node b = M();
    if (alt && !p.except.empty()) b.add("except", strs(p.except));
    b.add("cidr", S(p.cidr));
    if (!alt && !p.except.empty()) b.add("except", strs(p.except));
    n.add("ipBlock", std::move(b));
    return n;
  }
  if (alt) {
    if (p.has_pod) n.add("podSelector", sel_node(p.pod, alt));
    if (p.has_ns) n.add("namespaceSelector", sel_node(p.ns, alt));
  } else {
    if (p.has_ns) n.add("namespaceSelector", sel_node(p.ns, alt));
    if (p.has_pod) n.add("podSelector", sel_node(p.pod, alt));
  }
  return n;
}

Node port_node(const PortE& e, bool alt) {
  Node n = M();
  auto port_val = [&] { return e.name.empty() ? I(e.num) : S(e.name); };
  if (alt) {
    if (e.has_port) n.add("port", port_val());
    if (e.end) n.add("endPort", I(e.end));
    if (!e.proto.empty()) n.add("protocol", S(e.proto));
  } else {
    if (!e.proto.empty()) n.add("protocol", S(e.proto));
    if (e.has_port) n.add("port", port_val());
    if (e.end) n.add("endPort", I(e.end));
  }
  return n;
}

Node rules_node(const std::vector<Rule>& rules, const char* key, bool alt) {
  Node l = L();
  for (const auto& r : rules) {
    Node n = M();
    Node peers = L();
    for (const auto& p : r.peers) peers.push(peer_node(p, alt));
    Node ports = L();
    for (const auto& e : r.ports) ports.push(port_node(e, alt));
    if (alt) {
      if (!r.ports.empty()) n.add("ports", std::move(ports));
      if (r.peers_key) n.add(key, std::move(peers));
    } else {
      if (r.peers_key) n.add(key, std::move(peers));
      if (!r.ports.empty()) n.add("ports", std::move(ports));
    }
    l.push(std::move(n));
  }
  return l;
}

Node policy_node(const Policy& p, bool alt) {
  Node doc = M();
  Node md = M();
  if (alt) {
    md.add("namespace", S(p.ns));
    md.add("name", S(p.name));
  } else {
    md.add("name", S(p.name));
    md.add("namespace", S(p.ns));
  }
  Node spec = M();
  Node types = L();
  if (p.types_explicit) {
    if (alt) {
      if (p.t_eg) types.push(S("Egress"));
      if (p.t_ing) types.push(S("Ingress"));
    } else {
      if (p.t_ing) types.push(S("Ingress"));
      if (p.t_eg) types.push(S("Egress"));
    }
  }
  if (alt) {
    if (p.eg_key) spec.add("egress", rules_node(p.egress, "to", alt));
    if (p.ing_key) spec.add("ingress", rules_node(p.ingress, "from", alt));
    spec.add("podSelector", sel_node(p.subject, alt));
    if (p.types_explicit) spec.add("policyTypes", std::move(types));
    doc.add("kind", S("NetworkPolicy"));
    doc.add("apiVersion", S("networking.k8s.io/v1"));
    doc.add("metadata", std::move(md));
    doc.add("spec", std::move(spec));
  } else {
    spec.add("podSelector", sel_node(p.subject, alt));
    if (p.types_explicit) spec.add("policyTypes", std::move(types));
    if (p.ing_key) spec.add("ingress", rules_node(p.ingress, "from", alt));
    if (p.eg_key) spec.add("egress", rules_node(p.egress, "to", alt));
    doc.add("apiVersion", S("networking.k8s.io/v1"));
    doc.add("kind", S("NetworkPolicy"));
    doc.add("metadata", std::move(md));
    doc.add("spec", std::move(spec));
  }
  return doc;
}

// ---------------------------------------------------------------------------
// Reformatting: the same meaning, written differently
// ---------------------------------------------------------------------------

void rewrite_sel(Sel& s, Rng& r) {
  // matchLabels k: v -> {key: k, operator: In, values: [v]} (most of the time).
  Labels keep;
  for (auto& [k, v] : s.labels) {
    if (r.chance(80)) s.exprs.push_back(Expr{k, "In", {v}});
    else keep.push_back({k, v});
  }
  s.labels = std::move(keep);
  for (auto& e : s.exprs) r.shuffle(e.values);
  r.shuffle(s.exprs);
}

Policy reformat(Policy p, Rng& r) {
  rewrite_sel(p.subject, r);
  for (bool ing : {true, false}) {
    auto& rules = p.rules(ing);
    for (auto& rule : rules) {
      for (auto& peer : rule.peers) {
        if (peer.has_pod) rewrite_sel(peer.pod, r);
        if (peer.has_ns) rewrite_sel(peer.ns, r);
        r.shuffle(peer.except);
      }
      r.shuffle(rule.peers);
      // `from: []` and no `from` both mean every peer.
      if (rule.peers.empty() && r.chance(50)) rule.peers_key = !rule.peers_key;
      for (auto& e : rule.ports) {
        // TCP is the default protocol: spell it out or leave it out.
        if (e.proto.empty()) e.proto = "TCP";
        else if (e.proto == "TCP" && r.chance(40)) e.proto.clear();
      }
      r.shuffle(rule.ports);
    }
    r.shuffle(rules);
  }
  // policyTypes: an ingress-only policy without egress rules means the same with
  // `policyTypes: [Ingress]` or without policyTypes.
  bool ingress_only = p.eff_ing() && !p.eff_eg() && !p.eg_key;
  if (ingress_only) {
    if (!p.types_explicit) {
      p.types_explicit = true;
      p.t_ing = true;
      p.t_eg = false;
    } else if (r.chance(30)) {
      p.types_explicit = false;
    }
  }
  return p;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) {
    std::cerr << "gen_equiv: cannot write " << path.string() << "\n";
    std::exit(1);
  }
}

// One file per namespace, in namespace order; policies in generation order.
void write_base(const std::vector<Policy>& ps, const std::vector<Namespace>& nss, const fs::path& dir) {
  std::map<std::string, std::string> files;
  Emitter em(Style{});
  for (const auto& p : ps) {
    std::string& t = files[p.ns];
    if (!t.empty()) t += "---\n";
    t += em.doc(policy_node(p, false));
  }
  fs::create_directories(dir);
  for (const auto& n : nss) {
    auto it = files.find(n.name);
    if (it == files.end()) continue;
    write_file(dir / (n.name + ".yaml"), "# NetworkPolicies of namespace " + n.name + "\n" + it->second);
  }
}

void write_reformatted(const std::vector<Policy>& ps, std::uint64_t seed, const fs::path& dir) {
  Rng r(mix(seed, 0x5245464F));
  std::vector<Policy> q;
  for (const auto& p : ps) q.push_back(reformat(p, r));
  r.shuffle(q);
  Style alt{true, true, true};
  Emitter em(alt);
  const char* subdirs[] = {"", "apps/", "apps/team-a/", "platform/", "z-late/"};
  std::size_t i = 0;
  int file = 0;
  fs::create_directories(dir);
  while (i < q.size()) {
    std::size_t n = static_cast<std::size_t>(r.range(1, 60));
    n = std::min(n, q.size() - i);
    std::string sub = subdirs[r.below(5)];
    char name[32];
    unsigned form = static_cast<unsigned>(r.below(10));
    std::string text;
    std::string ext = ".yaml";
    if (form == 0) {  // JSON List
      Node list = M();
      list.add("apiVersion", S("v1"));
      list.add("kind", S("List"));
      Node items = L();
      for (std::size_t k = 0; k < n; ++k) items.push(policy_node(q[i + k], true));
      list.add("items", std::move(items));
      json(text, list, 0);
      text += '\n';
      ext = ".json";
    } else if (form <= 2) {  // NetworkPolicyList / List in YAML
      text = "apiVersion: " + std::string(form == 1 ? "networking.k8s.io/v1" : "v1") +
             "\nkind: " + (form == 1 ? "NetworkPolicyList" : "List") + "\nitems:\n";
      for (std::size_t k = 0; k < n; ++k) {
        // Indent each document by two and turn its first line into a list item.
        std::string d = em.doc(policy_node(q[i + k], true));
        std::string out = "  - ";
        bool first = true;
        std::size_t pos = 0;
        while (pos < d.size()) {
          std::size_t e = d.find('\n', pos);
          std::string line = d.substr(pos, e - pos);
          if (!first) out += "    ";
          out += line + "\n";
          first = false;
          pos = e + 1;
        }
        text += out;
      }
    } else {  // multi-document YAML, every document opened with ---
      text = "# reformatted batch " + std::to_string(file) + "\n";
      for (std::size_t k = 0; k < n; ++k) text += "---\n" + em.doc(policy_node(q[i + k], true));
      if (r.chance(30)) text += "...\n";
    }
    std::snprintf(name, sizeof name, "batch-%03d", file);
    write_file(dir / (sub + name + ext), text);
    i += n;
    ++file;
  }
}

// ---------------------------------------------------------------------------
// Mutations and the check that they change the meaning
// ---------------------------------------------------------------------------

// Per key: what a selector requires.
struct KeyReq {
  bool must_exist = false, must_not_exist = false;
  std::optional<std::set<std::string>> allowed;
  std::set<std::string> excluded;
};

void add_reqs(std::map<std::string, KeyReq>& m, const Sel& s) {
  auto allow = [](KeyReq& k, std::set<std::string> vals) {
    if (!k.allowed) {
      k.allowed = std::move(vals);
    } else {
      std::set<std::string> both;
      for (const auto& v : vals)
        if (k.allowed->count(v)) both.insert(v);
      k.allowed = std::move(both);
    }
  };
  for (const auto& [k, v] : s.labels) {
    m[k].must_exist = true;
    allow(m[k], {v});
  }
  for (const auto& e : s.exprs) {
    KeyReq& k = m[e.key];
    if (e.op == "In") {
      k.must_exist = true;
      allow(k, std::set<std::string>(e.values.begin(), e.values.end()));
    } else if (e.op == "NotIn") {
      k.excluded.insert(e.values.begin(), e.values.end());
    } else if (e.op == "Exists") {
      k.must_exist = true;
    } else {
      k.must_not_exist = true;
    }
  }
}

// No label set satisfies both selectors.
bool disjoint(const Sel& a, const Sel& b) {
  std::map<std::string, KeyReq> m;
  add_reqs(m, a);
  add_reqs(m, b);
  for (const auto& [key, k] : m) {
    if (k.must_exist && k.must_not_exist) return true;
    if (k.allowed) {
      if (k.must_not_exist) return true;
      bool any = false;
      for (const auto& v : *k.allowed) any = any || !k.excluded.count(v);
      if (!any) return true;
    }
  }
  return false;
}

std::optional<std::string> pinned_ns(const Sel& s) {
  for (const auto& [k, v] : s.labels)
    if (k == kNsNameKey) return v;
  for (const auto& e : s.exprs)
    if (e.key == kNsNameKey && e.op == "In" && e.values.size() == 1) return e.values[0];
  return std::nullopt;
}

struct Cidr {
  bool v6 = false;
  std::uint32_t base = 0;
  int len = 0;
};
std::optional<Cidr> parse_v4(const std::string& s) {
  unsigned a, b, c, d;
  int len;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u/%d", &a, &b, &c, &d, &len) != 5) return std::nullopt;
  return Cidr{false, (a << 24) | (b << 16) | (c << 8) | d, len};
}
Cidr parse_cidr(const std::string& s) {
  if (s.find(':') != std::string::npos) return Cidr{true, 0, 0};
  return *parse_v4(s);
}
std::string v4(std::uint32_t a, int len) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255) + "/" + std::to_string(len);
}
std::uint32_t mask(int len) { return len == 0 ? 0 : ~0u << (32 - len); }
bool contains(const Cidr& outer, const Cidr& inner) {
  if (outer.v6 || inner.v6) return false;
  return outer.len <= inner.len && (inner.base & mask(outer.len)) == (outer.base & mask(outer.len));
}
bool overlap(const Cidr& a, const Cidr& b) {
  if (a.v6 != b.v6) return false;
  if (a.v6) return true;  // conservative
  return contains(a, b) || contains(b, a);
}

// An endpoint class and a port that a changed rule decides differently.
struct Witness {
  enum class Kind { External, FreshNs, InNs } kind = Kind::External;
  std::string ns;    // InNs
  Sel pod, nsl;      // labels the endpoint's pod and namespace satisfy
  Cidr addr;         // External: somewhere in here
  PortE port;
  std::string text() const {
    std::string s;
    if (kind == Kind::External) {
      s = "an address in " + (addr.v6 ? std::string("IPv6 space") : v4(addr.base, addr.len));
    } else {
      s = kind == Kind::FreshNs ? "a pod in a namespace no policy names" : "a pod in namespace " + ns;
      if (!pod.empty()) {
        s += " with";
        for (const auto& [k, v] : pod.labels) s += " " + k + "=" + v;
        for (const auto& e : pod.exprs) {
          s += " " + e.key + " " + e.op;
          for (const auto& v : e.values) s += " " + v;
        }
      }
      if (kind == Kind::FreshNs && !nsl.empty()) {
        s += " (namespace labels";
        for (const auto& [k, v] : nsl.labels) s += " " + k + "=" + v;
        for (const auto& e : nsl.exprs) {
          s += " " + e.key + " " + e.op;
          for (const auto& v : e.values) s += " " + v;
        }
        s += ")";
      }
    }
    s += ", " + port.eff_proto() + " ";
    s += port.name.empty() ? std::to_string(port.num) : "named port " + port.name;
    return s;
  }
};

// The witness endpoint a peer of a policy in namespace `ns` stands for.
std::vector<Witness> witnesses_of(const Rule& r, const std::string& ns) {
  std::vector<Witness> out;
  if (r.peers.empty()) {
    Witness x;
    x.addr = Cidr{false, 0, 0};
    out.push_back(x);
    Witness y;
    y.kind = Witness::Kind::FreshNs;
    out.push_back(y);
    return out;
  }
  for (const auto& p : r.peers) {
    Witness x;
    if (p.has_ip) {
      x.addr = parse_cidr(p.cidr);
      // Stay outside the excepts: take a sub-block that avoids them when easy.
      if (!x.addr.v6 && !p.except.empty()) {
        bool found = false;
        for (int len = x.addr.len + 1; len <= 32 && !found; ++len)
          for (std::uint32_t k = 0; k < (1u << std::min(len - x.addr.len, 8)) && !found; ++k) {
            Cidr c{false, x.addr.base | (k << (32 - len)), len};
            bool hit = false;
            for (const auto& e : p.except) hit = hit || overlap(c, parse_cidr(e));
            if (!hit) {
              x.addr = c;
              found = true;
            }
          }
        if (!found) continue;
      } else if (x.addr.v6 && !p.except.empty()) {
        continue;  // keep the check simple: only v4 witnesses under excepts
      }
      out.push_back(x);
      continue;
    }
    if (p.has_pod) x.pod = p.pod;
    if (p.has_ns) {
      if (auto pin = pinned_ns(p.ns)) {
        x.kind = Witness::Kind::InNs;
        x.ns = *pin;
        x.nsl = labels_sel({{kNsNameKey, *pin}});
      } else {
        x.kind = Witness::Kind::FreshNs;
        x.nsl = p.ns;
      }
    } else {
      x.kind = Witness::Kind::InNs;
      x.ns = ns;
      x.nsl = labels_sel({{kNsNameKey, ns}});
    }
    out.push_back(x);
  }
  return out;
}

// Could a peer of a policy in namespace `ns` match some endpoint of the witness's class?
// (Conservative: yes unless provably not.)
//
// ipBlocks and pod witnesses: netverify matches ipBlocks against pod addresses by
// default (--ipblock-pods match), but a pod witness's address is free. The generator
// writes no IPv6 ipBlock wider than a /48, so an IPv6 pod outside all of them matches
// no ipBlock, and the argument holds with either setting.
bool could_match(const Peer& p, const std::string& ns, const Witness& x) {
  if (p.has_ip) {
    if (x.kind != Witness::Kind::External) return false;  // see above
    Cidr c = parse_cidr(p.cidr);
    if (!overlap(c, x.addr)) return false;
    for (const auto& e : p.except)
      if (contains(parse_cidr(e), x.addr)) return false;
    return true;
  }
  if (x.kind == Witness::Kind::External) return false;
  if (p.has_pod && disjoint(p.pod, x.pod)) return false;
  if (!p.has_ns) return x.kind == Witness::Kind::InNs && x.ns == ns;
  auto pin = pinned_ns(p.ns);
  if (x.kind == Witness::Kind::FreshNs) {
    if (pin) return false;  // a namespace no policy names has none of the named names
    return !disjoint(p.ns, x.nsl);
  }
  if (pin && *pin != x.ns) return false;
  return !disjoint(p.ns, x.nsl);
}

bool ports_overlap(const Rule& r, const PortE& e) {
  if (r.ports.empty()) return true;
  for (const auto& q : r.ports) {
    if (q.eff_proto() != e.eff_proto()) continue;
    if (!q.has_port) return true;
    if (!q.name.empty()) {
      // A numeric witness port can go to a pod without that named port.
      if (!e.name.empty() && e.name == q.name) return true;
      continue;
    }
    if (!e.name.empty()) return true;  // a named witness port could resolve to anything
    int qlo = q.num, qhi = q.end ? q.end : q.num;
    int elo = e.num, ehi = e.end ? e.end : e.num;
    if (qlo <= ehi && elo <= qhi) return true;
  }
  return false;
}

// Is the other end free in the other direction (not isolated there by any policy)?
bool other_end_free(const std::vector<Policy>& ps, const Witness& x, bool ing) {
  if (x.kind != Witness::Kind::InNs) return true;
  for (const auto& q : ps)
    if (q.ns == x.ns && q.eff(!ing)) return false;
  return true;
}

// Does no rule of `ps` in namespace `ns`, direction `ing`, for pods of `subject`,
// possibly match the witness?
// `repl` stands in for ps[at] (the mutated policy), when given.
bool unmatched(const std::vector<Policy>& ps, std::size_t at, const Policy* repl, const std::string& ns,
               const Sel& subject, bool ing, const Witness& x) {
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const Policy& q = repl && i == at ? *repl : ps[i];
    if (q.ns != ns || !q.eff(ing) || disjoint(q.subject, subject)) continue;
    for (const auto& r : q.rules(ing)) {
      if (!ports_overlap(r, x.port)) continue;
      if (r.peers.empty()) return false;
      for (const auto& p : r.peers)
        if (could_match(p, ns, x)) return false;
    }
  }
  return true;
}

struct Mutation {
  std::size_t policy = 0;
  std::string kind, field, from, to;
  Witness witness;
  bool allowed_by_mutant = true;
  bool ingress = true;
  std::vector<Policy> set;  // the mutated set
};

std::string rule_path(bool ing, std::size_t ri) {
  return std::string("spec.") + (ing ? "ingress" : "egress") + "[" + std::to_string(ri) + "]";
}

// Tries one mutation kind on policy `pi`; returns the first mutation that provably
// changes the meaning.
std::optional<Mutation> try_mutation(const std::vector<Policy>& a, std::size_t pi, const std::string& kind,
                                     const std::vector<Namespace>& nss, Rng& r) {
  const Policy& p = a[pi];
  for (bool ing : {true, false}) {
    if (!p.eff(ing)) continue;
    const char* pk = ing ? "from" : "to";
    for (std::size_t ri = 0; ri < p.rules(ing).size(); ++ri) {
      const Rule& rule = p.rules(ing)[ri];
      std::vector<PortE> rule_ports = rule.ports;
      if (rule_ports.empty()) rule_ports.push_back(port("TCP", 65001));
      // `mp` is the mutated policy; `by_mutant`: the witness is allowed by the mutated
      // set (and must be denied by the original), else the other way round.
      auto finish = [&](const Policy& mp, Witness x, bool by_mutant, std::string field, std::string from,
                        std::string to) -> std::optional<Mutation> {
        if (!other_end_free(a, x, ing) || !unmatched(a, pi, by_mutant ? nullptr : &mp, p.ns, p.subject, ing, x))
          return std::nullopt;
        Mutation m;
        m.policy = pi;
        m.kind = kind;
        m.field = rule_path(ing, ri) + field;
        m.from = std::move(from);
        m.to = std::move(to);
        m.witness = std::move(x);
        m.allowed_by_mutant = by_mutant;
        m.ingress = ing;
        m.set = a;
        m.set[pi] = mp;
        return m;
      };

      if (kind == "port") {
        for (std::size_t j = 0; j < rule.ports.size(); ++j) {
          const PortE& e = rule.ports[j];
          if (!e.name.empty() || e.end || !e.has_port) continue;
          for (int d : {1, -1, 2, 10}) {
            int np = e.num + d;
            if (np < 1 || np > 65535) continue;
            Policy b = p;
            b.rules(ing)[ri].ports[j].num = np;
            for (Witness x : witnesses_of(b.rules(ing)[ri], p.ns)) {
              x.port = b.rules(ing)[ri].ports[j];
              if (auto m = finish(b, x, true, ".ports[" + std::to_string(j) + "].port", std::to_string(e.num),
                                  std::to_string(np)))
                return m;
            }
          }
        }
      } else if (kind == "end-port") {
        for (std::size_t j = 0; j < rule.ports.size(); ++j) {
          const PortE& e = rule.ports[j];
          if (!e.end || e.end <= e.num) continue;
          Policy b = p;
          b.rules(ing)[ri].ports[j].end = e.end - 1;
          for (Witness x : witnesses_of(rule, p.ns)) {
            x.port = port(e.proto, e.end);
            if (auto m = finish(b, x, false, ".ports[" + std::to_string(j) + "].endPort", std::to_string(e.end),
                                std::to_string(e.end - 1)))
              return m;
          }
        }
      } else if (kind == "except") {
        for (std::size_t k = 0; k < rule.peers.size(); ++k) {
          const Peer& peer = rule.peers[k];
          if (!peer.has_ip) continue;
          for (std::size_t xi = 0; xi < peer.except.size(); ++xi) {
            Cidr c = parse_cidr(peer.except[xi]);
            if (c.v6 || c.len >= 32) continue;
            std::string nx = v4(c.base, c.len + 1);
            Cidr opened{false, c.base | (1u << (31 - c.len)), c.len + 1};  // the upper half
            Policy b = p;
            b.rules(ing)[ri].peers[k].except[xi] = nx;
            for (const auto& e : rule_ports) {
              Witness x;
              x.addr = opened;
              x.port = e;
              if (auto m = finish(b, x, true,
                                  "." + std::string(pk) + "[" + std::to_string(k) + "].ipBlock.except[" +
                                      std::to_string(xi) + "]",
                                  peer.except[xi], nx))
                return m;
            }
          }
        }
      } else if (kind == "pod-label" || kind == "ns-label") {
        bool pod = kind == "pod-label";
        for (std::size_t k = 0; k < rule.peers.size(); ++k) {
          const Peer& peer = rule.peers[k];
          if (pod ? !peer.has_pod : !peer.has_ns) continue;
          const Sel& sel = pod ? peer.pod : peer.ns;
          for (std::size_t li = 0; li < sel.labels.size(); ++li) {
            const auto& [key, val] = sel.labels[li];
            std::vector<std::string> cands;
            if (key == "app") {
              for (const auto& n : nss)
                if (n.name == p.ns)
                  for (const auto& ap : n.apps) cands.push_back(ap.name);
              cands.push_back(val + "-v2");
            } else if (key == "tier") {
              cands = kTiers;
            } else if (key == "env") {
              cands = kEnvs;
            } else if (key == "team") {
              cands = kTeams;
            } else if (key == "name") {
              cands = kSystemNs;
            } else if (key == kNsNameKey) {
              for (const auto& n : nss) cands.push_back(n.name);
            } else {
              cands.push_back(val + "-canary");
            }
            r.shuffle(cands);
            for (const auto& nv : cands) {
              if (nv == val) continue;
              Policy b = p;
              Peer& bp = b.rules(ing)[ri].peers[k];
              (pod ? bp.pod : bp.ns).labels[li].second = nv;
              Rule only = b.rules(ing)[ri];
              only.peers = {bp};
              for (Witness x : witnesses_of(only, p.ns))
                for (const auto& e : rule_ports) {
                  x.port = e;
                  if (auto m = finish(b, x, true,
                                      "." + std::string(pk) + "[" + std::to_string(k) + "]." +
                                          (pod ? "podSelector" : "namespaceSelector") + ".matchLabels." + key,
                                      val, nv))
                    return m;
                }
            }
          }
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<Mutation> find_mutation(const std::vector<Policy>& a, const std::string& kind,
                                      const std::vector<Namespace>& nss, std::uint64_t seed) {
  Rng r(seed);
  const std::size_t n = a.size();
  // Policies in the middle of the set first (the middle fifth, then wider).
  for (double half : {0.1, 0.25, 0.5}) {
    std::size_t lo = static_cast<std::size_t>(static_cast<double>(n) * (0.5 - half));
    std::size_t hi = std::min(n, static_cast<std::size_t>(static_cast<double>(n) * (0.5 + half)) + 1);
    std::vector<std::size_t> idx;
    for (std::size_t i = lo; i < hi; ++i) idx.push_back(i);
    r.shuffle(idx);
    for (std::size_t i : idx)
      if (auto m = try_mutation(a, i, kind, nss, r)) return m;
  }
  return std::nullopt;
}

[[noreturn]] void usage(const char* msg) {
  if (msg) std::cerr << "gen_equiv: " << msg << "\n";
  std::cerr << "usage: gen_equiv [--policies K] [--namespaces N] [--mutations M] [--seed S] --out DIR\n";
  std::exit(2);
}

long long parse_num(const std::string& flag, const std::string& v) {
  if (v.empty()) usage(("empty value for " + flag).c_str());
  long long x = 0;
  for (char c : v) {
    if (c < '0' || c > '9') usage(("invalid number for " + flag + ": " + v).c_str());
    if (x > 1000000000LL) usage(("number too large for " + flag).c_str());
    x = x * 10 + (c - '0');
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  long long k = 1000, n_ns = 60, n_mut = 5;
  std::uint64_t seed = 1;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    if (a == "-h" || a == "--help") usage(nullptr);
    auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      v = argv[++i];
    }
    if (a == "--policies") k = parse_num(a, v);
    else if (a == "--namespaces") n_ns = parse_num(a, v);
    else if (a == "--mutations") n_mut = parse_num(a, v);
    else if (a == "--seed") seed = static_cast<std::uint64_t>(parse_num(a, v));
    else if (a == "--out") out = v;
    else usage(("unknown option " + a).c_str());
  }
  if (out.empty()) usage("--out DIR is required");
  if (k < 1 || n_ns < 5) usage("need --policies >= 1 and --namespaces >= 5");

  Gen g(seed, static_cast<int>(n_ns));
  std::vector<Policy> ps = g.run(static_cast<int>(k));
  const fs::path root(out);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    std::cerr << "gen_equiv: cannot create " << out << ": " << ec.message() << "\n";
    return 1;
  }
  for (const char* d : {"base", "copy", "reformatted"}) fs::remove_all(root / d);
  write_base(ps, g.namespaces(), root / "base");
  write_base(ps, g.namespaces(), root / "copy");
  write_reformatted(ps, seed, root / "reformatted");

  static const std::vector<std::string> kinds = {"port", "pod-label", "except", "end-port", "ns-label"};
  std::string manifest;
  for (long long m = 1; m <= n_mut; ++m) {
    std::optional<Mutation> mut;
    std::string kind;
    for (std::size_t t = 0; t < kinds.size() && !mut; ++t) {
      kind = kinds[(static_cast<std::size_t>(m - 1) + t) % kinds.size()];
      mut = find_mutation(ps, kind, g.namespaces(), mix(seed, 0x4D555400ULL + static_cast<std::uint64_t>(m)));
    }
    if (!mut) {
      std::cerr << "gen_equiv: found no meaning-changing mutation for one-rule-" << m << "\n";
      return 1;
    }
    std::string dir = "one-rule-" + std::to_string(m);
    fs::remove_all(root / dir);
    write_base(mut->set, g.namespaces(), root / dir);
    const Policy& p = ps[mut->policy];
    manifest += dir + ": " + mut->kind + ": " + p.ns + "/" + p.name + " (policy " + std::to_string(mut->policy + 1) +
                " of " + std::to_string(ps.size()) + ", file " + p.ns + ".yaml) " + mut->field + ": " + mut->from +
                " -> " + mut->to + "; now " + (mut->allowed_by_mutant ? "allowed" : "denied") +
                (mut->ingress ? ": from " + mut->witness.text() + " to the pods it selects"
                              : ": from the pods it selects to " + mut->witness.text()) +
                "\n";
  }
  write_file(root / "mutations.txt", manifest);
  return 0;
}
