// Gaussian-process regression (Rasmussen & Williams, Algorithm 2.1): an RBF kernel with one
// length-scale per feature, a signal variance and a noise variance, found by maximising the log
// marginal likelihood (through linalg::cholesky, cholesky_solve and the factor's log-diagonal)
// with L-BFGS (strong Wolfe) from several seeded restarts; then the predictive mean and variance
// on the test split, against ordinary least squares (linalg::lstsq) on the same split.
// Features and target are standardised with the training split's statistics; metrics are in the
// target's units. `--check-gradient` also runs gradcheck on the marginal likelihood.
#include <cmath>
#include <cstdio>
#include <numbers>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

// Hyperparameters, all in log space so that L-BFGS searches without constraints.
struct Hyper {
  Tensor log_lengthscales;  // (d)
  Tensor log_signal;        // log σ_f²
  Tensor log_noise;         // log σ_n²
  std::vector<Tensor> list() const { return {log_lengthscales, log_signal, log_noise}; }
};

// k(a, b) = σ_f² exp(-½ Σ_k (a_k - b_k)² / ℓ_k²) between the rows of a (n, d) and b (m, d).
// The log hyperparameters are clamped to [-20, 20] (length-scales e^±20 times the data's): the
// line search's far trial points then give a finite, if poor, likelihood instead of inf · 0.
Tensor bounded(const Tensor& log_value) { return clamp(log_value, -20.0, 20.0); }

Tensor rbf(const Tensor& a, const Tensor& b, const Tensor& log_lengthscales,
           const Tensor& log_signal) {
  const Tensor inv = exp(-bounded(log_lengthscales));
  const Tensor as = a * inv, bs = b * inv;
  Tensor d2 = (as * as).sum({1}, true) + (bs * bs).sum({1}, true).transpose(0, 1) -
              2.0 * matmul(as, bs.transpose(0, 1));
  return exp(bounded(log_signal)) * exp(-0.5 * clamp_min(d2, 0.0));
}

// log p(y | X) = -½ yᵀ K⁻¹ y - Σ log L_ii - n/2 log 2π, with K = L Lᵀ.
Tensor log_marginal_likelihood(const Tensor& x, const Tensor& y, const Tensor& log_lengthscales,
                               const Tensor& log_signal, const Tensor& log_noise) {
  const int64_t n = x.shape()[0];
  Tensor k =
      rbf(x, x, log_lengthscales, log_signal) +
      eye(n, float64) * (exp(bounded(log_noise)) + 1e-8);  // a jitter keeps K positive-definite
  Tensor l = linalg::cholesky(k);
  Tensor alpha = linalg::cholesky_solve(y, l);
  return -0.5 * (y * alpha).sum() - log(diagonal(l)).sum() -
         0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi);
}

struct Fit {
  Hyper hyper;
  double lml = -INFINITY, gradient_norm = 0;
  int64_t evaluations = 0;
};

Fit fit(const Tensor& x, const Tensor& y, uint64_t seed) {
  Generator gen(seed);
  const int64_t d = x.shape()[1];
  Fit f;
  f.hyper = {uniform({d}, -0.5, 1.5, float64, &gen).requires_grad_(),
             uniform({}, -1.0, 1.0, float64, &gen).requires_grad_(),
             uniform({}, -4.0, -1.0, float64, &gen).requires_grad_()};
  optim::LBFGS opt(f.hyper.list(), {.max_iter = 100,
                                    .tolerance_grad = 1e-9,
                                    .tolerance_change = 1e-12,
                                    .history_size = 20,
                                    .line_search_fn = "strong_wolfe"});
  // A trial point of the line search so far out that K overflows or is not positive-definite
  // is reported as a huge loss with no slope, so the search steps back inside.
  auto closure = [&] {
    opt.zero_grad();
    try {
      Tensor loss = -log_marginal_likelihood(x, y, f.hyper.log_lengthscales, f.hyper.log_signal,
                                             f.hyper.log_noise);
      if (std::isfinite(loss.item())) {
        loss.backward();
        return loss;
      }
    } catch (const Error&) {
    }
    opt.zero_grad(false);
    return scalar_tensor(1e10, float64);
  };
  for (int s = 0; s < 20; ++s) {
    const int64_t before = opt.state().func_evals;
    opt.step(closure);
    if (opt.state().func_evals - before <= 1) break;  // converged: nothing more to do
  }
  Tensor loss = closure();
  f.lml = -loss.item();
  double g2 = 0;
  for (const Tensor& p : f.hyper.list()) g2 += p.grad().pow(2.0).sum().item();
  f.gradient_norm = std::sqrt(g2);
  f.evaluations = opt.state().func_evals;
  return f;
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(
      argc, argv, "Gaussian-process regression with learned hyperparameters, against least squares",
      {.epochs = 0},
      {{"--csv", "a numeric CSV with a header",
        XGRAD_SOURCE_DIR "/examples/data/boston_house_prices.csv"},
       {"--target", "the target column's name", "MEDV"},
       {"--skip-lines", "lines before the header", "1"},
       {"--restarts", "seeded L-BFGS restarts (the best marginal likelihood wins)", "3"},
       {"--check-gradient", "1: gradcheck the marginal likelihood first", "0"}});
  const auto start = std::chrono::steady_clock::now();
  const int64_t restarts = args.get_int("restarts");
  if (restarts < 1) throw Error("--restarts: expected at least 1, got " + args.get("restarts"));
  data::CsvTable table = data::read_csv(
      args.get("csv"),
      {.skip_lines = args.get_int("skip-lines"), .target = args.get("target"), .dtype = float64});
  data::Split split = data::train_test_split(table.rows(), 0.2, args.seed);
  Tensor x_train_raw = data::take_rows(table.features, split.train);
  Tensor x_test_raw = data::take_rows(table.features, split.test);
  Tensor y_train_raw = reshape(data::take_rows(table.target, split.train), {-1, 1});
  Tensor y_test = reshape(data::take_rows(table.target, split.test), {-1, 1});
  data::StandardScaler scaler;
  scaler.fit(x_train_raw);
  const Tensor x_train = scaler.transform(x_train_raw).to(float64);
  const Tensor x_test = scaler.transform(x_test_raw).to(float64);
  const double y_mean = y_train_raw.mean().item(), y_std = stddev(y_train_raw, {0}).item();
  const Tensor y_train = (y_train_raw.to(float64) - y_mean) / y_std;
  if (!args.quiet)
    std::printf("data: %s (%lld train, %lld test rows, %lld features, target %s)\n",
                args.get("csv").c_str(), static_cast<long long>(x_train.shape()[0]),
                static_cast<long long>(x_test.shape()[0]),
                static_cast<long long>(x_train.shape()[1]), args.get("target").c_str());

  if (args.get_int("check-gradient")) {
    // On 40 rows, so the finite differences stay quick.
    const Tensor xs = x_train.narrow(0, 0, 40), ys = y_train.narrow(0, 0, 40);
    Generator gen(args.seed);
    std::vector<Tensor> h = {
        uniform({x_train.shape()[1]}, -0.5, 1.0, float64, &gen).requires_grad_(),
        tensor({0.3}, {float64, true}), tensor({-2.0}, {float64, true})};
    auto fn = [&](const std::vector<Tensor>& v) {
      return log_marginal_likelihood(xs, ys, v[0], v[1], v[2]);
    };
    GradcheckResult check = gradcheck(fn, h);
    std::printf("gradcheck of the log marginal likelihood: %s\n",
                check ? "passed" : check.message().c_str());
    if (!check) return 1;
  }

  Fit best;
  for (int64_t r = 0; r < restarts; ++r) {
    Fit f = fit(x_train, y_train, args.seed * 1000 + static_cast<uint64_t>(r));
    if (!args.quiet)
      std::printf(
          "restart %lld: log marginal likelihood %.6f (%lld evaluations, |gradient| %.1e)\n",
          static_cast<long long>(r), f.lml, static_cast<long long>(f.evaluations), f.gradient_norm);
    if (f.lml > best.lml) best = f;
  }

  // Predictive mean K*ᵀ K⁻¹ y and variance k** - vᵀv with v = L⁻¹ K*, in the target's units.
  NoGradGuard no_grad;
  const Hyper& h = best.hyper;
  const int64_t n = x_train.shape()[0];
  Tensor k = rbf(x_train, x_train, h.log_lengthscales, h.log_signal) +
             eye(n, float64) * (exp(bounded(h.log_noise)) + 1e-8);
  Tensor l = linalg::cholesky(k);
  Tensor k_star = rbf(x_train, x_test, h.log_lengthscales, h.log_signal);
  Tensor mean = matmul(k_star.transpose(0, 1), linalg::cholesky_solve(y_train, l)) * y_std + y_mean;
  Tensor v = linalg::solve_triangular(l, k_star, /*upper=*/false);
  Tensor variance =
      (exp(bounded(h.log_signal)) - (v * v).sum({0}) + exp(bounded(h.log_noise))) * (y_std * y_std);

  // Least squares with an intercept on the raw features, the same split.
  auto with_bias = [](const Tensor& x) {
    return concat({ones({x.shape()[0], 1}, float64), x.to(float64)}, 1);
  };
  Tensor coef = linalg::lstsq(with_bias(x_train_raw), y_train_raw.to(float64)).solution;
  Tensor ols = matmul(with_bias(x_test_raw), coef);

  std::printf("hyperparameters: signal variance %.4f, noise variance %.4f (standardised target)\n",
              exp(bounded(h.log_signal)).item(), exp(bounded(h.log_noise)).item());
  std::printf("length-scales:");
  for (double ls : exp(bounded(h.log_lengthscales)).to_vector()) std::printf(" %.3f", ls);
  std::printf("\nlog marginal likelihood: %.6f, gradient norm at the optimum: %.2e\n", best.lml,
              best.gradient_norm);
  const double gp_rmse = data::rmse(mean, y_test), ols_rmse = data::rmse(ols, y_test);
  std::printf("GP             test RMSE %7.3f  R2 %6.4f  mean predictive std %.3f\n", gp_rmse,
              data::r2_score(mean, y_test), sqrt(variance).mean().item());
  std::printf("least squares  test RMSE %7.3f  R2 %6.4f\n", ols_rmse, data::r2_score(ols, y_test));
  std::printf("GP RMSE improvement over least squares: %.1f%%\n",
              100.0 * (1.0 - gp_rmse / ols_rmse));
  std::printf("wall time: %.1f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gp: %s\n", e.what());
  return 1;
}
