// One address family's solver state for a question about some policy sets (internal to
// verifier/: queries and holes).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "verifier/queries.h"

namespace nv::verifier {

// One address family's solver state for a question about some policy sets.
struct Frame {
  z3::context ctx;
  Universe u;
  std::unique_ptr<Encoder> enc;
  std::unique_ptr<SymPacket> pkt;
  std::unique_ptr<Checker> checker;
  std::unique_ptr<z3::expr> base;  // the packet is possible and inside the scope

  Frame(ir::Family family, const std::vector<const ir::PolicySet*>& sets, const Scope& scope,
        const QueryOptions& opt, const std::vector<ir::Peer>& extra = {}) {
    u.family = family;
    for (const auto* ps : sets) u.add(*ps);
    for (const auto& p : extra) u.add(p);
    if (scope.from) u.add(*scope.from);
    if (scope.to) u.add(*scope.to);
    if (opt.pin) u.add_inventory(*opt.pin);
    if (scope.l7_pinned) u.add_request(scope.http, scope.dns.has_value(), scope.http_any_headers);
    u.finish();
    enc = std::make_unique<Encoder>(ctx, u);
    pkt = std::make_unique<SymPacket>(enc->packet());
    if (opt.pin) enc->pin(*pkt, *opt.pin);
    if (scope.l7_pinned) enc->pin_l7(*pkt, scope.http, scope.dns, scope.http_any_headers);
    checker = std::make_unique<Checker>(ctx, opt.solver);
    z3::expr b = enc->facts_conj();
    if (scope.from) b = b && enc->peer(*scope.from, pkt->src);
    if (scope.to) b = b && enc->peer(*scope.to, pkt->dst);
    if (scope.proto) b = b && pkt->proto == ctx.bv_val(*scope.proto, 8);
    if (scope.port && scope.port_hi)
      b = b && z3::ule(ctx.bv_val(*scope.port, 16), pkt->port) &&
          z3::ule(pkt->port, ctx.bv_val(*scope.port_hi, 16));
    else if (scope.port)
      b = b && pkt->port == ctx.bv_val(*scope.port, 16);
    base = std::make_unique<z3::expr>(b);
  }

  // Many small questions against one base: one solver, the base asserted once, each
  // question in its own push/pop scope.
  bool sat_under_base(const z3::expr& e, const std::string& name) {
    z3::solver& s = shared();
    s.push();
    s.add(e);
    bool r = checker->sat(s, name);
    s.pop();
    return r;
  }
  std::optional<Witness> find_under_base(const z3::expr& goal, const std::string& name) {
    z3::solver& s = shared();
    s.push();
    s.add(goal);
    std::optional<Witness> w;
    if (checker->sat(s, name))
      w = extract(*enc, minimize(*checker, s, readability(*enc, *pkt), strings_in_play(*enc)),
                  *pkt);
    s.pop();
    return w;
  }
  z3::solver& shared() {
    if (!shared_) {
      shared_ = std::make_unique<z3::solver>(checker->make_solver());
      shared_->add(*base);
    }
    return *shared_;
  }
  std::unique_ptr<z3::solver> shared_;

  // A readable witness of `goal`, or nothing when there is none.
  std::optional<Witness> find(const z3::expr& goal, const std::string& name) {
    z3::solver s = checker->make_solver();
    s.add(*base && goal);
    if (!checker->sat(s, name)) return std::nullopt;
    z3::model m = minimize(*checker, s, readability(*enc, *pkt), strings_in_play(*enc));
    return extract(*enc, m, *pkt);
  }
};

}  // namespace nv::verifier
