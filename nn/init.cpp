// Initialisers: each draws into a fresh tensor and copies it in under no-grad.
#include "nn/init.hpp"

#include <cmath>

#include "tensor/grad_mode.hpp"

namespace xgrad::nn::init {

double calculate_gain(Nonlinearity n, double param) {
  switch (n) {
    case Nonlinearity::linear:
    case Nonlinearity::identity:
    case Nonlinearity::sigmoid:
      return 1.0;
    case Nonlinearity::tanh:
      return 5.0 / 3.0;
    case Nonlinearity::relu:
      return std::sqrt(2.0);
    case Nonlinearity::leaky_relu:
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::selu:
      return 0.75;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& t) {
  if (t.dim() < 2)
    throw Error("init: fan in and fan out need at least 2 dims, got shape " +
                format_shape(t.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.shape()[d];
  return {t.shape()[1] * receptive, t.shape()[0] * receptive};
}

namespace {
Tensor& assign(Tensor& t, const Tensor& values) {
  NoGradGuard guard;
  t.copy_(values);
  return t;
}
int64_t fan(const Tensor& t, FanMode mode) {
  auto [in, out] = fan_in_and_fan_out(t);
  return mode == FanMode::fan_in ? in : out;
}
}  // namespace

Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }
Tensor& constant_(Tensor& t, double value) {
  NoGradGuard guard;
  t.fill_(value);
  return t;
}
Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  return assign(t, uniform(t.shape(), low, high, t.dtype(), gen));
}
Tensor& normal_(Tensor& t, double mean, double stddev, Generator* gen) {
  return assign(t, normal(t.shape(), mean, stddev, t.dtype(), gen));
}
Tensor& xavier_uniform_(Tensor& t, double gain, Generator* gen) {
  auto [in, out] = fan_in_and_fan_out(t);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(in + out));
  return uniform_(t, -bound, bound, gen);
}
Tensor& xavier_normal_(Tensor& t, double gain, Generator* gen) {
  auto [in, out] = fan_in_and_fan_out(t);
  return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(in + out)), gen);
}
Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  double bound = calculate_gain(nl, a) * std::sqrt(3.0 / static_cast<double>(fan(t, mode)));
  return uniform_(t, -bound, bound, gen);
}
Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  return normal_(t, 0.0, calculate_gain(nl, a) / std::sqrt(static_cast<double>(fan(t, mode))), gen);
}

}  // namespace xgrad::nn::init
