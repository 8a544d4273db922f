// autograd/ops_linalg.cpp: matmul (numpy's broadcasting rules) and linear, gradcheck in float64;
// float32 gradients agree with float64 ones.
#include "../helpers.hpp"

using namespace xgrad;
using testing::input;

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
