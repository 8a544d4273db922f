// The backward engine: iterative topological order, one reverse pass, un-broadcasting and
// gradient validation in one place, accumulation into leaves, graph release.
#pragma once

#include <span>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad {

// Accumulates d(outputs)/d(leaf) into every leaf's .grad(). `grad_outputs` may be empty for
// scalar outputs (ones are used).
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

// Gradients of `outputs` with respect to `inputs` (leaves or intermediate tensors), returned
// instead of accumulated: .grad() is not touched. With create_graph the result is itself
// differentiable (higher-order derivatives). An input the outputs do not depend on is an error
// unless allow_unused, in which case its gradient is undefined.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

namespace detail {
// The reverse pass behind backward(), grad() and Tensor::backward().
std::vector<Tensor> run_backward(std::span<const Tensor> outputs,
                                 std::span<const Tensor> grad_outputs, bool retain_graph,
                                 bool create_graph, const std::vector<Tensor>* wanted);
}  // namespace detail

}  // namespace xgrad
