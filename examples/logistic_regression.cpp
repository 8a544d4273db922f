// Logistic regression on a two-class problem, trained twice by gradient descent: once with the
// gradient derived by hand, dJ/dw = Σ(σ(wx+b) − y)x and dJ/db = Σ(σ(wx+b) − y) for the summed
// cross-entropy J, and once with autograd. Both gradients are printed at step 0 (float64).
#include <cmath>
#include <cstdio>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(
      argc, argv, "Logistic regression: hand-derived gradient vs autograd",
      {.epochs = 200, .lr = 0.01, .batch_size = 200}, {{"--samples", "examples per class", "100"}});
  const auto start = std::chrono::steady_clock::now();
  // Two Gaussian blobs in 2-D, centred at (-1, -1) and (1.5, 1).
  Generator gen(args.seed);
  const int64_t per_class = args.get_int("samples");
  Tensor x = concat({randn({per_class, 2}, float64, &gen) + tensor({-1.0, -1.0}, float64),
                     randn({per_class, 2}, float64, &gen) + tensor({1.5, 1.0}, float64)});
  Tensor y = concat({zeros({per_class}, float64), ones({per_class}, float64)});

  // J(w, b) = -Σ [y log σ(z) + (1 - y) log(1 - σ(z))], z = xw + b
  auto loss_of = [&](const Tensor& w, const Tensor& b) {
    return nn::functional::binary_cross_entropy_with_logits(matmul(x, w) + b, y, Tensor(),
                                                            nn::Reduction::sum);
  };
  Tensor w_hand = zeros({2}, float64), b_hand = zeros({1}, float64);
  Tensor w_auto = zeros({2}, {float64, true}), b_auto = zeros({1}, {float64, true});
  optim::SGD opt({w_auto, b_auto}, {.lr = args.lr});
  double max_diff = 0;
  for (int64_t step = 0; step < args.epochs; ++step) {
    // By hand.
    Tensor residual = sigmoid(matmul(x, w_hand) + b_hand) - y;  // σ(wx+b) − y, shape (N,)
    Tensor dw = matmul(residual, x), db = reshape(sum(residual), {1});
    // With autograd.
    opt.zero_grad();
    loss_of(w_auto, b_auto).backward();
    if (step == 0) {
      std::printf("step 0 gradient by hand:  dJ/dw = (%.10f, %.10f)  dJ/db = %.10f\n", dw.at({0}),
                  dw.at({1}), db.at({0}));
      std::printf("step 0 gradient autograd: dJ/dw = (%.10f, %.10f)  dJ/db = %.10f\n",
                  w_auto.grad().at({0}), w_auto.grad().at({1}), b_auto.grad().at({0}));
    }
    for (int i = 0; i < 2; ++i)
      max_diff = std::max(max_diff, std::abs(dw.at({i}) - w_auto.grad().at({i})));
    max_diff = std::max(max_diff, std::abs(db.at({0}) - b_auto.grad().at({0})));
    w_hand = w_hand - dw * args.lr;
    b_hand = b_hand - db * args.lr;
    opt.step();
  }
  NoGradGuard guard;
  std::printf("largest gradient difference over all steps: %.3g %s\n", max_diff,
              max_diff < 1e-6 ? "(agree to 1e-6)" : "(DISAGREE)");
  std::printf("final loss by hand:  %.10f\n", loss_of(w_hand, b_hand).item());
  std::printf("final loss autograd: %.10f\n", loss_of(w_auto, b_auto).item());
  Tensor pred = gt(matmul(x, w_auto) + b_auto, 0.0);
  std::printf("training accuracy: %.4f\n", mean(eq(pred, y)).item());
  std::printf("wall time: %.2f s\n", seconds_since(start));
  return max_diff < 1e-6 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "logistic_regression: %s\n", e.what());
  return 1;
}
