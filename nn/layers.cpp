// Linear, Sequential, Dropout and Dropout2d.
#include "nn/layers.hpp"

#include <cmath>
#include <sstream>

#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

Linear::Linear(int64_t in, int64_t out, bool with_bias, Generator* gen)
    : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw Error("Linear: features must be positive, got in=" + std::to_string(in) +
                ", out=" + std::to_string(out));
  // Weight and bias are one unit of the default generator's stream, also across threads.
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Tensor w = empty({out, in});
  init::kaiming_uniform_(w, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu,
                         gen);
  weight = register_parameter("weight", w);
  if (with_bias) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in));
    Tensor b = empty({out});
    init::uniform_(b, -bound, bound, gen);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) +
         ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) add(m);
}
Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) add(m);
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  add_child(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& layer : layers_) h = (*layer)(h);
  return h;
}

std::shared_ptr<Module> Sequential::operator[](std::size_t i) const {
  if (i >= layers_.size())
    throw Error("Sequential: index " + std::to_string(i) + " out of range for " +
                std::to_string(layers_.size()) + " layers");
  return layers_[i];
}

Dropout::Dropout(double p, Generator* gen) : p_(p), gen_(gen) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p_, is_training(), gen_); }

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

Dropout2d::Dropout2d(double p, Generator* gen) : p_(p), gen_(gen) {
  if (!(p >= 0.0 && p < 1.0))
    throw Error("Dropout2d: p must be in [0, 1), got " + std::to_string(p));
}

Tensor Dropout2d::forward(const Tensor& x) {
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("Dropout2d(" + extra_repr() + "): expected input (N, C, H, W) or (C, H, W), got " +
                format_shape(x.shape()));
  return functional::dropout2d(x, p_, is_training(), gen_);
}

std::string Dropout2d::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

}  // namespace xgrad::nn
