// RMSprop (Hinton's lecture 6e), with momentum and the centered variant (PyTorch's form).
#pragma once

#include "optimizer.hpp"

namespace xgrad::optim {

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  void validate() const;  // an Error naming the option that is out of range
};

// grad_avg only when centered, momentum_buffer only with momentum.
struct RMSpropState {
  int64_t step = 0;
  Tensor square_avg, grad_avg, momentum_buffer;
  template <class V>
  void visit(V&& v) {
    v("square_avg", square_avg, true);
    v("grad_avg", grad_avg, false);
    v("momentum_buffer", momentum_buffer, false);
  }
};

class RMSprop : public StatefulOptimizer<RMSpropOptions, RMSpropState> {
 public:
  using StatefulOptimizer::StatefulOptimizer;  // (params, options) or (groups)
  void step() override;

 protected:
  RMSpropState init_state(const Tensor& param, const RMSpropOptions& options) const override;
};

}  // namespace xgrad::optim
