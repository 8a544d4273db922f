// Optimizers: the first three steps of every option against hand-written reference updates
// from the published rules, groups, state save/restore, and learning XNOR with each.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::optim;

namespace {

// Loss Σ c_i p_i² + Σ p_i, so g = 2 c p + 1 changes every step.
const std::vector<double> kCoef{0.5, -0.3, 1.2};
const std::vector<double> kStart{1.0, -2.0, 0.5};

std::vector<double> gradient(const std::vector<double>& p) {
  std::vector<double> g(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) g[i] = 2 * kCoef[i] * p[i] + 1;
  return g;
}

// Runs `steps` steps of an optimizer and of a reference; the reference gets (p, g, t) per step.
template <class MakeOpt, class Ref>
void compare(MakeOpt make, Ref reference, int steps = 3, double tol = 1e-12) {
  Tensor p = from_vector(kStart, {3}, {float64, true});
  auto opt = make(std::vector<Tensor>{p});
  std::vector<double> q = kStart;
  Tensor coef = from_vector(kCoef, {3}, float64);
  for (int t = 1; t <= steps; ++t) {
    opt.zero_grad();
    (sum(coef * p * p) + sum(p)).backward();
    opt.step();
    reference(q, gradient(q), t);
    for (int i = 0; i < 3; ++i) CHECK(p.at({i}) == doctest::Approx(q[i]).epsilon(tol));
  }
}

}  // namespace

TEST_CASE("SGD matches its update rule for every option") {
  for (double wd : {0.0, 0.1})
    for (double momentum : {0.0, 0.9})
      for (double damp : {0.0, 0.3})
        for (bool nesterov : {false, true}) {
          if (nesterov && (momentum == 0 || damp != 0)) continue;
          SGDOptions o{.lr = 0.1,
                       .momentum = momentum,
                       .dampening = damp,
                       .weight_decay = wd,
                       .nesterov = nesterov};
          std::vector<double> buf(3);
          compare([&](std::vector<Tensor> ps) { return SGD(ps, o); },
                  [&](std::vector<double>& q, std::vector<double> g, int t) {
                    for (int i = 0; i < 3; ++i) {
                      g[i] += wd * q[i];
                      if (momentum != 0) {
                        buf[i] = t == 1 ? g[i] : momentum * buf[i] + (1 - damp) * g[i];
                        g[i] = nesterov ? g[i] + momentum * buf[i] : buf[i];
                      }
                      q[i] -= 0.1 * g[i];
                    }
                  });
        }
}

TEST_CASE("Adam and AdamW match their update rules") {
  for (bool decoupled : {false, true})
    for (double wd : {0.0, 0.05})
      for (bool amsgrad : {false, true}) {
        AdamOptions o{.lr = 0.05,
                      .beta1 = 0.8,
                      .beta2 = 0.95,
                      .eps = 1e-6,
                      .weight_decay = wd,
                      .amsgrad = amsgrad};
        std::vector<double> m(3), v(3), vmax(3);
        auto ref = [&](std::vector<double>& q, std::vector<double> g, int t) {
          for (int i = 0; i < 3; ++i) {
            if (decoupled)
              q[i] *= 1 - 0.05 * wd;
            else
              g[i] += wd * q[i];
            m[i] = 0.8 * m[i] + 0.2 * g[i];
            v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
            double mhat = m[i] / (1 - std::pow(0.8, t));
            vmax[i] = std::max(vmax[i], v[i]);
            double vhat = (amsgrad ? vmax[i] : v[i]) / (1 - std::pow(0.95, t));
            q[i] -= 0.05 * mhat / (std::sqrt(vhat) + 1e-6);
          }
        };
        if (decoupled)
          compare([&](std::vector<Tensor> ps) { return AdamW(ps, o); }, ref, 3, 1e-10);
        else
          compare([&](std::vector<Tensor> ps) { return Adam(ps, o); }, ref, 3, 1e-10);
      }
  Tensor p = ones({2}, {float32, true});
  CHECK(AdamW({p}).options().weight_decay == 0.01);
}

TEST_CASE("RMSprop matches its update rule") {
  for (bool centered : {false, true})
    for (double momentum : {0.0, 0.5})
      for (double wd : {0.0, 0.1}) {
        RMSpropOptions o{.lr = 0.01,
                         .alpha = 0.9,
                         .eps = 1e-8,
                         .weight_decay = wd,
                         .momentum = momentum,
                         .centered = centered};
        std::vector<double> sq(3), ga(3), buf(3);
        compare([&](std::vector<Tensor> ps) { return RMSprop(ps, o); },
                [&](std::vector<double>& q, std::vector<double> g, int) {
                  for (int i = 0; i < 3; ++i) {
                    g[i] += wd * q[i];
                    sq[i] = 0.9 * sq[i] + 0.1 * g[i] * g[i];
                    double avg = sq[i];
                    if (centered) {
                      ga[i] = 0.9 * ga[i] + 0.1 * g[i];
                      avg -= ga[i] * ga[i];
                    }
                    double denom = std::sqrt(avg) + 1e-8;
                    if (momentum > 0) {
                      buf[i] = momentum * buf[i] + g[i] / denom;
                      q[i] -= 0.01 * buf[i];
                    } else {
                      q[i] -= 0.01 * g[i] / denom;
                    }
                  }
                },
                3, 1e-10);
      }
}

TEST_CASE("Adagrad matches its update rule") {
  for (double decay : {0.0, 0.1})
    for (double init : {0.0, 0.5})
      for (double wd : {0.0, 0.2}) {
        AdagradOptions o{.lr = 0.1,
                         .lr_decay = decay,
                         .weight_decay = wd,
                         .initial_accumulator_value = init,
                         .eps = 1e-10};
        std::vector<double> acc(3, init);
        compare([&](std::vector<Tensor> ps) { return Adagrad(ps, o); },
                [&](std::vector<double>& q, std::vector<double> g, int t) {
                  double clr = 0.1 / (1 + (t - 1) * decay);
                  for (int i = 0; i < 3; ++i) {
                    g[i] += wd * q[i];
                    acc[i] += g[i] * g[i];
                    q[i] -= clr * g[i] / (std::sqrt(acc[i]) + 1e-10);
                  }
                });
      }
}

TEST_CASE("Adadelta matches its update rule") {
  for (double wd : {0.0, 0.1}) {
    AdadeltaOptions o{.lr = 1.0, .rho = 0.9, .eps = 1e-6, .weight_decay = wd};
    std::vector<double> sq(3), acc(3);
    compare([&](std::vector<Tensor> ps) { return Adadelta(ps, o); },
            [&](std::vector<double>& q, std::vector<double> g, int) {
              for (int i = 0; i < 3; ++i) {
                g[i] += wd * q[i];
                sq[i] = 0.9 * sq[i] + 0.1 * g[i] * g[i];
                double delta = std::sqrt(acc[i] + 1e-6) / std::sqrt(sq[i] + 1e-6) * g[i];
                acc[i] = 0.9 * acc[i] + 0.1 * delta * delta;
                q[i] -= delta;
              }
            });
  }
}

TEST_CASE("groups, lr access, skipped parameters and bad options") {
  Tensor a = ones({2}, {float32, true}), b = ones({2}, {float32, true}),
         c = ones({2}, {float32, true});
  SGD opt({{{a}, {.lr = 0.1}}, {{b, c}, {.lr = 0.5}}});
  CHECK(opt.num_groups() == 2);
  CHECK(opt.lr() == 0.1);
  CHECK(opt.lr(1) == 0.5);
  (a.sum() + b.sum()).backward();  // c has no gradient: skipped
  opt.step();
  CHECK(a.at({0}) == doctest::Approx(0.9));
  CHECK(b.at({0}) == doctest::Approx(0.5));
  CHECK(c.at({0}) == 1.0);
  opt.set_lr(0.01);
  CHECK(opt.lr(1) == 0.01);
  opt.zero_grad(false);  // zeroes in place
  CHECK(a.grad().to_vector() == std::vector<double>{0, 0});
  opt.zero_grad();  // releases by default, as in PyTorch 2
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
  CHECK_ERROR_MESSAGE(SGD({ones({2})}),
                      "optimizer: group 0 holds a tensor that is not a leaf requiring grad");
  CHECK_ERROR_MESSAGE(Adam({a}, {.beta1 = 1.0}), "Adam: beta1 must be in [0, 1), got 1");
  // NaN is not a number in any range (it used to pass `lr < 0`).
  const double nan = std::nan("");
  CHECK_ERROR_MESSAGE(Adam({a}, {.lr = nan}), "Adam: lr must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(SGD({a}, {.lr = nan}), "SGD: lr must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(SGD({a}, {.lr = 0.1, .momentum = -1}),
                      "SGD: momentum must be a non-negative number, got -1");
  CHECK_ERROR_MESSAGE(RMSprop({a}, {.lr = nan}),
                      "RMSprop: lr must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(Adagrad({a}, {.lr = nan}),
                      "Adagrad: lr must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(Adadelta({a}, {.rho = 1.5}), "Adadelta: rho must be in [0, 1], got 1.5");
  CHECK_ERROR_MESSAGE(Adam({a}, {.eps = -1e-8}),
                      "Adam: eps must be a non-negative number, got -1e-08");
  CHECK_ERROR_MESSAGE(opt.set_lr(nan), "optimizer: lr must be a non-negative number, got nan");
  CHECK_ERROR_MESSAGE(Adam(std::vector<Tensor>{}),
                      "optimizer: got an empty parameter list (nothing to optimize)");
  CHECK_ERROR_MESSAGE(SGD({a}, {.lr = 0.1, .nesterov = true}),
                      "SGD: nesterov needs momentum > 0 and dampening = 0");
}

TEST_CASE("per-parameter state is named as in PyTorch and holds only what the options use") {
  Tensor p = ones({3}, {float64, true});
  auto step = [&](Optimizer& opt) {
    opt.zero_grad();
    (p * p).sum().backward();
    opt.step();
  };
  auto names = [](const StateDict& sd) {
    std::vector<std::string> out;
    for (const auto& [name, t] : sd) out.push_back(name);
    return out;
  };
  Adam adam({p});
  CHECK(adam.state(0, 0) == nullptr);  // no state before the first step
  step(adam);
  REQUIRE(adam.state(0, 0));
  CHECK(adam.state(0, 0)->step == 1);
  CHECK(adam.state(0, 0)->exp_avg.defined());
  CHECK_FALSE(adam.state(0, 0)->max_exp_avg_sq.defined());  // amsgrad off: not allocated
  CHECK(names(adam.state_dict()) == std::vector<std::string>{"group.0.lr", "state.0.0.step",
                                                             "state.0.0.exp_avg",
                                                             "state.0.0.exp_avg_sq"});
  Adam ams({p}, {.amsgrad = true});
  step(ams);
  CHECK(names(ams.state_dict()).back() == "state.0.0.max_exp_avg_sq");
  SGD plain({p}, {.lr = 0.1});
  step(plain);
  CHECK_FALSE(plain.state(0, 0)->momentum_buffer.defined());
  SGD heavy({p}, {.lr = 0.1, .momentum = 0.9});
  step(heavy);
  CHECK(names(heavy.state_dict()).back() == "state.0.0.momentum_buffer");
  RMSprop centered({p}, {.centered = true});
  step(centered);
  CHECK(names(centered.state_dict()) == std::vector<std::string>{"group.0.lr", "state.0.0.step",
                                                                 "state.0.0.square_avg",
                                                                 "state.0.0.grad_avg"});
  // Options by value with the group's current lr; set_options validates.
  adam.set_lr(0.05);
  CHECK(adam.options().lr == 0.05);
  CHECK(adam.param_groups()[0].lr == 0.05);
  AdamOptions o = adam.options();
  o.beta2 = 0.99;
  adam.set_options(0, o);
  CHECK(adam.options().beta2 == 0.99);
  o.beta1 = 2.0;
  CHECK_ERROR_MESSAGE(adam.set_options(0, o), "Adam: beta1 must be in [0, 1), got 2");
  // Turning amsgrad on later allocates its buffer then.
  o.beta1 = 0.9;
  o.amsgrad = true;
  adam.set_options(0, o);
  step(adam);
  CHECK(adam.state(0, 0)->max_exp_avg_sq.defined());
  // A state saved without amsgrad loads into an amsgrad optimizer only if the buffer is there.
  Adam without({p});
  step(without);
  Adam other({p}, {.amsgrad = true});
  CHECK_ERROR_MESSAGE(other.load_state_dict(without.state_dict()),
                      "optimizer: state is missing state.0.0.max_exp_avg_sq");
}

TEST_CASE("a refused optimizer state leaves the optimizer as it was") {
  Tensor p = tensor({1.0, 2.0}, {float64, true});
  Adam opt({p}, {.lr = 0.1});
  (p * p).sum().backward();
  opt.step();
  const StateDict good = opt.state_dict();
  auto with = [&](const std::string& key, const Tensor& value) {
    StateDict sd = good;
    for (auto& [name, t] : sd)
      if (name == key) t = value;
    return sd;
  };
  const std::vector<double> m_before = opt.state_dict()[2].second.to_vector();
  CHECK_ERROR_MESSAGE(
      opt.load_state_dict(with("state.0.0.step", scalar_tensor(std::nan(""), float64))),
      "optimizer: state state.0.0.step must be a whole number of steps in [0, "
      "9e15], got nan");
  CHECK_ERROR_MESSAGE(opt.load_state_dict(with("state.0.0.step", scalar_tensor(2.5, float64))),
                      "optimizer: state state.0.0.step must be a whole number of steps in [0, "
                      "9e15], got 2.500000");
  CHECK_ERROR_MESSAGE(opt.load_state_dict(with("group.0.lr", scalar_tensor(-1.0, float64))),
                      "optimizer: state: group.0.lr must be a non-negative number, got -1");
  CHECK_ERROR_MESSAGE(opt.load_state_dict(with("state.0.0.exp_avg", zeros({3}, float64))),
                      "optimizer: state state.0.0.exp_avg has shape (3,) float64, parameter has "
                      "(2,) float64");
  // A NaN moment, or a negative average of squares, would make the parameters NaN at the next step.
  CHECK_ERROR_MESSAGE(
      opt.load_state_dict(with("state.0.0.exp_avg", tensor({0.5, std::nan("")}, float64))),
      "optimizer: state state.0.0.exp_avg holds nan (must be finite)");
  CHECK_ERROR_MESSAGE(
      opt.load_state_dict(with("state.0.0.exp_avg_sq", tensor({0.5, -0.25}, float64))),
      "optimizer: state state.0.0.exp_avg_sq holds -0.25 (must be finite and non-negative)");
  // Nothing of the refused states was taken: the learning rate and the moments are the old ones.
  CHECK(opt.lr() == 0.1);
  CHECK(opt.state_dict()[2].second.to_vector() == m_before);
  CHECK(opt.state_dict()[1].second.item() == 1.0);  // step
}

TEST_CASE("every optimizer refuses a negative average of squares in its saved state") {
  Tensor p = tensor({1.0, 2.0}, {float64, true});
  std::vector<std::pair<std::string, std::unique_ptr<Optimizer>>> opts;
  opts.emplace_back("exp_avg_sq", std::make_unique<Adam>(std::vector<Tensor>{p}));
  opts.emplace_back("max_exp_avg_sq",
                    std::make_unique<Adam>(std::vector<Tensor>{p}, AdamOptions{.amsgrad = true}));
  opts.emplace_back("square_avg", std::make_unique<RMSprop>(std::vector<Tensor>{p}));
  opts.emplace_back("sum", std::make_unique<Adagrad>(std::vector<Tensor>{p}));
  opts.emplace_back("acc_delta", std::make_unique<Adadelta>(std::vector<Tensor>{p}));
  for (auto& entry : opts) {
    const std::string& name = entry.first;
    Optimizer& opt = *entry.second;
    p.zero_grad();
    (p * p).sum().backward();
    opt.step();
    StateDict sd = opt.state_dict();
    for (auto& [key, t] : sd)
      if (key == "state.0.0." + name) t = tensor({0.5, -1.0}, float64);
    CHECK_ERROR_MESSAGE(opt.load_state_dict(sd), ("optimizer: state state.0.0." + name +
                                                  " holds -1 (must be finite and non-negative)")
                                                     .c_str());
  }
  // A momentum or a mean gradient may be negative.
  SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  p.zero_grad();
  (p * p).sum().backward();
  sgd.step();
  StateDict sd = sgd.state_dict();
  for (auto& [key, t] : sd)
    if (key == "state.0.0.momentum_buffer") t = tensor({0.5, -1.0}, float64);
  CHECK_NOTHROW(sgd.load_state_dict(sd));
}

TEST_CASE("optimizer state saves and restores so training resumes exactly") {
  auto run = [](int steps, Tensor p, Adam& opt) {
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      (p * p * p).sum().backward();
      opt.step();
    }
  };
  Tensor p1 = tensor({0.5, -1.0}, {float64, true});
  Adam o1({p1}, {.lr = 0.1, .amsgrad = true});
  run(6, p1, o1);

  Tensor p2 = tensor({0.5, -1.0}, {float64, true});
  Adam o2({p2}, {.lr = 0.1, .amsgrad = true});
  run(3, p2, o2);
  StateDict saved = o2.state_dict();
  Tensor p3 = p2.detach().clone().requires_grad_();
  Adam o3({p3}, {.lr = 0.7, .amsgrad = true});
  o3.load_state_dict(saved);
  CHECK(o3.lr() == 0.1);
  run(3, p3, o3);
  CHECK(p3.to_vector() == p1.to_vector());
  CHECK_ERROR_MESSAGE(o3.load_state_dict({}), "optimizer: state is missing group.0.lr");
  StateDict wrong = saved;
  for (auto& [name, t] : wrong)
    if (name == "state.0.0.exp_avg") t = zeros({3}, float64);
  CHECK_ERROR_MESSAGE(
      o3.load_state_dict(wrong),
      "optimizer: state state.0.0.exp_avg has shape (3,) float64, parameter has (2,) float64");
}

TEST_CASE("gradient clipping") {
  Tensor a = zeros({2}, {float64, true}), b = zeros({1}, {float64, true});
  a.set_grad(tensor({3.0, 0.0}, float64));
  b.set_grad(tensor({4.0}, float64));
  double norm = clip_grad_norm_({a, b}, 1.0);
  CHECK(norm == doctest::Approx(5.0));
  CHECK(a.grad().at({0}) == doctest::Approx(0.6).epsilon(1e-5));
  CHECK(b.grad().at({0}) == doctest::Approx(0.8).epsilon(1e-5));
  CHECK(clip_grad_norm_({a, b}, 10.0) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(a.grad().at({0}) == doctest::Approx(0.6).epsilon(1e-5));
  b.set_grad(tensor({-7.0}, float64));
  CHECK(clip_grad_norm_({a, b}, 100.0, INFINITY) == 7.0);
  clip_grad_value_({a, b}, 0.5);
  CHECK(a.grad().at({0}) == 0.5);
  CHECK(b.grad().at({0}) == -0.5);
}

TEST_CASE("an MLP learns XNOR with each optimizer") {
  Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}), y = tensor({{1}, {0}, {0}, {1}});
  auto train = [&](auto make_opt, int epochs) {
    Generator gen(0);
    nn::Sequential net{std::make_shared<nn::Linear>(2, 8, true, &gen), std::make_shared<nn::Tanh>(),
                       std::make_shared<nn::Linear>(8, 1, true, &gen),
                       std::make_shared<nn::Sigmoid>()};
    auto opt = make_opt(net.parameters());
    nn::BCELoss loss_fn;
    double loss = 0;
    for (int e = 0; e < epochs; ++e) {
      opt.zero_grad();
      Tensor l = loss_fn(net(x), y);
      l.backward();
      opt.step();
      loss = l.item();
    }
    Tensor pred = net(x);
    int correct = 0;
    for (int i = 0; i < 4; ++i) correct += (pred.at({i, 0}) > 0.5) == (y.at({i, 0}) > 0.5);
    return std::pair{correct, loss};
  };
  auto check = [](std::pair<int, double> r, const char* name) {
    INFO(name << " final loss " << r.second);
    CHECK(r.first == 4);
    CHECK(r.second < 0.1);
  };
  check(train([](auto ps) { return SGD(ps, {.lr = 0.5, .momentum = 0.9}); }, 500), "SGD");
  check(train([](auto ps) { return Adam(ps, {.lr = 0.05}); }, 500), "Adam");
  check(train([](auto ps) { return AdamW(ps, {.lr = 0.05, .weight_decay = 0.001}); }, 500),
        "AdamW");
  check(train([](auto ps) { return RMSprop(ps, {.lr = 0.02}); }, 500), "RMSprop");
  check(train([](auto ps) { return Adagrad(ps, {.lr = 0.5}); }, 500), "Adagrad");
  check(train([](auto ps) { return Adadelta(ps, {.lr = 5.0}); }, 1500), "Adadelta");
}
