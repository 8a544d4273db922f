// Learning-rate schedulers. Each computes lr from the base lr in closed form (no drift), and its
// state (epoch counter, plateau bookkeeping) can be saved and restored with the optimizer's.
#pragma once

#include <vector>

#include "optimizer.hpp"

namespace xgrad::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  // Advances one epoch and sets the optimizer's learning rates.
  virtual void step();
  int64_t last_epoch() const { return last_epoch_; }
  std::vector<double> get_last_lr() const;
  virtual StateDict state_dict() const;
  virtual void load_state_dict(const StateDict& state);

 protected:
  // lr of a group at epoch `epoch` (0 = the start).
  virtual double lr_at(std::size_t group, int64_t epoch) const = 0;
  void apply();
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = 0;
};

// lr = base · γ^⌊epoch / step_size⌋
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::size_t group, int64_t epoch) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr = base · γ^(number of milestones ≤ epoch)
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(std::size_t group, int64_t epoch) const override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr = base · γ^epoch
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& opt, double gamma);

 protected:
  double lr_at(std::size_t group, int64_t epoch) const override;

 private:
  double gamma_;
};

// lr = η_min + (base - η_min)(1 + cos(π·epoch/T_max))/2
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min = 0.0);

 protected:
  double lr_at(std::size_t group, int64_t epoch) const override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// Warm-up: the factor goes linearly from start_factor to end_factor over total_iters epochs.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& opt, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);

 protected:
  double lr_at(std::size_t group, int64_t epoch) const override;

 private:
  double start_, end_;
  int64_t total_;
};

// Multiplies lr by `factor` once the metric has not improved for `patience` epochs.
class ReduceLROnPlateau {
 public:
  enum class Mode { min, max };
  struct Options {
    Mode mode = Mode::min;
    double factor = 0.1;
    int64_t patience = 10;
    double threshold = 1e-4;  // relative improvement needed
    int64_t cooldown = 0;
    double min_lr = 0.0;
  };
  ReduceLROnPlateau(Optimizer& opt, Options options);
  explicit ReduceLROnPlateau(Optimizer& opt) : ReduceLROnPlateau(opt, Options{}) {}
  void step(double metric);
  int64_t num_bad_epochs() const { return bad_epochs_; }
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

 private:
  bool better(double metric) const;
  Optimizer& optimizer_;
  Options o_;
  double best_;
  int64_t bad_epochs_ = 0, cooldown_left_ = 0;
};

}  // namespace xgrad::optim
