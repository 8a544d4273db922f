// Adadelta (Zeiler 2012), with PyTorch's lr multiplier (default 1.0).
#pragma once

#include "optimizer.hpp"

namespace xgrad::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  void validate() const;  // an Error naming the option that is out of range
};

struct AdadeltaState {
  int64_t step = 0;
  Tensor square_avg, acc_delta;
  template <class V>
  void visit(V&& v) {
    v("square_avg", square_avg, true);
    v("acc_delta", acc_delta, true);
  }
};

class Adadelta : public StatefulOptimizer<AdadeltaOptions, AdadeltaState> {
 public:
  using StatefulOptimizer::StatefulOptimizer;  // (params, options) or (groups)
  void step() override;

 protected:
  AdadeltaState init_state(const Tensor& param, const AdadeltaOptions& options) const override;
};

}  // namespace xgrad::optim
