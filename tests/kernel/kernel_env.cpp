#include "tests/kernel/kernel_env.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/kernel/netns.h"

namespace nv::kernel {

bool skip_requested() {
  const char* v = std::getenv("NETVERIFY_SKIP_KERNEL");
  return v && std::string(v) == "1";
}

void KernelTest::SetUp() {
  if (skip_requested()) GTEST_SKIP() << "NETVERIFY_SKIP_KERNEL=1";
  ASSERT_EQ(geteuid(), 0u) << "the kernel tests need root (network namespaces, nft, iptables); "
                              "set NETVERIFY_SKIP_KERNEL=1 to skip them";
}

std::string netverify_bin() {
  if (const char* v = std::getenv("NETVERIFY_BIN")) return v;
  return NV_NETVERIFY_BIN;
}

std::string work_dir() {
  static const std::string dir = [] {
    std::string d = std::string(NV_KERNEL_WORK) + "/" + std::to_string(getpid());
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

namespace {
// Once per process: remove leftovers of crashed runs, and clean up on signals.
class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (skip_requested() || geteuid() != 0) return;
    int n = Topology::remove_stale();
    if (n > 0) std::fprintf(stderr, "kernel tests: removed %d namespaces left by earlier runs\n", n);
    Topology::install_signal_cleanup();
  }
  void TearDown() override {
    // Kept when something failed (rulesets, failing worlds) or on request.
    if (::testing::UnitTest::GetInstance()->Passed() && !std::getenv("NETVERIFY_KEEP_WORK")) {
      std::error_code ec;
      std::filesystem::remove_all(std::string(NV_KERNEL_WORK) + "/" + std::to_string(getpid()), ec);
    }
  }
};
[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(new Environment);
}  // namespace

}  // namespace nv::kernel
