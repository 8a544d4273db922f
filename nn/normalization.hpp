// Normalisation: batch norm (1-D and 2-D, running statistics as buffers, momentum or a
// cumulative average, train/eval as PyTorch), layer norm, group norm and instance norm, as
// functions and layers, composed of differentiable reductions.
#pragma once

#include <optional>

#include "module.hpp"

namespace xgrad::nn {

namespace functional {

// x (N, C, ...) normalised per channel: with the batch's statistics when training or when no
// running statistics are given (then running_mean / running_var, if defined, move towards the
// batch's mean and unbiased variance by `momentum`), else with the running statistics.
// weight and bias (C) are optional.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, double momentum = 0.1, double eps = 1e-5);
// Over the last normalized_shape.size() dims, which must equal normalized_shape; weight and
// bias of normalized_shape, optional.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// x (N, C, ...): the channels split into num_groups groups, each normalised over its channels
// and the spatial dims; weight and bias (C) optional.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// Each (n, c) plane normalised over its spatial dims; running statistics (C), if defined, are
// updated from the batch's average when use_input_stats and used otherwise.
Tensor instance_norm(const Tensor& x, Tensor running_mean = Tensor(), Tensor running_var = Tensor(),
                     const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                     bool use_input_stats = true, double momentum = 0.1, double eps = 1e-5);

}  // namespace functional

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  // nullopt: a cumulative moving average
  bool affine = true;                    // learnable weight (ones) and bias (zeros)
  bool track_running_stats = true;       // buffers running_mean, running_var, num_batches_tracked
};

// The common part of BatchNorm1d/2d and InstanceNorm2d: parameters, buffers and the momentum.
class NormBase : public Module {
 public:
  std::string extra_repr() const override;
  Tensor weight, bias;                                    // undefined unless affine
  Tensor running_mean, running_var, num_batches_tracked;  // undefined unless tracked
  int64_t num_features;
  BatchNormOptions options;

 protected:
  NormBase(const char* type, int64_t num_features, BatchNormOptions options);
  // The factor for this step's update of the running statistics (counts the batch).
  double step_momentum();
  // "BatchNorm2d(16): expected input (N, 16, H, W), got (...)" unless x has `dims` dims (or one
  // of `dims` and `alt_dims`) and num_features channels at `channel_dim`.
  void check_input(const Tensor& x, int64_t dims, int64_t alt_dims, const char* expected) const;
  const char* type_;
};

// Input (N, C) or (N, C, L).
class BatchNorm1d : public NormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : NormBase("BatchNorm1d", num_features, options) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<BatchNorm1d>(num_features, options);
  }
};

// Input (N, C, H, W).
class BatchNorm2d : public NormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : NormBase("BatchNorm2d", num_features, options) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<BatchNorm2d>(num_features, options);
  }
};

// Input (N, C, H, W) or (C, H, W). PyTorch's defaults: no affine, no running statistics.
inline BatchNormOptions instance_norm_defaults() { return {1e-5, 0.1, false, false}; }
class InstanceNorm2d : public NormBase {
 public:
  explicit InstanceNorm2d(int64_t num_features, BatchNormOptions options = instance_norm_defaults())
      : NormBase("InstanceNorm2d", num_features, options) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<InstanceNorm2d>(num_features, options);
  }
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<LayerNorm>(normalized_shape, eps, weight.defined(), bias.defined());
  }
  std::string extra_repr() const override;
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<GroupNorm>(num_groups, num_channels, eps, weight.defined());
  }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t num_groups, num_channels;
  double eps;
};

}  // namespace xgrad::nn
