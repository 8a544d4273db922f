// Adagrad (Duchi et al.) with learning-rate decay and an initial accumulator value.
#pragma once

#include "optim/optimizer.hpp"

namespace xgrad::optim {

struct AdagradOptions {
  double lr = 0.01;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

class Adagrad : public OptimizerWithOptions<AdagradOptions> {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
  explicit Adagrad(std::vector<ParamGroup<AdagradOptions>> groups);
  void step() override;

 protected:
  std::vector<std::string> buffer_names() const override { return {"sum"}; }
  std::vector<std::string> nonnegative_buffers() const override { return {"sum"}; }
};

}  // namespace xgrad::optim
