// Initialisers: gains, fans, and the statistics of each distribution.
#include "../helpers.hpp"

using namespace xgrad;
namespace init = xgrad::nn::init;

namespace {
double sample_std(const Tensor& t) { return stddev(t.to(float64).reshape({-1}), {0}).item(); }
double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}
}  // namespace

TEST_CASE("gains and fans follow PyTorch") {
  CHECK(init::calculate_gain(init::Nonlinearity::linear) == 1.0);
  CHECK(init::calculate_gain(init::Nonlinearity::sigmoid) == 1.0);
  CHECK(init::calculate_gain(init::Nonlinearity::tanh) == doctest::Approx(5.0 / 3));
  CHECK(init::calculate_gain(init::Nonlinearity::relu) == doctest::Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain(init::Nonlinearity::leaky_relu, 0.2) ==
        doctest::Approx(std::sqrt(2.0 / 1.04)));
  CHECK(init::calculate_gain(init::Nonlinearity::selu) == 0.75);
  Tensor w = empty({30, 20});
  CHECK(init::fan_in_and_fan_out(w) == std::pair<int64_t, int64_t>{20, 30});
  CHECK(init::fan_in_and_fan_out(empty({4, 3, 5, 5})) == std::pair<int64_t, int64_t>{75, 100});
  Tensor v = empty({3});
  CHECK_ERROR_MESSAGE(init::xavier_uniform_(v),
                      "init: fan in and fan out need at least 2 dims, got shape (3,)");
}

TEST_CASE("distributions have the documented bounds and spreads") {
  Generator g(11);
  Tensor w = empty({400, 300});
  init::xavier_uniform_(w, 1.0, &g);
  double b = std::sqrt(6.0 / 700);
  CHECK(max_abs(w) <= b);
  CHECK(sample_std(w) == doctest::Approx(b / std::sqrt(3.0)).epsilon(0.02));
  init::xavier_normal_(w, 2.0, &g);
  CHECK(sample_std(w) == doctest::Approx(2 * std::sqrt(2.0 / 700)).epsilon(0.02));
  init::kaiming_uniform_(w, 0.0, init::FanMode::fan_in, init::Nonlinearity::relu, &g);
  double kb = std::sqrt(2.0) * std::sqrt(3.0 / 300);
  CHECK(max_abs(w) <= kb);
  CHECK(sample_std(w) == doctest::Approx(kb / std::sqrt(3.0)).epsilon(0.02));
  init::kaiming_normal_(w, 0.0, init::FanMode::fan_out, init::Nonlinearity::relu, &g);
  CHECK(sample_std(w) == doctest::Approx(std::sqrt(2.0) / std::sqrt(400.0)).epsilon(0.02));
  init::normal_(w, 3.0, 0.5, &g);
  CHECK(mean(w).item() == doctest::Approx(3.0).epsilon(0.01));
  init::uniform_(w, 2.0, 4.0, &g);
  CHECK(mean(w).item() == doctest::Approx(3.0).epsilon(0.01));
  init::constant_(w, 0.25);
  CHECK(max_abs(w - 0.25) == 0);
  init::zeros_(w);
  CHECK(max_abs(w) == 0);
  init::ones_(w);
  CHECK(sum(w).item() == 120000);
  // On a leaf that requires grad, init runs under no-grad: the values change, no graph is
  // recorded and the tensor stays a leaf.
  Tensor p = ones({2, 2}, {float32, true});
  init::normal_(p);
  CHECK(max_abs(p - 1.0) > 0);
  CHECK(p.is_leaf());
  CHECK(p.grad_fn() == nullptr);
  CHECK(p.requires_grad());
}
