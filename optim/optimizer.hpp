// Optimizer: updates a list of parameters (optionally in groups with their own options) from
// their gradients. Each parameter's state is a named struct of the optimizer's (PyTorch's state
// names), saved and restored by one visitor. step() runs under no-grad and updates in place.
// Never sees a Module.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "../tensor/grad_mode.hpp"
#include "../tensor/safetensors.hpp"

namespace xgrad::optim {

namespace detail {
// Throws "<optimizer>: <name> must be in [low, high], got <value>" (high excluded when open)
// unless value is a number in that range; NaN never is.
void check_option(const char* optimizer, const char* name, double value, double low,
                  double high = std::numeric_limits<double>::infinity(), bool high_open = false);
// A number as messages print it (the shortest of `os << v`: 0.001, 1e+300, nan).
std::string number_text(double v);
}  // namespace detail

// A parameter group as the base optimizer keeps it: the parameters and the learning rate, the
// one place the rate lives (schedulers change it here). The optimizer's other options for the
// group are its options(group).
struct ParamGroup {
  std::vector<Tensor> params;
  double lr = 0;
};

// The parameters and options of one group, to construct an optimizer with several groups:
// Adam({GroupSpec<AdamOptions>{encoder.parameters(), {.lr = 1e-4}}, {head.parameters(), {}}}).
template <class Options>
struct GroupSpec {
  std::vector<Tensor> params;
  Options options;
};

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
  std::size_t num_groups() const { return groups_.size(); }
  const std::vector<Tensor>& params(std::size_t group) const { return group_at(group).params; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

  // "group.G.lr", then for every parameter with state "state.G.I.<name>" under PyTorch's state
  // names ("step", "exp_avg", ...). Loading is all-or-nothing: every entry is checked first.
  virtual StateDict state_dict() const = 0;
  virtual void load_state_dict(const StateDict& state) = 0;

 protected:
  explicit Optimizer(std::vector<ParamGroup> groups);
  const ParamGroup& group_at(std::size_t group) const;
  std::vector<ParamGroup> groups_;
};

namespace detail {
// The state dict's pieces every optimizer shares.
std::string state_key(std::size_t group, std::size_t index, const std::string& name);
const Tensor* find_entry(const StateDict& state, const std::string& key);
// The learning rates a state dict holds, one per group, checked.
std::vector<double> load_learning_rates(const StateDict& state, std::size_t groups);
// A state's step: a whole number an int64 holds (NaN, 1e300 and 2.5 are not).
int64_t load_step(const Tensor& entry, const std::string& key);
// A copy of a state tensor after checking it against the parameter's shape and dtype, and that
// it is finite (and non-negative for an average of squares): a NaN, or a negative average of
// squares, would make the parameters NaN at the next step.
Tensor load_buffer(const Tensor& entry, const std::string& key, const Tensor& param,
                   bool non_negative = false);
}  // namespace detail

// An optimizer with options of type Options (with `void validate() const`) per group and a State
// per parameter, created on the
// parameter's first step by init_state. State has `int64_t step` and
// `template <class V> void visit(V&& v)` calling v(name, tensor, non_negative) for each tensor it
// holds (an undefined tensor, an option's unused buffer, is skipped; non_negative marks averages
// of squares), so saving and loading are one visitor.
template <class Options, class State>
class StatefulOptimizer : public Optimizer {
 public:
  // One group of params with options, or several groups; each group's options are validated
  // (Options::validate raises an Error naming the option). Optimizers inherit these.
  StatefulOptimizer(std::vector<Tensor> params, Options options = {})
      : StatefulOptimizer(std::vector<GroupSpec<Options>>{{std::move(params), options}}) {}
  explicit StatefulOptimizer(std::vector<GroupSpec<Options>> specs) : Optimizer(groups_of(specs)) {
    for (const auto& spec : specs) {
      spec.options.validate();
      options_.push_back(spec.options);
      state_.emplace_back(spec.params.size());
    }
  }

  // The group's options; lr is the group's current learning rate.
  Options options(std::size_t group = 0) const {
    Options o = options_.at(group);
    o.lr = group_at(group).lr;
    return o;
  }
  void set_options(std::size_t group, const Options& options) {
    options.validate();
    options_.at(group) = options;
    groups_.at(group).lr = options.lr;
  }
  // The state of a parameter, or null before its first step.
  const State* state(std::size_t group, std::size_t index) const {
    const auto& s = state_.at(group).at(index);
    return s ? &*s : nullptr;
  }

  StateDict state_dict() const override {
    StateDict sd;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      sd.emplace_back("group." + std::to_string(g) + ".lr", scalar_tensor(groups_[g].lr, float64));
      for (std::size_t i = 0; i < state_[g].size(); ++i) {
        if (!state_[g][i]) continue;
        State s = *state_[g][i];
        sd.emplace_back(detail::state_key(g, i, "step"),
                        scalar_tensor(static_cast<double>(s.step), float64));
        s.visit([&](const char* name, Tensor& t, bool) {
          if (t.defined()) sd.emplace_back(detail::state_key(g, i, name), t.clone());
        });
      }
    }
    return sd;
  }

  void load_state_dict(const StateDict& sd) override {
    // Read and check everything into new state first, then swap it in: a bad entry leaves the
    // optimizer exactly as it was.
    const std::vector<double> lrs = detail::load_learning_rates(sd, groups_.size());
    std::vector<std::vector<std::optional<State>>> states(groups_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      states[g].resize(groups_[g].params.size());
      Options o = options_[g];
      o.lr = lrs[g];
      for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
        const Tensor* step = detail::find_entry(sd, detail::state_key(g, i, "step"));
        if (!step) continue;
        const Tensor& p = groups_[g].params[i];
        State s = init_state(p, o);  // the tensors these options need, each then loaded
        s.step = detail::load_step(*step, detail::state_key(g, i, "step"));
        s.visit([&](const char* name, Tensor& t, bool non_negative) {
          if (!t.defined()) return;
          const std::string key = detail::state_key(g, i, name);
          const Tensor* entry = detail::find_entry(sd, key);
          if (!entry) throw Error("optimizer: state is missing " + key);
          t = detail::load_buffer(*entry, key, p, non_negative);
        });
        states[g][i] = std::move(s);
      }
    }
    for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].lr = lrs[g];
    state_ = std::move(states);
  }

 protected:
  // The state of a parameter before its first step: step 0 and zero buffers for what the
  // options use.
  virtual State init_state(const Tensor& param, const Options& options) const = 0;

  // Calls f(options, param, grad, state) for every parameter that has a gradient.
  template <class F>
  void for_each_param(F&& f) {
    NoGradGuard guard;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const Options o = options(g);
      for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
        Tensor& p = groups_[g].params[i];
        Tensor grad = p.grad();
        if (!grad.defined()) continue;
        std::optional<State>& s = state_[g][i];
        if (!s) s = init_state(p, o);
        f(o, p, grad, *s);
      }
    }
  }

 private:
  static std::vector<ParamGroup> groups_of(const std::vector<GroupSpec<Options>>& specs) {
    std::vector<ParamGroup> out;
    for (const auto& spec : specs) out.push_back({spec.params, spec.options.lr});
    return out;
  }
  std::vector<Options> options_;  // lr is groups_[g].lr, not options_[g].lr
  std::vector<std::vector<std::optional<State>>> state_;
};

}  // namespace xgrad::optim
