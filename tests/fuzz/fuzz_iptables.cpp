// parse_iptables on arbitrary bytes, split at the first "\n---\n" into the rules and the
// ipset input: no crash, no hang, bounded memory; when it parses, run() decides or throws
// the documented std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "compiler/backends/dump.h"
#include "compiler/backends/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nv::backends;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cut = text.find("\n---\n");
  std::string rules = text.substr(0, cut);
  std::string ipsets = cut == std::string::npos ? "" : text.substr(cut + 5);
  for (auto fam : {nv::ir::Family::V4, nv::ir::Family::V6}) {
    nv::ir::Diagnostics diags;
    auto fw = parse_iptables(rules, "f.rules", ipsets, "f.ipset", fam, diags);
    for (const auto& d : diags.all())
      if (d.span.line < 1 || d.span.col < 1) __builtin_trap();
    if (fw.has_value() == diags.has_errors()) __builtin_trap();
    if (!fw) continue;
    (void)dump(*fw);
    const char* a4[] = {"10.0.0.1", "198.18.0.10", "192.0.2.1"};
    const char* a6[] = {"2001:db8::1", "::", "fd00::5"};
    uint8_t protos[] = {6, 17, 132, 1, 58, 47};
    for (size_t i = 0; i < 12; ++i) {
      Packet p;
      const char** a = fam == nv::ir::Family::V4 ? a4 : a6;
      p.src = *nv::ir::IpAddr::parse(a[i % 3]);
      p.dst = *nv::ir::IpAddr::parse(a[(i + 1) % 3]);
      p.proto = protos[i % 6];
      p.port = static_cast<uint16_t>(i * 443);
      p.ct = static_cast<uint8_t>(1u << (i % 4));
      try {
        auto v = run(*fw, p);
        if (v != VerdictKind::Accept && v != VerdictKind::Drop) __builtin_trap();
      } catch (const std::runtime_error&) {
      }
    }
  }
  return 0;
}
