// The cluster inventory from Namespace, Pod, Service and Node objects, as
// `kubectl get ns,pods,svc,nodes -A -o yaml` prints them. Lenient about fields it does not
// need (real objects carry many), strict about the ones it reads.
#include "compiler/frontends/k8s/k8s.h"

namespace nv::k8s {

using load::MapReader;
using load::YNode;

static const YNode& or_empty(const YNode* n) {
  static const YNode empty;
  return n ? *n : empty;
}

static ir::Labels metadata_labels(load::Ctx& ctx, const load::Object& obj) {
  const YNode* md = obj.node->get("metadata");
  return lower_labels(ctx, md && md->is_map() ? md->get("labels") : nullptr, "metadata.labels",
                      false);
}

static std::optional<ir::IpAddr> address(load::Ctx& ctx, const YNode& n) {
  auto a = n.is_scalar() ? ir::IpAddr::parse(n.value) : std::nullopt;
  if (!a) ctx.error(ir::Code::NV3001, n, "invalid IP address \"" + std::string(n.value) + "\"");
  return a;
}

static std::optional<int> protocol(load::Ctx& ctx, MapReader& r) {
  auto text = r.string("protocol");
  if (!text) return ir::kTCP;
  if (*text == "TCP" || *text == "UDP" || *text == "SCTP") return *ir::parse_proto(*text);
  ctx.error(ir::Code::NV3002, *r.node().get("protocol"), "unsupported protocol \"" + *text + "\"");
  return std::nullopt;
}

void lower_namespace(load::Ctx& ctx, const load::Object& obj, ir::Inventory& inv) {
  if (obj.name.empty()) {
    ctx.error(ir::Code::NV1022, *obj.node, "Namespace has no metadata.name");
    return;
  }
  inv.namespaces.push_back(ir::Namespace{obj.name, metadata_labels(ctx, obj), obj.span});
}

void lower_service_account(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                           ir::Inventory& inv) {
  if (obj.name.empty()) {
    ctx.error(ir::Code::NV1022, *obj.node, "ServiceAccount has no metadata.name");
    return;
  }
  inv.service_accounts.push_back(
      ir::ServiceAccount{ns, obj.name, metadata_labels(ctx, obj), obj.span});
}

static void container_ports(load::Ctx& ctx, const YNode* containers, const std::string& path,
                            bool sidecars_only, ir::Pod& pod) {
  if (!containers || !containers->is_seq()) return;
  for (size_t i = 0; i < containers->items().size(); ++i) {
    const YNode& c = containers->items()[i];
    if (!c.is_map()) continue;
    // Init containers serve ports only as sidecars (restartPolicy: Always).
    if (sidecars_only) {
      const YNode* rp = c.get("restartPolicy");
      if (!rp || !rp->is_scalar() || rp->value != "Always") continue;
    }
    const YNode* ports = c.get("ports");
    if (!ports || !ports->is_seq()) continue;
    for (size_t j = 0; j < ports->items().size(); ++j) {
      std::string ppath = path + "[" + std::to_string(i) + "].ports[" + std::to_string(j) + "]";
      MapReader r(ctx, ports->items()[j], ppath);
      auto name = r.string("name");
      auto number = r.integer("containerPort");
      auto proto = protocol(ctx, r);
      if (!r.ok() || !proto) continue;
      if (!number || *number < 1 || *number > 65535) {
        ctx.error(ir::Code::NV3002, ports->items()[j],
                  "`" + ppath + ".containerPort` must be 1..65535");
        continue;
      }
      pod.ports.push_back(ir::ContainerPort{name.value_or(""), *proto, static_cast<uint16_t>(*number)});
    }
  }
}

bool lower_pod(load::Ctx& ctx, const load::Object& obj, const std::string& ns, const Options& opt,
               ir::Inventory& inv) {
  if (obj.name.empty()) {
    ctx.error(ir::Code::NV1022, *obj.node, "Pod has no metadata.name");
    return false;
  }
  ir::Pod pod;
  pod.ns = ns;
  pod.name = obj.name;
  pod.span = obj.span;
  pod.labels = metadata_labels(ctx, obj);
  MapReader spec(ctx, or_empty(obj.node->get("spec")), "spec");
  MapReader status(ctx, or_empty(obj.node->get("status")), "status");
  if (!spec.ok() || !status.ok()) return false;
  // Finished pods hold no address and take no traffic.
  if (auto phase = status.string("phase"); phase && (*phase == "Succeeded" || *phase == "Failed"))
    return false;
  pod.node = spec.string("nodeName").value_or("");
  pod.service_account = spec.string("serviceAccountName")
                            .value_or(spec.string("serviceAccount").value_or("default"));
  pod.host_network = spec.boolean("hostNetwork").value_or(false) && !opt.host_network_as_pods;
  container_ports(ctx, spec.list("containers"), "spec.containers", false, pod);
  container_ports(ctx, spec.list("initContainers"), "spec.initContainers", true, pod);
  if (const YNode* ips = status.list("podIPs"); ips && !ips->items().empty()) {
    for (const auto& item : ips->items()) {
      MapReader r(ctx, item, "status.podIPs[]");
      if (const YNode* ip = r.get("ip"))
        if (auto a = address(ctx, *ip)) pod.ips.push_back(*a);
    }
  } else if (const YNode* ip = status.get("podIP")) {
    if (auto a = address(ctx, *ip)) pod.ips.push_back(*a);
  }
  inv.pods.push_back(std::move(pod));
  return true;
}

void lower_service(load::Ctx& ctx, const load::Object& obj, const std::string& ns,
                   ir::Inventory& inv) {
  if (obj.name.empty()) {
    ctx.error(ir::Code::NV1022, *obj.node, "Service has no metadata.name");
    return;
  }
  ir::Service svc;
  svc.ns = ns;
  svc.name = obj.name;
  svc.span = obj.span;
  MapReader spec(ctx, or_empty(obj.node->get("spec")), "spec");
  if (!spec.ok()) return;
  svc.type = spec.string("type").value_or("ClusterIP");
  if (const YNode* sel = spec.map("selector"))
    svc.selector = lower_labels(ctx, sel, "spec.selector", false);
  std::vector<std::string> ips;
  if (const YNode* list = spec.list("clusterIPs")) {
    for (const auto& i : list->items())
      if (i.is_scalar()) ips.push_back(std::string(i.value));
  } else if (auto one = spec.string("clusterIP")) {
    ips.push_back(*one);
  }
  for (const auto& text : ips) {
    if (text == "None" || text.empty()) continue;  // headless
    if (auto a = ir::IpAddr::parse(text)) {
      svc.cluster_ips.push_back(*a);
    } else {
      ctx.error(ir::Code::NV3001, *obj.node, "invalid clusterIP \"" + text + "\"");
    }
  }
  if (const YNode* ports = spec.list("ports")) {
    for (size_t i = 0; i < ports->items().size(); ++i) {
      std::string path = "spec.ports[" + std::to_string(i) + "]";
      MapReader r(ctx, ports->items()[i], path);
      ir::ServicePort sp;
      sp.name = r.string("name").value_or("");
      auto proto = protocol(ctx, r);
      auto port = r.integer("port");
      auto target = r.int_or_string("targetPort");
      auto node_port = r.integer("nodePort");
      if (!r.ok() || !proto) continue;
      if (!port || *port < 1 || *port > 65535) {
        ctx.error(ir::Code::NV3002, ports->items()[i], "`" + path + ".port` must be 1..65535");
        continue;
      }
      sp.proto = *proto;
      sp.port = static_cast<uint16_t>(*port);
      sp.target_port = sp.port;  // targetPort defaults to port
      if (target) {
        if (auto* n = std::get_if<int64_t>(&*target)) {
          if (*n < 1 || *n > 65535) {
            ctx.error(ir::Code::NV3002, *ports->items()[i].get("targetPort"),
                      "`" + path + ".targetPort` must be 1..65535 or a port name");
            continue;
          }
          sp.target_port = static_cast<uint16_t>(*n);
        } else {
          sp.target_name = std::get<std::string>(*target);
          sp.target_port = 0;
        }
      }
      if (node_port && *node_port > 0 && *node_port <= 65535)
        sp.node_port = static_cast<uint16_t>(*node_port);
      svc.ports.push_back(std::move(sp));
    }
  }
  inv.services.push_back(std::move(svc));
}

void lower_node(load::Ctx& ctx, const load::Object& obj, ir::Inventory& inv) {
  if (obj.name.empty()) {
    ctx.error(ir::Code::NV1022, *obj.node, "Node has no metadata.name");
    return;
  }
  ir::Node node;
  node.name = obj.name;
  node.span = obj.span;
  node.labels = metadata_labels(ctx, obj);
  MapReader status(ctx, or_empty(obj.node->get("status")), "status");
  if (const YNode* addrs = status.list("addresses")) {
    for (const auto& a : addrs->items()) {
      const YNode* type = a.get("type");
      const YNode* value = a.get("address");
      if (!type || !value || !type->is_scalar()) continue;
      if (type->value != "InternalIP" && type->value != "ExternalIP") continue;
      if (auto ip = address(ctx, *value)) node.addresses.push_back(*ip);
    }
  }
  inv.nodes.push_back(std::move(node));
}

}  // namespace nv::k8s
