// Autograd through views: every view op and chains of them pass gradcheck and gradgradcheck;
// gradients of views of leaves land in the right elements; leaf gradients are dense.
#include "../helpers.hpp"

using namespace xgrad;
using testing::input;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
void check_view(const std::string& name, const std::function<Tensor(const Tensor&)>& f,
                const Tensor& x) {
  INFO(name);
  // Multiplying by a fixed ramp makes every output element's gradient distinct.
  Fn fn = [f](const std::vector<Tensor>& v) {
    Tensor y = f(v[0]);
    Tensor ramp = reshape(arange(1, static_cast<double>(y.numel()) + 1, 1, float64), y.shape());
    return y * ramp * y;
  };
  CHECK(gradcheck(fn, {x}));
  CHECK(gradgradcheck(fn, {x}));
}
}  // namespace

TEST_CASE("view ops pass gradcheck and gradgradcheck") {
  Tensor x = input({3, 4});
  check_view(
      "slice with step", [](const Tensor& t) { return slice(t, 1, 1, 4, 2); }, x);
  check_view(
      "select", [](const Tensor& t) { return select(t, 0, -1); }, x);
  check_view(
      "narrow", [](const Tensor& t) { return narrow(t, 1, 1, 2); }, x);
  check_view(
      "transpose", [](const Tensor& t) { return t.t(); }, x);
  check_view(
      "permute",
      [](const Tensor& t) {
        return permute(t, {1, 0});
      },
      x);
  check_view(
      "expand",
      [](const Tensor& t) {
        return expand(unsqueeze(t, 0), {2, 3, 4});
      },
      x);
  check_view(
      "diagonal", [](const Tensor& t) { return diagonal(t); }, x);
  check_view(
      "diagonal above", [](const Tensor& t) { return diagonal(t, 1); }, x);
  check_view(
      "diagonal below", [](const Tensor& t) { return diagonal(t, -1); }, x);
  check_view(
      "unfold with overlap", [](const Tensor& t) { return unfold(t, 1, 3, 1); }, x);
  check_view(
      "unfold with gaps", [](const Tensor& t) { return unfold(t, 1, 1, 2); }, x);
  check_view(
      "as_strided with overlap",
      [](const Tensor& t) {
        return as_strided(t, {3, 3}, {1, 2}, 1);
      },
      x);
  check_view(
      "view",
      [](const Tensor& t) {
        return view(t, {2, 6});
      },
      x);
  check_view(
      "reshape of a transpose (a copy)", [](const Tensor& t) { return reshape(t.t(), {12}); }, x);
  check_view(
      "contiguous", [](const Tensor& t) { return t.t().contiguous(); }, x);
  check_view(
      "squeeze and unsqueeze", [](const Tensor& t) { return squeeze(unsqueeze(t, 1), 1); }, x);
}

TEST_CASE("chains of views pass gradcheck") {
  Tensor x = input({2, 3, 4});
  check_view(
      "transpose, slice, select",
      [](const Tensor& t) { return select(slice(transpose(t, 0, 2), 0, 1, 4), 2, 1); }, x);
  check_view(
      "permute, diagonal, unfold",
      [](const Tensor& t) {
        return unfold(diagonal(permute(t, {2, 1, 0}), 0, 0, 1), 1, 2, 1);
      },
      x);
  check_view(
      "expand, transpose, reshape",
      [](const Tensor& t) {
        return reshape(transpose(expand(select(t, 0, 0), {2, 3, 4}), 1, 2), {8, 3});
      },
      x);
  check_view(
      "view of a slice",
      [](const Tensor& t) {
        return view(slice(t, 2, 0, 2), {6, 2});
      },
      x);
}

TEST_CASE("strided operands through differentiable ops") {
  Tensor a = input({4, 3}, -1, 1, 5), b = input({3, 4}, -1, 1, 6);
  CHECK(gradcheck([](auto& v) { return matmul(v[0].t(), v[1].t()); }, {a, b}));
  CHECK(gradcheck([](auto& v) { return exp(v[0].t()) * v[1]; }, {a, b}));
  CHECK(gradcheck([](auto& v) { return sum(v[0].t() / (v[1] * v[1] + 1.0), {1}); }, {a, b}));
  CHECK(gradgradcheck([](auto& v) { return matmul(v[0].t(), v[1].t()); }, {a, b}));
}

TEST_CASE("gradients of views land in the viewed elements; leaf gradients are dense") {
  Tensor x = zeros({2, 3}, {float64, true});
  Tensor y = sum(mul(select(x, 1, 2), 3.0)) + sum(diagonal(x));
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 0, 3, 0, 1, 3});
  Tensor z = zeros({4}, {float64, true});
  sum(unfold(z, 0, 2, 1)).backward();  // windows [0,1], [1,2], [2,3]
  CHECK(z.grad().to_vector() == std::vector<double>{1, 2, 2, 1});
  Tensor w = zeros({3, 2}, {float64, true});
  sum(w).backward();  // the gradient arrives as an expanded (stride 0) view
  CHECK(w.grad().is_contiguous());
  CHECK(w.grad().to_vector() == std::vector<double>(6, 1.0));
  CHECK_ERROR_MESSAGE(as_strided(zeros({2, 3}, {float64, true}).t(), {2}, {1}, 0),
                      "as_strided: its gradient needs a contiguous input, got strides (1, 3); "
                      "call contiguous() first");
}

TEST_CASE("a non-contiguous leaf is checked element by element") {
  Tensor base = input({3, 4});
  Tensor leaf = base.detach().t().requires_grad_();
  CHECK(!leaf.is_contiguous());
  CHECK(gradcheck([](auto& v) { return v[0] * v[0] * arange(0, 3, 1, float64); }, {leaf}));
}
