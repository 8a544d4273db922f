// Loss modules: configured once, called as loss(input, target). They forward to
// nn::functional, where the formulas live.
#pragma once

#include "nn/functional.hpp"

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

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction r = Reduction::mean) : r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::mse_loss(i, t, r_);
  }

 private:
  Reduction r_;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction r = Reduction::mean) : r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::l1_loss(i, t, r_);
  }

 private:
  Reduction r_;
};

class HuberLoss : public Loss {
 public:
  explicit HuberLoss(double delta = 1.0, Reduction r = Reduction::mean) : delta_(delta), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::huber_loss(i, t, delta_, r_);
  }

 private:
  double delta_;
  Reduction r_;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(double beta = 1.0, Reduction r = Reduction::mean) : beta_(beta), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::smooth_l1_loss(i, t, beta_, r_);
  }

 private:
  double beta_;
  Reduction r_;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(Tensor weight = Tensor(), Reduction r = Reduction::mean)
      : weight_(std::move(weight)), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::binary_cross_entropy(i, t, weight_, r_);
  }

 private:
  Tensor weight_;
  Reduction r_;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Tensor pos_weight = Tensor(), Reduction r = Reduction::mean)
      : pos_weight_(std::move(pos_weight)), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::binary_cross_entropy_with_logits(i, t, pos_weight_, r_);
  }

 private:
  Tensor pos_weight_;
  Reduction r_;
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {}) : options_(std::move(options)) {}
  Tensor forward(const Tensor& logits, const Tensor& target) const override {
    return functional::cross_entropy(logits, target, options_);
  }

 private:
  CrossEntropyOptions options_;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(Tensor weight = Tensor(), Reduction r = Reduction::mean)
      : weight_(std::move(weight)), r_(r) {}
  Tensor forward(const Tensor& i, const Tensor& t) const override {
    return functional::nll_loss(i, t, weight_, r_);
  }

 private:
  Tensor weight_;
  Reduction r_;
};

}  // namespace xgrad::nn
