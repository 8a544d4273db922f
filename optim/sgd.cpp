// SGD: g += wd·p; b = μb + (1-τ)g (b = g on the first step); g = nesterov ? g + μb : b;
// p -= lr·g.
#include "optim/sgd.hpp"

#include "optim/update_loop.hpp"

namespace xgrad::optim {

namespace {
void validate(const SGDOptions& o) {
  detail::check_option("SGD", "lr", o.lr, 0);
  detail::check_option("SGD", "momentum", o.momentum, 0);
  detail::check_option("SGD", "dampening", o.dampening, 0, 1);
  detail::check_option("SGD", "weight_decay", o.weight_decay, 0);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw Error("SGD: nesterov needs momentum > 0 and dampening = 0");
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(std::vector<ParamGroup<SGDOptions>>{{std::move(params), options}}) {}
SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) : OptimizerWithOptions(std::move(groups)) {
  for (std::size_t g = 0; g < num_groups(); ++g) validate(options(g));
}

void SGD::step() {
  for_each_param([&](std::size_t group, Tensor& p, const Tensor& grad, ParamState& s) {
    const SGDOptions o = options(group);
    const bool first = s.step++ == 0;
    detail::update(p, grad, s.buffers, [&]<class T>(int64_t n, T* w, const T* g, auto buf) {
      const T lr = T(o.lr), wd = T(o.weight_decay), mu = T(o.momentum), damp = T(1 - o.dampening);
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
