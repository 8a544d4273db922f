// Module registry and its one tree walk (named_modules), modes, conversion, state dicts, clone
// and printing; the call operators with the module's hooks around forward.
#include "nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "autograd/anomaly.hpp"
#include "autograd/node.hpp"
#include "tensor/generator.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad::nn {

namespace {
// The module whose default forward is calling the other default forward on this thread: if that
// one is the default too, the module implements neither.
thread_local const Module* bridging = nullptr;
struct Bridge {
  const Module* saved;
  explicit Bridge(const Module* m) : saved(bridging) { bridging = m; }
  ~Bridge() { bridging = saved; }
};
[[noreturn]] void no_forward(const Module& m) {
  throw Error(m.type_name() + ": implements neither forward(Tensor) nor forward_many(inputs)");
}
std::string count(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}
}  // namespace

Tensor Module::forward(const Tensor& input) {
  if (bridging == this) no_forward(*this);
  std::vector<Tensor> outputs;
  {
    Bridge bridge(this);
    outputs = forward_many({input});
  }
  if (outputs.size() != 1)
    throw Error(type_name() + ": forward(Tensor) returns one tensor, but forward_many returned " +
                count(outputs.size(), "output") + "; call the module with a list of tensors");
  return outputs[0];
}

std::vector<Tensor> Module::forward_many(const std::vector<Tensor>& inputs) {
  if (bridging == this) no_forward(*this);
  if (inputs.size() != 1)
    throw Error(type_name() + ": forward_many got " + count(inputs.size(), "input") +
                ", but the module implements only forward(Tensor)");
  Bridge bridge(this);
  return {forward(inputs[0])};
}

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  // "xgrad::nn::Linear" -> "Linear", "(anonymous namespace)::MyNet" -> "MyNet"; template
  // arguments keep theirs.
  const std::size_t pos = name.rfind("::", name.find('<'));
  return pos == std::string::npos ? name : name.substr(pos + 2);
}

struct ModuleHooks final : HookRegistry {
  explicit ModuleHooks(Module& owner) : owner(owner) {}
  Module& owner;
  std::vector<std::pair<int, ForwardPreHook>> forward_pre;
  std::vector<std::pair<int, ForwardHook>> forward;
  std::vector<std::pair<int, ForwardManyHook>> forward_many;
  std::vector<std::pair<int, BackwardHook>> backward;
  bool has_one_tensor_hooks() const {
    return !forward_pre.empty() || !forward.empty() || !backward.empty();
  }
  void remove(int id) override {
    detail::remove_hook(forward_pre, id);
    detail::remove_hook(forward, id);
    detail::remove_hook(forward_many, id);
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
                format_shape(returned.shape()) + " " + dtype_name(returned.dtype()) +
                " for one of " + format_shape(given.shape()) + " " + dtype_name(given.dtype()));
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

HookHandle Module::register_forward_many_hook(ForwardManyHook hook) {
  return add_hook(hooks_, *this, &ModuleHooks::forward_many, std::move(hook),
                  "register_forward_many_hook");
}

namespace {
// Anomaly mode's module path: the name this module has in the module whose forward is calling it.
void enter_scope(std::optional<detail::ModuleScope>& scope, const Module& m) {
  std::string name = m.type_name();
  if (const auto* parent = static_cast<const Module*>(detail::current_module()))
    for (const auto& [child_name, child] : parent->named_children())
      if (child.get() == &m) name = child_name;
  scope.emplace(&m, std::move(name));
}

void run_forward_many_hooks(const ModuleHooks& hooks, Module& m, const std::vector<Tensor>& inputs,
                            std::vector<Tensor>& outputs) {
  for (const auto& [id, hook] : std::vector(hooks.forward_many)) {
    std::vector<Tensor> replaced = hook(m, inputs, outputs);
    if (!replaced.empty()) outputs = std::move(replaced);
  }
}

Error one_tensor_hooks(const Module& m, std::size_t n, const char* what) {
  return Error(m.type_name() + ": its forward pre-, forward and backward hooks take one tensor, " +
               "but the call has " + count(n, what) + " (use register_forward_many_hook)");
}
}  // namespace

Tensor Module::operator()(const Tensor& input) {
  const bool anomaly = is_anomaly_enabled();
  if (!hooks_ && !anomaly) return forward(input);
  std::optional<detail::ModuleScope> scope;
  if (anomaly) enter_scope(scope, *this);
  if (!hooks_) return forward(input);
  return call_with_hooks(input, nullptr);
}

std::vector<Tensor> Module::operator()(const std::vector<Tensor>& inputs) {
  const bool anomaly = is_anomaly_enabled();
  if (!hooks_ && !anomaly) return forward_many(inputs);
  std::optional<detail::ModuleScope> scope;
  if (anomaly) enter_scope(scope, *this);
  if (!hooks_) return forward_many(inputs);
  const std::shared_ptr<ModuleHooks> hooks = hooks_;  // a hook may remove the last hook
  std::vector<Tensor> outputs;
  if (hooks->has_one_tensor_hooks()) {
    if (inputs.size() != 1) throw one_tensor_hooks(*this, inputs.size(), "input");
    call_with_hooks(inputs[0], &outputs);
  } else {
    outputs = forward_many(inputs);
    run_forward_many_hooks(*hooks, *this, inputs, outputs);
  }
  return outputs;
}

// One tensor through the hooks and forward (or forward_many, when `outputs` is given).
Tensor Module::call_with_hooks(const Tensor& input, std::vector<Tensor>* outputs) {
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
  Tensor out;
  if (outputs) {
    *outputs = forward_many({x});
    if (outputs->size() != 1) throw one_tensor_hooks(*this, outputs->size(), "output");
    out = (*outputs)[0];
  } else {
    out = forward(x);
  }
  for (const auto& [id, hook] : std::vector(hooks->forward)) {
    Tensor replaced = hook(*this, module_input, out);
    if (replaced.defined()) out = std::move(replaced);
  }
  if (!hooks->forward_many.empty()) {
    std::vector<Tensor> outs{out};
    run_forward_many_hooks(*hooks, *this, {module_input}, outs);
    if (outs.size() != 1)
      throw Error(type_name() + ": a forward-many hook returned " + count(outs.size(), "tensor") +
                  " for a call with one output");
    out = outs[0];
  }
  if (state && out.requires_grad()) {
    const bool input_needs = module_input.requires_grad();
    out =
        record_view("BackwardHook", out.detach(), out, [state, input_needs](const BackwardArgs& g) {
          state->grad_output = g.grad;
          // With no gradient w.r.t. the input to wait for, the hooks run now.
          if (!input_needs) run_backward_hooks(*state, Tensor());
          return one(g.grad);
        });
  }
  if (outputs) *outputs = {out};
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

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_name("register_buffer", name);
  if (has_name(params_, name) || has_name(buffers_, name) || has_name(children_, name))
    throw Error("register_buffer: '" + name + "' is already registered");
  buffers_.emplace_back(name, tensor.detach());
  buffer_persistent_.push_back(persistent);
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name("register_module", name);
  if (!module) throw Error("register_module: module '" + name + "' is null");
  if (has_name(params_, name) || has_name(buffers_, name) || has_name(children_, name))
    throw Error("register_module: '" + name + "' is already registered");
  children_.emplace_back(name, std::move(module));
}

namespace {
void add_descendants(const Module& m, const std::string& prefix, bool remove_duplicate,
                     std::set<const Module*>& seen, NamedModules& out) {
  for (const auto& [name, child] : m.named_children()) {
    if (remove_duplicate && !seen.insert(child.get()).second) continue;
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    out.emplace_back(path, child);
    add_descendants(*child, path, remove_duplicate, seen, out);
  }
}
std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}
bool contains(const StateDict& sd, const Tensor& t) {
  return std::any_of(sd.begin(), sd.end(), [&](const auto& e) { return e.second.is_same(t); });
}
}  // namespace

NamedModules Module::named_modules(bool remove_duplicate) const {
  // The root as a shared_ptr: its owner's when it has one, else a non-owning one.
  std::shared_ptr<const Module> owner = weak_from_this().lock();
  std::shared_ptr<Module> self(std::const_pointer_cast<Module>(owner), const_cast<Module*>(this));
  NamedModules out{{"", std::move(self)}};
  std::set<const Module*> seen{this};
  add_descendants(*this, "", remove_duplicate, seen, out);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules() const {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [n, m] : named_modules()) out.push_back(std::move(m));
  return out;
}

StateDict Module::named_tensors(bool params, bool recurse) const {
  StateDict out;
  auto add = [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, t] : params ? m.params_ : m.buffers_)
      if (!contains(out, t)) out.emplace_back(join(prefix, n), t);
  };
  if (!recurse) add("", *this);
  if (recurse)
    for (const auto& [prefix, m] : named_modules()) add(prefix, *m);
  return out;
}

StateDict Module::named_parameters(bool recurse) const { return named_tensors(true, recurse); }
StateDict Module::named_buffers(bool recurse) const { return named_tensors(false, recurse); }
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

Module& Module::apply(const std::function<void(Module&)>& fn) {
  for (const auto& [n, c] : children_) c->apply(fn);
  fn(*this);
  return *this;
}

void Module::train(bool on) {
  for (const auto& [n, m] : named_modules()) m->training_ = on;
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) p.zero_grad(set_to_none);
}

Module& Module::to(Dtype dtype) {
  StateDict all = named_parameters();
  StateDict bufs = named_buffers();
  all.insert(all.end(), bufs.begin(), bufs.end());
  for (auto& [n, t] : all) {
    if (!t.defined() || t.dtype() == dtype) continue;
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
  // Every path of a module registered twice, as PyTorch's (loading sets the shared tensors twice).
  StateDict sd;
  for (const auto& [prefix, m] : named_modules(/*remove_duplicate=*/false)) {
    for (const auto& [n, t] : m->params_) sd.emplace_back(join(prefix, n), t);
    for (std::size_t i = 0; i < m->buffers_.size(); ++i)
      if (m->buffer_persistent_[i] && m->buffers_[i].second.defined())
        sd.emplace_back(join(prefix, m->buffers_[i].first), m->buffers_[i].second);
  }
  return sd;
}

std::shared_ptr<Module> Module::clone_empty() const {
  throw Error("clone: " + type_name() +
              " cannot be cloned: override clone_empty() to return a new " + type_name() +
              " built with the same configuration");
}

namespace {
std::string names(const StateDict& sd) {
  std::string out;
  for (const auto& [n, t] : sd) out += (out.empty() ? "" : ", ") + n;
  return "(" + out + ")";
}
std::string names(const NamedModules& children) {
  std::string out;
  for (const auto& [n, c] : children) out += (out.empty() ? "" : ", ") + n;
  return "(" + out + ")";
}
// Restores the default generator, which building the copy draws from.
struct GeneratorRestore {
  std::unique_lock<std::recursive_mutex> lock = lock_default_generator();
  Generator saved = default_generator();
  ~GeneratorRestore() { default_generator() = saved; }
};
}  // namespace

std::shared_ptr<Module> Module::clone() const {
  std::shared_ptr<Module> copy;
  {
    GeneratorRestore restore;
    copy = clone_empty();
  }
  if (!copy) throw Error("clone: " + type_name() + "::clone_empty() returned null");
  copy->copy_state_from(*this);
  return copy;
}

void Module::copy_state_from(const Module& original) {
  const std::string type = original.type_name();
  if (type_name() != type)
    throw Error("clone: " + type + "::clone_empty() returned a " + type_name() +
                " (override clone_empty() in " + type + ")");
  auto differs = [&](const std::string& what, const std::string& got, const std::string& want) {
    return Error("clone: the " + type + " made by clone_empty() has the " + what + " " + got +
                 ", the original " + want);
  };
  if (names(params_) != names(original.params_))
    throw differs("parameters", names(params_), names(original.params_));
  if (names(buffers_) != names(original.buffers_))
    throw differs("buffers", names(buffers_), names(original.buffers_));
  if (names(children_) != names(original.children_))
    throw differs("children", names(children_), names(original.children_));
  NoGradGuard guard;
  auto copy_tensors = [&](StateDict& to, const StateDict& from) {
    for (std::size_t i = 0; i < to.size(); ++i) {
      const Tensor& src = from[i].second;
      Tensor& dst = to[i].second;
      if (!src.defined() || !dst.defined()) {
        dst = src.defined() ? src.detach().clone() : Tensor();
        continue;
      }
      if (dst.shape() != src.shape())
        throw Error("clone: the " + type + " made by clone_empty() has '" + to[i].first +
                    "' of shape " + format_shape(dst.shape()) + ", the original " +
                    format_shape(src.shape()));
      dst.set_data(src.detach().clone());  // in place: the copy's member handles see it
      if (dst.requires_grad() != src.requires_grad()) dst.requires_grad_(src.requires_grad());
    }
  };
  copy_tensors(params_, original.params_);
  copy_tensors(buffers_, original.buffers_);
  buffer_persistent_ = original.buffer_persistent_;
  training_ = original.training_;
  for (std::size_t i = 0; i < children_.size(); ++i)
    children_[i].second->copy_state_from(*original.children_[i].second);
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
