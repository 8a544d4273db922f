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

void attach(Tensor& output, const char* name, TensorList inputs, BackwardFn backward) {
  output.impl()->grad_fn = std::allocate_shared<Node>(BlockAllocator<Node>{}, name,
                                                      std::move(inputs), std::move(backward));
  output.impl()->requires_grad = true;
}
}  // namespace detail

void Node::release() {
  released_ = true;
  backward_ = nullptr;
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
