// autograd/ops_shape.cpp: reshapes, concatenation, slicing and the rest, values and gradcheck.
#include "../helpers.hpp"

using namespace xgrad;
using testing::input;

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
  CHECK(index_select(x, 0, tensor({1, 0}, int64)).to_vector() ==
        std::vector<double>{3, 4, 5, 0, 1, 2});
  CHECK(gather(x, 1, tensor({{2}, {0}}, int32)).to_vector() == std::vector<double>{2, 3});
  CHECK(concat({x, x}, 0).shape() == Shape{4, 3});
  CHECK(stack({x, x}, 1).shape() == Shape{2, 2, 3});
  CHECK(expand(tensor({1, 2, 3}), {2, 3}).to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  CHECK(flatten(zeros({2, 3, 4}), 1).shape() == Shape{2, 12});
}
