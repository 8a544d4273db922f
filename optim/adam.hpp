// Adam (Kingma & Ba) with optional L2 weight decay and AMSGrad, and AdamW (Loshchilov & Hutter)
// with decoupled weight decay.
#pragma once

#include "optim/optimizer.hpp"

namespace xgrad::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
};

class Adam : public OptimizerWithOptions<AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);
  void step() override;

 protected:
  Adam(std::vector<ParamGroup<AdamOptions>> groups, bool decoupled);
  std::vector<std::string> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  std::vector<std::string> nonnegative_buffers() const override {
    return {"exp_avg_sq", "max_exp_avg_sq"};
  }

 private:
  bool decoupled_weight_decay_ = false;
};

// AdamW: p *= 1 - lr·wd before the Adam update; default weight_decay 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = with_default_decay());
  explicit AdamW(std::vector<ParamGroup<AdamOptions>> groups);
  static AdamOptions with_default_decay() {
    AdamOptions o;
    o.weight_decay = 0.01;
    return o;
  }
};

}  // namespace xgrad::optim
