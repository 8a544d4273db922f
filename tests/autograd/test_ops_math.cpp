// autograd/ops_math.cpp: elementwise math, maximum / minimum / where, comparisons and sign;
// gradcheck and gradgradcheck in float64, inputs kept off kinks.
#include "../helpers.hpp"

using namespace xgrad;
using testing::check_unary;
using testing::input;
using testing::off_kink;

TEST_CASE("elementwise math passes gradcheck and gradgradcheck") {
  Tensor x = input({3, 2}, -2, 2), pos = input({3, 2}, 0.2, 3);
  check_unary(
      "exp", [](const Tensor& t) { return exp(t); }, x);
  check_unary(
      "log", [](const Tensor& t) { return log(t); }, pos);
  check_unary(
      "log1p", [](const Tensor& t) { return log1p(t); }, pos);
  check_unary(
      "sqrt", [](const Tensor& t) { return sqrt(t); }, pos);
  check_unary(
      "square", [](const Tensor& t) { return square(t); }, x);
  check_unary(
      "reciprocal", [](const Tensor& t) { return reciprocal(t); }, pos);
  check_unary(
      "sin", [](const Tensor& t) { return sin(t); }, x);
  check_unary(
      "cos", [](const Tensor& t) { return cos(t); }, x);
  check_unary(
      "erf", [](const Tensor& t) { return erf(t); }, x);
  check_unary(
      "abs", [](const Tensor& t) { return abs(t); }, off_kink({3, 2}), false);
  check_unary(
      "clamp", [](const Tensor& t) { return clamp(t, -0.5, 0.5); }, off_kink({4, 3}, 0.05), false);
  Tensor s = input({}, 0.5, 2);
  check_unary(
      "0-d exp", [](const Tensor& t) { return exp(t); }, s);
}

TEST_CASE("maximum, minimum and where") {
  Tensor a = off_kink({3, 4}, 0.1, 5), b = off_kink({4}, 0.1, 6);
  // Keep a and b apart so no element sits on the tie.
  CHECK(gradcheck([](auto& v) { return maximum(v[0], v[1] + 0.05); }, {a, b}));
  CHECK(gradcheck([](auto& v) { return minimum(v[0], v[1] + 0.05); }, {a, b}));
  Tensor mask = gt(input({3, 4}, -1, 1, 9).detach(), 0.0);
  CHECK(gradcheck([mask](auto& v) { return where(mask, v[0], v[1]); }, {a, b}));
  CHECK(gradgradcheck([mask](auto& v) { return where(mask, v[0] * v[0], v[1]); }, {a, b}));
}

TEST_CASE("comparisons and sign give masks without gradient") {
  Tensor a = tensor({1.0, 2.0, 3.0}, {float32, true});
  Tensor b = tensor({2.0, 2.0, 2.0});
  CHECK(eq(a, b).to_vector() == std::vector<double>{0, 1, 0});
  CHECK(ne(a, b).to_vector() == std::vector<double>{1, 0, 1});
  CHECK(lt(a, b).to_vector() == std::vector<double>{1, 0, 0});
  CHECK(le(a, 2.0).to_vector() == std::vector<double>{1, 1, 0});
  CHECK(gt(a, 2.0).to_vector() == std::vector<double>{0, 0, 1});
  CHECK(ge(a, b).to_vector() == std::vector<double>{0, 1, 1});
  CHECK(sign(a - 2.0).to_vector() == std::vector<double>{-1, 0, 1});
  CHECK_FALSE(gt(a, 2.0).requires_grad());
  CHECK_FALSE(sign(a).requires_grad());
  CHECK_FALSE(step(a).requires_grad());
}
