// Gradient clipping by total norm or by value.
#include "optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace xgrad::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  if (max_norm < 0) throw Error("clip_grad_norm_: max_norm must be non-negative");
  const bool inf = std::isinf(norm_type);
  if (!inf && norm_type <= 0) throw Error("clip_grad_norm_: norm_type must be positive");
  double total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    for (double v : g.to_vector())
      total = inf ? std::max(total, std::abs(v)) : total + std::pow(std::abs(v), norm_type);
  }
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  double coef = max_norm / (total + 1e-6);
  if (coef < 1) {
    NoGradGuard guard;
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) g.mul_(coef);
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (clip_value < 0) throw Error("clip_grad_value_: clip_value must be non-negative");
  NoGradGuard guard;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (g.defined()) g.copy_(clamp(g, -clip_value, clip_value));
  }
}

}  // namespace xgrad::optim
