// nn/layers: Dropout2d (whole channels dropped, scaled by 1/(1-p), identity in eval), its
// functional form, gradients and errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
namespace F = xgrad::nn::functional;

namespace {
// The keep mask dropout2d draws from Generator(seed): one value per channel.
std::vector<double> kept(const Shape& channels, double p, uint64_t seed) {
  Generator gen(seed);
  return ge(rand(channels, float64, &gen), p).to_vector();
}
}  // namespace

TEST_CASE("dropout2d zeroes whole channels and scales the kept ones by 1/(1-p)") {
  Tensor x = uniform({4, 6, 3, 2}, 1.0, 2.0, float64);
  Generator gen(9);
  Tensor y = F::dropout2d(x, 0.5, true, &gen);
  CHECK(y.shape() == x.shape());
  const std::vector<double> keep = kept({4, 6, 1, 1}, 0.5, 9);
  auto xs = x.to_vector(), ys = y.to_vector();
  int dropped = 0;
  for (std::size_t ch = 0; ch < 24; ++ch) {
    dropped += keep[ch] == 0.0;
    for (std::size_t k = 0; k < 6; ++k) CHECK(ys[ch * 6 + k] == xs[ch * 6 + k] * keep[ch] * 2.0);
  }
  CHECK(dropped > 0);
  CHECK(dropped < 24);
  // (C, H, W): one image, one draw per channel.
  Tensor image = ones({5, 2, 2}, float64);
  Generator gen3(2);
  Tensor z = F::dropout2d(image, 0.2, true, &gen3);
  const std::vector<double> keep3 = kept({5, 1, 1}, 0.2, 2);
  auto zs = z.to_vector();
  for (std::size_t ch = 0; ch < 5; ++ch)
    for (std::size_t k = 0; k < 4; ++k) CHECK(zs[ch * 4 + k] == keep3[ch] * 1.25);
  // Eval mode and p = 0: the input itself.
  CHECK(F::dropout2d(x, 0.5, false).is_same(x));
  CHECK(F::dropout2d(x, 0.0, true).is_same(x));
}

TEST_CASE("dropout2d: gradcheck and gradgradcheck with a fixed mask") {
  Tensor x = testing::input({2, 3, 2, 2});
  auto fn = [](const std::vector<Tensor>& v) {
    Generator gen(5);
    return F::dropout2d(v[0], 0.4, true, &gen) * v[0];
  };
  CHECK(gradcheck(fn, {x}));
  CHECK(gradgradcheck(fn, {x}));
  // The gradient is the mask, scaled: zero over dropped channels.
  Generator gen(5);
  Tensor y = F::dropout2d(x, 0.4, true, &gen);
  sum(y).backward();
  const std::vector<double> keep = kept({2, 3, 1, 1}, 0.4, 5);
  auto g = x.grad().to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(keep[i / 4] / 0.6));
}

TEST_CASE("Dropout2d: channels dropped in training, the identity in eval") {
  Generator gen(4);
  nn::Dropout2d drop(0.25, &gen);
  Tensor x = ones({100, 40, 2, 2});
  Tensor y = drop(x);
  // Every channel is all zeros or all 1/0.75; about a quarter are zeros.
  Tensor per_channel = amax(y, {2, 3});
  CHECK(allclose(per_channel, amin(y, {2, 3})));
  auto v = per_channel.to_vector();
  CHECK(std::count(v.begin(), v.end(), 0.0) == doctest::Approx(1000).epsilon(0.1));
  CHECK(*std::max_element(v.begin(), v.end()) == doctest::Approx(1 / 0.75));
  drop.eval();
  CHECK(drop(x).is_same(x));
  CHECK(drop.type_name() == "Dropout2d");
  CHECK(drop.extra_repr() == "p=0.25");
  CHECK(drop.parameters().empty());
  auto copy = drop.clone();
  CHECK(copy->type_name() == "Dropout2d");
  CHECK(copy->extra_repr() == "p=0.25");
  CHECK_FALSE(copy->is_training());
}

TEST_CASE("Dropout2d: errors name the layer and the shapes") {
  CHECK_ERROR_MESSAGE(nn::Dropout2d(1.0), "Dropout2d: p must be in [0, 1), got 1.000000");
  nn::Dropout2d drop;
  CHECK_ERROR_MESSAGE(drop(zeros({4, 5})),
                      "Dropout2d(p=0.5): expected input (N, C, H, W) or (C, H, W), got (4, 5)");
  CHECK_ERROR_MESSAGE(F::dropout2d(zeros({2, 3, 4, 5, 6}), 0.5, true),
                      "dropout2d: expected input (N, C, H, W) or (C, H, W), got (2, 3, 4, 5, 6)");
  CHECK_ERROR_MESSAGE(F::dropout2d(zeros({2, 3, 4}), -0.1, true),
                      "dropout2d: p must be in [0, 1), got -0.100000");
}
