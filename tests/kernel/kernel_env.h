// Kernel tests: what every kernel test needs before it starts, and where it writes.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace nv::kernel {

// True when NETVERIFY_SKIP_KERNEL=1: developers without root skip the kernel tests.
// Otherwise the tests need root and network namespaces, and FAIL without them.
bool skip_requested();

// A fixture for kernel tests: skips on NETVERIFY_SKIP_KERNEL=1, fails when not root.
class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

// The netverify binary, and a scratch directory under the build tree for this process.
std::string netverify_bin();
std::string work_dir();

}  // namespace nv::kernel
