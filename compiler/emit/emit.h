// IR -> policy YAML in another dialect, for `netverify convert`. One emitter per target
// dialect (calico.cpp, cilium.cpp, k8s.cpp); each is exact by construction and refuses,
// with one diagnostic per construct, whatever its dialect cannot express. The caller reads
// the text back through the real frontends and proves it equivalent before printing it.
#pragma once

#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::emit {

enum class Target : uint8_t { Calico, Cilium, K8s };
const char* name(Target t);  // "calico", "cilium", "k8s"

// Something the target cannot express: an NV4070-NV4077 code, where it came from, and
// what it is ("NetworkPolicy prod/web spec.ingress[0]: Kubernetes NetworkPolicy has no deny").
struct Refusal {
  ir::Code code;
  ir::SourceSpan span;
  std::string message;
};

// Where an emitted document came from: the input policy (or, for a Calico Tier, the first
// policy of the tier), to point at when the target's frontend rejects the document.
struct Origin {
  ir::SourceSpan span;
  std::string policy;  // "NetworkPolicy prod/web"
};

struct Output {
  std::string yaml;               // the documents, separated by `---`; empty when refused
  std::vector<Refusal> refusals;  // empty when the whole input was converted
  std::vector<Origin> origins;    // one per document of `yaml`, in order
  int policies = 0;               // objects emitted
};

// `pin`, when set (--cluster), is the inventory the result is proved on: a CIDR that
// covers all or none of its pod (node) addresses may then stand for "every pod (node)" or
// for none, which a target whose CIDR rules match pods differently needs.
Output convert(const ir::PolicySet& ps, Target target, const ir::Inventory* pin);

Output to_calico(const ir::PolicySet& ps, const ir::Inventory* pin);
Output to_cilium(const ir::PolicySet& ps, const ir::Inventory* pin);
Output to_k8s(const ir::PolicySet& ps, const ir::Inventory* pin);

}  // namespace nv::emit
