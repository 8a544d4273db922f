// Module registry, modes, conversion, state dicts and printing; the call operator with the
// module's hooks around forward.
#include "nn/module.hpp"

#include <algorithm>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "autograd/anomaly.hpp"
#include "autograd/node.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad::nn {

Tensor Module::forward(const Tensor&) {
  throw Error(type_name() + ": forward(Tensor) is not implemented by this module");
}

struct ModuleHooks final : HookRegistry {
  explicit ModuleHooks(Module& owner) : owner(owner) {}
  Module& owner;
  std::vector<std::pair<int, ForwardPreHook>> forward_pre;
  std::vector<std::pair<int, ForwardHook>> forward;
  std::vector<std::pair<int, BackwardHook>> backward;
  void remove(int id) override {
    detail::remove_hook(forward_pre, id);
    detail::remove_hook(forward, id);
    detail::remove_hook(backward, id);
  }
};

namespace {
template <class List, class Hook>
HookHandle add_hook(std::shared_ptr<ModuleHooks>& hooks, Module& owner, List ModuleHooks::*list,
                    Hook hook, const char* what) {
  if (!hook) throw Error(std::string(what) + ": the hook is empty");
  if (!hooks) hooks = std::make_shared<ModuleHooks>(owner);
  const int id = hooks->next_id++;
  ((*hooks).*list).emplace_back(id, std::move(hook));
  return HookHandle(hooks, id);
}

void check_replacement(const Module& m, const char* what, const Tensor& given,
                       const Tensor& returned) {
  if (given.defined() && (returned.shape() != given.shape() || returned.dtype() != given.dtype()))
    throw Error(m.type_name() + ": a " + what + " hook returned a tensor of shape " +
                format_shape(returned.shape()) + " " + dtype_name(returned.dtype()) + " for one of " +
                format_shape(given.shape()) + " " + dtype_name(given.dtype()));
}

// Full backward hooks, as PyTorch builds them: identity ops around the module's input and
// output. The output's one notes the gradient w.r.t. the output; the input's one, reached once
// backward has gone through the whole module, calls the hooks with both.
struct BackwardHookState {
  std::weak_ptr<ModuleHooks> hooks;  // the module may be gone by the time backward runs
  Tensor grad_output;
};

Tensor run_backward_hooks(BackwardHookState& state, const Tensor& grad_input) {
  const std::shared_ptr<ModuleHooks> hooks = state.hooks.lock();
  Tensor result = grad_input;
  if (hooks) {
    const auto entries = hooks->backward;  // a hook may remove itself
    for (const auto& [id, hook] : entries) {
      Tensor replaced = hook(hooks->owner, result, state.grad_output);
      if (!replaced.defined()) continue;
      if (!grad_input.defined())
        throw Error(hooks->owner.type_name() +
                    ": a full backward hook returned a gradient for an input that does not "
                    "require grad");
      check_replacement(hooks->owner, "full backward", result, replaced);
      result = std::move(replaced);
    }
  }
  state.grad_output = Tensor();
  return result;
}

TensorList one(Tensor g) { return TensorList{std::move(g)}; }
}  // namespace

HookHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
  return add_hook(hooks_, *this, &ModuleHooks::forward_pre, std::move(hook),
                  "register_forward_pre_hook");
}
HookHandle Module::register_forward_hook(ForwardHook hook) {
  return add_hook(hooks_, *this, &ModuleHooks::forward, std::move(hook), "register_forward_hook");
}
HookHandle Module::register_full_backward_hook(BackwardHook hook) {
  return add_hook(hooks_, *this, &ModuleHooks::backward, std::move(hook),
                  "register_full_backward_hook");
}

Tensor Module::operator()(const Tensor& input) {
  const bool anomaly = is_anomaly_enabled();
  if (!hooks_ && !anomaly) return forward(input);
  std::optional<detail::ModuleScope> scope;
  if (anomaly) {
    // The name this module has in the module whose forward is calling it.
    std::string name = type_name();
    if (const auto* parent = static_cast<const Module*>(detail::current_module()))
      for (const auto& [child_name, child] : parent->named_children())
        if (child.get() == this) name = child_name;
    scope.emplace(this, std::move(name));
  }
  if (!hooks_) return forward(input);
  const std::shared_ptr<ModuleHooks> hooks = hooks_;  // a hook may remove the last hook
  Tensor x = input;
  for (const auto& [id, hook] : std::vector(hooks->forward_pre)) {
    Tensor replaced = hook(*this, x);
    if (replaced.defined()) x = std::move(replaced);
  }
  std::shared_ptr<BackwardHookState> state;
  if (!hooks->backward.empty() && is_grad_enabled()) {
    state = std::make_shared<BackwardHookState>();
    state->hooks = hooks;
    if (x.requires_grad())
      x = record_view("BackwardHook", x.detach(), x, [state](const BackwardArgs& g) {
        return one(run_backward_hooks(*state, g.grad));
      });
  }
  const Tensor module_input = x;
  Tensor out = forward(x);
  for (const auto& [id, hook] : std::vector(hooks->forward)) {
    Tensor replaced = hook(*this, module_input, out);
    if (replaced.defined()) out = std::move(replaced);
  }
  if (state && out.requires_grad()) {
    const bool input_needs = module_input.requires_grad();
    out = record_view("BackwardHook", out.detach(), out,
                      [state, input_needs](const BackwardArgs& g) {
                        state->grad_output = g.grad;
                        // With no gradient w.r.t. the input to wait for, the hooks run now.
                        if (!input_needs) run_backward_hooks(*state, Tensor());
                        return one(g.grad);
                      });
  }
  return out;
}

namespace {
void check_name(const std::string& owner, const std::string& name) {
  if (name.empty() || name.find('.') != std::string::npos)
    throw Error(owner + ": invalid name '" + name + "' (must be non-empty and contain no '.')");
}
template <class List>
bool has_name(const List& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name("register_parameter", name);
  if (has_name(params_, name) || has_name(buffers_, name) || has_name(children_, name))
    throw Error("register_parameter: '" + name + "' is already registered");
  if (!tensor.is_leaf()) tensor = tensor.detach();
  tensor.requires_grad_(requires_grad);
  params_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_name("register_buffer", name);
  if (has_name(params_, name) || has_name(buffers_, name) || has_name(children_, name))
    throw Error("register_buffer: '" + name + "' is already registered");
  buffers_.emplace_back(name, tensor.detach());
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name("register_module", name);
  if (!module) throw Error("register_module: module '" + name + "' is null");
  if (has_name(params_, name) || has_name(buffers_, name) || has_name(children_, name))
    throw Error("register_module: '" + name + "' is already registered");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool recurse, bool params, StateDict& out) const {
  for (const auto& [n, t] : params ? params_ : buffers_) out.emplace_back(prefix + n, t);
  if (recurse)
    for (const auto& [n, c] : children_) c->collect(prefix + n + ".", true, params, out);
}

StateDict Module::named_parameters(bool recurse) const {
  StateDict out;
  collect("", recurse, true, out);
  return out;
}
StateDict Module::named_buffers(bool recurse) const {
  StateDict out;
  collect("", recurse, false, out);
  return out;
}
std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}
std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}
std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [n, c] : children_) out.push_back(c);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) p.zero_grad(set_to_none);
}

Module& Module::to(Dtype dtype) {
  StateDict all = named_parameters();
  StateDict bufs = named_buffers();
  all.insert(all.end(), bufs.begin(), bufs.end());
  for (auto& [n, t] : all) {
    if (t.dtype() == dtype) continue;
    Tensor converted;
    {
      NoGradGuard guard;
      converted = t.detach().to(dtype);
    }
    t.set_data(converted);
  }
  return *this;
}

StateDict Module::state_dict() const {
  StateDict sd = named_parameters();
  StateDict b = named_buffers();
  sd.insert(sd.end(), b.begin(), b.end());
  return sd;
}

namespace {
StateDict::const_iterator find_entry(const StateDict& sd, const std::string& name) {
  return std::find_if(sd.begin(), sd.end(), [&](const auto& e) { return e.first == name; });
}
}  // namespace

void Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> own_names;
  for (const auto& [n, t] : own) own_names.insert(n);
  for (const auto& [n, t] : state)
    if (!own_names.count(n)) unexpected.push_back(n);
  for (const auto& [n, t] : own) {
    auto it = find_entry(state, n);
    if (it == state.end()) {
      missing.push_back(n);
    } else if (it->second.shape() != t.shape() || it->second.dtype() != t.dtype()) {
      mismatched.push_back(n + " (expected " + format_shape(t.shape()) + " " +
                           dtype_name(t.dtype()) + ", got " + format_shape(it->second.shape()) +
                           " " + dtype_name(it->second.dtype()) + ")");
    }
  }
  if (!mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()))) {
    std::ostringstream os;
    os << "load_state_dict: ";
    auto list = [&](const char* what, const std::vector<std::string>& v) {
      if (v.empty()) return;
      os << what << ": ";
      for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
      os << "; ";
    };
    list("missing", missing);
    list("unexpected", unexpected);
    list("mismatched", mismatched);
    std::string msg = os.str();
    throw Error(msg.substr(0, msg.size() - 2));
  }
  NoGradGuard guard;
  for (auto& [n, t] : own) {
    auto it = find_entry(state, n);
    if (it != state.end()) t.copy_(it->second);
  }
}

std::string Module::repr(int indent) const {
  std::ostringstream os;
  os << type_name() << "(" << extra_repr();
  if (!children_.empty()) {
    os << "\n";
    for (const auto& [n, c] : children_)
      os << std::string(indent + 2, ' ') << "(" << n << "): " << c->repr(indent + 2) << "\n";
    os << std::string(indent, ' ');
  }
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

void save(const Module& module, const std::string& path, const Metadata& metadata) {
  save_safetensors(path, module.state_dict(), metadata);
}

void load(Module& module, const std::string& path) {
  module.load_state_dict(load_safetensors(path).tensors);
}

}  // namespace xgrad::nn
