// The expectations file of `netverify check --expect FILE` (README "The expectations file").
//
// Parsing resolves everything it can while it still knows where each thing was written:
// endpoint specs, pods and services of the inventory, service ports to their endpoint
// pods' target ports, and the policy sets that `equivalent` and `contains` name. Running
// asks the verifier one exact question per (expectation, destination, port):
//   mustAllow / mustDeny  reach(): every packet of the flow allowed / none allowed;
//   isolated              contains(P + a last default-deny tier for the pods, P): no packet
//                         to (from) the pods falls through every tier to the final allow;
//   onlyReach             reach(P + a first tier denying the allowed sources, to X): no
//                         packet from anyone else is allowed;
//   equivalent/contains   compare() of the two policy sets.
#include "cli/expect.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <variant>

#include "cli/verify_common.h"
#include "compiler/load/fields.h"
#include "compiler/load/inputs.h"
#include "compiler/load/yaml_tree.h"
#include "ir/evaluate.h"

namespace fs = std::filesystem;

namespace nv::cli {

namespace expect {

// One destination of a flow with a concrete port: a selector or pod as written, or one
// group of a service's endpoint pods that share a target port.
struct Target {
  ir::Peer peer;
  std::optional<int> proto;      // unset: any protocol
  std::optional<uint16_t> port;  // unset: any port
  std::string empty;             // set: a service port with no endpoint pod (why)
  std::string via;               // through a service: "service port TCP/80"
};

// One side of a flow as written.
struct End {
  std::string text;
  ir::Peer peer;
  bool named = false;  // a pod or service of the inventory (needs pinning)
};

struct Flow {
  bool allow = true;
  End from, to;
  std::vector<Target> targets;
  std::string traffic;       // "TCP/8080", "TCP, any port"
  std::string name_traffic;  // "8080/TCP", "*/TCP"
};

struct Isolated {
  std::string what;  // "pods in namespace production with app=db"
  ir::Peer pods;
  std::vector<ir::Direction> dirs;
};

struct OnlyReach {
  End to;
  std::vector<Target> targets;
  std::vector<End> allowed;
  std::string traffic, name_traffic;
};

struct Side {
  std::string text;                    // the paths as written, or "the checked policies"
  std::shared_ptr<ir::PolicySet> set;  // null: the check's own policies
};

struct Compare {
  bool equiv = true;
  Side a, b;  // contains: a is outer, b is inner
  std::optional<End> from, to;
  bool loaded = true;
};

struct Item {
  std::string name, kind;
  ir::SourceSpan span;
  bool named = false;  // names pods or services: pin to the inventory
  std::variant<Flow, Isolated, OnlyReach, Compare> body;
};

}  // namespace expect

struct Expectations {
  std::string file;
  std::vector<expect::Item> items;
};

namespace {

using expect::Compare;
using expect::End;
using expect::Flow;
using expect::Isolated;
using expect::Item;
using expect::OnlyReach;
using expect::Side;
using expect::Target;
using load::MapReader;
using load::YNode;

constexpr const char* kApiVersion = "netverify.dev/v1alpha1";
constexpr const char* kKind = "Expectations";
constexpr const char* kKinds[] = {"mustAllow", "mustDeny",   "isolated",
                                  "onlyReach", "equivalent", "contains"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

bool dns_name(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return false;
  return true;
}

ir::Peer pod_peer(const std::vector<const ir::Pod*>& pods) {
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Pod);
  if (!pods.empty()) p.ns_name = pods.front()->ns;
  p.cidrs.emplace();
  for (const ir::Pod* pod : pods)
    for (const auto& a : pod->ips) p.cidrs->push_back({ir::Cidr::host(a), {}});
  return p;
}

std::string port_list(const std::vector<uint16_t>& ports) {
  std::string p;
  for (size_t i = 0; i < ports.size(); ++i) p += (i ? "," : "") + std::to_string(ports[i]);
  return p;
}

// For generated names: "80,443/TCP", "*/ANY".
std::string traffic_name(const std::vector<uint16_t>& ports, std::optional<int> proto) {
  return (ports.empty() ? std::string("*") : port_list(ports)) + "/" +
         (proto ? ir::proto_name(*proto) : std::string("ANY"));
}

// For messages: "TCP/80,443", "TCP, any port", "any protocol and port".
std::string traffic_text(const std::vector<uint16_t>& ports, std::optional<int> proto) {
  std::string pr = proto ? ir::proto_name(*proto) : std::string("any protocol");
  if (ports.empty()) return pr + (proto ? ", any port" : " and port");
  return pr + (proto ? "/" : ", port ") + port_list(ports);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

class Parser {
 public:
  Parser(Session& s, const std::string& file, const ExpectOptions& o)
      : s_(s), ctx_{s.diags, file, 0, true}, o_(o), dir_(fs::path(file).parent_path()) {}

  // `errors`: the error count before the YAML was parsed.
  std::shared_ptr<Expectations> parse(const std::vector<YNode>& docs, size_t errors) {
    const YNode* root = nullptr;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (docs[i].is_null()) continue;
      if (root) {
        s_.diags.report(ir::Code::NV4058,
                        {ctx_.file, static_cast<int>(i), docs[i].line, docs[i].col},
                        "an expectations file holds one YAML document; this is another");
        return nullptr;
      }
      root = &docs[i];
      ctx_.doc = static_cast<int>(i);
    }
    if (s_.diags.error_count() != errors) return nullptr;  // YAML syntax
    if (!root) {
      s_.diags.report(ir::Code::NV4058, {ctx_.file, 0, 0, 0}, "the expectations file is empty");
      return nullptr;
    }
    auto out = std::make_shared<Expectations>();
    out->file = ctx_.file;
    MapReader top(ctx_, *root, "");
    if (!top.ok()) return nullptr;
    auto api = top.string("apiVersion");
    auto kind = top.string("kind");
    const YNode* list = top.list("expectations");
    top.reject_unknown();
    if (s_.diags.error_count() != errors) return nullptr;
    if (!api || !kind) {
      ctx_.error(ir::Code::NV1022, *root,
                 std::string("the expectations file has no `") + (api ? "kind" : "apiVersion") +
                     "` (apiVersion: " + kApiVersion + ", kind: " + kKind + ")");
      return nullptr;
    }
    if (*api != kApiVersion) {
      ctx_.error(ir::Code::NV4050, *root->get("apiVersion"),
                 "apiVersion \"" + *api +
                     "\" is not an expectations file version netverify knows (expected " +
                     kApiVersion + ")");
      return nullptr;
    }
    if (*kind != kKind) {
      ctx_.error(ir::Code::NV4050, *root->get("kind"),
                 "kind \"" + *kind + "\" is not an expectations file (expected " + kKind + ")");
      return nullptr;
    }
    if (!list || list->items().empty()) {
      ctx_.error(ir::Code::NV1022, list ? *list : *root,
                 "`expectations` is missing or empty: nothing to check");
      return nullptr;
    }
    std::map<std::string, const YNode*> names;
    bool failed = false;  // every refusal reports an error (the fuzz target checks it)
    for (size_t i = 0; i < list->items().size(); ++i) {
      const YNode& n = list->items()[i];
      auto item = parse_item(n, "expectations[" + std::to_string(i) + "]");
      if (!item) {
        failed = true;
        continue;
      }
      const YNode* at = n.get("name") ? n.get("name") : &n;
      auto [it, fresh] = names.emplace(item->name, at);
      if (!fresh) {
        ctx_.error(ir::Code::NV4057, *at,
                   "two expectations are named \"" + item->name + "\"; give each its own `name`")
            .notes.push_back({ctx_.at(*it->second), "the first is here"});
        failed = true;
        continue;
      }
      out->items.push_back(std::move(*item));
    }
    if (failed || s_.diags.error_count() != errors) return nullptr;
    return out;
  }

 private:
  Session& s_;
  load::Ctx ctx_;
  const ExpectOptions& o_;
  fs::path dir_;
  bool named_ = false;  // the item being parsed names pods or services

  std::optional<Item> parse_item(const YNode& n, const std::string& path) {
    MapReader r(ctx_, n, path);
    auto name = r.string("name");
    std::vector<std::pair<std::string, const YNode*>> present;
    for (const char* k : kKinds)
      if (const YNode* v = r.get(k)) present.emplace_back(k, v);
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if (present.size() != 1) {
      ctx_.error(ir::Code::NV4051, n,
                 present.empty() ? "`" + path +
                                       "` says nothing to check: give one of mustAllow, mustDeny, "
                                       "isolated, onlyReach, "
                                       "equivalent, contains"
                                 : "`" + path + "` sets both " + present[0].first + " and " +
                                       present[1].first + "; write one expectation per list item");
      return std::nullopt;
    }
    Item item;
    item.span = ctx_.at(n);
    named_ = false;
    const auto& [key, body] = present[0];
    std::string bpath = path + "." + key;
    std::string generated;
    if (key == "mustAllow" || key == "mustDeny") {
      auto f = flow(*body, bpath, key == "mustAllow");
      if (!f) return std::nullopt;
      item.kind = f->allow ? "must-allow" : "must-deny";
      generated = item.kind + " " + f->from.text + " -> " + f->to.text + ":" + f->name_traffic;
      item.body = std::move(*f);
    } else if (key == "isolated") {
      auto iso = isolated(*body, bpath);
      if (!iso) return std::nullopt;
      item.kind = "isolated";
      std::vector<std::string> d;
      for (auto dir : iso->dirs) d.push_back(ir::name(dir));
      generated = "isolated " + iso->what + " (" + join(d, ", ") + ")";
      item.body = std::move(*iso);
    } else if (key == "onlyReach") {
      auto o = only_reach(*body, bpath);
      if (!o) return std::nullopt;
      item.kind = "only-reach";
      std::vector<std::string> a;
      for (const auto& e : o->allowed) a.push_back(e.text);
      generated =
          "only-reach " + o->to.text + ":" + o->name_traffic + " from [" + join(a, ", ") + "]";
      item.body = std::move(*o);
    } else {
      auto c = compare(*body, bpath, key == "equivalent");
      if (!c) return std::nullopt;
      item.kind = key;
      generated = c->equiv ? "equivalent " + c->a.text + " and " + c->b.text
                           : c->a.text + " contains " + c->b.text;
      item.body = std::move(*c);
    }
    item.named = named_;
    item.name = name && !name->empty() ? *name : generated;
    return item;
  }

  // An endpoint: NS/pod/NAME, NS/svc/NAME (the inventory's), or what `reach --from` takes.
  // `role` is "source", "destination" or "scope".
  std::optional<std::pair<End, const ir::Service*>> endpoint(const YNode& n,
                                                             const std::string& path,
                                                             const char* role) {
    if (!n.is_scalar()) {
      ctx_.error(ir::Code::NV1021, n,
                 "`" + path + "` must be a string, found a " + load::kind_name(n.kind));
      return std::nullopt;
    }
    if (auto why = load::not_a_string(n)) {
      ctx_.error(ir::Code::NV1021, n, "`" + path + "` must be a string: " + *why);
      return std::nullopt;
    }
    End e;
    e.text = n.value;
    auto parts = split(std::string(n.value), '/');
    static const std::vector<std::string> pod_words = {"pod", "pods"},
                                          svc_words = {"svc", "service", "services"};
    auto is = [](const std::vector<std::string>& ws, const std::string& w) {
      return std::find(ws.begin(), ws.end(), w) != ws.end();
    };
    if (parts.size() == 3 && (is(pod_words, parts[1]) || is(svc_words, parts[1])) &&
        dns_name(parts[0]) && dns_name(parts[2])) {
      const ir::Inventory& inv = s_.inventory;
      bool pod = is(pod_words, parts[1]);
      std::string hint = inv.pods.empty() && inv.services.empty()
                             ? " (no inventory was given: pods and services need --cluster)"
                             : "";
      if (pod) {
        const ir::Pod* p = inv.find_pod(parts[0], parts[2]);
        if (!p) {
          ctx_.error(
              ir::Code::NV4053, n,
              "`" + path + "`: no pod " + parts[0] + "/" + parts[2] + " in the inventory" + hint);
          return std::nullopt;
        }
        if (p->host_network || p->ips.empty()) {
          ctx_.error(
              ir::Code::NV4059, n,
              "`" + path + "`: pod " + p->id() +
                  (p->host_network
                       ? " uses the host network, so policy sees it as its node; name the node's "
                         "address instead"
                       : " has no address"));
          return std::nullopt;
        }
        e.peer = pod_peer({p});
        e.named = named_ = true;
        return std::pair{e, nullptr};
      }
      const ir::Service* svc = inv.find_service(parts[0], parts[2]);
      if (!svc) {
        ctx_.error(
            ir::Code::NV4053, n,
            "`" + path + "`: no service " + parts[0] + "/" + parts[2] + " in the inventory" + hint);
        return std::nullopt;
      }
      if (std::string(role) != "destination") {
        ctx_.error(ir::Code::NV4059, n,
                   "`" + path +
                       "`: a service can only be a destination (with a port); name its pods with "
                       "NS/SELECTOR here");
        return std::nullopt;
      }
      e.named = named_ = true;
      return std::pair{e, svc};
    }
    std::string err;
    auto p = parse_endpoint_spec(std::string(n.value), err);
    if (!p) {
      ctx_.error(ir::Code::NV4052, n,
                 "`" + path + "`: \"" + std::string(n.value) + "\": " + err +
                     " (or NS/pod/NAME, NS/svc/NAME)");
      return std::nullopt;
    }
    e.peer = std::move(*p);
    return std::pair{e, nullptr};
  }

  // `port`: one number or a list; `protocol`: TCP (default), UDP, SCTP, a number or ANY.
  bool ports(MapReader& r, const std::string& path, std::vector<uint16_t>& out,
             std::optional<int>& proto, const YNode*& port_node) {
    bool ok = true;
    port_node = r.get("port");
    if (port_node) {
      std::vector<const YNode*> items;
      if (port_node->is_seq())
        for (const auto& i : port_node->items()) items.push_back(&i);
      else
        items.push_back(port_node);
      if (port_node->is_seq() && items.empty()) {
        ctx_.error(ir::Code::NV1022, *port_node,
                   "`" + path + ".port` is an empty list; omit it for every port");
        ok = false;
      }
      for (const YNode* i : items) {
        auto v = load::as_integer(*i);
        if (!v) {
          std::string found = i->is_scalar() ? "\"" + std::string(i->value) + "\""
                                             : std::string("a ") + load::kind_name(i->kind);
          ctx_.error(ir::Code::NV1021, *i,
                     "`" + path + ".port` must be a port number or a list of them, found " + found);
          ok = false;
        } else if (*v < 1 || *v > 65535) {
          ctx_.error(ir::Code::NV4054, *i, "port " + std::to_string(*v) + " is outside 1..65535");
          ok = false;
        } else if (std::find(out.begin(), out.end(), *v) == out.end()) {
          out.push_back(static_cast<uint16_t>(*v));
        }
      }
    }
    proto = ir::kTCP;
    if (auto t = r.string("protocol")) {
      if (*t == "ANY" || *t == "any") {
        proto.reset();
      } else if (auto p = ir::parse_proto(*t); p && *p >= 0 && *p <= 255) {
        proto = *p;
      } else {
        ctx_.error(ir::Code::NV4054, *r.node().get("protocol"),
                   "protocol \"" + *t + "\" is not TCP, UDP, SCTP, a protocol number or ANY");
        ok = false;
      }
    }
    return ok;
  }

  // The destinations of a flow: one per port, and a service's ports through its endpoints.
  std::optional<std::vector<Target>> targets(const YNode& at, const End& to, const ir::Service* svc,
                                             const std::vector<uint16_t>& ports,
                                             std::optional<int> proto, const YNode* port_node) {
    std::vector<Target> out;
    if (!svc) {
      if (ports.empty()) out.push_back({to.peer, proto, std::nullopt, {}, {}});
      for (uint16_t p : ports) out.push_back({to.peer, proto, p, {}, {}});
      return out;
    }
    std::vector<const ir::ServicePort*> sps;
    for (const auto& sp : svc->ports) {
      bool proto_ok = !proto || sp.proto == *proto;
      bool port_ok = ports.empty() || std::find(ports.begin(), ports.end(), sp.port) != ports.end();
      if (proto_ok && port_ok) sps.push_back(&sp);
    }
    for (uint16_t p : ports)
      if (std::none_of(sps.begin(), sps.end(),
                       [&](const ir::ServicePort* sp) { return sp->port == p; })) {
        std::string has;
        for (const auto& sp : svc->ports)
          has +=
              (has.empty() ? "" : ", ") + ir::proto_name(sp.proto) + "/" + std::to_string(sp.port);
        ctx_.error(ir::Code::NV4053, port_node ? *port_node : at,
                   "service " + svc->id() + " has no port " +
                       (proto ? ir::proto_name(*proto) : "ANY") + "/" + std::to_string(p) +
                       (has.empty() ? " (it has no ports)" : " (it has " + has + ")"));
        return std::nullopt;
      }
    if (sps.empty()) {
      ctx_.error(ir::Code::NV4053, at,
                 "service " + svc->id() + " has no " + (proto ? ir::proto_name(*proto) + " " : "") +
                     "port");
      return std::nullopt;
    }
    for (const ir::ServicePort* sp : sps) {
      std::map<uint16_t, std::vector<const ir::Pod*>> by_target;
      for (const ir::Pod* p : s_.inventory.endpoints(*svc)) {
        if (p->host_network) {
          ctx_.error(
              ir::Code::NV4059, at,
              "service " + svc->id() + " has endpoint pod " + p->id() +
                  " on the host network, which policy sees as its node; check cannot pin it");
          return std::nullopt;
        }
        uint16_t target = sp->target_port;
        if (!sp->target_name.empty()) {
          auto resolved = p->named_port(sp->target_name, sp->proto);
          if (!resolved) continue;  // not an endpoint for this port
          target = *resolved;
        }
        if (!p->ips.empty()) by_target[target].push_back(p);
      }
      if (by_target.empty())
        out.push_back({{},
                       sp->proto,
                       sp->port,
                       "service " + svc->id() + " has no endpoint pod for port " +
                           ir::proto_name(sp->proto) + "/" + std::to_string(sp->port),
                       {}});
      std::string via =
          "service port " + ir::proto_name(sp->proto) + "/" + std::to_string(sp->port);
      for (const auto& [target, pods] : by_target)
        out.push_back({pod_peer(pods), sp->proto, target, {}, via});
    }
    return out;
  }

  std::optional<Flow> flow(const YNode& n, const std::string& path, bool allow) {
    MapReader r(ctx_, n, path);
    const YNode* from = r.get("from");
    const YNode* to = r.get("to");
    Flow f;
    f.allow = allow;
    std::vector<uint16_t> port_list;
    std::optional<int> proto;
    const YNode* port_node = nullptr;
    bool ok = ports(r, path, port_list, proto, port_node);
    r.reject_unknown();
    if (!r.ok() || !ok) return std::nullopt;
    if (!from || !to) {
      ctx_.error(ir::Code::NV1022, n, "`" + path + "` needs `from` and `to`");
      return std::nullopt;
    }
    auto src = endpoint(*from, path + ".from", "source");
    auto dst = endpoint(*to, path + ".to", "destination");
    if (!src || !dst) return std::nullopt;
    f.from = src->first;
    f.to = dst->first;
    auto t = targets(*to, f.to, dst->second, port_list, proto, port_node);
    if (!t) return std::nullopt;
    f.targets = std::move(*t);
    f.traffic = traffic_text(port_list, proto);
    f.name_traffic = traffic_name(port_list, proto);
    return f;
  }

  std::optional<Isolated> isolated(const YNode& n, const std::string& path) {
    MapReader r(ctx_, n, path);
    auto ns = r.string("namespace");
    auto sel = r.string("selector");
    const YNode* dirs = r.list("directions");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if (!ns) {
      ctx_.error(ir::Code::NV1022, n,
                 "`" + path + "` needs `namespace` (a name, or * for every namespace)");
      return std::nullopt;
    }
    Isolated iso;
    std::string err;
    auto p = parse_endpoint_spec(*ns + "/", err);
    if (!p || ns->empty() || ns->find('/') != std::string::npos) {
      ctx_.error(ir::Code::NV4052, *n.get("namespace"),
                 "`" + path + ".namespace`: \"" + *ns +
                     "\" is not a namespace name (or * for every namespace)");
      return std::nullopt;
    }
    if (sel) {
      auto ps = parse_label_selector(*sel, err);
      if (!ps) {
        ctx_.error(ir::Code::NV4052, *n.get("selector"),
                   "`" + path + ".selector`: \"" + *sel + "\": " + err);
        return std::nullopt;
      }
      if (!ps->is_all()) p->pod_selector = std::move(*ps);
    }
    iso.pods = std::move(*p);
    iso.what = *ns == "*" ? "any namespace" : "namespace " + *ns;
    if (sel && !sel->empty()) iso.what += " with " + *sel;
    if (!dirs) iso.dirs = {ir::Direction::Ingress, ir::Direction::Egress};
    bool ok = true;
    if (dirs) {
      if (dirs->items().empty()) {
        ctx_.error(ir::Code::NV1022, *dirs, "`" + path + ".directions` is empty; omit it for both");
        return std::nullopt;
      }
      for (const auto& d : dirs->items()) {
        std::optional<ir::Direction> dir;
        if (d.is_scalar() && (d.value == "ingress" || d.value == "Ingress"))
          dir = ir::Direction::Ingress;
        if (d.is_scalar() && (d.value == "egress" || d.value == "Egress"))
          dir = ir::Direction::Egress;
        if (!dir || std::find(iso.dirs.begin(), iso.dirs.end(), *dir) != iso.dirs.end()) {
          ctx_.error(ir::Code::NV4055, d,
                     dir ? "direction " + std::string(d.value) + " is listed twice"
                         : "a direction is ingress or egress, found " +
                               (d.is_scalar() ? "\"" + std::string(d.value) + "\""
                                              : std::string("a ") + load::kind_name(d.kind)));
          ok = false;
          continue;
        }
        iso.dirs.push_back(*dir);
      }
    }
    if (!ok) return std::nullopt;
    return iso;
  }

  std::optional<OnlyReach> only_reach(const YNode& n, const std::string& path) {
    MapReader r(ctx_, n, path);
    const YNode* to = r.get("to");
    const YNode* allowed = r.list("allowedFrom");
    std::vector<uint16_t> port_list;
    std::optional<int> proto;
    const YNode* port_node = nullptr;
    bool ok = ports(r, path, port_list, proto, port_node);
    r.reject_unknown();
    if (!r.ok() || !ok) return std::nullopt;
    const YNode* raw = n.get("allowedFrom");
    if (raw && !raw->is_null() && !allowed) return std::nullopt;  // not a list: reported
    if (!to || !allowed) {
      ctx_.error(ir::Code::NV1022, n,
                 "`" + path + "` needs `to` and `allowedFrom` (a list; [] for nobody)");
      return std::nullopt;
    }
    OnlyReach o;
    auto dst = endpoint(*to, path + ".to", "destination");
    if (!dst) return std::nullopt;
    o.to = dst->first;
    if (!dst->second && (dst->first.peer.kinds & ~ir::mask(ir::EndpointKind::Pod))) {
      ctx_.error(
          ir::Code::NV4059, *to,
          "`" + path +
              ".to` must be pods (NS/SELECTOR, NS/pod/NAME or NS/svc/NAME): who reaches an address "
              "outside the pod network is not decided by its own ingress policy; use mustDeny");
      return std::nullopt;
    }
    for (size_t i = 0; i < allowed->items().size(); ++i) {
      auto e =
          endpoint(allowed->items()[i], path + ".allowedFrom[" + std::to_string(i) + "]", "source");
      if (!e) {
        ok = false;
        continue;
      }
      o.allowed.push_back(e->first);
    }
    if (!ok) return std::nullopt;
    auto t = targets(*to, o.to, dst->second, port_list, proto, port_node);
    if (!t) return std::nullopt;
    o.targets = std::move(*t);
    o.traffic = traffic_text(port_list, proto);
    o.name_traffic = traffic_name(port_list, proto);
    return o;
  }

  // A policy set: a path or a list of paths (files or directories), relative to the
  // expectations file's directory.
  std::optional<Side> side(const YNode* n, const std::string& path) {
    Side sd;
    if (!n) {
      sd.text = "the checked policies";
      return sd;
    }
    std::vector<const YNode*> items;
    if (n->is_seq())
      for (const auto& i : n->items()) items.push_back(&i);
    else
      items.push_back(n);
    if (items.empty()) {
      ctx_.error(ir::Code::NV4056, *n, "`" + path + "` is an empty list of policy files");
      return std::nullopt;
    }
    std::vector<std::string> paths, texts;
    for (const YNode* i : items) {
      if (!i->is_scalar() || load::not_a_string(*i)) {
        ctx_.error(ir::Code::NV1021, *i, "`" + path + "` must be a path or a list of paths");
        return std::nullopt;
      }
      if (i->value == "-" || i->value.empty()) {
        ctx_.error(
            ir::Code::NV4056, *i,
            "`" + path + "`: " +
                (i->value.empty() ? "an empty path" : "standard input (-) cannot be named here"));
        return std::nullopt;
      }
      fs::path p(i->value);
      paths.push_back((p.is_absolute() || dir_.empty() ? p : dir_ / p).lexically_normal().string());
      texts.push_back(std::string(i->value));
      std::error_code ec;
      if (o_.read_policy_files && !fs::exists(paths.back(), ec)) {
        ctx_.error(
            ir::Code::NV1001, *i,
            "`" + path + "`: cannot read " + paths.back() + ": no such file or directory" +
                (p.is_absolute() ? ""
                                 : " (paths are relative to the expectations file's directory)"));
        return std::nullopt;
      }
    }
    sd.text = join(texts, " ");
    if (!o_.read_policy_files) return sd;
    size_t errors = s_.diags.error_count();
    load::InputSet in(s_.sources, s_.diags);
    for (const auto& p : paths) in.add_path(p);
    sd.set = std::make_shared<ir::PolicySet>();
    LoadStats stats;
    load_policies(in.objects(), o_.load, *sd.set, s_.diags, stats);
    if (s_.diags.error_count() != errors) return std::nullopt;
    return sd;
  }

  std::optional<Compare> compare(const YNode& n, const std::string& path, bool equiv) {
    MapReader r(ctx_, n, path);
    const char* ka = equiv ? "a" : "outer";
    const char* kb = equiv ? "b" : "inner";
    const YNode* a = r.get(ka);
    const YNode* b = r.get(kb);
    const YNode* from = r.get("from");
    const YNode* to = r.get("to");
    r.reject_unknown();
    if (!r.ok()) return std::nullopt;
    if (!a && !b) {
      ctx_.error(ir::Code::NV4056, n,
                 "`" + path + "` names no policy files: give `" + kb + "` (and `" + ka +
                     "`, or leave it out for the checked policies)");
      return std::nullopt;
    }
    Compare c;
    c.equiv = equiv;
    c.loaded = o_.read_policy_files;
    if (from) {
      auto e = endpoint(*from, path + ".from", "source");
      if (!e) return std::nullopt;
      c.from = e->first;
    }
    if (to) {
      auto e = endpoint(*to, path + ".to", "scope");
      if (!e) return std::nullopt;
      c.to = e->first;
    }
    auto sa = side(a, path + "." + ka);
    auto sb = side(b, path + "." + kb);
    if (!sa || !sb) return std::nullopt;
    c.a = std::move(*sa);
    c.b = std::move(*sb);
    return c;
  }
};

std::shared_ptr<const Expectations> parse_text(const std::string& name, std::string text,
                                               Session& s, const ExpectOptions& o) {
  size_t errors = s.diags.error_count();
  const std::string& stored = s.sources.add(name, std::move(text));
  std::pmr::monotonic_buffer_resource arena;  // the trees are gone once parsed
  std::vector<YNode> docs = load::parse_yaml(stored, name, s.diags, arena);
  return Parser(s, name, o).parse(docs, errors);
}

// ---------------------------------------------------------------------------------------
// Running.

using verifier::QueryOptions;
using verifier::Witness;
using Status = ExpectationResult::Status;

std::string verdict_text(const ir::PolicySet& ps, const Witness& w) {
  ir::Verdict v = ir::evaluate(ps, *w.inv, w.pkt);
  return std::string(v.allowed ? "ALLOWED" : "DENIED") + "\n" + ir::explain(v, w.pkt);
}

std::string indent(const std::string& text, const std::string& by) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out += by + text.substr(pos, nl - pos) + "\n";
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

// The witness packet and how the checked policies decide it.
std::string witness_text(const ir::PolicySet& ps, const Witness& w, const std::string& under = "") {
  return w.text() + "  " + under + verdict_text(ps, w);
}

std::string proved(const QueryOptions& opt) {
  return " (proved over " + std::string(opt.pin ? "the inventory's pods" : "every possible pod") +
         ", " + families_text(opt.families) + ")";
}

// "TCP/8080", or "service port TCP/80, TCP/8080 on its endpoints".
std::string target_text(const Target& t) {
  std::vector<uint16_t> ports;
  if (t.port) ports.push_back(*t.port);
  std::string text = traffic_text(ports, t.proto);
  return t.via.empty() ? text : t.via + ", " + text + " on its endpoints";
}

void run_flow(const Flow& f, Session& s, const QueryOptions& opt, ExpectationResult& out) {
  std::string what = "from " + f.from.text + " to " + f.to.text;
  for (const Target& t : f.targets) {
    if (!t.empty.empty()) {
      out.status = Status::Fail;
      out.message = t.empty + ": nothing to " + (f.allow ? "allow" : "deny") + " (fails closed)";
      return;
    }
    verifier::Scope scope{f.from.peer, t.peer, t.proto, t.port};
    // The pinned query leaves out a node and its own pods, which always talk: a deny
    // that covers such a pair cannot hold, whatever the policies say.
    if (!f.allow && opt.pin)
      if (size_t local = node_local_pairs(*opt.pin, scope, opt.families)) {
        out.status = Status::Fail;
        out.message = std::to_string(local) + (local == 1 ? " pair " : " pairs ") + what + " (" +
                      target_text(t) + (local == 1 ? ") is" : ") are") +
                      " a node address and one of that node's own pods, which always talk (the "
                      "node-local rule): no policy denies them";
        return;
      }
    auto r = verifier::reach(s.policies, scope, opt);
    using A = verifier::ReachResult::Answer;
    if (r.answer == A::NoSuchTraffic) {
      out.status = Status::Fail;
      out.message = "no endpoint pair matches " + what + " (" + target_text(t) +
                    "): a selector that matches nothing fails closed";
      return;
    }
    const auto& bad = f.allow ? r.denied : r.allowed;
    if (bad) {
      out.status = Status::Fail;
      out.message = std::string(f.allow ? "a packet " + what + " is denied"
                                        : "a packet " + what + " is allowed") +
                    " (" + target_text(t) + ")";
      out.witness = witness_text(s.policies, *bad);
      return;
    }
  }
  out.message = std::string("every packet ") + what + ", " + f.traffic + ", is " +
                (f.allow ? "allowed" : "denied") + proved(opt);
}

// The checked policies with one more tier holding one netverify-made policy: how the
// isolation and only-reach expectations turn their question into a verifier query.
ir::PolicySet with_probe(const ir::PolicySet& ps, const ir::Tier& tier, ir::Policy p) {
  ir::PolicySet probe = ps;
  probe.add_tier(tier);
  p.dialect = "netverify";
  p.tier = tier.name;
  probe.add(std::move(p));
  probe.finalize();
  return probe;
}

void run_isolated(const Isolated& iso, Session& s, const QueryOptions& opt,
                  ExpectationResult& out) {
  if (opt.pin) {
    bool any = false;
    for (const auto& p : opt.pin->pods)
      if (!p.host_network && !p.ips.empty() &&
          ir::matches(iso.pods, ir::Endpoint::of_pod(p, p.ips.front().family), *opt.pin))
        any = true;
    if (!any) {
      out.status = Status::Fail;
      out.message = "no pod of the inventory is in " + iso.what +
                    ": a namespace or selector that matches nothing "
                    "fails closed";
      return;
    }
  }
  for (ir::Direction d : iso.dirs) {
    // The checked policies with one more tier, after every other, that isolates the pods
    // and denies by default: it changes a verdict exactly when a packet to (from) one of
    // them falls through every tier to the final allow, that is, when the pod is not
    // isolated (ir/model.h: after the last tier, traffic is allowed).
    ir::Policy p;
    p.kind = "IsolationProbe";
    p.name = "isolated";
    p.subject = iso.pods;
    p.dir(d).isolates = true;
    ir::PolicySet probe = with_probe(
        s.policies,
        {"~netverify-isolation-probe", std::numeric_limits<double>::infinity(), ir::Action::Deny},
        std::move(p));
    verifier::Scope scope;
    (d == ir::Direction::Ingress ? scope.to : scope.from) = iso.pods;
    auto r = verifier::compare(probe, s.policies, verifier::Relation::Contains, scope, opt);
    if (!r.holds) {
      out.status = Status::Fail;
      out.message = "a pod in " + iso.what + " is not isolated for " + ir::name(d) +
                    ": a packet that no policy decides is allowed";
      out.witness = witness_text(s.policies, *r.witness);
      return;
    }
  }
  std::vector<std::string> dirs;
  for (auto d : iso.dirs) dirs.push_back(ir::name(d));
  out.message =
      "every pod in " + iso.what + " is isolated for " + join(dirs, " and ") + proved(opt);
}

void run_only_reach(const OnlyReach& o, Session& s, const QueryOptions& opt,
                    ExpectationResult& out) {
  std::vector<std::string> allowed;
  for (const auto& e : o.allowed) allowed.push_back(e.text);
  std::string who = allowed.empty() ? "nobody" : join(allowed, ", ");
  for (const Target& t : o.targets) {
    if (!t.empty.empty()) {
      out.status = Status::Fail;
      out.message = t.empty + " (fails closed)";
      return;
    }
    // The checked policies with one more tier, before every other, whose policy denies the
    // allowed sources at the destination's ingress and passes everything else on: what it
    // still allows to the destination comes from someone not on the list.
    ir::Policy p;
    p.kind = "OnlyReachProbe";
    p.name = "only-reach";
    p.subject = t.peer;
    p.dir(ir::Direction::Ingress).isolates = true;
    if (!o.allowed.empty()) {
      ir::Rule deny;
      deny.action = ir::Action::Deny;
      for (const auto& e : o.allowed) deny.peers.push_back(e.peer);
      deny.path = "allowedFrom";
      p.dir(ir::Direction::Ingress).rules.push_back(std::move(deny));
    }
    ir::PolicySet probe = with_probe(
        s.policies,
        {"!netverify-only-reach-probe", -std::numeric_limits<double>::infinity(), ir::Action::Pass},
        std::move(p));
    verifier::Scope scope{std::nullopt, t.peer, t.proto, t.port};
    auto r = verifier::reach(probe, scope, opt);
    using A = verifier::ReachResult::Answer;
    if (r.answer == A::NoSuchTraffic) {
      out.status = Status::Fail;
      out.message =
          "no endpoint matches " + o.to.text + ": a selector that matches nothing fails closed";
      return;
    }
    if (r.allowed) {
      // The probe only denies: the checked policies must allow this packet too.
      ir::Verdict v = ir::evaluate(s.policies, *r.allowed->inv, r.allowed->pkt);
      if (!v.allowed)
        throw verifier::InternalError(
            "only-reach: the probe allows a packet the checked policies deny: " +
            r.allowed->packet_line());
      out.status = Status::Fail;
      out.message =
          "a source other than " + who + " reaches " + o.to.text + " (" + target_text(t) + ")";
      out.witness = witness_text(s.policies, *r.allowed);
      return;
    }
  }
  out.message = "no one but " + who + " reaches " + o.to.text + ", " + o.traffic + proved(opt);
}

void run_compare(const Compare& c, Session& s, const QueryOptions& opt, ExpectationResult& out) {
  if (!c.loaded)
    throw std::logic_error("expectations parsed without their policy files cannot run");
  const ir::PolicySet& a = c.a.set ? *c.a.set : s.policies;
  const ir::PolicySet& b = c.b.set ? *c.b.set : s.policies;
  verifier::Scope scope;
  if (c.from) scope.from = c.from->peer;
  if (c.to) scope.to = c.to->peer;
  auto rel = c.equiv ? verifier::Relation::Equiv : verifier::Relation::Contains;
  auto r = verifier::compare(a, b, rel, scope, opt);
  if (r.holds) {
    out.message =
        c.equiv
            ? c.a.text + " and " + c.b.text + " admit exactly the same packets" + proved(opt)
            : "every packet that " + c.b.text + " admits is admitted by " + c.a.text + proved(opt);
    return;
  }
  const Witness& w = *r.witness;
  const std::string& yes = r.a_allows ? c.a.text : c.b.text;
  const std::string& no = r.a_allows ? c.b.text : c.a.text;
  out.status = Status::Fail;
  out.message = "a packet that " + yes + " allows and " + no + " denies";
  out.witness = w.text() + indent("under " + c.a.text + ": " + verdict_text(a, w), "  ") +
                indent("under " + c.b.text + ": " + verdict_text(b, w), "  ");
}

}  // namespace

std::shared_ptr<const Expectations> load_expectations(const std::string& path, Session& s) {
  return load_expectations(path, s, ExpectOptions{});
}

std::shared_ptr<const Expectations> load_expectations_text(const std::string& name,
                                                           std::string text, Session& s) {
  return load_expectations_text(name, std::move(text), s, ExpectOptions{});
}

std::shared_ptr<const Expectations> load_expectations(const std::string& path, Session& s,
                                                      const ExpectOptions& o) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return parse_text("<stdin>", std::move(text), s, o);
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    s.diags.report(ir::Code::NV1001, {path, 0, 0, 0}, "the expectations file is a directory");
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  if (in) buf << in.rdbuf();
  if (!in || in.bad()) {
    s.diags.report(ir::Code::NV1001, {path, 0, 0, 0}, "cannot read the expectations file");
    return nullptr;
  }
  return parse_text(path, buf.str(), s, o);
}

std::shared_ptr<const Expectations> load_expectations_text(const std::string& name,
                                                           std::string text, Session& s,
                                                           const ExpectOptions& o) {
  return parse_text(name, std::move(text), s, o);
}

std::vector<ExpectationResult> run_expectations(const Expectations& e, Session& s,
                                                const verifier::QueryOptions& opt) {
  std::vector<ExpectationResult> results;
  for (const Item& item : e.items) {
    ExpectationResult r;
    r.name = item.name;
    r.kind = item.kind;
    r.span = item.span;
    QueryOptions o = opt;
    if (item.named && !o.pin) o.pin = &s.inventory;
    try {
      std::visit(
          [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, Flow>) run_flow(body, s, o, r);
            if constexpr (std::is_same_v<T, Isolated>) run_isolated(body, s, o, r);
            if constexpr (std::is_same_v<T, OnlyReach>) run_only_reach(body, s, o, r);
            if constexpr (std::is_same_v<T, Compare>) run_compare(body, s, o, r);
          },
          item.body);
    } catch (const verifier::SolverUnknown& u) {
      r.status = Status::Unknown;
      r.message = u.what();
      r.witness.clear();
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace nv::cli
