// L-BFGS (Nocedal & Wright, Algorithm 7.4), PyTorch's variant: a two-loop recursion over the
// last `history_size` curvature pairs, a first step scaled by the gradient, and optionally the
// strong-Wolfe line search (cubic interpolation, zoom). step(closure) re-evaluates the loss as
// often as the iteration needs; the closure clears the gradients, computes the loss, calls
// backward and returns the loss. One parameter group; every parameter of one floating dtype.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "optimizer.hpp"

namespace xgrad::optim {

struct LBFGSOptions {
  double lr = 1.0;
  int64_t max_iter = 20;           // iterations per step()
  int64_t max_eval = 0;            // loss evaluations per step(); 0 means max_iter * 5 / 4
  double tolerance_grad = 1e-7;    // stop when max |gradient| is at most this
  double tolerance_change = 1e-9;  // stop when the step or the loss changes less than this
  int64_t history_size = 100;
  std::string line_search_fn;  // "" (a fixed step of lr) or "strong_wolfe"
};

// PyTorch's state names (kept with the first parameter there, here as "state.0.0.<name>").
struct LBFGSState {
  int64_t func_evals = 0, n_iter = 0;
  Tensor d, prev_flat_grad;  // the last direction, the last flat gradient
  double t = 0, H_diag = 1, prev_loss = 0;
  std::vector<Tensor> old_dirs, old_stps;  // y = Δgradient and s = Δx of the kept pairs
  std::vector<double> ro;                  // 1 / yᵀs of each pair
};

class LBFGS : public Optimizer {
 public:
  LBFGS(std::vector<Tensor> params, LBFGSOptions options = {});
  using Closure = std::function<Tensor()>;
  // Runs up to max_iter iterations; returns the loss at the start (the closure's first value).
  Tensor step(const Closure& closure);
  void step() override;  // an Error: L-BFGS needs the closure
  LBFGSOptions options() const;
  const LBFGSState& state() const { return state_; }

  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 private:
  Tensor flat_grad() const;
  void add_to_params(double step_size, const Tensor& direction);
  std::vector<Tensor> clone_params() const;
  void set_params(const std::vector<Tensor>& values);
  // Loss and flat gradient at x + t·d (the parameters are x again afterwards).
  std::pair<double, Tensor> evaluate_at(const Closure& closure, const std::vector<Tensor>& x,
                                        double t, const Tensor& d);

  LBFGSOptions options_;
  LBFGSState state_;
};

}  // namespace xgrad::optim
