// Engine implementation. Tensors are the graph's vertices (micrograd-style); each non-leaf
// tensor's node lists its inputs. The walk is iterative, so a 1,000,000-op chain is fine.
#include "autograd/engine.hpp"

#include <unordered_map>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"

namespace xgrad {

namespace {

// Post-order of every tensor reachable from the roots through nodes, roots last.
std::vector<std::shared_ptr<TensorImpl>> topological_order(const std::vector<Tensor>& roots) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_map<TensorImpl*, bool> seen;  // value: finished
  struct Frame {
    std::shared_ptr<TensorImpl> t;
    std::size_t next;
  };
  std::vector<Frame> stack;
  for (const Tensor& root : roots) {
    if (seen.count(root.impl())) continue;
    seen[root.impl()] = false;
    stack.push_back({root.impl_ptr(), 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      Node* node = f.t->grad_fn.get();
      if (node && node->released())
        throw Error(std::string("backward: the graph through '") + node->name() +
                    "' was already released by an earlier backward; pass retain_graph=true to "
                    "the first backward to run it again");
      if (node && f.next < node->inputs().size()) {
        const auto& in = node->inputs()[f.next++].impl_ptr();
        if (in->requires_grad && !seen.count(in.get())) {
          seen[in.get()] = false;
          stack.push_back({in, 0});
        }
        continue;
      }
      order.push_back(std::move(f.t));
      stack.pop_back();
    }
  }
  return order;
}

void check_gradient(const char* where, const Tensor& t, const Tensor& g) {
  if (g.shape() != t.shape() || g.dtype() != t.dtype())
    throw Error(std::string(where) + ": gradient of shape " + format_shape(g.shape()) + " " +
                dtype_name(g.dtype()) + " for a tensor of shape " + format_shape(t.shape()) + " " +
                dtype_name(t.dtype()));
}

std::vector<Tensor> root_gradients(const std::vector<Tensor>& outputs,
                                   const std::vector<Tensor>& grad_outputs) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw Error("backward: got " + std::to_string(grad_outputs.size()) + " gradients for " +
                std::to_string(outputs.size()) + " outputs");
  std::vector<Tensor> grads;
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

// Runs the reverse pass. When `wanted` is given, gradients of those tensors are returned and
// leaves are left alone; otherwise gradients accumulate into leaves' .grad().
std::vector<Tensor> run(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                        bool retain_graph, bool create_graph, const std::vector<Tensor>* wanted) {
  std::vector<Tensor> root_grads = root_gradients(outputs, grad_outputs);
  std::vector<std::shared_ptr<TensorImpl>> order = topological_order(outputs);

  std::unordered_map<TensorImpl*, Tensor> grads;
  grads.reserve(order.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    auto [it, fresh] = grads.emplace(outputs[i].impl(), root_grads[i]);
    if (!fresh) it->second = add(it->second, root_grads[i]);
  }
  std::unordered_map<TensorImpl*, Tensor> captured;
  if (wanted)
    for (const Tensor& w : *wanted) captured.emplace(w.impl(), Tensor());

  GradModeGuard mode(create_graph);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->get();
    auto found = grads.find(impl);
    if (found == grads.end()) continue;
    Tensor g = std::move(found->second);
    grads.erase(found);
    if (wanted) {
      auto c = captured.find(impl);
      if (c != captured.end()) c->second = g;
    }
    Node* node = impl->grad_fn.get();
    if (!node) {
      if (wanted) continue;
      Tensor& leaf_grad = impl->grad;
      if (!leaf_grad.defined()) {
        // Steal the gradient when nothing else can see its storage; otherwise copy it, since
        // later accumulation happens in place.
        bool sole = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1;
        leaf_grad = create_graph || sole ? g : g.contiguous_copy();
      } else if (create_graph || leaf_grad.grad_fn()) {
        leaf_grad = add(leaf_grad, g);
      } else {
        NoGradGuard no_grad;
        leaf_grad.add_(g);
      }
      continue;
    }
    Tensor output(*it);
    std::vector<Tensor> input_grads = node->apply(g, output);
    const auto& inputs = node->inputs();
    if (input_grads.size() != inputs.size())
      throw Error(std::string(node->name()) + ": backward returned " +
                  std::to_string(input_grads.size()) + " gradients for " +
                  std::to_string(inputs.size()) + " inputs");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Tensor gi = input_grads[i];
      const Tensor& in = inputs[i];
      if (!gi.defined() || !in.requires_grad()) continue;
      if (gi.shape() != in.shape()) gi = sum_to(gi, in.shape());  // un-broadcast, in one place
      if (gi.shape() != in.shape() || gi.dtype() != in.dtype())
        throw Error(std::string(node->name()) + ": backward produced a gradient of shape " +
                    format_shape(gi.shape()) + " " + dtype_name(gi.dtype()) + " for input " +
                    std::to_string(i) + " of shape " + format_shape(in.shape()) + " " +
                    dtype_name(in.dtype()));
      auto [slot, fresh] = grads.emplace(in.impl(), gi);
      if (!fresh) slot->second = add(slot->second, gi);
    }
  }

  if (!retain_graph)
    for (const auto& impl : order)
      if (impl->grad_fn) impl->grad_fn->release();

  std::vector<Tensor> result;
  if (wanted)
    for (const Tensor& w : *wanted) result.push_back(captured[w.impl()]);
  return result;
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              bool retain_graph, bool create_graph) {
  run(outputs, grad_outputs, retain_graph || create_graph, create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw Error("grad: input " + std::to_string(i) + " does not require grad");
  std::vector<Tensor> result =
      run(outputs, grad_outputs, retain_graph || create_graph, create_graph, &inputs);
  for (std::size_t i = 0; i < result.size(); ++i)
    if (!result[i].defined() && !allow_unused)
      throw Error("grad: input " + std::to_string(i) + " of shape " +
                  format_shape(inputs[i].shape()) +
                  " was not used to compute the outputs; pass allow_unused=true");
  return result;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  xgrad::backward({*this},
                  gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                  retain_graph, create_graph);
}

}  // namespace xgrad
