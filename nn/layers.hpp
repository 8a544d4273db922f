// The standard layers: Linear, Sequential, Flatten, Identity, Dropout, Dropout2d.
#pragma once

#include <initializer_list>
#include <memory>
#include <vector>

#include "nn/module.hpp"
#include "tensor/generator.hpp"

namespace xgrad::nn {

// y = x Wᵀ + b with W (out, in). PyTorch's default init: W ~ kaiming_uniform(a = √5), i.e.
// U(-1/√in, 1/√in), and b ~ U(-1/√in, 1/√in).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;
  Tensor weight, bias;  // bias is undefined without bias
  int64_t in_features, out_features;
};

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);
  Sequential& add(std::shared_ptr<Module> module);
  Sequential& push_back(std::shared_ptr<Module> module) { return add(std::move(module)); }
  Tensor forward(const Tensor& x) override;
  std::size_t size() const { return layers_.size(); }
  std::shared_ptr<Module> operator[](std::size_t i) const;
  auto begin() const { return layers_.begin(); }
  auto end() const { return layers_.end(); }
  std::string type_name() const override { return "Sequential"; }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override { return flatten(x, start_dim_, end_dim_); }
  std::string type_name() const override { return "Flatten"; }

 private:
  int64_t start_dim_, end_dim_;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};

// Zeroes each element with probability p while training and scales the rest by 1/(1-p);
// the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;

 private:
  double p_;
  Generator* gen_;
};

// Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability p while training
// and scales the rest by 1/(1-p) (functional::dropout2d); the identity in eval mode.
class Dropout2d : public Module {
 public:
  explicit Dropout2d(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout2d"; }
  std::string extra_repr() const override;

 private:
  double p_;
  Generator* gen_;
};

}  // namespace xgrad::nn
