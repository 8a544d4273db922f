// nn::functional: the activations (the same functions as xgrad::relu, ...), dropout (and its
// channel-wise dropout2d) and the losses as plain functions. Losses are compositions of
// differentiable ops.
#pragma once

#include "../autograd/ops.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn::functional {

using xgrad::elu;
using xgrad::gaussian;
using xgrad::gelu;
using xgrad::hardtanh;
using xgrad::leaky_relu;
using xgrad::linear;
using xgrad::log_sigmoid;
using xgrad::log_softmax;
using xgrad::mish;
using xgrad::relu;
using xgrad::sigmoid;
using xgrad::silu;
using xgrad::softmax;
using xgrad::softplus;
using xgrad::softsign;
using xgrad::tanh;

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);
// Zeroes whole channels of (N, C, H, W) or (C, H, W) input, each with probability p, and scales
// the kept ones by 1/(1-p). Note: a 3-d input is one image (C, H, W), as nn.Dropout2d documents
// (PyTorch itself still treats it as (N, C, L) there, with a deprecation warning).
Tensor dropout2d(const Tensor& x, double p, bool training, Generator* gen = nullptr);

enum class Reduction { none, mean, sum };

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r = Reduction::mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction r = Reduction::mean);
// 0.5 d² where |d| <= delta, else delta (|d| - 0.5 delta)
Tensor huber_loss(const Tensor& input, const Tensor& target, double delta = 1.0,
                  Reduction r = Reduction::mean);
// 0.5 d² / beta where |d| < beta, else |d| - 0.5 beta
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta = 1.0,
                      Reduction r = Reduction::mean);
// input holds probabilities; each log is clamped at -100, as PyTorch does.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const Tensor& weight = Tensor(), Reduction r = Reduction::mean);
// Stable on logits: (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& pos_weight = Tensor(),
                                        Reduction r = Reduction::mean);

struct CrossEntropyOptions {
  Tensor weight;  // per-class weights (C), optional
  double label_smoothing = 0.0;
  Reduction reduction = Reduction::mean;
};
// logits (N, C); target either class indices (N) or probabilities / one-hot (N, C).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});
// log_probs (N, C), class-index target (N); weighted mean divides by the targets' weights.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                Reduction r = Reduction::mean);

}  // namespace xgrad::nn::functional
