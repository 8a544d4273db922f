// Adagrad: g += wd·p; clr = lr / (1 + (t-1)·lr_decay); S += g²; p -= clr·g/(√S + ε).
#include "optim/adagrad.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace xgrad::optim {

void AdagradOptions::validate() const {
  const AdagradOptions& o = *this;
  detail::check_option("Adagrad", "lr", o.lr, 0);
  detail::check_option("Adagrad", "lr_decay", o.lr_decay, 0);
  detail::check_option("Adagrad", "weight_decay", o.weight_decay, 0);
  detail::check_option("Adagrad", "eps", o.eps, 0);
  detail::check_option("Adagrad", "initial_accumulator_value", o.initial_accumulator_value, 0);
}

AdagradState Adagrad::init_state(const Tensor& p, const AdagradOptions& o) const {
  return {0, full_like(p, o.initial_accumulator_value)};
}

void Adagrad::step() {
  for_each_param([&](const AdagradOptions& o, Tensor& p, const Tensor& grad, AdagradState& s) {
    const int64_t t = ++s.step;
    const double clr = o.lr / (1 + static_cast<double>(t - 1) * o.lr_decay);
    detail::update(p, grad, {&s.sum}, [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
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
