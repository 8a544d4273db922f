// Custom functions on the tape: the node that runs a Function's backward, its saved tensors, and
// how several outputs share it. One differentiable output gets the node directly. Several are
// packed: the node is the history of a hidden flat tensor (an expanded scalar, so it costs no
// memory) and each output's small node places its gradient in its segment of that tensor, so the
// engine adds them up, and the function's backward runs once with every output's gradient.
#include "autograd/function.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <string>

#include "autograd/ops.hpp"

namespace xgrad::autograd {

namespace detail {

std::string demangle(const char* mangled) {
  int status = 0;
  char* text = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && text ? text : mangled;
  std::free(text);
  const std::string anonymous = "(anonymous namespace)::";
  for (std::size_t at; (at = name.find(anonymous)) != std::string::npos;)
    name.erase(at, anonymous.size());
  return name;
}

namespace {

// The backward running on this thread (backwards may nest, and run on several threads), for
// get_saved_variables.
thread_local const AutogradContext* running_ctx = nullptr;
thread_local const BackwardArgs* running_args = nullptr;

struct OutputInfo {
  bool defined = false, differentiable = false;
  Shape shape;
  Dtype dtype = Dtype::float32;
  int64_t offset = 0;  // in the packed tensor
};

// A gradient of shape `grad` is fine for an input of shape `in` when the engine can sum it to it.
bool sums_to(const Shape& grad, const Shape& in) {
  if (grad.size() < in.size()) return false;
  const std::size_t lead = grad.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d)
    if (in[d] != grad[lead + d] && in[d] != 1) return false;
  return true;
}

// The history of output `out`: its gradient goes to [offset, offset + numel) of `packed`.
void attach_select(Tensor& out, const char* name, const Tensor& packed, int64_t offset) {
  const int64_t total = packed.numel();
  const Dtype dtype = packed.dtype();
  xgrad::detail::set_grad_fn(
      out,
      xgrad::detail::make_node(name, {packed}, {}, [offset, total, dtype](const BackwardArgs& g) {
        // d packed = [0 ... 0, flat(g), 0 ... 0], the other outputs' segments zero.
        Tensor flat = reshape(g.grad, {-1});
        if (flat.dtype() != dtype) flat = cast(flat, dtype);
        const int64_t n = flat.numel();
        if (n == total) return TensorList{flat};
        std::vector<Tensor> parts;
        if (offset > 0) parts.push_back(zeros({offset}, dtype));
        parts.push_back(flat);
        if (offset + n < total) parts.push_back(zeros({total - offset - n}, dtype));
        return TensorList{concat(parts, 0)};
      }));
}

}  // namespace

class FunctionNode final : public Node {
 public:
  FunctionNode(const FunctionSpec& spec, std::unique_ptr<AutogradContext> ctx, TensorList inputs,
               TensorList saved, std::vector<int> saved_output, std::vector<OutputInfo> outputs,
               bool packed)
      : Node(spec.name, std::move(inputs), std::move(saved)),
        spec_(spec),
        ctx_(std::move(ctx)),
        saved_output_(std::move(saved_output)),
        outputs_(std::move(outputs)),
        packed_(packed) {
    ctx_->node_ = this;
  }

  // The saved tensors, version-checked; a saved output comes back with its history, so that a
  // backward recorded under create_graph differentiates through it.
  TensorList unpack_saved(const BackwardArgs& args) const {
    TensorList out;
    for (std::size_t i = 0; i < saved_output_.size(); ++i) {
      const Tensor& t = args.saved(i);
      const int j = saved_output_[i];
      if (j < 0) {
        out.push_back(t);
      } else if (!packed_) {
        out.push_back(args.output());
      } else if (!is_grad_enabled()) {
        out.push_back(t);
      } else {
        Tensor o = t.detach();
        attach_select(o, name(), args.output(), outputs_[static_cast<std::size_t>(j)].offset);
        out.push_back(o);
      }
    }
    return out;
  }

 protected:
  TensorList backward(const BackwardArgs& args) const override {
    TensorList grads;
    for (const OutputInfo& o : outputs_) {
      if (!o.defined)
        grads.push_back(Tensor());
      else if (!o.differentiable)
        grads.push_back(zeros(o.shape, o.dtype));
      else if (!packed_)
        grads.push_back(args.grad);
      else {
        Tensor g = reshape(slice(args.grad, 0, o.offset, o.offset + shape_numel(o.shape)), o.shape);
        grads.push_back(g.dtype() == o.dtype ? g : cast(g, o.dtype));
      }
    }
    struct Running {
      const AutogradContext* ctx = running_ctx;
      const BackwardArgs* args = running_args;
      ~Running() {
        running_ctx = ctx;
        running_args = args;
      }
    } outer;
    running_ctx = ctx_.get();
    running_args = &args;
    TensorList result;
    if (spec_.once_differentiable) {
      NoGradGuard no_grad;
      result = spec_.backward(*ctx_, grads);
    } else {
      result = spec_.backward(*ctx_, grads);
    }
    check(result);
    if (spec_.once_differentiable && is_grad_enabled()) block_double_backward(grads, result);
    return result;
  }
  void drop_backward() override { ctx_.reset(); }

 private:
  // One gradient per input, each of a shape the engine can sum to the input's; gradients for
  // inputs that do not require grad are dropped.
  void check(TensorList& result) const {
    const TensorList& in = inputs();
    if (result.size() != in.size())
      throw Error(std::string(name()) + ": backward returned " + std::to_string(result.size()) +
                  " gradients, expected " + std::to_string(in.size()) +
                  " (one per tensor input of forward; Tensor() for an input without one)");
    for (std::size_t i = 0; i < in.size(); ++i) {
      Tensor& g = result[i];
      if (!g.defined()) continue;
      if (!in[i].requires_grad()) {
        g = Tensor();
        continue;
      }
      if (!sums_to(g.shape(), in[i].shape()) || !is_floating_point(g.dtype()))
        throw Error(std::string(name()) + ": backward returned a gradient of shape " +
                    format_shape(g.shape()) + " " + dtype_name(g.dtype()) + " for input " +
                    std::to_string(i) + " of shape " + format_shape(in[i].shape()) + " " +
                    dtype_name(in[i].dtype()));
    }
  }

  // The backward ran without recording (once_differentiable), so its results have no history:
  // give each one whose backward raises, so that differentiating them fails by name instead of
  // giving zero.
  void block_double_backward(const TensorList& grads, TensorList& result) const {
    std::vector<Tensor> deps;
    for (const Tensor& g : grads)
      if (g.defined() && g.requires_grad()) deps.push_back(g);
    for (const Tensor& t : inputs())
      if (t.requires_grad()) deps.push_back(t);
    const char* fn = name();
    for (Tensor& r : result)
      if (r.defined())
        r = record(fn, r.detach(), deps, [fn](const BackwardArgs&) -> TensorList {
          throw Error(std::string(fn) +
                      ": its backward is once_differentiable, so its result cannot be "
                      "differentiated again (double backward through " +
                      fn + ")");
        });
  }

  const FunctionSpec& spec_;
  std::unique_ptr<AutogradContext> ctx_;
  std::vector<int> saved_output_;  // per saved tensor: the output it is, or -1
  std::vector<OutputInfo> outputs_;
  bool packed_;
};

bool prepare_context(AutogradContext& ctx, const TensorList& inputs) {
  bool record = false;
  ctx.needs_input_grad_.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ctx.needs_input_grad_[i] = inputs[i].defined() && inputs[i].requires_grad();
    record = record || ctx.needs_input_grad_[i];
  }
  return record && is_grad_enabled();
}

void finish_function(const FunctionSpec& spec, std::unique_ptr<AutogradContext> ctx,
                     TensorList inputs, TensorList& outputs) {
  // Which outputs get gradients; outputs that are inputs, repeat an output or already have a
  // history become aliases, so that attaching a history to them does not rewrite another's.
  std::vector<OutputInfo> info(outputs.size());
  std::size_t differentiable = 0;
  for (std::size_t j = 0; j < outputs.size(); ++j) {
    Tensor& o = outputs[j];
    if (!o.defined()) continue;
    bool marked = false;
    for (const Tensor& t : ctx->non_differentiable_) marked = marked || t.impl() == o.impl();
    bool alias = false;
    for (const Tensor& t : inputs) alias = alias || t.impl() == o.impl();
    for (std::size_t k = 0; k < j; ++k) alias = alias || outputs[k].impl() == o.impl();
    if (alias || o.requires_grad()) o = o.detach();  // requires_grad: made before forward
    info[j] = {true, !marked && is_floating_point(o.dtype()), o.shape(), o.dtype(), 0};
    differentiable += info[j].differentiable;
  }
  ctx->non_differentiable_.clear();
  if (differentiable == 0) return;

  // Saved differentiable outputs keep their data but not their history (that would be a
  // reference cycle through this node); backward gives them their history back.
  TensorList saved;
  std::vector<int> saved_output;
  for (const Tensor& t : ctx->to_save_) {
    int j = -1;
    for (std::size_t k = 0; k < outputs.size() && j < 0 && t.defined(); ++k)
      if (info[k].differentiable && outputs[k].impl() == t.impl()) j = static_cast<int>(k);
    saved.push_back(j >= 0 ? t.detach() : t);
    saved_output.push_back(j);
  }
  ctx->to_save_.clear();
  for (Tensor& t : inputs)
    if (!t.defined()) t = empty({0});  // a placeholder: the engine walks defined inputs only

  const bool packed = differentiable > 1;
  int64_t total = 0;
  Dtype dtype = Dtype::float32;
  bool first = true, mixed = false;
  for (OutputInfo& o : info) {
    if (!o.differentiable) continue;
    o.offset = total;
    total += shape_numel(o.shape);
    mixed = mixed || (!first && o.dtype != dtype);
    dtype = o.dtype;
    first = false;
  }
  if (mixed) dtype = Dtype::float64;
  auto node =
      std::make_shared<FunctionNode>(spec, std::move(ctx), std::move(inputs), std::move(saved),
                                     std::move(saved_output), info, packed);
  if (!packed) {
    for (std::size_t j = 0; j < outputs.size(); ++j)
      if (info[j].differentiable) xgrad::detail::set_grad_fn(outputs[j], node);
    return;
  }
  Tensor hidden;
  {
    NoGradGuard no_grad;
    hidden = expand(zeros({1}, dtype), {total});
  }
  xgrad::detail::set_grad_fn(hidden, node);
  for (std::size_t j = 0; j < outputs.size(); ++j)
    if (info[j].differentiable) attach_select(outputs[j], spec.name, hidden, info[j].offset);
}

}  // namespace detail

void AutogradContext::save_for_backward(TensorList tensors) { to_save_ = std::move(tensors); }

TensorList AutogradContext::get_saved_variables() const {
  if (detail::running_ctx != this || !node_)
    throw Error("get_saved_variables: the saved tensors are available in backward only");
  return node_->unpack_saved(*detail::running_args);
}

void AutogradContext::mark_non_differentiable(const TensorList& outputs) {
  non_differentiable_.insert(non_differentiable_.end(), outputs.begin(), outputs.end());
}

bool AutogradContext::needs_input_grad(std::size_t i) const {
  if (i >= needs_input_grad_.size())
    throw Error("needs_input_grad: index " + std::to_string(i) + " out of range for " +
                std::to_string(needs_input_grad_.size()) + " tensor inputs");
  return needs_input_grad_[i];
}

}  // namespace xgrad::autograd
