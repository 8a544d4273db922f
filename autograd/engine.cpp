// Engine implementation. Tensors are the graph's vertices (micrograd-style); each non-leaf
// tensor's node lists its inputs. The walk is iterative, so a 1,000,000-op chain is fine.
#include "autograd/engine.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>

#include "tensor/grad_mode.hpp"
#include "autograd/hooks.hpp"
#include "autograd/node.hpp"
#include "autograd/profiler.hpp"
#include "autograd/ops.hpp"
#include "tensor/impl_access.hpp"

namespace xgrad {

namespace {
// Holds one of a fixed set of spin locks, picked by the leaf's address: accumulations into
// different leaves rarely share one, nothing is allocated per leaf, and an uncontended lock is
// one atomic exchange (a mutex's lock and unlock calls cost 3% of a tiny training step).
class LeafLock {
 public:
  explicit LeafLock(const TensorImpl* leaf)
      : flag_(flags()[(reinterpret_cast<std::uintptr_t>(leaf) >> 6) % kLocks]) {
    while (flag_.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
  }
  ~LeafLock() { flag_.store(false, std::memory_order_release); }
  LeafLock(const LeafLock&) = delete;
  LeafLock& operator=(const LeafLock&) = delete;

 private:
  static constexpr std::size_t kLocks = 64;
  static std::atomic<bool>* flags() {
    static std::atomic<bool> locks[kLocks];
    return locks;
  }
  std::atomic<bool>& flag_;
};
}  // namespace

namespace {

using detail::ImplAccess;

// TensorImpl* -> position in the topological order, as an open-addressing table (one
// allocation per backward instead of one per tensor).
class PositionIndex {
 public:
  static constexpr int64_t kAbsent = -2, kVisiting = -1;
  int64_t find(const TensorImpl* key) const {
    if (keys_.empty()) return kAbsent;
    for (std::size_t i = hash(key);; i = (i + 1) & mask()) {
      if (keys_[i] == key) return values_[i];
      if (!keys_[i]) return kAbsent;
    }
  }
  void clear() {
    std::fill(keys_.begin(), keys_.end(), nullptr);
    size_ = 0;
  }
  void set(const TensorImpl* key, int64_t value) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    std::size_t i = hash(key);
    while (keys_[i] && keys_[i] != key) i = (i + 1) & mask();
    if (!keys_[i]) ++size_;
    keys_[i] = key;
    values_[i] = value;
  }

 private:
  std::size_t mask() const { return keys_.size() - 1; }
  std::size_t hash(const TensorImpl* key) const {
    return (reinterpret_cast<std::uintptr_t>(key) >> 4) * 0x9E3779B97F4A7C15ull >> 7 & mask();
  }
  void grow() {
    std::vector<const TensorImpl*> keys = std::move(keys_);
    std::vector<int64_t> values = std::move(values_);
    keys_.assign(std::max<std::size_t>(64, 2 * keys.size()), nullptr);
    values_.assign(keys_.size(), kAbsent);
    size_ = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i]) set(keys[i], values[i]);
  }
  std::vector<const TensorImpl*> keys_;
  std::vector<int64_t> values_;
  std::size_t size_ = 0;
};

struct Frame {
  std::shared_ptr<TensorImpl> t;
  std::size_t next;
};

// The buffers of one backward pass. They are kept per thread and reused (emptied, capacity
// kept), so a training step's backward allocates nothing once warm; a backward nested inside
// another (e.g. grad() called from a backward function) takes the next set.
struct Graph {
  std::vector<std::shared_ptr<TensorImpl>> order;  // post-order: inputs before users, roots last
  PositionIndex position;                          // of each tensor in `order`
  std::vector<Frame> stack;                        // of the depth-first walk
  std::vector<Tensor> grads, captured;             // by position in `order`
};

class GraphLease {
 public:
  GraphLease() {
    if (pool().size() <= depth()) pool().push_back(std::make_unique<Graph>());
    graph_ = pool()[depth()++].get();
  }
  ~GraphLease() {
    graph_->order.clear();
    graph_->position.clear();
    graph_->stack.clear();
    graph_->grads.clear();
    graph_->captured.clear();
    --depth();
  }
  GraphLease(const GraphLease&) = delete;
  GraphLease& operator=(const GraphLease&) = delete;
  Graph& operator*() { return *graph_; }

 private:
  static std::vector<std::unique_ptr<Graph>>& pool() {
    thread_local std::vector<std::unique_ptr<Graph>> graphs;
    return graphs;
  }
  static std::size_t& depth() {
    thread_local std::size_t d = 0;
    return d;
  }
  Graph* graph_;
};

// Every tensor reachable from the roots through nodes that requires grad, into g.order.
void topological_order(std::span<const Tensor> roots, Graph& g) {
  std::vector<Frame>& stack = g.stack;
  for (const Tensor& root : roots) {
    if (g.position.find(root.impl()) != PositionIndex::kAbsent) continue;
    g.position.set(root.impl(), PositionIndex::kVisiting);
    stack.push_back({root.impl_ptr(), 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      Node* node = ImplAccess::grad_fn(*f.t).get();
      if (node && node->released())
        throw Error(std::string("backward: the graph through '") + node->name() +
                    "' was already released by an earlier backward; pass retain_graph=true to "
                    "the first backward to run it again");
      if (node && f.next < node->inputs().size()) {
        const auto& in = node->input_vertex(f.next++);
        if (ImplAccess::requires_grad(*in) && g.position.find(in.get()) == PositionIndex::kAbsent) {
          g.position.set(in.get(), PositionIndex::kVisiting);
          stack.push_back({in, 0});
        }
        continue;
      }
      g.position.set(f.t.get(), static_cast<int64_t>(g.order.size()));
      g.order.push_back(std::move(f.t));
      stack.pop_back();
    }
  }
}

void check_gradient(const char* where, const Tensor& t, const Tensor& g) {
  if (g.shape() != t.shape() || g.dtype() != t.dtype())
    throw Error(std::string(where) + ": gradient of shape " + format_shape(g.shape()) + " " +
                dtype_name(g.dtype()) + " for a tensor of shape " + format_shape(t.shape()) + " " +
                dtype_name(t.dtype()));
}

TensorList root_gradients(std::span<const Tensor> outputs, std::span<const Tensor> grad_outputs) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw Error("backward: got " + std::to_string(grad_outputs.size()) + " gradients for " +
                std::to_string(outputs.size()) + " outputs");
  TensorList grads;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.defined()) throw Error("backward: output is undefined");
    if (!out.requires_grad())
      throw Error("backward: tensor of shape " + format_shape(out.shape()) +
                  " does not require grad and has no grad_fn");
    if (grad_outputs.empty() || !grad_outputs[i].defined()) {
      if (out.numel() != 1)
        throw Error("backward: a gradient can be implied only for a scalar output, got shape " +
                    format_shape(out.shape()) + "; pass backward(gradient)");
      grads.push_back(ones(out.shape(), out.dtype()));
    } else {
      check_gradient("backward", out, grad_outputs[i]);
      grads.push_back(grad_outputs[i]);
    }
  }
  return grads;
}

// In anomaly mode an error raised by a backward function says where its op was called.
TensorList apply_in_anomaly_mode(const Node& node, const Tensor& grad, const Tensor& output) {
  try {
    return node.apply(grad, output);
  } catch (const Error& e) {
    std::string where = "; in the backward of '" + std::string(node.name()) +
                        "', whose forward call was at " + detail::forward_call_site(node);
    if (const std::string path = detail::module_path(node); !path.empty())
      where += ", in module " + path;
    throw Error(e.what() + where);
  }
}

}  // namespace

// Runs the reverse pass. When `wanted` is given, gradients of those tensors are returned and
// leaves are left alone; otherwise gradients accumulate into leaves' .grad(). The graph is kept
// when retain_graph or create_graph asks for it.
std::vector<Tensor> detail::run_backward(std::span<const Tensor> outputs,
                                         std::span<const Tensor> grad_outputs, bool retain_graph,
                                         bool create_graph, const std::vector<Tensor>* wanted) {
  TensorList root_grads = root_gradients(outputs, grad_outputs);
  GraphLease lease;
  Graph& graph = *lease;
  topological_order(outputs, graph);
  const auto& order = graph.order;

  // grads[k]: the gradient accumulated so far for order[k].
  std::vector<Tensor>& grads = graph.grads;
  grads.resize(order.size());
  auto accumulate = [&](const TensorImpl* t, const Tensor& g) {
    Tensor& slot = grads[static_cast<std::size_t>(graph.position.find(t))];
    slot = slot.defined() ? add(slot, g) : g;
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) accumulate(outputs[i].impl(), root_grads[i]);
  std::vector<Tensor>& captured = graph.captured;  // gradients of `wanted` tensors
  if (wanted) captured.resize(order.size());

  const bool anomaly = is_anomaly_enabled();
  GradModeGuard mode(create_graph);
  for (std::size_t k = order.size(); k-- > 0;) {
    if (!grads[k].defined()) continue;
    TensorImpl* impl = order[k].get();
    Tensor g = std::move(grads[k]);
    if (ImplAccess::hooks(*impl)) g = run_grad_hooks(*impl, std::move(g));
    if (wanted) captured[k] = g;
    Node* node = ImplAccess::grad_fn(*impl).get();
    if (!node) {
      if (wanted) continue;
      {
        // Backward passes in several threads may reach the same leaf (a shared parameter): its
        // accumulation is serialised, as in PyTorch; the rest of each pass stays lock-free.
        const LeafLock lock(impl);
        Tensor& leaf_grad = ImplAccess::grad(*impl);
        if (!leaf_grad.defined()) {
          // Steal the gradient when nothing else can see its storage; otherwise copy it, since
          // later accumulation happens in place (and optimizers want it dense).
          bool sole = ImplAccess::owns_storage_alone(g);
          leaf_grad = create_graph ? g.contiguous() : sole ? g : g.contiguous_copy();
        } else if (create_graph || leaf_grad.grad_fn()) {
          leaf_grad = add(leaf_grad, g);
        } else {
          NoGradGuard no_grad;
          leaf_grad.add_(g);
        }
      }
      if (ImplAccess::hooks(*impl)) run_post_accumulate_hooks(Tensor(order[k]));
      continue;
    }
    Tensor output(order[k]);
    TensorList input_grads;
    {
      const detail::BackwardScope profiled(node->name(), g);
      input_grads = anomaly ? apply_in_anomaly_mode(*node, g, output) : node->apply(g, output);
    }
    const auto& inputs = node->inputs();
    if (input_grads.size() != inputs.size())
      throw Error(std::string(node->name()) + ": backward returned " +
                  std::to_string(input_grads.size()) + " gradients for " +
                  std::to_string(inputs.size()) + " inputs");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Tensor gi = input_grads[i];
      const std::shared_ptr<TensorImpl>& vertex = node->input_vertex(i);
      const Tensor& in = inputs[i];  // the vertex has its shape and dtype
      if (!gi.defined() || !ImplAccess::requires_grad(*vertex)) continue;
      // Un-broadcast and un-promote, in one place: float32 x * float64 y gives x a float32 grad.
      if (gi.shape() != in.shape()) gi = sum_to(gi, in.shape());
      if (gi.dtype() != in.dtype() && is_floating_point(gi.dtype())) gi = cast(gi, in.dtype());
      if (gi.shape() != in.shape() || gi.dtype() != in.dtype())
        throw Error(std::string(node->name()) + ": backward produced a gradient of shape " +
                    format_shape(gi.shape()) + " " + dtype_name(gi.dtype()) + " for input " +
                    std::to_string(i) + " of shape " + format_shape(in.shape()) + " " +
                    dtype_name(in.dtype()));
      if (anomaly) detail::check_anomaly_gradient(*node, i, gi);
      accumulate(vertex.get(), gi);
    }
  }

  if (!retain_graph && !create_graph)
    for (const auto& impl : order)
      if (const auto& fn = ImplAccess::grad_fn(*impl)) fn->release();

  std::vector<Tensor> result;
  if (wanted)
    for (const Tensor& w : *wanted) {
      const int64_t k = graph.position.find(w.impl());
      result.push_back(k >= 0 ? captured[static_cast<std::size_t>(k)] : Tensor());
    }
  return result;
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              bool retain_graph, bool create_graph) {
  detail::run_backward(outputs, grad_outputs, retain_graph, create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw Error("grad: input " + std::to_string(i) + " does not require grad");
  std::vector<Tensor> result =
      detail::run_backward(outputs, grad_outputs, retain_graph, create_graph, &inputs);
  for (std::size_t i = 0; i < result.size(); ++i)
    if (!result[i].defined() && !allow_unused)
      throw Error("grad: input " + std::to_string(i) + " of shape " +
                  format_shape(inputs[i].shape()) +
                  " was not used to compute the outputs; pass allow_unused=true");
  return result;
}
}  // namespace xgrad
