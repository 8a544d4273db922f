// checkpoint(): the no-grad forward that notes the parameters fn uses, and the node whose
// backward recomputes fn and runs a nested backward through the recomputation.
#include "autograd/checkpoint.hpp"

#include <optional>
#include <string>

#include "autograd/engine.hpp"
#include "autograd/node.hpp"
#include "tensor/generator.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad {

namespace {
// The list that checkpoint()'s forward collects into; nullptr outside checkpoint().
// initial-exec: no __tls_get_addr call in the no-grad path of every op that tests it.
thread_local std::vector<Tensor>* t_captured __attribute__((tls_model("initial-exec"))) = nullptr;

void note(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return;
  for (const Tensor& c : *t_captured)
    if (c.is_same(t)) return;
  t_captured->push_back(t);
}

// Collects into `list` for a scope; nested checkpoints take over and give it back.
class CaptureScope {
 public:
  explicit CaptureScope(std::vector<Tensor>* list) : previous_(t_captured) { t_captured = list; }
  ~CaptureScope() { t_captured = previous_; }
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;

 private:
  std::vector<Tensor>* previous_;
};

// Runs the recomputation from the generator state the forward pass started from.
class RngReplay {
 public:
  explicit RngReplay(const std::optional<Generator>& forward_state) {
    if (!forward_state) return;
    now_ = default_generator();
    default_generator() = *forward_state;
  }
  ~RngReplay() {
    if (now_) default_generator() = *now_;
  }
  RngReplay(const RngReplay&) = delete;
  RngReplay& operator=(const RngReplay&) = delete;

 private:
  std::optional<Generator> now_;
};
}  // namespace

void detail::note_captured(std::initializer_list<const Tensor*> inputs) {
  if (!t_captured) return;
  for (const Tensor* t : inputs) note(*t);
}

void detail::note_captured(const std::vector<Tensor>& inputs) {
  if (!t_captured) return;
  for (const Tensor& t : inputs) note(t);
}

Tensor autograd::checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs,
                            const CheckpointOptions& options) {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined())
      throw Error("checkpoint: input " + std::to_string(i) + " is undefined");
  if (!is_grad_enabled()) return fn(inputs);

  std::vector<Tensor> detached;
  for (const Tensor& x : inputs) detached.push_back(x.detach());
  std::optional<Generator> rng;
  if (options.preserve_rng_state) rng = default_generator();
  std::vector<Tensor> captured;
  Tensor out;
  {
    CaptureScope capture(&captured);
    NoGradGuard no_grad;
    out = fn(detached);
  }
  if (!out.defined()) throw Error("checkpoint: fn returned an undefined tensor");
  for (const Tensor& c : captured)
    if (!c.is_leaf())
      throw Error("checkpoint: fn uses a tensor of shape " + format_shape(c.shape()) +
                  " that requires grad and has a history, and is not one of the tensors fn is "
                  "given; pass it in `inputs` (fn sees it as a detached copy)");
  bool needed = !captured.empty();
  for (const Tensor& x : inputs) needed = needed || x.requires_grad();
  if (!needed || !is_floating_point(out.dtype())) return out;

  // The node's inputs: fn's inputs, then the leaves it captured. `out` may be one of fn's
  // arguments (or alias them): the result is a handle of its own.
  Tensor result = out.detach();
  const std::size_t n = inputs.size();
  TensorList edges(inputs.begin(), inputs.end());
  edges.insert(edges.end(), captured.begin(), captured.end());
  const Shape shape = out.shape();
  const Dtype dtype = out.dtype();
  detail::attach(
      result, "checkpoint", std::move(edges), {},
      [fn, n, rng = std::move(rng), shape, dtype](const BackwardArgs& g) {
        // Grad mode is on here exactly when the outer backward builds a graph (create_graph).
        const bool create_graph = is_grad_enabled();
        std::vector<Tensor> args, wanted;
        std::vector<std::size_t> wanted_at;
        for (std::size_t i = 0; i < n; ++i) {
          Tensor d = g.input(i).detach();
          if (g.needs(i)) {
            d.requires_grad_(true);
            wanted.push_back(d);
            wanted_at.push_back(i);
          }
          args.push_back(d);
        }
        for (std::size_t i = n; i < g.num_inputs(); ++i) {
          const Tensor& leaf = g.input(i);  // version-checked: not updated in place since
          if (g.needs(i)) {
            wanted.push_back(leaf);
            wanted_at.push_back(i);
          }
        }
        Tensor again;
        {
          GradModeGuard grad_on(true);
          RngReplay replay(rng);
          again = fn(args);
        }
        if (!again.defined() || again.shape() != shape || again.dtype() != dtype)
          throw Error("checkpoint: recomputing fn in backward gave " +
                      (again.defined() ? "a tensor of shape " + format_shape(again.shape()) + " " +
                                             dtype_name(again.dtype())
                                       : std::string("an undefined tensor")) +
                      ", the forward pass " + format_shape(shape) + " " + dtype_name(dtype) +
                      "; fn must compute the same thing when run again");
        TensorList result(g.num_inputs());
        if (!again.requires_grad() || wanted.empty()) return result;
        // The recomputed graph is fn's own (its inputs are fresh leaves, the captured tensors are
        // leaves), so releasing it after a first-order pass touches nothing outside.
        std::vector<Tensor> grads =
            grad({again}, wanted, {g.grad}, /*retain_graph=*/create_graph, create_graph,
                 /*allow_unused=*/true);
        for (std::size_t k = 0; k < wanted.size(); ++k) result[wanted_at[k]] = grads[k];
        if (create_graph) {
          // The gradients' graph starts at the detached copies; joining each copy to its input
          // lets a second backward continue into the inputs' histories.
          for (std::size_t i = 0; i < n; ++i)
            if (g.needs(i))
              detail::attach(args[i], "checkpoint", {g.input(i)}, {},
                             [](const BackwardArgs& h) { return TensorList{h.grad}; });
        }
        return result;
      });
  return result;
}

}  // namespace xgrad
