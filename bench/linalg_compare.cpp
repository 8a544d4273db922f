// xgrad::linalg against torch.linalg in one process: cholesky, solve and inv, forward and
// backward, float64, for one n×n matrix (n = 64, 256, 1024) and 4096 8×8 ones. Rounds of the two
// alternate after a warm-up; the median per-call time of each gives the ratio libtorch/xgrad
// (above 1: xgrad is faster). Both call LAPACK (OpenBLAS); 1 thread unless --threads N.
//   linalg_compare [--threads N]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "xgrad.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_per_call(const std::function<void()>& f, int calls) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double>(Clock::now() - t0).count() / calls;
}

// Median seconds per call of each, over alternating rounds.
std::pair<double, double> race(const std::function<void()>& ours,
                               const std::function<void()>& theirs, int calls, int rounds = 9) {
  seconds_per_call(ours, std::max(1, calls / 4));
  seconds_per_call(theirs, std::max(1, calls / 4));
  std::vector<double> a, b;
  for (int r = 0; r < rounds; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let BLAS workers park
    a.push_back(seconds_per_call(ours, calls));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    b.push_back(seconds_per_call(theirs, calls));
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return {a[a.size() / 2], b[b.size() / 2]};
}

torch::Tensor to_torch(const xgrad::Tensor& t) {
  xgrad::Tensor c = t.contiguous_copy();
  std::vector<int64_t> shape(c.shape().begin(), c.shape().end());
  return torch::from_blob(c.data<double>(), shape, torch::kFloat64).clone();
}

}  // namespace

int main(int argc, char** argv) try {
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
  xgrad::set_num_threads(threads);
  torch::set_num_threads(threads);
  std::printf(
      "| op (forward + backward, float64) | shape | libtorch / xgrad |\n| --- | --- | ---: |\n");
  struct Size {
    int64_t batch, n;
  };
  for (const Size size : {Size{1, 64}, Size{1, 256}, Size{1, 1024}, Size{4096, 8}}) {
    xgrad::Generator gen(0);
    const xgrad::Shape shape =
        size.batch == 1 ? xgrad::Shape{size.n, size.n} : xgrad::Shape{size.batch, size.n, size.n};
    xgrad::Tensor x = xgrad::randn(shape, xgrad::float64, &gen);
    xgrad::Tensor spd = xgrad::matmul(x, xgrad::transpose(x, -2, -1)) +
                        xgrad::eye(size.n, xgrad::float64) * static_cast<double>(size.n);
    xgrad::Tensor general = x + xgrad::eye(size.n, xgrad::float64) * static_cast<double>(size.n);
    xgrad::Shape rhs_shape = shape;
    rhs_shape.back() = 1;
    xgrad::Tensor rhs = xgrad::randn(rhs_shape, xgrad::float64, &gen);
    const torch::Tensor t_spd = to_torch(spd), t_general = to_torch(general), t_rhs = to_torch(rhs);
    const int calls = size.n >= 1024 ? 2 : size.n >= 256 ? 10 : size.batch > 1 ? 5 : 200;
    const std::string label = size.batch == 1
                                  ? std::to_string(size.n) + "×" + std::to_string(size.n)
                                  : std::to_string(size.batch) + "×" + std::to_string(size.n) +
                                        "×" + std::to_string(size.n);
    auto row = [&](const char* name, const std::function<xgrad::Tensor(const xgrad::Tensor&)>& ours,
                   const xgrad::Tensor& input,
                   const std::function<torch::Tensor(const torch::Tensor&)>& theirs,
                   const torch::Tensor& t_input) {
      xgrad::Tensor leaf = input.clone().requires_grad_();
      torch::Tensor t_leaf = t_input.clone().requires_grad_(true);
      auto [a, b] = race(
          [&] {
            ours(leaf).sum().backward();
            leaf.zero_grad();
          },
          [&] {
            theirs(t_leaf).sum().backward();
            t_leaf.mutable_grad().reset();
          },
          calls);
      std::printf("| %s | %s | %.2f |\n", name, label.c_str(), b / a);
    };
    row(
        "cholesky", [](const xgrad::Tensor& a) { return xgrad::linalg::cholesky(a); }, spd,
        [](const torch::Tensor& a) { return torch::linalg::cholesky(a); }, t_spd);
    row(
        "solve", [&](const xgrad::Tensor& a) { return xgrad::linalg::solve(a, rhs); }, general,
        [&](const torch::Tensor& a) { return torch::linalg::solve(a, t_rhs, /*left=*/true); },
        t_general);
    row(
        "inv", [](const xgrad::Tensor& a) { return xgrad::linalg::inv(a); }, general,
        [](const torch::Tensor& a) { return torch::linalg::inv(a); }, t_general);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "linalg_compare: %s\n", e.what());
  return 1;
}
