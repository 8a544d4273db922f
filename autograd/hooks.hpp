// Tensor gradient hooks: functions that see (and may replace) the gradient w.r.t. a tensor when
// the engine computes it, and functions that run after a leaf's .grad() was written. Registered
// with Tensor::register_hook / register_post_accumulate_grad_hook; a HookHandle removes one.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad {

// Where hooks are kept (a tensor's, a module's): lists of (id, function); remove(id) drops the
// entry with that id from every list.
struct HookRegistry {
  virtual ~HookRegistry() = default;
  virtual void remove(int id) = 0;
  int next_id = 0;
};

namespace detail {
template <class List>
void remove_hook(List& list, int id) {
  std::erase_if(list, [id](const auto& entry) { return entry.first == id; });
}
}  // namespace detail

struct TensorHooks final : HookRegistry {
  std::vector<std::pair<int, std::function<Tensor(const Tensor&)>>> grad;
  std::vector<std::pair<int, std::function<void(Tensor&)>>> post_accumulate;
  void remove(int id) override {
    detail::remove_hook(grad, id);
    detail::remove_hook(post_accumulate, id);
  }
};

// Returned by every register_*hook: remove() unregisters that hook (a second call, or a call
// after the tensor or module is gone, does nothing).
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(std::weak_ptr<HookRegistry> hooks, int id) : hooks_(std::move(hooks)), id_(id) {}
  void remove();

 private:
  std::weak_ptr<HookRegistry> hooks_;
  int id_ = -1;
};

namespace detail {
// The engine's side: the gradient after t's hooks (each may replace it), and t's
// post-accumulate hooks. Nothing to do (one pointer test) when t has no hooks.
Tensor run_grad_hooks(TensorImpl& t, Tensor grad);
void run_post_accumulate_hooks(Tensor leaf);
}  // namespace detail

}  // namespace xgrad
