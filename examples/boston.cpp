// Boston housing regression: features standardised with a scaler fitted on the training split
// only, Linear(13,64) -> ReLU -> Linear(64,32) -> ReLU -> Linear(32,1), MSELoss, Adam, a seeded
// 80/20 split; compared with ordinary least squares (xtensor-blas lstsq) on the same split.
// `--sweep 5` runs seeds 0..4 and reports the mean test MSE of both.
#include <cstdio>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xview.hpp>

#include "tensor/xtensor_interop.hpp"
#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

struct Metrics {
  double mse, rmse, mae, r2;
};
Metrics metrics(const Tensor& pred, const Tensor& truth) {
  return {data::mse(pred, truth), data::rmse(pred, truth), data::mae(pred, truth),
          data::r2_score(pred, truth)};
}

// Least squares with an intercept column, fitted on the training rows.
Tensor least_squares(const Tensor& x_train, const Tensor& y_train, const Tensor& x_test) {
  auto with_bias = [](const Tensor& x) {
    xt::xarray<double> a = to_xarray<double>(x);
    xt::xarray<double> out = xt::ones<double>({a.shape()[0], a.shape()[1] + 1});
    xt::view(out, xt::all(), xt::range(1, a.shape()[1] + 1)) = a;
    return out;
  };
  xt::xarray<double> A = with_bias(x_train);
  xt::xarray<double> b = to_xarray<double>(y_train);
  auto solution = xt::linalg::lstsq(A, b);
  xt::xarray<double> coef = std::get<0>(solution);
  xt::xarray<double> pred = xt::linalg::dot(with_bias(x_test), coef);
  return from_xarray(pred);
}

std::pair<Metrics, Metrics> run(const TrainerArgs& args, uint64_t seed, const data::CsvTable& table,
                                bool verbose) {
  data::Split split = data::train_test_split(table.rows(), 0.2, seed);
  Tensor x_train_raw = data::take_rows(table.features, split.train);
  Tensor x_test_raw = data::take_rows(table.features, split.test);
  Tensor y_train = reshape(data::take_rows(table.target, split.train), {-1, 1});
  Tensor y_test = reshape(data::take_rows(table.target, split.test), {-1, 1});
  data::StandardScaler scaler;
  scaler.fit(x_train_raw);
  Tensor x_train = scaler.transform(x_train_raw).to(float32),
         x_test = scaler.transform(x_test_raw).to(float32);

  Generator init(seed);
  nn::Sequential model{
      std::make_shared<nn::Linear>(13, 64, true, &init), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(64, 32, true, &init), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(32, 1, true, &init)};
  auto opt = make_optimizer(args.optimizer, model.parameters(), args.lr);
  nn::MSELoss loss_fn;
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x_train, y_train.to(float32)),
                          {.batch_size = args.batch_size, .shuffle = true, .seed = seed});
  int64_t first = 0;
  if (!args.resume.empty()) {
    first = load_checkpoint(args.resume, model, *opt);
    loader.set_epoch(first);
  }
  Curves curves({"epoch", "train_mse", "test_mse"});
  Progress progress(!verbose);
  for (int64_t epoch = first; epoch < args.epochs; ++epoch) {
    progress.start(epoch + 1, args.epochs, loader.num_batches());
    const double train_mse = train_epoch(model, *opt, loss_fn, loader, &progress);
    double test_mse = data::mse(predict(model, x_test, 1024), y_test);
    curves.add({static_cast<double>(epoch + 1), train_mse, test_mse});
    if (verbose && ((epoch + 1) % 20 == 0 || epoch + 1 == args.epochs)) {
      char line[96];
      std::snprintf(line, sizeof line, "train MSE %.3f  test MSE %.3f", train_mse, test_mse);
      progress.finish(line);
    }
    if (!args.save.empty()) save_checkpoint(args.save, model, *opt, epoch + 1);
  }
  if (verbose) report_curves(curves, args.plot);
  return {metrics(predict(model, x_test, 1024), y_test),
          metrics(least_squares(x_train_raw, y_train, x_test_raw), y_test)};
}

void print(const char* name, const Metrics& m) {
  std::printf("%-14s test MSE %7.3f  RMSE %6.3f  MAE %6.3f  R2 %6.4f\n", name, m.mse, m.rmse, m.mae,
              m.r2);
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(argc, argv, "Boston housing: an MLP against least squares",
                                {.epochs = 200, .lr = 1e-3, .batch_size = 16},
                                {{"--csv", "the Boston CSV (sklearn layout)",
                                  XGRAD_SOURCE_DIR "/examples/data/boston_house_prices.csv"},
                                 {"--sweep", "run seeds 0..N-1 and report mean test MSE", "0"}});
  const auto start = std::chrono::steady_clock::now();
  data::CsvTable table =
      data::read_csv(args.get("csv"), {.skip_lines = 1, .target = "MEDV", .dtype = float64});
  if (int64_t sweep = args.get_int("sweep"); sweep > 0) {
    double mlp = 0, ols = 0;
    for (int64_t s = 0; s < sweep; ++s) {
      auto [m, o] = run(args, static_cast<uint64_t>(s), table, false);
      std::printf("seed %lld: MLP test MSE %.3f, least squares %.3f\n", static_cast<long long>(s),
                  m.mse, o.mse);
      mlp += m.mse / static_cast<double>(sweep);
      ols += o.mse / static_cast<double>(sweep);
    }
    std::printf("mean test MSE over %lld seeds: MLP %.3f, least squares %.3f\n",
                static_cast<long long>(sweep), mlp, ols);
    std::printf("MLP improvement over least squares: %.1f%%\n", 100.0 * (1.0 - mlp / ols));
  } else {
    auto [m, o] = run(args, args.seed, table, !args.quiet);
    print("MLP", m);
    print("least squares", o);
  }
  std::printf("wall time: %.1f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "boston: %s\n", e.what());
  return 1;
}
