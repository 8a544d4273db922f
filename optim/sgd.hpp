// SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's formulation).
#pragma once

#include "optim/optimizer.hpp"

namespace xgrad::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public OptimizerWithOptions<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);
  void step() override;

 protected:
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }
};

}  // namespace xgrad::optim
