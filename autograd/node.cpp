// Node lifetime: recording (plain, view and in-place nodes), the version checks of saved
// tensors, and iterative release of long chains.
#include "autograd/node.hpp"

#include "autograd/ops.hpp"
#include "autograd/view_ops.hpp"
#include "tensor/impl_access.hpp"
#include "tensor/kernels.hpp"
#include "tensor/memory.hpp"

#include <string>

namespace xgrad {

namespace detail {
bool should_record(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) {
    note_captured(inputs);
    return false;
  }
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void set_grad_fn(Tensor& output, std::shared_ptr<Node> node) {
  node->output_version_ = output.version();
  if (is_anomaly_enabled() && !node->anomaly_) [[unlikely]]
    node->anomaly_ = capture_anomaly_context();
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
}

bool is_graph_view(const Tensor& t) {
  const std::shared_ptr<Node>& fn = t.grad_fn();
  return fn && (fn->kind() == Node::Kind::view || fn->kind() == Node::Kind::rebased_view);
}

void inplace_on_view(const char* name, Tensor& view, const std::function<void(Tensor&)>& op) {
  const std::shared_ptr<Node> vn_old = view.grad_fn();
  // The base: down the chain of views to the first tensor that is not one.
  std::size_t b = vn_old->kind() == Node::Kind::rebased_view ? 1 : 0;
  const Node* fn = vn_old.get();
  Tensor base = fn->inputs_[b];
  bool fresh = fn->input_vertex(b) == base.impl_ptr();
  while (fresh && is_graph_view(base)) {
    fn = base.grad_fn().get();
    b = fn->kind() == Node::Kind::rebased_view ? 1 : 0;
    fresh = fn->input_vertex(b) == fn->inputs_[b].impl_ptr();
    base = fn->inputs_[b];
  }
  if (!fresh || !base.is_contiguous() || !view.is_alias_of(base))
    throw Error(std::string(name) + ": in-place update of this view (made by '" + vn_old->name() +
                "') is not supported: its base is not contiguous, or was changed in place "
                "since the view was taken; clone() the view first");
  const kernels::Layout rel{view.shape(), view.strides(),
                            view.storage_offset() - base.storage_offset()};
  // Where the base keeps its own gradient: everywhere but the view.
  Tensor keep = ones(base.shape(), Dtype::bool_);
  {
    Tensor region = kernels::view_as(keep, rel);
    kernels::fill(region, false);
  }
  const uint64_t before = base.version();
  Tensor base_old = split_history(base);
  Tensor view_old = strided_view(base_old, rel);
  Tensor copy = xgrad::clone(view_old);
  try {
    op(copy);
  } catch (...) {
    restore_history(base, base_old);
    throw;
  }
  const Shape base_shape = base.shape();
  std::shared_ptr<Node> slices =
      make_node("copy_slices", {base_old, copy}, {}, [keep, rel](const BackwardArgs& g) {
        return TensorList{mul(g.grad, keep), strided_view(g.grad.contiguous(), rel)};
      });
  write_copy(view, copy);
  set_inplace_grad_fn(base, std::move(slices));
  std::shared_ptr<Node> vn =
      make_node(vn_old->name(), {view_old, base}, {}, [base_shape, rel](const BackwardArgs& g) {
        return TensorList{Tensor(), strided_scatter(g.grad, base_shape, rel)};
      });
  vn->versions_[0] = before;  // the view's uses from before the write keep its old history
  vn->set_kind(Node::Kind::rebased_view);
  set_grad_fn(view, std::move(vn));
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
    const bool rewritten = fn && (fn->kind_ == Kind::inplace || fn->kind_ == Kind::rebased_view);
    if (!rewritten || seen > fn->version_at(0)) return *t;
    t = &fn->inputs_[0].impl_ptr();
  }
}

namespace {
// A view taken before its base was changed in place by a recorded op still has the old history;
// using it would give the base a wrong gradient, so it is refused (take the view again).
void check_fresh_view(const char* op, const Tensor& t, std::size_t i) {
  const Node* fn = detail::ImplAccess::grad_fn(*t.impl()).get();
  const Node* first = fn;
  // Down the chain of views (a view of a view ...) to the first tensor that is not one.
  while (fn && fn->kind() == Node::Kind::view && !fn->inputs().empty()) {
    if (fn->input_vertex(0) != fn->inputs()[0].impl_ptr())
      throw Error(std::string(op) + ": input " + std::to_string(i) + " is a view (made by '" +
                  first->name() +
                  "') of a tensor that was changed in place after the view was taken; take the "
                  "view again after the in-place op");
    fn = detail::ImplAccess::grad_fn(*fn->inputs()[0].impl()).get();
  }
}
}  // namespace

Node::Node(const char* name, TensorList inputs, TensorList saved)
    : name_(name), inputs_(std::move(inputs)), saved_(std::move(saved)) {
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i].defined()) check_fresh_view(name_, inputs_[i], i);
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
  std::string which = std::string(what) == "output"
                          ? "its output"
                          : std::string(what) + " " + std::to_string(index);
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
