// autograd::functional on top of grad(): input and v checks, the detached copies the function
// is differentiated at, and the row-by-row Jacobians.
#include "autograd/functional.hpp"

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad::autograd::functional {

std::vector<Tensor> TensorFunction::operator()(const char* op,
                                               const std::vector<Tensor>& inputs) const {
  if (unary_ && inputs.size() != 1)
    throw Error(std::string(op) + ": the function takes one tensor, but " +
                std::to_string(inputs.size()) + " inputs were given");
  std::vector<Tensor> outputs = impl_(inputs);
  if (outputs.empty()) throw Error(std::string(op) + ": the function returned no tensors");
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (!outputs[i].defined())
      throw Error(std::string(op) + ": output " + std::to_string(i) +
                  " of the function is undefined");
  return outputs;
}

namespace {

std::string str(std::size_t i) { return std::to_string(i); }

// The tensors the function is differentiated at: detached copies that require grad, or with
// create_graph, for inputs that require grad, views of them (so that the results' graphs reach
// the inputs' histories).
std::vector<Tensor> prepare_inputs(const char* op, const std::vector<Tensor>& inputs,
                                   bool create_graph) {
  if (inputs.empty()) throw Error(std::string(op) + ": no inputs");
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw Error(std::string(op) + ": input " + str(i) + " is undefined");
    if (!is_floating_point(x.dtype()))
      throw Error(std::string(op) + ": input " + str(i) + " is " + dtype_name(x.dtype()) +
                  "; only floating-point inputs can be differentiated");
    xs.push_back(create_graph && x.requires_grad() ? view(x, x.shape())
                                                   : x.detach().requires_grad_(true));
  }
  return xs;
}

// v checked against `targets` (the outputs or the inputs, `what`), cast to their dtypes; ones
// when v is empty and every target has one element.
std::vector<Tensor> prepare_v(const char* op, const std::vector<Tensor>& v,
                              const std::vector<Tensor>& targets, const char* what) {
  const std::string w = what;
  if (v.empty()) {
    std::vector<Tensor> ones_v;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (targets[i].numel() != 1)
        throw Error(std::string(op) + ": v can be left out only when every " + w +
                    " has one element; " + w + " " + str(i) + " has shape " +
                    format_shape(targets[i].shape()));
      ones_v.push_back(ones(targets[i].shape(), targets[i].dtype()));
    }
    return ones_v;
  }
  if (v.size() != targets.size())
    throw Error(std::string(op) + ": v has " + str(v.size()) + " tensor" +
                (v.size() == 1 ? "" : "s") + " for " + str(targets.size()) + " " + w +
                (targets.size() == 1 ? "" : "s"));
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].defined()) throw Error(std::string(op) + ": v[" + str(i) + "] is undefined");
    if (!is_floating_point(v[i].dtype()))
      throw Error(std::string(op) + ": v[" + str(i) + "] is " + dtype_name(v[i].dtype()) +
                  "; it must be floating-point");
    if (v[i].shape() != targets[i].shape())
      throw Error(std::string(op) + ": v[" + str(i) + "] has shape " + format_shape(v[i].shape()) +
                  ", but " + w + " " + str(i) + " has shape " + format_shape(targets[i].shape()));
    out.push_back(v[i].dtype() == targets[i].dtype() ? v[i] : cast(v[i], targets[i].dtype()));
  }
  return out;
}

// Σᵢ vᵢᵀ ∂tᵢ/∂x for each x in xs, over the ts that require grad; undefined where none depends
// on x. The graph is always retained: the function may use tensors from the caller's graph.
std::vector<Tensor> backprop(const std::vector<Tensor>& ts, const std::vector<Tensor>& vs,
                             const std::vector<Tensor>& xs, bool create_graph) {
  std::vector<Tensor> roots, grads;
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].requires_grad()) {
      roots.push_back(ts[i]);
      grads.push_back(vs[i]);
    }
  if (roots.empty()) return std::vector<Tensor>(xs.size());
  return grad(roots, xs, grads, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
}

// Fresh zero tensors that require grad, for the double-backward trick: u ↦ Jᵀu is linear, so
// differentiating it with respect to u at any u gives J.
Tensor dummy_like(const Tensor& t) { return zeros(t.shape(), {t.dtype(), true}); }

Shape concat_shapes(const Shape& a, const Shape& b) {
  Shape s = a;
  for (int64_t d : b) s.push_back(d);
  return s;
}

std::vector<Tensor> finish(std::vector<Tensor> ts, bool create_graph) {
  if (!create_graph)
    for (Tensor& t : ts)
      if (t.defined()) t = t.detach();
  return ts;
}

// Jacobian rows of `out` (one backward per element) with respect to every x, each block of
// shape out's shape + x's shape. `who` describes out in strict-mode errors.
std::vector<Tensor> jacobian_rows(const char* op, const Tensor& out, const std::vector<Tensor>& xs,
                                  const FunctionalOptions& options, const std::string& who) {
  const int64_t n = out.numel();
  std::vector<std::vector<Tensor>> rows(xs.size());
  std::vector<bool> used(xs.size(), false);
  if (out.requires_grad())
    for (int64_t k = 0; k < n; ++k) {
      Tensor e = zeros({n}, out.dtype());
      e.set({k}, 1.0);
      std::vector<Tensor> g = grad({out}, xs, {e.reshape(out.shape())}, /*retain_graph=*/true,
                                   options.create_graph, /*allow_unused=*/true);
      for (std::size_t j = 0; j < xs.size(); ++j) {
        used[j] = used[j] || g[j].defined();
        rows[j].push_back(g[j].defined() ? g[j] : zeros(xs[j].shape(), xs[j].dtype()));
      }
    }
  std::vector<Tensor> blocks;
  for (std::size_t j = 0; j < xs.size(); ++j) {
    if (options.strict && !used[j])
      throw Error(std::string(op) + ": " + who + " does not depend on input " + str(j) +
                  " (strict mode)");
    const Shape shape = concat_shapes(out.shape(), xs[j].shape());
    blocks.push_back(rows[j].empty() || !used[j] ? zeros(shape, xs[j].dtype())
                                                 : reshape(stack(rows[j]), shape));
  }
  return finish(std::move(blocks), options.create_graph);
}

// The single one-element output of a function given to hessian, vhp or hvp.
Tensor scalar_output(const char* op, const std::vector<Tensor>& outs) {
  if (outs.size() != 1 || outs[0].numel() != 1)
    throw Error(std::string(op) + ": the function must return one tensor with one element, got " +
                (outs.size() != 1 ? str(outs.size()) + " tensors"
                                  : "shape " + format_shape(outs[0].shape())));
  return outs[0];
}

// First derivatives of a scalar output, kept differentiable; strict mode refuses unused inputs.
std::vector<Tensor> gradient(const char* op, const Tensor& out, const std::vector<Tensor>& xs,
                             bool strict) {
  std::vector<Tensor> g = backprop({out}, {ones(out.shape(), out.dtype())}, xs, true);
  if (strict)
    for (std::size_t j = 0; j < g.size(); ++j)
      if (!g[j].defined())
        throw Error(std::string(op) + ": the function's output does not depend on input " + str(j) +
                    " (strict mode)");
  return g;
}

// Zeros where a product is undefined (or, in strict mode, the Error "op: before i after").
std::vector<Tensor> fill_zeros(const char* op, std::vector<Tensor> ps,
                               const std::vector<Tensor>& like, bool strict,
                               const std::string& before, const std::string& after = "") {
  for (std::size_t i = 0; i < ps.size(); ++i)
    if (!ps[i].defined()) {
      if (strict) throw Error(std::string(op) + ": " + before + str(i) + after + " (strict mode)");
      ps[i] = zeros(like[i].shape(), like[i].dtype());
    }
  return ps;
}

// grad(ts, wrt, vs) over the ts that are defined and require grad; undefined for the rest.
std::vector<Tensor> backprop_defined(const std::vector<Tensor>& ts, const std::vector<Tensor>& vs,
                                     const std::vector<Tensor>& wrt, bool create_graph) {
  std::vector<Tensor> t2, v2;
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].defined() && ts[i].requires_grad()) {
      t2.push_back(ts[i]);
      v2.push_back(vs[i]);
    }
  return backprop(t2, v2, wrt, create_graph);
}

}  // namespace

ProductResult vjp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v, const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("vjp", inputs, options.create_graph);
  std::vector<Tensor> outs = fn("vjp", xs);
  std::vector<Tensor> vs = prepare_v("vjp", v, outs, "output");
  std::vector<Tensor> p = backprop(outs, vs, xs, options.create_graph);
  p = fill_zeros("vjp", std::move(p), xs, options.strict,
                 "the function's outputs do not depend on input ");
  return {finish(std::move(outs), options.create_graph),
          finish(std::move(p), options.create_graph)};
}

ProductResult jvp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v, const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("jvp", inputs, options.create_graph);
  std::vector<Tensor> outs = fn("jvp", xs);
  std::vector<Tensor> vs = prepare_v("jvp", v, xs, "input");
  // g = Jᵀu is linear in u, so ∂(vᵀg)/∂u = J v.
  std::vector<Tensor> us;
  for (const Tensor& o : outs) us.push_back(dummy_like(o));
  std::vector<Tensor> g = backprop(outs, us, xs, /*create_graph=*/true);
  if (options.strict)
    for (std::size_t j = 0; j < g.size(); ++j)
      if (!g[j].defined())
        throw Error("jvp: the function's outputs do not depend on input " + str(j) +
                    " (strict mode)");
  std::vector<Tensor> p = backprop_defined(g, vs, us, options.create_graph);
  p = fill_zeros("jvp", std::move(p), outs, options.strict, "output ",
                 " of the function does not depend on the inputs");
  return {finish(std::move(outs), options.create_graph),
          finish(std::move(p), options.create_graph)};
}

Jacobian jacobian(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("jacobian", inputs, options.create_graph);
  std::vector<Tensor> outs = fn("jacobian", xs);
  Jacobian j;
  for (std::size_t i = 0; i < outs.size(); ++i)
    j.push_back(jacobian_rows("jacobian", outs[i], xs, options, "output " + str(i)));
  return j;
}

Jacobian hessian(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                 const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("hessian", inputs, options.create_graph);
  Tensor out = scalar_output("hessian", fn("hessian", xs));
  std::vector<Tensor> g = gradient("hessian", out, xs, options.strict);
  Jacobian h;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // An unused input has a zero gradient: its rows of the Hessian are zeros.
    Tensor gi = g[i].defined() ? g[i] : zeros(xs[i].shape(), xs[i].dtype());
    h.push_back(jacobian_rows("hessian", gi, xs, options, "the gradient for input " + str(i)));
  }
  return h;
}

ProductResult vhp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v, const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("vhp", inputs, options.create_graph);
  Tensor out = scalar_output("vhp", fn("vhp", xs));
  std::vector<Tensor> vs = prepare_v("vhp", v, xs, "input");
  std::vector<Tensor> g = gradient("vhp", out, xs, options.strict);
  std::vector<Tensor> p = backprop_defined(g, vs, xs, options.create_graph);
  p = fill_zeros("vhp", std::move(p), xs, options.strict, "the gradient does not depend on input ");
  return {finish({out}, options.create_graph), finish(std::move(p), options.create_graph)};
}

ProductResult hvp(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& v, const FunctionalOptions& options) {
  GradModeGuard grad_on(true);
  std::vector<Tensor> xs = prepare_inputs("hvp", inputs, options.create_graph);
  Tensor out = scalar_output("hvp", fn("hvp", xs));
  std::vector<Tensor> vs = prepare_v("hvp", v, xs, "input");
  std::vector<Tensor> g = gradient("hvp", out, xs, options.strict);
  // d = Hᵀu (per input k: Σⱼ (∂gⱼ/∂xₖ)ᵀ uⱼ) is linear in u, so ∂(Σₖ vₖᵀdₖ)/∂uⱼ = (H v)ⱼ.
  std::vector<Tensor> us;
  for (std::size_t j = 0; j < xs.size(); ++j)
    us.push_back(g[j].defined() ? dummy_like(g[j]) : Tensor());
  std::vector<Tensor> d = backprop_defined(g, us, xs, /*create_graph=*/true);
  std::vector<Tensor> live_u;  // the u of each gradient that requires grad, in input order
  std::vector<std::size_t> at;
  for (std::size_t j = 0; j < xs.size(); ++j)
    if (g[j].defined() && g[j].requires_grad()) {
      live_u.push_back(us[j]);
      at.push_back(j);
    }
  std::vector<Tensor> p(xs.size());
  if (!live_u.empty()) {
    std::vector<Tensor> hv = backprop_defined(d, vs, live_u, options.create_graph);
    for (std::size_t k = 0; k < at.size(); ++k) p[at[k]] = hv[k];
  }
  p = fill_zeros("hvp", std::move(p), xs, options.strict, "the gradient does not depend on input ");
  return {finish({out}, options.create_graph), finish(std::move(p), options.create_graph)};
}

}  // namespace xgrad::autograd::functional
