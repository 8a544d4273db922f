// Node: one recorded op on the tape — its name, the input tensors, and its backward function.
// A node never holds its output (the engine passes it in), so a graph has no reference cycles
// and is freed when its tensors die.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "anomaly.hpp"
#include "../tensor/grad_mode.hpp"
#include "../tensor/memory.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad {

// A list of tensors in the block cache (tensor/memory.hpp): the tape's input lists and
// gradient lists, so a training step after the first allocates nothing.
using TensorList = std::vector<Tensor, BlockAllocator<Tensor>>;

class Node;
namespace detail {
void set_grad_fn(Tensor& output, std::shared_ptr<Node> node);
// An in-place op on a view of a tensor in the graph (PyTorch's CopySlices): `op` runs on a copy
// of the view, the result is written into the view, and the base's and the view's histories are
// rebased onto it, so gradients reach the base through the write.
void inplace_on_view(const char* name, Tensor& view, const std::function<void(Tensor&)>& op);
bool is_graph_view(const Tensor& t);
}  // namespace detail

// What a backward function sees. Tensors it reads the values of are "saved": input(i),
// output() and saved(i) check that no in-place write changed them since the op ran (the
// storage's version), and raise an Error naming the op otherwise. Shapes are always safe.
class BackwardArgs {
 public:
  BackwardArgs(const Tensor& grad, const Tensor& output, const Node& node)
      : grad(grad), output_(output), node_(node) {}
  const Tensor& grad;  // d loss / d output, in the output's shape
  const Tensor& input(std::size_t i) const;
  const Shape& input_shape(std::size_t i) const;
  std::size_t num_inputs() const;
  bool needs(std::size_t i) const;           // whether input i wants a gradient
  const Tensor& output() const;              // the op's result
  const Tensor& saved(std::size_t i) const;  // tensors recorded with Saved{...}

 private:
  const Tensor& output_;
  const Node& node_;
};

// Extra tensors a backward function needs that are not inputs (e.g. a softmax computed in the
// forward pass). They get no gradient and are version-checked like inputs.
struct Saved {
  TensorList tensors;
};

// A node's backward function returns one gradient per input (undefined where not needed). A
// gradient may still have the output's broadcast shape: the engine sums it back to the input's
// shape.
class Node {
 public:
  Node(const char* name, TensorList inputs, TensorList saved = {});
  virtual ~Node();  // releases long chains iteratively (no recursion, no stack overflow)
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name() const { return name_; }
  const TensorList& inputs() const { return inputs_; }
  const TensorList& saved() const { return saved_; }  // what the backward saved besides inputs
  // A view's output shares its input's storage; an in-place op overwrote its input 0 (the
  // tensor's earlier history, split off into a handle of its own) and made this its output.
  // A rebased view is a view whose base was then changed in place through it: input 0 is the
  // view's history from before the write, input 1 the base (see detail::inplace_on_view).
  enum class Kind : uint8_t { plain, view, inplace, rebased_view };
  Kind kind() const { return kind_; }
  void set_kind(Kind kind) { kind_ = kind; }
  // The tensor whose history input i's use belongs to: itself, unless a recorded in-place op
  // overwrote it after this use, in which case the use saw (and its gradient goes to) the
  // history from before that write.
  const std::shared_ptr<TensorImpl>& input_vertex(std::size_t i) const;
  bool released() const { return released_; }
  // Where the op was called, when it was recorded in anomaly mode (null otherwise).
  const detail::AnomalyContext* anomaly_context() const { return anomaly_.get(); }
  void release();  // drops inputs, saved tensors and the backward function after a backward pass
  TensorList apply(const Tensor& grad, const Tensor& output) const {
    return backward(BackwardArgs(grad, output, *this));
  }

 protected:
  virtual TensorList backward(const BackwardArgs& args) const = 0;
  virtual void drop_backward() = 0;  // frees what the backward function captured

 private:
  friend class BackwardArgs;
  friend void detail::set_grad_fn(Tensor& output, std::shared_ptr<Node> node);
  friend void detail::inplace_on_view(const char* name, Tensor& view,
                                      const std::function<void(Tensor&)>& op);
  // Raises when `t` (what: "input 1", "the output", ...) changed since `version` was recorded.
  void check_version(const Tensor& t, const char* what, std::size_t index, uint64_t version) const;

  const char* name_;
  TensorList inputs_, saved_;
  // Storage versions when the op ran: inputs, then saved tensors (inline for up to 4).
  uint64_t version_at(std::size_t k) const { return k < 4 ? versions_[k] : more_versions_[k - 4]; }
  uint64_t versions_[4];
  std::unique_ptr<uint64_t[]> more_versions_;
  uint64_t output_version_ = 0;
  detail::AnomalyContextPtr anomaly_;
  Kind kind_ = Kind::plain;
  bool released_ = false;
};

inline const Tensor& BackwardArgs::input(std::size_t i) const {
  const Tensor& t = node_.inputs_[i];
  node_.check_version(t, "input", i, node_.version_at(i));
  return t;
}
inline const Shape& BackwardArgs::input_shape(std::size_t i) const {
  return node_.inputs_[i].shape();
}
inline std::size_t BackwardArgs::num_inputs() const { return node_.inputs_.size(); }
inline bool BackwardArgs::needs(std::size_t i) const { return node_.inputs_[i].requires_grad(); }
inline const Tensor& BackwardArgs::output() const {
  node_.check_version(output_, "output", 0, node_.output_version_);
  return output_;
}
inline const Tensor& BackwardArgs::saved(std::size_t i) const {
  const Tensor& t = node_.saved_[i];
  node_.check_version(t, "saved tensor", i, node_.version_at(node_.inputs_.size() + i));
  return t;
}

namespace detail {
// checkpoint() runs its function without grad and notes the tensors requiring grad that the
// function's ops see (the parameters it uses): they become inputs of its node. Outside
// checkpoint() this returns at once (autograd/checkpoint.cpp).
void note_captured(std::initializer_list<const Tensor*> inputs);
void note_captured(const std::vector<Tensor>& inputs);

inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) {
    note_captured(inputs);
    return false;
  }
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
  NodeWith(const char* name, TensorList inputs, TensorList saved, F backward)
      : Node(name, std::move(inputs), std::move(saved)), backward_(std::move(backward)) {}

 protected:
  TensorList backward(const BackwardArgs& args) const override { return (*backward_)(args); }
  void drop_backward() override { backward_.reset(); }

 private:
  std::optional<F> backward_;
};

template <class F>
std::shared_ptr<Node> make_node(const char* name, TensorList inputs, TensorList saved,
                                F&& backward) {
  using Stored = NodeWith<std::decay_t<F>>;
  return std::allocate_shared<Stored>(BlockAllocator<Stored>{}, name, std::move(inputs),
                                      std::move(saved), std::forward<F>(backward));
}

template <class F>
void attach(Tensor& output, const char* name, TensorList inputs, TensorList saved, F&& backward) {
  using Stored = NodeWith<std::decay_t<F>>;
  set_grad_fn(output,
              std::allocate_shared<Stored>(BlockAllocator<Stored>{}, name, std::move(inputs),
                                           std::move(saved), std::forward<F>(backward)));
}
}  // namespace detail

// The one place that decides whether an op is recorded: grad mode is on and some input requires
// grad. Otherwise the backward function is never even constructed.
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, F&& backward) {
  if (detail::should_record({&a})) detail::attach(output, name, {a}, {}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, const Tensor& b, F&& backward) {
  if (detail::should_record({&a, &b}))
    detail::attach(output, name, {a, b}, {}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, const Tensor& b, const Tensor& c,
              F&& backward) {
  if (detail::should_record({&a, &b, &c}))
    detail::attach(output, name, {a, b, c}, {}, std::forward<F>(backward));
  return output;
}
template <class F>
Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs, F&& backward) {
  if (detail::should_record(inputs))
    detail::attach(output, name, TensorList(inputs.begin(), inputs.end()), {},
                   std::forward<F>(backward));
  return output;
}
// With tensors the backward needs besides the inputs (see Saved).
template <class F>
Tensor record(const char* name, Tensor output, const Tensor& a, Saved saved, F&& backward) {
  if (detail::should_record({&a}))
    detail::attach(output, name, {a}, std::move(saved.tensors), std::forward<F>(backward));
  return output;
}

// A view op: the output shares a's storage (Node::Kind::view).
template <class F>
Tensor record_view(const char* name, Tensor output, const Tensor& a, F&& backward) {
  if (detail::should_record({&a})) {
    detail::attach(output, name, {a}, {}, std::forward<F>(backward));
    output.grad_fn()->set_kind(Node::Kind::view);
  }
  return output;
}

namespace detail {
// In-place recording, in three steps: check the target, split its history off into a handle
// of its own (input 0 of the new node), and after the write make the node its history.
void check_inplace_target(const char* name, const Tensor& self);
Tensor split_history(Tensor& self);
void restore_history(Tensor& self, Tensor& old);
void set_inplace_grad_fn(Tensor& self, std::shared_ptr<Node> node);
}  // namespace detail

// An in-place op on `self`: `write(target)` changes the target's data (and bumps its version);
// `others` are the op's other tensor operands (inputs 1, 2, ... of the node; input 0 is self before
// the write). Every handle of self sees the new value and the new history. Backward functions read
// the new value with g.output(); what they need of the old value goes in `saved` before the
// write.
// `saved` is a Saved, or a function of self's split-off history returning one (a copy of the
// old value that keeps its graph must be made from that handle, not from self, or self's new
// node would hold itself).
template <class Save = Saved, class Write, class F>
Tensor& record_inplace(const char* name, Tensor& self, std::initializer_list<const Tensor*> others,
                       Save&& saved, Write&& write, F&& backward) {
  bool record = is_grad_enabled() && self.requires_grad();
  for (const Tensor* t : others) record = record || (is_grad_enabled() && t->requires_grad());
  detail::check_inplace_target(name, self);
  if (!record) {
    if (!is_grad_enabled()) detail::note_captured(others);
    write(self);
    return self;
  }
  if (detail::is_graph_view(self)) {
    detail::inplace_on_view(name, self, [&](Tensor& copy) {
      record_inplace(name, copy, others, std::forward<Save>(saved), std::forward<Write>(write),
                     std::forward<F>(backward));
    });
    return self;
  }
  Tensor old = detail::split_history(self);
  TensorList inputs{old};
  for (const Tensor* t : others) inputs.push_back(*t);
  TensorList saved_tensors;
  if constexpr (std::is_invocable_v<Save, const Tensor&>)
    saved_tensors = saved(std::as_const(old)).tensors;
  else
    saved_tensors = std::move(saved.tensors);
  using Stored = detail::NodeWith<std::decay_t<F>>;
  std::shared_ptr<Node> node =
      std::allocate_shared<Stored>(BlockAllocator<Stored>{}, name, std::move(inputs),
                                   std::move(saved_tensors), std::forward<F>(backward));
  try {
    write(self);
  } catch (...) {
    detail::restore_history(self, old);
    throw;
  }
  detail::set_inplace_grad_fn(self, std::move(node));
  return self;
}

}  // namespace xgrad
