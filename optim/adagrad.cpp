// Adagrad: g += wd·p; clr = lr / (1 + (t-1)·lr_decay); S += g²; p -= clr·g/(√S + ε).
#include "optim/adagrad.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace xgrad::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup<AdagradOptions>>{{std::move(params), options}}) {}
Adagrad::Adagrad(std::vector<ParamGroup<AdagradOptions>> groups)
    : OptimizerWithOptions(std::move(groups)) {
  for (std::size_t g = 0; g < num_groups(); ++g) {
    const auto& o = options(g);
    detail::check_option("Adagrad", "lr", o.lr, 0);
    detail::check_option("Adagrad", "lr_decay", o.lr_decay, 0);
    detail::check_option("Adagrad", "weight_decay", o.weight_decay, 0);
    detail::check_option("Adagrad", "eps", o.eps, 0);
    detail::check_option("Adagrad", "initial_accumulator_value", o.initial_accumulator_value, 0);
  }
}

void Adagrad::step() {
  for_each_param([&](std::size_t group, Tensor& p, const Tensor& grad, ParamState& s) {
    const AdagradOptions o = options(group);
    const int64_t t = ++s.step;
    if (t == 1) s.buffers[0].fill_(o.initial_accumulator_value);
    const double clr = o.lr / (1 + static_cast<double>(t - 1) * o.lr_decay);
    detail::update(p, grad, s.buffers, [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
      T* acc = buf[0];
      const T wd = T(o.weight_decay), eps = T(o.eps), lr = T(clr);
      for (int64_t i = 0; i < n; ++i) {
        const T d = g[i] + wd * w[i];
        acc[i] += d * d;
        w[i] -= lr * d / (std::sqrt(acc[i]) + eps);
      }
    });
  });
}

}  // namespace xgrad::optim
