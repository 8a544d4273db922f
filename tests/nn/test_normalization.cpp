// Normalisation layers: a BatchNorm step with known running statistics (training and eval,
// momentum and the cumulative average), layer / group / instance norm against their formulas,
// gradcheck and gradgradcheck in float64, buffers in the state dict, errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
namespace F = xgrad::nn::functional;

TEST_CASE("BatchNorm1d: one training step and eval with the running statistics") {
  nn::BatchNorm1d bn(2);
  bn.to(float64);
  // Channel 0: 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); channel 1: all 4.
  Tensor x = tensor({{1.0, 4.0}, {2.0, 4.0}, {3.0, 4.0}, {6.0, 4.0}}, float64);
  Tensor y = bn(x);
  const double s = std::sqrt(3.5 + 1e-5);
  CHECK(allclose(select(y, 1, 0), tensor({-2 / s, -1 / s, 0.0, 3 / s}, float64), 1e-12));
  CHECK(allclose(select(y, 1, 1), zeros({4}, float64), 1e-12));
  // running = 0.9 running + 0.1 batch (the unbiased variance).
  CHECK(allclose(bn.running_mean, tensor({0.3, 0.4}, float64), 1e-12));
  CHECK(allclose(bn.running_var, tensor({0.9 + 0.1 * 14.0 / 3.0, 0.9}, float64), 1e-12));
  CHECK(bn.num_batches_tracked.item<int64_t>() == 1);
  bn.eval();
  Tensor e = bn(tensor({{0.3, 1.3}}, float64));
  CHECK(allclose(e, tensor({{0.0, 0.9 / std::sqrt(0.9 + 1e-5)}}, float64), 1e-12));
  CHECK(bn.num_batches_tracked.item<int64_t>() == 1);  // eval does not count
  // Buffers travel with the state dict, under PyTorch's names.
  std::vector<std::string> names;
  for (const auto& entry : bn.state_dict()) names.push_back(entry.first);
  CHECK(names == std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                          "num_batches_tracked"});
}

TEST_CASE("BatchNorm: cumulative average, no running statistics, no affine") {
  nn::BatchNorm1d avg(1, {.momentum = std::nullopt});
  avg(tensor({{1.0}, {3.0}}));
  avg(tensor({{5.0}, {7.0}}));
  CHECK(avg.running_mean.item() == doctest::Approx(4.0));  // (2 + 6) / 2
  nn::BatchNorm2d plain(3, {.affine = false, .track_running_stats = false});
  CHECK(plain.named_parameters().empty());
  CHECK(plain.state_dict().empty());
  Tensor x = randn({4, 3, 2, 2});
  plain.eval();  // without running statistics eval uses the batch's
  CHECK(allclose(plain(x), F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true), 1e-6));
}

TEST_CASE("normalisation: gradcheck and gradgradcheck") {
  Tensor x = input({3, 4, 2, 3}, -1, 1, 5), w = input({4}, 0.5, 1.5, 6), b = input({4}, -1, 1, 7);
  auto bn_train = [](const std::vector<Tensor>& v) {
    return F::batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true);
  };
  Tensor rm = input({4}, -1, 1, 8).detach(), rv = input({4}, 0.5, 2, 9).detach();
  auto bn_eval = [&](const std::vector<Tensor>& v) {
    return F::batch_norm(v[0], rm, rv, v[1], v[2], false);
  };
  auto ln = [](const std::vector<Tensor>& v) { return F::layer_norm(v[0], {2, 3}, v[1], v[2]); };
  Tensor lw = input({2, 3}, 0.5, 1.5, 10), lb = input({2, 3}, -1, 1, 11);
  auto gn = [](const std::vector<Tensor>& v) { return F::group_norm(v[0], 2, v[1], v[2]); };
  auto in = [](const std::vector<Tensor>& v) {
    return F::instance_norm(v[0], Tensor(), Tensor(), v[1], v[2]);
  };
  Tensor x1 = input({5, 4}, -1, 1, 12);
  auto bn1 = [](const std::vector<Tensor>& v) {
    return F::batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true);
  };
  CHECK(gradcheck(bn_train, {x, w, b}));
  CHECK(gradgradcheck(bn_train, {x, w, b}));
  CHECK(gradcheck(bn_eval, {x, w, b}));
  CHECK(gradgradcheck(bn_eval, {x, w, b}));
  CHECK(gradcheck(ln, {x, lw, lb}));
  CHECK(gradgradcheck(ln, {x, lw, lb}));
  CHECK(gradcheck(gn, {x, w, b}));
  CHECK(gradgradcheck(gn, {x, w, b}));
  CHECK(gradcheck(in, {x, w, b}));
  CHECK(gradgradcheck(in, {x, w, b}));
  CHECK(gradcheck(bn1, {x1, w, b}));
  CHECK(gradgradcheck(bn1, {x1, w, b}));
}

TEST_CASE("layer, group and instance norm: values from their formulas") {
  Tensor x = input({2, 4, 3}, -2, 2, 20).detach();
  Tensor m = mean(x, {1, 2}, true), v = var(x, {1, 2}, false, true);
  nn::LayerNorm ln({4, 3});
  ln.to(float64);
  CHECK(allclose(ln(x), div(sub(x, m), sqrt(add(v, 1e-5))), 1e-12));
  CHECK(ln.weight.shape() == Shape{4, 3});
  // GroupNorm with one group is layer norm over (C, ...); with C groups, instance norm.
  CHECK(allclose(F::group_norm(x, 1), ln(x), 1e-12));
  CHECK(allclose(F::group_norm(x, 4), F::instance_norm(x), 1e-12));
  nn::GroupNorm gn(2, 4);
  gn.to(float64);
  Tensor halves = reshape(x, {2, 2, 6});
  Tensor expected = reshape(
      div(sub(halves, mean(halves, {2}, true)), sqrt(add(var(halves, {2}, false, true), 1e-5))),
      {2, 4, 3});
  CHECK(allclose(gn(x), expected, 1e-12));
  nn::InstanceNorm2d inst(4, {.momentum = 0.5, .affine = true, .track_running_stats = true});
  inst.to(float64);
  Tensor img = input({2, 4, 3, 3}, -1, 1, 21).detach();
  inst(img);
  CHECK(allclose(inst.running_mean, mul(mean(img, {0, 2, 3}), 0.5), 1e-12));
  CHECK(inst.named_parameters().size() == 2);
  CHECK(nn::InstanceNorm2d(4).named_parameters().empty());
}

TEST_CASE("normalisation errors name the layer and the shapes") {
  nn::BatchNorm2d bn(16);
  CHECK_ERROR_MESSAGE(bn(zeros({8, 3, 4, 4})),
                      "BatchNorm2d(16): expected input (N, 16, H, W), got (8, 3, 4, 4)");
  CHECK_ERROR_MESSAGE(nn::BatchNorm1d(3)(zeros({2, 3, 4, 5})),
                      "BatchNorm1d(3): expected input (N, 3) or (N, 3, L), got (2, 3, 4, 5)");
  CHECK_ERROR_MESSAGE(nn::BatchNorm1d(3)(zeros({1, 3})),
                      "batch_norm: expected more than 1 value per channel when training, got input "
                      "(1, 3)");
  CHECK_ERROR_MESSAGE(nn::LayerNorm({4})(zeros({2, 3})),
                      "layer_norm: input (2, 3) does not end in normalized_shape (4,)");
  CHECK_ERROR_MESSAGE(nn::GroupNorm(3, 4),
                      "GroupNorm: num_groups 3 must be positive and divide "
                      "num_channels 4");
  CHECK_ERROR_MESSAGE(nn::GroupNorm(2, 4)(zeros({2, 3, 5})),
                      "GroupNorm(2, 4): expected input (N, 4, ...), got (2, 3, 5)");
  CHECK_ERROR_MESSAGE(nn::InstanceNorm2d(2)(zeros({2, 2, 1, 1})),
                      "instance_norm: expected more than 1 spatial element per channel, got input "
                      "(2, 2, 1, 1)");
}
