// Schedulers against their closed-form formulas, and their state.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::optim;

namespace {
Tensor param() { return ones({1}, {float32, true}); }
}  // namespace

TEST_CASE("StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR follow their formulas") {
  Tensor p = param();
  SGD o1({p}, {.lr = 1.0});
  StepLR step(o1, 3, 0.5);
  for (int e = 1; e <= 10; ++e) {
    step.step();
    CHECK(o1.lr() == doctest::Approx(std::pow(0.5, e / 3)));
  }
  SGD o2({p}, {.lr = 2.0});
  MultiStepLR multi(o2, {2, 5}, 0.1);
  std::vector<double> expected{2, 0.2, 0.2, 0.2, 0.02, 0.02};
  for (int e = 1; e <= 6; ++e) {
    multi.step();
    CHECK(o2.lr() == doctest::Approx(expected[e - 1]));
  }
  SGD o3({p}, {.lr = 0.5});
  ExponentialLR expo(o3, 0.9);
  for (int e = 1; e <= 5; ++e) {
    expo.step();
    CHECK(o3.lr() == doctest::Approx(0.5 * std::pow(0.9, e)));
  }
  SGD o4({p}, {.lr = 0.1});
  CosineAnnealingLR cosine(o4, 10, 0.01);
  for (int e = 1; e <= 10; ++e) {
    cosine.step();
    CHECK(o4.lr() == doctest::Approx(0.01 + 0.09 * (1 + std::cos(M_PI * e / 10)) / 2));
  }
  CHECK(o4.lr() == doctest::Approx(0.01));
  SGD o5({p}, {.lr = 0.3});
  LinearLR warm(o5, 0.1, 1.0, 4);
  CHECK(o5.lr() == doctest::Approx(0.03));
  for (int e = 1; e <= 6; ++e) {
    warm.step();
    CHECK(o5.lr() == doctest::Approx(0.3 * (0.1 + 0.9 * std::min(e, 4) / 4.0)));
  }
  CHECK(warm.get_last_lr() == std::vector<double>{o5.lr()});
}

TEST_CASE("ReduceLROnPlateau reduces after patience and honours cooldown and min_lr") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.2});
  std::vector<double> metrics{1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
  std::vector<double> lrs;
  for (double m : metrics) {
    plateau.step(m);
    lrs.push_back(opt.lr());
  }
  // Improvement at 0.9; the third bad epoch (index 4) exceeds patience -> 0.5; index 5 is the
  // cooldown (its bad count is reset); indices 6, 7, 8 are bad again -> 0.25 at index 8.
  CHECK(lrs[3] == 1.0);
  CHECK(lrs[4] == 0.5);
  CHECK(lrs[7] == 0.5);
  CHECK(lrs[8] == 0.25);
  CHECK(lrs.back() == 0.25);
  for (int i = 0; i < 20; ++i) plateau.step(0.95);
  CHECK(opt.lr() == 0.2);
  StateDict sd = plateau.state_dict();
  ReduceLROnPlateau other(opt);
  other.load_state_dict(sd);
  CHECK(other.num_bad_epochs() == plateau.num_bad_epochs());
}

TEST_CASE("scheduler state round-trips") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  StepLR s(opt, 2, 0.5);
  for (int i = 0; i < 5; ++i) s.step();
  StateDict sd = s.state_dict();
  SGD opt2({p}, {.lr = 1.0});
  StepLR s2(opt2, 2, 0.5);
  s2.load_state_dict(sd);
  CHECK(s2.last_epoch() == 5);
  CHECK(opt2.lr() == opt.lr());
}

TEST_CASE("scheduler state is checked before it is used") {
  // A NaN, negative or fractional count was cast to int64 (undefined behaviour); a NaN base
  // learning rate reached the optimizer. Every refused load leaves the scheduler as it was.
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  StepLR s(opt, 2, 0.5);
  s.step();
  auto state = [](double epoch, double base) {
    return StateDict{{"last_epoch", scalar_tensor(epoch, float64)},
                     {"base_lr.0", scalar_tensor(base, float64)}};
  };
  const double nan = std::nan("");
  CHECK_ERROR_MESSAGE(s.load_state_dict(state(nan, 1.0)),
                      "scheduler: state last_epoch must be a whole number in [0, 9e15], got nan");
  CHECK_ERROR_MESSAGE(s.load_state_dict(state(-1, 1.0)),
                      "scheduler: state last_epoch must be a whole number in [0, 9e15], got -1");
  CHECK_ERROR_MESSAGE(s.load_state_dict(state(2.5, 1.0)),
                      "scheduler: state last_epoch must be a whole number in [0, 9e15], got 2.5");
  CHECK_ERROR_MESSAGE(
      s.load_state_dict(state(1e300, 1.0)),
      "scheduler: state last_epoch must be a whole number in [0, 9e15], got 1e+300");
  CHECK_ERROR_MESSAGE(s.load_state_dict(state(3, nan)),
                      "scheduler: state: base_lr.0 must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(s.load_state_dict({{"last_epoch", zeros({2}, float64)}}),
                      "scheduler: state last_epoch must hold one number, got shape (2,)");
  CHECK(s.last_epoch() == 1);
  CHECK(opt.lr() == 1.0);
  ReduceLROnPlateau plateau(opt);
  auto plateau_state = [](double best, double bad) {
    return StateDict{{"best", scalar_tensor(best, float64)},
                     {"bad_epochs", scalar_tensor(bad, float64)},
                     {"cooldown_left", scalar_tensor(0.0, float64)}};
  };
  CHECK_ERROR_MESSAGE(plateau.load_state_dict(plateau_state(nan, 0)),
                      "scheduler: state best must be a number, got nan");
  CHECK_ERROR_MESSAGE(plateau.load_state_dict(plateau_state(0.5, nan)),
                      "scheduler: state bad_epochs must be a whole number in [0, 9e15], got nan");
  CHECK(plateau.num_bad_epochs() == 0);
  plateau.load_state_dict(plateau_state(0.5, 3));
  CHECK(plateau.num_bad_epochs() == 3);
}
