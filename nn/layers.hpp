// The standard layers (Linear, Flatten, Unflatten, Identity, Dropout, Dropout2d) and the
// containers (Sequential, ModuleList, ModuleDict).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "module.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn {

// y = x Wᵀ + b with W (out, in). PyTorch's default init: W ~ kaiming_uniform(a = √5), i.e.
// U(-1/√in, 1/√in), and b ~ U(-1/√in, 1/√in).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;
  Tensor weight, bias;  // bias is undefined without bias
  int64_t in_features, out_features;
};

// A chain of one-in-one-out modules, named "0", "1", ...
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
  std::shared_ptr<Module> clone_empty() const override;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Holds modules named "0", "1", ... so that their parameters are registered; it has no forward
// (the owner calls the modules in its own forward).
class ModuleList : public Module {
 public:
  ModuleList() = default;
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);
  explicit ModuleList(const std::vector<std::shared_ptr<Module>>& modules);
  ModuleList& push_back(std::shared_ptr<Module> module);
  ModuleList& append(std::shared_ptr<Module> module) { return push_back(std::move(module)); }
  std::size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  std::shared_ptr<Module> operator[](std::size_t i) const;
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }
  Tensor forward(const Tensor& x) override;
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::shared_ptr<Module> clone_empty() const override;

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// Holds modules by key, in insertion order; the keys are their names ("encoder.weight"). It has
// no forward.
class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  ModuleDict(std::initializer_list<std::pair<std::string, std::shared_ptr<Module>>> items);
  ModuleDict& insert(const std::string& key, std::shared_ptr<Module> module);
  std::size_t size() const { return named_children().size(); }
  bool empty() const { return named_children().empty(); }
  bool contains(const std::string& key) const;
  std::shared_ptr<Module> at(const std::string& key) const;  // raises for a missing key
  std::shared_ptr<Module> operator[](const std::string& key) const { return at(key); }
  std::vector<std::string> keys() const;
  // (key, module) pairs in insertion order.
  auto begin() const { return named_children().begin(); }
  auto end() const { return named_children().end(); }
  Tensor forward(const Tensor& x) override;
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::shared_ptr<Module> clone_empty() const override;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override { return flatten(x, start_dim_, end_dim_); }
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Flatten>(start_dim_, end_dim_);
  }

 private:
  int64_t start_dim_, end_dim_;
};

// Splits dim into `sizes` (one of them may be -1): (N, 784) -> (N, 1, 28, 28) with
// Unflatten(1, {1, 28, 28}). Any input whose dims from `dim` on hold that many elements works,
// so (N, 28, 28) images are unflattened alike.
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, Shape sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Unflatten>(dim_, sizes_);
  }
  std::string extra_repr() const override;

 private:
  int64_t dim_;
  Shape sizes_;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::shared_ptr<Module> clone_empty() const override { return std::make_shared<Identity>(); }
};

// Zeroes each element with probability p while training and scales the rest by 1/(1-p);
// the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  // The copy draws from the same generator.
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Dropout>(p_, gen_);
  }

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
  std::string extra_repr() const override;
  // The copy draws from the same generator.
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Dropout2d>(p_, gen_);
  }

 private:
  double p_;
  Generator* gen_;
};

}  // namespace xgrad::nn
