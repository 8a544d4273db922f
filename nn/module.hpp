// Module: the base of every layer and model — a registry of named parameters, buffers and child
// modules, train/eval mode, and a forward. Users subclass it for custom layers.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/hooks.hpp"
#include "autograd/ops.hpp"
#include "tensor/safetensors.hpp"

namespace xgrad::nn {

class Module;
struct ModuleHooks;

// Module hooks (PyTorch's register_forward_pre_hook, register_forward_hook,
// register_full_backward_hook). Each may return a replacement (the input, the output, the
// gradient w.r.t. the module's input) or an undefined Tensor to keep what it was given.
using ForwardPreHook = std::function<Tensor(Module& module, const Tensor& input)>;
using ForwardHook =
    std::function<Tensor(Module& module, const Tensor& input, const Tensor& output)>;
// grad_input is undefined when the module's input does not require grad (then the hook runs
// once the gradient w.r.t. the output is known).
using BackwardHook =
    std::function<Tensor(Module& module, const Tensor& grad_input, const Tensor& grad_output)>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& input);
  // Calls forward with the module's hooks around it. Call children this way (not ->forward) so
  // their hooks run and anomaly mode knows the module path.
  Tensor operator()(const Tensor& input);

  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  // Runs when the gradient w.r.t. the module's input has been computed, with the gradient
  // w.r.t. its output; a returned tensor replaces grad_input.
  HookHandle register_full_backward_hook(BackwardHook hook);

  std::vector<Tensor> parameters(bool recurse = true) const;
  StateDict named_parameters(bool recurse = true) const;  // dotted names: "0.weight", "fc1.bias"
  std::vector<Tensor> buffers(bool recurse = true) const;
  StateDict named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  int64_t num_parameters() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad(bool set_to_none = true);  // as Optimizer::zero_grad
  // Converts every parameter and buffer in place (handles held by subclasses stay valid), so a
  // whole model can be gradchecked in float64.
  Module& to(Dtype dtype);

  // Parameters and buffers, for save/load.
  StateDict state_dict() const;
  // Copies values in; throws listing missing, unexpected and mismatched entries (strict).
  void load_state_dict(const StateDict& state, bool strict = true);

  virtual std::string type_name() const { return "Module"; }
  virtual std::string extra_repr() const { return ""; }
  std::string repr(int indent = 0) const;  // the module tree, as printed by operator<<

 protected:
  // Registers a parameter (sets requires_grad) and returns the handle to keep as a member.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor tensor);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  void collect(const std::string& prefix, bool recurse, bool params, StateDict& out) const;
  StateDict params_;
  StateDict buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::shared_ptr<ModuleHooks> hooks_;  // null until a hook is registered
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

// Saves parameters and buffers by name to a safetensors file; load checks names, shapes, dtypes.
void save(const Module& module, const std::string& path, const Metadata& metadata = {});
void load(Module& module, const std::string& path);

}  // namespace xgrad::nn
