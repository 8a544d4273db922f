// L-BFGS in xgrad and in libtorch (torch::optim::LBFGS) side by side on the Rosenbrock function
// from (-1.5, 2) in float64: after each step(closure) both iterates are printed with their
// distance, for `--steps` steps with max_iter = 1 (one iteration per step: the first 20
// iterations of the method) in both line-search modes; exits 1 if any of those distances exceeds
// 1e-10. Then five whole default steps (up to 20 iterations each) are shown for information:
// without a line search the method jumps about with lr = 1, and the rounding differences of the
// dot products (libtorch's BLAS uses FMA) grow until the two runs part.
//   lbfgs_parity [--steps N]
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "xgrad.hpp"

namespace {

template <class T>
T rosenbrock(const T& x) {
  auto a = x[0], b = x[1];
  return (1.0 - a).pow(2.0) + 100.0 * (b - a * a).pow(2.0);
}

xgrad::Tensor rosenbrock_xgrad(const xgrad::Tensor& x) {
  xgrad::Tensor a = x.index({0}), b = x.index({1});
  return (1.0 - a).pow(2.0) + 100.0 * (b - a * a).pow(2.0);
}

// The largest distance between the two runs' iterates over `steps` steps.
double compare(const std::string& line_search, int steps, int max_iter) {
  std::printf(
      "\nline search: %s, max_iter %d\n step  xgrad x                               libtorch x     "
      "                       distance\n",
      line_search.empty() ? "none" : line_search.c_str(), max_iter);
  xgrad::Tensor ours = xgrad::tensor({-1.5, 2.0}, {xgrad::float64, true});
  xgrad::optim::LBFGS our_opt({ours},
                              {.lr = 1.0, .max_iter = max_iter, .line_search_fn = line_search});
  torch::Tensor theirs =
      torch::tensor({-1.5, 2.0}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto options = torch::optim::LBFGSOptions(1.0).max_iter(max_iter);
  if (!line_search.empty()) options.line_search_fn(line_search);
  torch::optim::LBFGS their_opt({theirs}, options);
  double worst = 0;
  for (int s = 1; s <= steps; ++s) {
    our_opt.step([&] {
      our_opt.zero_grad();
      xgrad::Tensor loss = rosenbrock_xgrad(ours);
      loss.backward();
      return loss;
    });
    their_opt.step([&] {
      their_opt.zero_grad();
      torch::Tensor loss = rosenbrock(theirs);
      loss.backward();
      return loss;
    });
    const std::vector<double> a = ours.to_vector();
    const double b0 = theirs[0].item<double>(), b1 = theirs[1].item<double>();
    const double distance = std::max(std::abs(a[0] - b0), std::abs(a[1] - b1));
    worst = std::max(worst, distance);
    std::printf("%5d  (%.15f, %.15f)  (%.15f, %.15f)  %.2e\n", s, a[0], a[1], b0, b1, distance);
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) try {
  int steps = 20;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(argv[i + 1]);
  double worst = 0;
  for (const std::string search : {"strong_wolfe", ""})
    worst = std::max(worst, compare(search, steps, 1));
  std::printf("\nlargest distance over the first %d iterations: %.2e (%s 1e-10)\n", steps, worst,
              worst <= 1e-10 ? "within" : "BEYOND");
  // Whole default steps (up to 20 iterations each), as users call it: for information.
  for (const std::string search : {"strong_wolfe", ""}) compare(search, 5, 20);
  return worst <= 1e-10 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lbfgs_parity: %s\n", e.what());
  return 1;
}
