// Every differentiable op through gradcheck in float64: broadcast shapes, repeated inputs,
// 0-d scalars, non-square shapes, inputs kept off kinks; gradgradcheck for the smooth ones.
#include "../helpers.hpp"

using namespace xgrad;
using testing::input;
using testing::off_kink;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
void check_unary(const std::string& name, const std::function<Tensor(const Tensor&)>& f, Tensor x,
                 bool second_order = true) {
  INFO(name);
  Fn fn = [f](const std::vector<Tensor>& v) { return f(v[0]); };
  CHECK(gradcheck(fn, {x}));
  if (second_order) CHECK(gradgradcheck(fn, {x}));
}
}  // namespace

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

TEST_CASE("reductions pass gradcheck") {
  Tensor x = input({3, 4, 2}, -1, 1, 21);
  CHECK(gradcheck([](auto& v) { return sum(v[0]); }, {x}));
  CHECK(gradcheck([](auto& v) { return sum(v[0], {1}); }, {x}));
  CHECK(gradcheck([](auto& v) { return sum(v[0], {0, 2}, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return mean(v[0], {-1}); }, {x}));
  CHECK(gradcheck([](auto& v) { return mean(v[0]); }, {x}));
  CHECK(gradcheck([](auto& v) { return max(v[0], 1); }, {x}));
  CHECK(gradcheck([](auto& v) { return min(v[0], 0, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return max(v[0]); }, {x}));
  CHECK(gradcheck([](auto& v) { return min(v[0]); }, {x}));
  CHECK(gradcheck([](auto& v) { return var(v[0], {1}); }, {x}));
  CHECK(gradcheck([](auto& v) { return stddev(v[0], {0, 1}, false, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return logsumexp(v[0], 1); }, {x}));
  CHECK(gradcheck([](auto& v) { return softmax(v[0], -1); }, {x}));
  CHECK(gradcheck([](auto& v) { return log_softmax(v[0], 1); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return log_softmax(v[0], 1); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return var(v[0], {1}); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return sum(v[0], {2}) * 2.0; }, {x}));
}

TEST_CASE("reduction values") {
  Tensor x = tensor({{1.0, 5.0, 3.0}, {4.0, 2.0, 6.0}});
  CHECK(sum(x).item() == 21);
  CHECK(sum(x, {0}).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum(x, {1}, true).shape() == Shape{2, 1});
  CHECK(mean(x, {1}).to_vector() == std::vector<double>{3, 4});
  CHECK(max(x, 1).to_vector() == std::vector<double>{5, 6});
  CHECK(min(x, 0).to_vector() == std::vector<double>{1, 2, 3});
  CHECK(argmax(x, 1).to_vector() == std::vector<double>{1, 2});
  CHECK(argmin(x, 0).to_vector() == std::vector<double>{0, 1, 0});
  CHECK(var(x, {1}).to_vector()[0] == doctest::Approx(4.0));
  CHECK(stddev(x, {1}, false).to_vector()[0] == doctest::Approx(std::sqrt(8.0 / 3.0)));
  Tensor big = tensor({{1000.0, 1000.0}, {-1000.0, -1001.0}}, float64);
  Tensor lse = logsumexp(big, 1);
  CHECK(lse.at({0}) == doctest::Approx(1000.0 + std::log(2.0)));
  CHECK(lse.at({1}) == doctest::Approx(-1000.0 + std::log1p(std::exp(-1.0))));
  Tensor sm = softmax(big, 1);
  CHECK(sm.at({0, 0}) == doctest::Approx(0.5));
  CHECK(std::isfinite(log_softmax(big, 1).at({1, 1})));
}

TEST_CASE("shape ops pass gradcheck") {
  Tensor x = input({2, 3, 4}, -1, 1, 31);
  CHECK(gradcheck([](auto& v) { return reshape(v[0], {4, -1}) * 2.0; }, {x}));
  CHECK(gradcheck([](auto& v) { return flatten(v[0], 1); }, {x}));
  CHECK(gradcheck([](auto& v) { return squeeze(unsqueeze(v[0], 1)); }, {x}));
  CHECK(gradcheck([](auto& v) { return transpose(v[0], 0, 2); }, {x}));
  CHECK(gradcheck([](auto& v) { return permute(v[0], {1, 2, 0}); }, {x}));
  CHECK(gradcheck([](auto& v) { return expand(v[0], {5, 2, 3, 4}); }, {x}));
  CHECK(gradcheck([](auto& v) { return broadcast_to(slice(v[0], 1, 1, 2), {2, 3, 4}); }, {x}));
  CHECK(gradcheck([](auto& v) { return sum_to(v[0], {3, 1}); }, {x}));
  CHECK(gradcheck([](auto& v) { return slice(v[0], 2, 1, 4, 2); }, {x}));
  CHECK(gradcheck([](auto& v) { return slice(v[0], -1, -3, 100); }, {x}));
  CHECK(gradcheck(
      [](auto& v) {
        return index_select(v[0], 1, std::vector<int64_t>{2, 0, 2});
      },
      {x}));
  Tensor idx = tensor({{{0, 3}, {1, 1}, {2, 0}}, {{3, 3}, {0, 1}, {2, 2}}}, int64);
  CHECK(gradcheck([idx](auto& v) { return gather(v[0], 2, idx); }, {x}));
  Tensor y = input({2, 2, 4}, -1, 1, 32);
  CHECK(gradcheck([](auto& v) { return concat({v[0], v[1]}, 1); }, {x, y}));
  CHECK(gradcheck([](auto& v) { return stack({v[0], v[0] * 2.0}, 3); }, {x}));
  CHECK(gradcheck([](auto& v) { return clone(v[0]) * v[0]; }, {x}));
  CHECK(gradcheck([](auto& v) { return v[0].to(float32).to(float64); }, {x}, {.eps = 1e-3}));
  CHECK(gradgradcheck([idx](auto& v) { return gather(v[0] * v[0], 2, idx); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return slice(v[0] * v[0], 2, 1, 4, 2); }, {x}));
  CHECK(gradgradcheck(
      [](auto& v) {
        return index_select(v[0] * v[0], 0, std::vector<int64_t>{1, 1});
      },
      {x}));
  CHECK(gradgradcheck([](auto& v) { return expand(v[0] * v[0], {2, 2, 3, 4}); }, {x}));
}

TEST_CASE("shape op values") {
  Tensor x = arange(6).reshape({2, 3});
  CHECK(x.t().to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  CHECK(slice(x, 1, 1, 3).to_vector() == std::vector<double>{1, 2, 4, 5});
  CHECK(index_select(x, 0, tensor({1, 0}, int64)).to_vector() == std::vector<double>{3, 4, 5, 0, 1, 2});
  CHECK(gather(x, 1, tensor({{2}, {0}}, int32)).to_vector() == std::vector<double>{2, 3});
  CHECK(concat({x, x}, 0).shape() == Shape{4, 3});
  CHECK(stack({x, x}, 1).shape() == Shape{2, 2, 3});
  CHECK(expand(tensor({1, 2, 3}), {2, 3}).to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  CHECK(flatten(zeros({2, 3, 4}), 1).shape() == Shape{2, 12});
}

TEST_CASE("matmul follows numpy's rules and passes gradcheck") {
  Tensor a = input({3, 4}, -1, 1, 41), b = input({4, 5}, -1, 1, 42);
  Tensor v = input({4}, -1, 1, 43), w = input({4}, -1, 1, 44);
  Tensor ba = input({2, 3, 4}, -1, 1, 45), bb = input({2, 4, 5}, -1, 1, 46);
  CHECK(matmul(a, b).shape() == Shape{3, 5});
  CHECK(matmul(v, w).shape() == Shape{});
  CHECK(matmul(a, v).shape() == Shape{3});
  CHECK(matmul(v, b).shape() == Shape{5});
  CHECK(matmul(ba, bb).shape() == Shape{2, 3, 5});
  CHECK(matmul(ba, b).shape() == Shape{2, 3, 5});
  CHECK(matmul(a, bb).shape() == Shape{2, 3, 5});
  CHECK(matmul(input({2, 1, 3, 4}), input({3, 4, 2})).shape() == Shape{2, 3, 3, 2});
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {a, b}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {v, w}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {a, v}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {v, b}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {ba, bb}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {ba, b}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); }, {a, bb}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[1]); },
                  {input({2, 1, 3, 4}, -1, 1, 47), input({3, 4, 2}, -1, 1, 48)}));
  CHECK(gradcheck([](auto& x) { return matmul(x[0], x[0]); }, {input({3, 3})}));
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor p = ta ? input({4, 3}, -1, 1, 49) : a, q = tb ? input({5, 4}, -1, 1, 50) : b;
      CHECK(gradcheck([ta, tb](auto& x) { return matmul_transposed(x[0], x[1], ta, tb); }, {p, q}));
      CHECK(gradgradcheck([ta, tb](auto& x) { return matmul_transposed(x[0], x[1], ta, tb); },
                          {p, q}));
      Tensor bp = ta ? input({2, 4, 3}, -1, 1, 51) : ba;
      CHECK(
          gradcheck([ta, tb](auto& x) { return matmul_transposed(x[0], x[1], ta, tb); }, {bp, q}));
    }
  CHECK(testing::allclose(matmul(tensor({{1, 2}, {3, 4}}), tensor({{5, 6}, {7, 8}})),
                          tensor({{19, 22}, {43, 50}})));
}

TEST_CASE("linear fuses x W^T + b and passes gradcheck") {
  Tensor x = input({5, 3}, -1, 1, 61), W = input({4, 3}, -1, 1, 62), b = input({4}, -1, 1, 63);
  CHECK(testing::allclose(linear(x, W, b), matmul(x, W.t()) + b, 1e-12));
  CHECK(gradcheck([](auto& v) { return linear(v[0], v[1], v[2]); }, {x, W, b}));
  CHECK(gradcheck([](auto& v) { return linear(v[0], v[1]); }, {x, W}));
  CHECK(gradcheck([](auto& v) { return linear(v[0], v[1], v[2]); },
                  {input({2, 5, 3}, -1, 1, 64), W, b}));
  CHECK(gradgradcheck([](auto& v) { return linear(v[0], v[1], v[2]); }, {x, W, b}));
}

TEST_CASE("float32 smoke checks agree with float64") {
  Tensor x64 = input({4, 3}, -1, 1, 71), w64 = input({3, 2}, -1, 1, 72);
  Tensor x32 = x64.detach().to(float32).requires_grad_(),
         w32 = w64.detach().to(float32).requires_grad_();
  auto f = [](const Tensor& x, const Tensor& w) {
    return sum(log_softmax(tanh(matmul(x, w)) * 3.0, 1) * sigmoid(x).sum());
  };
  f(x64, w64).backward();
  f(x32, w32).backward();
  CHECK(x32.grad().dtype() == float32);
  CHECK(testing::allclose(x32.grad(), x64.grad(), 1e-4, 1e-3));
  CHECK(testing::allclose(w32.grad(), w64.grad(), 1e-4, 1e-3));
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

TEST_CASE("max over a dim shares the gradient among ties exactly in float64") {
  Tensor x = tensor({{1.0, 3.0, 3.0, 3.0}}, {float64, true});
  max(x, 1).sum().backward();
  const double third = 1.0 / 3.0;
  CHECK(x.grad().to_vector() == std::vector<double>{0, third, third, third});
}
