// Adadelta: g += wd·p; s = ρs + (1-ρ)g²; Δ = √(a + ε)/√(s + ε) · g; a = ρa + (1-ρ)Δ²;
// p -= lr·Δ.
#include "optim/adadelta.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace xgrad::optim {

void AdadeltaOptions::validate() const {
  const AdadeltaOptions& o = *this;
  detail::check_option("Adadelta", "lr", o.lr, 0);
  detail::check_option("Adadelta", "eps", o.eps, 0);
  detail::check_option("Adadelta", "weight_decay", o.weight_decay, 0);
  detail::check_option("Adadelta", "rho", o.rho, 0, 1);
}

AdadeltaState Adadelta::init_state(const Tensor& p, const AdadeltaOptions&) const {
  return {0, zeros_like(p), zeros_like(p)};
}

void Adadelta::step() {
  for_each_param([&](const AdadeltaOptions& o, Tensor& p, const Tensor& grad, AdadeltaState& s) {
    ++s.step;
    detail::update(p, grad, {&s.square_avg, &s.acc_delta},
                   [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
                     T* sq = buf[0];
                     T* acc = buf[1];
                     const T rho = T(o.rho), eps = T(o.eps), lr = T(o.lr), wd = T(o.weight_decay);
                     for (int64_t i = 0; i < n; ++i) {
                       const T d = g[i] + wd * w[i];
                       sq[i] = rho * sq[i] + (1 - rho) * d * d;
                       const T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * d;
                       acc[i] = rho * acc[i] + (1 - rho) * delta * delta;
                       w[i] -= lr * delta;
                     }
                   });
  });
}

}  // namespace xgrad::optim
