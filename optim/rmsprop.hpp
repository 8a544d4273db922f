// RMSprop (Hinton's lecture 6e), with momentum and the centered variant (PyTorch's form).
#pragma once

#include "optim/optimizer.hpp"

namespace xgrad::optim {

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  explicit RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups);
  void step() override;

 protected:
  std::vector<std::string> buffer_names() const override {
    return {"square_avg", "grad_avg", "momentum_buffer"};
  }
  std::vector<std::string> nonnegative_buffers() const override { return {"square_avg"}; }
};

}  // namespace xgrad::optim
