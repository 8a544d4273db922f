// Tensor::index / index_put_: numpy's results for basic and advanced indexing, views where
// numpy gives views, gradients through both, and the errors.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::indexing;

namespace {
Tensor iota(const Shape& shape) {
  return reshape(arange(0, static_cast<double>(shape_numel(shape)), 1, float64), shape);
}
std::vector<double> values(std::initializer_list<double> v) { return v; }
}  // namespace

TEST_CASE("basic indexing gives views with numpy's shapes") {
  Tensor x = iota({2, 3, 4});
  Tensor a = x.index({0});
  CHECK(a.shape() == Shape{3, 4});
  CHECK(a.is_alias_of(x));
  CHECK(x.index({Slice(), 1}).shape() == Shape{2, 4});
  CHECK(x.index({Slice(), 1, Slice(None, None, 2)}).to_vector() == values({4, 6, 16, 18}));
  CHECK(x.index({Ellipsis, -1}).to_vector() == values({3, 7, 11, 15, 19, 23}));
  CHECK(x.index({1, Ellipsis, 2}).to_vector() == values({14, 18, 22}));
  CHECK(x.index({None, 0, Slice(1, 3)}).shape() == Shape{1, 2, 4});
  CHECK(x.index({Slice(-1)}).shape() == Shape{1, 3, 4});
  CHECK(x.index({true}).shape() == Shape{1, 2, 3, 4});
  CHECK(x.index({false}).numel() == 0);
  CHECK(x[1][2].to_vector() == values({20, 21, 22, 23}));
  x.index({0, Slice(), 0}).fill_(-1);  // a write through the view
  CHECK(x.at({0, 2, 0}) == -1);
}

TEST_CASE("advanced indexing: index tensors and masks as numpy") {
  Tensor x = iota({3, 4});
  CHECK(x.index({tensor({2, 0}, int64)}).to_vector() == values({8, 9, 10, 11, 0, 1, 2, 3}));
  CHECK(x.index({tensor({0, 2}, int64), tensor({1, -1}, int64)}).to_vector() == values({1, 11}));
  CHECK(x.index({Slice(), tensor({{0, 3}}, int64)}).shape() == Shape{3, 1, 2});
  CHECK(x.index({tensor({{0}, {2}}, int64), tensor({1, 3}, int32)}).to_vector() ==
        values({1, 3, 9, 11}));  // broadcast (2, 1) with (2,)
  Tensor mask = gt(x, 8.0);
  CHECK(x.index({mask}).to_vector() == values({9, 10, 11}));
  CHECK(x.index({tensor({1, 0, 1}, bool_)}).shape() == Shape{2, 4});
  // Non-adjacent advanced indices put the index dims first (numpy's rule).
  Tensor y = iota({2, 3, 4});
  CHECK(y.index({tensor({0, 1}, int64), Slice(), tensor({0, 1}, int64)}).shape() == Shape{2, 3});
  CHECK(y.index({Slice(), tensor({0, 2}, int64), tensor({1, 1}, int64)}).shape() == Shape{2, 2});
  CHECK(y.index({Slice(), tensor({0, 2}, int64), tensor({1, 1}, int64)}).to_vector() ==
        values({1, 9, 13, 21}));
}

TEST_CASE("index and index_put_ are differentiable") {
  Tensor x = testing::input({3, 4});
  CHECK(gradcheck([](auto& v) { return v[0].index({Slice(1), tensor({0, 2, 2}, int64)}); }, {x}));
  CHECK(gradcheck([](auto& v) { return v[0].index({gt(v[0].detach(), 0.0)}); }, {x}));
  CHECK(gradgradcheck(
      [](auto& v) {
        return (v[0] * v[0]).index({tensor({2, 0}, int64), Slice(None, None, 2)});
      },
      {x}));
  Tensor vals = testing::input({2}, -1, 1, 7);
  auto put = [](bool accumulate) {
    return [accumulate](const std::vector<Tensor>& v) {
      Tensor t = v[0] * 1.0;
      t.index_put_({tensor({0, 2}, int64), 1}, v[1], accumulate);
      return t * t;
    };
  };
  CHECK(gradcheck(put(false), {x, vals}));
  CHECK(gradcheck(put(true), {x, vals}));
  CHECK(gradgradcheck(put(false), {x, vals}));
  Tensor z = zeros({2, 3}, float64);
  z.index_put_({Slice(), 1}, 5.0);
  CHECK(z.to_vector() == values({0, 5, 0, 0, 5, 0}));
  z.index_put_({tensor({0, 0}, int64), tensor({0, 0}, int64)}, tensor({1.0, 2.0}, float64), true);
  CHECK(z.at({0, 0}) == 3);     // accumulate adds duplicates
  Tensor t = iota({2, 3}).t();  // a strided destination
  t.index_put_({0}, tensor({-1.0, -2.0}, float64));
  CHECK(t.to_vector() == values({-1, -2, 1, 4, 2, 5}));
}

TEST_CASE("indexing errors name the problem") {
  Tensor x = iota({2, 3});
  CHECK_ERROR_MESSAGE(x.index({0, 0, 0}),
                      "index: too many indices (3) for a tensor of shape (2, 3)");
  CHECK_ERROR_MESSAGE(x.index({Ellipsis, Ellipsis}), "index: an index can only have one Ellipsis");
  CHECK_ERROR_MESSAGE(x.index({5}), "select: index 5 out of range for dim 0 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(x.index({tensor({0.0})}),
                      "index: index tensors must be int64, int32 or bool, got float32");
  CHECK_ERROR_MESSAGE(x.index({tensor({2}, int64)}), "index: index 2 is out of range [0, 2)");
  CHECK_ERROR_MESSAGE(x.index({ones({3}, bool_)}),
                      "index: mask of shape (3,) does not match the indexed dims of shape (2, 3) "
                      "at dim 0");
  CHECK_ERROR_MESSAGE(x.index({Slice(0, 2, 0)}), "index: slice step must be positive, got 0");
  CHECK_ERROR_MESSAGE(
      x.index_put_({0}, ones({4}, float64)),
      "index_put_: values of shape (4,) do not broadcast to the indexed shape (3,)");
}
