// autograd::functional: vector-Jacobian and Jacobian-vector products, full Jacobians and
// Hessians of a function of tensors, as torch.autograd.functional. Built on grad(): Jacobians and
// Hessians are computed row by row, one backward pass per output element (`vectorize` is
// accepted for PyTorch's sake and changes nothing); jvp and hvp use the double-backward trick.
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::autograd::functional {

// What TensorFunction accepts: a callable taking a list of tensors, or one tensor (disjunction
// stops at the first: a generic lambda is not instantiated for a Tensor once a list works).
template <class F>
inline constexpr bool takes_tensors_v =
    std::disjunction_v<std::is_invocable<const F&, const std::vector<Tensor>&>,
                       std::is_invocable<const F&, const Tensor&>>;

// The function being differentiated: it takes a list of tensors (or one tensor, when it is given
// exactly one input) and returns one tensor or a list of them.
class TensorFunction {
 public:
  using Impl = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
  template <class F, class = std::enable_if_t<takes_tensors_v<F>>>
  TensorFunction(F f) {  // NOLINT: implicit, so that a lambda can be passed directly
    if constexpr (std::is_invocable_v<const F&, const std::vector<Tensor>&>) {
      using R = std::invoke_result_t<const F&, const std::vector<Tensor>&>;
      static_assert(
          std::is_convertible_v<R, Tensor> || std::is_convertible_v<R, std::vector<Tensor>>,
          "the function must return a Tensor or a std::vector<Tensor>");
      impl_ = [f = std::move(f)](const std::vector<Tensor>& x) { return as_list(f(x)); };
    } else {
      using R = std::invoke_result_t<const F&, const Tensor&>;
      static_assert(
          std::is_convertible_v<R, Tensor> || std::is_convertible_v<R, std::vector<Tensor>>,
          "the function must return a Tensor or a std::vector<Tensor>");
      unary_ = true;
      impl_ = [f = std::move(f)](const std::vector<Tensor>& x) { return as_list(f(x[0])); };
    }
  }
  // Calls it, checking what it returns; `op` names the caller in errors.
  std::vector<Tensor> operator()(const char* op, const std::vector<Tensor>& inputs) const;

 private:
  static std::vector<Tensor> as_list(Tensor t) { return {std::move(t)}; }
  static std::vector<Tensor> as_list(std::vector<Tensor> v) { return v; }
  Impl impl_;
  bool unary_ = false;
};

struct FunctionalOptions {
  // The results (and the outputs returned with them) keep their graphs, so they can be
  // differentiated again; inputs that require grad are then joined to those graphs.
  bool create_graph = false;
  // An output that does not depend on an input is an Error instead of a zero block.
  bool strict = false;
  // Accepted for PyTorch's sake: Jacobians and Hessians are always computed row by row.
  bool vectorize = false;
};

// What vjp, jvp, vhp and hvp return: the function's outputs (detached unless create_graph) and
// the product, one tensor per input (vjp, vhp, hvp) or per output (jvp).
struct ProductResult {
  std::vector<Tensor> outputs;
  std::vector<Tensor> product;
};

// Inputs must be floating-point tensors; they need not require grad (the function is
// differentiated with respect to detached copies of them, so their .grad() is never touched).
// `v` has one tensor per output (vjp) or per input (jvp, vhp, hvp), each of that tensor's
// shape (a floating v of another dtype is cast); it may be left empty when each of those tensors
// has one element, meaning ones. A part of the result an output does not depend on is zeros.

// vᵀ J: for each input j, Σᵢ vᵢᵀ ∂outputᵢ/∂inputⱼ, in input j's shape.
ProductResult vjp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v = {}, const FunctionalOptions& options = {});
// J v: for each output i, Σⱼ ∂outputᵢ/∂inputⱼ vⱼ, in output i's shape (two backward passes).
ProductResult jvp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v = {}, const FunctionalOptions& options = {});

// J[i][j] = ∂outputᵢ/∂inputⱼ, of shape output i's shape followed by input j's (as PyTorch's
// jacobian; J[0][0] for one input and one output).
using Jacobian = std::vector<std::vector<Tensor>>;
Jacobian jacobian(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const FunctionalOptions& options = {});

// For a function returning one tensor with one element: H[i][j] = ∂²f/∂inputᵢ∂inputⱼ, of shape
// input i's shape followed by input j's.
Jacobian hessian(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                 const FunctionalOptions& options = {});
// For a function returning one tensor with one element: vᵀ H (two backward passes) and H v
// (three, the double-backward trick), one tensor per input; equal when f is twice
// continuously differentiable.
ProductResult vhp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v = {}, const FunctionalOptions& options = {});
ProductResult hvp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v = {}, const FunctionalOptions& options = {});

}  // namespace xgrad::autograd::functional
