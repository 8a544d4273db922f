// Tensor gradient hooks (hooks.hpp): registration on the tensor, removal, and the calls the
// engine makes.
#include "autograd/hooks.hpp"

#include "tensor/impl_access.hpp"

namespace xgrad {

namespace {
TensorHooks& hooks_of(Tensor& t, const char* what) {
  if (!t.defined()) throw Error(std::string(what) + ": undefined tensor");
  if (!t.requires_grad())
    throw Error(std::string(what) +
                ": cannot register a hook on a tensor that does not require grad");
  std::shared_ptr<TensorHooks>& hooks = detail::ImplAccess::hooks(*t.impl());
  if (!hooks) hooks = std::make_shared<TensorHooks>();
  return *hooks;
}
}  // namespace

HookHandle Tensor::register_hook(std::function<Tensor(const Tensor&)> fn) {
  TensorHooks& hooks = hooks_of(*this, "register_hook");
  hooks.grad.emplace_back(hooks.next_id, std::move(fn));
  return HookHandle(detail::ImplAccess::hooks(*impl()), hooks.next_id++);
}

HookHandle Tensor::register_post_accumulate_grad_hook(std::function<void(Tensor&)> fn) {
  if (!is_leaf())
    throw Error(
        "register_post_accumulate_grad_hook: only leaves accumulate .grad(); this tensor "
        "of shape " +
        format_shape(shape()) + " has a grad_fn");
  TensorHooks& hooks = hooks_of(*this, "register_post_accumulate_grad_hook");
  hooks.post_accumulate.emplace_back(hooks.next_id, std::move(fn));
  return HookHandle(detail::ImplAccess::hooks(*impl()), hooks.next_id++);
}

void HookHandle::remove() {
  if (const std::shared_ptr<HookRegistry> hooks = hooks_.lock()) hooks->remove(id_);
  hooks_.reset();
}

Tensor detail::run_grad_hooks(TensorImpl& t, Tensor grad) {
  const std::shared_ptr<TensorHooks> hooks = ImplAccess::hooks(t);  // a hook may remove itself
  if (!hooks || hooks->grad.empty()) return grad;
  const auto entries = hooks->grad;
  for (const auto& [id, fn] : entries) {
    Tensor replaced = fn(grad);
    if (!replaced.defined()) continue;
    if (replaced.shape() != grad.shape() || replaced.dtype() != grad.dtype())
      throw Error("register_hook: a hook on a tensor of shape " + format_shape(grad.shape()) + " " +
                  dtype_name(grad.dtype()) + " returned a gradient of shape " +
                  format_shape(replaced.shape()) + " " + dtype_name(replaced.dtype()));
    grad = std::move(replaced);
  }
  return grad;
}

void detail::run_post_accumulate_hooks(Tensor leaf) {
  const std::shared_ptr<TensorHooks> hooks = ImplAccess::hooks(*leaf.impl());
  if (!hooks || hooks->post_accumulate.empty()) return;
  const auto entries = hooks->post_accumulate;
  for (const auto& [id, fn] : entries) fn(leaf);
}

}  // namespace xgrad
