// The expectations file parser (cli/expect.h): any input parses or is refused with
// diagnostics, without crashing; refusing always leaves an error behind. The session has
// the seed guide's inventory shape in miniature so that pod and service names resolve.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/expect.h"

namespace {

const char* kCluster = R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: production, labels: {name: production}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: backend-0, namespace: production, labels: {app: backend}}
  spec:
    nodeName: node-1
    containers:
    - {name: main, ports: [{name: grpc, containerPort: 9090, protocol: TCP}]}
  status: {phase: Running, podIP: 10.244.1.11, podIPs: [{ip: 10.244.1.11}]}
- apiVersion: v1
  kind: Service
  metadata: {name: backend, namespace: production}
  spec:
    clusterIP: 10.96.0.20
    selector: {app: backend}
    ports: [{name: grpc, port: 80, targetPort: grpc, protocol: TCP}]
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nv::cli::Session* session = [] {
    auto* s = new nv::cli::Session;
    s->read_texts("", kCluster);
    s->lower({});
    return s;
  }();
  nv::cli::Session s;                // fresh diagnostics and sources for each input
  s.inventory = session->inventory;  // indices are positions: a copy stays valid
  nv::cli::ExpectOptions o;
  o.read_policy_files = false;  // never read paths the input names
  auto e = nv::cli::load_expectations_text(
      "fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size), s, o);
  if (!e && !s.diags.has_errors()) __builtin_trap();
  return 0;
}
