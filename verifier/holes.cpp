#include "verifier/holes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "verifier/frame.h"

namespace nv::verifier {

HoleOptions::HoleOptions() {
  dns.kinds = ir::mask(ir::EndpointKind::Pod);
  dns.ns_name = "kube-system";
  dns.pod_selector = ir::Selector::eq("k8s-app", "kube-dns");
}

namespace {

// The IR policies of each written policy (its id): one, or the parts a frontend lowered
// it to (a Cilium policy's deny and allow parts, a Calico policy's own-endpoint copies).
std::map<std::string, std::vector<const ir::Policy*>> copies_by_id(const ir::PolicySet& ps) {
  std::map<std::string, std::vector<const ir::Policy*>> out;
  for (const auto& p : ps.policies()) out[p.id()].push_back(&p);
  return out;
}

std::string ports_text(const ir::Rule& r) {
  if (r.ports.empty()) return "every port";
  std::string out;
  for (size_t i = 0; i < r.ports.size(); ++i) out += (i ? ", " : "") + r.ports[i].str();
  return out;
}

// The hole checks reason about every pod there could be, never only the inventory's.
QueryOptions symbolic(QueryOptions q) {
  q.pin = nullptr;
  return q;
}

std::string dir_word(ir::Direction d) { return d == ir::Direction::Ingress ? "ingress" : "egress"; }

class HoleFinder {
 public:
  HoleFinder(const ir::PolicySet& ps, const ir::Inventory& inv, const HoleOptions& opt)
      : ps_(ps), inv_(inv), opt_(opt), fr_(ir::Family::V4, {&ps}, Scope{}, symbolic(opt.query), {opt.dns}) {}

  // The checks of the policies whose index is `first` + k * `step`, in order (selectors,
  // isolation, rules), then DNS and shadowing if asked. Findings stay in the order found;
  // `policy_of` gives each one's policy index (SIZE_MAX for DNS and shadowing).
  void run(size_t first, size_t step, bool with_dns, bool with_shadowing) {
    // Seconds per kind of check, printed with NETVERIFY_TIMINGS=1 (as the CLI's phases).
    using Clock = std::chrono::steady_clock;
    auto since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    const auto& pols = ps_.policies();
    for (size_t i = first; i < pols.size(); i += step) {
      const ir::Policy& p = pols[i];
      current_ = i;
      auto t0 = Clock::now();
      selectors(p);
      times_.selectors += since(t0);
      for (auto d : ir::kDirections) {
        t0 = Clock::now();
        isolation(p, d);
        times_.isolation += since(t0);
        t0 = Clock::now();
        const auto& rules = p.dir(d).rules;
        for (size_t j = 0; j < rules.size(); ++j) rule_checks(p, d, rules[j]);
        times_.rules += since(t0);
      }
    }
    current_ = SIZE_MAX;
    auto t0 = Clock::now();
    if (with_dns) dns();
    times_.dns += since(t0);
    t0 = Clock::now();
    if (with_shadowing && opt_.shadowing) shadowing();
    times_.shadowing += since(t0);
  }

  struct Times {
    double selectors = 0, isolation = 0, rules = 0, dns = 0, shadowing = 0;
  };
  const Times& times() const { return times_; }
  HoleReport& report() { return report_; }
  const std::vector<size_t>& policy_of() const { return policy_of_; }

 private:
  const ir::PolicySet& ps_;
  const ir::Inventory& inv_;
  const HoleOptions& opt_;
  Frame fr_;
  HoleReport report_;
  std::vector<size_t> policy_of_;  // per finding: the index of the policy being checked
  size_t current_ = SIZE_MAX;
  Times times_;
  std::map<std::string, bool> satisfiable_;  // selector text -> can match

  Encoder& enc() { return *fr_.enc; }
  const SymPacket& pkt() { return *fr_.pkt; }
  z3::context& ctx() { return fr_.ctx; }
  const SymEndpoint& subject(ir::Direction d) { return d == ir::Direction::Ingress ? pkt().dst : pkt().src; }
  const SymEndpoint& other(ir::Direction d) { return d == ir::Direction::Ingress ? pkt().src : pkt().dst; }

  bool sat(const z3::expr& e, const std::string& name) { return fr_.sat_under_base(e, name); }

  // The whole set's verdict per direction, defined once in a solver of its own, so that
  // the checks that need it (DNS, default-deny witnesses) do not rebuild it each time.
  std::unique_ptr<z3::expr> side_[2];
  std::optional<Witness> verdict_witness(ir::Direction d, const z3::expr& e, const std::string& name) {
    if (!side_[0]) {
      for (auto dir : ir::kDirections) {
        z3::expr def = fr_.ctx.bool_const(dir == ir::Direction::Ingress ? "side!ingress" : "side!egress");
        verdict_solver().add(def == enc().side(ps_, dir, pkt()));
        side_[static_cast<int>(dir)] = std::make_unique<z3::expr>(def);
      }
    }
    z3::solver& s = verdict_solver();
    s.push();
    s.add(e && !*side_[static_cast<int>(d)]);
    std::optional<Witness> w;
    if (fr_.checker->sat(s, name))
      w = extract(enc(),
                  minimize(*fr_.checker, s, readability(enc(), pkt()), strings_in_play(enc())),
                  pkt());
    s.pop();
    return w;
  }
  std::unique_ptr<z3::solver> verdict_solver_;
  z3::solver& verdict_solver() {
    if (!verdict_solver_) {
      verdict_solver_ = std::make_unique<z3::solver>(fr_.checker->make_solver());
      verdict_solver_->add(*fr_.base);
    }
    return *verdict_solver_;
  }

  std::optional<Witness> witness(const z3::expr& e, const std::string& name) {
    return fr_.find_under_base(e, name);
  }

  z3::expr peers(const ir::Rule& r, const SymEndpoint& ep) {
    if (r.peers.empty()) return ctx().bool_val(true);
    z3::expr_vector any(ctx());
    for (const auto& p : r.peers) any.push_back(enc().peer(p, ep));
    return z3::mk_or(any);
  }

  z3::expr ports(const ir::Rule& r) {
    if (r.ports.empty()) return ctx().bool_val(true);
    z3::expr_vector any(ctx());
    for (const auto& pm : r.ports) any.push_back(enc().port_match(pm, pkt()));
    return z3::mk_or(any);
  }

  Finding& add(ir::Code code, ir::Severity sev, const ir::Policy& p, const ir::Rule* r, std::string msg) {
    Finding f{code, sev, std::move(msg), &p, r, r && r->span.known() ? r->span : p.span, std::nullopt, ""};
    report_.findings.push_back(std::move(f));
    policy_of_.push_back(current_);
    return report_.findings.back();
  }

  // The witness shows that the rule of `p` matches: the evaluator must agree.
  void attach_rule_witness(Finding& f, const ir::Policy& p, ir::Direction d, const ir::Rule& r,
                           std::optional<Witness> w, std::string caption) {
    if (!w) return;
    const ir::Endpoint& subj = d == ir::Direction::Ingress ? w->pkt.dst : w->pkt.src;
    const ir::Endpoint& oth = d == ir::Direction::Ingress ? w->pkt.src : w->pkt.dst;
    if (!ir::matches(p.subject, subj, *w->inv) || !ir::matches(r, oth, w->pkt, *w->inv))
      throw InternalError("Z3 and the reference evaluator disagree on a witness for " + p.id() + " " + r.path);
    f.witness = std::move(w);
    f.witness_caption = std::move(caption);
  }

  // What a policy applies to, in messages: its pods, or (a host policy) its nodes.
  static std::string selected(const ir::Policy& p) {
    return ir::applies_to_hosts(p) ? "the nodes it selects" : "the pods it selects";
  }

  // NV8004 / NV8005: selectors that nothing can match, or nothing in the inventory does.
  enum class Side { Pod, Ns, Node };
  void selector_check(const ir::Policy& p, const ir::Rule* r, const ir::Selector& s, Side side,
                      const std::string& where) {
    static const char* const kPrefix[] = {"pod:", "ns:", "node:"};
    std::string key = kPrefix[static_cast<int>(side)] + s.str();
    auto it = satisfiable_.find(key);
    if (it == satisfiable_.end()) {
      const SymEndpoint& e = pkt().src;
      const Universe& u = enc().universe();
      z3::expr m = side == Side::Ns ? e.is_pod && enc().selector(s, e.ns_labels, u.ns_keys, &e.ns)
                   : side == Side::Pod
                       ? e.is_pod && enc().selector(s, e.labels, u.pod_keys, nullptr)
                       : e.is_host && enc().selector(s, e.node_labels, u.node_keys, nullptr);
      it = satisfiable_.emplace(key, sat(m, "selector-" + s.str())).first;
    }
    if (!it->second)
      add(ir::Code::NV8004, ir::Severity::Warning, p, r,
          where + " `" + s.str() + "` can never match: no set of labels satisfies it, so " +
              (r ? "this peer matches nothing"
                 : side == Side::Node ? "the policy selects no node"
                                      : "the policy selects no pod"));
  }

  bool inventory_has_match(const ir::Peer& peer) {
    for (const auto& pod : inv_.pods) {
      if (peer.ns_name && pod.ns != *peer.ns_name) continue;
      if (ir::matches(peer, ir::Endpoint::of_pod(pod, ir::Family::V4), inv_)) return true;
    }
    return false;
  }
  // A node selector: some address of a node of the inventory matches the peer.
  bool inventory_has_node_match(const ir::Peer& peer) {
    for (const auto& n : inv_.nodes)
      for (const auto& a : n.addresses)
        if (ir::matches(peer, ir::Endpoint::of_ip(inv_, a), inv_)) return true;
    return false;
  }

  void selectors(const ir::Policy& p) {
    if (p.subject.pod_selector)
      selector_check(p, nullptr, *p.subject.pod_selector, Side::Pod, "podSelector");
    if (p.subject.ns_selector)
      selector_check(p, nullptr, *p.subject.ns_selector, Side::Ns, "namespaceSelector");
    if (p.subject.node_selector)
      selector_check(p, nullptr, *p.subject.node_selector, Side::Node, "nodeSelector");
    bool have_inventory = !inv_.pods.empty();
    if (ir::applies_to_hosts(p)) {
      if (have_inventory && !inventory_has_node_match(p.subject))
        add(ir::Code::NV8005, ir::Severity::Warning, p, nullptr,
            p.id() + " selects no node of the inventory (" + p.subject.str() + ")");
    } else if (have_inventory && !inventory_has_match(p.subject)) {
      add(ir::Code::NV8005, ir::Severity::Warning, p, nullptr,
          p.id() + " selects no pod of the inventory (" + p.subject.str() + ")");
    }
    for (auto d : ir::kDirections)
      for (const auto& r : p.dir(d).rules)
        for (const auto& peer : r.peers) {
          if (peer.pod_selector)
            selector_check(p, &r, *peer.pod_selector, Side::Pod, r.path + " podSelector");
          if (peer.ns_selector)
            selector_check(p, &r, *peer.ns_selector, Side::Ns, r.path + " namespaceSelector");
          if (peer.node_selector)
            selector_check(p, &r, *peer.node_selector, Side::Node, r.path + " node selector");
          if (have_inventory && peer.kinds == ir::mask(ir::EndpointKind::Pod) && !inventory_has_match(peer))
            add(ir::Code::NV8005, ir::Severity::Warning, p, &r,
                r.path + ": no pod of the inventory matches the peer " + peer.str());
          if (have_inventory && peer.node_selector && !inventory_has_node_match(peer))
            add(ir::Code::NV8005, ir::Severity::Warning, p, &r,
                r.path + ": no node of the inventory matches the peer " + peer.str() +
                    (inv_.nodes.empty() ? " (the inventory has no Node objects: "
                                          "`kubectl get nodes -o yaml` adds them)"
                                        : ""));
          if (peer.cidrs) cidr_checks(p, r, *peer.cidrs);
        }
  }

  // NV8012: ipBlocks over the cluster's own addresses.
  void cidr_checks(const ir::Policy& p, const ir::Rule& r, const std::vector<ir::CidrBlock>& blocks) {
    for (const auto& b : blocks) {
      const ir::Pod* example = nullptr;
      size_t n = 0;
      for (const auto& pod : inv_.pods) {
        if (pod.host_network) continue;
        for (const auto& a : pod.ips)
          if (b.contains(a)) {
            if (!example) example = &pod;
            ++n;
            break;
          }
      }
      const ir::Service* svc = nullptr;
      for (const auto& sv : inv_.services)
        for (const auto& a : sv.cluster_ips)
          if (!svc && b.contains(a)) svc = &sv;
      if (svc && !example) {
        add(ir::Code::NV8012, ir::Severity::Warning, p, &r,
            r.path + ": ipBlock " + b.str() + " covers the cluster IP of service " + svc->id() + " (" +
                svc->cluster_ips.front().str() + "); service addresses are translated before policy applies, "
                "so this matches nothing useful: select the service's pods instead");
        continue;
      }
      if (example) {
        add(ir::Code::NV8012, ir::Severity::Warning, p, &r,
            r.path + ": ipBlock " + b.str() + " covers the addresses of " + std::to_string(n) +
                " pod(s) of the inventory, e.g. " + example->id() + " (" + example->ips.front().str() +
                "); pod addresses change, so select pods by label, and except the pod network from ipBlocks");
        continue;
      }
      for (const auto* list : {&opt_.pod_cidrs, &opt_.service_cidrs})
        for (const auto& c : *list)
          if (auto a = overlap(b, c)) {
            bool pods = list == &opt_.pod_cidrs;
            add(ir::Code::NV8012, ir::Severity::Warning, p, &r,
                r.path + ": ipBlock " + b.str() + " covers part of the " + (pods ? "pod" : "service") +
                    " network " + c.str() + " (e.g. " + a->str() + ")" +
                    (pods ? "; select pods by label instead"
                          : "; service addresses are translated before policy applies, so this matches nothing useful"));
            break;
          }
    }
  }

  // An address in both the block and the prefix, if any.
  static std::optional<ir::IpAddr> overlap(const ir::CidrBlock& b, const ir::Cidr& c) {
    if (b.cidr.family() != c.family()) return std::nullopt;
    if (!b.cidr.contains(c) && !c.contains(b.cidr)) return std::nullopt;
    ir::Cidr inner = b.cidr.len >= c.len ? b.cidr : c;
    // Search the inner prefix for an address no except covers: a small Z3 query.
    z3::context ctx;
    Universe u;
    u.family = c.family();
    u.finish();
    Encoder enc(ctx, u);
    z3::expr a = ctx.bv_const("a", static_cast<unsigned>(u.addr_bits()));
    z3::solver s(ctx);
    s.add(enc.in_cidr(a, inner) && enc.in_block(a, b));
    if (s.check() != z3::sat) return std::nullopt;
    z3::model m = s.get_model();
    ir::IpAddr out;
    out.family = c.family();
    unsigned bits = static_cast<unsigned>(u.addr_bits());
    for (unsigned i = 0; i < bits / 8; ++i) {
      unsigned hi = bits - 1 - 8 * i;
      out.bytes[i] = static_cast<uint8_t>(m.eval(a.extract(hi, hi - 7), true).get_numeral_uint());
    }
    return out;
  }

  // NV8001 / NV8002: isolation that admits nothing.
  void isolation(const ir::Policy& p, ir::Direction d) {
    const auto& dr = p.dir(d);
    if (!dr.isolates) return;
    z3::expr sel = enc().peer(p.subject, subject(d));
    if (dr.rules.empty()) {
      Finding& f = add(ir::Code::NV8002, ir::Severity::Note, p, nullptr,
                       p.id() + " is a default-deny for " + dir_word(d) +
                           " of " + selected(p) + " (it lists " + dir_word(d) + " and has no rules)");
      if (auto w = verdict_witness(d, sel, "default-deny-" + p.id())) {
        recheck_side(*w, d, false);
        f.witness = std::move(w);
        f.witness_caption = "denied, for example";
      }
      return;
    }
    z3::expr_vector allows(ctx());
    for (const auto& r : dr.rules)
      if (r.action == ir::Action::Allow) allows.push_back(enc().rule(r, other(d), pkt()));
    if (allows.empty()) return;  // a policy of deny rules admits nothing by design
    if (!sat(sel && z3::mk_or(allows), "admits-" + p.id()))
      add(ir::Code::NV8001, ir::Severity::Warning, p, nullptr,
          p.id() + " isolates " + dir_word(d) + " of " + selected(p) + ", but none of its " + dir_word(d) +
              " allow rules can ever match (proved): it denies all " + dir_word(d));
  }

  void recheck_side(const Witness& w, ir::Direction d, bool expected) {
    ir::SideDecision s = ir::evaluate_side(ps_, *w.inv, d, w.pkt);
    if (s.allowed != expected)
      throw InternalError("Z3 and the reference evaluator disagree on " + dir_word(d) + " for " + w.packet_line());
  }

  // NV8010/11/13/14/15/16: rules that admit too much.
  void rule_checks(const ir::Policy& p, ir::Direction d, const ir::Rule& r) {
    if (r.action != ir::Action::Allow) return;
    bool in = d == ir::Direction::Ingress;
    const SymEndpoint& o = other(d);
    z3::expr sel = enc().peer(p.subject, subject(d));
    z3::expr match = enc().rule(r, o, pkt());
    z3::expr pe = peers(r, o);
    // Every port means some port match of every protocol and every port: an ANY match.
    bool all_ports = r.ports.empty() || std::any_of(r.ports.begin(), r.ports.end(), [](const ir::PortMatch& pm) {
                       return pm.proto == ir::kAnyProto && pm.all_ports();
                     });
    std::string on = all_ports ? "on every port" : "on " + ports_text(r);
    // Cheap exclusions first: only peers that reach outside addresses can cover
    // everything, and only peers without a namespace name can cover every namespace.
    auto any_peer = [&](auto pred) { return r.peers.empty() || std::any_of(r.peers.begin(), r.peers.end(), pred); };
    bool may_reach_outside = any_peer([](const ir::Peer& x) { return (x.kinds & ir::mask(ir::EndpointKind::External)) != 0; });
    bool may_span_namespaces = any_peer([](const ir::Peer& x) { return !x.ns_name; });
    if (may_reach_outside && (r.peers.empty() || !sat(!pe, "anywhere-" + p.id() + r.path))) {
      Finding& f = in ? add(ir::Code::NV8010, all_ports ? ir::Severity::Error : ir::Severity::Warning, p, &r,
                            r.path + " admits ingress from anywhere (every pod, node and address outside the "
                                     "cluster) to " + selected(p) + ", " + on)
                      : add(ir::Code::NV8011, all_ports ? ir::Severity::Warning : ir::Severity::Note, p, &r,
                            r.path + " admits egress to anywhere (every pod, node and address outside the "
                                     "cluster) from " + selected(p) + ", " + on);
      attach_rule_witness(f, p, d, r, witness(sel && match && o.is_ext, "anywhere-witness"),
                          std::string("matched, for example, ") + (in ? "from" : "to") + " outside the cluster");
      return;
    }
    if (may_span_namespaces && (r.peers.empty() || !sat(o.is_pod && !pe, "every-namespace-" + p.id() + r.path))) {
      // The usual cause is a peer with an empty namespaceSelector: name it (NV8013).
      auto empty = std::find_if(r.peers.begin(), r.peers.end(), [](const ir::Peer& a) {
        return a.ns_selector && a.ns_selector->is_all() && (!a.pod_selector || a.pod_selector->is_all()) && !a.cidrs;
      });
      std::string who = in ? " admits ingress from every pod of every namespace, " : " admits egress to every pod of every namespace, ";
      Finding& f =
          empty != r.peers.end()
              ? add(ir::Code::NV8013, in && all_ports ? ir::Severity::Warning : ir::Severity::Note, p, &r,
                    r.path + who + on + ": peer " + std::to_string(empty - r.peers.begin()) +
                        " has an empty namespaceSelector and no podSelector")
          : in ? add(ir::Code::NV8015, all_ports ? ir::Severity::Warning : ir::Severity::Note, p, &r, r.path + who + on)
               : add(ir::Code::NV8016, ir::Severity::Note, p, &r, r.path + who + on);
      z3::expr elsewhere = p.ns.empty() ? ctx().bool_val(true) : !enc().ns_is(o, p.ns);
      attach_rule_witness(f, p, d, r, witness(sel && match && o.is_pod && elsewhere, "every-ns-witness"),
                          "matched, for example, by a pod of another namespace");
      return;
    }
    for (size_t i = 0; i + 1 < r.peers.size(); ++i) {
      const ir::Peer& a = r.peers[i];
      if (p.dialect == "k8s") {
        const ir::Peer& b = r.peers[i + 1];
        bool ns_only = a.ns_selector && !a.ns_selector->is_all() && !a.pod_selector && !a.ns_name && !a.cidrs;
        bool pod_only = b.pod_selector && !b.pod_selector->is_all() && !b.ns_selector && b.ns_name == p.ns && !b.cidrs;
        if (ns_only && pod_only) {
          z3::expr extra = enc().peer(a, o) &&
                           !enc().selector(*b.pod_selector, o.labels, enc().universe().pod_keys, nullptr);
          Finding& f = add(ir::Code::NV8014, ir::Severity::Warning, p, &r,
                           r.path + " lists `namespaceSelector: " + a.ns_selector->str() + "` and `podSelector: " +
                               b.pod_selector->str() + "` as two peers, so either admits: every pod of those "
                               "namespaces, and those pods of " + p.ns + ". If you meant only those pods in those "
                               "namespaces, write both selectors in one peer (no '-' before podSelector)");
          attach_rule_witness(f, p, d, r, witness(sel && match && extra, "or-and-witness"),
                              "matched, for example, by a pod without the podSelector's labels");
        }
      }
    }
  }

  // NV8003: every policy that isolates egress must let its pods reach the cluster DNS.
  void dns() {
    z3::expr to_dns = enc().peer(opt_.dns, pkt().dst) && pkt().proto == ctx().bv_val(opt_.dns_proto, 8) &&
                      pkt().port == ctx().bv_val(opt_.dns_port, 16);
    std::string what = ir::proto_name(opt_.dns_proto) + "/" + std::to_string(opt_.dns_port) + " to " + opt_.dns_text;
    // A policy written once and lowered to several (a Cilium policy's deny and allow
    // parts, a Calico policy split by own-endpoint conditions) is checked, and reported,
    // once: over the pods that any of its isolating parts selects.
    auto copies = copies_by_id(ps_);
    std::set<std::string> done;
    for (const auto& p : ps_.policies()) {
      if (!p.dir(ir::Direction::Egress).isolates || !done.insert(p.id()).second) continue;
      z3::expr sel = ctx().bool_val(false);
      for (const ir::Policy* q : copies[p.id()])
        if (q->dir(ir::Direction::Egress).isolates) sel = sel || enc().peer(q->subject, pkt().src);
      if (auto w = verdict_witness(ir::Direction::Egress, sel && to_dns, "dns-" + p.id())) {
        recheck_side(*w, ir::Direction::Egress, false);
        Finding& f = add(ir::Code::NV8003, ir::Severity::Warning, p, nullptr,
                         p.id() + " isolates egress, and some " + (ir::applies_to_hosts(p) ? "nodes" : "pods") + " it selects cannot reach DNS (" + what + ")");
        f.witness = std::move(w);
        f.witness_caption = "denied, for example";
      } else {
        report_.proved.push_back(p.id() + " keeps DNS: every " + (ir::applies_to_hosts(p) ? "node" : "pod") + " it selects may send " + what + " (proved)");
      }
    }
  }

  // NV8006 / NV8007: rules that earlier rules of the same tier always pre-empt.
  void shadowing() {
    for (size_t t = 0; t < ps_.tiers().size(); ++t)
      for (auto d : ir::kDirections) {
        struct Earlier {
          const ir::Policy* p;
          const ir::Rule* r;
          z3::expr m;
        };
        std::vector<Earlier> earlier;
        for (size_t i : ps_.by_tier()[t]) {
          const ir::Policy& p = ps_.policies()[i];
          z3::expr sel = enc().peer(p.subject, subject(d));
          for (const auto& r : p.dir(d).rules) {
            if (r.action == ir::Action::Log) continue;
            z3::expr m = sel && enc().rule(r, other(d), pkt());
            z3::expr_vector any(ctx()), same(ctx());
            for (const auto& e : earlier) {
              if (p.subject.ns_name && e.p->subject.ns_name && *p.subject.ns_name != *e.p->subject.ns_name) continue;
              any.push_back(e.m);
              if (e.r->action == r.action) same.push_back(e.m);
            }
            if (!any.empty() && sat(m, "matchable-" + p.id() + r.path) &&
                !sat(m && !z3::mk_or(any), "shadowed-" + p.id() + r.path)) {
              bool redundant = !same.empty() && !sat(m && !z3::mk_or(same), "redundant-" + p.id() + r.path);
              if (redundant)
                add(ir::Code::NV8007, ir::Severity::Note, p, &r,
                    r.path + " adds nothing: earlier rules with the same action match every packet it matches "
                             "(proved)");
              else
                add(ir::Code::NV8006, ir::Severity::Warning, p, &r,
                    r.path + " (" + ir::name(r.action) + ") never decides: earlier rules decide every packet it "
                             "matches, some with another action (proved)");
            }
            earlier.push_back({&p, &r, m});
          }
        }
      }
  }
};

}  // namespace

// A Calico policy whose rules constrain its own endpoint is lowered as several copies with
// disjoint subjects, each with the rules that hold for its pods (compiler/frontends/calico/
// own.cpp). A finding about the policy holds only if every copy has it, one about a rule
// only if every copy with that rule has it; it is reported once. (NV8003, about DNS, is
// checked once per written policy over all its parts: dns().)
static void merge_copies(const ir::PolicySet& ps, std::vector<Finding>& findings) {
  auto copies = copies_by_id(ps);
  using Key = std::pair<ir::Code, std::string>;  // (code, rule path or "")
  std::map<const ir::Policy*, std::set<Key>> has;
  for (const auto& f : findings)
    if (f.policy) has[f.policy].insert({f.code, f.rule ? f.rule->path : ""});
  auto has_rule = [](const ir::Policy& p, const std::string& path) {
    for (const auto& d : p.dirs)
      for (const auto& r : d.rules)
        if (r.path == path) return true;
    return false;
  };
  std::set<std::tuple<std::string, ir::Code, std::string, std::string>> seen;
  std::vector<Finding> out;
  for (auto& f : findings) {
    // NV8003 is found once per written policy already, over the pods of all its parts.
    if (f.policy && f.code != ir::Code::NV8003) {
      const auto& all = copies[f.policy->id()];
      if (all.size() > 1) {
        Key k{f.code, f.rule ? f.rule->path : ""};
        bool everywhere = std::all_of(all.begin(), all.end(), [&](const ir::Policy* c) {
          return (f.rule && !has_rule(*c, k.second)) || has[c].contains(k);
        });
        if (!everywhere || !seen.insert({f.policy->id(), f.code, k.second, f.message}).second)
          continue;
      }
    }
    out.push_back(std::move(f));
  }
  findings = std::move(out);
}

// From this many policies on, the checks run on two threads, each with a Z3 context of its
// own: one takes the even policies and the DNS check, the other the odd ones and
// shadowing. A fixed number, not the machine's, so that the witnesses (which depend on
// the queries a context answered before) are the same on every machine.
constexpr size_t kPoliciesForTwoThreads = 64;

HoleReport find_holes(const ir::PolicySet& ps, const ir::Inventory& inv, const HoleOptions& opt) {
  size_t n = ps.policies().size() >= kPoliciesForTwoThreads ? 2 : 1;
  if (opt.threads) n = std::min<size_t>(opt.threads, 2);
  std::vector<std::unique_ptr<HoleFinder>> finders(n);
  std::vector<std::exception_ptr> errors(n);
  auto work = [&](size_t w) {
    try {
      finders[w] = std::make_unique<HoleFinder>(ps, inv, opt);
      finders[w]->run(w, n, w == 0, w + 1 == n);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  on_threads(n, work);
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  // The findings in the order one thread would have found them: the per-policy checks by
  // policy, then DNS, then shadowing; then sorted by location (stable).
  HoleReport r;
  std::vector<size_t> next(n, 0);
  for (;;) {
    size_t best = n;
    for (size_t w = 0; w < n; ++w) {
      const auto& of = finders[w]->policy_of();
      if (next[w] < of.size() && of[next[w]] != SIZE_MAX &&
          (best == n || of[next[w]] < finders[best]->policy_of()[next[best]]))
        best = w;
    }
    if (best == n) break;
    r.findings.push_back(std::move(finders[best]->report().findings[next[best]++]));
  }
  for (size_t w = 0; w < n; ++w) {
    auto& fs = finders[w]->report().findings;
    for (size_t i = next[w]; i < fs.size(); ++i) r.findings.push_back(std::move(fs[i]));
    auto& pr = finders[w]->report().proved;
    r.proved.insert(r.proved.end(), pr.begin(), pr.end());
  }
  merge_copies(ps, r.findings);
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.span.file, a.span.doc, a.span.line, a.span.col) <
           std::tie(b.span.file, b.span.doc, b.span.line, b.span.col);
  });
  if (timings_requested())
    for (size_t w = 0; w < n; ++w) {
      const auto& tm = finders[w]->times();
      std::fprintf(stderr,
                   "timing: holes (thread %zu of %zu): selectors %.3f s, isolation %.3f s, rules "
                   "%.3f s, dns %.3f s, "
                   "shadowing %.3f s\n",
                   w + 1, n, tm.selectors, tm.isolation, tm.rules, tm.dns, tm.shadowing);
    }
  // Tearing down a large Z3 context takes seconds; a process about to exit may skip it
  // (as clang's -disable-free does). Witnesses own their data, so nothing dangles.
  if (opt.leak_solver)
    for (auto& f : finders) (void)f.release();
  return r;
}

}  // namespace nv::verifier
