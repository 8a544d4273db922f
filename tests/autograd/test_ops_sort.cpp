// Scans, products, amax/amin, norms, any/all (autograd/ops_reduction.cpp) and sort, argsort,
// topk, nonzero (autograd/ops_sort.cpp): values against hand-computed results, gradcheck and
// gradgradcheck in float64, zeros, ties, NaN, integer and bool inputs, strided inputs, errors.
#include <limits>

#include "../helpers.hpp"

using namespace xgrad;
using testing::input;
using testing::off_kink;

namespace {

using V = std::vector<double>;
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor leaf(std::initializer_list<Value> values) { return tensor(values, {float64, true}); }

// The gradient of sum(f(x) * w) for a fixed weight w of f's output shape.
template <class F>
Tensor grad_of(F f, const Tensor& x, const Tensor& w) {
  return grad({sum(mul(f(x), w))}, {x})[0];
}

// Same values, same NaN positions.
bool same_values(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  V x = a.to_vector(), y = b.to_vector();
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
  return true;
}

}  // namespace

TEST_CASE("cumsum and cumprod values, dtypes and shapes") {
  Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  CHECK(cumsum(x, 1).to_vector() == V{1, 3, 6, 4, 9, 15});
  CHECK(cumsum(x, 0).to_vector() == V{1, 2, 3, 5, 7, 9});
  CHECK(cumsum(x, -1).to_vector() == V{1, 3, 6, 4, 9, 15});
  CHECK(cumprod(x, 1).to_vector() == V{1, 2, 6, 4, 20, 120});
  CHECK(cumprod(x, 0).to_vector() == V{1, 2, 3, 4, 10, 18});
  CHECK(cumsum(x, 1).dtype() == float32);
  // Integer and bool inputs give int64, as PyTorch's cumsum and cumprod.
  Tensor i = tensor({3, -1, 2}, int32);
  CHECK(cumsum(i, 0).dtype() == int64);
  CHECK(cumsum(i, 0).to_vector() == V{3, 2, 4});
  CHECK(cumprod(i, 0).to_vector() == V{3, -3, -6});
  Tensor b = tensor({1, 0, 1, 1}, bool_);
  CHECK(cumsum(b, 0).dtype() == int64);
  CHECK(cumsum(b, 0).to_vector() == V{1, 1, 2, 3});
  CHECK(cumprod(b, 0).to_vector() == V{1, 0, 0, 0});
  // 0-d and empty tensors.
  CHECK(cumsum(scalar_tensor(2.5), 0).shape() == Shape{});
  CHECK(cumprod(scalar_tensor(2.5), -1).item() == 2.5);
  CHECK(cumsum(zeros({0, 3}), 0).shape() == Shape{0, 3});
  CHECK(cumprod(zeros({2, 0}), 1).shape() == Shape{2, 0});
}

TEST_CASE("cumsum and cumprod pass gradcheck and gradgradcheck") {
  Tensor x = input({3, 4, 2}, -1, 1, 101);
  for (int64_t d : {0, 1, 2, -1}) {
    INFO("dim " << d);
    CHECK(gradcheck([d](auto& v) { return cumsum(v[0], d); }, {x}));
    CHECK(gradcheck([d](auto& v) { return cumprod(v[0], d); }, {x}));
    CHECK(gradgradcheck([d](auto& v) { return cumsum(v[0] * v[0], d); }, {x}));
    CHECK(gradgradcheck([d](auto& v) { return cumprod(v[0], d); }, {x}));
  }
  Tensor s = input({}, 0.5, 2, 102);
  CHECK(gradcheck([](auto& v) { return cumprod(v[0], 0); }, {s}));
  CHECK(gradgradcheck([](auto& v) { return cumsum(v[0] * v[0], 0); }, {s}));
}

TEST_CASE("cumprod's gradient is exact where the input has zeros") {
  // d sum(cumprod(x)) / d x_k = sum_{j>=k} prod_{i<=j, i!=k} x_i, by hand.
  auto f = [](const Tensor& t) { return cumprod(t, 0); };
  Tensor one_zero = leaf({2.0, 0.0, 3.0, 0.5});
  CHECK(grad_of(f, one_zero, ones({4}, float64)).to_vector() == V{1, 2 + 6 + 3, 0, 0});
  Tensor two_zeros = leaf({2.0, 0.0, 3.0, 0.0, 5.0});
  CHECK(grad_of(f, two_zeros, ones({5}, float64)).to_vector() == V{1, 2 + 6, 0, 0, 0});
  Tensor first_zero = leaf({0.0, 2.0, 3.0});
  CHECK(grad_of(f, first_zero, ones({3}, float64)).to_vector() == V{1 + 2 + 6, 0, 0});
  // The formula is a polynomial, so finite differences across the zeros agree to every order.
  for (const Tensor& t : {one_zero, two_zeros, first_zero}) {
    CHECK(gradcheck([](auto& v) { return cumprod(v[0], 0); }, {t}));
    CHECK(gradgradcheck([](auto& v) { return cumprod(v[0], 0); }, {t}));
  }
  Tensor rows = tensor({{0.0, 1.5, -2.0}, {0.5, 0.0, 0.0}}, {float64, true});
  CHECK(gradcheck([](auto& v) { return cumprod(v[0], 1); }, {rows}));
  CHECK(gradgradcheck([](auto& v) { return cumprod(v[0], 0); }, {rows}));
}

TEST_CASE("prod values, dtypes and shapes") {
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}});
  CHECK(prod(x).item() == 24);
  CHECK(prod(x).shape() == Shape{});
  CHECK(prod(x, 1).to_vector() == V{2, 12});
  CHECK(prod(x, 0).to_vector() == V{3, 8});
  CHECK(prod(x, -1, true).shape() == Shape{2, 1});
  CHECK(prod(tensor({2, 3, -4}, int64)).dtype() == int64);
  CHECK(prod(tensor({2, 3, -4}, int32)).item() == -24);
  CHECK(prod(tensor({1, 1, 0}, bool_), 0).dtype() == int64);
  CHECK(prod(tensor({1, 1, 0}, bool_), 0).item() == 0);
  CHECK(prod(zeros({0})).item() == 1);  // the empty product
  CHECK(prod(zeros({2, 0}), 1).to_vector() == V{1, 1});
  CHECK(prod(scalar_tensor(3.0), 0).item() == 3);
}

TEST_CASE("prod's gradient with no, one and two zeros") {
  auto all = [](const Tensor& t) { return prod(t); };
  CHECK(grad_of(all, leaf({2.0, 3.0, 4.0}), scalar_tensor(1.0, float64)).to_vector() ==
        V{12, 8, 6});
  CHECK(grad_of(all, leaf({2.0, 0.0, 4.0}), scalar_tensor(1.0, float64)).to_vector() == V{0, 8, 0});
  CHECK(grad_of(all, leaf({0.0, 3.0, 0.0}), scalar_tensor(1.0, float64)).to_vector() == V{0, 0, 0});
  Tensor m = tensor({{2.0, 0.0, 4.0}, {1.0, 2.0, 3.0}, {0.0, 5.0, 0.0}}, {float64, true});
  CHECK(grad_of([](const Tensor& t) { return prod(t, 1); }, m, tensor({1.0, 2.0, 3.0}, float64))
            .to_vector() == V{0, 8, 0, 12, 6, 4, 0, 0, 0});
  for (const Tensor& t : {leaf({2.0, 0.0, 4.0}), leaf({0.0, 3.0, 0.0}), leaf({0.5, -1.5, 2.0})}) {
    CHECK(gradcheck([](auto& v) { return prod(v[0]); }, {t}));
    CHECK(gradgradcheck([](auto& v) { return prod(v[0]); }, {t}));
  }
  CHECK(gradcheck([](auto& v) { return prod(v[0], 1); }, {m}));
  CHECK(gradgradcheck([](auto& v) { return prod(v[0], 0, true); }, {m}));
  Tensor x = input({3, 4, 2}, -1, 1, 111);
  CHECK(gradcheck([](auto& v) { return prod(v[0], 1); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return prod(v[0], -1, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return prod(v[0]); }, {input({}, 0.5, 2, 112)}));
}

TEST_CASE("amax and amin values, dtypes, NaN") {
  Tensor x = tensor({{1.0, 5.0, 3.0}, {4.0, 2.0, 6.0}});
  CHECK(amax(x).item() == 6);
  CHECK(amax(x).shape() == Shape{});
  CHECK(amax(x, {1}).to_vector() == V{5, 6});
  CHECK(amin(x, {0}).to_vector() == V{1, 2, 3});
  CHECK(amin(x, {-1}, true).shape() == Shape{2, 1});
  CHECK(amax(x, {0, 1}, true).shape() == Shape{1, 1});
  CHECK(amin(x, {1, 0}).item() == 1);
  CHECK(amax(tensor({3, -7, 2}, int64)).dtype() == int64);
  CHECK(amin(tensor({3, -7, 2}, int64)).item() == -7);
  CHECK(amax(tensor({0, 1, 0}, bool_)).dtype() == bool_);
  CHECK(amax(scalar_tensor(4.0)).item() == 4);
  // NaN propagates.
  Tensor n = tensor({{1.0, kNaN, 2.0}, {0.0, 3.0, -1.0}});
  CHECK(std::isnan(amax(n).item()));
  V by_row = amin(n, {1}).to_vector();
  CHECK(std::isnan(by_row[0]));
  CHECK(by_row[1] == -1);
}

TEST_CASE("amax and amin share the gradient among ties and pass gradcheck") {
  Tensor t = tensor({{1.0, 3.0, 3.0}, {2.0, 2.0, 2.0}}, {float64, true});
  Tensor g = grad_of([](const Tensor& a) { return amax(a, {1}); }, t, ones({2}, float64));
  CHECK(testing::allclose(g, tensor({{0.0, 0.5, 0.5}, {1 / 3.0, 1 / 3.0, 1 / 3.0}}, float64)));
  g = grad_of([](const Tensor& a) { return amin(a); }, t, scalar_tensor(6.0, float64));
  CHECK(g.to_vector() == V{6, 0, 0, 0, 0, 0});
  // A NaN result sends its gradient to the NaNs (as PyTorch's max()).
  Tensor n = leaf({1.0, kNaN, 2.0});
  CHECK(grad_of([](const Tensor& a) { return amax(a); }, n, scalar_tensor(1.0, float64))
            .to_vector() == V{0, 1, 0});
  Tensor x = input({3, 4, 2}, -1, 1, 121);  // random values: no ties
  CHECK(gradcheck([](auto& v) { return amax(v[0]); }, {x}));
  CHECK(gradcheck([](auto& v) { return amax(v[0], {0, 2}); }, {x}));
  CHECK(gradcheck([](auto& v) { return amin(v[0], {1}, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return amin(v[0], {-1, 0}); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return amax(v[0] * v[0], {1}); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return amin(v[0], {0, 1}, true); }, {x}));
  CHECK(gradcheck([](auto& v) { return amax(v[0]); }, {input({}, -1, 1, 122)}));
}

TEST_CASE("norm values") {
  Tensor x = tensor({{3.0, -4.0}, {0.0, 0.0}});
  CHECK(norm(x).item() == 5);
  CHECK(norm(x, 2).item() == 5);
  CHECK(norm(x, "fro").item() == 5);
  CHECK(norm(x, 1).item() == 7);
  CHECK(norm(x, kInf).item() == 4);
  CHECK(norm(x, -kInf).item() == 0);
  CHECK(norm(x, 2, {1}).to_vector() == V{5, 0});
  CHECK(norm(x, 1, {0}).to_vector() == V{3, 4});
  CHECK(norm(x, kInf, {-1}, true).shape() == Shape{2, 1});
  CHECK(norm(x, "fro", {0, 1}, true).shape() == Shape{1, 1});
  CHECK(norm(x, -kInf, {0}).to_vector() == V{0, 0});
  CHECK(norm(scalar_tensor(-2.0, float64)).item() == 2);
  CHECK(norm(zeros({0, 3})).item() == 0);
  CHECK(norm(x).dtype() == float32);
}

TEST_CASE("norm gradients: 0 at 0 for the 2-norm, shared among ties for the inf-norm") {
  Tensor z = zeros({3}, {float64, true});
  CHECK(grad_of([](const Tensor& t) { return norm(t); }, z, scalar_tensor(1.0, float64))
            .to_vector() == V{0, 0, 0});
  Tensor x = tensor({{3.0, -4.0}, {0.0, 0.0}}, {float64, true});
  Tensor g = grad_of([](const Tensor& t) { return norm(t, 2, {1}); }, x, ones({2}, float64));
  CHECK(testing::allclose(g, tensor({{0.6, -0.8}, {0.0, 0.0}}, float64), 1e-12));
  CHECK(grad_of([](const Tensor& t) { return norm(t, 1); }, x, scalar_tensor(1.0, float64))
            .to_vector() == V{1, -1, 0, 0});
  Tensor tie = leaf({3.0, -3.0, 1.0});
  CHECK(grad_of([](const Tensor& t) { return norm(t, kInf); }, tie, scalar_tensor(1.0, float64))
            .to_vector() == V{0.5, -0.5, 0});
  CHECK(grad_of([](const Tensor& t) { return norm(t, -kInf); }, tie, scalar_tensor(1.0, float64))
            .to_vector() == V{0, 0, 1});
  Tensor y = off_kink({3, 4}, 0.1, 131);  // away from 0 (the kink of |x|); random: no ties
  for (double p : {1.0, 2.0, kInf, -kInf}) {
    INFO("p = " << p);
    CHECK(gradcheck([p](auto& v) { return norm(v[0], p); }, {y}));
    CHECK(gradcheck([p](auto& v) { return norm(v[0], p, {1}); }, {y}));
    CHECK(gradcheck([p](auto& v) { return norm(v[0], p, {0}, true); }, {y}));
    CHECK(gradgradcheck([p](auto& v) { return norm(v[0], p, {1}); }, {y}));
  }
  CHECK(gradcheck([](auto& v) { return norm(v[0], "fro", {0, 1}); }, {y}));
  CHECK(gradgradcheck([](auto& v) { return norm(v[0], "fro"); }, {y}));
  CHECK(gradgradcheck([](auto& v) { return norm(v[0] * v[0]); }, {y}));
  CHECK(gradcheck([](auto& v) { return norm(v[0]); }, {off_kink({}, 0.1, 132)}));
}

TEST_CASE("any and all") {
  Tensor x = tensor({{0.0, 1.0, 0.0}, {0.0, 0.0, 0.0}});
  CHECK(any(x).dtype() == bool_);
  CHECK(any(x).item() == 1);
  CHECK(all(x).item() == 0);
  CHECK(any(x, 1).to_vector() == V{1, 0});
  CHECK(all(x, 0).to_vector() == V{0, 0, 0});
  CHECK(all(ones({2, 3}), -1, true).shape() == Shape{2, 1});
  CHECK(all(ones({2, 3}), -1, true).to_vector() == V{1, 1});
  CHECK(any(tensor({0, 0, 7}, int64)).item() == 1);
  CHECK(all(tensor({1, 1, 0}, bool_)).item() == 0);
  CHECK(all(tensor({kNaN, 1.0})).item() == 1);  // NaN is non-zero
  CHECK(any(zeros({0})).item() == 0);
  CHECK(all(zeros({0})).item() == 1);
  CHECK(any(scalar_tensor(0.0), 0).shape() == Shape{});
  CHECK(all(scalar_tensor(2.0), -1).item() == 1);
  CHECK_FALSE(any(input({2})).requires_grad());
}

TEST_CASE("sort and argsort: values, indices, stability, descending, dtypes") {
  Tensor x = tensor({{3.0, 1.0, 2.0}, {1.0, 1.0, 0.0}});
  auto [values, indices] = sort(x);
  CHECK(values.to_vector() == V{1, 2, 3, 0, 1, 1});
  CHECK(indices.dtype() == int64);
  CHECK(indices.to_vector() == V{1, 2, 0, 2, 0, 1});  // the tied 1s keep their order
  SortResult down = sort(x, 1, true);
  CHECK(down.values.to_vector() == V{3, 2, 1, 1, 1, 0});
  CHECK(down.indices.to_vector() == V{0, 2, 1, 0, 1, 2});  // stable when descending too
  SortResult cols = sort(x, 0);
  CHECK(cols.values.to_vector() == V{1, 1, 0, 3, 1, 2});
  CHECK(cols.indices.to_vector() == V{1, 0, 1, 0, 1, 0});
  CHECK(argsort(x, -1, true).to_vector() == V{0, 2, 1, 0, 1, 2});
  SortResult ints = sort(tensor({5, -2, 9, -2}, int64));
  CHECK(ints.values.dtype() == int64);
  CHECK(ints.values.to_vector() == V{-2, -2, 5, 9});
  CHECK(ints.indices.to_vector() == V{1, 3, 0, 2});
  CHECK(sort(tensor({1, 0, 1}, bool_)).values.to_vector() == V{0, 1, 1});
  CHECK(argsort(tensor({3, 1, 2}, uint8)).to_vector() == V{1, 2, 0});
  SortResult s0 = sort(scalar_tensor(4.0));
  CHECK(s0.values.shape() == Shape{});
  CHECK(s0.indices.item() == 0);
  CHECK(sort(zeros({2, 0})).values.shape() == Shape{2, 0});
}

TEST_CASE("sort and topk put NaN as the largest value") {
  Tensor x = tensor({2.0, kNaN, 1.0, kNaN});
  SortResult up = sort(x);
  CHECK(same_values(up.values, tensor({1.0, 2.0, kNaN, kNaN})));
  CHECK(up.indices.to_vector() == V{2, 0, 1, 3});
  SortResult down = sort(x, 0, true);
  CHECK(same_values(down.values, tensor({kNaN, kNaN, 2.0, 1.0})));
  CHECK(down.indices.to_vector() == V{1, 3, 0, 2});
  SortResult top = topk(x, 1);
  CHECK(std::isnan(top.values.item()));
  CHECK(top.indices.to_vector() == V{1});
  SortResult low = topk(x, 3, 0, false);
  CHECK(same_values(low.values, tensor({1.0, 2.0, kNaN})));
  CHECK(low.indices.to_vector() == V{2, 0, 1});
}

TEST_CASE("topk values and indices") {
  Tensor x = tensor({{1.0, 5.0, 3.0, 5.0}, {0.0, -1.0, 4.0, 2.0}});
  SortResult top = topk(x, 2);
  CHECK(top.values.to_vector() == V{5, 5, 4, 2});
  CHECK(top.indices.to_vector() == V{1, 3, 2, 3});
  SortResult low = topk(x, 3, 1, false);
  CHECK(low.values.to_vector() == V{1, 3, 5, -1, 0, 2});
  CHECK(low.indices.to_vector() == V{0, 2, 1, 1, 0, 3});
  SortResult cols = topk(x, 1, 0);
  CHECK(cols.values.shape() == Shape{1, 4});
  CHECK(cols.values.to_vector() == V{1, 5, 4, 5});
  CHECK(cols.indices.to_vector() == V{0, 0, 1, 0});
  CHECK(topk(x, 0).values.shape() == Shape{2, 0});
  CHECK(topk(x, 4).values.to_vector() == sort(x, 1, true).values.to_vector());
  CHECK(topk(tensor({4, 9, 1}, int32), 2).values.to_vector() == V{9, 4});
  CHECK(topk(scalar_tensor(2.0), 1).values.item() == 2);
}

TEST_CASE("sort and topk values are differentiable through their indices") {
  // sort([3, 1, 2]) = [1, 2, 3] from indices [1, 2, 0]: weights w go back to those positions.
  Tensor x = leaf({3.0, 1.0, 2.0});
  Tensor w = tensor({1.0, 2.0, 3.0}, float64);
  CHECK(grad_of([](const Tensor& t) { return sort(t).values; }, x, w).to_vector() == V{3, 1, 2});
  CHECK(grad_of([](const Tensor& t) { return topk(t, 2).values; }, x, tensor({1.0, 2.0}, float64))
            .to_vector() == V{1, 0, 2});
  Tensor y = input({3, 4}, -1, 1, 141);  // random: no ties
  CHECK(gradcheck([](auto& v) { return sort(v[0]).values; }, {y}));
  CHECK(gradcheck([](auto& v) { return sort(v[0], 0, true).values; }, {y}));
  CHECK(gradcheck([](auto& v) { return topk(v[0], 2).values; }, {y}));
  CHECK(gradcheck([](auto& v) { return topk(v[0], 2, 0, false).values; }, {y}));
  CHECK(gradgradcheck([](auto& v) { return sort(v[0] * v[0], 1, true).values; }, {y}));
  CHECK(gradgradcheck([](auto& v) { return topk(v[0] * v[0], 3).values; }, {y}));
  CHECK(gradcheck([](auto& v) { return sort(v[0]).values; }, {input({}, -1, 1, 142)}));
  CHECK(gradcheck([](auto& v) { return topk(v[0], 1).values; }, {input({}, -1, 1, 143)}));
  CHECK_FALSE(sort(tensor({2, 1}, int64)).values.requires_grad());
}

TEST_CASE("nonzero") {
  Tensor x = tensor({{0.0, 1.0}, {2.0, 0.0}});
  Tensor n = nonzero(x);
  CHECK(n.dtype() == int64);
  CHECK(n.shape() == Shape{2, 2});
  CHECK(n.to_vector() == V{0, 1, 1, 0});
  CHECK(nonzero(tensor({0.0, 3.0, 0.0, kNaN})).to_vector() == V{1, 3});
  CHECK(nonzero(tensor({1, 0, 1}, bool_)).shape() == Shape{2, 1});
  CHECK(nonzero(tensor({0, -4, 0}, int64)).to_vector() == V{1});
  CHECK(nonzero(scalar_tensor(5.0)).shape() == Shape{1, 0});
  CHECK(nonzero(scalar_tensor(0.0)).shape() == Shape{0, 0});
  CHECK(nonzero(zeros({0, 3})).shape() == Shape{0, 2});
}

TEST_CASE("strided inputs give the results of contiguous ones") {
  Tensor base = input({4, 6}, -1, 1, 151);
  Tensor views[] = {base.t(), slice(base, 1, 1, 6, 2), slice(base.t(), 0, 0, 6, 3)};
  for (const Tensor& v : views) {
    CHECK_FALSE(v.is_contiguous());
    Tensor c = v.contiguous_copy();
    CHECK(cumsum(v, 1).to_vector() == cumsum(c, 1).to_vector());
    CHECK(cumsum(v, 0).to_vector() == cumsum(c, 0).to_vector());
    CHECK(cumprod(v, 1).to_vector() == cumprod(c, 1).to_vector());
    CHECK(prod(v, 0).to_vector() == prod(c, 0).to_vector());
    CHECK(prod(v).item() == prod(c).item());
    CHECK(amax(v, {1}).to_vector() == amax(c, {1}).to_vector());
    CHECK(amin(v).item() == amin(c).item());
    CHECK(norm(v, 2, {0}).to_vector() == norm(c, 2, {0}).to_vector());
    CHECK(norm(v, kInf).item() == norm(c, kInf).item());
    CHECK(sort(v, 1).values.to_vector() == sort(c, 1).values.to_vector());
    CHECK(sort(v, 0, true).indices.to_vector() == sort(c, 0, true).indices.to_vector());
    CHECK(topk(v, 2, 1).indices.to_vector() == topk(c, 2, 1).indices.to_vector());
    Tensor mask = gt(v, 0.0);
    CHECK(nonzero(v.detach() * mask).to_vector() == nonzero(c * mask).to_vector());
    CHECK(any(mask, 0).to_vector() == any(mask.contiguous_copy(), 0).to_vector());
    CHECK(all(mask, 1).to_vector() == all(mask.contiguous_copy(), 1).to_vector());
  }
  Tensor ints = tensor({{3, 1}, {0, 2}, {5, 4}}, int64).t();
  CHECK(sort(ints, 1).values.to_vector() == V{0, 3, 5, 1, 2, 4});
  CHECK(cumsum(ints, 1).to_vector() == V{3, 3, 8, 1, 3, 7});
  // Gradients through views.
  CHECK(gradcheck([](auto& v) { return cumprod(v[0].t(), 1); }, {base}));
  CHECK(gradcheck([](auto& v) { return prod(slice(v[0], 1, 0, 6, 2), 1); }, {base}));
  CHECK(gradcheck([](auto& v) { return sort(v[0].t(), 1).values; }, {base}));
  CHECK(gradcheck([](auto& v) { return amax(v[0].t(), {0}); }, {base}));
}

TEST_CASE("errors name the op, the dims and the shapes") {
  Tensor x = ones({2, 3});
  CHECK_ERROR_MESSAGE(topk(x, 5, 1), "topk: k 5 out of range for dim 1 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(topk(x, 4), "topk: k 4 out of range for dim 1 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(topk(x, -1, 0), "topk: k -1 out of range for dim 0 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(topk(scalar_tensor(1.0), 0), "topk: k 0 out of range for dim 0 of shape ()");
  CHECK_ERROR_MESSAGE(topk(x, 1, 2), "topk: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(sort(x, -3), "sort: dim -3 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(argsort(x, 2), "argsort: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(cumsum(x, 2), "cumsum: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(cumprod(scalar_tensor(1.0), 1),
                      "cumprod: dim 1 out of range for a tensor with 0 dimensions");
  CHECK_ERROR_MESSAGE(prod(x, -3), "prod: dim -3 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(any(x, 2), "any: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(all(x, -3), "all: dim -3 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(amax(x, {0, -2}), "amax: dim listed twice");
  CHECK_ERROR_MESSAGE(amin(x, {2}), "amin: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(amax(zeros({0, 3}), {0}),
                      "amax: reduction over an empty dim of shape (0, 3)");
  CHECK_ERROR_MESSAGE(amin(zeros({0})), "amin: reduction over an empty dim of shape (0,)");
  CHECK_ERROR_MESSAGE(norm(tensor({1, 2}, int64)),
                      "norm: expected a floating-point tensor, got int64");
  CHECK_ERROR_MESSAGE(norm(x, 3), "norm: p = 3 is not supported; use 1, 2, inf, -inf or \"fro\"");
  CHECK_ERROR_MESSAGE(norm(x, "nuc"), "norm: unknown norm \"nuc\"; use \"fro\" or a number p");
  CHECK_ERROR_MESSAGE(norm(x, 2, {1, 1}), "norm: dim listed twice");
  CHECK_ERROR_MESSAGE(norm(zeros({2, 0}), kInf, {1}),
                      "norm: the inf norm of an empty slice of shape (2, 0) is undefined");
}
