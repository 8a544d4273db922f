// Adam (Kingma & Ba) with optional L2 weight decay and AMSGrad, and AdamW (Loshchilov & Hutter)
// with decoupled weight decay.
#pragma once

#include "optimizer.hpp"

namespace xgrad::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  void validate() const;  // an Error naming the option that is out of range
};

// PyTorch's names; max_exp_avg_sq only with amsgrad.
struct AdamState {
  int64_t step = 0;
  Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
  template <class V>
  void visit(V&& v) {
    v("exp_avg", exp_avg, false);
    v("exp_avg_sq", exp_avg_sq, true);
    v("max_exp_avg_sq", max_exp_avg_sq, true);
  }
};

class Adam : public StatefulOptimizer<AdamOptions, AdamState> {
 public:
  using StatefulOptimizer::StatefulOptimizer;  // (params, options) or (groups)
  void step() override;

 protected:
  AdamState init_state(const Tensor& param, const AdamOptions& options) const override;
  bool decoupled_weight_decay_ = false;  // AdamW
};

// AdamW: p *= 1 - lr·wd before the Adam update; default weight_decay 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = with_default_decay());
  explicit AdamW(std::vector<GroupSpec<AdamOptions>> groups);
  static AdamOptions with_default_decay() {
    AdamOptions o;
    o.weight_decay = 0.01;
    return o;
  }
};

}  // namespace xgrad::optim
