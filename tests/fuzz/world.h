// The small fixed cluster the policy fuzz targets evaluate their inputs on: two
// namespaces, three pods on two nodes (named ports included) and a hostNetwork pod.
#pragma once

namespace nv::fuzz {

inline const char* kInventory = R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: x, labels: {ns: x}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: y, labels: {ns: y, team: a}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: x, labels: {pod: a, app: web}}
  spec: {nodeName: n1, containers: [{name: c, ports: [{name: http, containerPort: 80}, {name: dns, containerPort: 53, protocol: UDP}]}]}
  status: {podIP: 10.0.0.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: b, namespace: x, labels: {pod: b}}
  spec: {nodeName: n1, containers: [{name: c, ports: [{name: http, containerPort: 81}]}]}
  status: {podIP: 10.0.0.2}
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: y, labels: {pod: a, app: db}}
  spec: {nodeName: n2, containers: [{name: c}]}
  status: {podIP: 10.0.1.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: h, namespace: y}
  spec: {nodeName: n1, hostNetwork: true, containers: [{name: c}]}
  status: {podIP: 192.168.0.1}
)";

}  // namespace nv::fuzz
