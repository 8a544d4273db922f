// Node: one recorded op on the tape — its name, the input tensors, and its backward function.
// A node never holds its output (the engine passes it in), so a graph has no reference cycles
// and is freed when its tensors die.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "tensor/memory.hpp"
#include "tensor/tensor.hpp"

namespace xgrad {

// A list of tensors in the block cache (tensor/memory.hpp): the tape's input lists and
// gradient lists, so a training step after the first allocates nothing.
using TensorList = std::vector<Tensor, BlockAllocator<Tensor>>;

struct BackwardArgs {
  const Tensor& grad;        // d loss / d output, in the output's shape
  const Tensor& output;      // the op's result
  const TensorList& inputs;  // the op's inputs, in order
  bool needs(std::size_t i) const { return inputs[i].requires_grad(); }
};

// A node's backward function returns one gradient per input (undefined where not needed). A
// gradient may still have the output's broadcast shape: the engine sums it back to the input's
// shape.
class Node {
 public:
  Node(const char* name, TensorList inputs) : name_(name), inputs_(std::move(inputs)) {}
  virtual ~Node();  // releases long chains iteratively (no recursion, no stack overflow)
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name() const { return name_; }
  const TensorList& inputs() const { return inputs_; }
  bool released() const { return released_; }
  void release();  // drops inputs and the backward function after a backward pass
  TensorList apply(const Tensor& grad, const Tensor& output) const {
    return backward(BackwardArgs{grad, output, inputs_});
  }

 protected:
  virtual TensorList backward(const BackwardArgs& args) const = 0;
  virtual void drop_backward() = 0;  // frees what the backward function captured

 private:
  const char* name_;
  TensorList inputs_;
  bool released_ = false;
};

namespace detail {
inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->requires_grad()) return true;
  return false;
}
bool should_record(const std::vector<Tensor>& inputs);

// A node holding its backward function F inline: node, inputs list and captures come from the
// block cache in one piece (std::function would put larger captures on the heap).
template <class F>
class NodeWith final : public Node {
 public:
  NodeWith(const char* name, TensorList inputs, F backward)
      : Node(name, std::move(inputs)), backward_(std::move(backward)) {}

 protected:
  TensorList backward(const BackwardArgs& args) const override { return (*backward_)(args); }
  void drop_backward() override { backward_.reset(); }

 private:
  std::optional<F> backward_;
};

void set_grad_fn(Tensor& output, std::shared_ptr<Node> node);

template <class F>
void attach(Tensor& output, const char* name, TensorList inputs, F&& backward) {
  using Stored = NodeWith<std::decay_t<F>>;
  set_grad_fn(output, std::allocate_shared<Stored>(BlockAllocator<Stored>{}, name,
                                                   std::move(inputs), std::forward<F>(backward)));
}
}  // namespace detail

// The one place that decides whether an op is recorded: grad mode is on and some input requires
// grad. Otherwise the backward function is never even constructed.
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, F&& backward) {
  if (detail::should_record({&a})) detail::attach(output, name, {a}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, const Tensor& b, F&& backward) {
  if (detail::should_record({&a, &b}))
    detail::attach(output, name, {a, b}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, const Tensor& b, const Tensor& c,
              F&& backward) {
  if (detail::should_record({&a, &b, &c}))
    detail::attach(output, name, {a, b, c}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs, F&& backward) {
  if (detail::should_record(inputs))
    detail::attach(output, name, TensorList(inputs.begin(), inputs.end()),
                   std::forward<F>(backward));
  return output;
}

}  // namespace xgrad
