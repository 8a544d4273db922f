// Human Activity Recognition (UCI HAR layout: 561 features, 6 activities). Reads
// DIR/train/X_train.txt, y_train.txt, DIR/test/X_test.txt, y_test.txt (whitespace-separated)
// and, when present, DIR/activity_labels.txt for names; standardises with statistics of the
// training split; trains an MLP with cross-entropy; prints accuracy and a confusion matrix next
// to the ~96% of the dataset paper's SVM (Anguita et al., ESANN 2013).
// The data is not shipped: download "UCI HAR Dataset" from the UCI Machine Learning Repository.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> activity_names(const std::string& dir, int64_t classes) {
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c + 1));
  std::ifstream in(fs::path(dir) / "activity_labels.txt");
  int64_t id;
  std::string name;
  while (in >> id >> name)
    if (id >= 1 && id <= classes) names[id - 1] = name;
  return names;
}

// Labels 1..6 in the files -> int64 class indices 0..5.
Tensor read_labels(const std::string& path) {
  Tensor y = data::read_whitespace_matrix(path, float32);
  if (y.shape()[1] != 1) throw Error(path + ": expected one label per line");
  const std::vector<int64_t> labels = data::to_labels(reshape(y, {-1}) - 1.0);
  return from_vector(labels, {static_cast<int64_t>(labels.size())}, int64);
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(argc, argv, "UCI HAR activity recognition with an MLP",
                                {.epochs = 20, .lr = 1e-3, .batch_size = 64},
                                {{"--data", "the 'UCI HAR Dataset' folder", "UCI HAR Dataset"},
                                 {"--hidden", "hidden units of the two layers", "128"}});
  const auto start = std::chrono::steady_clock::now();
  const std::string dir = args.get("data");
  if (!fs::exists(fs::path(dir) / "train" / "X_train.txt"))
    throw Error("no train/X_train.txt under '" + dir +
                "'; download the UCI HAR Dataset and pass its folder with --data");
  Tensor x_train_raw =
      data::read_whitespace_matrix((fs::path(dir) / "train" / "X_train.txt").string());
  Tensor y_train = read_labels((fs::path(dir) / "train" / "y_train.txt").string());
  Tensor x_test_raw =
      data::read_whitespace_matrix((fs::path(dir) / "test" / "X_test.txt").string());
  Tensor y_test = read_labels((fs::path(dir) / "test" / "y_test.txt").string());
  if (x_train_raw.shape()[0] != y_train.shape()[0] || x_test_raw.shape()[0] != y_test.shape()[0] ||
      x_train_raw.shape()[1] != x_test_raw.shape()[1])
    throw Error("inconsistent X/y files in '" + dir + "'");
  const int64_t features = x_train_raw.shape()[1];
  int64_t classes = 0;
  for (int64_t l : data::to_labels(y_train)) classes = std::max(classes, l + 1);
  std::vector<std::string> names = activity_names(dir, classes);
  if (!args.quiet)
    std::printf("data: %lld train, %lld test rows, %lld features, %lld activities\n",
                static_cast<long long>(x_train_raw.shape()[0]),
                static_cast<long long>(x_test_raw.shape()[0]), static_cast<long long>(features),
                static_cast<long long>(classes));

  data::StandardScaler scaler;
  scaler.fit(x_train_raw);
  Tensor x_train = scaler.transform(x_train_raw), x_test = scaler.transform(x_test_raw);
  const int64_t hidden = args.get_int("hidden");
  Generator init(args.seed);
  nn::Sequential model{
      std::make_shared<nn::Linear>(features, hidden, true, &init), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(hidden, hidden / 2, true, &init), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(hidden / 2, classes, true, &init)};
  auto opt = make_optimizer(args.optimizer, model.parameters(), args.lr);
  nn::CrossEntropyLoss loss_fn;
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x_train, y_train),
                          {.batch_size = args.batch_size, .shuffle = true, .seed = args.seed});
  int64_t first = 0;
  if (!args.resume.empty()) {
    first = load_checkpoint(args.resume, model, *opt);
    loader.set_epoch(first);
  }
  const std::vector<int64_t> truth = data::to_labels(y_test);
  Curves curves({"epoch", "train_loss", "test_accuracy"});
  Progress progress(args.quiet);
  for (int64_t epoch = first; epoch < args.epochs; ++epoch) {
    progress.start(epoch + 1, args.epochs, loader.num_batches());
    const double train_loss = train_epoch(model, *opt, loss_fn, loader, &progress);
    double acc = data::accuracy(data::argmax_rows(predict(model, x_test, 1024)), truth);
    char line[96];
    std::snprintf(line, sizeof line, "train loss %.4f  test accuracy %.4f", train_loss, acc);
    progress.finish(line);
    curves.add({static_cast<double>(epoch + 1), train_loss, acc});
    if (!args.save.empty()) save_checkpoint(args.save, model, *opt, epoch + 1);
  }
  data::ConfusionMatrix cm(classes, names);
  cm.add(data::argmax_rows(predict(model, x_test, 1024)), truth);
  if (!args.quiet) std::cout << "\n" << cm;
  std::printf("test accuracy: %.4f (the dataset paper's multiclass SVM: ~0.96)\n", cm.accuracy());
  report_curves(curves, args.plot);
  std::printf("wall time: %.1f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "har: %s\n", e.what());
  return 1;
}
