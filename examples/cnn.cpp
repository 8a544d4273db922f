// Convolutional networks on MNIST-format images. `--model lenet` (default): LeNet-5 style,
// conv 6@5x5 (padding 2) -> ReLU -> max-pool 2 -> conv 16@5x5 -> ReLU -> max-pool 2 -> 120 -> 84
// -> 10. `--model wide`: conv 32@3x3 -> BatchNorm -> ReLU -> conv 64@3x3 -> BatchNorm -> ReLU ->
// max-pool 2 -> Dropout 0.25 -> 128 -> Dropout 0.5 -> 10 (the shape of PyTorch's MNIST example).
// Cross-entropy, Adam lr 1e-3, batch 64, 10 epochs; the same flags and output as `mnist`.
#include <cstdio>
#include <iostream>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

std::shared_ptr<nn::Sequential> make_model(const std::string& name, Generator* gen) {
  using std::make_shared;
  auto images = make_shared<nn::Unflatten>(1, Shape{1, 28, 28});  // (N, 28, 28) -> (N, 1, 28, 28)
  if (name == "lenet")
    return make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        images, make_shared<nn::Conv2d>(1, 6, 5, nn::Conv2dOptions{.padding = 2}, gen),
        make_shared<nn::ReLU>(), make_shared<nn::MaxPool2d>(2),
        make_shared<nn::Conv2d>(6, 16, 5, nn::Conv2dOptions{}, gen), make_shared<nn::ReLU>(),
        make_shared<nn::MaxPool2d>(2), make_shared<nn::Flatten>(),
        make_shared<nn::Linear>(16 * 5 * 5, 120, true, gen), make_shared<nn::ReLU>(),
        make_shared<nn::Linear>(120, 84, true, gen), make_shared<nn::ReLU>(),
        make_shared<nn::Linear>(84, 10, true, gen)});
  if (name == "wide")
    return make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        images, make_shared<nn::Conv2d>(1, 32, 3, nn::Conv2dOptions{}, gen),
        make_shared<nn::BatchNorm2d>(32), make_shared<nn::ReLU>(),
        make_shared<nn::Conv2d>(32, 64, 3, nn::Conv2dOptions{}, gen),
        make_shared<nn::BatchNorm2d>(64), make_shared<nn::ReLU>(), make_shared<nn::MaxPool2d>(2),
        make_shared<nn::Dropout>(0.25, gen), make_shared<nn::Flatten>(),
        make_shared<nn::Linear>(64 * 12 * 12, 128, true, gen), make_shared<nn::ReLU>(),
        make_shared<nn::Dropout>(0.5, gen), make_shared<nn::Linear>(128, 10, true, gen)});
  throw Error("--model: expected lenet or wide, got \"" + name + "\"");
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args =
      parse_args(argc, argv,
                 "Train a convolutional network (LeNet-5 or a wider one) on MNIST-format IDX files",
                 {.epochs = 10, .lr = 1e-3, .batch_size = 64},
                 image_classifier_options({{"--model", "lenet or wide", "lenet"}}));
  const auto start = std::chrono::steady_clock::now();
  Generator init(args.seed);
  std::shared_ptr<nn::Sequential> model = make_model(args.get("model"), &init);
  if (!args.quiet) std::cout << nn::summary(*model, {1, 28, 28}) << "\n";
  return run_image_classifier(args, *model, start);
} catch (const std::exception& e) {
  std::fprintf(stderr, "cnn: %s\n", e.what());
  return 1;
}
