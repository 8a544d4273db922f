// Gradient clipping, in place.
#pragma once

#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::optim {

// Scales all gradients so their joint norm is at most max_norm; returns the norm before
// clipping. norm_type 2 (Euclidean) or infinity.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace xgrad::optim
