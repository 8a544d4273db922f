// Tensor gradient hooks: functions that see (and may replace) the gradient w.r.t. a tensor when
// the engine computes it, and functions that run after a leaf's .grad() was written. Registered
// with Tensor::register_hook / register_post_accumulate_grad_hook; a HookHandle removes one.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace xgrad {

struct TensorHooks {
  std::vector<std::pair<int, std::function<Tensor(const Tensor&)>>> grad;
  std::vector<std::pair<int, std::function<void(Tensor&)>>> post_accumulate;
  int next_id = 0;
};

class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(std::weak_ptr<TensorHooks> hooks, int id) : hooks_(std::move(hooks)), id_(id) {}
  void remove();  // unregisters the hook; a second call does nothing

 private:
  std::weak_ptr<TensorHooks> hooks_;
  int id_ = -1;
};

namespace detail {
// The engine's side: the gradient after t's hooks (each may replace it), and t's
// post-accumulate hooks. Nothing to do (one pointer test) when t has no hooks.
Tensor run_grad_hooks(TensorImpl& t, Tensor grad);
void run_post_accumulate_hooks(Tensor leaf);
}  // namespace detail

}  // namespace xgrad
