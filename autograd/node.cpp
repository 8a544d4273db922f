// Node lifetime: recording and iterative release of long chains.
#include "autograd/node.hpp"

#include "tensor/memory.hpp"

namespace xgrad {

namespace detail {
bool should_record(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void set_grad_fn(Tensor& output, std::shared_ptr<Node> node) {
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
}
}  // namespace detail

void Node::release() {
  released_ = true;
  drop_backward();
  TensorList dropped = std::move(inputs_);
  inputs_.clear();
}

Node::~Node() {
  // Destroying a chain recursively (tensor -> node -> tensor -> ...) would overflow the stack
  // for long graphs. Instead, steal the inputs of every node we are the last owner of.
  TensorList pending = std::move(inputs_);
  while (!pending.empty()) {
    Tensor t = std::move(pending.back());
    pending.pop_back();
    TensorImpl* impl = t.impl();
    if (impl && t.impl_ptr().use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1) {
      auto& inner = impl->grad_fn->inputs_;
      for (Tensor& in : inner) pending.push_back(std::move(in));
      inner.clear();
    }
  }
}

}  // namespace xgrad
