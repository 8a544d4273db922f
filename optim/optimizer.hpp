// Optimizer: updates a list of parameters (optionally in groups with their own options) from
// their gradients. Per-parameter state lives beside the parameter list and can be saved and
// restored. step() runs under no-grad and updates in place. Never sees a Module.
#pragma once

#include <string>
#include <limits>
#include <vector>

#include "tensor/grad_mode.hpp"
#include "tensor/safetensors.hpp"

namespace xgrad::optim {

namespace detail {
// Throws "<optimizer>: <name> must be in [low, high], got <value>" (high excluded when open)
// unless value is a number in that range; NaN never is.
void check_option(const char* optimizer, const char* name, double value, double low,
                  double high = std::numeric_limits<double>::infinity(), bool high_open = false);
}  // namespace detail

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;
  // Releases the gradients (PyTorch 2's default): the next backward hands its gradient buffers
  // straight to .grad() with no zeroing pass and no accumulation pass. set_to_none = false zeroes
  // them in place instead, so every parameter keeps a defined (zero) gradient.
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr(0); }  // the first group's learning rate
  void set_lr(double lr);              // every group
  double lr(std::size_t group) const;
  void set_lr(std::size_t group, double lr);
  std::size_t num_groups() const { return params_.size(); }
  const std::vector<Tensor>& params(std::size_t group) const { return params_.at(group); }

  // "group.G.lr", "state.G.I.step" and "state.G.I.<buffer>" for every parameter with state.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 protected:
  struct ParamState {
    int64_t step = 0;
    std::vector<Tensor> buffers;  // named by buffer_names(), allocated on the first step
  };
  explicit Optimizer(std::vector<std::vector<Tensor>> groups);
  virtual double& group_lr(std::size_t group) = 0;
  double group_lr(std::size_t group) const { return const_cast<Optimizer*>(this)->group_lr(group); }
  virtual std::vector<std::string> buffer_names() const = 0;
  // The buffers that hold running sums or averages of squares: never negative, so a saved state
  // with a negative entry in one is refused (its square root would make the parameters NaN).
  virtual std::vector<std::string> nonnegative_buffers() const { return {}; }
  // Calls f(group, param, grad, state) for every parameter that has a gradient; the state's
  // buffers are allocated (zeros) before the first call.
  template <class F>
  void for_each_param(F&& f) {
    NoGradGuard guard;
    for (std::size_t g = 0; g < params_.size(); ++g)
      for (std::size_t i = 0; i < params_[g].size(); ++i) {
        Tensor& p = params_[g][i];
        Tensor grad = p.grad();
        if (!grad.defined()) continue;
        ParamState& s = state_[g][i];
        if (s.buffers.empty())
          for (std::size_t b = 0; b < buffer_names().size(); ++b)
            s.buffers.push_back(zeros_like(p));
        f(g, p, grad, s);
      }
  }

 private:
  std::vector<std::vector<Tensor>> params_;
  std::vector<std::vector<ParamState>> state_;
};

// A parameter group with its own options.
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

// Holds one Options per group; Options must have a `double lr`.
template <class Options>
class OptimizerWithOptions : public Optimizer {
 public:
  const Options& options(std::size_t group = 0) const { return options_.at(group); }
  Options& options(std::size_t group = 0) { return options_.at(group); }

 protected:
  OptimizerWithOptions(std::vector<ParamGroup<Options>> groups)
      : Optimizer(params_of(groups)), options_(options_of(groups)) {}
  double& group_lr(std::size_t group) override { return options_.at(group).lr; }

 private:
  static std::vector<std::vector<Tensor>> params_of(const std::vector<ParamGroup<Options>>& gs) {
    std::vector<std::vector<Tensor>> out;
    for (const auto& g : gs) out.push_back(g.params);
    return out;
  }
  static std::vector<Options> options_of(const std::vector<ParamGroup<Options>>& gs) {
    std::vector<Options> out;
    for (const auto& g : gs) out.push_back(g.options);
    return out;
  }
  std::vector<Options> options_;
};

}  // namespace xgrad::optim
