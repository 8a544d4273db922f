// Losses and dropout, composed from differentiable ops (no derivative code here).
#include "nn/functional.hpp"
#include "autograd/profiler.hpp"

#include <cmath>

namespace xgrad::nn::functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  const xgrad::detail::OpScope profile_scope("dropout", x);
  if (!(p >= 0.0 && p < 1.0)) throw Error("dropout: p must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  Tensor keep = ge(rand(x.shape(), x.dtype(), gen), p);
  return mul(x, mul(keep, 1.0 / (1.0 - p)));
}

Tensor dropout2d(const Tensor& x, double p, bool training, Generator* gen) {
  const xgrad::detail::OpScope profile_scope("dropout2d", x);
  if (!(p >= 0.0 && p < 1.0))
    throw Error("dropout2d: p must be in [0, 1), got " + std::to_string(p));
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("dropout2d: expected input (N, C, H, W) or (C, H, W), got " +
                format_shape(x.shape()));
  if (!training || p == 0.0) return x;
  // One draw per channel, broadcast over its H × W pixels.
  Shape mask = x.shape();
  mask[mask.size() - 1] = mask[mask.size() - 2] = 1;
  Tensor keep = ge(rand(mask, x.dtype(), gen), p);
  return mul(x, mul(keep, 1.0 / (1.0 - p)));
}

namespace {

Tensor reduce(const Tensor& losses, Reduction r) {
  switch (r) {
    case Reduction::none:
      return losses;
    case Reduction::sum:
      return sum(losses);
    case Reduction::mean:
      return mean(losses);
  }
  return losses;
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  if (input.shape() != target.shape())
    throw Error(std::string(op) + ": input " + format_shape(input.shape()) + " and target " +
                format_shape(target.shape()) + " differ in shape");
  if (input.dtype() != target.dtype())
    throw Error(std::string(op) + ": input is " + dtype_name(input.dtype()) + ", target is " +
                dtype_name(target.dtype()));
}

// Checks that `target` holds one class index per row of the (N, C) scores.
void check_class_target(const char* op, const Tensor& scores, const Tensor& target) {
  if (scores.dim() != 2)
    throw Error(std::string(op) + ": expected (N, C) scores, got " + format_shape(scores.shape()));
  if (target.dim() != 1 || target.shape()[0] != scores.shape()[0])
    throw Error(std::string(op) + ": target " + format_shape(target.shape()) +
                " does not match scores " + format_shape(scores.shape()) +
                " (expected class indices (N,) or probabilities (N, C))");
  if (target.dtype() != Dtype::int64 && target.dtype() != Dtype::int32)
    throw Error(std::string(op) + ": class-index target must be int64 or int32, got " +
                dtype_name(target.dtype()) +
                "; for class probabilities pass a target of the scores' shape (N, C)");
}

// Class-index target (N) for logits (N, C): validated, as an (N, 1) index tensor.
Tensor class_indices(const char* op, const Tensor& scores, const Tensor& target) {
  check_class_target(op, scores, target);
  return reshape(target.detach(), {-1, 1});
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r) {
  const xgrad::detail::OpScope profile_scope("mse_loss", input, target);
  check_same_shape("mse_loss", input, target);
  Tensor d = sub(input, target);
  return reduce(mul(d, d), r);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction r) {
  const xgrad::detail::OpScope profile_scope("l1_loss", input, target);
  check_same_shape("l1_loss", input, target);
  return reduce(abs(sub(input, target)), r);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, double delta, Reduction r) {
  const xgrad::detail::OpScope profile_scope("huber_loss", input, target);
  check_same_shape("huber_loss", input, target);
  if (delta <= 0) throw Error("huber_loss: delta must be positive");
  Tensor d = sub(input, target), a = abs(d);
  return reduce(where(le(a, delta), mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta)), r);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta, Reduction r) {
  const xgrad::detail::OpScope profile_scope("smooth_l1_loss", input, target);
  check_same_shape("smooth_l1_loss", input, target);
  if (beta < 0) throw Error("smooth_l1_loss: beta must be non-negative");
  Tensor d = sub(input, target), a = abs(d);
  if (beta == 0) return reduce(a, r);
  return reduce(where(lt(a, beta), mul(mul(d, d), 0.5 / beta), sub(a, 0.5 * beta)), r);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction r) {
  const xgrad::detail::OpScope profile_scope("binary_cross_entropy", input, target, weight);
  check_same_shape("binary_cross_entropy", input, target);
  for (double v : input.to_vector())
    if (!(v >= 0.0 && v <= 1.0))
      throw Error("binary_cross_entropy: input must hold probabilities in [0, 1], got " +
                  std::to_string(v));
  Tensor losses = binary_cross_entropy_elementwise(input, target);
  if (weight.defined()) losses = mul(losses, weight);
  return reduce(losses, r);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& pos_weight, Reduction r) {
  const xgrad::detail::OpScope profile_scope("binary_cross_entropy_with_logits", input, target,
                                             pos_weight);
  check_same_shape("binary_cross_entropy_with_logits", input, target);
  Tensor log_weight = pos_weight.defined() ? add(mul(sub(pos_weight, 1.0), target), 1.0) : Tensor();
  Tensor sp = softplus(neg(input));  // log(1 + e^-x), stable for any x
  Tensor losses =
      add(mul(sub(1.0, target), input), log_weight.defined() ? mul(log_weight, sp) : sp);
  return reduce(losses, r);
}

namespace {
// Negative log-likelihood of class-index targets; `op` names the caller in errors.
Tensor nll(const char* op, const Tensor& log_probs, const Tensor& target, const Tensor& weight,
           Reduction r) {
  Tensor index = class_indices(op, log_probs, target);
  Tensor picked = reshape(gather(log_probs, 1, index), {-1});  // log p[target]
  if (!weight.defined()) return reduce(neg(picked), r);
  Tensor w = index_select(weight.detach(), 0, reshape(index, {-1}));
  Tensor losses = neg(mul(picked, w));
  if (r == Reduction::mean) return div(sum(losses), sum(w));
  return reduce(losses, r);
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, Reduction r) {
  const xgrad::detail::OpScope profile_scope("nll_loss", log_probs, target, weight);
  return nll("nll_loss", log_probs, target, weight, r);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& o) {
  const xgrad::detail::OpScope profile_scope("cross_entropy", logits, target);
  if (o.label_smoothing < 0.0 || o.label_smoothing > 1.0)
    throw Error("cross_entropy: label_smoothing must be in [0, 1]");
  const double eps = o.label_smoothing;
  if (target.shape() != logits.shape() && eps == 0.0 && !o.weight.defined()) {
    check_class_target("cross_entropy", logits, target);
    return reduce(cross_entropy_per_sample(logits, target), o.reduction);
  }
  Tensor logp = log_softmax(logits, 1);
  const int64_t classes = logits.dim() == 2 ? logits.shape()[1] : 0;
  if (target.shape() == logits.shape()) {
    // Probability / one-hot targets: -Σ_c w_c t_c log p_c, averaged over the batch.
    Tensor t = eps > 0 ? add(mul(target, 1.0 - eps), eps / static_cast<double>(classes)) : target;
    Tensor terms = mul(t, logp);
    if (o.weight.defined()) terms = mul(terms, o.weight);
    Tensor losses = neg(sum(terms, {1}));
    return reduce(losses, o.reduction);
  }
  Tensor nll_part = nll("cross_entropy", logp, target, o.weight, o.reduction);
  if (eps == 0.0) return nll_part;
  // Label smoothing adds eps/C · Σ_c -w_c log p_c per sample, with the same normalisation.
  Tensor all = o.weight.defined() ? mul(logp, o.weight) : logp;
  Tensor smooth = neg(sum(all, {1}));
  Tensor smooth_reduced;
  if (o.reduction == Reduction::mean && o.weight.defined())
    smooth_reduced = div(sum(smooth), sum(index_select(o.weight.detach(), 0, target.detach())));
  else
    smooth_reduced = reduce(smooth, o.reduction);
  return add(mul(nll_part, 1.0 - eps), mul(smooth_reduced, eps / static_cast<double>(classes)));
}

}  // namespace xgrad::nn::functional
