// Adagrad (Duchi et al.) with learning-rate decay and an initial accumulator value.
#pragma once

#include "optimizer.hpp"

namespace xgrad::optim {

struct AdagradOptions {
  double lr = 0.01;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  void validate() const;  // an Error naming the option that is out of range
};

struct AdagradState {
  int64_t step = 0;
  Tensor sum;
  template <class V>
  void visit(V&& v) {
    v("sum", sum, true);
  }
};

class Adagrad : public StatefulOptimizer<AdagradOptions, AdagradState> {
 public:
  using StatefulOptimizer::StatefulOptimizer;  // (params, options) or (groups)
  void step() override;

 protected:
  AdagradState init_state(const Tensor& param, const AdagradOptions& options) const override;
};

}  // namespace xgrad::optim
