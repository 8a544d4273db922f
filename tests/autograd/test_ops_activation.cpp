// autograd/ops_activation.cpp: every activation against its definition, and through gradcheck.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;
using testing::check_unary;
using testing::off_kink;

TEST_CASE("activations pass gradcheck") {
  Tensor x = off_kink({3, 4}, 0.1, 11);
  check_unary(
      "relu", [](const Tensor& t) { return relu(t); }, x, false);
  check_unary(
      "sigmoid", [](const Tensor& t) { return sigmoid(t); }, x);
  check_unary(
      "tanh", [](const Tensor& t) { return tanh(t); }, x);
  check_unary(
      "elu", [](const Tensor& t) { return elu(t, 1.3); }, x, false);
  check_unary(
      "leaky_relu", [](const Tensor& t) { return leaky_relu(t, 0.1); }, x, false);
  check_unary(
      "softplus", [](const Tensor& t) { return softplus(t, 2.0); }, x);
  check_unary(
      "silu", [](const Tensor& t) { return silu(t); }, x);
  check_unary(
      "gelu", [](const Tensor& t) { return gelu(t); }, x);
  check_unary(
      "gelu tanh", [](const Tensor& t) { return gelu(t, GeluApproximation::tanh); }, x);
  check_unary(
      "mish", [](const Tensor& t) { return mish(t); }, x);
  check_unary(
      "softsign", [](const Tensor& t) { return softsign(t); }, x, false);
  check_unary(
      "gaussian", [](const Tensor& t) { return gaussian(t); }, x);
  check_unary(
      "log_sigmoid", [](const Tensor& t) { return log_sigmoid(t); }, x);
  check_unary(
      "hardtanh", [](const Tensor& t) { return hardtanh(t, -0.5, 0.5); },
      off_kink({3, 4}, 0.05, 12), false);
}

TEST_CASE("activation values match their definitions") {
  Tensor x = tensor({-2.0, -0.5, 0.0, 0.5, 3.0}, float64);
  CHECK(testing::allclose(relu(x), tensor({0.0, 0.0, 0.0, 0.5, 3.0}, float64)));
  CHECK(testing::allclose(step(x), tensor({0.0, 0.0, 0.0, 1.0, 1.0}, float64)));
  CHECK(testing::allclose(leaky_relu(x, 0.1), tensor({-0.2, -0.05, 0.0, 0.5, 3.0}, float64)));
  CHECK(testing::allclose(elu(x, 1.0),
                          tensor({std::exp(-2.0) - 1, std::exp(-0.5) - 1, 0, 0.5, 3}, float64)));
  CHECK(gelu(tensor({1.0}, float64)).item() == doctest::Approx(0.8413447460685429));
  CHECK(gelu(tensor({1.0}, float64), GeluApproximation::tanh).item() ==
        doctest::Approx(0.8411919906082768));
  CHECK(mish(tensor({1.0}, float64)).item() == doctest::Approx(0.8650983882673103));
  CHECK(softplus(tensor({1000.0}, float64)).item() == doctest::Approx(1000.0));
  CHECK(log_sigmoid(tensor({-1000.0}, float64)).item() == doctest::Approx(-1000.0));
  CHECK(sigmoid(tensor({-1000.0, 1000.0})).to_vector() == std::vector<double>{0.0, 1.0});
  CHECK(hardtanh(x).to_vector() == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  CHECK(softsign(x).at({4}) == doctest::Approx(0.75));
  CHECK(gaussian(x).at({1}) == doctest::Approx(std::exp(-0.25)));
}
