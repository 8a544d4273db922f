// Optimizer base: gradients, learning rates and state (de)serialisation.
#include "optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace xgrad::optim {

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

void detail::check_option(const char* optimizer, const char* name, double value, double low,
                          double high, bool high_open) {
  const bool ok = value >= low && (high_open ? value < high : value <= high);
  if (ok) return;
  const std::string range =
      high == std::numeric_limits<double>::infinity()
          ? (low == 0 ? "a non-negative number" : "at least " + number_text(low))
          : "in [" + number_text(low) + ", " + number_text(high) + (high_open ? ")" : "]");
  throw Error(std::string(optimizer) + ": " + name + " must be " + range + ", got " +
              number_text(value));
}

Optimizer::Optimizer(std::vector<std::vector<Tensor>> groups) : params_(std::move(groups)) {
  if (params_.empty()) throw Error("optimizer: got no parameter groups");
  std::size_t total = 0;
  for (const auto& g : params_) total += g.size();
  if (total == 0) throw Error("optimizer: got an empty parameter list (nothing to optimize)");
  for (std::size_t g = 0; g < params_.size(); ++g) {
    for (const Tensor& p : params_[g])
      if (!p.defined() || !p.requires_grad() || !p.is_leaf())
        throw Error("optimizer: group " + std::to_string(g) +
                    " holds a tensor that is not a leaf requiring grad");
    state_.emplace_back(params_[g].size());
  }
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : params_)
    for (Tensor& p : group) p.zero_grad(set_to_none);
}

double Optimizer::lr(std::size_t group) const {
  if (group >= params_.size())
    throw Error("optimizer: group " + std::to_string(group) + " out of range");
  return group_lr(group);
}
void Optimizer::set_lr(double lr) {
  for (std::size_t g = 0; g < params_.size(); ++g) set_lr(g, lr);
}
void Optimizer::set_lr(std::size_t group, double lr) {
  if (group >= params_.size())
    throw Error("optimizer: group " + std::to_string(group) + " out of range");
  detail::check_option("optimizer", "lr", lr, 0);
  group_lr(group) = lr;
}

StateDict Optimizer::state_dict() const {
  StateDict sd;
  std::vector<std::string> names = buffer_names();
  for (std::size_t g = 0; g < params_.size(); ++g) {
    sd.emplace_back("group." + std::to_string(g) + ".lr", scalar_tensor(group_lr(g), float64));
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      const ParamState& s = state_[g][i];
      if (s.buffers.empty()) continue;
      std::string key = "state." + std::to_string(g) + "." + std::to_string(i) + ".";
      sd.emplace_back(key + "step", scalar_tensor(static_cast<double>(s.step), float64));
      for (std::size_t b = 0; b < names.size(); ++b)
        sd.emplace_back(key + names[b], s.buffers[b].clone());
    }
  }
  return sd;
}

void Optimizer::load_state_dict(const StateDict& sd) {
  auto find = [&](const std::string& key) -> const Tensor* {
    for (const auto& [n, t] : sd)
      if (n == key) return &t;
    return nullptr;
  };
  // Everything is read and checked into new state first, then swapped in: a bad entry leaves
  // the optimizer exactly as it was.
  auto scalar = [](const Tensor* t, const std::string& key) {
    if (t->numel() != 1)
      throw Error("optimizer: state " + key + " must hold one number, got shape " +
                  format_shape(t->shape()));
    return t->item();
  };
  const std::vector<std::string> names = buffer_names(), nonnegative = nonnegative_buffers();
  std::vector<double> lrs(params_.size());
  std::vector<std::vector<ParamState>> states(params_.size());
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const std::string lr_key = "group." + std::to_string(g) + ".lr";
    const Tensor* lr = find(lr_key);
    if (!lr) throw Error("optimizer: state is missing " + lr_key);
    lrs[g] = scalar(lr, lr_key);
    detail::check_option("optimizer: state", lr_key.c_str(), lrs[g], 0);
    states[g].resize(params_[g].size());
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      std::string key = "state." + std::to_string(g) + "." + std::to_string(i) + ".";
      const Tensor* step = find(key + "step");
      ParamState& s = states[g][i];
      if (!step) continue;
      const double steps = scalar(step, key + "step");
      // A whole number of steps that an int64 holds (NaN, 1e300 and 2.5 are not).
      if (!(steps >= 0 && steps <= 9.0e15) || steps != static_cast<double>(static_cast<int64_t>(steps)))
        throw Error("optimizer: state " + key + "step must be a whole number of steps in [0, 9e15], got " +
                    std::to_string(steps));
      s.step = static_cast<int64_t>(steps);
      for (const std::string& b : names) {
        const Tensor* buf = find(key + b);
        const Tensor& p = params_[g][i];
        if (!buf) throw Error("optimizer: state is missing " + key + b);
        if (buf->shape() != p.shape() || buf->dtype() != p.dtype())
          throw Error("optimizer: state " + key + b + " has shape " + format_shape(buf->shape()) +
                      " " + dtype_name(buf->dtype()) + ", parameter has " +
                      format_shape(p.shape()) + " " + dtype_name(p.dtype()));
        // Finite, and non-negative where it sums squares: a NaN or a negative square average
        // would turn the parameters into NaN at the next step.
        const bool squares = std::find(nonnegative.begin(), nonnegative.end(), b) != nonnegative.end();
        for (double v : buf->to_vector())
          if (!std::isfinite(v) || (squares && v < 0))
            throw Error("optimizer: state " + key + b + " holds " + number_text(v) +
                        (squares ? " (must be finite and non-negative)" : " (must be finite)"));
        s.buffers.push_back(buf->contiguous_copy());
      }
    }
  }
  for (std::size_t g = 0; g < params_.size(); ++g) group_lr(g) = lrs[g];
  state_ = std::move(states);
}

}  // namespace xgrad::optim
