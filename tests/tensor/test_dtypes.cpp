// Integer and bool dtypes: PyTorch's promotion, comparisons giving bool, integer reductions and
// indices, exact conversions (saturating, NaN to 0), printing, and the errors.
#include <limits>
#include <sstream>

#include "../helpers.hpp"

using namespace xgrad;

TEST_CASE("dtypes: names, sizes, element types") {
  CHECK(std::string(dtype_name(int64)) == "int64");
  CHECK(std::string(dtype_name(bool_)) == "bool");
  CHECK(dtype_size(int32) == 4);
  CHECK(dtype_size(uint8) == 1);
  CHECK(dtype_of<int64_t>() == int64);
  CHECK(is_floating_point(float64));
  CHECK(!is_floating_point(int32));
  Tensor i = tensor({1, 2, 3}, int64);
  CHECK(i.dtype() == int64);
  CHECK(i.data<int64_t>()[2] == 3);
  CHECK(tensor({5}, int64).item<int64_t>() == 5);
  CHECK_ERROR_MESSAGE(i.item<int64_t>(),
                      "item: expected a tensor with one element, got shape (3,)");
}

TEST_CASE("type promotion follows PyTorch") {
  Tensor f = ones({2}), d = ones({2}, float64), l = ones({2}, int64), i = ones({2}, int32),
         u = ones({2}, uint8), b = ones({2}, bool_);
  CHECK((l + f).dtype() == float32);  // int op float -> float
  CHECK((b + i).dtype() == int32);    // bool op int -> int
  CHECK((u + i).dtype() == int32);
  CHECK((i + l).dtype() == int64);
  CHECK((f + d).dtype() == float64);
  CHECK((f * 2.5).dtype() == float32);  // a double scalar does not promote float32
  CHECK((l * 2).dtype() == int64);      // an integer scalar keeps integers integral
  CHECK((l * 2.5).dtype() == float32);  // a float scalar makes them float32
  CHECK((b + true).dtype() == bool_);
  CHECK((l / l).dtype() == float32);  // true division
  CHECK((l / 2).to_vector() == std::vector<double>{0.5, 0.5});
  // 0-d tensors decide only the category: dimensioned tensors keep their width.
  CHECK((f + scalar_tensor(1.0, float64)).dtype() == float32);
  CHECK((l + scalar_tensor(1.5, float64)).dtype() == float64);
  CHECK((i + scalar_tensor(1, int64)).dtype() == int32);
  CHECK(promote_types(uint8, bool_) == uint8);
}

TEST_CASE("integer arithmetic is exact and wraps like C++ unsigned types") {
  Tensor a = tensor({7, -3, 2}, int64), b = tensor({2, 2, 10}, int64);
  CHECK((a + b).to_vector() == std::vector<double>{9, -1, 12});
  CHECK((a * b).to_vector() == std::vector<double>{14, -6, 20});
  CHECK(pow(a, b).to_vector() == std::vector<double>{49, 9, 1024});
  // 3^40 overflows int64 and wraps (as the unsigned arithmetic it is computed in).
  CHECK(pow(tensor({3}, int64), 40).item<int64_t>() ==
        static_cast<int64_t>(12157665459056928801ull));
  CHECK(neg(a).to_vector() == std::vector<double>{-7, 3, -2});
  CHECK(abs(a).to_vector() == std::vector<double>{7, 3, 2});
  CHECK((tensor({250}, uint8) + tensor({10}, uint8)).item<int64_t>() == 4);
  Tensor big = full({1}, int64_t(1) << 62, int64);
  CHECK((big + 1).item<int64_t>() == (int64_t(1) << 62) + 1);  // no detour through double
  CHECK_ERROR_MESSAGE(pow(a, tensor({-1, 1, 1}, int64)),
                      "pow: integers to negative integer powers are not allowed");
  CHECK_ERROR_MESSAGE(ones({2}, bool_) - ones({2}, bool_),
                      "sub: not supported for bool tensors; use logical_xor");
  CHECK_ERROR_MESSAGE(neg(ones({2}, bool_)),
                      "neg: not supported for bool tensors; use logical_not");
}

TEST_CASE("comparisons, isnan, isfinite and logic give bool tensors") {
  Tensor x = tensor({1.0, 2.0, 3.0});
  Tensor m = gt(x, 1.5);
  CHECK(m.dtype() == bool_);
  CHECK(m.to_vector() == std::vector<double>{0, 1, 1});
  CHECK(eq(x, tensor({1, 0, 3}, int64)).to_vector() == std::vector<double>{1, 0, 1});
  CHECK(logical_and(m, lt(x, 2.5)).to_vector() == std::vector<double>{0, 1, 0});
  CHECK(logical_or(m, eq(x, 1.0)).to_vector() == std::vector<double>{1, 1, 1});
  CHECK(logical_xor(m, m).to_vector() == std::vector<double>{0, 0, 0});
  CHECK(logical_not(m).to_vector() == std::vector<double>{1, 0, 0});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Tensor y = tensor({nan, inf, 1.0}, float64);
  CHECK(isnan(y).to_vector() == std::vector<double>{1, 0, 0});
  CHECK(isfinite(y).to_vector() == std::vector<double>{0, 0, 1});
  CHECK(isfinite(tensor({1}, int64)).item<bool>());
  CHECK((m * x).to_vector() == std::vector<double>{0, 2, 3});  // a mask multiplies as 0/1
  CHECK(sum(m).dtype() == int64);
  CHECK(sum(m).item() == 2);
}

TEST_CASE("maximum and minimum propagate NaN from either side") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = tensor({1.0, nan}, float64), b = tensor({nan, 1.0}, float64);
  for (double v : maximum(a, b).to_vector()) CHECK(std::isnan(v));
  for (double v : minimum(a, b).to_vector()) CHECK(std::isnan(v));
  CHECK(maximum(tensor({1, 5}, int64), tensor({3, 2}, int64)).to_vector() ==
        std::vector<double>{3, 5});
}

TEST_CASE("reductions and indices: integer sums are int64, argmax is int64") {
  Tensor i = tensor({{1, 2}, {3, 4}}, int32);
  CHECK(sum(i).dtype() == int64);
  CHECK(sum(i, {0}).to_vector() == std::vector<double>{4, 6});
  CHECK(max(i, 1).dtype() == int32);
  Tensor x = tensor({{1.0, 5.0, 2.0}, {7.0, 0.0, 7.0}});
  Tensor am = argmax(x, 1);
  CHECK(am.dtype() == int64);
  CHECK(am.to_vector() == std::vector<double>{1, 0});
  CHECK(argmin(x, 0).to_vector() == std::vector<double>{0, 1, 0});
  // An index past float32's exact integers selects the right row.
  const int64_t n = 16777218;
  Tensor rows = arange(0, static_cast<double>(n), 1, int64);
  CHECK(index_select(rows, 0, tensor({16777217}, int64)).item<int64_t>() == 16777217);
}

TEST_CASE("conversions round toward zero, saturate and map NaN to 0") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor f = tensor({-1.7, 2.9, 1e30, -1e30, nan}, float64);
  CHECK(f.to(int32).to_vector() == std::vector<double>{-1, 2, 2147483647, -2147483648, 0});
  CHECK(f.to(uint8).to_vector() == std::vector<double>{0, 2, 255, 0, 0});
  CHECK(f.to(bool_).to_vector() == std::vector<double>{1, 1, 1, 1, 1});
  CHECK(tensor({0.0, 0.5}).to(bool_).to_vector() == std::vector<double>{0, 1});
  CHECK(tensor({1, 0}, bool_).to(float32).to_vector() == std::vector<double>{1, 0});
  CHECK(tensor({3.5}).item<int64_t>() == 3);
  CHECK(full({2}, 300, uint8).to_vector() == std::vector<double>{44, 44});  // wraps like C++
}

TEST_CASE("integer and bool tensors never require grad") {
  CHECK_ERROR_MESSAGE(
      ones({2}, int64).requires_grad_(),
      "requires_grad_: only floating-point tensors can require gradients, got int64");
  CHECK_ERROR_MESSAGE(
      zeros({2}, {bool_, true}),
      "requires_grad_: only floating-point tensors can require gradients, got bool");
  Tensor w = tensor({1.5, 2.5}, {float64, true});
  Tensor i = w.to(int64);  // casting to an integer dtype cuts the graph
  CHECK(!i.requires_grad());
  CHECK_ERROR_MESSAGE(randn({2}, int64), "random: expected a floating-point tensor, got int64");
  CHECK_ERROR_MESSAGE(matmul(ones({2, 2}, int64), ones({2, 2}, int64)),
                      "matmul: expected a floating-point tensor, got int64");
}

TEST_CASE("mixed dtypes in autograd: each input gets a gradient of its own dtype") {
  Tensor a = tensor({1.0, 2.0}, {float32, true});
  Tensor b = tensor({3.0, 4.0}, {float64, true});
  Tensor y = sum(a * b);
  CHECK(y.dtype() == float64);
  y.backward();
  CHECK(a.grad().dtype() == float32);
  CHECK(a.grad().to_vector() == std::vector<double>{3, 4});
  CHECK(b.grad().dtype() == float64);
  Tensor c = tensor({1.0, 2.0}, {float64, true});
  sum(c * tensor({2, 3}, int64)).backward();
  CHECK(c.grad().to_vector() == std::vector<double>{2, 3});
}

TEST_CASE("in-place ops keep the destination's dtype") {
  Tensor i = tensor({1, 2}, int64);
  i.add_(3);
  CHECK(i.to_vector() == std::vector<double>{4, 5});
  i.mul_(tensor({2, 2}, int32));
  CHECK(i.to_vector() == std::vector<double>{8, 10});
  CHECK_ERROR_MESSAGE(i.mul_(2.5),
                      "mul_: result type float32 cannot be stored in place in a "
                      "int64 tensor");
  Tensor f = tensor({1.0, 2.0});
  f.add_(tensor({1, 1}, int64));  // int into float is fine
  CHECK(f.to_vector() == std::vector<double>{2, 3});
  Tensor b = zeros({3}, bool_);
  b.fill_(true);
  CHECK(b.to_vector() == std::vector<double>{1, 1, 1});
  i.copy_(tensor({1.9, -1.9}));
  CHECK(i.to_vector() == std::vector<double>{1, -1});
}

TEST_CASE("printing integer and bool tensors") {
  std::ostringstream os;
  os << tensor({1, 2}, int64) << " " << gt(tensor({1.0, 3.0}), 2.0);
  CHECK(os.str() ==
        "tensor([1, 2], shape=(2,), dtype=int64) tensor([false, true], shape=(2,), "
        "dtype=bool)");
}

TEST_CASE("comparison and logic operators") {
  Tensor x = tensor({1.0, 2.0, 3.0});
  CHECK((x > 1.5).to_vector() == std::vector<double>{0, 1, 1});
  CHECK((x <= 2).to_vector() == std::vector<double>{1, 1, 0});
  CHECK((x == tensor({1.0, 0.0, 3.0})).to_vector() == std::vector<double>{1, 0, 1});
  CHECK((x != 2.0).dtype() == bool_);
  CHECK(((x > 1.5) & (x < 2.5)).to_vector() == std::vector<double>{0, 1, 0});
  CHECK(((x < 1.5) | (x > 2.5)).to_vector() == std::vector<double>{1, 0, 1});
  CHECK(((x > 1.5) ^ (x > 2.5)).to_vector() == std::vector<double>{0, 1, 0});
  CHECK((~(x > 1.5)).to_vector() == std::vector<double>{1, 0, 0});
  CHECK_ERROR_MESSAGE(x & x,
                      "&: expected bool tensors, got float32 (use logical_and for other "
                      "dtypes)");
}

TEST_CASE("the README's tour of dtypes, views and indexing runs as written") {
  using namespace xgrad::indexing;
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {float64, true});
  Tensor labels = tensor({2, 0, 1}, int64);
  Tensor mask = x > 2.0;
  Tensor picked = argmax(x, 1);
  CHECK(mask.dtype() == bool_);
  CHECK(picked.dtype() == int64);
  CHECK((labels * 0.5).dtype() == float32);
  CHECK((labels * 2).dtype() == int64);
  Tensor a = zeros({3, 4});
  slice(a, 0, 0, 2).fill_(9);
  CHECK(sum(a).item() == 72);
  Tensor col = a.t()[1];
  CHECK(col.strides() == Shape{4});
  CHECK(!a.t().is_contiguous());
  CHECK(a.t().contiguous().is_contiguous());
  CHECK(unfold(arange(6), 0, 3, 1).shape() == Shape{4, 3});
  CHECK(a.index({Slice(), 1}).to_vector() == std::vector<double>{9, 9, 0});
  CHECK(a.index({tensor({2, 0}, int64), Slice(None, None, 2)}).to_vector() ==
        std::vector<double>{0, 0, 9, 9});
  a.index_put_({a > 5.0}, 0.0);
  CHECK(sum(a).item() == 0);
  Tensor p = tensor({2.0}, {float64, true}), q = tensor({3.0}, float64);
  Tensor loss_pq = (p * q).sum();
  q.mul_(10.0);
  CHECK_ERROR_MESSAGE(loss_pq.backward(),
                      "mul: input 1 of shape (1,), saved for backward, was modified by an "
                      "in-place operation (version 0 when saved, now 1); clone() it before the "
                      "in-place write, or write into a copy");
}
