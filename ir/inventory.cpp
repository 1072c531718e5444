#include "ir/inventory.h"

#include <algorithm>
#include <set>

namespace nv::ir {

std::optional<IpAddr> Pod::ip(Family f) const {
  for (const auto& a : ips)
    if (a.family == f) return a;
  return std::nullopt;
}

std::optional<uint16_t> Pod::named_port(const std::string& port_name, int proto) const {
  for (const auto& p : ports)
    if (p.name == port_name && p.proto == proto) return p.port;
  return std::nullopt;
}

static std::string key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

void Inventory::add_service_account_labels(Diagnostics& diags) {
  std::unordered_map<std::string, const Labels*> accounts;
  for (const auto& sa : service_accounts) accounts.emplace(key(sa.ns, sa.name), &sa.labels);
  std::set<std::string> missing;
  for (auto& p : pods) {
    std::erase_if(p.labels, [](const auto& kv) { return is_service_account_key(kv.first); });
    p.labels[kServiceAccountLabel] = p.service_account;
    auto it = accounts.find(key(p.ns, p.service_account));
    if (it != accounts.end()) {
      for (const auto& [k, v] : *it->second) p.labels[kServiceAccountLabelPrefix + k] = v;
    } else if (!service_accounts.empty() && missing.insert(key(p.ns, p.service_account)).second) {
      diags.report(Code::NV3005, p.span,
                   "pod " + p.id() + " runs as service account \"" + p.service_account +
                       "\", which the inventory's ServiceAccounts do not include; selectors of "
                       "service-account labels see none on it");
    }
  }
}

void Inventory::finalize(Diagnostics& diags) {
  std::set<std::string> known;
  for (const auto& n : namespaces) known.insert(n.name);
  auto ensure = [&](const std::string& ns, const SourceSpan& span) {
    if (!known.insert(ns).second) return;
    diags.report(Code::NV3004, span,
                 "namespace \"" + ns + "\" is not in the inventory; assuming it has only the label " +
                     kNamespaceNameLabel + "=" + ns);
    namespaces.push_back(Namespace{ns, {}, {}});
  };
  for (const auto& p : pods) ensure(p.ns, p.span);
  for (const auto& s : services) ensure(s.ns, s.span);
  for (auto& n : namespaces) n.labels[kNamespaceNameLabel] = n.name;
  add_service_account_labels(diags);

  std::sort(namespaces.begin(), namespaces.end(),
            [](const Namespace& a, const Namespace& b) { return a.name < b.name; });
  std::sort(pods.begin(), pods.end(),
            [](const Pod& a, const Pod& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  std::sort(services.begin(), services.end(), [](const Service& a, const Service& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.name < b.name; });
  std::sort(service_accounts.begin(), service_accounts.end(),
            [](const ServiceAccount& a, const ServiceAccount& b) {
              return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
            });

  ns_index_.clear();
  pod_index_.clear();
  svc_index_.clear();
  pod_by_ip_.clear();
  host_pod_by_ip_.clear();
  node_by_ip_.clear();
  svc_by_ip_.clear();
  for (size_t i = 0; i < namespaces.size(); ++i) ns_index_[namespaces[i].name] = i;
  for (size_t i = 0; i < pods.size(); ++i) {
    pod_index_[key(pods[i].ns, pods[i].name)] = i;
    if (pods[i].host_network) {  // a hostNetwork pod's address is its node's
      for (const auto& a : pods[i].ips) host_pod_by_ip_.emplace(a, i);
      continue;
    }
    for (const auto& a : pods[i].ips) {
      auto [it, fresh] = pod_by_ip_.emplace(a, i);
      if (!fresh)
        diags.report(Code::NV3003, pods[i].span,
                     "pod " + pods[i].id() + " has address " + a.str() + ", as has pod " +
                         pods[it->second].id());
    }
  }
  for (size_t i = 0; i < services.size(); ++i) {
    svc_index_[key(services[i].ns, services[i].name)] = i;
    for (const auto& a : services[i].cluster_ips) svc_by_ip_.emplace(a, i);
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& a : nodes[i].addresses) node_by_ip_.emplace(a, i);
}

template <class T, class Index, class Key>
static const T* lookup(const Index& index, const std::vector<T>& items, const Key& k) {
  auto it = index.find(k);
  return it == index.end() ? nullptr : &items[it->second];
}

const Namespace* Inventory::find_namespace(const std::string& name) const {
  return lookup(ns_index_, namespaces, name);
}
const Pod* Inventory::find_pod(const std::string& ns, const std::string& name) const {
  return lookup(pod_index_, pods, key(ns, name));
}
const Service* Inventory::find_service(const std::string& ns, const std::string& name) const {
  return lookup(svc_index_, services, key(ns, name));
}
const Pod* Inventory::find_pod_by_ip(const IpAddr& a) const { return lookup(pod_by_ip_, pods, a); }
const Node* Inventory::find_node_by_ip(const IpAddr& a) const {
  return lookup(node_by_ip_, nodes, a);
}
const Node* Inventory::find_node(const std::string& name) const {
  // finalize() sorted the nodes by name.
  auto it = std::lower_bound(nodes.begin(), nodes.end(), name,
                             [](const Node& n, const std::string& k) { return n.name < k; });
  if (name.empty() || it == nodes.end() || it->name != name) return nullptr;
  return &*it;
}
std::optional<std::string> Inventory::node_of_ip(const IpAddr& a) const {
  if (const Node* n = find_node_by_ip(a)) return n->name;
  if (const Pod* p = lookup(host_pod_by_ip_, pods, a); p && !p->node.empty()) return p->node;
  return std::nullopt;
}

const Service* Inventory::find_service_by_ip(const IpAddr& a) const {
  return lookup(svc_by_ip_, services, a);
}

const Labels& Inventory::namespace_labels(const std::string& ns) const {
  static const Labels empty;
  auto n = find_namespace(ns);
  return n ? n->labels : empty;
}

std::vector<const Pod*> Inventory::endpoints(const Service& svc) const {
  std::vector<const Pod*> out;
  if (!svc.selector || svc.selector->empty()) return out;  // no selector: no managed endpoints
  for (const auto& p : pods) {
    if (p.ns != svc.ns) continue;
    bool all = std::all_of(svc.selector->begin(), svc.selector->end(), [&](const auto& kv) {
      auto it = p.labels.find(kv.first);
      return it != p.labels.end() && it->second == kv.second;
    });
    if (all) out.push_back(&p);
  }
  return out;
}

}  // namespace nv::ir
