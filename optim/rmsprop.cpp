// RMSprop: g += wd·p; s = αs + (1-α)g²; centered: a = αa + (1-α)g, d = √(s - a²) + ε,
// else d = √s + ε; momentum: b = μb + g/d, p -= lr·b; else p -= lr·g/d.
#include "optim/rmsprop.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace xgrad::optim {

void RMSpropOptions::validate() const {
  const RMSpropOptions& o = *this;
  detail::check_option("RMSprop", "lr", o.lr, 0);
  detail::check_option("RMSprop", "alpha", o.alpha, 0);
  detail::check_option("RMSprop", "eps", o.eps, 0);
  detail::check_option("RMSprop", "momentum", o.momentum, 0);
  detail::check_option("RMSprop", "weight_decay", o.weight_decay, 0);
}

RMSpropState RMSprop::init_state(const Tensor& p, const RMSpropOptions& o) const {
  return {0, zeros_like(p), o.centered ? zeros_like(p) : Tensor(),
          o.momentum > 0 ? zeros_like(p) : Tensor()};
}

void RMSprop::step() {
  for_each_param([&](const RMSpropOptions& o, Tensor& p, const Tensor& grad, RMSpropState& s) {
    if (o.centered && !s.grad_avg.defined()) s.grad_avg = zeros_like(p);  // options changed
    if (o.momentum > 0 && !s.momentum_buffer.defined()) s.momentum_buffer = zeros_like(p);
    ++s.step;
    detail::update(p, grad, {&s.square_avg, &s.grad_avg, &s.momentum_buffer},
                   [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
                     T* sq = buf[0];
                     T* avg = buf[1];
                     T* mom = buf[2];
                     const T alpha = T(o.alpha), eps = T(o.eps), lr = T(o.lr),
                             wd = T(o.weight_decay), mu = T(o.momentum);
                     for (int64_t i = 0; i < n; ++i) {
                       const T d = g[i] + wd * w[i];
                       sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
                       T denom;
                       if (o.centered) {
                         avg[i] = alpha * avg[i] + (1 - alpha) * d;
                         denom = std::sqrt(sq[i] - avg[i] * avg[i]) + eps;
                       } else {
                         denom = std::sqrt(sq[i]) + eps;
                       }
                       if (o.momentum > 0) {
                         mom[i] = mu * mom[i] + d / denom;
                         w[i] -= lr * mom[i];
                       } else {
                         w[i] -= lr * d / denom;
                       }
                     }
                   });
  });
}

}  // namespace xgrad::optim
