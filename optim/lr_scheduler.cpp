// Scheduler formulas (closed form, as in PyTorch's documentation).
#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace xgrad::optim {

namespace {
double get(const StateDict& sd, const std::string& key) {
  for (const auto& [n, t] : sd) {
    if (n != key) continue;
    if (t.numel() != 1)
      throw Error("scheduler: state " + key + " must hold one number, got shape " +
                  format_shape(t.shape()));
    return t.item();
  }
  throw Error("scheduler: state is missing " + key);
}

// A count: a whole number in [0, 9e15] (NaN, -1, 2.5 and 1e300 are refused; casting them to an
// integer was undefined behaviour).
int64_t get_count(const StateDict& sd, const std::string& key) {
  const double v = get(sd, key);
  if (!(v >= 0 && v <= 9.0e15) || v != std::floor(v))
    throw Error("scheduler: state " + key + " must be a whole number in [0, 9e15], got " +
                detail::number_text(v));
  return static_cast<int64_t>(v);
}
}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
}

void LRScheduler::step() {
  ++last_epoch_;
  apply();
}

void LRScheduler::apply() {
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, lr_at(g, last_epoch_));
}

std::vector<double> LRScheduler::get_last_lr() const {
  std::vector<double> out;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) out.push_back(optimizer_.lr(g));
  return out;
}

StateDict LRScheduler::state_dict() const {
  StateDict sd{{"last_epoch", scalar_tensor(static_cast<double>(last_epoch_), float64)}};
  for (std::size_t g = 0; g < base_lrs_.size(); ++g)
    sd.emplace_back("base_lr." + std::to_string(g), scalar_tensor(base_lrs_[g], float64));
  return sd;
}

void LRScheduler::load_state_dict(const StateDict& sd) {
  // Read and checked in full before anything changes.
  const int64_t epoch = get_count(sd, "last_epoch");
  std::vector<double> base(base_lrs_.size());
  for (std::size_t g = 0; g < base.size(); ++g) {
    const std::string key = "base_lr." + std::to_string(g);
    base[g] = get(sd, key);
    detail::check_option("scheduler: state", key.c_str(), base[g], 0);
  }
  last_epoch_ = epoch;
  base_lrs_ = std::move(base);
  apply();
}

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0) throw Error("StepLR: step_size must be positive");
}
double StepLR::lr_at(std::size_t g, int64_t e) const {
  return base_lrs_[g] * std::pow(gamma_, static_cast<double>(e / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(opt), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
}
double MultiStepLR::lr_at(std::size_t g, int64_t e) const {
  auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), e) - milestones_.begin();
  return base_lrs_[g] * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : LRScheduler(opt), gamma_(gamma) {}
double ExponentialLR::lr_at(std::size_t g, int64_t e) const {
  return base_lrs_[g] * std::pow(gamma_, static_cast<double>(e));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min)
    : LRScheduler(opt), t_max_(t_max), eta_min_(eta_min) {
  if (t_max <= 0) throw Error("CosineAnnealingLR: T_max must be positive");
}
double CosineAnnealingLR::lr_at(std::size_t g, int64_t e) const {
  return eta_min_ +
         (base_lrs_[g] - eta_min_) *
             (1 + std::cos(M_PI * static_cast<double>(e) / static_cast<double>(t_max_))) / 2;
}

LinearLR::LinearLR(Optimizer& opt, double start, double end, int64_t total)
    : LRScheduler(opt), start_(start), end_(end), total_(total) {
  if (start <= 0 || start > 1 || end < 0 || end > 1 || total <= 0)
    throw Error("LinearLR: factors must be in (0, 1] and total_iters positive");
  apply();  // the warm-up starts at start_factor · base
}
double LinearLR::lr_at(std::size_t g, int64_t e) const {
  double t = static_cast<double>(std::min(e, total_)) / static_cast<double>(total_);
  return base_lrs_[g] * (start_ + (end_ - start_) * t);
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, Options options)
    : optimizer_(opt),
      o_(options),
      best_(options.mode == Mode::min ? std::numeric_limits<double>::infinity()
                                      : -std::numeric_limits<double>::infinity()) {
  if (o_.factor <= 0 || o_.factor >= 1) throw Error("ReduceLROnPlateau: factor must be in (0, 1)");
}

bool ReduceLROnPlateau::better(double m) const {
  return o_.mode == Mode::min ? m < best_ * (1 - o_.threshold) : m > best_ * (1 + o_.threshold);
}

void ReduceLROnPlateau::step(double metric) {
  if (better(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    bad_epochs_ = 0;
  }
  if (bad_epochs_ > o_.patience) {
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g)
      optimizer_.set_lr(g, std::max(optimizer_.lr(g) * o_.factor, o_.min_lr));
    cooldown_left_ = o_.cooldown;
    bad_epochs_ = 0;
  }
}

StateDict ReduceLROnPlateau::state_dict() const {
  return {{"best", scalar_tensor(best_, float64)},
          {"bad_epochs", scalar_tensor(static_cast<double>(bad_epochs_), float64)},
          {"cooldown_left", scalar_tensor(static_cast<double>(cooldown_left_), float64)}};
}

void ReduceLROnPlateau::load_state_dict(const StateDict& sd) {
  const double best = get(sd, "best");
  if (std::isnan(best)) throw Error("scheduler: state best must be a number, got nan");
  const int64_t bad = get_count(sd, "bad_epochs"), cooldown = get_count(sd, "cooldown_left");
  best_ = best;
  bad_epochs_ = bad;
  cooldown_left_ = cooldown;
}

}  // namespace xgrad::optim
