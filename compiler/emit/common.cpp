#include "compiler/emit/common.h"

#include <algorithm>

#include "ir/inventory.h"

namespace nv::emit {

using ir::Selector;
using Op = Selector::Op;

const char* name(Target t) {
  switch (t) {
    case Target::Calico:
      return "calico";
    case Target::Cilium:
      return "cilium";
    case Target::K8s:
      return "k8s";
  }
  return "?";
}

Output convert(const ir::PolicySet& ps, Target target, const ir::Inventory* pin) {
  switch (target) {
    case Target::Calico:
      return to_calico(ps, pin);
    case Target::Cilium:
      return to_cilium(ps, pin);
    case Target::K8s:
      return to_k8s(ps, pin);
  }
  return {};
}

void Refusals::add(ir::Code code, const ir::Policy& p, const ir::Rule* r, const std::string& what) {
  std::string where = p.id() + (r && !r->path.empty() ? " " + r->path : std::string());
  list_.push_back(Refusal{code, r && r->span.known() ? r->span : p.span, where + ": " + what});
}

namespace {

using Dnf = std::vector<Conjunction>;

std::optional<Dnf> dnf(const Selector& s, bool neg, std::string* why, size_t limit) {
  using R = Requirement::Op;
  auto atom = [](std::string key, R op, std::vector<std::string> values) {
    return Dnf{Conjunction{Requirement{std::move(key), op, std::move(values)}}};
  };
  switch (s.op) {
    case Op::All:
      return neg ? Dnf{} : Dnf{Conjunction{}};
    case Op::Has:
      return atom(s.key, neg ? R::DoesNotExist : R::Exists, {});
    case Op::Eq:
    case Op::In: {
      std::vector<std::string> v = s.values;
      if (v.empty() && !neg) return Dnf{};  // `in {}` matches nothing
      if (v.empty()) return Dnf{Conjunction{}};
      return atom(s.key, neg ? R::NotIn : R::In, std::move(v));
    }
    case Op::NotEq:
    case Op::NotIn: {
      std::vector<std::string> v = s.values;
      if (v.empty()) return neg ? Dnf{} : Dnf{Conjunction{}};
      return atom(s.key, neg ? R::In : R::NotIn, std::move(v));
    }
    case Op::Contains:
    case Op::StartsWith:
    case Op::EndsWith:
      *why = "`" + s.str() + "`: label selectors have no contains, starts with or ends with";
      return std::nullopt;
    case Op::Not:
      return dnf(s.kids[0], !neg, why, limit);
    case Op::And:
    case Op::Or: {
      bool conjunction = (s.op == Op::And) != neg;
      Dnf acc = conjunction ? Dnf{Conjunction{}} : Dnf{};
      for (const auto& kid : s.kids) {
        auto k = dnf(kid, neg, why, limit);
        if (!k) return std::nullopt;
        if (conjunction) {
          Dnf next;
          for (const auto& a : acc)
            for (const auto& b : *k) {
              Conjunction c = a;
              c.insert(c.end(), b.begin(), b.end());
              next.push_back(std::move(c));
            }
          acc = std::move(next);
        } else {
          acc.insert(acc.end(), k->begin(), k->end());
        }
        if (acc.size() > limit) {
          *why = "`" + s.str() + "` is a union of more than " + std::to_string(limit) +
                 " label conditions";
          return std::nullopt;
        }
      }
      return acc;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<Conjunction>> to_dnf(const Selector& s, std::string* why, size_t limit,
                                               const char* service_account_key) {
  auto out = dnf(s, false, why, limit);
  if (!out) return out;
  for (auto& c : *out)
    for (auto& r : c) {
      if (!ir::is_service_account_key(r.key)) continue;
      if (r.key == ir::kServiceAccountLabel && service_account_key) {
        r.key = service_account_key;
        continue;
      }
      *why = "`" + s.str() + "` selects pods by their service account's " +
             (r.key == ir::kServiceAccountLabel ? "name" : "labels") +
             ", which this dialect's selectors cannot test";
      return std::nullopt;
    }
  return out;
}

yaml::Node label_selector(const Conjunction& c, const std::string& prefix) {
  using R = Requirement::Op;
  yaml::Node sel = yaml::Node::map();
  std::map<std::string, std::string> labels;
  std::vector<const Requirement*> exprs;
  for (const auto& r : c) {
    if (r.op == R::In && r.values.size() == 1 && !labels.contains(r.key))
      labels.emplace(r.key, r.values[0]);
    else
      exprs.push_back(&r);
  }
  if (!labels.empty()) {
    yaml::Node& ml = sel.set("matchLabels", yaml::Node::map());
    for (const auto& [k, v] : labels) ml.set(prefix + k, yaml::Node::str(v));
  }
  if (!exprs.empty()) {
    yaml::Node& me = sel.set("matchExpressions", yaml::Node::list());
    for (const Requirement* r : exprs) {
      yaml::Node& e = me.push(yaml::Node::map());
      e.set("key", yaml::Node::str(prefix + r->key));
      static const char* const kOps[] = {"In", "NotIn", "Exists", "DoesNotExist"};
      e.set("operator", yaml::Node::str(kOps[static_cast<int>(r->op)]));
      if (r->op == R::In || r->op == R::NotIn) {
        yaml::Node& vs = e.set("values", yaml::Node::list());
        for (const auto& v : r->values) vs.push(yaml::Node::str(v));
      }
    }
  }
  return sel;
}

std::string Names::unique(const std::string& kind, const std::string& ns, const std::string& name) {
  int n = ++used_[kind + "/" + ns + "/" + name];
  return n == 1 ? name : name + "-" + std::to_string(n);
}

Cover coverage(const std::vector<ir::CidrBlock>& blocks, ir::EndpointKind kind,
               const ir::Inventory* pin) {
  if (!pin) return Cover::Unknown;
  bool any_in = false, any_out = false;
  auto see = [&](const ir::IpAddr& a) {
    bool in = std::any_of(blocks.begin(), blocks.end(),
                          [&](const ir::CidrBlock& b) { return b.contains(a); });
    (in ? any_in : any_out) = true;
  };
  if (kind == ir::EndpointKind::Pod) {
    for (const auto& p : pin->pods) {
      if (p.host_network) continue;
      if (p.ips.empty()) any_in = any_out = true;  // an address to come: either
      for (const auto& a : p.ips) see(a);
    }
  } else {
    for (const auto& n : pin->nodes)
      for (const auto& a : n.addresses) see(a);
    for (const auto& p : pin->pods)
      if (p.host_network)
        for (const auto& a : p.ips) see(a);
  }
  return any_in && any_out ? Cover::Some : any_in ? Cover::All : Cover::None;
}

std::vector<ir::PortMatch> split_named_any(const std::vector<ir::PortMatch>& ports) {
  std::vector<ir::PortMatch> out;
  for (const auto& pm : ports) {
    if (pm.proto != ir::kAnyProto || pm.named.empty()) {
      out.push_back(pm);
      continue;
    }
    for (int proto : {ir::kTCP, ir::kUDP, ir::kSCTP}) {
      ir::PortMatch q = pm;
      q.proto = proto;
      out.push_back(q);
    }
  }
  return out;
}

yaml::Node object(const char* api_version, const char* kind, const std::string& name,
                  const std::string& ns) {
  yaml::Node doc = yaml::Node::map();
  doc.set("apiVersion", yaml::Node::str(api_version));
  doc.set("kind", yaml::Node::str(kind));
  yaml::Node& md = doc.set("metadata", yaml::Node::map());
  md.set("name", yaml::Node::str(name));
  if (!ns.empty()) md.set("namespace", yaml::Node::str(ns));
  return doc;
}

std::string kinds_text(ir::KindMask k) {
  std::vector<std::string> parts;
  if (k & kPod) parts.push_back("pods");
  if (k & kHost) parts.push_back("nodes");
  if (k & kExternal) parts.push_back("external addresses");
  if (parts.empty()) return "nothing";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? (i + 1 == parts.size() ? " and " : ", ") : "") + parts[i];
  return out;
}

std::string join_docs(const std::vector<yaml::Node>& docs) {
  std::string out;
  for (size_t i = 0; i < docs.size(); ++i) out += (i ? "---\n" : "") + yaml::render(docs[i]);
  return out;
}

std::optional<Problem> l7_unsupported(const ir::Rule& r, const std::string& target) {
  if (r.l7 && !r.l7->dns.empty())
    return Problem{ir::Code::NV4080, "DNS rules (" + r.l7->dns.front().where + "): " + target +
                                         " has no DNS (L7) rules"};
  if (r.l7)
    return Problem{ir::Code::NV4080,
                   "HTTP rules (" +
                       (r.l7->http.empty() ? std::string("rules.http") : r.l7->http.front().where) +
                       "): " + target + " has no HTTP (L7) rules"};
  for (const auto& peer : r.peers)
    if (peer.fqdns)
      return Problem{ir::Code::NV4080, "FQDN peer " + peer.str() + " (toFQDNs): " + target +
                                           " has no DNS-name peers"};
  return std::nullopt;
}

Output finish_output(Refusals& refusals, const std::vector<yaml::Node>& docs,
                     std::vector<Origin> origins, int policies) {
  Output out;
  out.refusals = refusals.take();
  if (out.refusals.empty()) {
    out.yaml = join_docs(docs);
    out.origins = std::move(origins);
    out.policies = policies;
  }
  return out;
}

std::optional<ir::CidrBlock> emitted_block(const ir::CidrBlock& b) {
  ir::CidrBlock out{b.cidr, {}};
  for (const auto& e : b.except) {
    if (e.family() != b.cidr.family()) continue;
    if (e.contains(b.cidr)) return std::nullopt;      // nothing left
    if (b.cidr.contains(e)) out.except.push_back(e);  // else disjoint: no effect
  }
  return out;
}

}  // namespace nv::emit
