// autograd/ops_arithmetic.cpp: +, -, *, / and pow with broadcasting, scalars on either side,
// repeated inputs; gradcheck in float64.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;
using testing::check_unary;
using testing::input;

TEST_CASE("arithmetic ops with broadcasting pass gradcheck") {
  Tensor a = input({3, 4}, -1, 1, 1), b = input({4}, 0.5, 2, 2), c = input({3, 1}, 0.5, 2, 3);
  Tensor s = input({}, 0.5, 2, 4);
  for (auto [x, y] : {std::pair{a, b}, std::pair{a, c}, std::pair{b, c}, std::pair{a, s}}) {
    CHECK(gradcheck([](auto& v) { return v[0] + v[1]; }, {x, y}));
    CHECK(gradcheck([](auto& v) { return v[0] - v[1]; }, {x, y}));
    CHECK(gradcheck([](auto& v) { return v[0] * v[1]; }, {x, y}));
    CHECK(gradcheck([](auto& v) { return v[0] / v[1]; }, {x, y}));
    CHECK(gradgradcheck([](auto& v) { return v[0] * v[1]; }, {x, y}));
    CHECK(gradgradcheck([](auto& v) { return v[0] / v[1]; }, {x, y}));
  }
}

TEST_CASE("repeated inputs accumulate") {
  Tensor x = input({2, 3});
  CHECK(gradcheck([](auto& v) { return v[0] * v[0]; }, {x}));
  CHECK(gradcheck([](auto& v) { return v[0] + v[0]; }, {x}));
  CHECK(gradcheck([](auto& v) { return v[0] * v[0] * v[0] - v[0] / (v[0] * v[0] + 1.0); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return v[0] * v[0] * v[0]; }, {x}));
}

TEST_CASE("scalar operators on either side") {
  Tensor x = input({2, 3}, 0.5, 2);
  check_unary(
      "x+2", [](const Tensor& t) { return t + 2.0; }, x);
  check_unary(
      "2-x", [](const Tensor& t) { return 2.0 - t; }, x);
  check_unary(
      "x-2", [](const Tensor& t) { return t - 2.0; }, x);
  check_unary(
      "3*x", [](const Tensor& t) { return 3.0 * t; }, x);
  check_unary(
      "x/3", [](const Tensor& t) { return t / 3.0; }, x);
  check_unary(
      "3/x", [](const Tensor& t) { return 3.0 / t; }, x);
  check_unary(
      "-x", [](const Tensor& t) { return -t; }, x);
  check_unary(
      "x^3", [](const Tensor& t) { return pow(t, 3.0); }, x);
  check_unary(
      "x^2.5", [](const Tensor& t) { return pow(t, 2.5); }, x);
  check_unary(
      "2^x", [](const Tensor& t) { return pow(2.0, t); }, x);
  Tensor e = input({3}, 0.5, 2, 7);
  CHECK(gradcheck([](auto& v) { return pow(v[0], v[1]); }, {input({2, 3}, 0.5, 2), e}));
  CHECK(gradgradcheck([](auto& v) { return pow(v[0], v[1]); }, {input({2, 3}, 0.5, 2), e}));
}

TEST_CASE("pow gradients at base 0 follow PyTorch (0, not NaN)") {
  // d/db a^b at a = 0, b >= 0 is 0; d/da a^0 is 0 (also at a = 0).
  Tensor a = tensor({0.0, 0.0, 2.0}, {float64, true});
  Tensor b = tensor({2.0, 0.0, 3.0}, {float64, true});
  sum(pow(a, b)).backward();
  CHECK(a.grad().to_vector() == std::vector<double>{0, 0, 12});
  CHECK(b.grad().at({0}) == 0);
  CHECK(b.grad().at({1}) == 0);
  CHECK(b.grad().at({2}) == doctest::Approx(8 * std::log(2.0)));
  Tensor x = tensor({0.0, 3.0}, {float64, true});
  sum(pow(x, 0.0)).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0});
  Tensor e = tensor({0.0, 1.5}, {float64, true});
  sum(pow(0.0, e)).backward();
  CHECK(e.grad().at({0}) == 0);
  CHECK(e.grad().at({1}) == 0);
  // A learnable exponent after a ReLU: no NaN.
  Tensor w = tensor({-1.0, 2.0}, {float64, true});
  Tensor p = tensor({1.5}, {float64, true});
  sum(pow(relu(w), p)).backward();
  CHECK(std::isfinite(p.grad().item()));
  Tensor base = testing::input({3}, 0.5, 2, 41), expo = testing::input({3}, -1, 2, 42);
  CHECK(gradcheck([](auto& v) { return pow(v[0], v[1]); }, {base, expo}));
  CHECK(gradgradcheck([](auto& v) { return pow(v[0], v[1]); }, {base, expo}));
  CHECK(gradcheck([](auto& v) { return pow(2.0, v[0]); }, {expo}));
}
