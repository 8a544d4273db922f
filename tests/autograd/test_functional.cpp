// autograd::functional (vjp, jvp, jacobian, hessian, vhp, hvp) against closed forms in float64,
// create_graph, strict mode and the errors for misuse.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::autograd;
using xgrad::testing::allclose;
using xgrad::testing::input;
namespace fn = xgrad::autograd::functional;

namespace {
Tensor matrix(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return uniform(shape, -1.0, 1.0, float64, &gen);
}
}  // namespace

TEST_CASE("jacobian of A x is A, with PyTorch's shapes") {
  Tensor a = matrix({3, 4}, 1);
  Tensor x = matrix({4}, 2);
  fn::Jacobian j = fn::jacobian([&](const Tensor& v) { return matmul(a, v); }, {x});
  REQUIRE(j.size() == 1);
  REQUIRE(j[0].size() == 1);
  CHECK(j[0][0].shape() == Shape{3, 4});
  CHECK(allclose(j[0][0], a, 1e-15, 0));
  CHECK_FALSE(j[0][0].requires_grad());
  CHECK_FALSE(x.requires_grad());  // inputs need not require grad

  // Matrix input and output: (2, 3) + (2, 3); x ⊙ x has the Jacobian diag(2x).
  Tensor m = input({2, 3});
  Tensor jm = fn::jacobian([](const Tensor& v) { return v * v; }, {m})[0][0];
  CHECK(jm.shape() == Shape{2, 3, 2, 3});
  Tensor expected = reshape(mul(eye(6, float64), reshape(m.detach() * 2.0, {1, 6})), {2, 3, 2, 3});
  CHECK(allclose(jm, expected, 1e-15, 0));
  CHECK_FALSE(m.grad().defined());  // .grad() of the inputs is never touched

  // A scalar output gives the input's shape; a scalar input the output's.
  CHECK(fn::jacobian([](const Tensor& v) { return sum(v * v); }, {m})[0][0].shape() == Shape{2, 3});
  Tensor s = scalar_tensor(0.5, float64);
  Tensor js = fn::jacobian([](const Tensor& v) { return stack({v, v * 3.0}); }, {s})[0][0];
  CHECK(js.shape() == Shape{2});
  CHECK(js.to_vector() == std::vector<double>{1, 3});
}

TEST_CASE("jacobian of several inputs and outputs, and of an output that ignores an input") {
  Tensor x = input({3}, -1, 1, 3), y = input({2}, -1, 1, 4);
  auto f = [](const std::vector<Tensor>& v) {
    return std::vector<Tensor>{outer(v[0], v[1]), sin(v[0]), sum(v[1] * v[1])};
  };
  fn::Jacobian j = fn::jacobian(f, {x, y});
  REQUIRE(j.size() == 3);
  CHECK(j[0][0].shape() == Shape{3, 2, 3});
  CHECK(j[0][1].shape() == Shape{3, 2, 2});
  CHECK(j[1][0].shape() == Shape{3, 3});
  CHECK(j[1][1].shape() == Shape{3, 2});
  CHECK(j[2][0].shape() == Shape{3});
  CHECK(j[2][1].shape() == Shape{2});
  // d(x_a y_b)/dx_c = δ_ac y_b, d(x_a y_b)/dy_c = x_a δ_bc.
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t c = 0; c < 3; ++c) CHECK(j[0][0].at({a, b, c}) == (a == c ? y.at({b}) : 0.0));
      for (int64_t c = 0; c < 2; ++c) CHECK(j[0][1].at({a, b, c}) == (b == c ? x.at({a}) : 0.0));
    }
  CHECK(allclose(j[1][0], mul(eye(3, float64), cos(x.detach())), 1e-15, 0));
  CHECK(j[1][1].to_vector() == std::vector<double>(6, 0.0));  // sin(x) ignores y
  CHECK(j[2][0].to_vector() == std::vector<double>(3, 0.0));
  CHECK(allclose(j[2][1], y.detach() * 2.0, 1e-15, 0));
  // A generic lambda is called with the list (it would not compile for a single Tensor).
  fn::Jacobian jg = fn::jacobian([](const auto& v) { return v.front() * v.back(); }, {x, x});
  CHECK(allclose(jg[0][0], mul(eye(3, float64), x.detach()), 1e-15, 0));
  CHECK_ERROR_MESSAGE(fn::jacobian(f, {x, y}, {.strict = true}),
                      "jacobian: output 1 does not depend on input 1 (strict mode)");
  // An output that does not depend on any input (no graph at all) is zeros too.
  Tensor c = ones({2}, float64);
  Tensor jc = fn::jacobian([&](const Tensor&) { return c * 2.0; }, {x})[0][0];
  CHECK(jc.shape() == Shape{2, 3});
  CHECK(jc.to_vector() == std::vector<double>(6, 0.0));
}

TEST_CASE("hessian of xᵀ A x is A + Aᵀ, and of several inputs") {
  Tensor a = matrix({4, 4}, 5);
  Tensor x = matrix({4}, 6);
  auto quad = [&](const Tensor& v) { return sum(v * matmul(a, v)); };
  Tensor h = fn::hessian(quad, {x})[0][0];
  CHECK(h.shape() == Shape{4, 4});
  CHECK(allclose(h, a + a.t(), 1e-14, 0));
  // f(x, y) = sum(x² y) + sum(y³): H_xx = diag(2y), H_xy = diag(2x), H_yy = diag(6y).
  Tensor x2 = input({3}, -1, 1, 7), y2 = input({3}, -1, 1, 8);
  fn::Jacobian hs = fn::hessian(
      [](const std::vector<Tensor>& v) { return sum(v[0] * v[0] * v[1]) + sum(pow(v[1], 3.0)); },
      {x2, y2});
  Tensor i3 = eye(3, float64);
  CHECK(allclose(hs[0][0], i3 * (y2.detach() * 2.0), 1e-14, 0));
  CHECK(allclose(hs[0][1], i3 * (x2.detach() * 2.0), 1e-14, 0));
  CHECK(allclose(hs[1][0], i3 * (x2.detach() * 2.0), 1e-14, 0));
  CHECK(allclose(hs[1][1], i3 * (y2.detach() * 6.0), 1e-14, 0));
  // Linear in an input: zero blocks; a matrix input gives shape (2, 3, 2, 3).
  Tensor lin = fn::hessian(
      [](const std::vector<Tensor>& v) { return sum(v[0] * v[0]) + sum(v[1]); }, {x2, y2})[1][1];
  CHECK(lin.to_vector() == std::vector<double>(9, 0.0));
  CHECK(fn::hessian([](const Tensor& v) { return sum(exp(v)); }, {input({2, 3})})[0][0].shape() ==
        Shape{2, 3, 2, 3});
}

TEST_CASE("vjp and jvp of elementwise functions") {
  Tensor x = input({4}, -1, 1, 9), y = input({4}, -1, 1, 10);
  Tensor vx = matrix({4}, 11), vy = matrix({4}, 12);
  auto f = [](const std::vector<Tensor>& v) { return sin(v[0]) * v[1]; };
  Tensor xd = x.detach(), yd = y.detach();
  auto [out, p] = fn::vjp(f, {x, y}, {vx});
  REQUIRE(out.size() == 1);
  REQUIRE(p.size() == 2);
  CHECK(allclose(out[0], sin(xd) * yd, 0, 0));
  CHECK_FALSE(out[0].requires_grad());
  CHECK(allclose(p[0], vx * cos(xd) * yd, 1e-15, 0));
  CHECK(allclose(p[1], vx * sin(xd), 1e-15, 0));
  // J v = cos(x) y vx + sin(x) vy.
  auto [out2, jv] = fn::jvp(f, {x, y}, {vx, vy});
  REQUIRE(jv.size() == 1);
  CHECK(allclose(jv[0], cos(xd) * yd * vx + sin(xd) * vy, 1e-15, 1e-15));
  CHECK_FALSE(jv[0].requires_grad());
  // Two outputs: vjp sums over them, jvp gives one product per output.
  auto g = [](const std::vector<Tensor>& v) { return std::vector<Tensor>{exp(v[0]), v[0] * v[1]}; };
  auto [o3, p3] = fn::vjp(g, {x, y}, {vx, vy});
  CHECK(allclose(p3[0], vx * exp(xd) + vy * yd, 1e-15, 1e-15));
  CHECK(allclose(p3[1], vy * xd, 1e-15, 0));
  auto [o4, jv4] = fn::jvp(g, {x, y}, {vx, vy});
  CHECK(allclose(jv4[0], exp(xd) * vx, 1e-15, 1e-15));
  CHECK(allclose(jv4[1], yd * vx + xd * vy, 1e-15, 1e-15));
  // A one-element output or input may leave v out (ones).
  Tensor s = tensor({0.3}, float64);
  CHECK(fn::vjp([](const Tensor& v) { return sum(v * v); }, {x}).product[0].shape() == Shape{4});
  CHECK(fn::jvp([&](const Tensor& v) { return x.detach() * v; }, {s}).product[0].to_vector() ==
        xd.to_vector());
  // jvp of a linear map is A v exactly; of an output that ignores the inputs, zeros.
  Tensor a = matrix({3, 4}, 13);
  auto lin = fn::jvp([&](const Tensor& v) { return matmul(a, v); }, {x}, {vx});
  CHECK(allclose(lin.product[0], matmul(a, vx), 1e-15, 0));
  auto none = fn::jvp([&](const Tensor&) { return a * 2.0; }, {x}, {vx});
  CHECK(none.product[0].to_vector() == std::vector<double>(12, 0.0));
  CHECK_ERROR_MESSAGE(fn::jvp([&](const Tensor&) { return a * 2.0; }, {x}, {vx}, {.strict = true}),
                      "jvp: the function's outputs do not depend on input 0 (strict mode)");
  CHECK_ERROR_MESSAGE(fn::vjp([&](const std::vector<Tensor>& v) { return v[0] * 2.0; }, {x, y},
                              {vx}, {.strict = true}),
                      "vjp: the function's outputs do not depend on input 1 (strict mode)");
}

TEST_CASE("hvp and vhp of sum(x⁴) are 12 x² v") {
  Tensor x = input({5}, -1, 1, 14);
  Tensor v = matrix({5}, 15);
  auto f = [](const Tensor& t) { return sum(pow(t, 4.0)); };
  Tensor expected = x.detach() * x.detach() * v * 12.0;
  auto [out, hv] = fn::hvp(f, {x}, {v});
  CHECK(out[0].item() == doctest::Approx(sum(pow(x.detach(), 4.0)).item()));
  CHECK(allclose(hv[0], expected, 1e-14, 1e-14));
  auto [out2, vh] = fn::vhp(f, {x}, {v});
  CHECK(allclose(vh[0], expected, 1e-14, 1e-14));
  // Two inputs, against the full Hessian; an input the gradient does not depend on gets zeros.
  Tensor y = input({5}, -1, 1, 16), w = matrix({5}, 17);
  auto g = [](const std::vector<Tensor>& t) { return sum(t[0] * t[0] * t[1]) + sum(t[2]); };
  Tensor z = input({2}, -1, 1, 18);
  Tensor vz = matrix({2}, 19);
  fn::Jacobian h = fn::hessian(g, {x, y, z});
  auto hv2 = fn::hvp(g, {x, y, z}, {v, w, vz}).product;
  auto vh2 = fn::vhp(g, {x, y, z}, {v, w, vz}).product;
  Tensor hv_x = matmul(h[0][0], v) + matmul(h[0][1], w);
  Tensor hv_y = matmul(h[1][0], v) + matmul(h[1][1], w);
  CHECK(allclose(hv2[0], hv_x, 1e-14, 1e-14));
  CHECK(allclose(hv2[1], hv_y, 1e-14, 1e-14));
  CHECK(hv2[2].to_vector() == std::vector<double>(2, 0.0));
  CHECK(allclose(vh2[0], hv_x, 1e-14, 1e-14));
  CHECK(allclose(vh2[1], hv_y, 1e-14, 1e-14));
  CHECK(vh2[2].to_vector() == std::vector<double>(2, 0.0));
}

TEST_CASE("create_graph: the results are differentiable again") {
  Tensor x = input({3}, 0.5, 1.5, 20);
  // The Jacobian of x³ is diag(3x²); the gradient of its sum is 6x.
  Tensor j =
      fn::jacobian([](const Tensor& v) { return pow(v, 3.0); }, {x}, {.create_graph = true})[0][0];
  REQUIRE(j.requires_grad());
  Tensor d = grad({j.sum()}, {x})[0];
  CHECK(allclose(d, x.detach() * 6.0, 1e-14, 1e-14));
  // vjp of exp with create_graph: ∂(vᵀ exp(x) ⊙ ...)/∂x again.
  Tensor v = matrix({3}, 21);
  auto [out, p] = fn::vjp([](const Tensor& t) { return exp(t); }, {x}, {v}, {.create_graph = true});
  CHECK(out[0].requires_grad());
  CHECK(allclose(grad({p[0].sum()}, {x})[0], v * exp(x.detach()), 1e-14, 1e-14));
  // hvp with create_graph: d/dx sum(12 x² v) = 24 x v.
  Tensor hv =
      fn::hvp([](const Tensor& t) { return sum(pow(t, 4.0)); }, {x}, {v}, {.create_graph = true})
          .product[0];
  CHECK(allclose(grad({hv.sum()}, {x})[0], x.detach() * v * 24.0, 1e-13, 1e-13));
  // hessian of sum(x⁴) with create_graph: d/dx trace(diag(12 x²)) = 24 x.
  Tensor h = fn::hessian([](const Tensor& t) { return sum(pow(t, 4.0)); }, {x},
                         {.create_graph = true})[0][0];
  CHECK(allclose(grad({diagonal(h).sum()}, {x})[0], x.detach() * 24.0, 1e-13, 1e-13));
  // jvp with create_graph: d/dx sum(cos(x) v) = -sin(x) v.
  Tensor jv =
      fn::jvp([](const Tensor& t) { return sin(t); }, {x}, {v}, {.create_graph = true}).product[0];
  CHECK(allclose(grad({jv.sum()}, {x})[0], -sin(x.detach()) * v, 1e-14, 1e-14));
  CHECK_FALSE(x.grad().defined());
  // Without create_graph nothing keeps a graph, even for inputs that require grad.
  CHECK_FALSE(fn::jacobian([](const Tensor& v) { return pow(v, 3.0); }, {x})[0][0].requires_grad());
  CHECK_FALSE(fn::vjp([](const Tensor& t) { return exp(t); }, {x}, {v}).product[0].requires_grad());
}

TEST_CASE("functional under no-grad, with a float32 output, and with captured parameters") {
  nn::Linear layer(3, 2);
  Tensor x = ones({1, 3});
  Tensor j;
  {
    NoGradGuard no_grad;
    j = fn::jacobian([&](const Tensor& v) { return layer(v); }, {x})[0][0];
  }
  CHECK(j.dtype() == float32);
  CHECK(j.shape() == Shape{1, 2, 1, 3});
  CHECK(j.to_vector() == layer.weight.to_vector());  // d(Wx + b)/dx = W
  CHECK_FALSE(layer.weight.grad().defined());
  // The v of a float32 output may be float64: it is cast.
  auto [out, p] = fn::vjp([&](const Tensor& v) { return layer(v); }, {x}, {ones({1, 2}, float64)});
  CHECK(p[0].dtype() == float32);
  CHECK(allclose(reshape(p[0], {3}), sum(layer.weight, {0}), 1e-6, 1e-6));
}

TEST_CASE("functional: errors for misuse") {
  Tensor x = input({3}), y = input({2});
  auto f = [](const Tensor& t) { return t * 2.0; };
  CHECK_ERROR_MESSAGE(fn::vjp(f, {x}, {ones({2}, float64)}),
                      "vjp: v[0] has shape (2,), but output 0 has shape (3,)");
  CHECK_ERROR_MESSAGE(fn::vjp(f, {x}, {ones({3}, float64), ones({3}, float64)}),
                      "vjp: v has 2 tensors for 1 output");
  CHECK_ERROR_MESSAGE(fn::vjp(f, {x}),
                      "vjp: v can be left out only when every output has one element; output 0 "
                      "has shape (3,)");
  CHECK_ERROR_MESSAGE(fn::vjp(f, {x}, {ones({3}, int64)}),
                      "vjp: v[0] is int64; it must be floating-point");
  CHECK_ERROR_MESSAGE(fn::vjp(f, {x}, {Tensor()}), "vjp: v[0] is undefined");
  auto g = [](const std::vector<Tensor>& v) { return v[0] * v[1].sum(); };
  CHECK_ERROR_MESSAGE(fn::jvp(g, {x, y}, {ones({3}, float64)}), "jvp: v has 1 tensor for 2 inputs");
  CHECK_ERROR_MESSAGE(fn::jvp(g, {x, y}, {ones({3}, float64), ones({3}, float64)}),
                      "jvp: v[1] has shape (3,), but input 1 has shape (2,)");
  CHECK_ERROR_MESSAGE(
      fn::hvp([](const Tensor& t) { return sum(t * t); }, {x}, {ones({2}, float64)}),
      "hvp: v[0] has shape (2,), but input 0 has shape (3,)");
  CHECK_ERROR_MESSAGE(fn::vhp([](const Tensor& t) { return sum(t * t); }, {x}),
                      "vhp: v can be left out only when every input has one element; input 0 "
                      "has shape (3,)");
  CHECK_ERROR_MESSAGE(fn::jacobian(f, {tensor({1, 2, 3}, int64)}),
                      "jacobian: input 0 is int64; only floating-point inputs can be "
                      "differentiated");
  CHECK_ERROR_MESSAGE(fn::jacobian(g, {x, Tensor()}), "jacobian: input 1 is undefined");
  CHECK_ERROR_MESSAGE(fn::jacobian(g, {}), "jacobian: no inputs");
  CHECK_ERROR_MESSAGE(fn::jacobian(f, {x, y}),
                      "jacobian: the function takes one tensor, but 2 inputs were given");
  CHECK_ERROR_MESSAGE(fn::jacobian([](const Tensor&) { return Tensor(); }, {x}),
                      "jacobian: output 0 of the function is undefined");
  CHECK_ERROR_MESSAGE(fn::jacobian([](const Tensor&) { return std::vector<Tensor>{}; }, {x}),
                      "jacobian: the function returned no tensors");
  CHECK_ERROR_MESSAGE(fn::hessian(f, {x}),
                      "hessian: the function must return one tensor with one element, got "
                      "shape (3,)");
  CHECK_ERROR_MESSAGE(fn::hvp(
                          [](const Tensor& t) {
                            return std::vector<Tensor>{t.sum(), t.sum()};
                          },
                          {x}),
                      "hvp: the function must return one tensor with one element, got 2 tensors");
  CHECK_ERROR_MESSAGE(fn::hessian([](const std::vector<Tensor>& v) { return sum(v[0] * v[0]); },
                                  {x, y}, {.strict = true}),
                      "hessian: the function's output does not depend on input 1 (strict mode)");
  CHECK_ERROR_MESSAGE(
      fn::hessian([](const Tensor& t) { return sum(t * 3.0); }, {x}, {.strict = true}),
      "hessian: the gradient for input 0 does not depend on input 0 (strict mode)");
}
