// MNIST-style MLP: Flatten -> Linear(784,128) -> ReLU -> Linear(128,64) -> ReLU -> Linear(64,10),
// cross-entropy, Adam lr 1e-3, batch 64, shuffled; the test set is evaluated at batch 1000.
// Default data: Debian's Fashion-MNIST; `--data DIR` reads any folder of IDX files (MNIST).
#include <cstdio>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

int main(int argc, char** argv) try {
  TrainerArgs args =
      parse_args(argc, argv, "Train the 784-128-64-10 MLP on MNIST-format IDX files",
                 {.epochs = 10, .lr = 1e-3, .batch_size = 64}, image_classifier_options());
  const auto start = std::chrono::steady_clock::now();
  Generator init(args.seed);
  nn::Sequential model{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(128, 64, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(64, 10, true, &init)};
  return run_image_classifier(args, model, start);
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist: %s\n", e.what());
  return 1;
}
