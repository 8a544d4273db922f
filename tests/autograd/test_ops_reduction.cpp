// autograd/ops_reduction.cpp: reductions and softmaxes, values and gradients (ties included).
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;
using testing::input;

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

TEST_CASE("max over a dim shares the gradient among ties exactly in float64") {
  Tensor x = tensor({{1.0, 3.0, 3.0, 3.0}}, {float64, true});
  max(x, 1).sum().backward();
  const double third = 1.0 / 3.0;
  CHECK(x.grad().to_vector() == std::vector<double>{0, third, third, third});
}
