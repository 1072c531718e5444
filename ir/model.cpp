#include "ir/model.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <numeric>
#include <stdexcept>
#include <tuple>

namespace nv::ir {

const char* name(Direction d) { return d == Direction::Ingress ? "ingress" : "egress"; }

const char* name(Action a) {
  switch (a) {
    case Action::Allow:
      return "allow";
    case Action::Deny:
      return "deny";
    case Action::Pass:
      return "pass";
    case Action::Log:
      return "log";
  }
  return "";
}

std::string proto_name(int proto) {
  switch (proto) {
    case kAnyProto:
      return "ANY";
    case kTCP:
      return "TCP";
    case kUDP:
      return "UDP";
    case kSCTP:
      return "SCTP";
    case kICMP:
      return "ICMP";
    case kICMPv6:
      return "ICMPv6";
  }
  return std::to_string(proto);
}

std::optional<int> parse_proto(std::string_view text) {
  std::string up;
  for (char c : text) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "TCP") return kTCP;
  if (up == "UDP") return kUDP;
  if (up == "SCTP") return kSCTP;
  if (up == "ICMP") return kICMP;
  if (up == "ICMPV6") return kICMPv6;
  if (up == "ANY") return kAnyProto;
  int n = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && p == text.data() + text.size() && n >= 0 && n <= 255) return n;
  return std::nullopt;
}

std::string packet_port_str(int proto, uint16_t port) {
  if (is_icmp(proto))
    return proto_name(proto) + " type " + std::to_string(port >> 8) + " code " +
           std::to_string(port & 255);
  return proto_name(proto) + "/" + std::to_string(port);
}

std::string PortMatch::str() const {
  std::string p = proto_name(proto);
  if (!named.empty()) return p + "/" + named;
  if (all_ports()) return p;
  if (is_icmp(proto)) {
    auto tc = [](uint16_t v) {
      return "type " + std::to_string(v >> 8) + " code " + std::to_string(v & 255);
    };
    if ((lo & 255) == 0 && (hi & 255) == 255 && (lo >> 8) == (hi >> 8))
      return p + "/type " + std::to_string(lo >> 8);
    if (lo == hi) return p + "/" + tc(lo);
    return p + "/" + tc(lo) + "-" + tc(hi);
  }
  if (lo == hi) return p + "/" + std::to_string(lo);
  return p + "/" + std::to_string(lo) + "-" + std::to_string(hi);
}

bool CidrBlock::contains(const IpAddr& a) const {
  if (!cidr.contains(a)) return false;
  return std::none_of(except.begin(), except.end(), [&](const Cidr& e) { return e.contains(a); });
}

std::string CidrBlock::str() const {
  std::string out = cidr.str();
  if (!except.empty()) {
    out += " except ";
    for (size_t i = 0; i < except.size(); ++i) out += (i ? ", " : "") + except[i].str();
  }
  return out;
}

std::string Peer::str() const {
  std::vector<std::string> parts;
  if (kinds != kAllKinds) {
    std::string k;
    if (kinds & mask(EndpointKind::Pod)) k += "pod";
    if (kinds & mask(EndpointKind::External)) k += std::string(k.empty() ? "" : "|") + "external";
    if (kinds & mask(EndpointKind::Host)) k += std::string(k.empty() ? "" : "|") + "host";
    parts.push_back("kind " + (k.empty() ? std::string("none") : k));
  }
  if (ns_name) parts.push_back("namespace " + *ns_name);
  if (ns_selector) parts.push_back("namespace labels " + ns_selector->str());
  if (pod_selector) parts.push_back("pod labels " + pod_selector->str());
  if (node_selector) parts.push_back("node labels " + node_selector->str());
  if (cidrs) {
    std::string c;
    for (size_t i = 0; i < cidrs->size(); ++i) c += (i ? " or " : "") + (*cidrs)[i].str();
    parts.push_back("address in " + (c.empty() ? std::string("nothing") : c));
  }
  if (fqdns) {
    std::string f;
    for (size_t i = 0; i < fqdns->size(); ++i) f += (i ? " or /" : "/") + nv::ir::str((*fqdns)[i]) + "/";
    parts.push_back("DNS name matching " + (f.empty() ? std::string("nothing") : f));
  }
  if (parts.empty()) return "anything";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out;
}

std::string Policy::id() const {
  // Calico's NetworkPolicy shares its kind with Kubernetes': name the dialect.
  std::string prefix = dialect == "calico" && kind == "NetworkPolicy" ? "Calico " : "";
  return prefix + kind + " " + (ns.empty() ? name : ns + "/" + name);
}

const Tier& PolicySet::add_tier(Tier t) {
  for (const auto& existing : tiers_)
    if (existing.name == t.name) return existing;
  tiers_.push_back(std::move(t));
  return tiers_.back();
}

void PolicySet::add(Policy p) { policies_.push_back(std::move(p)); }

void PolicySet::finalize() {
  std::stable_sort(tiers_.begin(), tiers_.end(), [](const Tier& a, const Tier& b) {
    return std::tie(a.order, a.name) < std::tie(b.order, b.name);
  });
  std::stable_sort(policies_.begin(), policies_.end(), [](const Policy& a, const Policy& b) {
    return std::tie(a.order, a.kind, a.ns, a.name) < std::tie(b.order, b.kind, b.ns, b.name);
  });
  by_tier_.assign(tiers_.size(), {});
  for (size_t i = 0; i < policies_.size(); ++i) {
    auto it = std::find_if(tiers_.begin(), tiers_.end(),
                           [&](const Tier& t) { return t.name == policies_[i].tier; });
    if (it == tiers_.end())
      throw std::logic_error("policy " + policies_[i].id() + " names unknown tier " +
                             policies_[i].tier);
    by_tier_[it - tiers_.begin()].push_back(i);
  }
}

}  // namespace nv::ir
