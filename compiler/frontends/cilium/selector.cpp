// Cilium endpoint selectors: Kubernetes LabelSelectors over the labels of a security
// identity (pkg/policy/api/selector.go, pkg/labels), scoped to namespaces as
// pkg/k8s/apis/cilium.io/utils/utils.go does.
#include <cctype>

#include "compiler/frontends/cilium/lower.h"
#include "ir/inventory.h"

namespace nv::cilium {

using load::MapReader;
using load::YNode;

namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters (apimachinery).
bool name_part(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// A lowercase RFC 1123 subdomain.
bool dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view l = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
    for (char c : l)
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
            c == '-'))
        return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool valid_key(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return name_part(key);
  return dns_subdomain(key.substr(0, slash)) && name_part(key.substr(slash + 1));
}

bool valid_value(std::string_view v) { return v.empty() || name_part(v); }

// Cilium's reserved identities, as `reserved:<name>` labels (pkg/labels/reserved.go).
constexpr std::string_view kReservedNames[] = {
    "host", "remote-node", "world", "world-ipv4", "world-ipv6", "health", "init",
    "unmanaged", "ingress", "kube-apiserver", "none", "all"};

bool reserved_name(std::string_view s) {
  for (auto r : kReservedNames)
    if (s == r) return true;
  return false;
}

// Whether Cilium's default identity label filter keeps a pod label
// (pkg/labelsfilter/filter.go defaultLabelPrefixCfg): patterns match at the start of the
// key; a label is kept unless an ignore pattern matches and no longer include pattern does.
bool kept_by_default_filter(std::string_view key) {
  auto starts = [&](std::string_view p) { return key.substr(0, p.size()) == p; };
  size_t included = 0, ignored = 0;
  for (std::string_view p : {"io.kubernetes.pod.namespace", "io.cilium.k8s.namespace.labels",
                             "app.kubernetes.io"})
    if (starts(p)) included = std::max(included, p.size());
  auto ignore = [&](size_t len) {
    if (len && (ignored == 0 || len < ignored)) ignored = len;
  };
  for (std::string_view p : {"io.kubernetes", "kubernetes.io", "k8s.io", "pod-template-generation",
                             "pod-template-hash", "controller-revision-hash", "etcd_node"})
    if (starts(p)) ignore(p.size());
  if (starts("annotation")) ignore(key.size());  // `annotation.*`
  if (auto at = key.rfind("beta.kubernetes.io"); at != std::string_view::npos)
    ignore(at + std::string_view("beta.kubernetes.io").size());  // `.*beta\.kubernetes\.io`
  return ignored == 0 || included > ignored;
}

enum class Op : uint8_t { Eq, In, NotIn, Exists, DoesNotExist };

bool holds_when_absent(Op op) { return op == Op::NotIn || op == Op::DoesNotExist; }

ir::Selector make(const std::string& key, Op op, const std::vector<std::string>& values) {
  switch (op) {
    case Op::Eq: return ir::Selector::eq(key, values.at(0));
    case Op::In: return ir::Selector::in(key, values);
    case Op::NotIn: return ir::Selector::not_in(key, values);
    case Op::Exists: return ir::Selector::has(key);
    case Op::DoesNotExist: return ir::Selector::negate(ir::Selector::has(key));
  }
  return ir::Selector::all();
}

constexpr std::string_view kNsLabel = "io.kubernetes.pod.namespace";
constexpr std::string_view kNsLabelsPrefix = "io.cilium.k8s.namespace.labels.";

struct Reader {
  load::Ctx& ctx;
  EndpointSelector out;
  bool ok = true;

  // One requirement; `at` is where to report problems.
  void add(const std::string& raw, Op op, const std::vector<std::string>& values, const YNode& at,
           bool from_match_labels) {
    ++out.requirements;
    // pkg/labels parseSource: `$name` is a reserved label; `src:key` has a source; a key
    // without one is `any:` (GetExtendedKeyFrom).
    std::string source, key = raw;
    if (!raw.empty() && raw[0] == '$') {
      source = "reserved", key = raw.substr(1);
    } else if (auto colon = raw.find(':'); colon != std::string::npos) {
      source = raw.substr(0, colon), key = raw.substr(colon + 1);
    }
    if (source == "reserved") {
      if (!reserved_name(key))
        return fail(ir::Code::NV6005, at, "unknown reserved label \"" + raw + "\"");
      out.reserved.push_back({key, holds_when_absent(op),
                              from_match_labels && values.size() == 1 && values[0].empty()});
      return;
    }
    if (!source.empty() && source != "k8s" && source != "any")
      return fail(ir::Code::NV6003, at,
                  "label source \"" + source + "\" in \"" + raw +
                      "\" is not supported (pod labels have source k8s; write `k8s:" + key +
                      "`, `any:" + key + "` or `" + key + "`)");
    if (!valid_key(key))
      return fail(ir::Code::NV6003, at, "invalid label key \"" + raw + "\"");
    for (const auto& v : values)
      if (!valid_value(v)) return fail(ir::Code::NV6004, at, "invalid label value \"" + v + "\"");
    if (!holds_when_absent(op)) out.holds_when_absent = false;

    if (key == kNsLabel) {
      out.names_namespace = true;
      if (source == "k8s" && from_match_labels && op == Op::Eq)
        out.k8s_ns_match = values[0];
      else
        out.ns.push_back(make(ir::kNamespaceNameLabel, op, values));
      return;
    }
    if (key.rfind(kNsLabelsPrefix, 0) == 0) {
      std::string ns_key = key.substr(kNsLabelsPrefix.size());
      if (!valid_key(ns_key))
        return fail(ir::Code::NV6003, at, "invalid namespace label key \"" + ns_key + "\" in \"" + raw + "\"");
      out.has_ns_labels = true;
      out.ns.push_back(make(ns_key, op, values));
      return;
    }
    // The pod's service account (pkg/k8s/apis/cilium.io/const.go PolicyLabelServiceAccount,
    // set from spec.serviceAccountName): the inventory's service-account label.
    if (key == "io.cilium.k8s.policy.serviceaccount") {
      out.pod.push_back(make(ir::kServiceAccountLabel, op, values));
      return;
    }
    if (key == "io.cilium.k8s.policy.cluster")
      return fail(ir::Code::NV6005, at,
                  "selecting by cluster name (" + raw +
                      ") is not supported: the inventory does not say the cluster's name");
    if (key.rfind("io.cilium.", 0) == 0)
      return fail(ir::Code::NV6005, at,
                  "\"" + raw + "\" is a label Cilium manages itself; netverify cannot model it");
    if (source != "k8s" && reserved_name(key))
      return fail(ir::Code::NV6005, at,
                  "\"" + raw + "\" also matches Cilium's reserved:" + key +
                      " identity (a key without a source is any:); write `k8s:" + key + "`");
    if (!kept_by_default_filter(key))
      return fail(ir::Code::NV6006, at,
                  "label \"" + key +
                      "\" is not part of Cilium security identities with the default label filter "
                      "(pkg/labelsfilter), so this selector would treat it as absent on every pod");
    out.pod.push_back(make(key, op, values));
  }

  void fail(ir::Code code, const YNode& at, std::string message) {
    ctx.error(code, at, std::move(message));
    ok = false;
  }

  std::optional<std::string> string_of(const YNode& n, const std::string& what) {
    if (!n.is_scalar()) {
      fail(ir::Code::NV1021, n, what + " must be a string");
      return std::nullopt;
    }
    if (auto why = load::not_a_string(n)) {
      fail(ir::Code::NV1021, n, what + " must be a string: " + *why);
      return std::nullopt;
    }
    return std::string(n.value);
  }
};

}  // namespace

std::optional<EndpointSelector> read_endpoint_selector(load::Ctx& ctx, const YNode& node,
                                                       const std::string& path) {
  MapReader r(ctx, node, path);
  const YNode* labels = r.map("matchLabels");
  const YNode* exprs = r.list("matchExpressions");
  r.reject_unknown();
  if (!r.ok()) return std::nullopt;
  Reader rd{ctx, {}};
  if (labels)
    for (auto [k, v] : labels->entries()) {
      auto key = rd.string_of(k, "`" + path + ".matchLabels` keys");
      auto value = v.is_null()
                       ? std::optional<std::string>("")
                       : rd.string_of(v, "`" + path + ".matchLabels." + std::string(k.value) + "`");
      if (key && value) rd.add(*key, Op::Eq, {*value}, k, true);
    }
  if (exprs)
    for (size_t i = 0; i < exprs->items().size(); ++i) {
      const YNode& e = exprs->items()[i];
      std::string epath = path + ".matchExpressions[" + std::to_string(i) + "]";
      MapReader er(ctx, e, epath);
      auto key = er.string("key");
      auto op = er.string("operator");
      const YNode* values_node = er.list("values");
      er.reject_unknown();
      if (!er.ok()) {
        rd.ok = false;
        continue;
      }
      if (!key || key->empty()) {
        rd.fail(ir::Code::NV1022, e, "`" + epath + ".key` is required");
        continue;
      }
      if (!op) {
        rd.fail(ir::Code::NV1022, e, "`" + epath + ".operator` is required");
        continue;
      }
      std::vector<std::string> values;
      bool values_ok = true;
      if (values_node)
        for (const auto& v : values_node->items()) {
          auto s = rd.string_of(v, "`" + epath + ".values()` items");
          if (s) values.push_back(*s);
          values_ok = values_ok && s.has_value();
        }
      if (!values_ok) continue;
      const YNode& at = *e.get("operator");
      Op o;
      if (*op == "In" || *op == "NotIn") {
        o = *op == "In" ? Op::In : Op::NotIn;
        if (values.empty()) {
          rd.fail(ir::Code::NV6002, at, "operator " + *op + " needs at least one value");
          continue;
        }
      } else if (*op == "Exists" || *op == "DoesNotExist") {
        o = *op == "Exists" ? Op::Exists : Op::DoesNotExist;
        if (!values.empty()) {
          rd.fail(ir::Code::NV6002, *values_node, "operator " + *op + " takes no values");
          continue;
        }
      } else {
        rd.fail(ir::Code::NV6001, at,
                "unknown operator \"" + *op + "\" (expected In, NotIn, Exists or DoesNotExist)");
        continue;
      }
      rd.add(*key, o, values, *e.get("key"), false);
    }
  if (!rd.ok) return std::nullopt;
  return std::move(rd.out);
}

namespace {

// A namespace constraint as the IR's namespace name where it is one, else a selector.
void set_namespace(ir::Peer& p, std::vector<ir::Selector> ns) {
  if (!p.ns_name && ns.size() == 1 && ns[0].op == ir::Selector::Op::Eq &&
      ns[0].key == ir::kNamespaceNameLabel) {
    p.ns_name = ns[0].values[0];
    return;
  }
  if (!ns.empty()) p.ns_selector = ir::Selector::conj(std::move(ns));
}

}  // namespace

std::optional<std::vector<ir::Peer>> endpoint_peers(load::Ctx& ctx, const YNode& node,
                                                    const std::string& path, const Scope& scope,
                                                    bool deny) {
  auto es = read_endpoint_selector(ctx, node, path);
  if (!es) return std::nullopt;
  // getEndpointSelector returns a selector with reserved keys unscoped: it selects Cilium's
  // special identities. The entity form `reserved:<name>: ""` is what netverify models.
  if (!es->reserved.empty()) {
    if (es->requirements == 1 && es->reserved[0].plain_match)
      return entity_peers(ctx, node, es->reserved[0].name, deny);
    ctx.error(ir::Code::NV6005, node,
              "a selector on reserved labels is supported only as one `reserved:<entity>: \"\"` "
              "match label (or use fromEntities/toEntities)");
    return std::nullopt;
  }
  // utils.go getEndpointSelector: unless the selector names the namespace label, a
  // CiliumNetworkPolicy adds `k8s:io.kubernetes.pod.namespace=<ns>` (but not when it selects
  // namespace labels), and a clusterwide policy adds "that label exists", i.e. any pod.
  bool absent = es->holds_when_absent;
  ir::Peer pod;
  pod.kinds = ir::mask(ir::EndpointKind::Pod);
  if (!es->names_namespace) {
    if (!scope.clusterwide() && !es->has_ns_labels) pod.ns_name = scope.ns;
    if (scope.clusterwide() || !es->has_ns_labels) absent = false;
  }
  std::vector<ir::Selector> ns = es->ns;
  if (es->k8s_ns_match) ns.push_back(ir::Selector::eq(ir::kNamespaceNameLabel, *es->k8s_ns_match));
  set_namespace(pod, std::move(ns));
  if (!es->pod.empty()) pod.pod_selector = ir::Selector::conj(es->pod);
  std::vector<ir::Peer> peers{pod};
  if (absent) {
    // Every requirement holds where the labels are absent: the selector also matches the
    // identities that have no pod labels at all (world, hosts, remote nodes).
    if (!es->pod.empty()) {
      ctx.error(ir::Code::NV6005, node,
                "this selector also matches identities without a namespace (world, hosts), "
                "whose labels netverify does not model; constrain the namespace with In or Exists");
      return std::nullopt;
    }
    ir::Peer rest;
    rest.kinds = ir::mask(ir::EndpointKind::External) | ir::mask(ir::EndpointKind::Host);
    peers.push_back(rest);
    if (deny)
      ctx.diags.report(ir::Code::NV6022, ctx.at(node),
                       "this selector also matches hosts, including the pod's own node, which "
                       "netverify always lets the pod reach; that part of the deny is not modelled");
  }
  return peers;
}

}  // namespace nv::cilium

namespace nv::cilium {

// fromNodes/toNodes (pkg/policy/api/{ingress,egress}.go): nodes selected by their labels,
// read as an EndpointSelector over the node's labels (the same sources and the same default
// label filter as pod labels). A node has no namespace and no reserved labels here.
std::optional<ir::Peer> node_peer(load::Ctx& ctx, const YNode& node, const std::string& path) {
  auto es = read_endpoint_selector(ctx, node, path);
  if (!es) return std::nullopt;
  if (es->names_namespace || es->has_ns_labels || !es->reserved.empty()) {
    ctx.error(ir::Code::NV6037, node,
              "`" + path +
                  "` selects nodes by their labels; namespace and reserved labels are "
                  "not node labels (use fromEntities/toEntities for host and remote-node)");
    return std::nullopt;
  }
  ir::Peer p;
  p.kinds = ir::mask(ir::EndpointKind::Host);
  p.node_selector = es->pod.empty() ? ir::Selector::all() : ir::Selector::conj(es->pod);
  return p;
}

}  // namespace nv::cilium
