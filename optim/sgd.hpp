// SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's formulation).
#pragma once

#include "optimizer.hpp"

namespace xgrad::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  void validate() const;  // an Error naming the option that is out of range
};

// momentum_buffer only with momentum.
struct SGDState {
  int64_t step = 0;
  Tensor momentum_buffer;
  template <class V>
  void visit(V&& v) {
    v("momentum_buffer", momentum_buffer, false);
  }
};

class SGD : public StatefulOptimizer<SGDOptions, SGDState> {
 public:
  using StatefulOptimizer::StatefulOptimizer;  // (params, options) or (groups)
  void step() override;

 protected:
  SGDState init_state(const Tensor& param, const SGDOptions& options) const override;
};

}  // namespace xgrad::optim
