// Adadelta (Zeiler 2012), with PyTorch's lr multiplier (default 1.0).
#pragma once

#include "optim/optimizer.hpp"

namespace xgrad::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
};

class Adadelta : public OptimizerWithOptions<AdadeltaOptions> {
 public:
  Adadelta(std::vector<Tensor> params, AdadeltaOptions options = {});
  explicit Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups);
  void step() override;

 protected:
  std::vector<std::string> buffer_names() const override { return {"square_avg", "acc_delta"}; }
  std::vector<std::string> nonnegative_buffers() const override { return {"square_avg", "acc_delta"}; }
};

}  // namespace xgrad::optim
