// MNIST-style MLP: Flatten -> Linear(784,128) -> ReLU -> Linear(128,64) -> ReLU -> Linear(64,10),
// cross-entropy, Adam lr 1e-3, batch 64, shuffled; the test set is evaluated at batch 1000.
// Default data: Debian's Fashion-MNIST; `--data DIR` reads any folder of IDX files (MNIST).
#include <cstdio>
#include <iostream>
#include <optional>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

int main(int argc, char** argv) try {
  TrainerArgs args =
      parse_args(argc, argv, "Train the 784-128-64-10 MLP on MNIST-format IDX files",
                 {.epochs = 10, .lr = 1e-3, .batch_size = 64},
                 {{"--data", "folder with the four IDX files (.gz or raw)",
                   "/usr/share/datasets/fashion-mnist"},
                  {"--limit", "use only the first N training images (0 = all)", "0"},
                  {"--test-limit", "use only the first N test images (0 = all)", "0"},
                  {"--graph", "write the first batch's graph here (Graphviz DOT)", ""},
                  {"--profile", "profile the first epoch: print the ops' table, write a Chrome trace here", ""}});
  const auto start = std::chrono::steady_clock::now();

  auto train = mnist_training_set(args.get("data"), args.get_int("limit"));
  data::MnistSplit test = data::load_mnist(args.get("data"), false);
  if (int64_t n = args.get_int("test-limit"); n > 0 && n < test.images.shape()[0])
    test = {slice(test.images, 0, 0, n), slice(test.labels, 0, 0, n)};
  if (!args.quiet)
    std::printf("data: %s (%lld train, %lld test images)\n", args.get("data").c_str(),
                static_cast<long long>(train->size()),
                static_cast<long long>(test.images.shape()[0]));

  Generator init(args.seed);
  nn::Sequential model{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(128, 64, true, &init),
      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(64, 10, true, &init)};
  auto optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr);
  nn::CrossEntropyLoss loss_fn;
  data::DataLoader loader(
      train, {.batch_size = args.batch_size, .shuffle = true, .seed = args.seed, .prefetch = true});

  int64_t first_epoch = 0;
  if (!args.resume.empty()) {
    first_epoch = load_checkpoint(args.resume, model, *optimizer);
    for (int64_t e = 0; e < first_epoch; ++e) loader.begin();  // replay the shuffles
    if (!args.quiet)
      std::printf("resumed from %s after epoch %lld\n", args.resume.c_str(),
                  static_cast<long long>(first_epoch));
  }

  const std::vector<int64_t> test_labels = data::to_labels(test.labels);
  auto evaluate = [&]() { return data::argmax_rows(predict(model, test.images, 1000)); };
  Curves curves({"epoch", "train_loss", "test_accuracy"});
  Progress progress(args.quiet);
  double last_loss = 0;
  for (int64_t epoch = first_epoch; epoch < args.epochs; ++epoch) {
    progress.start(epoch + 1, args.epochs, loader.num_batches());
    std::optional<profiler::Profiler> profile;
    if (epoch == first_epoch && !args.get("profile").empty()) profile.emplace();
    last_loss = train_epoch(model, *optimizer, loss_fn, loader, &progress,
                            epoch == first_epoch ? args.get("graph") : "");
    if (profile) {
      profile->export_chrome_trace(args.get("profile"));
      std::printf("\nprofile of epoch %lld (Chrome trace: %s)\n%s", static_cast<long long>(epoch + 1),
                  args.get("profile").c_str(), profile->table(20).c_str());
    }
    double acc = data::accuracy(evaluate(), test_labels);
    char line[128];
    std::snprintf(line, sizeof line, "train loss %.4f  test accuracy %.4f", last_loss, acc);
    progress.finish(line);
    curves.add({static_cast<double>(epoch + 1), last_loss, acc});
    if (!args.save.empty()) save_checkpoint(args.save, model, *optimizer, epoch + 1);
  }

  std::vector<int64_t> predicted = evaluate();
  data::ConfusionMatrix cm(10);
  cm.add(predicted, test_labels);
  if (!args.quiet) std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n" << cm;
  std::printf("final train loss: %.6f\n", last_loss);
  std::printf("test accuracy: %.4f (%lld/%lld)\n", cm.accuracy(),
              static_cast<long long>(cm.accuracy() * static_cast<double>(test_labels.size()) + 0.5),
              static_cast<long long>(test_labels.size()));
  std::printf("wall time: %.1f s\n", seconds_since(start));
  report_curves(curves, args.plot);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist: %s\n", e.what());
  return 1;
}
