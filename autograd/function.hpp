// Custom differentiable ops, as torch::autograd::Function in PyTorch's C++ frontend: a struct with
// a static forward and backward becomes one node on the tape (outputs, saved tensors with version
// checks, non-tensor state, non-differentiable outputs, once_differentiable).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <variant>
#include <vector>

#include "node.hpp"

namespace xgrad::autograd {

// Non-tensor values a forward keeps for its backward (PyTorch keeps IValues). An integer literal
// is stored as int64_t, a string literal as std::string.
using SavedValue = std::variant<std::monostate, bool, int64_t, double, std::string,
                                std::vector<int64_t>, std::vector<double>>;

class AutogradContext;
namespace detail {
class FunctionNode;
struct FunctionSpec;
bool prepare_context(AutogradContext& ctx, const TensorList& inputs);
void finish_function(const FunctionSpec& spec, std::unique_ptr<AutogradContext> ctx,
                     TensorList inputs, TensorList& outputs);
}  // namespace detail

// What forward and backward of a Function share. In forward: save_for_backward,
// mark_non_differentiable, saved_data. In backward: get_saved_variables (version-checked: an
// in-place write to a saved tensor since forward raises an Error naming the function, as the
// built-in ops do). needs_input_grad in both.
class AutogradContext {
 public:
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  // Tensors backward reads: inputs, outputs (kept without a reference cycle) or intermediates.
  // An intermediate has no history (forward is not recorded), so a backward under create_graph
  // treats it as a constant: for second derivatives, save inputs or outputs and recompute.
  void save_for_backward(TensorList tensors);
  // The saved tensors, in the order given; only in backward.
  TensorList get_saved_variables() const;
  // Outputs of forward that get no gradient (indices, masks); integer and bool outputs never do.
  // Their gradient reaches backward as zeros.
  void mark_non_differentiable(const TensorList& outputs);
  // Whether the i-th tensor input of apply() (std::vector<Tensor> arguments count one per
  // element) requires grad.
  bool needs_input_grad(std::size_t i) const;

  std::map<std::string, SavedValue> saved_data;

 private:
  friend class detail::FunctionNode;
  friend bool detail::prepare_context(AutogradContext& ctx, const TensorList& inputs);
  friend void detail::finish_function(const detail::FunctionSpec& spec,
                                      std::unique_ptr<AutogradContext> ctx, TensorList inputs,
                                      TensorList& outputs);
  std::vector<bool> needs_input_grad_;
  TensorList to_save_, non_differentiable_;
  const detail::FunctionNode* node_ = nullptr;  // set after forward
};

namespace detail {
struct FunctionSpec {
  const char* name;
  bool once_differentiable;
  TensorList (*backward)(AutogradContext&, TensorList);
};

// The type's name for messages: T::name when given, else the demangled type name.
std::string demangle(const char* mangled);
template <class T>
const char* function_name() {
  if constexpr (requires { T::name; }) {
    return T::name;
  } else {
    static const std::string name = demangle(typeid(T).name());
    return name.c_str();
  }
}

template <class T>
constexpr bool is_once_differentiable() {
  if constexpr (requires { T::once_differentiable; })
    return static_cast<bool>(T::once_differentiable);
  else
    return false;
}

template <class R>
TensorList to_tensor_list(R&& r) {
  using D = std::decay_t<R>;
  if constexpr (std::is_same_v<D, Tensor>)
    return TensorList{std::forward<R>(r)};
  else
    return TensorList(r.begin(), r.end());
}

template <class A>
void collect_tensors(TensorList& out, const A& a) {
  using D = std::decay_t<A>;
  if constexpr (std::is_same_v<D, Tensor>)
    out.push_back(a);
  else if constexpr (std::is_same_v<D, std::vector<Tensor>> || std::is_same_v<D, TensorList>)
    out.insert(out.end(), a.begin(), a.end());
}

template <class T>
TensorList backward_thunk(AutogradContext& ctx, TensorList grads) {
  if constexpr (std::is_invocable_v<decltype(&T::backward), AutogradContext&, TensorList>)
    return to_tensor_list(T::backward(ctx, std::move(grads)));
  else
    return to_tensor_list(T::backward(ctx, std::vector<Tensor>(grads.begin(), grads.end())));
}

template <class T>
const FunctionSpec& function_spec() {
  static const FunctionSpec spec{function_name<T>(), is_once_differentiable<T>(),
                                 &backward_thunk<T>};
  return spec;
}

// needs_input_grad for the tensors collected from apply()'s arguments; whether to record.
bool prepare_context(AutogradContext& ctx, const TensorList& inputs);
// After forward: makes the node, attaches it to the outputs (replacing an output that is an
// input, or repeats another output, by an alias of it) and moves the saved tensors into it.
void finish_function(const FunctionSpec& spec, std::unique_ptr<AutogradContext> ctx,
                     TensorList inputs, TensorList& outputs);
}  // namespace detail

// A user-defined differentiable op:
//
//   struct Scale : xgrad::autograd::Function<Scale> {
//     static Tensor forward(AutogradContext& ctx, const Tensor& x, double k) {
//       ctx.saved_data["k"] = k;
//       return x * k;
//     }
//     static TensorList backward(AutogradContext& ctx, TensorList grad_outputs) {
//       return {grad_outputs[0] * std::get<double>(ctx.saved_data["k"])};
//     }
//   };
//   Tensor y = Scale::apply(x, 2.0);
//
// forward takes any arguments: the Tensors among them (and the elements of std::vector<Tensor>
// arguments), in order, are the op's inputs. It returns a Tensor, a TensorList or a
// std::vector<Tensor>, and runs with grad mode off. backward gets one gradient per output
// (zeros where an output got none, or is non-differentiable) and returns one per input (an
// undefined Tensor() where there is none), of the input's shape or one that sums to it. Written
// with xgrad ops, backward is itself recorded under create_graph, so second derivatives work;
// a backward that is not (e.g. it reads data() directly) declares
// `static constexpr bool once_differentiable = true;`, and differentiating its result then
// raises an Error naming the function. Messages name the function by `static constexpr const
// char* name = "...";` when given, else by its type name.
template <class T>
struct Function {
  template <class... Args>
  static auto apply(Args&&... args) {
    TensorList inputs;
    (detail::collect_tensors(inputs, args), ...);
    auto ctx = std::make_unique<AutogradContext>();
    const bool record = detail::prepare_context(*ctx, inputs);
    auto result = [&] {
      NoGradGuard no_grad;
      return T::forward(*ctx, std::forward<Args>(args)...);
    }();
    if (record) {
      TensorList outputs = detail::to_tensor_list(result);
      detail::finish_function(detail::function_spec<T>(), std::move(ctx), std::move(inputs),
                              outputs);
      if constexpr (std::is_same_v<decltype(result), Tensor>)
        result = outputs[0];
      else
        for (std::size_t i = 0; i < outputs.size(); ++i) result[i] = outputs[i];
    }
    return result;
  }
};

}  // namespace xgrad::autograd
