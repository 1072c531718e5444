// Calico frontend: tiers and network sets first, then the policies that refer to them.
//
// Layering (felix/calc/policy_sorter.go, felix/rules/endpoints.go): tiers by order (absent
// last, ties by name); within a tier, policies by order (absent = +inf); a tier is visited
// for a pod and a direction when one of its policies selects the pod and governs that
// direction; Allow and Deny decide, Pass leaves the tier, Log goes on; a visited tier that
// ends undecided applies its defaultAction (Deny unless the Tier says Pass); after the
// last tier the namespace profile allows (conversion.NamespaceToProfile): the IR's
// "after the last tier, allow".
//
// Only workload endpoints (pods) are modelled: HostEndpoint objects are refused by
// frontend.cpp, so policies never apply to nodes, and rule selectors never match them.
#include "compiler/frontends/calico/calico.h"

#include <map>
#include <set>
#include <tuple>

#include "compiler/frontends/calico/lowering.h"
#include "compiler/frontends/calico/policy.h"
#include "compiler/frontends/k8s/k8s.h"

namespace nv::calico {

using load::MapReader;
using load::YNode;

namespace {

const YNode& empty_map() {
  static const YNode n = [] {
    YNode m;
    m.kind = YNode::Kind::Map;
    return m;
  }();
  return n;
}

struct BuiltinTier {
  const char* name;
  double order;
  ir::Action action;
};
// api/pkg/apis/projectcalico/v3/tier.go and libcalico-go lib/names/policy.go.
constexpr BuiltinTier kBuiltinTiers[] = {
    {ir::kDefaultTier, ir::kDefaultTierOrder, ir::Action::Deny},
    {ir::kAdminTier, ir::kAdminTierOrder, ir::Action::Pass},
    {ir::kBaselineTier, ir::kBaselineTierOrder, ir::Action::Pass},
};

std::string order_text(double o) {
  if (o == ir::kNoOrder) return "none";
  std::string s = std::to_string(o);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

void lower_tier(load::Ctx& ctx, const load::Object& obj, ir::PolicySet& ps, std::set<std::string>& tiers) {
  size_t errors = ctx.diags.error_count();
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  top.get("metadata");
  const YNode* spec_node = top.get("spec");
  top.reject_unknown();
  MapReader spec(ctx, spec_node ? *spec_node : empty_map(), "spec");
  const YNode* order_n = spec.get("order");
  auto action = spec.string("defaultAction");
  spec.reject_unknown();
  if (!spec.ok()) return;

  ir::Tier t{obj.name, ir::kNoOrder, ir::Action::Deny};
  const BuiltinTier* builtin = nullptr;
  for (const auto& b : kBuiltinTiers)
    if (obj.name == b.name) builtin = &b;
  // validator.go validateTier: tier names are DNS labels (no dot: they prefix policy names).
  if (obj.name.find('.') != std::string::npos || obj.name.size() > 63)
    ctx.diags.report(ir::Code::NV5010, obj.span,
                     "Tier name \"" + obj.name + "\" must be a DNS label (no dots, at most 63 characters)");
  if (order_n)
    if (auto o = read_number(ctx, *order_n, "spec.order")) t.order = *o;
  if (builtin) {
    t.default_action = builtin->action;
    if (t.order != builtin->order)
      ctx.error(ir::Code::NV5012, order_n ? *order_n : *obj.node,
                "the " + obj.name + " tier's order must be " + order_text(builtin->order));
  }
  if (action) {
    if (*action == "Deny" || *action == "Pass")
      t.default_action = *action == "Deny" ? ir::Action::Deny : ir::Action::Pass;
    else
      ctx.error(ir::Code::NV5013, *spec.get("defaultAction"),
                "`spec.defaultAction`: \"" + *action + "\" is not Deny or Pass");
  }
  if (ctx.diags.error_count() != errors) return;
  const ir::Tier& got = ps.add_tier(t);
  if (!(got == t)) {
    ctx.diags.report(ir::Code::NV5012, obj.span,
                     "Tier " + obj.name + " (order " + order_text(t.order) + ", default " +
                         ir::name(t.default_action) + ") contradicts the tier netverify already has (order " +
                         order_text(got.order) + ", default " + ir::name(got.default_action) + ")");
    return;
  }
  tiers.insert(obj.name);
}

// NetworkSet and GlobalNetworkSet (networkset.go; validator.go validateNetworkSet: the
// "cidr" validator accepts an address alone and CIDRs with host bits, which
// networksetprocessor.go masks).
std::optional<NetworkSet> read_network_set(load::Ctx& ctx, const load::Object& obj, const std::string& ns) {
  size_t errors = ctx.diags.error_count();
  MapReader top(ctx, *obj.node, "");
  top.get("apiVersion");
  top.get("kind");
  const YNode* md = top.get("metadata");
  const YNode* spec_node = top.get("spec");
  top.reject_unknown();
  MapReader spec(ctx, spec_node ? *spec_node : empty_map(), "spec");
  const YNode* nets = spec.list("nets");
  spec.reject_unknown();
  if (!spec.ok()) return std::nullopt;

  NetworkSet set;
  set.ns = ns;
  set.name = obj.name;
  set.span = obj.span;
  const YNode* labels = md && md->is_map() ? md->get("labels") : nullptr;
  set.labels = k8s::lower_labels(ctx, labels, "metadata.labels", true);
  if (set.labels.contains(kLabelNamespace))
    ctx.error(ir::Code::NV5013, labels ? *labels : *obj.node,
              "projectcalico.org/namespace is not a valid label name on a network set");
  if (nets)
    for (size_t i = 0; i < nets->items().size(); ++i) {
      const YNode& n = nets->items()[i];
      std::optional<ir::Cidr> c;
      if (n.is_scalar()) {
        c = ir::Cidr::parse(n.value);
        if (!c)
          if (auto a = ir::IpAddr::parse(n.value)) c = ir::Cidr::host(*a);
      }
      if (c)
        set.nets.push_back(*c);
      else
        ctx.error(ir::Code::NV5019, n,
                  "`spec.nets[" + std::to_string(i) + "]`: \"" +
                      (n.is_scalar() ? std::string(n.value) : "?") +
                      "\" is not a CIDR or an IP address");
    }
  if (ctx.diags.error_count() != errors) return std::nullopt;
  return set;
}

// felix/calc/policy_sorter.go PolKVLess (Calico 3.30 and later): equal orders are broken
// on "<name>/<namespace>/<kind>", a Kubernetes NetworkPolicy being
// "knp.default.<name>/<namespace>/KubernetesNetworkPolicy". The IR breaks them on
// (kind, namespace, name) (ir/model.cpp PolicySet::finalize). Where the two disagree for
// policies of one tier, the answer may differ from felix's: say so.
void check_order_ties(const ir::PolicySet& ps, size_t first_mine, ir::Diagnostics& diags) {
  struct Entry {
    const ir::Policy* p;
    std::string felix_key;
    bool mine;
  };
  std::map<std::pair<std::string, double>, std::vector<Entry>> groups;
  for (size_t i = 0; i < ps.policies().size(); ++i) {
    const ir::Policy& p = ps.policies()[i];
    std::string key = p.dialect == "k8s" ? "knp.default." + p.name + "/" + p.ns + "/KubernetesNetworkPolicy"
                                         : p.name + "/" + p.ns + "/" + p.kind;
    groups[{p.tier, p.order}].push_back({&p, std::move(key), i >= first_mine});
  }
  std::set<std::string> warned;  // by id: a policy split by its own-endpoint rules is one
  for (const auto& [key, group] : groups)
    for (size_t i = 0; i < group.size(); ++i)
      for (size_t j = i + 1; j < group.size(); ++j) {
        const Entry &a = group[i], &b = group[j];
        if (!a.mine && !b.mine) continue;
        bool ir_first = std::tie(a.p->kind, a.p->ns, a.p->name) < std::tie(b.p->kind, b.p->ns, b.p->name);
        bool felix_first = a.felix_key < b.felix_key;
        if (ir_first == felix_first) continue;
        const ir::Policy* at = b.mine ? b.p : a.p;
        const ir::Policy* other = at == a.p ? b.p : a.p;
        if (!warned.insert(at->id()).second) continue;
        const ir::Policy* felix_one = felix_first ? a.p : b.p;
        const ir::Policy* ir_one = felix_first ? b.p : a.p;
        auto& d = diags.report(ir::Code::NV5041, at->span,
                               at->id() + " and " + other->id() + " have the same order (" +
                                   order_text(key.second) + ") in tier " + key.first + ": felix applies " +
                                   felix_one->id() + " first, netverify " + ir_one->id() +
                                   "; give them different orders");
        d.notes.push_back({other->span, "the other policy"});
      }
}

}  // namespace

void lower(const std::vector<Item>& items, ir::PolicySet& ps, ir::Diagnostics& diags) {
  std::set<std::string> tiers;
  for (const auto& b : kBuiltinTiers) tiers.insert(b.name);
  std::vector<NetworkSet> sets;
  for (const auto& it : items) {
    load::Ctx ctx{diags, it.obj->span.file, it.obj->span.doc};
    ctx.strict_strings = true;
    if (it.obj->kind == "Tier") lower_tier(ctx, *it.obj, ps, tiers);
    if (it.obj->kind == "NetworkSet" || it.obj->kind == "GlobalNetworkSet")
      if (auto s = read_network_set(ctx, *it.obj, it.ns)) sets.push_back(std::move(*s));
  }
  size_t first_mine = ps.policies().size();
  for (const auto& it : items) {
    if (it.obj->kind != "NetworkPolicy" && it.obj->kind != "GlobalNetworkPolicy") continue;
    load::Ctx ctx{diags, it.obj->span.file, it.obj->span.doc};
    ctx.strict_strings = true;
    for (auto& p : lower_policy(ctx, *it.obj, it.ns, tiers, sets)) {
      for (const auto& b : kBuiltinTiers)
        if (p.tier == b.name) ps.add_tier(ir::Tier{b.name, b.order, b.action});
      ps.add(std::move(p));
    }
  }
  check_order_ties(ps, first_mine, diags);
}

}  // namespace nv::calico
