// The course's small regression example: Linear(10,50) -> ReLU -> Linear(50,1), MSELoss, SGD
// lr 0.01, each epoch a batch of 64 random samples from a synthetic data set, 100 epochs; the
// loss curve goes to --plot PREFIX (CSV, and PNG with gnuplot).
#include <cstdio>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(argc, argv, "Small MLP regression on synthetic data",
                                {.epochs = 100, .lr = 0.01, .batch_size = 64, .optimizer = "sgd"},
                                {{"--samples", "size of the synthetic data set", "1000"}});
  const auto start = std::chrono::steady_clock::now();
  Generator gen(args.seed);
  const int64_t n = args.get_int("samples");
  // y = x · w + 0.5 sin(x0) + noise, with 10 features.
  Tensor x = randn({n, 10}, float32, &gen);
  Tensor w = randn({10, 1}, float32, &gen) * 0.5;
  Tensor y = matmul(x, w) + sin(slice(x, 1, 0, 1)) * 0.5 + randn({n, 1}, float32, &gen) * 0.1;

  Generator init(args.seed + 1);
  nn::Sequential model{std::make_shared<nn::Linear>(10, 50, true, &init),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(50, 1, true, &init)};
  auto opt = make_optimizer(args.optimizer, model.parameters(), args.lr);
  nn::MSELoss loss_fn;
  int64_t first = args.resume.empty() ? 0 : load_checkpoint(args.resume, model, *opt);
  Generator sampler(args.seed + 2);
  for (int64_t e = 0; e < first; ++e)
    for (int64_t i = 0; i < args.batch_size; ++i) sampler.below(static_cast<uint64_t>(n));
  Curves curves({"epoch", "batch_loss", "full_loss"});
  double first_loss = -1, last_full = 0;
  for (int64_t epoch = first; epoch < args.epochs; ++epoch) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < args.batch_size; ++i)
      rows.push_back(static_cast<int64_t>(sampler.below(static_cast<uint64_t>(n))));
    opt->zero_grad();
    Tensor loss = loss_fn(model(data::take_rows(x, rows)), data::take_rows(y, rows));
    loss.backward();
    opt->step();
    {
      NoGradGuard guard;
      last_full = loss_fn(model(x), y).item();
    }
    if (first_loss < 0) first_loss = last_full;
    curves.add({static_cast<double>(epoch + 1), loss.item(), last_full});
    if (!args.quiet && ((epoch + 1) % 10 == 0 || epoch + 1 == args.epochs))
      std::printf("epoch %lld/%lld  batch loss %.4f  full-data loss %.4f\n",
                  static_cast<long long>(epoch + 1), static_cast<long long>(args.epochs),
                  loss.item(), last_full);
    if (!args.save.empty()) save_checkpoint(args.save, model, *opt, epoch + 1);
  }
  std::printf("full-data loss: first epoch %.4f, last epoch %.4f\n", first_loss, last_full);
  std::printf("loss ratio last/first: %.4f\n", last_full / first_loss);
  report_curves(curves, args.plot);
  std::printf("wall time: %.2f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "regression: %s\n", e.what());
  return 1;
}
