// Tensor handle, factories, element access, printing, dtypes, random generators, interop.
#include <cmath>
#include <limits>
#include <sstream>

#include "../helpers.hpp"
#include "tensor/xtensor_interop.hpp"

using namespace xgrad;

TEST_CASE("copies alias, clone copies") {
  Tensor a = zeros({2, 2});
  Tensor b = a;
  b.set({0, 1}, 5.0);
  CHECK(a.at({0, 1}) == 5.0);
  Tensor c = a.clone();
  c.set({0, 1}, 7.0);
  CHECK(a.at({0, 1}) == 5.0);
  CHECK(c.at({0, 1}) == 7.0);
}

TEST_CASE("factories") {
  CHECK(zeros({2, 3}).shape() == Shape{2, 3});
  CHECK(zeros({2, 3}).dtype() == float32);
  CHECK(ones({2}, float64).dtype() == float64);
  CHECK(full({2}, 3.5).to_vector() == std::vector<double>{3.5, 3.5});
  CHECK(arange(5).to_vector() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25).numel() == 4);
  CHECK(linspace(0, 1, 5).to_vector() == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(eye(3).to_vector() == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(tensor({{1, 2, 3}, {4, 5, 6}}).shape() == Shape{2, 3});
  CHECK(tensor({{{1, 0}, {2, 0}}, {{3, 0}, {4, 0}}}).shape() == Shape{2, 2, 2});
  CHECK(from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}).at({1, 0}) == 3);
  Tensor s = scalar_tensor(2.5, float64);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 2.5);
  Tensor like = zeros_like(ones({3, 1}, float64), true);
  CHECK(like.dtype() == float64);
  CHECK(like.requires_grad());
  CHECK(ones_like(s).item() == 1);
  CHECK(full_like(s, 4).item() == 4);
  CHECK(zeros({2, 0}).numel() == 0);
}

TEST_CASE("random factories are reproducible from a seed") {
  manual_seed(42);
  Tensor a = randn({100});
  manual_seed(42);
  Tensor b = randn({100});
  CHECK(a.to_vector() == b.to_vector());
  Generator g1(7), g2(7);
  CHECK(rand({10}, float64, &g1).to_vector() == rand({10}, float64, &g2).to_vector());
  Generator g(3);
  Tensor u = uniform({10000}, -2, 3, float64, &g);
  auto v = u.to_vector();
  CHECK(*std::min_element(v.begin(), v.end()) >= -2);
  CHECK(*std::max_element(v.begin(), v.end()) < 3);
  Tensor n = normal({20000}, 1.0, 2.0, float64, &g);
  CHECK(mean(n).item() == doctest::Approx(1.0).epsilon(0.05));
  CHECK(stddev(n, {0}).item() == doctest::Approx(2.0).epsilon(0.05));
  CHECK(randn_like(n, &g).shape() == n.shape());
  CHECK(rand_like(n, &g).dtype() == float64);
}

TEST_CASE("dtype conversion and element access") {
  Tensor a = tensor({1.5, 2.5});
  Tensor b = a.to(float64);
  CHECK(b.dtype() == float64);
  CHECK(b.to_vector() == std::vector<double>{1.5, 2.5});
  CHECK(a.to(float32).is_same(a));
  CHECK(a.at({-1}) == 2.5);
  CHECK_ERROR_MESSAGE(a.at({2}), "at: index (2,) out of range for shape (2,)");
  CHECK_ERROR_MESSAGE(a.at({0, 0}), "at: index (0, 0) has 2 entries for a tensor of shape (2,)");
  CHECK_ERROR_MESSAGE(a.item(), "item: expected a tensor with one element, got shape (2,)");
  CHECK_ERROR_MESSAGE(a.data<double>(), "data: requested float64 from a float32 tensor");
  CHECK_ERROR_MESSAGE(Tensor().shape(), "shape: the tensor is undefined");
}

TEST_CASE("printing shows values, shape and dtype") {
  std::ostringstream os;
  os << tensor({{1, 2}, {3, 4}});
  CHECK(os.str() == "tensor([[1, 2],\n[3, 4]], shape=(2, 2), dtype=float32)");
  std::ostringstream s;
  s << scalar_tensor(0.5, {float64, true});
  CHECK(s.str() == "tensor(0.5, shape=(), dtype=float64, requires_grad=true)");
  std::ostringstream big;
  big << arange(20);
  CHECK(big.str().find("5, ..., 14") != std::string::npos);
}

TEST_CASE("in-place updates") {
  Tensor a = ones({2, 2});
  a.mul_(3.0).add_(1.0);
  CHECK(a.to_vector() == std::vector<double>{4, 4, 4, 4});
  a.add_(tensor({1.0, 2.0}), 2.0);
  CHECK(a.to_vector() == std::vector<double>{6, 8, 6, 8});
  a.mul_(tensor({{1.0}, {0.5}}));
  CHECK(a.to_vector() == std::vector<double>{6, 8, 3, 4});
  a.copy_(tensor({9.0}));
  CHECK(a.to_vector() == std::vector<double>{9, 9, 9, 9});
  a.zero_();
  CHECK(a.to_vector() == std::vector<double>{0, 0, 0, 0});
  CHECK_ERROR_MESSAGE(a.add_(ones({3})), "add_: cannot broadcast (2, 2) with (3,)");
}

TEST_CASE("shape and dtype errors name the op and the shapes") {
  CHECK_ERROR_MESSAGE(ones({2, 3}) + ones({4}), "add: cannot broadcast (2, 3) with (4,)");
  CHECK_ERROR_MESSAGE(matmul(ones({2, 3}), ones({4, 5})),
                      "matmul: inner dimensions differ: (2, 3) @ (4, 5)");
  CHECK((ones({2}) * ones({2}, float64)).dtype() == float64);  // promotes, as in PyTorch
  CHECK_ERROR_MESSAGE(sum(ones({2, 3}), {2}),
                      "sum: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(reshape(ones({2, 3}), {4, 2}),
                      "reshape: cannot reshape (2, 3) (6 elements) to (4, 2)");
  CHECK_ERROR_MESSAGE(index_select(ones({2, 3}), 1, std::vector<int64_t>{3}),
                      "index_select: index 3 out of range for dim 1 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(gather(ones({2, 3}), 1, tensor({{0.5}, {1}})),
                      "gather: index tensor must be int64 or int32, got float32");
  CHECK_ERROR_MESSAGE(gather(ones({2, 3}), 1, tensor({{3}, {1}}, int64)),
                      "gather: index 3 is out of range [0, 3)");
  CHECK_ERROR_MESSAGE(concat({ones({2, 3}), ones({3, 3})}, 1),
                      "concat: shapes (2, 3) and (3, 3) differ outside dim 1");
  CHECK_ERROR_MESSAGE(linear(ones({2, 3}), ones({4, 5})),
                      "linear: input (2, 3) does not match weight (4, 5) (expected (..., in) and "
                      "(out, in))");
  CHECK_ERROR_MESSAGE(expand(ones({2, 3}), {4, 3}), "expand: cannot broadcast (2, 3) with (4, 3)");
  CHECK_ERROR_MESSAGE(from_vector(std::vector<double>{1, 2}, {3}),
                      "from_vector: 2 values for shape (3,)");
  CHECK_ERROR_MESSAGE(tensor({{1, 2}, {3}}), "tensor: ragged nested list (rows of 2 and 1 values)");
}

TEST_CASE("xtensor interop round-trips") {
  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}}, float64);
  xt::xarray<double> a = to_xarray<double>(t);
  CHECK(a.shape()[0] == 2);
  CHECK(a(1, 2) == 6);
  Tensor back = from_xarray(a * 2.0);
  CHECK(back.dtype() == float64);
  CHECK(back.to_vector() == std::vector<double>{2, 4, 6, 8, 10, 12});
  xt::xarray<float> f = to_xarray<float>(t);
  CHECK(f(0, 1) == 2.0f);
}

TEST_CASE("thread count is settable") {
  set_num_threads(1);
  CHECK(get_num_threads() == 1);
  CHECK_ERROR_MESSAGE(set_num_threads(0), "set_num_threads: need at least one thread, got 0");
}
