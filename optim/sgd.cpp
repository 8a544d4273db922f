// SGD: g += wd·p; b = μb + (1-τ)g (b = g on the first step); g = nesterov ? g + μb : b;
// p -= lr·g.
#include "optim/sgd.hpp"

#include "optim/update_loop.hpp"

namespace xgrad::optim {

void SGDOptions::validate() const {
  const SGDOptions& o = *this;
  detail::check_option("SGD", "lr", o.lr, 0);
  detail::check_option("SGD", "momentum", o.momentum, 0);
  detail::check_option("SGD", "dampening", o.dampening, 0, 1);
  detail::check_option("SGD", "weight_decay", o.weight_decay, 0);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw Error("SGD: nesterov needs momentum > 0 and dampening = 0");
}

SGDState SGD::init_state(const Tensor& p, const SGDOptions& o) const {
  return {0, o.momentum != 0 ? zeros_like(p) : Tensor()};
}

void SGD::step() {
  for_each_param([&](const SGDOptions& o, Tensor& p, const Tensor& grad, SGDState& s) {
    // A buffer starts as the gradient (PyTorch's), also when momentum is turned on later.
    bool first = s.step++ == 0;
    if (o.momentum != 0 && !s.momentum_buffer.defined()) {
      s.momentum_buffer = zeros_like(p);
      first = true;
    }
    detail::update(p, grad, {&s.momentum_buffer},
                   [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
                     const T lr = T(o.lr), wd = T(o.weight_decay), mu = T(o.momentum),
                             damp = T(1 - o.dampening);
                     T* b = buf[0];
                     for (int64_t i = 0; i < n; ++i) {
                       T d = g[i] + wd * w[i];
                       if (o.momentum != 0) {
                         b[i] = first ? d : mu * b[i] + damp * d;
                         d = o.nesterov ? d + mu * b[i] : b[i];
                       }
                       w[i] -= lr * d;
                     }
                   });
  });
}

}  // namespace xgrad::optim
