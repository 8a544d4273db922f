// Losses: hand-computed values, gradcheck in float64, and extreme logits without NaN or Inf.
#include "../helpers.hpp"

using namespace xgrad;
namespace F = xgrad::nn::functional;
using F::Reduction;

namespace {
bool finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}
}  // namespace

TEST_CASE("regression losses: values") {
  Tensor p = tensor({1.0, 2.0, 5.0}, float64), t = tensor({1.5, 2.0, 2.0}, float64);
  CHECK(F::mse_loss(p, t).item() == doctest::Approx((0.25 + 0 + 9) / 3));
  CHECK(F::mse_loss(p, t, Reduction::sum).item() == doctest::Approx(9.25));
  CHECK(F::mse_loss(p, t, Reduction::none).to_vector() == std::vector<double>{0.25, 0, 9});
  CHECK(F::l1_loss(p, t).item() == doctest::Approx(3.5 / 3));
  // Huber delta 1: 0.5·0.25, 0, 1·(3 - 0.5)
  CHECK(F::huber_loss(p, t, 1.0, Reduction::sum).item() == doctest::Approx(0.125 + 2.5));
  // SmoothL1 beta 2: 0.5·0.25/2, 0, 3 - 1
  CHECK(F::smooth_l1_loss(p, t, 2.0, Reduction::sum).item() == doctest::Approx(0.0625 + 2));
  CHECK(nn::MSELoss()(p, t).item() == doctest::Approx(9.25 / 3));
  CHECK(nn::L1Loss(Reduction::sum)(p, t).item() == doctest::Approx(3.5));
  CHECK(nn::HuberLoss(0.5)(p, t).item() > 0);
  CHECK(nn::SmoothL1Loss()(p, t).item() > 0);
  CHECK_ERROR_MESSAGE(F::mse_loss(p, ones({2}, float64)),
                      "mse_loss: input (3,) and target (2,) differ in shape");
}

TEST_CASE("regression losses: gradcheck") {
  Tensor p = testing::input({4, 3}, -2, 2, 1), t = testing::input({4, 3}, -2, 2, 2);
  // Keep |p - t| away from the kinks at 0, delta and beta.
  p = (p.detach() + sign(p.detach() - t.detach()) * 0.3).requires_grad_();
  for (auto r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    CHECK(gradcheck([r](auto& v) { return F::mse_loss(v[0], v[1], r); }, {p, t}));
    CHECK(gradcheck([r](auto& v) { return F::l1_loss(v[0], v[1], r); }, {p, t}));
    CHECK(gradcheck([r](auto& v) { return F::huber_loss(v[0], v[1], 0.7, r); }, {p, t}));
    CHECK(gradcheck([r](auto& v) { return F::smooth_l1_loss(v[0], v[1], 0.7, r); }, {p, t}));
  }
}

TEST_CASE("binary cross entropy: values, clamping and gradcheck") {
  Tensor p = tensor({0.9, 0.2}, float64), t = tensor({1.0, 0.0}, float64);
  double expected = -(std::log(0.9) + std::log(0.8)) / 2;
  CHECK(F::binary_cross_entropy(p, t).item() == doctest::Approx(expected));
  // log(0) is clamped at -100
  CHECK(F::binary_cross_entropy(tensor({0.0}, float64), tensor({1.0}, float64)).item() ==
        doctest::Approx(100));
  CHECK_ERROR_MESSAGE(F::binary_cross_entropy(tensor({1.5}), tensor({1.0})),
                      "binary_cross_entropy: input must hold probabilities in [0, 1], got "
                      "1.500000");
  // Saturated probabilities (exactly 0 and 1) keep finite gradients.
  Tensor sat = tensor({0.0, 1.0, 1.0}, {float32, true});
  Tensor sl = F::binary_cross_entropy(sat, tensor({1.0, 0.0, 1.0}));
  CHECK(sl.item() == doctest::Approx(200.0 / 3));
  sl.backward();
  CHECK(finite(sat.grad()));
  CHECK(sat.grad().at({0}) < 0);
  CHECK(sat.grad().at({1}) > 0);
  Tensor pt = testing::input({4}, 0.1, 0.9, 12), tt = testing::input({4}, 0, 1, 13);
  CHECK(gradcheck([](auto& v) { return F::binary_cross_entropy(v[0], v[1]); }, {pt, tt}));
  CHECK(gradgradcheck([](auto& v) { return F::binary_cross_entropy(v[0], v[1]); }, {pt, tt}));
  Tensor logits = tensor({2.0, -1.0}, float64);
  Tensor via_logits = F::binary_cross_entropy_with_logits(logits, t);
  Tensor via_sigmoid = F::binary_cross_entropy(sigmoid(logits), t);
  CHECK(via_logits.item() == doctest::Approx(via_sigmoid.item()));
  // pos_weight multiplies the positive term: -(pw·t·log σ(x) + (1-t) log(1-σ(x)))
  Tensor pw = tensor({3.0, 3.0}, float64);
  double s0 = 1 / (1 + std::exp(-2.0)), s1 = 1 / (1 + std::exp(1.0));
  CHECK(F::binary_cross_entropy_with_logits(logits, t, pw).item() ==
        doctest::Approx(-(3 * std::log(s0) + std::log(1 - s1)) / 2));
  Tensor extreme = tensor({100.0, -100.0}, {float32, true});
  Tensor l = nn::BCEWithLogitsLoss()(extreme, tensor({0.0, 1.0}));
  CHECK(l.item() == doctest::Approx(100.0));
  l.backward();
  CHECK(finite(extreme.grad()));
  Tensor prob = testing::input({3, 2}, 0.1, 0.9, 3), tgt = testing::input({3, 2}, 0, 1, 4).detach();
  CHECK(gradcheck([tgt](auto& v) { return F::binary_cross_entropy(v[0], tgt); }, {prob}));
  CHECK(gradcheck([tgt](auto& v) { return nn::BCELoss(Tensor(), Reduction::sum)(v[0], tgt); },
                  {prob}));
  Tensor x = testing::input({3, 2}, -3, 3, 5);
  Tensor pwt = tensor({2.0, 0.5}, float64);
  CHECK(gradcheck([tgt](auto& v) { return F::binary_cross_entropy_with_logits(v[0], tgt); }, {x}));
  CHECK(gradcheck(
      [tgt, pwt](auto& v) { return F::binary_cross_entropy_with_logits(v[0], tgt, pwt); }, {x}));
}

TEST_CASE("cross entropy with class indices: values and gradcheck") {
  Tensor logits = tensor({{1.0, 2.0, 3.0}, {1.0, 1.0, 1.0}}, float64);
  Tensor target = tensor({2, 0}, int64);
  double l0 = -3 + std::log(std::exp(1) + std::exp(2) + std::exp(3)), l1 = std::log(3.0);
  CHECK(F::cross_entropy(logits, target).item() == doctest::Approx((l0 + l1) / 2));
  CHECK(nn::CrossEntropyLoss({.reduction = Reduction::sum})(logits, target).item() ==
        doctest::Approx(l0 + l1));
  // class weights: weighted mean divides by the targets' weights
  Tensor w = tensor({2.0, 1.0, 0.5}, float64);
  CHECK(F::cross_entropy(logits, target, {.weight = w}).item() ==
        doctest::Approx((0.5 * l0 + 2 * l1) / 2.5));
  // label smoothing 0.1: (1-ε)·nll + ε/C·Σ_c -log p_c
  auto lp = log_softmax(logits, 1);
  double smooth0 = -(lp.at({0, 0}) + lp.at({0, 1}) + lp.at({0, 2}));
  double smooth1 = -(lp.at({1, 0}) + lp.at({1, 1}) + lp.at({1, 2}));
  CHECK(F::cross_entropy(logits, target, {.label_smoothing = 0.1}).item() ==
        doctest::Approx(0.9 * (l0 + l1) / 2 + 0.1 / 3 * (smooth0 + smooth1) / 2));
  CHECK(F::nll_loss(lp, target).item() == doctest::Approx((l0 + l1) / 2));
  CHECK(nn::NLLLoss(w)(lp, target).item() == doctest::Approx((0.5 * l0 + 2 * l1) / 2.5));
  Tensor x = testing::input({4, 5}, -2, 2, 6);
  Tensor tg = tensor({0, 4, 2, 2}, int64);
  Tensor cw = tensor({1.0, 2.0, 0.5, 1.5, 1.0}, float64);
  CHECK(gradcheck([tg](auto& v) { return F::cross_entropy(v[0], tg); }, {x}));
  CHECK(gradcheck([tg, cw](auto& v) { return F::cross_entropy(v[0], tg, {.weight = cw}); }, {x}));
  CHECK(gradcheck(
      [tg, cw](auto& v) {
        return F::cross_entropy(v[0], tg, {.weight = cw, .label_smoothing = 0.2});
      },
      {x}));
  CHECK(gradcheck(
      [tg](auto& v) { return F::cross_entropy(v[0], tg, {.reduction = Reduction::none}); }, {x}));
  CHECK(gradcheck([tg](auto& v) { return F::nll_loss(log_softmax(v[0], 1), tg); }, {x}));
  CHECK_ERROR_MESSAGE(F::cross_entropy(x, tensor({0, 5, 1, 1}, int64)),
                      "cross_entropy: target 5 in row 1 is not a class index in [0, 5)");
  CHECK_ERROR_MESSAGE(F::cross_entropy(x, tensor({0.0, 1.0, 1.0, 1.0}, float64)),
                      "cross_entropy: class-index target must be int64 or int32, got float64; "
                      "for class probabilities pass a target of the scores' shape (N, C)");
  // The fused log_softmax + NLL primitive agrees with the composed form, value and gradient,
  // and is twice differentiable.
  Tensor fused = cross_entropy_per_sample(x, tg);
  Tensor composed = F::nll_loss(log_softmax(x, 1), tg, Tensor(), Reduction::none);
  CHECK(testing::allclose(fused, composed, 1e-12, 1e-12));
  Tensor gf = grad({sum(mul(fused, arange(4, float64)))}, {x})[0];
  Tensor gc = grad({sum(mul(composed, arange(4, float64)))}, {x})[0];
  CHECK(testing::allclose(gf, gc, 1e-12, 1e-12));
  CHECK(gradcheck([tg](auto& v) { return cross_entropy_per_sample(v[0], tg); }, {x}));
  CHECK(gradgradcheck([tg](auto& v) { return cross_entropy_per_sample(v[0], tg); }, {x}));
  // Extreme logits stay finite.
  Tensor big = tensor({{1000.0, -1000.0, 0.0}}, float64).requires_grad_();
  Tensor l = cross_entropy_per_sample(big, tensor({1}, int64));
  CHECK(l.item() == doctest::Approx(2000.0));
  l.backward();
  CHECK(big.grad().to_vector() == std::vector<double>{1.0, -1.0, 0.0});
  CHECK_ERROR_MESSAGE(F::cross_entropy(x, tensor({0, 1}, int64)),
                      "cross_entropy: target (2,) does not match scores (4, 5) (expected class "
                      "indices (N,) or probabilities (N, C))");
}

TEST_CASE("cross entropy with probability targets and extreme logits") {
  Tensor logits = tensor({{1.0, 2.0, 3.0}, {0.5, 0.0, -1.0}}, float64);
  Tensor onehot = tensor({{0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}}, float64);
  Tensor index = tensor({2, 0}, int64);
  CHECK(F::cross_entropy(logits, onehot).item() ==
        doctest::Approx(F::cross_entropy(logits, index).item()));
  CHECK(F::cross_entropy(logits, onehot, {.label_smoothing = 0.1}).item() ==
        doctest::Approx(F::cross_entropy(logits, index, {.label_smoothing = 0.1}).item()));
  Tensor x = testing::input({3, 4}, -2, 2, 8);
  Tensor probs = softmax(testing::input({3, 4}, -1, 1, 9).detach(), 1);
  CHECK(gradcheck([probs](auto& v) { return F::cross_entropy(v[0], probs); }, {x}));
  Tensor big = tensor({{100.0, -100.0, 0.0}, {-100.0, 100.0, 100.0}}, {float32, true});
  Tensor loss = F::cross_entropy(big, tensor({1, 0}, int64));
  CHECK(loss.item() == doctest::Approx((200 + 200 + std::log(2.0)) / 2).epsilon(1e-4));
  loss.backward();
  CHECK(finite(big.grad()));
  Tensor big2 = tensor({{100.0, -100.0, 0.0}}, {float32, true});
  Tensor l2 = F::cross_entropy(big2, tensor({0}, int64));
  CHECK(l2.item() == doctest::Approx(0.0).epsilon(1e-6));
  l2.backward();
  CHECK(finite(big2.grad()));
}

namespace {
// The README's custom loss: built from ops, differentiable through them.
struct RelativeError : nn::Loss {
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    return (abs(input - target) / (abs(target) + 1.0)).mean();
  }
};
}  // namespace

TEST_CASE("a custom loss derives from nn::Loss and passes gradcheck") {
  RelativeError loss;
  Tensor target = tensor({0.0, 1.0, -3.0}, float64);
  CHECK(loss(tensor({0.5, -2.0, 3.0}, float64), target).item() ==
        doctest::Approx((0.5 + 1.5 + 1.5) / 3));
  Tensor x = tensor({0.3, -1.7, 2.2}, {float64, true});
  CHECK(gradcheck([&](const std::vector<Tensor>& v) { return loss(v[0], target); }, {x}));
}
