// gradcheck / gradgradcheck: compare analytic gradients (the engine) with central finite
// differences in float64, as PyTorch's torch.autograd.gradcheck does.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad {

// PyTorch's options and defaults, except that a failure is returned (raise_exception = false).
// An analytic value a passes against the numeric n when |a - n| <= atol + rtol·|n|.
struct GradcheckOptions {
  double eps = 1e-6;  // step of the central differences
  double atol = 1e-5;
  double rtol = 1e-3;
  // Two backward passes with the same gradient may differ by this much per element (0: they
  // must agree exactly).
  double nondet_tol = 0.0;
  // Backward must treat a missing output gradient as zeros: with a zero output gradient every
  // input gradient is zero (or undefined). xgrad materialises missing gradients (a Function's
  // unused outputs get zeros), so this is what an undefined gradient means here.
  bool check_undefined_grad = true;
  // Throw the failure as an xgrad::Error instead of returning it.
  bool raise_exception = false;
  // Random projections vᵀJu instead of the full Jacobian: one backward and two forwards per
  // input, for inputs too large for the element-by-element check.
  bool fast_mode = false;
  uint64_t seed = 0;
};

// Converts to bool; on failure message() explains the first mismatch: the input and its element
// (flat index, and coordinates for 2-d and up), the output element, the numeric and analytic
// values, their difference and the tolerance it exceeds. Printable, so doctest's
// CHECK(gradcheck(...)) shows why it failed.
class GradcheckResult {
 public:
  GradcheckResult() = default;
  explicit GradcheckResult(std::string failure) : ok_(false), message_(std::move(failure)) {}
  explicit operator bool() const { return ok_; }
  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

 private:
  bool ok_ = true;
  std::string message_ = "gradcheck passed";
};
std::ostream& operator<<(std::ostream& os, const GradcheckResult& r);

using DifferentiableFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d fn / d input for every input that requires grad (all must be float64). Also checks
// that backward is deterministic (to nondet_tol), that each gradient has its input's shape and
// dtype, and (check_undefined_grad) that a zero output gradient gives zero gradients.
GradcheckResult gradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

// Second derivatives: gradchecks (inputs, v) -> vᵀ J(inputs) computed with create_graph, for a
// random v. Its messages name the checked function's output elements "first derivative
// d output / d input k, element i", and v "the output gradient v".
GradcheckResult gradgradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace xgrad
