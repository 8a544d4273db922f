// Loss modules: configured once, called as loss(input, target). They forward to
// nn::functional, where the formulas live.
#pragma once

#include "functional.hpp"

namespace xgrad::nn {

using functional::CrossEntropyOptions;
using functional::Reduction;

class Loss {
 public:
  virtual ~Loss() = default;
  virtual Tensor forward(const Tensor& input, const Tensor& target) const = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return forward(input, target);
  }
};

// A loss configured by a reduction only: MSELoss, L1Loss.
template <Tensor (*Fn)(const Tensor&, const Tensor&, Reduction)>
class ReducedLoss : public Loss {
 public:
  explicit ReducedLoss(Reduction r = Reduction::mean) : r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override { return Fn(i, t, r_); }

 private:
  Reduction r_;
};

// A loss with one threshold (delta, beta; default 1) and a reduction: HuberLoss, SmoothL1Loss.
template <Tensor (*Fn)(const Tensor&, const Tensor&, double, Reduction)>
class ThresholdLoss : public Loss {
 public:
  explicit ThresholdLoss(double threshold = 1.0, Reduction r = Reduction::mean)
      : threshold_(threshold), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return Fn(i, t, threshold_, r_);
  }

 private:
  double threshold_;
  Reduction r_;
};

// A loss with an optional weight tensor and a reduction: BCELoss (weight),
// BCEWithLogitsLoss (pos_weight), NLLLoss (class weights).
template <Tensor (*Fn)(const Tensor&, const Tensor&, const Tensor&, Reduction)>
class WeightedLoss : public Loss {
 public:
  explicit WeightedLoss(Tensor weight = Tensor(), Reduction r = Reduction::mean)
      : weight_(std::move(weight)), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override { return Fn(i, t, weight_, r_); }

 private:
  Tensor weight_;
  Reduction r_;
};

using MSELoss = ReducedLoss<functional::mse_loss>;
using L1Loss = ReducedLoss<functional::l1_loss>;
using HuberLoss = ThresholdLoss<functional::huber_loss>;         // HuberLoss(delta)
using SmoothL1Loss = ThresholdLoss<functional::smooth_l1_loss>;  // SmoothL1Loss(beta)
using BCELoss = WeightedLoss<functional::binary_cross_entropy>;
using BCEWithLogitsLoss = WeightedLoss<functional::binary_cross_entropy_with_logits>;
using NLLLoss = WeightedLoss<functional::nll_loss>;

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {}) : options_(std::move(options)) {}
  Tensor forward(const Tensor& logits, const Tensor& target) const override {
    return functional::cross_entropy(logits, target, options_);
  }

 private:
  CrossEntropyOptions options_;
};

}  // namespace xgrad::nn
