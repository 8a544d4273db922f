// L-BFGS: convergence on Rosenbrock from (-1.5, 2) in both line-search modes, the stopping rules,
// state save/restore that resumes bit for bit, and the errors. The iterate-by-iterate comparison
// with libtorch's torch::optim::LBFGS is bench/lbfgs_parity (built with -Dcompare=enabled).
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::optim;

namespace {
Tensor rosenbrock(const Tensor& x) {
  Tensor a = x.index({0}), b = x.index({1});
  return (1.0 - a).pow(2.0) + 100.0 * (b - a * a).pow(2.0);
}
struct Problem {
  Tensor x = tensor({-1.5, 2.0}, {float64, true});
  int64_t evaluations = 0;
  LBFGS::Closure closure(LBFGS& opt) {
    return [this, &opt] {
      ++evaluations;
      opt.zero_grad();
      Tensor loss = rosenbrock(x);
      loss.backward();
      return loss;
    };
  }
};
}  // namespace

TEST_CASE("L-BFGS reaches Rosenbrock's minimum (1, 1) with and without the line search") {
  for (const char* search : {"strong_wolfe", ""}) {
    Problem p;
    LBFGS opt({p.x}, {.lr = 1.0,
                      .max_iter = 500,
                      .max_eval = 2000,
                      .tolerance_grad = 1e-12,
                      .tolerance_change = 1e-15,
                      .line_search_fn = search});
    const LBFGS::Closure closure = p.closure(opt);
    for (int s = 0; s < 20; ++s) opt.step(closure);
    INFO("line search: '" << std::string(search) << "'");
    CHECK(std::abs(p.x.to_vector()[0] - 1.0) < 1e-8);
    CHECK(std::abs(p.x.to_vector()[1] - 1.0) < 1e-8);
    CHECK(opt.state().func_evals == p.evaluations);
    CHECK(opt.state().n_iter > 0);
    CHECK(opt.state().old_dirs.size() <= 100);
  }
}

TEST_CASE("one step runs at most max_iter iterations and max_eval evaluations") {
  Problem p;
  LBFGS opt({p.x}, {.max_iter = 3, .max_eval = 10});
  opt.step(p.closure(opt));
  CHECK(opt.state().n_iter == 3);
  CHECK(p.evaluations == 3);  // no evaluation after the last iteration
  // max_eval defaults to max_iter * 5 / 4 = 3 evaluations: the third ends the step.
  Problem r;
  LBFGS defaults({r.x}, {.max_iter = 3});
  defaults.step(r.closure(defaults));
  CHECK(defaults.state().n_iter == 2);
  CHECK(r.evaluations == 3);
  Problem q;
  LBFGS capped({q.x}, {.max_iter = 50, .max_eval = 4, .line_search_fn = "strong_wolfe"});
  capped.step(q.closure(capped));
  CHECK(capped.state().func_evals >= 4);
  CHECK(capped.state().n_iter < 50);
  // At a stationary point the step stops at once.
  Tensor x = tensor({1.0, 1.0}, {float64, true});
  LBFGS still({x});
  int calls = 0;
  still.step([&] {
    ++calls;
    still.zero_grad();
    Tensor l = rosenbrock(x);
    l.backward();
    return l;
  });
  CHECK(calls == 1);
  CHECK(x.to_vector() == std::vector<double>{1.0, 1.0});
}

TEST_CASE("L-BFGS state saves and restores: the run continues exactly") {
  for (const char* search : {"strong_wolfe", ""}) {
    Problem a;
    LBFGSOptions o{.lr = 0.5, .max_iter = 4, .history_size = 3, .line_search_fn = search};
    LBFGS first({a.x}, o);
    for (int s = 0; s < 3; ++s) first.step(a.closure(first));
    const StateDict saved = first.state_dict();
    const std::vector<double> x_saved = a.x.to_vector();
    for (int s = 0; s < 3; ++s) first.step(a.closure(first));

    Problem b;
    {
      NoGradGuard no_grad;
      b.x.copy_(from_vector(x_saved, {2}, float64));
    }
    LBFGS resumed({b.x}, o);
    resumed.load_state_dict(saved);
    CHECK(resumed.state().old_dirs.size() == 3);
    for (int s = 0; s < 3; ++s) resumed.step(b.closure(resumed));
    CHECK(b.x.to_vector() == a.x.to_vector());
  }
}

TEST_CASE("L-BFGS errors") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  LBFGS opt({x});
  CHECK_ERROR_MESSAGE(opt.step(),
                      "LBFGS: step() needs a closure that re-evaluates the loss: step(closure)");
  CHECK_ERROR_MESSAGE(LBFGS({x}, {.line_search_fn = "armijo"}),
                      "LBFGS: line_search_fn must be \"\" or \"strong_wolfe\", got \"armijo\"");
  CHECK_ERROR_MESSAGE(LBFGS({x}, {.history_size = 0}),
                      "LBFGS: history_size must be at least 1, got 0");
  Tensor y = tensor({1.0f}, {float32, true});
  CHECK_ERROR_MESSAGE(
      LBFGS({x, y}),
      "LBFGS: every parameter must have the same floating dtype, got float64 and float32");
  StateDict bad = {{"group.0.lr", scalar_tensor(1.0, float64)},
                   {"state.0.0.n_iter", scalar_tensor(2.0, float64)}};
  CHECK_ERROR_MESSAGE(opt.load_state_dict(bad), "optimizer: state is missing state.0.0.func_evals");
}
