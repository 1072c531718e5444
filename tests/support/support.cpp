#include "tests/support/support.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nv::test {

std::string Loaded::messages() const {
  std::string out;
  diags.render(out, &sources, false);
  return out;
}

bool Loaded::has(ir::Code code) const {
  for (const auto& d : diags.all())
    if (d.code == code) return true;
  return false;
}

const ir::Pod& Loaded::pod(const std::string& id) const {
  auto slash = id.find('/');
  const ir::Pod* p = inventory.find_pod(id.substr(0, slash), id.substr(slash + 1));
  if (!p) throw std::runtime_error("no pod " + id);
  return *p;
}

ir::Verdict Loaded::verdict(const std::string& from, const std::string& to, int port,
                            int proto) const {
  ir::Packet pkt{ir::Endpoint::of_pod(pod(from), ir::Family::V4),
                 ir::Endpoint::of_pod(pod(to), ir::Family::V4), proto, static_cast<uint16_t>(port)};
  return ir::evaluate(policies, inventory, pkt);
}

bool Loaded::allowed(const std::string& from, const std::string& to, int port, int proto) const {
  return verdict(from, to, port, proto).allowed;
}

std::unique_ptr<Loaded> load_text(const std::string& policies, const std::string& cluster,
                                  LoadOptions opt) {
  auto l = std::make_unique<Loaded>();
  l->read_texts(policies, cluster);
  l->lower(opt);
  return l;
}

std::unique_ptr<Loaded> load_paths(const std::vector<std::string>& policies,
                                   const std::vector<std::string>& cluster, LoadOptions opt) {
  auto l = std::make_unique<Loaded>();
  l->read(policies, cluster);
  l->lower(opt);
  return l;
}

std::string inventory_yaml(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    std::istringstream in(line);
    std::string what, name;
    in >> what >> name;
    std::string labels, extra, ports, ip;
    bool host = false;
    for (std::string tok; in >> tok;) {
      if (tok == "hostNetwork") {
        host = true;
      } else if (tok.starts_with("node=")) {
        extra += "  nodeName: " + tok.substr(5) + "\n";
      } else if (tok.starts_with("sa=")) {
        extra += "  serviceAccountName: " + tok.substr(3) + "\n";
      } else if (tok.starts_with("port=")) {
        // port=NAME:PROTO:NUMBER
        std::string spec = tok.substr(5);
        auto a = spec.find(':'), b = spec.rfind(':');
        ports += "      - name: " + spec.substr(0, a) + "\n        protocol: " +
                 spec.substr(a + 1, b - a - 1) + "\n        containerPort: " + spec.substr(b + 1) + "\n";
      } else if (tok.find('=') != std::string::npos) {
        auto eq = tok.find('=');
        labels += "    " + tok.substr(0, eq) + ": \"" + tok.substr(eq + 1) + "\"\n";
      } else {
        ip = tok;
      }
    }
    out += "---\napiVersion: v1\n";
    if (what == "ns") {
      out += "kind: Namespace\nmetadata:\n  name: " + name + "\n";
      if (!labels.empty()) out += "  labels:\n" + labels;
    } else if (what == "sa") {
      auto slash = name.find('/');
      out += "kind: ServiceAccount\nmetadata:\n  name: " + name.substr(slash + 1) +
             "\n  namespace: " + name.substr(0, slash) + "\n";
      if (!labels.empty()) out += "  labels:\n" + labels;
    } else {
      auto slash = name.find('/');
      out += "kind: Pod\nmetadata:\n  name: " + name.substr(slash + 1) + "\n  namespace: " +
             name.substr(0, slash) + "\n";
      if (!labels.empty()) out += "  labels:\n" + labels;
      out += "spec:\n" + extra + (host ? "  hostNetwork: true\n" : "") +
             "  containers:\n  - name: c\n    image: x\n";
      if (!ports.empty()) out += "    ports:\n" + ports;
      if (!ip.empty()) out += "status:\n  podIP: " + ip + "\n";
    }
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace nv::test
