// One module per activation function; each forwards to the function of the same name.
#pragma once

#include <functional>
#include <string>

#include "module.hpp"

namespace xgrad::nn {

// A parameter-free module applying a function elementwise (or along a dim).
class Activation : public Module {
 public:
  Activation(std::string name, std::function<Tensor(const Tensor&)> fn, std::string repr = "")
      : name_(std::move(name)), fn_(std::move(fn)), repr_(std::move(repr)) {}
  Tensor forward(const Tensor& x) override { return fn_(x); }
  std::string type_name() const override { return name_; }
  std::string extra_repr() const override { return repr_; }
  // The copy is an Activation with the same name and function (type_name() and printing are the
  // same; a dynamic_pointer_cast to ReLU is not).
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Activation>(name_, fn_, repr_);
  }

 private:
  std::string name_;
  std::function<Tensor(const Tensor&)> fn_;
  std::string repr_;
};

struct ReLU : Activation {
  ReLU() : Activation("ReLU", [](const Tensor& x) { return relu(x); }) {}
};
struct Sigmoid : Activation {
  Sigmoid() : Activation("Sigmoid", [](const Tensor& x) { return sigmoid(x); }) {}
};
struct Tanh : Activation {
  Tanh() : Activation("Tanh", [](const Tensor& x) { return tanh(x); }) {}
};
struct ELU : Activation {
  explicit ELU(double alpha = 1.0)
      : Activation(
            "ELU", [alpha](const Tensor& x) { return elu(x, alpha); },
            "alpha=" + std::to_string(alpha)) {}
};
struct LeakyReLU : Activation {
  explicit LeakyReLU(double slope = 0.01)
      : Activation(
            "LeakyReLU", [slope](const Tensor& x) { return leaky_relu(x, slope); },
            "negative_slope=" + std::to_string(slope)) {}
};
struct Softplus : Activation {
  explicit Softplus(double beta = 1.0)
      : Activation(
            "Softplus", [beta](const Tensor& x) { return softplus(x, beta); },
            "beta=" + std::to_string(beta)) {}
};
struct SiLU : Activation {
  SiLU() : Activation("SiLU", [](const Tensor& x) { return silu(x); }) {}
};
struct GELU : Activation {
  explicit GELU(GeluApproximation a = GeluApproximation::none)
      : Activation(
            "GELU", [a](const Tensor& x) { return gelu(x, a); },
            a == GeluApproximation::tanh ? "approximate=tanh" : "") {}
};
struct Mish : Activation {
  Mish() : Activation("Mish", [](const Tensor& x) { return mish(x); }) {}
};
struct Softsign : Activation {
  Softsign() : Activation("Softsign", [](const Tensor& x) { return softsign(x); }) {}
};
struct Gaussian : Activation {
  Gaussian() : Activation("Gaussian", [](const Tensor& x) { return gaussian(x); }) {}
};
struct LogSigmoid : Activation {
  LogSigmoid() : Activation("LogSigmoid", [](const Tensor& x) { return log_sigmoid(x); }) {}
};
struct Hardtanh : Activation {
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0)
      : Activation("Hardtanh", [=](const Tensor& x) { return hardtanh(x, min_val, max_val); }) {}
};
struct Softmax : Activation {
  explicit Softmax(int64_t dim)
      : Activation(
            "Softmax", [dim](const Tensor& x) { return softmax(x, dim); },
            "dim=" + std::to_string(dim)) {}
};
struct LogSoftmax : Activation {
  explicit LogSoftmax(int64_t dim)
      : Activation(
            "LogSoftmax", [dim](const Tensor& x) { return log_softmax(x, dim); },
            "dim=" + std::to_string(dim)) {}
};

}  // namespace xgrad::nn
