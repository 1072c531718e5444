// The verdict of the reference evaluator, in words.
#include "ir/evaluate.h"

namespace nv::ir {

static std::string where(const SourceSpan& s) { return s.known() ? " (" + s.str() + ")" : ""; }

static std::string policy_list(const std::vector<const Policy*>& ps) {
  std::string out;
  for (size_t i = 0; i < ps.size(); ++i) {
    if (i) out += i + 1 == ps.size() ? " and " : ", ";
    out += ps[i]->id() + where(ps[i]->span);
  }
  return out;
}

// "GET http://shop/api/x", "DNS query api.example.com", or "" for a bare connection.
static std::string request(const Packet& pkt) {
  if (pkt.http) return pkt.http->str();
  if (pkt.dns_query) return "DNS query " + *pkt.dns_query;
  return "";
}

static std::string l7_where(const Rule& r, const Packet& pkt) {
  auto i = l7_match(*r.l7, pkt);
  if (!i) return r.path;
  return *i < r.l7->http.size() ? r.l7->http[*i].where : r.l7->dns[*i - r.l7->http.size()].where;
}

// Why L7 rules whose L3/L4 part matched did not allow the packet.
static std::string l7_missed(const std::vector<const Rule*>& rules, const Packet& pkt) {
  bool http = false, dns = false;
  std::string paths, answer;
  for (const Rule* r : rules) {
    paths += (paths.empty() ? "" : ", ") + r->path;
    http = http || !r->l7->http.empty();
    dns = dns || !r->l7->dns.empty();
    if (answer.empty()) answer = r->l7->answer;
  }
  std::string kinds = http && dns ? "HTTP requests and DNS queries"
                      : http      ? "HTTP requests"
                                  : "DNS queries";
  std::string out = "\n    at L7: ";
  if (!pkt.http && !pkt.dns_query)
    out += paths + " allow only " + kinds + ", and this connection carries none";
  else
    out += "no " + std::string(pkt.http ? "HTTP" : "DNS") + " rule of " + paths + " matches " +
           request(pkt);
  if (!answer.empty() && (pkt.http || pkt.dns_query)) out += " (" + answer + ")";
  return out;
}

static std::string side(const SideDecision& d, Direction dir, const Packet& pkt) {
  const Endpoint& subject = dir == Direction::Ingress ? pkt.dst : pkt.src;
  const Endpoint& peer = dir == Direction::Ingress ? pkt.src : pkt.dst;
  std::string head = std::string(name(dir)) + (dir == Direction::Ingress ? " to " : " from ") +
                     subject.str() + ": ";
  std::string what = packet_port_str(pkt.proto, pkt.port) +
                     (dir == Direction::Ingress ? " from " : " to ") + peer.str();
  if (!request(pkt).empty()) what += " (" + request(pkt) + ")";
  std::string out;
  switch (d.kind) {
    case SideDecision::Kind::NotEnforced:
      out = head + "allowed: not a pod that policy applies to";
      break;
    case SideDecision::Kind::NotIsolated:
      out = head + "allowed: not isolated (no policy selects it for " + name(dir) + ")";
      break;
    case SideDecision::Kind::Rule:
      if (d.rule->l7) {
        out = head + "allowed at L7 by " + d.policy->id() + " " + d.rule->path +
              where(d.rule->span) + ": " + request(pkt) + " matches " + l7_where(*d.rule, pkt);
        break;
      }
      out = head + (d.allowed ? "allowed by " : "denied by ") + d.policy->id() + " " +
            d.rule->path + where(d.rule->span);
      break;
    case SideDecision::Kind::TierDefault:
      out = head + "denied: isolated for " + name(dir) + " by " + policy_list(d.isolating) +
            ", and no " + name(dir) + " rule of the policies selecting it allows " + what;
      if (d.tier && d.tier->name != kDefaultTier) out += " (end of tier " + d.tier->name + ")";
      if (!d.l7_missed.empty()) out += l7_missed(d.l7_missed, pkt);
      break;
    case SideDecision::Kind::PassedAll:
      out = head + "allowed: every tier that applies passed it on";
      break;
  }
  for (const auto& p : d.passed)
    out += "\n    passed on by " + p.policy->id() + " " + p.rule->path + where(p.rule->span) +
           " (tier " + p.tier->name + ")";
  for (const Rule* r : d.logged) out += "\n    logged by " + r->path + where(r->span);
  return out;
}

std::string explain(const Verdict& v, const Packet& pkt) {
  std::string out;
  if (v.shortcut == Verdict::Shortcut::Self)
    out += "  a pod's traffic to itself is always allowed\n";
  if (v.shortcut == Verdict::Shortcut::NodeLocal)
    out += "  traffic between a pod and its own node is always allowed\n";
  out += "  " + side(v.egress, Direction::Egress, pkt) + "\n";
  out += "  " + side(v.ingress, Direction::Ingress, pkt) + "\n";
  return out;
}

}  // namespace nv::ir
