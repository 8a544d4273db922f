// Adam / AdamW in one pass per parameter:
//   g += wd·p (Adam) or p *= 1 - lr·wd (AdamW)
//   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  v̂max = max(v̂max, v) with AMSGrad
//   p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)
#include "optim/adam.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace xgrad::optim {

void AdamOptions::validate() const {
  const AdamOptions& o = *this;
  detail::check_option("Adam", "lr", o.lr, 0);
  detail::check_option("Adam", "eps", o.eps, 0);
  detail::check_option("Adam", "weight_decay", o.weight_decay, 0);
  detail::check_option("Adam", "beta1", o.beta1, 0, 1, true);
  detail::check_option("Adam", "beta2", o.beta2, 0, 1, true);
}

AdamState Adam::init_state(const Tensor& p, const AdamOptions& o) const {
  return {0, zeros_like(p), zeros_like(p), o.amsgrad ? zeros_like(p) : Tensor()};
}

void Adam::step() {
  for_each_param([&](const AdamOptions& o, Tensor& p, const Tensor& grad, AdamState& s) {
    if (o.amsgrad && !s.max_exp_avg_sq.defined()) s.max_exp_avg_sq = zeros_like(p);  // turned on
    const int64_t t = ++s.step;
    const double bc1 = 1 - std::pow(o.beta1, static_cast<double>(t));
    const double bc2_sqrt = std::sqrt(1 - std::pow(o.beta2, static_cast<double>(t)));
    const bool decoupled = decoupled_weight_decay_;
    detail::update(
        p, grad, {&s.exp_avg, &s.exp_avg_sq, &s.max_exp_avg_sq},
        [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
          T* m = buf[0];
          T* v = buf[1];
          T* vmax = buf[2];
          const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps);
          const T step_size = T(o.lr / bc1), inv_bc2_sqrt = T(1 / bc2_sqrt);
          const T l2 = decoupled ? T(0) : T(o.weight_decay);
          const T shrink = decoupled ? T(1 - o.lr * o.weight_decay) : T(1);
          auto moments = [&](int64_t i) {
            const T d = g[i] + l2 * w[i];
            m[i] = b1 * m[i] + (1 - b1) * d;
            v[i] = b2 * v[i] + (1 - b2) * d * d;
          };
          // Two loops rather than a branch inside one, so each vectorises.
          if (o.amsgrad) {
            for (int64_t i = 0; i < n; ++i) {
              moments(i);
              vmax[i] = std::max(vmax[i], v[i]);
              w[i] = w[i] * shrink - step_size * m[i] / (std::sqrt(vmax[i]) * inv_bc2_sqrt + eps);
            }
          } else {
            for (int64_t i = 0; i < n; ++i) {
              moments(i);
              w[i] = w[i] * shrink - step_size * m[i] / (std::sqrt(v[i]) * inv_bc2_sqrt + eps);
            }
          }
        });
  });
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options) : Adam(std::move(params), options) {
  decoupled_weight_decay_ = true;
}
AdamW::AdamW(std::vector<GroupSpec<AdamOptions>> groups) : Adam(std::move(groups)) {
  decoupled_weight_decay_ = true;
}

}  // namespace xgrad::optim
