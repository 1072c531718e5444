#!/usr/bin/env python3
"""Sanity checks for gen_cluster output (needs PyYAML: apt-get install python3-yaml).

usage: bench/validate.py DIR    (DIR contains cluster.yaml and policies.yaml)

Checks that both files parse as YAML, that the cluster is a kubectl-style List,
that pod IPs / service IPs are unique and in the right ranges, that names are
unique per namespace, that the NetworkPolicies are structurally valid, and
reports how many policy selectors actually select something.
"""
import ipaddress
import sys

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:
    Loader = yaml.SafeLoader


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def sel_matches(sel, labels):
    if sel is None:
        return True
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def main():
    d = sys.argv[1]
    with open(f"{d}/cluster.yaml") as f:
        cluster = yaml.load(f, Loader=Loader)
    with open(f"{d}/policies.yaml") as f:
        pols = [p for p in yaml.load_all(f, Loader=Loader) if p is not None]

    if cluster.get("apiVersion") != "v1" or cluster.get("kind") != "List":
        fail("cluster.yaml is not a v1 List")
    items = cluster["items"]
    nss = {i["metadata"]["name"]: i for i in items if i["kind"] == "Namespace"}
    pods = [i for i in items if i["kind"] == "Pod"]
    svcs = [i for i in items if i["kind"] == "Service"]
    if len(nss) + len(pods) + len(svcs) != len(items):
        fail("unexpected kinds")

    pod_net = ipaddress.ip_network("10.0.0.0/8")
    svc_net = ipaddress.ip_network("10.96.0.0/12")
    seen_ip, seen_name, label_sets = set(), set(), set()
    pods_by_ns, nodes = {}, {}
    for p in pods:
        md, st = p["metadata"], p["status"]
        ns = md["namespace"]
        if ns not in nss:
            fail(f"pod {md['name']} in unknown namespace {ns}")
        if (ns, md["name"]) in seen_name:
            fail(f"duplicate pod {ns}/{md['name']}")
        seen_name.add((ns, md["name"]))
        ip = ipaddress.ip_address(st["podIP"])
        if ip not in pod_net or ip in svc_net:
            fail(f"pod IP {ip} out of range")
        if ip in seen_ip:
            fail(f"duplicate pod IP {ip}")
        seen_ip.add(ip)
        if st["podIPs"] != [{"ip": st["podIP"]}] or st["phase"] != "Running":
            fail("bad pod status")
        labels = md["labels"]
        if not all(isinstance(v, str) for v in labels.values()):
            fail(f"non-string label value in {md['name']}")
        if not md["name"].startswith(f"{md['generateName']}"):
            fail("name/generateName mismatch")
        label_sets.add((ns, tuple(sorted(labels.items()))))
        pods_by_ns.setdefault(ns, []).append(labels)
        nodes[p["spec"]["nodeName"]] = nodes.get(p["spec"]["nodeName"], 0) + 1
        pnames = set()
        for c in p["spec"]["containers"]:
            for port in c.get("ports", []):
                if port["protocol"] not in ("TCP", "UDP", "SCTP"):
                    fail("bad protocol")
                if not isinstance(port["containerPort"], int):
                    fail("containerPort not int")
                if port["name"] in pnames:
                    fail(f"duplicate port name in pod {md['name']}")
                pnames.add(port["name"])
    seen_svc_ip, seen_svc = set(), set()
    for s in svcs:
        md, sp = s["metadata"], s["spec"]
        if (md["namespace"], md["name"]) in seen_svc:
            fail("duplicate service")
        seen_svc.add((md["namespace"], md["name"]))
        ip = ipaddress.ip_address(sp["clusterIP"])
        if ip not in svc_net or ip in seen_svc_ip:
            fail(f"bad/duplicate service IP {ip}")
        seen_svc_ip.add(ip)
        if sp["type"] != "ClusterIP":
            fail("service type")
        for port in sp["ports"]:
            if not isinstance(port["targetPort"], (int, str)):
                fail("targetPort type")

    ns_labels = {n: i["metadata"]["labels"] for n, i in nss.items()}
    pol_names = set()
    n_sel = n_sel_hit = 0
    for p in pols:
        if p.get("apiVersion") != "networking.k8s.io/v1" or p.get("kind") != "NetworkPolicy":
            fail("bad policy header")
        md, spec = p["metadata"], p["spec"]
        ns = md["namespace"]
        if ns not in nss:
            fail(f"policy in unknown namespace {ns}")
        if (ns, md["name"]) in pol_names:
            fail(f"duplicate policy {ns}/{md['name']}")
        pol_names.add((ns, md["name"]))
        if not isinstance(spec.get("podSelector"), dict):
            fail("podSelector missing")
        for t in spec.get("policyTypes", []):
            if t not in ("Ingress", "Egress"):
                fail("bad policyType")
        local = pods_by_ns.get(ns, [])
        n_sel += 1
        n_sel_hit += any(sel_matches(spec["podSelector"], l) for l in local)
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(direction) or []:
                if not isinstance(rule, dict):
                    fail("rule is not a map")
                for port in rule.get("ports") or []:
                    if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                        fail("bad protocol")
                    if "endPort" in port and not (
                            isinstance(port["port"], int) and port["endPort"] >= port["port"]):
                        fail("bad endPort")
                for peer in rule.get(peer_key) or []:
                    if "ipBlock" in peer:
                        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                        for e in peer["ipBlock"].get("except", []):
                            if not ipaddress.ip_network(e).subnet_of(net):
                                fail("except not inside cidr")
                        continue
                    nsel, psel = peer.get("namespaceSelector"), peer.get("podSelector")
                    if nsel is None and psel is None:
                        fail("empty peer")
                    cand_ns = [ns] if nsel is None else [
                        n for n, l in ns_labels.items() if sel_matches(nsel, l)]
                    n_sel += 1
                    n_sel_hit += any(sel_matches(psel, l)
                                     for n in cand_ns for l in pods_by_ns.get(n, []))

    per_node = sorted(nodes.values())
    print(f"namespaces={len(nss)} pods={len(pods)} services={len(svcs)} policies={len(pols)}")
    print(f"distinct pod label sets (ns+labels)={len(label_sets)} "
          f"distinct label sets={len({ls for _, ls in label_sets})}")
    print(f"nodes={len(nodes)} pods/node min={per_node[0] if per_node else 0} "
          f"median={per_node[len(per_node)//2] if per_node else 0} "
          f"max={per_node[-1] if per_node else 0}")
    print(f"selectors (policy podSelector + peers) selecting >=1 pod: "
          f"{n_sel_hit}/{n_sel} ({100.0 * n_sel_hit / max(n_sel, 1):.1f}%)")
    print("OK")


if __name__ == "__main__":
    main()
