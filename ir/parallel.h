// Running independent pieces of work on the machine's cores.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nv {

// Runs f(0), ..., f(n - 1), on up to four threads (this one among them), and returns when
// all are done. After an exception no further index starts; the exception of the lowest
// index that threw is rethrown. What f computes must not depend on the thread.
inline void parallel_for(size_t n, const std::function<void(size_t)>& f) {
  const size_t threads =
      std::min<size_t>(n, std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4));
  std::atomic<size_t> next{0};
  std::mutex m;
  size_t error_at = n;
  std::exception_ptr error;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        f(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (i < error_at) error_at = i, error = std::current_exception();
        next = n;
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
  }  // joined
  if (error) std::rethrow_exception(error);
}

}  // namespace nv
