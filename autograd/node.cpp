// Node lifetime: recording (plain, view and in-place nodes), the version checks of saved
// tensors, and iterative release of long chains.
#include "autograd/node.hpp"

#include "tensor/impl_access.hpp"
#include "tensor/memory.hpp"

#include <string>

namespace xgrad {

namespace detail {
bool should_record(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void set_grad_fn(Tensor& output, std::shared_ptr<Node> node) {
  node->output_version_ = output.version();
  ImplAccess::grad_fn(*output.impl()) = std::move(node);
  ImplAccess::set_requires_grad(*output.impl(), true);
}

void check_inplace_target(const char* name, const Tensor& self) {
  if (!self.defined()) throw Error(std::string(name) + ": the tensor is undefined");
  if (!is_grad_enabled()) return;
  if (self.requires_grad() && self.is_leaf())
    throw Error(std::string(name) +
                ": in-place update of a leaf tensor that requires grad; wrap it in NoGradGuard "
                "(optimizers and initialisers do)");
  const std::shared_ptr<Node>& fn = self.grad_fn();
  if (fn && fn->kind() == Node::Kind::view)
    throw Error(std::string(name) + ": in-place update of a view (made by '" + fn->name() +
                "') of a tensor in the graph is not supported; clone() the view first");
}

Tensor split_history(Tensor& self) {
  Tensor old = make_view(self, self.shape(), self.strides(), self.storage_offset());
  TensorImpl& from = *self.impl();
  TensorImpl& to = *old.impl();
  ImplAccess::grad_fn(to) = std::move(ImplAccess::grad_fn(from));
  ImplAccess::set_requires_grad(to, ImplAccess::requires_grad(from));
  return old;
}

void restore_history(Tensor& self, Tensor& old) {
  ImplAccess::grad_fn(*self.impl()) = std::move(ImplAccess::grad_fn(*old.impl()));
}

void set_inplace_grad_fn(Tensor& self, std::shared_ptr<Node> node) {
  node->set_kind(Node::Kind::inplace);
  set_grad_fn(self, std::move(node));
}
}  // namespace detail

const std::shared_ptr<TensorImpl>& Node::input_vertex(std::size_t i) const {
  const std::shared_ptr<TensorImpl>* t = &inputs_[i].impl_ptr();
  const uint64_t seen = version_at(i);
  for (;;) {
    const Node* fn = detail::ImplAccess::grad_fn(**t).get();
    // The in-place node recorded its input 0 at the version just before its write.
    if (!fn || fn->kind_ != Kind::inplace || seen > fn->version_at(0)) return *t;
    t = &fn->inputs_[0].impl_ptr();
  }
}

Node::Node(const char* name, TensorList inputs, TensorList saved)
    : name_(name), inputs_(std::move(inputs)), saved_(std::move(saved)) {
  const std::size_t n = inputs_.size() + saved_.size();
  if (n > 4) more_versions_ = std::make_unique<uint64_t[]>(n - 4);
  for (std::size_t k = 0; k < n; ++k) {
    const Tensor& t = k < inputs_.size() ? inputs_[k] : saved_[k - inputs_.size()];
    (k < 4 ? versions_[k] : more_versions_[k - 4]) = t.defined() ? t.version() : 0;
  }
}

void Node::check_version(const Tensor& t, const char* what, std::size_t index,
                         uint64_t version) const {
  if (!t.defined() || t.version() == version) return;
  std::string which = std::string(what) == "output" ? "its output" : std::string(what) + " " +
                                                                         std::to_string(index);
  throw Error(std::string(name_) + ": " + which + " of shape " + format_shape(t.shape()) +
              ", saved for backward, was modified by an in-place operation (version " +
              std::to_string(version) + " when saved, now " + std::to_string(t.version()) +
              "); clone() it before the in-place write, or write into a copy");
}

void Node::release() {
  released_ = true;
  drop_backward();
  TensorList dropped = std::move(inputs_), dropped_saved = std::move(saved_);
  inputs_.clear();
  saved_.clear();
}

Node::~Node() {
  // Destroying a chain recursively (tensor -> node -> tensor -> ...) would overflow the stack
  // for long graphs. Instead, steal the inputs of every node we are the last owner of.
  TensorList pending = std::move(inputs_);
  while (!pending.empty()) {
    Tensor t = std::move(pending.back());
    pending.pop_back();
    TensorImpl* impl = t.impl();
    if (!impl || t.impl_ptr().use_count() != 1) continue;
    const std::shared_ptr<Node>& fn = detail::ImplAccess::grad_fn(*impl);
    if (fn && fn.use_count() == 1) {
      auto& inner = fn->inputs_;
      for (Tensor& in : inner) pending.push_back(std::move(in));
      inner.clear();
    }
  }
}

}  // namespace xgrad
