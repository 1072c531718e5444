// gen_cluster: deterministic synthetic Kubernetes cluster + NetworkPolicy generator
// for benchmarking netverify.
//
//   gen_cluster --namespaces N --pods P --policies K [--seed S]
//               [--pods-per-node M] --out DIR
//
// Writes DIR/cluster.yaml (one `kind: List` document shaped like the output of
// `kubectl get ns,pods,svc -A -o yaml`) and DIR/policies.yaml (K NetworkPolicy
// documents separated by `---`).  Identical arguments give byte-identical
// output: all randomness comes from a private splitmix64 generator, no
// <random> distributions are used, and nothing is emitted by iterating an
// unordered container.  Standard library only.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// PRNG
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
  // Uniform-enough integer in [0, n); n == 0 yields 0.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Inclusive range.
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
};

// ---------------------------------------------------------------------------
// Minimal YAML tree + block-style emitter (kubectl-like layout)
// ---------------------------------------------------------------------------

struct Node {
  enum class Kind : unsigned char { Str, Raw, Map, Seq };
  Kind kind = Kind::Map;
  std::string text;               // Str / Raw
  std::vector<std::string> keys;  // Map
  std::vector<Node> vals;         // Map values (parallel to keys) or Seq items

  Node& add(std::string key, Node v) {
    keys.push_back(std::move(key));
    vals.push_back(std::move(v));
    return vals.back();
  }
  Node& push(Node v) {
    vals.push_back(std::move(v));
    return vals.back();
  }
  bool is_scalar() const { return kind == Kind::Str || kind == Kind::Raw; }
};

Node S(std::string s) {
  Node n;
  n.kind = Node::Kind::Str;
  n.text = std::move(s);
  return n;
}
Node I(long long v) {
  Node n;
  n.kind = Node::Kind::Raw;
  n.text = std::to_string(v);
  return n;
}
Node Q(const std::string& s) {  // always double-quoted
  Node n;
  n.kind = Node::Kind::Raw;
  n.text = "\"" + s + "\"";
  return n;
}
Node M(std::initializer_list<std::pair<std::string, Node>> kv = {}) {
  Node n;
  n.kind = Node::Kind::Map;
  for (const auto& p : kv) n.add(p.first, p.second);
  return n;
}
Node L(std::initializer_list<Node> items = {}) {
  Node n;
  n.kind = Node::Kind::Seq;
  for (const auto& i : items) n.push(i);
  return n;
}
Node strs(const std::vector<std::string>& v) {
  Node n = L();
  for (const auto& s : v) n.push(S(s));
  return n;
}

bool needs_quote(const std::string& s) {
  if (s.empty()) return true;
  std::string low;
  for (char c : s) low += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  static const char* const reserved[] = {"true", "false", "yes", "no", "on", "off",
                                         "null", "~",    "y",   "n"};
  for (const char* r : reserved)
    if (low == r) return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`. ").find(s.front()) != std::string_view::npos)
    return true;
  if (s.back() == ' ' || s.back() == ':') return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  for (char c : s)
    if (c == '\n' || c == '\t' || c == '"' || c == '\\') return true;
  // Number-like (int, float, exponent) -> quote.
  bool numeric = true, digit = false;
  int dots = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.') {
      ++dots;
    } else if (c != '+' && c != '-' && c != '_' && c != 'e' && c != 'E') {
      numeric = false;
    }
  }
  if (numeric && digit && dots <= 1) return true;
  // Times / dates / sexagesimal.
  if (s.front() >= '0' && s.front() <= '9' && s.find(':') != std::string::npos) return true;
  return false;
}

void emit_scalar(std::string& o, const Node& n) {
  if (n.kind == Node::Kind::Raw || !needs_quote(n.text)) {
    o += n.text;
    return;
  }
  o += '"';
  for (char c : n.text) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  o += '"';
}

void emit_map(std::string& o, const Node& n, int indent, bool first_inline);
void emit_seq(std::string& o, const Node& n, int indent);

void emit_after_key(std::string& o, const Node& v, int indent) {
  if (v.is_scalar()) {
    o += ' ';
    emit_scalar(o, v);
    o += '\n';
  } else if (v.vals.empty()) {
    o += v.kind == Node::Kind::Map ? " {}\n" : " []\n";
  } else if (v.kind == Node::Kind::Map) {
    o += '\n';
    emit_map(o, v, indent + 2, false);
  } else {
    o += '\n';
    emit_seq(o, v, indent);  // kubectl style: "- " at the key's indentation
  }
}

void emit_map(std::string& o, const Node& n, int indent, bool first_inline) {
  for (std::size_t i = 0; i < n.keys.size(); ++i) {
    if (!(i == 0 && first_inline)) o.append(static_cast<std::size_t>(indent), ' ');
    o += n.keys[i];
    o += ':';
    emit_after_key(o, n.vals[i], indent);
  }
}

void emit_seq(std::string& o, const Node& n, int indent) {
  for (const Node& item : n.vals) {
    o.append(static_cast<std::size_t>(indent), ' ');
    o += '-';
    if (item.is_scalar()) {
      o += ' ';
      emit_scalar(o, item);
      o += '\n';
    } else if (item.vals.empty()) {
      o += item.kind == Node::Kind::Map ? " {}\n" : " []\n";
    } else if (item.kind == Node::Kind::Map) {
      o += ' ';
      emit_map(o, item, indent + 2, true);
    } else {
      o += '\n';
      emit_seq(o, item, indent + 2);
    }
  }
}

// ---------------------------------------------------------------------------
// Small formatting helpers
// ---------------------------------------------------------------------------

std::string ipv4(std::uint32_t a) {
  return std::to_string((a >> 24) & 255) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

// Seconds since the Unix epoch -> RFC 3339 UTC ("2024-05-01T12:00:00Z").
std::string timestamp(long long t) {
  long long days = t / 86400, secs = t % 86400;
  // civil_from_days (H. Hinnant)
  long long z = days + 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long d = doy - (153 * mp + 2) / 5 + 1;
  long long m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  auto two = [](long long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return std::to_string(y) + "-" + two(m) + "-" + two(d) + "T" + two(secs / 3600) + ":" +
         two(secs / 60 % 60) + ":" + two(secs % 60) + "Z";
}

std::string uid(Rng& r) {
  static const char hex[] = "0123456789abcdef";
  std::uint64_t a = r.next(), b = r.next();
  a = (a & ~0xF000ULL) | 0x4000ULL;                                 // version 4
  b = (b & ~(0xC000ULL << 48)) | (0x8000ULL << 48);                 // variant 10
  std::string s;
  for (int i = 60; i >= 0; i -= 4) {
    s += hex[(a >> i) & 15];
    if (i == 32 || i == 16) s += '-';
  }
  s += '-';
  for (int i = 60; i >= 0; i -= 4) {
    s += hex[(b >> i) & 15];
    if (i == 48) s += '-';
  }
  return s;
}

// Kubernetes' "safe" alphabet for generated name suffixes / template hashes.
std::string k8s_rand(Rng& r, int len) {
  static const std::string_view alpha = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < len; ++i) s += alpha[static_cast<std::size_t>(r.below(alpha.size()))];
  return s;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

Node labels_node(Labels l) {
  std::sort(l.begin(), l.end());
  Node n = M();
  for (auto& [k, v] : l) n.add(k, S(v));
  return n;
}

// ---------------------------------------------------------------------------
// Cluster model
// ---------------------------------------------------------------------------

struct Port {
  std::string name;
  int port;
  std::string proto;
};
struct Container {
  std::string name, image;
  std::vector<Port> ports;
};
struct Deployment {
  std::size_t ns = 0;
  std::string name, app, tier, version, hash, sa;
  Labels labels;  // full pod label set
  std::vector<Container> containers;
  int replicas = 1;
  long long created = 0;
};
struct Pod {
  std::size_t dep = 0;
  std::string name, ip, host_ip, uid;
  int node = 0;
  long long created = 0;
};
struct SvcPort {
  std::string name;
  int port;
  std::string proto;
  std::string target;
  bool named;
  int target_num;
};
struct Service {
  std::size_t ns = 0;
  std::string name, ip, uid;
  Labels selector, labels;
  std::vector<SvcPort> ports;
  long long created = 0;
};
struct Namespace {
  std::string name, team, env;
  bool system = false;
  Labels labels;
  long long created = 0;
  std::string uid;
  std::vector<std::size_t> deps;
  long long pods = 0;
};
struct Cluster {
  std::vector<Namespace> ns;
  std::vector<Deployment> deps;
  std::vector<Pod> pods;
  std::vector<Service> svcs;
  std::vector<std::string> teams_used;
};

const std::vector<std::string> kTeams = {
    "payments", "checkout",  "search",   "identity",  "catalog",   "shipping",
    "analytics", "platform", "data",     "ml",        "growth",    "ads",
    "billing",  "support",   "inventory", "messaging", "media",    "risk",
    "fraud",    "ledger",    "notify",   "partners",  "reporting", "storefront"};
const std::vector<std::string> kComponents = {"api", "core", "svc",  "apps",
                                              "jobs", "edge", "portal", "stream"};
const std::vector<std::string> kTiers = {"web", "api", "db", "cache", "worker"};
const std::vector<std::string> kWeb = {"frontend", "web", "storefront", "admin-ui",
                                       "portal",   "docs", "landing"};
const std::vector<std::string> kApi = {
    "backend",   "api",     "gateway",   "orders",   "users",         "payments",
    "checkout",  "catalog", "search",    "auth",     "inventory",     "shipping",
    "notifications", "recommendations", "cart", "billing", "signaling"};
const std::vector<std::string> kDb = {"postgres", "mysql", "mongodb"};
const std::vector<std::string> kCache = {"redis", "memcached"};
const std::vector<std::string> kWorker = {"worker", "scheduler", "mailer", "consumer",
                                          "indexer", "reporter", "cron-runner"};

const std::vector<std::string>& pool_for(const std::string& tier) {
  if (tier == "web") return kWeb;
  if (tier == "api") return kApi;
  if (tier == "db") return kDb;
  if (tier == "cache") return kCache;
  return kWorker;
}

std::string tier_of_app(const std::string& app) {
  for (const auto& t : kTiers)
    for (const auto& a : pool_for(t))
      if (a == app) return t;
  return "api";
}

class ClusterGen {
 public:
  ClusterGen(std::uint64_t seed, long long n_ns, long long n_pods, long long per_node = 50)
      : r_(seed ^ 0x6A09E667F3BCC908ULL), n_ns_(n_ns), n_pods_(n_pods), per_node_(per_node) {}

  Cluster run() {
    make_namespaces();
    make_workloads();
    place_pods();
    return std::move(c_);
  }

 private:
  Rng r_;
  long long n_ns_, n_pods_;
  long long per_node_;  // average pods per node (--pods-per-node; default 50)
  Cluster c_;
  std::uint32_t next_svc_ip_ = (10u << 24) | (96u << 16) | 11u;  // 10.96.0.11
  static constexpr long long kBase = 1714521600;                 // 2024-05-01T00:00:00Z

  void make_namespaces() {
    std::set<std::string> used;
    std::set<std::string> teams;
    const bool with_system = n_ns_ >= 4;
    if (with_system) {
      for (const char* name : {"kube-system", "monitoring", "ingress-nginx", "default"}) {
        Namespace n;
        n.name = name;
        n.system = std::string_view(name) != "default";
        n.labels = {{"kubernetes.io/metadata.name", name}};
        if (n.system) n.labels.push_back({"name", name});
        c_.ns.push_back(std::move(n));
        used.insert(name);
      }
    }
    while (static_cast<long long>(c_.ns.size()) < n_ns_) {
      Namespace n;
      n.team = r_.pick(kTeams);
      unsigned e = static_cast<unsigned>(r_.below(10));
      n.env = e < 5 ? "prod" : e < 8 ? "staging" : "dev";
      std::string name = n.team + "-" + n.env;
      if (used.count(name)) name = n.team + "-" + r_.pick(kComponents) + "-" + n.env;
      for (int k = 2; used.count(name); ++k)
        name = n.team + "-" + n.env + "-" + std::to_string(k);
      n.name = name;
      used.insert(name);
      teams.insert(n.team);
      n.labels = {{"kubernetes.io/metadata.name", name}, {"team", n.team}, {"env", n.env}};
      if (r_.chance(25)) n.labels.push_back({"name", name});
      if (r_.chance(20)) n.labels.push_back({"istio-injection", "enabled"});
      c_.ns.push_back(std::move(n));
    }
    for (auto& n : c_.ns) {
      n.created = kBase + static_cast<long long>(r_.below(30 * 86400));
      n.uid = uid(r_);
    }
    c_.teams_used.assign(teams.begin(), teams.end());
  }

  std::string unique_name(std::size_t ns, const std::string& want) {
    auto taken = [&](const std::string& n) {
      for (std::size_t d : c_.ns[ns].deps)
        if (c_.deps[d].name == n) return true;
      return false;
    };
    if (!taken(want)) return want;
    for (int k = 2;; ++k) {
      std::string n = want + "-" + std::to_string(k);
      if (!taken(n)) return n;
    }
  }

  static Container container(std::string name, std::string image,
                             std::vector<Port> ports) {
    return Container{std::move(name), std::move(image), std::move(ports)};
  }

  std::vector<Container> containers_for(const Namespace& n, const std::string& app,
                                        const std::string& tier) {
    std::vector<Container> cs;
    const std::string reg = "registry.example.com/" + (n.team.empty() ? "apps" : n.team) +
                            "/" + app + ":1." + std::to_string(r_.range(0, 9)) + "." +
                            std::to_string(r_.range(0, 20));
    std::vector<Port> p;
    bool has_metrics = false;
    if (tier == "web") {
      if (r_.chance(40)) {
        p.push_back({"http", 80, "TCP"});
        cs.push_back(container(app, "nginx:1.25." + std::to_string(r_.range(0, 4)), p));
      } else {
        p.push_back({"http", 8080, "TCP"});
        if (r_.chance(50)) p.push_back({"metrics", 9090, "TCP"}), has_metrics = true;
        cs.push_back(container(app, reg, p));
      }
    } else if (tier == "api") {
      if (app == "signaling") {
        p.push_back({"sigtran", 2905, "SCTP"});
        p.push_back({"diameter", 3868, "SCTP"});
        p.push_back({"http", 8080, "TCP"});
      } else {
        p.push_back({"http", 8080, "TCP"});
        if (r_.chance(40)) p.push_back({"grpc", 9000, "TCP"});
        if (r_.chance(60)) p.push_back({"metrics", 9090, "TCP"}), has_metrics = true;
      }
      cs.push_back(container(app, reg, p));
    } else if (tier == "db") {
      if (app.rfind("mysql", 0) == 0)
        cs.push_back(container(app, "mysql:8.0", {{"mysql", 3306, "TCP"}}));
      else if (app.rfind("mongodb", 0) == 0)
        cs.push_back(container(app, "mongo:7.0", {{"mongodb", 27017, "TCP"}}));
      else
        cs.push_back(container(app, "postgres:15", {{"postgres", 5432, "TCP"}}));
    } else if (tier == "cache") {
      if (app.rfind("memcached", 0) == 0)
        cs.push_back(container(app, "memcached:1.6", {{"memcached", 11211, "TCP"}}));
      else
        cs.push_back(container(app, "redis:7.2", {{"redis", 6379, "TCP"}}));
    } else {  // worker
      if (r_.chance(70)) p.push_back({"metrics", 9090, "TCP"}), has_metrics = true;
      cs.push_back(container(app, reg, p));
      if (r_.chance(20))
        cs.push_back(container("statsd-exporter", "prom/statsd-exporter:v0.26.0",
                               {{"statsd", 8125, "UDP"}, {"statsd-metrics", 9102, "TCP"}}));
    }
    if ((tier == "db" || tier == "cache") && r_.chance(50))
      cs.push_back(container(tier == "db" ? "db-exporter" : "cache-exporter",
                             "prom/exporter:v1.0", {{"metrics", 9187, "TCP"}}));
    else if ((tier == "web" || tier == "api") && !has_metrics && r_.chance(25))
      cs.push_back(container("envoy", "envoyproxy/envoy:v1.29.1",
                             {{"envoy-admin", 15000, "TCP"}, {"metrics", 15090, "TCP"}}));
    return cs;
  }

  std::size_t add_deployment(std::size_t ns, const std::string& name, const std::string& app,
                             const std::string& tier, const std::string& version, int replicas,
                             Labels extra, std::vector<Container> cs, bool k8s_name) {
    Deployment d;
    d.ns = ns;
    d.name = name;
    d.app = app;
    d.tier = tier;
    d.version = version;
    d.replicas = replicas;
    d.hash = k8s_rand(r_, r_.chance(50) ? 9 : 10);
    d.sa = r_.chance(60) ? app : "default";
    d.labels = {{"pod-template-hash", d.hash}, {"version", version}};
    if (!app.empty()) d.labels.push_back({"app", app});
    if (!tier.empty()) d.labels.push_back({"tier", tier});
    if (k8s_name) d.labels.push_back({"app.kubernetes.io/name", app});
    for (auto& e : extra) d.labels.push_back(std::move(e));
    std::sort(d.labels.begin(), d.labels.end());
    d.containers = std::move(cs);
    d.created = c_.ns[ns].created + static_cast<long long>(r_.below(60 * 86400));
    c_.deps.push_back(std::move(d));
    c_.ns[ns].deps.push_back(c_.deps.size() - 1);
    c_.ns[ns].pods += replicas;
    return c_.deps.size() - 1;
  }

  void add_service(std::size_t dep, std::string name, Labels selector,
                   std::string fixed_ip = "") {
    const Deployment& d = c_.deps[dep];
    Service s;
    s.ns = d.ns;
    s.name = std::move(name);
    s.selector = std::move(selector);
    if (!d.app.empty()) s.labels = {{"app", d.app}};
    for (const auto& c : d.containers) {
      for (const auto& p : c.ports) {
        SvcPort sp{p.name, p.port, p.proto, "", false, p.port};
        if (p.name == "http") sp.port = 80;
        if (r_.chance(50)) {
          sp.named = true;
          sp.target = p.name;
        }
        s.ports.push_back(sp);
      }
    }
    if (s.ports.empty()) return;
    s.created = d.created;
    s.ip = fixed_ip.empty() ? alloc_svc_ip() : std::move(fixed_ip);
    c_.svcs.push_back(std::move(s));
  }

  std::string alloc_svc_ip() {
    std::uint32_t ip = next_svc_ip_;
    next_svc_ip_ += static_cast<std::uint32_t>(r_.range(1, 3));
    if (next_svc_ip_ >= ((10u << 24) | (112u << 16))) {
      std::cerr << "gen_cluster: too many services for 10.96.0.0/12\n";
      std::exit(1);
    }
    return ipv4(ip);
  }

  void make_system() {
    // Fixed system workloads, 10 pods in total.
    auto sys = [&](const char* ns) -> std::size_t {
      for (std::size_t i = 0; i < c_.ns.size(); ++i)
        if (c_.ns[i].name == ns) return i;
      return 0;
    };
    std::size_t ks = sys("kube-system"), mon = sys("monitoring"), ing = sys("ingress-nginx");
    std::size_t d = add_deployment(
        ks, "coredns", "coredns", "", "v1", 2, {{"k8s-app", "kube-dns"}},
        {container("coredns", "registry.k8s.io/coredns/coredns:v1.11.1",
                   {{"dns", 53, "UDP"}, {"dns-tcp", 53, "TCP"}, {"metrics", 9153, "TCP"}})},
        false);
    add_service(d, "kube-dns", {{"k8s-app", "kube-dns"}}, "10.96.0.10");
    d = add_deployment(ks, "metrics-server", "metrics-server", "", "v1", 1,
                       {{"k8s-app", "metrics-server"}},
                       {container("metrics-server", "registry.k8s.io/metrics-server:v0.7.0",
                                  {{"https", 10250, "TCP"}})},
                       false);
    add_service(d, "metrics-server", {{"k8s-app", "metrics-server"}});
    d = add_deployment(mon, "prometheus", "prometheus", "", "v2", 2, {},
                       {container("prometheus", "prom/prometheus:v2.51.0",
                                  {{"web", 9090, "TCP"}})},
                       true);
    add_service(d, "prometheus", {{"app", "prometheus"}});
    d = add_deployment(mon, "alertmanager", "alertmanager", "", "v1", 1, {},
                       {container("alertmanager", "prom/alertmanager:v0.27.0",
                                  {{"http", 9093, "TCP"}})},
                       true);
    add_service(d, "alertmanager", {{"app", "alertmanager"}});
    d = add_deployment(mon, "grafana", "grafana", "web", "v1", 1, {},
                       {container("grafana", "grafana/grafana:10.4.0",
                                  {{"http", 3000, "TCP"}})},
                       true);
    add_service(d, "grafana", {{"app", "grafana"}});
    d = add_deployment(mon, "statsd", "statsd", "", "v1", 1, {},
                       {container("statsd", "prom/statsd-exporter:v0.26.0",
                                  {{"statsd", 8125, "UDP"}, {"metrics", 9102, "TCP"}})},
                       false);
    add_service(d, "statsd", {{"app", "statsd"}});
    d = add_deployment(
        ing, "ingress-nginx-controller", "ingress-nginx", "", "v1", 2,
        {{"app.kubernetes.io/component", "controller"}},
        {container("controller", "registry.k8s.io/ingress-nginx/controller:v1.10.0",
                   {{"http", 80, "TCP"}, {"https", 443, "TCP"}, {"metrics", 10254, "TCP"}})},
        true);
    add_service(d, "ingress-nginx-controller", {{"app.kubernetes.io/name", "ingress-nginx"}});
  }

  void make_workloads() {
    long long remaining = n_pods_;
    const bool with_system = n_ns_ >= 4 && n_pods_ >= 40;
    if (with_system) {
      make_system();
      remaining -= 10;
    }
    std::vector<std::size_t> regular;
    for (std::size_t i = 0; i < c_.ns.size(); ++i)
      if (!c_.ns[i].system) regular.push_back(i);
    if (regular.empty()) regular.push_back(0);
    // Skewed weights: a few namespaces are much bigger than the others.
    std::vector<unsigned long long> w(regular.size());
    unsigned long long wsum = 0;
    for (std::size_t i = 0; i < regular.size(); ++i) {
      unsigned long long u = r_.below(1000);
      w[i] = 300 + u * u * u / 250000;  // 300 .. ~4300
      if (c_.ns[regular[i]].name == "default") w[i] = 100;
      wsum += w[i];
    }
    std::vector<long long> quota(regular.size());
    long long given = 0;
    for (std::size_t i = 0; i < regular.size(); ++i) {
      quota[i] = static_cast<long long>(static_cast<unsigned long long>(remaining) * w[i] / wsum);
      given += quota[i];
    }
    for (std::size_t i = 0; given < remaining; i = (i + 1) % regular.size(), ++given) ++quota[i];

    static const std::vector<std::string> core = {"frontend", "backend", "postgres", "redis"};
    for (std::size_t i = 0; i < regular.size(); ++i) {
      const std::size_t ns = regular[i];
      long long left = quota[i];
      std::size_t k = 0;
      while (left > 0) {
        std::string app, tier;
        if (k < core.size() && r_.chance(85)) {
          app = core[k];
          tier = tier_of_app(app);
        } else {
          static const std::vector<unsigned> tw = {15, 40, 10, 10, 25};
          tier = kTiers[r_.weighted(tw)];
          app = r_.pick(pool_for(tier));
        }
        ++k;
        int max_rep = (tier == "db" || tier == "cache") ? 3 : 8;
        int reps = static_cast<int>(std::min<long long>(left, r_.range(1, max_rep)));
        std::string name = unique_name(ns, app);
        std::string version = r_.chance(30) ? "v2" : "v1";
        bool k8s_name = r_.chance(40);
        std::size_t d = add_deployment(ns, name, name, tier, version, reps, {},
                                       containers_for(c_.ns[ns], name, tier), k8s_name);
        left -= reps;
        if (r_.chance(85)) add_service(d, name, {{"app", name}});
        // Canary: same app label, other version, separate pod-template-hash.
        if (left > 0 && (tier == "web" || tier == "api") && r_.chance(10)) {
          std::string cname = unique_name(ns, name + "-canary");
          int creps = static_cast<int>(std::min<long long>(left, r_.range(1, 2)));
          add_deployment(ns, cname, name, tier, version == "v1" ? "v2" : "v1", creps, {},
                         c_.deps[d].containers, k8s_name);
          left -= creps;
        }
      }
    }
    if (!c_.ns.empty() && c_.ns.size() >= 4 && c_.ns[3].name == "default") {
      Service s;
      s.ns = 3;
      s.name = "kubernetes";
      s.ip = "10.96.0.1";
      s.labels = {{"component", "apiserver"}, {"provider", "kubernetes"}};
      s.ports.push_back({"https", 443, "TCP", "", false, 6443});
      s.created = c_.ns[3].created;
      c_.svcs.push_back(std::move(s));
    }
    for (auto& s : c_.svcs) s.uid = uid(r_);
  }

  void place_pods() {
    // Nodes are drawn uniformly, so a node holds about per_node_ pods; none gets more than
    // 250 (the pod addresses of node k are 10.x.y.2 .. 10.x.y.251).
    const long long n_nodes = std::max(1LL, (n_pods_ + per_node_ - 1) / per_node_);
    if (n_nodes > 240LL * 256) {
      std::cerr << "gen_cluster: too many pods (max " << 240LL * 256 * per_node_ << ")\n";
      std::exit(1);
    }
    std::vector<int> fill(static_cast<std::size_t>(n_nodes), 0);
    for (std::size_t di = 0; di < c_.deps.size(); ++di) {
      const Deployment& d = c_.deps[di];
      std::vector<std::string> suffixes;
      for (int rep = 0; rep < d.replicas; ++rep) {
        std::string suf;
        do suf = k8s_rand(r_, 5);
        while (std::find(suffixes.begin(), suffixes.end(), suf) != suffixes.end());
        suffixes.push_back(suf);
        long long node = static_cast<long long>(r_.below(static_cast<std::uint64_t>(n_nodes)));
        while (fill[static_cast<std::size_t>(node)] >= 250) node = (node + 1) % n_nodes;
        int slot = fill[static_cast<std::size_t>(node)]++;
        std::uint32_t hi = static_cast<std::uint32_t>(node / 256);
        std::uint32_t second = hi >= 96 ? hi + 16 : hi;  // skip the 10.96.0.0/12 service range
        std::uint32_t third = static_cast<std::uint32_t>(node % 256);
        Pod p;
        p.dep = di;
        p.name = d.name + "-" + d.hash + "-" + suf;
        p.node = static_cast<int>(node);
        p.ip = ipv4((10u << 24) | (second << 16) | (third << 8) |
                    static_cast<std::uint32_t>(slot + 2));
        p.host_ip = ipv4((192u << 24) | (168u << 16) | (hi << 8) | third);
        p.created = d.created + static_cast<long long>(r_.below(7 * 86400));
        p.uid = uid(r_);
        c_.pods.push_back(std::move(p));
      }
    }
  }
};

// ---------------------------------------------------------------------------
// cluster.yaml
// ---------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(const std::filesystem::path& p) : f_(p, std::ios::binary | std::ios::trunc) {
    if (!f_) {
      std::cerr << "gen_cluster: cannot open " << p << " for writing\n";
      std::exit(1);
    }
    buf_.reserve(1 << 22);
  }
  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1u << 22)) flush();
  }
  void flush() {
    f_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  void close() {
    flush();
    f_.close();
    if (!f_) {
      std::cerr << "gen_cluster: write error\n";
      std::exit(1);
    }
  }

 private:
  std::ofstream f_;
  std::string buf_;
};

void write_item(Writer& w, const Node& n) {
  w.buf() += "- ";
  emit_map(w.buf(), n, 2, true);
  w.maybe_flush();
}

void write_cluster(const Cluster& c, const std::filesystem::path& path) {
  Writer w(path);
  w.buf() += "apiVersion: v1\nitems:\n";

  std::vector<std::size_t> order(c.ns.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return c.ns[a].name < c.ns[b].name; });
  for (std::size_t i : order) {
    const Namespace& n = c.ns[i];
    write_item(w, M({{"apiVersion", S("v1")},
                     {"kind", S("Namespace")},
                     {"metadata", M({{"creationTimestamp", Q(timestamp(n.created))},
                                     {"labels", labels_node(n.labels)},
                                     {"name", S(n.name)},
                                     {"uid", S(n.uid)}})},
                     {"spec", M({{"finalizers", L({S("kubernetes")})}})},
                     {"status", M({{"phase", S("Active")}})}}));
  }

  std::vector<std::size_t> pods(c.pods.size());
  for (std::size_t i = 0; i < pods.size(); ++i) pods[i] = i;
  std::sort(pods.begin(), pods.end(), [&](std::size_t a, std::size_t b) {
    const std::string& na = c.ns[c.deps[c.pods[a].dep].ns].name;
    const std::string& nb = c.ns[c.deps[c.pods[b].dep].ns].name;
    if (na != nb) return na < nb;
    return c.pods[a].name < c.pods[b].name;
  });
  for (std::size_t i : pods) {
    const Pod& p = c.pods[i];
    const Deployment& d = c.deps[p.dep];
    Node containers = L();
    for (const auto& ct : d.containers) {
      Node cn = M({{"image", S(ct.image)}, {"name", S(ct.name)}});
      if (!ct.ports.empty()) {
        Node ports = L();
        for (const auto& pt : ct.ports)
          ports.push(M({{"containerPort", I(pt.port)},
                        {"name", S(pt.name)},
                        {"protocol", S(pt.proto)}}));
        cn.add("ports", std::move(ports));
      }
      containers.push(std::move(cn));
    }
    write_item(
        w, M({{"apiVersion", S("v1")},
              {"kind", S("Pod")},
              {"metadata", M({{"creationTimestamp", Q(timestamp(p.created))},
                              {"generateName", S(d.name + "-" + d.hash + "-")},
                              {"labels", labels_node(d.labels)},
                              {"name", S(p.name)},
                              {"namespace", S(c.ns[d.ns].name)},
                              {"uid", S(p.uid)}})},
              {"spec", M({{"containers", std::move(containers)},
                          {"nodeName", S("node-" + std::to_string(p.node))},
                          {"serviceAccountName", S(d.sa)}})},
              {"status", M({{"hostIP", S(p.host_ip)},
                            {"phase", S("Running")},
                            {"podIP", S(p.ip)},
                            {"podIPs", L({M({{"ip", S(p.ip)}})})}})}}));
  }

  std::vector<std::size_t> svcs(c.svcs.size());
  for (std::size_t i = 0; i < svcs.size(); ++i) svcs[i] = i;
  std::sort(svcs.begin(), svcs.end(), [&](std::size_t a, std::size_t b) {
    const std::string& na = c.ns[c.svcs[a].ns].name;
    const std::string& nb = c.ns[c.svcs[b].ns].name;
    if (na != nb) return na < nb;
    return c.svcs[a].name < c.svcs[b].name;
  });
  for (std::size_t i : svcs) {
    const Service& s = c.svcs[i];
    Node ports = L();
    for (const auto& sp : s.ports)
      ports.push(M({{"name", S(sp.name)},
                    {"port", I(sp.port)},
                    {"protocol", S(sp.proto)},
                    {"targetPort", sp.named ? S(sp.target) : I(sp.target_num)}}));
    Node spec = M({{"clusterIP", S(s.ip)}, {"clusterIPs", L({S(s.ip)})}, {"ports", ports}});
    if (!s.selector.empty()) spec.add("selector", labels_node(s.selector));
    spec.add("sessionAffinity", S("None"));
    spec.add("type", S("ClusterIP"));
    Node md = M({{"creationTimestamp", Q(timestamp(s.created))}});
    if (!s.labels.empty()) md.add("labels", labels_node(s.labels));
    md.add("name", S(s.name));
    md.add("namespace", S(c.ns[s.ns].name));
    md.add("uid", S(s.uid));
    write_item(w, M({{"apiVersion", S("v1")},
                     {"kind", S("Service")},
                     {"metadata", std::move(md)},
                     {"spec", std::move(spec)},
                     {"status", M({{"loadBalancer", M()}})}}));
  }
  w.buf() += "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
  w.close();
}

// ---------------------------------------------------------------------------
// policies.yaml
// ---------------------------------------------------------------------------

class PolicyGen {
 public:
  PolicyGen(std::uint64_t seed, const Cluster& c) : r_(seed ^ 0xBB67AE8584CAA73BULL), c_(c) {}

  void run(long long k, const std::filesystem::path& path) {
    Writer w(path);
    if (c_.ns.empty() || k <= 0) {
      w.close();
      return;
    }
    // Namespace choice weighted by pod count, so busy namespaces get more policies.
    std::vector<unsigned> weights;
    for (const auto& n : c_.ns)
      weights.push_back(static_cast<unsigned>(std::min<long long>(n.pods, 100000) + 3));
    has_deny_.assign(c_.ns.size(), false);
    names_.assign(c_.ns.size(), {});
    for (long long i = 0; i < k; ++i) {
      ns_ = r_.weighted(weights);
      Node doc = make_policy();
      if (i > 0) w.buf() += "---\n";
      emit_map(w.buf(), doc, 0, false);
      w.maybe_flush();
    }
    w.close();
  }

 private:
  Rng r_;
  const Cluster& c_;
  std::size_t ns_ = 0;
  std::vector<bool> has_deny_;
  std::vector<std::set<std::string>> names_;

  const Namespace& ns() const { return c_.ns[ns_]; }

  // Pick a deployment of the current namespace with the given tier (any tier
  // when none); nullptr if the namespace is empty.
  const Deployment* dep_of_tier(const std::string& tier) {
    std::vector<std::size_t> cand;
    for (std::size_t d : ns().deps)
      if (c_.deps[d].tier == tier) cand.push_back(d);
    if (cand.empty()) cand = ns().deps;
    if (cand.empty()) return nullptr;
    return &c_.deps[r_.pick(cand)];
  }

  // An `app` label value: usually one that exists in the namespace.
  std::string app_of_tier(const std::string& tier) {
    if (r_.chance(7)) return "legacy-" + r_.pick(pool_for(tier));
    const Deployment* d = dep_of_tier(tier);
    if (!d) return r_.pick(pool_for(tier));
    return d->app;
  }

  // A named port that exists on the deployment when possible.
  std::string port_name_of(const Deployment* d, const std::string& fallback) {
    if (!d || r_.chance(10)) return fallback;
    std::vector<std::string> names;
    for (const auto& ct : d->containers)
      for (const auto& p : ct.ports) names.push_back(p.name);
    if (names.empty()) return fallback;
    return r_.pick(names);
  }

  std::string other_ns_name() {
    if (r_.chance(5)) return "retired-" + r_.pick(kTeams);
    return c_.ns[static_cast<std::size_t>(r_.below(c_.ns.size()))].name;
  }
  std::string some_team() {
    if (c_.teams_used.empty() || r_.chance(5)) return r_.pick(kTeams);
    return r_.pick(c_.teams_used);
  }

  static Node match_labels(Labels l) { return M({{"matchLabels", labels_node(std::move(l))}}); }
  static Node expr(const std::string& key, const std::string& op,
                   const std::vector<std::string>& values = {}) {
    Node e = M({{"key", S(key)}, {"operator", S(op)}});
    if (op == "In" || op == "NotIn") {
      std::vector<std::string> uniq;
      for (const auto& v : values)
        if (std::find(uniq.begin(), uniq.end(), v) == uniq.end()) uniq.push_back(v);
      e.add("values", strs(uniq));
    }
    return e;
  }
  static Node port(const std::string& proto, int p) {
    return M({{"protocol", S(proto)}, {"port", I(p)}});
  }
  static Node port_range(const std::string& proto, int p, int end) {
    return M({{"protocol", S(proto)}, {"port", I(p)}, {"endPort", I(end)}});
  }
  static Node named_port(const std::string& name, bool with_proto) {
    if (with_proto) return M({{"protocol", S("TCP")}, {"port", S(name)}});
    return M({{"port", S(name)}});
  }
  static Node pod_peer(Node sel) { return M({{"podSelector", std::move(sel)}}); }
  static Node ns_peer(Node sel) { return M({{"namespaceSelector", std::move(sel)}}); }
  static Node ns_pod_peer(Node nsel, Node psel) {
    return M({{"namespaceSelector", std::move(nsel)}, {"podSelector", std::move(psel)}});
  }
  static Node ip_peer(const std::string& cidr, const std::vector<std::string>& except = {}) {
    Node b = M({{"cidr", S(cidr)}});
    if (!except.empty()) b.add("except", strs(except));
    return M({{"ipBlock", std::move(b)}});
  }
  Node ns_by_name(const std::string& name) {
    return match_labels({{"kubernetes.io/metadata.name", name}});
  }

  std::string unique(std::string base) {
    auto& used = names_[ns_];
    std::string n = base;
    for (int k = 2; used.count(n); ++k) n = base + "-" + std::to_string(k);
    used.insert(n);
    return n;
  }

  Node doc(const std::string& name, Node spec) {
    return M({{"apiVersion", S("networking.k8s.io/v1")},
              {"kind", S("NetworkPolicy")},
              {"metadata", M({{"name", S(unique(name))}, {"namespace", S(ns().name)}})},
              {"spec", std::move(spec)}});
  }

  // policyTypes is sometimes omitted on ingress-only policies (defaults apply).
  Node ingress_spec(Node sel, Node rules) {
    Node s = M({{"podSelector", std::move(sel)}});
    if (!r_.chance(15)) s.add("policyTypes", L({S("Ingress")}));
    s.add("ingress", std::move(rules));
    return s;
  }
  static Node egress_spec(Node sel, Node rules) {
    return M({{"podSelector", std::move(sel)},
              {"policyTypes", L({S("Egress")})},
              {"egress", std::move(rules)}});
  }

  Node make_policy() {
    // Weights for: 0 default-deny-all, 1 default-deny-ingress/egress,
    // 2 frontend->backend, 3 backend egress, 4 web tier, 5 db access,
    // 6 matchExpressions, 7 metrics scrape (named port), 8 port ranges,
    // 9 UDP, 10 SCTP, 11 same namespace, 12 team namespaces, 13 DNS egress,
    // 14 allow-all ingress.
    static const std::vector<unsigned> w = {12, 3, 15, 12, 8, 10, 10, 8, 5, 4, 2, 4, 5, 3, 1};
    std::size_t p = r_.weighted(w);
    while ((p == 0 || p == 1) && has_deny_[ns_]) p = r_.weighted(w);
    switch (p) {
      case 0: return default_deny_all();
      case 1: return default_deny_one();
      case 2: return frontend_to_backend();
      case 3: return backend_egress();
      case 4: return web_tier();
      case 5: return db_access();
      case 6: return match_expressions();
      case 7: return metrics_scrape();
      case 8: return port_ranges();
      case 9: return udp();
      case 10: return sctp();
      case 11: return same_namespace();
      case 12: return team_namespaces();
      case 13: return dns_egress();
      default: return allow_all_ingress();
    }
  }

  Node default_deny_all() {
    has_deny_[ns_] = true;
    return doc("default-deny-all", M({{"podSelector", M()},
                                      {"policyTypes", L({S("Ingress"), S("Egress")})}}));
  }

  Node default_deny_one() {
    has_deny_[ns_] = true;
    bool ingress = r_.chance(70);
    return doc(ingress ? "default-deny-ingress" : "default-deny-egress",
               M({{"podSelector", M()},
                  {"policyTypes", L({S(ingress ? "Ingress" : "Egress")})}}));
  }

  Node frontend_to_backend() {
    const Deployment* dst = dep_of_tier("api");
    std::string to = dst && !r_.chance(7) ? dst->app : app_of_tier("api");
    std::string from = app_of_tier("web");
    bool by_tier = r_.chance(15);
    Node from_peers = L();
    from_peers.push(pod_peer(by_tier ? match_labels({{"tier", "web"}})
                                     : match_labels({{"app", from}})));
    from_peers.push(ns_pod_peer(ns_by_name("ingress-nginx"),
                                match_labels({{"app.kubernetes.io/name", "ingress-nginx"}})));
    if (r_.chance(80)) from_peers.push(ns_peer(match_labels({{"name", "monitoring"}})));
    Node ports = L({port("TCP", 8080)});
    if (r_.chance(80)) ports.push(port("TCP", 9090));
    return doc("allow-" + (by_tier ? std::string("web") : from) + "-to-" + to,
               ingress_spec(match_labels({{"app", to}}),
                            L({M({{"from", std::move(from_peers)}, {"ports", std::move(ports)}})})));
  }

  Node backend_egress() {
    std::string app = app_of_tier("api");
    std::string db = app_of_tier("db");
    const Deployment* dbd = dep_of_tier("db");
    int db_port = 5432;
    if (dbd) {
      for (const auto& ct : dbd->containers)
        if (!ct.ports.empty()) {
          db_port = ct.ports.front().port;
          break;
        }
    }
    Node rules = L();
    rules.push(M({{"to", L()}, {"ports", L({port("UDP", 53), port("TCP", 53)})}}));
    rules.push(M({{"to", L({pod_peer(match_labels({{"app", db}}))})},
                  {"ports", L({port("TCP", db_port)})}}));
    if (r_.chance(40))
      rules.push(M({{"to", L({pod_peer(match_labels({{"app", app_of_tier("cache")}}))})},
                    {"ports", L({port("TCP", 6379)})}}));
    rules.push(M({{"to", L({ip_peer("0.0.0.0/0",
                                    {"10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"})})},
                  {"ports", L({port("TCP", 443)})}}));
    return doc(app + "-egress", egress_spec(match_labels({{"app", app}}), std::move(rules)));
  }

  Node web_tier() {
    Node rules = L();
    Node ports = L({port("TCP", 80), port("TCP", 443)});
    rules.push(M({{"from", L({ip_peer("10.0.0.0/8")})}, {"ports", std::move(ports)}}));
    rules.push(M({{"from", L()}, {"ports", L({port("TCP", 8080)})}}));
    Node sel = r_.chance(70) ? match_labels({{"tier", "web"}})
                             : match_labels({{"app", app_of_tier("web")}, {"tier", "web"}});
    return doc("allow-web-ingress", ingress_spec(std::move(sel), std::move(rules)));
  }

  Node db_access() {
    const Deployment* dbd = dep_of_tier("db");
    std::string db = dbd && !r_.chance(7) ? dbd->app : app_of_tier("db");
    Node from = L();
    if (r_.chance(60)) {
      from.push(pod_peer(match_labels({{"tier", "api"}})));
    } else {
      from.push(pod_peer(M({{"matchExpressions",
                             L({expr("app", "In", {app_of_tier("api"), app_of_tier("worker")})})}})));
    }
    if (r_.chance(30))
      from.push(pod_peer(match_labels({{"app", app_of_tier("worker")}, {"tier", "worker"}})));
    Node ports = L();
    if (r_.chance(30)) ports.push(named_port(port_name_of(dbd, "postgres"), r_.chance(50)));
    else ports.push(port("TCP", 5432));
    if (dbd && dbd->containers.size() > 1 && r_.chance(50)) ports.push(port("TCP", 9187));
    return doc("allow-api-to-" + db,
               ingress_spec(match_labels({{"app", db}}),
                            L({M({{"from", std::move(from)}, {"ports", std::move(ports)}})})));
  }

  Node match_expressions() {
    Node sel_exprs = L();
    if (r_.chance(50))
      sel_exprs.push(expr("tier", "In", {"api", "worker"}));
    else
      sel_exprs.push(expr("app", "In", {app_of_tier("api"), app_of_tier("api")}));
    if (r_.chance(30)) sel_exprs.push(expr("canary", "DoesNotExist"));
    Node sel = M();
    if (r_.chance(25)) sel.add("matchLabels", labels_node({{"version", "v2"}}));
    sel.add("matchExpressions", std::move(sel_exprs));

    Node peers = L();
    Node pexprs = L();
    pexprs.push(expr("version", "NotIn", {"v1"}));
    if (r_.chance(50)) pexprs.push(expr("app.kubernetes.io/name", "Exists"));
    peers.push(pod_peer(M({{"matchExpressions", std::move(pexprs)}})));
    Node nexprs = L();
    nexprs.push(expr("env", "In", r_.chance(50) ? std::vector<std::string>{"prod"}
                                                : std::vector<std::string>{"prod", "staging"}));
    if (r_.chance(50)) nexprs.push(expr("quarantine", "DoesNotExist"));
    if (r_.chance(30)) nexprs.push(expr("team", "NotIn", {some_team()}));
    peers.push(ns_pod_peer(M({{"matchExpressions", std::move(nexprs)}}),
                           match_labels({{"tier", r_.chance(50) ? "web" : "api"}})));
    if (r_.chance(40))
      peers.push(ns_peer(M({{"matchExpressions", L({expr("istio-injection", "Exists")})}})));
    Node ports = L();
    ports.push(named_port("http", r_.chance(50)));
    if (r_.chance(40)) ports.push(port("TCP", 9000));
    return doc("allow-expr-ingress",
               ingress_spec(std::move(sel),
                            L({M({{"from", std::move(peers)}, {"ports", std::move(ports)}})})));
  }

  Node metrics_scrape() {
    Node sel = M();
    if (r_.chance(40)) {
      sel = M({{"matchExpressions", L({expr("app.kubernetes.io/name", "Exists")})}});
    } else if (r_.chance(50)) {
      sel = match_labels({{"app", app_of_tier(r_.pick(kTiers))}});
    }
    Node nsel = r_.chance(60) ? ns_by_name("monitoring")
                              : (r_.chance(50) ? match_labels({{"name", "monitoring"}}) : M());
    Node from = L({ns_pod_peer(std::move(nsel), match_labels({{"app", "prometheus"}}))});
    Node ports = L({named_port("metrics", r_.chance(50))});
    if (r_.chance(30)) ports.push(named_port("http", false));
    return doc("allow-prometheus-scrape",
               ingress_spec(std::move(sel),
                            L({M({{"from", std::move(from)}, {"ports", std::move(ports)}})})));
  }

  Node port_ranges() {
    if (r_.chance(50)) {
      std::string app = app_of_tier("api");
      return doc(app + "-nodeport-egress",
                 egress_spec(match_labels({{"app", app}}),
                             L({M({{"to", L({ip_peer("10.0.0.0/8")})},
                                   {"ports", L({port_range("TCP", 30000, 32767)})}})})));
    }
    std::string app = app_of_tier("api");
    Node ports = L({port_range("TCP", 8000, 8099)});
    if (r_.chance(50)) ports.push(port_range("TCP", 9000, 9100));
    if (r_.chance(30)) ports.push(port_range("UDP", 5000, 5010));
    return doc("allow-" + app + "-port-range",
               ingress_spec(match_labels({{"app", app}}),
                            L({M({{"from", L({pod_peer(match_labels({{"tier", "api"}}))})},
                                  {"ports", std::move(ports)}})})));
  }

  Node udp() {
    if (r_.chance(60)) {
      std::string app = app_of_tier("worker");
      return doc(app + "-statsd-egress",
                 egress_spec(match_labels({{"app", app}}),
                             L({M({{"to", L({ns_pod_peer(ns_by_name("monitoring"),
                                                          match_labels({{"app", "statsd"}}))})},
                                   {"ports", L({port("UDP", 8125)})}})})));
    }
    return doc("allow-udp-ingress",
               ingress_spec(match_labels({{"tier", "worker"}}),
                            L({M({{"from", L({pod_peer(M())})},
                                  {"ports", L({port("UDP", 8125), port("UDP", 5353)})}})})));
  }

  Node sctp() {
    bool has_signaling = false;
    for (std::size_t d : ns().deps) has_signaling = has_signaling || c_.deps[d].app == "signaling";
    std::string app = has_signaling && r_.chance(80) ? "signaling" : app_of_tier("api");
    Node ports = L({port("SCTP", 2905)});
    if (r_.chance(50)) ports.push(port_range("SCTP", 3868, 3870));
    Node from = L({ip_peer("192.168.0.0/16"), pod_peer(match_labels({{"tier", "api"}}))});
    return doc("allow-sctp-" + app,
               ingress_spec(match_labels({{"app", app}}),
                            L({M({{"from", std::move(from)}, {"ports", std::move(ports)}})})));
  }

  Node same_namespace() {
    return doc("allow-same-namespace",
               ingress_spec(M(), L({M({{"from", L({pod_peer(M())})}})})));
  }

  Node team_namespaces() {
    std::string app = app_of_tier("api");
    Labels nl = {{"team", some_team()}};
    if (r_.chance(50)) nl.push_back({"env", r_.chance(70) ? "prod" : "staging"});
    Node from = L({ns_peer(match_labels(std::move(nl)))});
    if (r_.chance(50)) from.push(ns_peer(ns_by_name(other_ns_name())));
    if (r_.chance(30))
      from.push(ns_pod_peer(M(), match_labels({{"app", "prometheus"}})));
    Node rule = M({{"from", std::move(from)}});
    if (r_.chance(70)) rule.add("ports", L({named_port("http", r_.chance(50))}));
    return doc("allow-team-to-" + app,
               ingress_spec(match_labels({{"app", app}}), L({std::move(rule)})));
  }

  Node dns_egress() {
    Node sel = r_.chance(50) ? M() : match_labels({{"tier", r_.pick(kTiers)}});
    return doc("allow-dns-egress",
               egress_spec(std::move(sel),
                           L({M({{"to", L({ns_pod_peer(ns_by_name("kube-system"),
                                                       match_labels({{"k8s-app", "kube-dns"}}))})},
                                 {"ports", L({port("UDP", 53), port("TCP", 53)})}})})));
  }

  Node allow_all_ingress() {
    std::string app = app_of_tier("web");
    return doc("allow-all-to-" + app,
               M({{"podSelector", match_labels({{"app", app}})},
                  {"policyTypes", L({S("Ingress")})},
                  {"ingress", L({M()})}}));
  }
};

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

[[noreturn]] void usage(const char* msg) {
  if (msg) std::cerr << "gen_cluster: " << msg << "\n";
  std::cerr << "usage: gen_cluster --namespaces N --pods P --policies K [--seed S] [--pods-per-node M] --out DIR\n";
  std::exit(2);
}

long long parse_num(const std::string& flag, const std::string& v) {
  if (v.empty()) usage(("empty value for " + flag).c_str());
  long long x = 0;
  for (char c : v) {
    if (c < '0' || c > '9') usage(("invalid number for " + flag + ": " + v).c_str());
    if (x > 1000000000000LL) usage(("number too large for " + flag).c_str());
    x = x * 10 + (c - '0');
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  long long n_ns = -1, n_pods = -1, n_pol = -1, per_node = 50;
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
    if (a == "--namespaces") n_ns = parse_num(a, v);
    else if (a == "--pods") n_pods = parse_num(a, v);
    else if (a == "--policies") n_pol = parse_num(a, v);
    else if (a == "--seed") seed = static_cast<std::uint64_t>(parse_num(a, v));
    else if (a == "--pods-per-node") per_node = parse_num(a, v);
    else if (a == "--out") out = v;
    else usage(("unknown option " + a).c_str());
  }
  if (n_ns < 1) usage("--namespaces N (N >= 1) is required");
  if (n_pods < 0) usage("--pods P is required");
  if (n_pol < 0) usage("--policies K is required");
  if (out.empty()) usage("--out DIR is required");
  if (per_node < 1 || per_node > 200) usage("--pods-per-node M must be between 1 and 200");

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "gen_cluster: cannot create " << out << ": " << ec.message() << "\n";
    return 1;
  }
  Cluster c = ClusterGen(seed, n_ns, n_pods, per_node).run();
  write_cluster(c, std::filesystem::path(out) / "cluster.yaml");
  PolicyGen(seed, c).run(n_pol, std::filesystem::path(out) / "policies.yaml");
  return 0;
}
