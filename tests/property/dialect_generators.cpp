#include "tests/property/dialect_generators.h"

#include <tuple>
#include <vector>

namespace nv::test {

namespace {

const std::vector<std::string> kNamespaces = {"ns0", "ns1", "ns2"};
const std::vector<std::string> kKeys = {"app", "tier", "env"};
const std::vector<std::string> kValues = {"a", "b", "c"};
const std::vector<std::string> kServiceAccounts = {"default", "sa1", "sa2"};  // as gen_world's pods

int between(int lo, int hi) { return *rc::gen::resize(100, rc::gen::inRange(lo, hi + 1)); }
bool coin(int one_in = 2) { return between(1, one_in) == 1; }
template <class T>
const T& pick(const std::vector<T>& v) {
  return v[static_cast<size_t>(between(0, static_cast<int>(v.size()) - 1))];
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// ---------------------------------------------------------------------------------------
// Calico

// A Calico selector expression over the label vocabulary.
std::string calico_selector(int depth) {
  const std::string& k = pick(kKeys);
  const std::string& v = pick(kValues);
  switch (between(0, depth > 0 ? 11 : 8)) {
    case 0:
      return "all()";
    case 1:
      return "has(" + k + ")";
    case 2:
      return k + " == " + quoted(v);
    case 3:
      return k + " != " + quoted(v);
    case 4:
      return k + " in {" + quoted(v) + ", " + quoted(pick(kValues)) + "}";
    case 5:
      return k + " not in {" + quoted(v) + "}";
    case 6:
      return k + " starts with " + quoted(v.substr(0, 1));
    case 7:
      return k + " contains " + quoted(v);
    case 8:
      return k + " ends with " + quoted(v);
    case 9:
      return "!(" + calico_selector(depth - 1) + ")";
    case 10:
      return "(" + calico_selector(depth - 1) + ") && (" + calico_selector(depth - 1) + ")";
    default:
      return "(" + calico_selector(depth - 1) + ") || (" + calico_selector(depth - 1) + ")";
  }
}

// A network address (Calico refuses host bits) in 10.0.0.0/24.
std::string net() {
  int len = between(24, 31);
  int size = 1 << (32 - len);
  return "10.0.0." + std::to_string(between(0, 256 / size - 1) * size) + "/" + std::to_string(len);
}

std::string calico_entity(const std::string& indent) {
  std::string out;
  if (coin(3)) out += indent + "nets: [" + net() + "]\n";
  if (coin(5)) out += indent + "notNets: [" + net() + "]\n";
  if (coin(2)) out += indent + "selector: \"" + calico_selector(1) + "\"\n";
  if (coin(5)) out += indent + "notSelector: \"" + calico_selector(1) + "\"\n";
  if (coin(4))
    out += indent + "namespaceSelector: \"" +
           (coin(3) ? std::string("all()") : calico_selector(0)) + "\"\n";
  if (coin(5)) {  // the account's name and/or its labels (pcsa.*)
    out += indent + "serviceAccounts:\n";
    bool names = coin(), sel = !names || coin();
    if (names)
      out += indent + "  names: [" + pick(kServiceAccounts) + ", " + pick(kServiceAccounts) + "]\n";
    if (sel) out += indent + "  selector: \"" + calico_selector(0) + "\"\n";
  }
  return out;
}

// The policy's own side of a rule (an ingress rule's destination, an egress rule's source),
// lighter than the remote side so that a policy's own-side conditions stay under the
// frontend's limit of 64 subject copies.
std::string calico_own_entity(const std::string& indent) {
  std::string out;
  if (!coin(3)) return out;
  if (coin(3)) out += indent + "nets: [" + net() + "]\n";
  if (coin(6)) out += indent + "notNets: [" + net() + "]\n";
  if (coin(2)) out += indent + "selector: \"" + calico_selector(coin(3) ? 1 : 0) + "\"\n";
  if (coin(6)) out += indent + "notSelector: \"" + calico_selector(0) + "\"\n";
  if (coin(6))
    out += indent + "namespaceSelector: \"" +
           (coin(3) ? std::string("all()") : calico_selector(0)) + "\"\n";
  if (coin(8)) {
    out += indent + "serviceAccounts:\n";
    if (coin())
      out += indent + "  names: [" + pick(kServiceAccounts) + "]\n";
    else
      out += indent + "  selector: \"" + calico_selector(0) + "\"\n";
  }
  return out;
}

std::string calico_ports(bool named_ok) {
  std::vector<std::string> items;
  int n = between(1, 2);
  for (int i = 0; i < n; ++i) {
    switch (between(0, named_ok ? 2 : 1)) {
      case 0:
        items.push_back(std::to_string(between(79, 82)));
        break;
      case 1: {
        int lo = between(79, 82);
        items.push_back("\"" + std::to_string(lo) + ":" + std::to_string(lo + between(0, 2)) +
                        "\"");
        break;
      }
      default:
        items.push_back(coin() ? "http" : "dns");
        break;
    }
  }
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

// A Calico `http` match over the tiny request vocabulary of gen_request (methods GET, POST,
// PUT; paths under /a and /b), so that random requests hit it and miss it.
std::string calico_http() {
  std::string out = "    http:\n";
  if (coin(4)) return out + "      {}\n";
  if (coin()) {
    std::vector<std::string> all = {"GET", "POST", "*"}, methods;
    for (const auto& m : all)
      if (coin()) methods.push_back(m);
    if (methods.empty()) methods.push_back("GET");
    out += "      methods: [";
    for (size_t i = 0; i < methods.size(); ++i) out += (i ? ", " : "") + quoted(methods[i]);
    out += "]\n";
  }
  if (coin(3) || out == "    http:\n") {
    out += "      paths:\n";
    int n = between(1, 2);
    for (int i = 0; i < n; ++i)
      out += std::string("      - ") + (coin() ? "exact: " : "prefix: ") +
             pick(std::vector<std::string>{"/a", "/a/b", "/b", "/"}) + "\n";
  }
  return out;
}

std::string calico_rule(const std::string& dir) {
  std::string r =
      "  - action: " + pick(std::vector<std::string>{"Allow", "Allow", "Deny", "Pass", "Log"}) +
      "\n";
  std::string proto;
  switch (between(0, 5)) {
    case 0:
      proto = "TCP";
      break;
    case 1:
      proto = "UDP";
      break;
    case 2:
      proto = "SCTP";
      break;
    case 3:
      proto = coin() ? "ICMP" : "1";
      break;
    default:
      break;  // no protocol
  }
  if (!proto.empty()) r += "    protocol: " + proto + "\n";
  if (proto.empty() && coin(4))
    r += "    notProtocol: " + pick(std::vector<std::string>{"TCP", "UDP"}) + "\n";
  if (coin(4)) r += "    ipVersion: 4\n";
  // ICMP type/code (validator: code only with a type), matched, excluded, or both.
  if ((proto == "ICMP" || proto == "1") && coin(2)) {
    auto fields = [] {
      std::string t = std::to_string(pick(std::vector<int>{0, 3, 8}));
      return coin(2) ? "{type: " + t + "}"
                     : "{type: " + t + ", code: " + std::to_string(between(0, 1)) + "}";
    };
    int which = between(0, 2);
    if (which != 1) r += "    icmp: " + fields() + "\n";
    if (which != 0) r += "    notICMP: " + fields() + "\n";
  }
  bool ports_ok = proto == "TCP" || proto == "UDP" || proto == "SCTP";
  // The remote side: source of ingress rules, destination of egress rules.
  std::string remote = calico_entity("      ");
  std::string dst_ports;
  bool not_ports = ports_ok && coin(5);
  if (ports_ok && coin(2)) dst_ports += "      ports: " + calico_ports(!not_ports) + "\n";
  // Named ports together with notPorts are refused (NV5036).
  if (not_ports) dst_ports += "      notPorts: [" + std::to_string(between(79, 82)) + "]\n";
  std::string own = calico_own_entity("      ");
  if (dir == "ingress") {
    if (!remote.empty()) r += "    source:\n" + remote;
    if (!own.empty() || !dst_ports.empty()) r += "    destination:\n" + own + dst_ports;
  } else {
    if (!own.empty()) r += "    source:\n" + own;
    if (!remote.empty() || !dst_ports.empty()) r += "    destination:\n" + remote + dst_ports;
  }
  // HTTP matches: ingress Allow rules with protocol TCP or none (validator.go).
  if (dir == "ingress" && r.find("action: Allow") != std::string::npos &&
      (proto.empty() || proto == "TCP") && coin(5))
    r += calico_http();
  return r;
}

std::string calico_policy(int i, const std::vector<std::string>& tiers) {
  bool global = coin(3);
  std::string tier = pick(tiers);
  std::string name = (tier == "default" ? "" : tier + ".") + "pol" + std::to_string(i);
  std::string out = "apiVersion: projectcalico.org/v3\nkind: " +
                    std::string(global ? "GlobalNetworkPolicy" : "NetworkPolicy") +
                    "\nmetadata:\n  name: " + name + "\n" +
                    (global ? "" : "  namespace: " + pick(kNamespaces) + "\n") + "spec:\n";
  if (tier != "default") out += "  tier: " + tier + "\n";
  if (coin(3)) out += "  order: " + std::to_string(between(0, 3) * 100) + "\n";
  out += "  selector: \"" + calico_selector(1) + "\"\n";
  if (coin(5))
    out += "  serviceAccountSelector: \"" +
           (coin(3) ? "projectcalico.org/name == " + quoted(pick(kServiceAccounts))
                    : calico_selector(0)) +
           "\"\n";
  int nin = between(0, 2), neg = between(0, 2);
  if (coin(3)) {
    std::vector<std::string> types;
    if (coin(4) || nin) types.push_back("Ingress");
    if (coin(4) || neg) types.push_back("Egress");
    if (types.empty()) types.push_back("Ingress");
    out += "  types: [";
    for (size_t t = 0; t < types.size(); ++t) out += (t ? ", " : "") + types[t];
    out += "]\n";
  }
  if (nin) {
    out += "  ingress:\n";
    for (int r = 0; r < nin; ++r) out += calico_rule("ingress");
  }
  if (neg) {
    out += "  egress:\n";
    for (int r = 0; r < neg; ++r) out += calico_rule("egress");
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy, small, for mixed sets.

std::string k8s_policy(int i) {
  std::string out =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: k" +
      std::to_string(i) + "\n  namespace: " + pick(kNamespaces) + "\nspec:\n  podSelector:\n" +
      (coin() ? "    matchLabels: {" + pick(kKeys) + ": " + pick(kValues) + "}\n" : "    {}\n");
  out += "  policyTypes: [" + std::string(coin() ? "Ingress" : "Egress") + "]\n";
  std::string dir = out.find("Ingress]") != std::string::npos ? "ingress" : "egress";
  std::string peer = dir == "ingress" ? "from" : "to";
  if (coin(3)) return out;  // deny all
  out += "  " + dir + ":\n  - " + peer + ":\n    - podSelector: {matchLabels: {" + pick(kKeys) +
         ": " + pick(kValues) + "}}\n";
  if (coin())
    out += "    ports:\n    - {protocol: TCP, port: " + std::to_string(between(79, 82)) + "}\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// Cilium

std::string cilium_selector(const std::string& indent, bool with_namespace) {
  std::string out;
  int n = between(0, 2);
  if (n == 0 && !with_namespace) return indent + "{}\n";
  std::string labels, exprs;
  size_t first = static_cast<size_t>(between(0, 2));
  for (int i = 0; i < n; ++i) {  // distinct keys: `k8s:app` and `app` are one key
    std::string key = (coin(3)   ? "k8s:"
                       : coin(4) ? "any:"
                                 : "") +
                      kKeys[(first + static_cast<size_t>(i)) % kKeys.size()];
    if (coin())
      labels += indent + "  " + key + ": " + pick(kValues) + "\n";
    else
      switch (between(0, 3)) {
        case 0:
          exprs +=
              indent + "  - {key: " + key + ", operator: In, values: [" + pick(kValues) + "]}\n";
          break;
        case 1:
          exprs +=
              indent + "  - {key: " + key + ", operator: NotIn, values: [" + pick(kValues) + "]}\n";
          break;
        case 2:
          exprs += indent + "  - {key: " + key + ", operator: Exists}\n";
          break;
        default:
          exprs += indent + "  - {key: " + key + ", operator: DoesNotExist}\n";
          break;
      }
  }
  if (coin(5))  // the pod's service account
    exprs += indent + "  - {key: " + (coin() ? "k8s:" : "") +
             "io.cilium.k8s.policy.serviceaccount, operator: " + (coin() ? "In" : "NotIn") +
             ", values: [" + pick(kServiceAccounts) + "]}\n";
  if (with_namespace) {
    if (coin())
      labels += indent + "  k8s:io.kubernetes.pod.namespace: " + pick(kNamespaces) + "\n";
    else
      exprs += indent + "  - {key: io.kubernetes.pod.namespace, operator: Exists}\n";
  }
  if (!labels.empty()) out += indent + "matchLabels:\n" + labels;
  if (!exprs.empty()) out += indent + "matchExpressions:\n" + exprs;
  return out.empty() ? indent + "{}\n" : out;
}

// Cilium L7 rules over the vocabulary of gen_request: small regular expressions over a
// tiny alphabet, so that requests and names collide with them.
std::string cilium_http() {
  std::string out = "      rules:\n        http:\n";
  int n = between(1, 2);
  for (int i = 0; i < n; ++i) {
    std::string item;
    if (coin())
      item +=
          ", method: " + quoted(pick(std::vector<std::string>{"GET", "GET|POST", "P.*", "PUT"}));
    if (coin())
      item += ", path: " +
              quoted(pick(std::vector<std::string>{"/a", "/a.*", "/(a|b)", "/b/?", "/[ab]+"}));
    if (coin(4))
      item += ", host: " + quoted(pick(std::vector<std::string>{"x", "x|y", "[xy]\\.io"}));
    if (coin(4))
      item +=
          ", headers: [" + quoted(pick(std::vector<std::string>{"X-A", "X-A: 1", "x-b 2"})) + "]";
    if (coin(4))  // presence-only, exact value, and mismatch actions (no condition)
      item += ", headerMatches: [" +
              pick(std::vector<std::string>{"{name: X-A}", "{name: x-b, value: \"2\"}",
                                            "{name: X-A, value: \"1\", mismatch: LOG}",
                                            "{name: x-b, value: \"3\", mismatch: REPLACE}",
                                            "{name: X-A, mismatch: DELETE}"}) +
              "]";
    out += "        - {" + (item.empty() ? std::string() : item.substr(2)) + "}\n";
  }
  return out;
}

std::string dns_selector() {
  return coin() ? "{matchName: " + pick(std::vector<std::string>{"a.io", "b.a.io", "A.io."}) + "}"
                : "{matchPattern: " +
                      quoted(pick(std::vector<std::string>{"*", "*.a.io", "a*.io", "*.io"})) + "}";
}

// Egress to port 53 with DNS rules (the only place Cilium takes them).
std::string cilium_dns_ports() {
  std::string out = "    toPorts:\n    - ports:\n      - port: \"53\"\n";
  out += std::string("        protocol: ") + pick(std::vector<std::string>{"UDP", "TCP", "ANY"}) +
         "\n";
  out += "      rules:\n        dns:\n";
  int n = between(1, 2);
  for (int i = 0; i < n; ++i) out += "        - " + dns_selector() + "\n";
  return out;
}

std::string cilium_ports(bool named_ok, bool l7_ok = false) {
  std::string out = "    toPorts:\n    - ports:\n";
  int n = between(1, 2);
  for (int i = 0; i < n; ++i) {
    int lo = between(79, 82);
    // Named ports only in ingress rules (egress ones are refused, NV6027).
    out += "      - port: \"" +
           (named_ok && coin(5) ? std::string(coin() ? "http" : "dns") : std::to_string(lo)) +
           "\"\n";
    if (out.find("\"http\"") == std::string::npos && out.find("\"dns\"") == std::string::npos &&
        coin(4))
      out += "        endPort: " + std::to_string(lo + between(0, 2)) + "\n";
    switch (between(0, 4)) {
      case 0:
        out += "        protocol: TCP\n";
        break;
      case 1:
        out += "        protocol: UDP\n";
        break;
      case 2:
        out += "        protocol: SCTP\n";
        break;
      case 3:
        out += "        protocol: ANY\n";
        break;
      default:
        break;
    }
  }
  // HTTP rules need protocol TCP on every port of the entry (rule_validation.go).
  bool all_tcp = true;
  for (size_t at = out.find("      - port:"); at != std::string::npos;
       at = out.find("      - port:", at + 1)) {
    size_t next = out.find("      - port:", at + 1);
    std::string item = out.substr(at, next == std::string::npos ? std::string::npos : next - at);
    all_tcp = all_tcp && item.find("protocol: TCP") != std::string::npos;
  }
  if (l7_ok && all_tcp && coin(4)) out += cilium_http();
  return out;
}

std::string cilium_rule(bool ingress, bool deny = false) {
  std::string from = ingress ? "from" : "to";
  std::string body;
  int what = between(0, 4);
  if (what == 0) {
    // The selector's first line, indented 6, goes after the item's "- ".
    body = "    " + from + "Endpoints:\n    - " + cilium_selector("      ", coin(3)).substr(6);
  } else if (what == 1) {
    body += "    " + from + "Entities: [" +
            pick(std::vector<std::string>{"world", "cluster", "all", "remote-node"}) + "]\n";
  } else if (what == 2) {
    body += "    " + from + "CIDR: [" + net() + "]\n";
  } else if (what == 3) {
    body += "    " + from + "CIDRSet:\n    - cidr: 10.0.0.0/28\n" +
            (coin() ? "      except: [10.0.0.4/30]\n" : "");
  }
  // what == 4: L4 only (or nothing at all)
  if (!deny && !ingress && coin(8)) {
    // toFQDNs (allow rules only), alone or with ports; or DNS rules on port 53.
    if (coin()) {
      body = "    toFQDNs:\n";
      int n = between(1, 2);
      for (int i = 0; i < n; ++i) body += "    - " + dns_selector() + "\n";
      if (coin()) body += cilium_ports(false);
    } else {
      body += cilium_dns_ports();
    }
  } else if (coin(6)) {
    // icmps (never with toPorts): types by number or name, both families.
    body += "    icmps:\n    - fields:\n";
    int n = between(1, 2);
    for (int i = 0; i < n; ++i)
      body += pick(std::vector<std::string>{"      - type: 8\n", "      - type: EchoReply\n",
                                            "      - type: 3\n",
                                            "      - {type: 128, family: IPv6}\n"});
  } else if (coin() || what == 4) {
    body += cilium_ports(ingress, !deny);
  }
  if (body.empty()) return "  - {}\n";
  return "  -" + body.substr(3);  // the first line's 4-space indent becomes "  - "
}

std::string cilium_spec(bool clusterwide) {
  std::string out = "  endpointSelector:\n" + cilium_selector("    ", clusterwide && coin(3));
  if (coin(5)) {
    out += "  enableDefaultDeny:\n";
    bool both = coin(), ingress = coin();
    if (both || ingress) out += std::string("    ingress: ") + (coin() ? "true" : "false") + "\n";
    if (both || !ingress) out += std::string("    egress: ") + (coin() ? "true" : "false") + "\n";
  }
  // A spec needs at least one rule list (NV6011): the first is forced when all are empty.
  int lists = 0;
  for (auto [key, ingress, deny] :
       {std::tuple{"egress", false, false}, std::tuple{"ingressDeny", true, true},
        std::tuple{"egressDeny", false, true}, std::tuple{"ingress", true, false}}) {
    int n = between(0, deny ? 1 : 2);
    if (deny && coin(2)) n = 0;
    if (n == 0 && lists == 0 && std::string(key) == "ingress") n = 1;
    lists += n > 0;
    if (n == 0) continue;
    out += std::string("  ") + key + ":\n";
    for (int r = 0; r < n; ++r) out += cilium_rule(ingress, deny);
  }
  return out;
}

std::string cilium_policy(int i) {
  bool ccnp = coin(3);
  std::string out = "apiVersion: cilium.io/v2\nkind: " +
                    std::string(ccnp ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy") +
                    "\nmetadata:\n  name: c" + std::to_string(i) + "\n" +
                    (ccnp ? "" : "  namespace: " + pick(kNamespaces) + "\n") + "spec:\n";
  return out + cilium_spec(ccnp);
}

}  // namespace

rc::Gen<std::string> gen_calico_text() {
  return rc::gen::exec([] {
    std::string out;
    std::vector<std::string> tiers = {"default"};
    int ntiers = between(0, 2);
    for (int t = 0; t < ntiers; ++t) {
      tiers.push_back("t" + std::to_string(t));
      out += "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: t" +
             std::to_string(t) + "\nspec:\n  order: " + std::to_string(between(1, 3) * 100) + "\n";
    }
    if (coin(3)) {
      // Global only: whether a namespaced set matches a rule's namespaceSelector depends on
      // its namespace's labels, which the Calico frontend refuses to guess (NV5024).
      bool global = true;
      out += "---\napiVersion: projectcalico.org/v3\nkind: " +
             std::string(global ? "GlobalNetworkSet" : "NetworkSet") +
             "\nmetadata:\n  name: set0\n" +
             (global ? "" : "  namespace: " + pick(kNamespaces) + "\n") + "  labels: {" +
             pick(kKeys) + ": " + pick(kValues) + "}\nspec:\n  nets: [" + net() + "]\n";
    }
    int n = between(0, 4);
    for (int i = 0; i < n; ++i) out += "---\n" + calico_policy(i, tiers);
    if (coin(3)) out += "---\n" + k8s_policy(0);
    return out;
  });
}

rc::Gen<std::string> gen_cilium_text() {
  return rc::gen::exec([] {
    std::string out;
    int n = between(0, 4);
    for (int i = 0; i < n; ++i) out += "---\n" + cilium_policy(i);
    if (coin(3)) out += "---\n" + k8s_policy(0);
    return out;
  });
}

}  // namespace nv::test
