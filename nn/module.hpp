// Module: the base of every layer and model — a registry of named parameters, buffers and child
// modules walked by named_modules(), train/eval mode, forward (one tensor or several), hooks and
// a deep clone(). Users subclass it for custom layers.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../autograd/hooks.hpp"
#include "../autograd/ops.hpp"
#include "../tensor/safetensors.hpp"

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
// A forward hook for any number of tensors: runs after forward and forward_many alike (a
// one-tensor call passes one-element lists); a non-empty return replaces the outputs.
using ForwardManyHook = std::function<std::vector<Tensor>(
    Module& module, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs)>;

using NamedModules = std::vector<std::pair<std::string, std::shared_ptr<Module>>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Override one of the two forwards. forward(Tensor) is the convenience for one tensor in, one
  // out; forward_many is the general one (an LSTM: {x, h0, c0} -> {y, h, c}). Each default calls
  // the other for one-in-one-out modules.
  virtual Tensor forward(const Tensor& input);
  virtual std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs);
  // Calls forward with the module's hooks around it. Call children this way (not ->forward) so
  // their hooks run and anomaly mode knows the module path.
  Tensor operator()(const Tensor& input);
  // Calls forward_many: `m({x, h})`. (A braced single tensor, `m({x})`, is the call above.) The
  // one-tensor hooks (pre, forward, backward) need one input and one output and raise otherwise;
  // forward-many hooks run for every call.
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs);

  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  HookHandle register_forward_many_hook(ForwardManyHook hook);
  // Runs when the gradient w.r.t. the module's input has been computed, with the gradient
  // w.r.t. its output; a returned tensor replaces grad_input.
  HookHandle register_full_backward_hook(BackwardHook hook);

  // The module tree in pre-order, the root first as "", then dotted paths ("encoder",
  // "encoder.fc1"); a module registered twice is listed once unless remove_duplicate is false.
  // The walk behind parameters(), buffers(), train(), zero_grad(), to() and state_dict(). The
  // root's entry owns the module only if it was made by make_shared.
  NamedModules named_modules(bool remove_duplicate = true) const;
  std::vector<std::shared_ptr<Module>> modules() const;
  // Parameters and buffers of the modules of named_modules(), each tensor once.
  std::vector<Tensor> parameters(bool recurse = true) const;
  StateDict named_parameters(bool recurse = true) const;  // dotted names: "0.weight", "fc1.bias"
  std::vector<Tensor> buffers(bool recurse = true) const;
  StateDict named_buffers(bool recurse = true) const;  // non-persistent buffers too
  std::vector<std::shared_ptr<Module>> children() const;
  const NamedModules& named_children() const { return children_; }
  int64_t num_parameters() const;
  // Calls fn on every module, children first, then this one (PyTorch's order), e.g. to
  // initialise every Linear.
  Module& apply(const std::function<void(Module&)>& fn);

  // A deep copy (a target network, an EMA model): the same structure and training flags, fresh
  // storage with the values of every parameter and buffer, requires_grad kept; gradients and
  // hooks are not copied (a module registered twice becomes two copies). Built on clone_empty();
  // the default random generator is left as it was.
  std::shared_ptr<Module> clone() const;
  // Returns a new module of the same type built with the same configuration (its parameters'
  // values do not matter: clone() copies them in), e.g. for a user layer:
  //   std::shared_ptr<Module> clone_empty() const override {
  //     return std::make_shared<MyLayer>(in_, out_);
  //   }
  // Containers build theirs from their children's clone_empty(). The default raises.
  virtual std::shared_ptr<Module> clone_empty() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad(bool set_to_none = true);  // as Optimizer::zero_grad
  // Converts every parameter and buffer in place (handles held by subclasses stay valid), so a
  // whole model can be gradchecked in float64.
  Module& to(Dtype dtype);

  // Parameters and persistent buffers, for save/load, module by module in named_modules()'s
  // order (each module's parameters, then its buffers), as PyTorch's.
  StateDict state_dict() const;
  // Copies values in; throws listing missing, unexpected and mismatched entries (strict).
  void load_state_dict(const StateDict& state, bool strict = true);

  // The class name without namespaces ("Linear", a user's "MyNet"), from the dynamic type.
  virtual std::string type_name() const;
  virtual std::string extra_repr() const { return ""; }
  std::string repr(int indent = 0) const;  // the module tree, as printed by operator<<

 protected:
  // Registers a parameter (sets requires_grad) and returns the handle to keep as a member.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // A persistent buffer is in state_dict() (saved and loaded); a non-persistent one (a cache) is
  // only in named_buffers(). Both are moved by to(dtype).
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  StateDict named_tensors(bool params, bool recurse) const;
  Tensor call_with_hooks(const Tensor& input, std::vector<Tensor>* outputs);
  void copy_state_from(const Module& original);
  StateDict params_;
  StateDict buffers_;
  std::vector<bool> buffer_persistent_;  // one per buffers_ entry
  NamedModules children_;
  std::shared_ptr<ModuleHooks> hooks_;  // null until a hook is registered
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

// Saves parameters and buffers by name to a safetensors file; load checks names, shapes, dtypes.
void save(const Module& module, const std::string& path, const Metadata& metadata = {});
void load(Module& module, const std::string& path);

}  // namespace xgrad::nn
