// Adversarial examples with the fast gradient sign method: train the MNIST MLP (or load it with
// --load), then x_adv = clamp(x + ε·sign(∇ₓ loss), 0, 1), with the gradient taken with respect to
// the input through xgrad::grad. Reports clean and adversarial test accuracy for each ε.
#include <cstdio>
#include <sstream>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(
      argc, argv, "FGSM adversarial examples against the MNIST MLP",
      {.epochs = 3, .lr = 1e-3, .batch_size = 64},
      {{"--data", "folder with MNIST-format IDX files", "/usr/share/datasets/fashion-mnist"},
       {"--load", "a model saved with --save-model (skips training)", ""},
       {"--save-model", "write the trained model here", ""},
       {"--epsilons", "comma-separated ε values", "0.05,0.1,0.2"},
       {"--limit", "use only the first N training images (0 = all)", "0"},
       {"--test-limit", "attack only the first N test images (0 = all)", "0"}});
  const auto start = std::chrono::steady_clock::now();
  data::MnistSplit test = data::load_mnist(args.get("data"), false);
  if (int64_t n = args.get_int("test-limit"); n > 0 && n < test.images.shape()[0])
    test = {slice(test.images, 0, 0, n), slice(test.labels, 0, 0, n)};

  Generator init(args.seed);
  nn::Sequential model{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(128, 64, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(64, 10, true, &init)};
  nn::CrossEntropyLoss loss_fn;
  if (!args.get("load").empty()) {
    nn::load(model, args.get("load"));
  } else {
    auto opt = make_optimizer(args.optimizer, model.parameters(), args.lr);
    data::DataLoader loader(
        mnist_training_set(args.get("data"), args.get_int("limit")),
        {.batch_size = args.batch_size, .shuffle = true, .seed = args.seed, .prefetch = true});
    for (int64_t epoch = 0; epoch < args.epochs; ++epoch) {
      const double train_loss = train_epoch(model, *opt, loss_fn, loader);
      if (!args.quiet)
        std::printf("epoch %lld/%lld  train loss %.4f\n", static_cast<long long>(epoch + 1),
                    static_cast<long long>(args.epochs), train_loss);
    }
    if (!args.get("save-model").empty()) nn::save(model, args.get("save-model"));
  }
  model.eval();
  const std::vector<int64_t> labels = data::to_labels(test.labels);
  const double clean = data::accuracy(data::argmax_rows(predict(model, test.images, 1000)), labels);
  std::printf("clean test accuracy: %.4f\n", clean);

  // ∇ₓ loss for the whole test set, in batches of 1000 (the parameters get no gradient).
  std::vector<Tensor> grads;
  for (int64_t i = 0; i < test.images.shape()[0]; i += 1000) {
    Tensor x = slice(test.images, 0, i, i + 1000).detach().requires_grad_();
    Tensor loss = loss_fn(model(x), slice(test.labels, 0, i, i + 1000));
    grads.push_back(grad({loss}, {x})[0]);
  }
  Tensor direction = sign(concat(grads, 0));
  std::stringstream eps_list(args.get("epsilons"));
  std::string item;
  while (std::getline(eps_list, item, ',')) {
    const double eps = std::stod(item);
    Tensor adversarial = clamp(test.images + direction * eps, 0.0, 1.0);
    double acc = data::accuracy(data::argmax_rows(predict(model, adversarial, 1000)), labels);
    std::printf("epsilon %.2f: adversarial accuracy %.4f (%.1f%% of clean)\n", eps, acc,
                100.0 * acc / clean);
  }
  std::printf("wall time: %.1f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fgsm: %s\n", e.what());
  return 1;
}
