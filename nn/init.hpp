// Parameter initialisers (in place, under no-grad), with fan modes and gains as PyTorch defines
// them. Each takes an optional generator; nullptr uses the default one (xgrad::manual_seed).
#pragma once

#include <string>

#include "../tensor/generator.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad::nn::init {

enum class FanMode { fan_in, fan_out };
enum class Nonlinearity { linear, identity, sigmoid, tanh, relu, leaky_relu, selu };

// Recommended gain: 1 (linear, identity, sigmoid), 5/3 (tanh), √2 (relu),
// √(2 / (1 + slope²)) (leaky_relu; param = slope, default 0.01), 3/4 (selu).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
// fan_in = size(1) × receptive field, fan_out = size(0) × receptive field (needs ≥ 2 dims).
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& t);

Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
Tensor& constant_(Tensor& t, double value);
Tensor& uniform_(Tensor& t, double low = 0.0, double high = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double stddev = 1.0, Generator* gen = nullptr);
// U(-b, b), b = gain √(6 / (fan_in + fan_out))
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0, Generator* gen = nullptr);
// N(0, s²), s = gain √(2 / (fan_in + fan_out))
Tensor& xavier_normal_(Tensor& t, double gain = 1.0, Generator* gen = nullptr);
// U(-b, b), b = gain(nonlinearity, a) √(3 / fan)
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, FanMode mode = FanMode::fan_in,
                         Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                         Generator* gen = nullptr);
// N(0, s²), s = gain(nonlinearity, a) / √fan
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, FanMode mode = FanMode::fan_in,
                        Nonlinearity nonlinearity = Nonlinearity::leaky_relu,
                        Generator* gen = nullptr);

}  // namespace xgrad::nn::init
