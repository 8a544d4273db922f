// Normalisation as compositions: (x - mean) / √(var + eps), then the per-channel affine map.
// Running statistics are updated in place under no-grad with the unbiased batch variance, as
// PyTorch; the normalisation itself uses the biased one.
#include "nn/normalization.hpp"

#include <numeric>

#include "tensor/grad_mode.hpp"

namespace xgrad::nn {

namespace {

std::string str(const Tensor& t) { return format_shape(t.shape()); }

// (1, C, 1, ..., 1) for a tensor of `rank` dims: per-channel values broadcast over x.
Shape channel_shape(int64_t rank, int64_t channels) {
  Shape s(static_cast<std::size_t>(rank), 1);
  s[1] = channels;
  return s;
}

void check_vector(const char* op, const char* what, const Tensor& t, int64_t size,
                  const Tensor& x) {
  if (t.defined() && (t.dim() != 1 || t.shape()[0] != size))
    throw Error(std::string(op) + ": " + what + " " + str(t) + " must have " +
                std::to_string(size) + " entries for input " + str(x));
}

Tensor affine(Tensor y, const Tensor& weight, const Tensor& bias, const Shape& shape) {
  if (weight.defined()) y = mul(y, reshape(weight, shape));
  if (bias.defined()) y = add(y, reshape(bias, shape));
  return y;
}

Tensor normalize(const Tensor& x, const Tensor& mean_, const Tensor& var_, double eps) {
  return div(sub(x, mean_), sqrt(add(var_, eps)));
}

// running ← (1 - m) running + m value, under no-grad.
void move_towards(Tensor& running, const Tensor& value, double momentum) {
  const NoGradGuard no_grad;
  running.mul_(1.0 - momentum);
  running.add_(value.to(running.dtype()), momentum);
}

}  // namespace

namespace functional {

Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  if (x.dim() < 2) throw Error("batch_norm: expected input (N, C, ...), got " + str(x));
  if (!is_floating_point(x.dtype()))
    throw Error(std::string("batch_norm: expected a floating input, got ") + dtype_name(x.dtype()));
  const int64_t c = x.shape()[1];
  check_vector("batch_norm", "running_mean", running_mean, c, x);
  check_vector("batch_norm", "running_var", running_var, c, x);
  check_vector("batch_norm", "weight", weight, c, x);
  check_vector("batch_norm", "bias", bias, c, x);
  if (running_mean.defined() != running_var.defined())
    throw Error("batch_norm: give both running_mean and running_var, or neither");
  const Shape shape = channel_shape(x.dim(), c);
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const bool batch_stats = training || !running_mean.defined();
  if (!batch_stats)
    return affine(normalize(x, reshape(running_mean, shape), reshape(running_var, shape), eps),
                  weight, bias, shape);
  const int64_t count = c == 0 ? 0 : x.numel() / c;
  if (training && count <= 1)
    throw Error("batch_norm: expected more than 1 value per channel when training, got input " +
                str(x));
  Tensor batch_mean = mean(x, dims, true), batch_var = var(x, dims, false, true);
  if (training && running_mean.defined()) {
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    move_towards(running_mean, reshape(batch_mean.detach(), {c}), momentum);
    move_towards(running_var, mul(reshape(batch_var.detach(), {c}), unbias), momentum);
  }
  return affine(normalize(x, batch_mean, batch_var, eps), weight, bias, shape);
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  const bool fits =
      k >= 1 && k <= x.dim() &&
      std::equal(normalized_shape.begin(), normalized_shape.end(), x.shape().end() - k);
  if (!fits)
    throw Error("layer_norm: input " + str(x) + " does not end in normalized_shape " +
                format_shape(normalized_shape));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && t->shape() != normalized_shape)
      throw Error("layer_norm: weight and bias must have normalized_shape " +
                  format_shape(normalized_shape) + ", got " + str(*t));
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  Tensor y = normalize(x, mean(x, dims, true), var(x, dims, false, true), eps);
  if (weight.defined()) y = mul(y, weight);
  if (bias.defined()) y = add(y, bias);
  return y;
}

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  if (x.dim() < 2) throw Error("group_norm: expected input (N, C, ...), got " + str(x));
  const int64_t n = x.shape()[0], c = x.shape()[1];
  if (num_groups < 1 || c % num_groups != 0)
    throw Error("group_norm: num_groups " + std::to_string(num_groups) +
                " must be positive and divide the " + std::to_string(c) + " channels of input " +
                str(x));
  check_vector("group_norm", "weight", weight, c, x);
  check_vector("group_norm", "bias", bias, c, x);
  Tensor grouped = reshape(x, {n, num_groups, -1});
  Tensor y = reshape(
      normalize(grouped, mean(grouped, {2}, true), var(grouped, {2}, false, true), eps), x.shape());
  return affine(y, weight, bias, channel_shape(x.dim(), c));
}

Tensor instance_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                     const Tensor& bias, bool use_input_stats, double momentum, double eps) {
  if (x.dim() < 3) throw Error("instance_norm: expected input (N, C, spatial...), got " + str(x));
  const int64_t c = x.shape()[1];
  check_vector("instance_norm", "running_mean", running_mean, c, x);
  check_vector("instance_norm", "running_var", running_var, c, x);
  check_vector("instance_norm", "weight", weight, c, x);
  check_vector("instance_norm", "bias", bias, c, x);
  const Shape shape = channel_shape(x.dim(), c);
  if (!use_input_stats) {
    if (!running_mean.defined() || !running_var.defined())
      throw Error("instance_norm: using running statistics needs running_mean and running_var");
    return affine(normalize(x, reshape(running_mean, shape), reshape(running_var, shape), eps),
                  weight, bias, shape);
  }
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const int64_t count = x.numel() / std::max<int64_t>(1, x.shape()[0] * c);
  if (count <= 1)
    throw Error("instance_norm: expected more than 1 spatial element per channel, got input " +
                str(x));
  Tensor m = mean(x, dims, true), v = var(x, dims, false, true);
  if (running_mean.defined()) {
    // The running statistics follow the batch's average of each instance's statistics.
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    move_towards(running_mean, reshape(mean(m.detach(), {0}), {c}), momentum);
    move_towards(running_var, mul(reshape(mean(v.detach(), {0}), {c}), unbias), momentum);
  }
  return affine(normalize(x, m, v, eps), weight, bias, shape);
}

}  // namespace functional

NormBase::NormBase(const char* type, int64_t n, BatchNormOptions o)
    : num_features(n), options(o), type_(type) {
  if (n <= 0)
    throw Error(std::string(type) + ": num_features must be positive, got " + std::to_string(n));
  if (o.eps <= 0) throw Error(std::string(type) + ": eps must be positive");
  if (o.affine) {
    weight = register_parameter("weight", ones({n}));
    bias = register_parameter("bias", zeros({n}));
  }
  if (o.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({n}));
    running_var = register_buffer("running_var", ones({n}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, Dtype::int64));
  }
}

double NormBase::step_momentum() {
  if (!num_batches_tracked.defined()) return options.momentum.value_or(0.0);
  {
    const NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  if (options.momentum) return *options.momentum;
  return 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());  // cumulative average
}

void NormBase::check_input(const Tensor& x, int64_t dims, int64_t alt_dims,
                           const char* expected) const {
  const bool rank_ok = x.dim() == dims || x.dim() == alt_dims;
  // An alternative with fewer dims is the unbatched form (C, ...).
  const int64_t channel_dim = x.dim() == alt_dims && alt_dims < dims ? 0 : 1;
  if (rank_ok && x.shape()[channel_dim] == num_features) return;
  std::string want(expected);
  const std::string key = "C";
  for (std::size_t at; (at = want.find(key)) != std::string::npos;)
    want.replace(at, 1, std::to_string(num_features));
  throw Error(std::string(type_) + "(" + std::to_string(num_features) + "): expected input " +
              want + ", got " + str(x));
}

std::string NormBase::extra_repr() const {
  return std::to_string(num_features) + ", eps=" + std::to_string(options.eps) + ", momentum=" +
         (options.momentum ? std::to_string(*options.momentum) : std::string("None")) +
         ", affine=" + (options.affine ? "true" : "false") +
         ", track_running_stats=" + (options.track_running_stats ? "true" : "false");
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  check_input(x, 2, 3, "(N, C) or (N, C, L)");
  // PyTorch: batch statistics while training, or always when no running statistics are kept.
  const bool training = is_training() || !running_mean.defined();
  const double m = is_training() ? step_momentum() : 0.0;
  return functional::batch_norm(x, running_mean, running_var, weight, bias, training, m,
                                options.eps);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  check_input(x, 4, 4, "(N, C, H, W)");
  const bool training = is_training() || !running_mean.defined();
  const double m = is_training() ? step_momentum() : 0.0;
  return functional::batch_norm(x, running_mean, running_var, weight, bias, training, m,
                                options.eps);
}

Tensor InstanceNorm2d::forward(const Tensor& x) {
  check_input(x, 4, 3, "(N, C, H, W) or (C, H, W)");
  const Tensor xb = x.dim() == 3 ? unsqueeze(x, 0) : x;
  const bool use_input_stats = is_training() || !running_mean.defined();
  const double m = is_training() ? step_momentum() : 0.0;
  Tensor y = functional::instance_norm(xb, running_mean, running_var, weight, bias, use_input_stats,
                                       m, options.eps);
  return x.dim() == 3 ? squeeze(y, 0) : y;
}

LayerNorm::LayerNorm(Shape shape, double eps_, bool elementwise_affine, bool with_bias)
    : normalized_shape(std::move(shape)), eps(eps_) {
  if (normalized_shape.empty())
    throw Error("LayerNorm: normalized_shape must have at least one dim");
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    if (with_bias) bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return functional::layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  return format_shape(normalized_shape) + ", eps=" + std::to_string(eps) +
         ", elementwise_affine=" + (weight.defined() ? "true" : "false");
}

GroupNorm::GroupNorm(int64_t groups, int64_t channels, double eps_, bool affine)
    : num_groups(groups), num_channels(channels), eps(eps_) {
  if (groups < 1 || channels < 1 || channels % groups != 0)
    throw Error("GroupNorm: num_groups " + std::to_string(groups) +
                " must be positive and divide num_channels " + std::to_string(channels));
  if (affine) {
    weight = register_parameter("weight", ones({channels}));
    bias = register_parameter("bias", zeros({channels}));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  if (x.dim() < 2 || x.shape()[1] != num_channels)
    throw Error("GroupNorm(" + std::to_string(num_groups) + ", " + std::to_string(num_channels) +
                "): expected input (N, " + std::to_string(num_channels) + ", ...), got " + str(x));
  return functional::group_norm(x, num_groups, weight, bias, eps);
}

std::string GroupNorm::extra_repr() const {
  return std::to_string(num_groups) + ", " + std::to_string(num_channels) +
         ", eps=" + std::to_string(eps) + ", affine=" + (weight.defined() ? "true" : "false");
}

}  // namespace xgrad::nn
