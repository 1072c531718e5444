// parse_nft on arbitrary bytes: no crash, no hang, bounded memory; diagnostics carry a real
// position; and when it parses, run() on a few packets either decides or throws the
// documented std::runtime_error, and dump() works.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "compiler/backends/dump.h"
#include "compiler/backends/parse.h"

namespace {

void run_some(const nv::backends::Firewall& fw) {
  using namespace nv::backends;
  const char* addrs[] = {"10.0.0.1", "198.18.0.10", "0.0.0.0", "2001:db8::1", "::", "fd00::5"};
  uint8_t protos[] = {6, 17, 132, 1, 58};
  for (size_t i = 0; i < 12; ++i) {
    Packet p;
    bool v6 = i % 2;
    p.src = *nv::ir::IpAddr::parse(addrs[(i / 2) % 3 + (v6 ? 3 : 0)]);
    p.dst = *nv::ir::IpAddr::parse(addrs[(i / 2 + 1) % 3 + (v6 ? 3 : 0)]);
    p.proto = protos[i % 5];
    p.port = static_cast<uint16_t>(i * 53);
    p.ct = static_cast<uint8_t>(1u << (i % 4));
    try {
      auto v = run(fw, p);
      if (v != VerdictKind::Accept && v != VerdictKind::Drop) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nv::ir::Diagnostics diags;
  auto fw = nv::backends::parse_nft(text, "f.nft", diags);
  for (const auto& d : diags.all())
    if (d.span.line < 1 || d.span.col < 1) __builtin_trap();
  if (fw.has_value() == diags.has_errors()) __builtin_trap();
  if (fw) {
    run_some(*fw);
    (void)nv::backends::dump(*fw);
  }
  return 0;
}
