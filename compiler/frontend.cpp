#include "compiler/frontend.h"

#include <algorithm>
#include <cctype>
#include <future>
#include <set>

#include "compiler/frontends/anp/anp.h"
#include "compiler/frontends/calico/calico.h"
#include "compiler/frontends/cilium/cilium.h"
#include "ir/parallel.h"

namespace nv {

namespace {

bool is_inventory_kind(const load::Object& o) {
  return o.api_version == "v1" &&
         (o.kind == "Namespace" || o.kind == "Pod" || o.kind == "Service" || o.kind == "Node" ||
          o.kind == "ServiceAccount");
}

// Policy kinds of dialects netverify does not read: refusing them keeps answers honest.
// Other kinds of those API groups (IPPool, CiliumNode, ...) do not filter traffic.
const char* unsupported_dialect(const load::Object& o) {
  std::string g = o.group();
  if ((g == "projectcalico.org" || g == "crd.projectcalico.org") &&
      (o.kind == "HostEndpoint" || o.kind == "Profile"))
    return "Calico";
  if (g == "cilium.io" && o.kind.find("Policy") != std::string::npos &&
      o.kind != "CiliumEgressGatewayPolicy" && o.kind != "CiliumLocalRedirectPolicy")
    return "Cilium";
  if (g == "policy.networking.k8s.io" && o.kind.find("NetworkPolicy") != std::string::npos)
    return "AdminNetworkPolicy";
  if (g == "crd.antrea.io") return "Antrea";
  return nullptr;
}

// A kind or apiVersion that looks like a network policy but is none netverify knows
// (`NetworkPolicies`, `networking.k8s.io.v1`, ...): skipping it would silently drop rules.
bool looks_like_a_policy(const load::Object& o) {
  std::string kind;
  for (char c : o.kind) kind += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kind.find("networkpolic") != std::string::npos;
}

// metadata.name of a NetworkPolicy is a DNS subdomain; metadata.namespace a DNS label.
bool valid_name(const std::string& s, bool label) {
  if (s.empty() || s.size() > (label ? 63u : 253u)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool ok = alnum || c == '-' || (!label && c == '.');
    if (!ok || ((i == 0 || i + 1 == s.size()) && !alnum)) return false;
  }
  return true;
}

std::string effective_namespace(const load::Object& o, const LoadOptions& opt, LoadStats& stats) {
  if (!o.ns.empty()) return o.ns;
  ++stats.namespace_defaulted;
  return opt.default_namespace;
}

// A policy's metadata.name (a DNS subdomain) and, for a namespaced one (`ns` not empty),
// its namespace (a DNS label), both strings in YAML's eyes too (`namespace: y` is a
// boolean to kubectl). Cluster-scoped kinds pass an empty `ns`.
bool valid_names(load::Ctx& ctx, const load::Object& o, const std::string& ns) {
  if (const load::YNode* md = o.node->get("metadata"); md && md->is_map())
    for (const char* field : {"name", "namespace"})
      if (const load::YNode* v = md->get(field))
        if (auto why = load::not_a_string(*v)) {
          ctx.error(ir::Code::NV1016, *v, "metadata." + std::string(field) + ": " + *why);
          return false;
        }
  if (ns.empty()) {
    if (valid_name(o.name, false)) return true;
    ctx.diags.report(
        ir::Code::NV1016, o.span,
        o.kind + " \"" + o.name + "\": metadata.name must be a lowercase DNS subdomain");
    return false;
  }
  if (valid_name(o.name, false) && valid_name(ns, true)) return true;
  ctx.diags.report(ir::Code::NV1016, o.span,
                   o.kind + " \"" + ns + "/" + o.name +
                       "\": metadata.name must be a lowercase DNS subdomain and "
                       "metadata.namespace a DNS label");
  return false;
}

// Reports a second object with the same kind, namespace and name.
bool first_of_its_name(const load::Object& o, const std::string& ns,
                       std::map<std::string, ir::SourceSpan>& seen, ir::Diagnostics& diags) {
  // Keyed by API group too: a Calico and a Kubernetes NetworkPolicy may share a name.
  auto [it, fresh] = seen.emplace(o.group() + "/" + o.kind + "/" + ns + "/" + o.name, o.span);
  if (fresh) return true;
  auto& d = diags.report(ir::Code::NV1013, o.span,
                         o.kind + " " + (ns.empty() ? "" : ns + "/") + o.name + " is given twice");
  d.notes.push_back({it->second, "first given here"});
  return false;
}

bool tests_account_labels(const ir::Selector& s) {
  if (s.key.starts_with(ir::kServiceAccountLabelPrefix)) return true;
  return std::any_of(s.kids.begin(), s.kids.end(), tests_account_labels);
}

// An inventory without ServiceAccount objects gives no pod account labels: a policy that
// selects by them would silently match nothing.
void warn_account_labels(const ir::PolicySet& ps, ir::Diagnostics& diags) {
  for (const auto& p : ps.policies()) {
    bool uses = p.subject.pod_selector && tests_account_labels(*p.subject.pod_selector);
    for (const auto& d : p.dirs)
      for (const auto& r : d.rules)
        for (const auto& peer : r.peers)
          uses = uses || (peer.pod_selector && tests_account_labels(*peer.pod_selector));
    if (uses)
      diags.report(ir::Code::NV3006, p.span,
                   p.id() +
                       " selects pods by their service account's labels, but the inventory "
                       "lists no ServiceAccounts (`kubectl get serviceaccounts -A -o yaml`): "
                       "no pod has such labels here");
  }
}

// A node known only by its hostNetwork pods has no labels here: a node selector matches
// none of its addresses, so an Allow by node labels is narrower for it and a Deny wider
// than on the cluster. Said once per such node, at the first policy with a node selector.
void warn_unknown_nodes(const ir::PolicySet& ps, const ir::Inventory& inv,
                        ir::Diagnostics& diags) {
  const ir::Policy* user = nullptr;
  for (const auto& p : ps.policies())
    for (const auto& d : p.dirs)
      for (const auto& r : d.rules)
        for (const auto& peer : r.peers)
          if (!user && peer.node_selector) user = &p;
  if (!user) return;
  std::set<std::string> said;
  for (const auto& pod : inv.pods) {
    if (!pod.host_network || pod.node.empty() || inv.find_node(pod.node) ||
        !said.insert(pod.node).second)
      continue;
    diags.report(ir::Code::NV3007, pod.span,
                 user->id() + " selects nodes by their labels, but the inventory has no Node " +
                     "object for node " + pod.node + " (known from hostNetwork pod " + pod.id() +
                     "): node selectors match none of its addresses (`kubectl get nodes -o "
                     "yaml` adds them)");
  }
}

}  // namespace

const char* name(Cni c) {
  switch (c) {
    case Cni::Auto:
      return "auto";
    case Cni::Generic:
      return "generic";
    case Cni::Calico:
      return "calico";
    case Cni::Cilium:
      return "cilium";
  }
  return "?";
}

namespace {

enum class Dialect : uint8_t { None, K8s, Anp, Calico, Cilium };

bool is_calico_kind(const std::string& kind) {
  // Staged*Policy kinds are previews that Calico never enforces: skipped like other kinds.
  return kind == "NetworkPolicy" || kind == "GlobalNetworkPolicy" || kind == "Tier" ||
         kind == "NetworkSet" || kind == "GlobalNetworkSet";
}

Dialect dialect_of(const load::Object& o) {
  std::string g = o.group();
  if (o.kind == "NetworkPolicy" && (g == "networking.k8s.io" || g == "extensions"))
    return Dialect::K8s;
  if (g == "policy.networking.k8s.io" &&
      (o.kind == "AdminNetworkPolicy" || o.kind == "BaselineAdminNetworkPolicy"))
    return Dialect::Anp;
  if ((g == "projectcalico.org" || g == "crd.projectcalico.org") && is_calico_kind(o.kind))
    return Dialect::Calico;
  if (g == "cilium.io" &&
      (o.kind == "CiliumNetworkPolicy" || o.kind == "CiliumClusterwideNetworkPolicy"))
    return Dialect::Cilium;
  return Dialect::None;
}

// The CNI whose semantics apply: the one asked for, or the one the objects call for.
// Reports NV1018 when the objects and the CNI cannot go together.
std::optional<Cni> choose_cni(const std::vector<load::Object>& objects, Cni asked,
                              ir::Diagnostics& diags) {
  const load::Object *calico = nullptr, *cilium = nullptr, *anp = nullptr;
  for (const auto& o : objects) {
    Dialect d = dialect_of(o);
    if (d == Dialect::Calico && !calico) calico = &o;
    if (d == Dialect::Cilium && !cilium) cilium = &o;
    if (d == Dialect::Anp && !anp) anp = &o;
  }
  if (calico && cilium) {
    auto& d = diags.report(ir::Code::NV1018, cilium->span,
                           "Cilium " + cilium->kind + " and Calico " + calico->kind +
                               " in one run: no CNI enforces both; check each cluster's policies "
                               "separately");
    d.notes.push_back({calico->span, "the Calico object"});
    return std::nullopt;
  }
  Cni cni = asked;
  if (cni == Cni::Auto) cni = calico ? Cni::Calico : cilium ? Cni::Cilium : Cni::Generic;
  const load::Object* wrong = cni != Cni::Calico && calico   ? calico
                              : cni != Cni::Cilium && cilium ? cilium
                              : cni == Cni::Cilium && anp    ? anp
                                                             : nullptr;
  if (wrong) {
    std::string what = wrong == anp
                           ? "Cilium does not implement " + anp->kind
                           : std::string(wrong == calico ? "Calico " : "Cilium ") + wrong->kind +
                                 " is not enforced by the " + name(cni) + " CNI";
    diags.report(ir::Code::NV1018, wrong->span,
                 what + " (--cni " + name(cni) + "); refusing to answer as if it were");
    return std::nullopt;
  }
  return cni;
}

bool cluster_scoped(const load::Object& o) {
  return o.kind == "GlobalNetworkPolicy" || o.kind == "Tier" || o.kind == "GlobalNetworkSet" ||
         o.kind == "CiliumClusterwideNetworkPolicy" || o.kind == "AdminNetworkPolicy" ||
         o.kind == "BaselineAdminNetworkPolicy";
}

}  // namespace

void load_policies(const std::vector<load::Object>& objects, const LoadOptions& opt_in,
                   ir::PolicySet& ps, ir::Diagnostics& diags, LoadStats& stats) {
  LoadOptions opt = opt_in;
  auto cni = choose_cni(objects, opt.cni, diags);
  stats.cni = cni.value_or(Cni::Generic);
  if (opt.ipblock_matches_pods)
    opt.k8s.ipblock_matches_pods = *opt.ipblock_matches_pods;
  else if (stats.cni == Cni::Cilium)
    opt.k8s.ipblock_matches_pods = false;

  std::map<std::string, ir::SourceSpan> seen;
  std::vector<calico::Item> calico_items;
  for (const auto& o : objects) {
    load::Ctx ctx{diags, o.span.file, o.span.doc};
    ctx.strict_strings = true;
    Dialect d = dialect_of(o);
    if (d == Dialect::K8s) {
      if (o.api_version != "networking.k8s.io/v1") {
        diags.report(ir::Code::NV1014, o.span,
                     o.group() == "extensions"
                         ? "NetworkPolicy extensions/v1beta1 is not supported (convert it to "
                           "networking.k8s.io/v1)"
                         : "NetworkPolicy " + o.api_version +
                               " is not supported (expected networking.k8s.io/v1)");
        continue;
      }
      std::string ns = effective_namespace(o, opt, stats);
      if (!valid_names(ctx, o, ns) || !first_of_its_name(o, ns, seen, diags)) continue;
      k8s::lower_network_policy(ctx, o, ns, opt.k8s, ps);
      continue;
    }
    if (d != Dialect::None) {
      const char* expected = d == Dialect::Anp      ? "policy.networking.k8s.io/v1alpha1"
                             : d == Dialect::Calico ? "projectcalico.org/v3"
                                                    : "cilium.io/v2";
      if (o.api_version != expected) {
        diags.report(
            ir::Code::NV1014, o.span,
            o.kind + " " + o.api_version + " is not supported (expected " + expected + ")");
        continue;
      }
      if (!cni) continue;  // NV1018 already reported
      bool global = cluster_scoped(o);
      std::string ns = global ? "" : effective_namespace(o, opt, stats);
      if (!valid_names(ctx, o, ns) || !first_of_its_name(o, ns, seen, diags)) continue;
      if (d == Dialect::Anp) anp::lower_policy(ctx, o, ps);
      if (d == Dialect::Cilium) cilium::lower_policy(ctx, o, ns, ps);
      if (d == Dialect::Calico) calico_items.push_back({&o, ns});
    } else if (const char* dialect = unsupported_dialect(o)) {
      diags.report(ir::Code::NV1012, o.span,
                   std::string(dialect) + " " + o.kind +
                       " is not supported by this version of netverify; refusing to answer "
                       "without it rather than ignoring it");
    } else if (is_inventory_kind(o)) {
      ++stats.inventory_in_policies;
    } else if (looks_like_a_policy(o)) {
      diags.report(ir::Code::NV1015, o.span,
                   "unknown kind \"" + o.kind + "\" in \"" + o.api_version +
                       "\": netverify reads NetworkPolicy in networking.k8s.io/v1; refusing to "
                       "skip what looks like a policy");
    } else {
      ++stats.skipped[o.api_version + " " + o.kind];
    }
  }
  if (!calico_items.empty()) calico::lower(calico_items, ps, diags);
  ps.add_tier(ir::Tier{ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny});
  ps.finalize();
}

void load_inventory(const std::vector<load::Object>& objects, const LoadOptions& opt,
                    ir::Inventory& inv, ir::Diagnostics& diags, LoadStats& stats) {
  // Which objects to lower, in which namespace, found in order on this thread (a second
  // object of one name is reported, not lowered: it has no diagnostic of lowering).
  struct Job {
    size_t object;
    std::string ns;
  };
  std::vector<Job> jobs;
  ir::Diagnostics repeats;
  std::vector<size_t> repeat_object;  // of each diagnostic in `repeats`
  std::map<std::string, ir::SourceSpan> seen;
  for (size_t i = 0; i < objects.size(); ++i) {
    const load::Object& o = objects[i];
    if (!is_inventory_kind(o)) {
      if (dialect_of(o) != Dialect::None || unsupported_dialect(o))
        ++stats.policies_in_inventory;
      else
        ++stats.skipped[o.api_version + " " + o.kind];
      continue;
    }
    bool namespaced = o.kind == "Pod" || o.kind == "Service" || o.kind == "ServiceAccount";
    std::string ns = namespaced ? effective_namespace(o, opt, stats) : "";
    if (!first_of_its_name(o, ns, seen, repeats)) {
      repeat_object.resize(repeats.all().size(), i);
      continue;
    }
    jobs.push_back({i, std::move(ns)});
  }

  // Lowered in contiguous chunks, one per thread, each into an inventory of its own;
  // joined in chunk order, which is the objects' order.
  struct Chunk {
    ir::Inventory inv;
    ir::Diagnostics diags;
    std::vector<size_t> diag_object;  // of each diagnostic in `diags`
    int finished_pods = 0;
  };
  const size_t n_chunks = jobs.size() >= 4096 ? 2 : 1;
  std::vector<Chunk> chunks(n_chunks);
  parallel_for(n_chunks, [&](size_t c) {
    Chunk& ch = chunks[c];
    for (size_t j = jobs.size() * c / n_chunks; j < jobs.size() * (c + 1) / n_chunks; ++j) {
      const load::Object& o = objects[jobs[j].object];
      const std::string& ns = jobs[j].ns;
      load::Ctx ctx{ch.diags, o.span.file, o.span.doc};
      if (o.kind == "Namespace") k8s::lower_namespace(ctx, o, ch.inv);
      if (o.kind == "Node") k8s::lower_node(ctx, o, ch.inv);
      if (o.kind == "Service") k8s::lower_service(ctx, o, ns, ch.inv);
      if (o.kind == "ServiceAccount") k8s::lower_service_account(ctx, o, ns, ch.inv);
      if (o.kind == "Pod" && !k8s::lower_pod(ctx, o, ns, opt.k8s, ch.inv)) ++ch.finished_pods;
      ch.diag_object.resize(ch.diags.all().size(), jobs[j].object);
    }
  });
  for (auto& ch : chunks) {
    auto move_all = [](auto& from, auto& to) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    move_all(ch.inv.namespaces, inv.namespaces);
    move_all(ch.inv.pods, inv.pods);
    move_all(ch.inv.services, inv.services);
    move_all(ch.inv.nodes, inv.nodes);
    move_all(ch.inv.service_accounts, inv.service_accounts);
    stats.finished_pods += ch.finished_pods;
  }
  // The diagnostics in object order, as one pass over the objects reports them.
  size_t r = 0;
  for (const auto& ch : chunks)
    for (size_t k = 0; k < ch.diags.all().size(); ++k) {
      for (; r < repeats.all().size() && repeat_object[r] < ch.diag_object[k]; ++r)
        diags.append(repeats.all()[r]);
      diags.append(ch.diags.all()[k]);
    }
  for (; r < repeats.all().size(); ++r) diags.append(repeats.all()[r]);
}

void Workspace::make_inputs() {
  policy_inputs_ = std::make_unique<load::InputSet>(sources, diags);
  cluster_inputs_ = std::make_unique<load::InputSet>(sources, diags);
}

void Workspace::read(const std::vector<std::string>& policy_paths,
                     const std::vector<std::string>& cluster_paths) {
  make_inputs();
  policies_from_cluster_ = policy_paths.empty();
  if (policy_paths.empty() || cluster_paths.empty()) {
    for (const auto& p : policy_paths) policy_inputs_->add_path(p);
    for (const auto& p : cluster_paths) cluster_inputs_->add_path(p);
    return;
  }
  // Both at once: the policies on another thread, each with texts and diagnostics of its
  // own, joined as one thread reading the policies first would have left them (a text
  // given twice is the cluster's read, the later one).
  ir::SourceManager policy_sources, cluster_sources;
  ir::Diagnostics policy_diags, cluster_diags;
  policy_inputs_->attach(policy_sources, policy_diags);
  cluster_inputs_->attach(cluster_sources, cluster_diags);
  auto reading = std::async(std::launch::async, [&] {
    for (const auto& p : policy_paths) policy_inputs_->add_path(p);
  });
  std::exception_ptr cluster_error;
  try {
    for (const auto& p : cluster_paths) cluster_inputs_->add_path(p);
  } catch (...) {
    cluster_error = std::current_exception();
  }
  reading.wait();
  // Joined and attached to the workspace's again before any error goes on.
  cluster_sources.adopt(std::move(policy_sources));
  sources.adopt(std::move(cluster_sources));
  diags.append(policy_diags);
  diags.append(cluster_diags);
  policy_inputs_->attach(sources, diags);
  cluster_inputs_->attach(sources, diags);
  reading.get();  // the policies' error first, as one thread would have met it
  if (cluster_error) std::rethrow_exception(cluster_error);
}

void Workspace::read_texts(const std::string& policies_text, const std::string& cluster_text) {
  make_inputs();
  policy_inputs_->add_text("policies.yaml", policies_text);
  if (!cluster_text.empty()) cluster_inputs_->add_text("cluster.yaml", cluster_text);
}

void Workspace::lower(const LoadOptions& opt) {
  if (policies_from_cluster_) {
    // The cluster inputs' own policies; their other kinds are counted by load_inventory.
    LoadStats scratch;
    load_policies(cluster_inputs_->objects(), opt, policies, diags, scratch);
    stats.namespace_defaulted += scratch.namespace_defaulted;
    stats.policies_from_cluster = static_cast<int>(policies.policies().size());
  }
  // The policies on another thread, with diagnostics and counts of their own, added
  // before the inventory's (the order of a lowering on one thread).
  ir::Diagnostics policy_diags;
  LoadStats policy_stats;
  std::future<void> lowering;
  if (!policies_from_cluster_)
    lowering = std::async(std::launch::async, [&] {
      load_policies(policy_inputs_->objects(), opt, policies, policy_diags, policy_stats);
    });
  // The inventory on this thread, meanwhile.
  ir::Diagnostics inventory_diags;
  LoadStats inventory_stats;
  load_inventory(cluster_inputs_->objects(), opt, inventory, inventory_diags, inventory_stats);
  if (policies_from_cluster_) inventory_stats.policies_in_inventory = 0;
  inventory.finalize(inventory_diags);
  if (lowering.valid()) {
    lowering.get();
    diags.append(policy_diags);
    stats.cni = policy_stats.cni;
    stats.add(policy_stats);
  }
  diags.append(inventory_diags);
  stats.add(inventory_stats);
  if (!inventory.pods.empty() && inventory.service_accounts.empty())
    warn_account_labels(policies, diags);
  warn_unknown_nodes(policies, inventory, diags);
  // The IR keeps no pointer into the YAML trees: free them (whole arenas, 1.5 ms for a
  // 22,000-pod inventory's).
  policy_inputs_.reset();
  cluster_inputs_.reset();
}

void LoadStats::add(const LoadStats& o) {
  for (const auto& [k, n] : o.skipped) skipped[k] += n;
  namespace_defaulted += o.namespace_defaulted;
  policies_in_inventory += o.policies_in_inventory;
  policies_from_cluster += o.policies_from_cluster;
  inventory_in_policies += o.inventory_in_policies;
  finished_pods += o.finished_pods;
}

std::string LoadStats::notes(const std::string& default_namespace) const {
  std::string out;
  if (namespace_defaulted)
    out += "note: " + std::to_string(namespace_defaulted) +
           " namespaced object(s) without metadata.namespace were placed in namespace \"" +
           default_namespace + "\" (--namespace)\n";
  if (!skipped.empty()) {
    int total = 0;
    std::string kinds;
    for (const auto& [k, n] : skipped) {
      total += n;
      kinds += (kinds.empty() ? "" : ", ") + k + ": " + std::to_string(n);
    }
    out += "note: skipped " + std::to_string(total) +
           " object(s) that are neither policy nor inventory (" + kinds + ")\n";
  }
  if (policies_from_cluster)
    out +=
        "note: evaluating the " + std::to_string(policies_from_cluster) +
        " policy object(s) found in the --cluster inputs (policy arguments would replace them)\n";
  if (policies_in_inventory)
    out += "note: ignored " + std::to_string(policies_in_inventory) +
           " policy object(s) in the --cluster inputs: the policy arguments replace them\n";
  if (inventory_in_policies)
    out += "note: ignored " + std::to_string(inventory_in_policies) +
           " inventory object(s) (Namespace, Pod, Service, Node) among the policy inputs; pass "
           "them with --cluster\n";
  if (finished_pods)
    out += "note: skipped " + std::to_string(finished_pods) +
           " finished pod(s) (Succeeded or Failed)\n";
  return out;
}

}  // namespace nv
