// Optimizer base: gradients, learning rates and state (de)serialisation.
#include "optim/optimizer.hpp"

#include <cmath>
#include <sstream>

namespace xgrad::optim {

std::string detail::number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void detail::check_option(const char* optimizer, const char* name, double value, double low,
                          double high, bool high_open) {
  const bool ok = value >= low && (high_open ? value < high : value <= high);
  if (ok) return;
  const std::string range =
      high == std::numeric_limits<double>::infinity()
          ? (low == 0 ? "a non-negative number" : "at least " + detail::number_text(low))
          : "in [" + detail::number_text(low) + ", " + detail::number_text(high) +
                (high_open ? ")" : "]");
  throw Error(std::string(optimizer) + ": " + name + " must be " + range + ", got " +
              detail::number_text(value));
}

Optimizer::Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {
  if (groups_.empty()) throw Error("optimizer: got no parameter groups");
  std::size_t total = 0;
  for (const auto& g : groups_) total += g.params.size();
  if (total == 0) throw Error("optimizer: got an empty parameter list (nothing to optimize)");
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (const Tensor& p : groups_[g].params)
      if (!p.defined() || !p.requires_grad() || !p.is_leaf())
        throw Error("optimizer: group " + std::to_string(g) +
                    " holds a tensor that is not a leaf requiring grad");
}

const ParamGroup& Optimizer::group_at(std::size_t group) const {
  if (group >= groups_.size())
    throw Error("optimizer: group " + std::to_string(group) + " out of range (" +
                std::to_string(groups_.size()) + " groups)");
  return groups_[group];
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : groups_)
    for (Tensor& p : group.params) p.zero_grad(set_to_none);
}

double Optimizer::lr(std::size_t group) const { return group_at(group).lr; }
void Optimizer::set_lr(double lr) {
  for (std::size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}
void Optimizer::set_lr(std::size_t group, double lr) {
  group_at(group);
  detail::check_option("optimizer", "lr", lr, 0);
  groups_[group].lr = lr;
}

std::string detail::state_key(std::size_t group, std::size_t index, const std::string& name) {
  return "state." + std::to_string(group) + "." + std::to_string(index) + "." + name;
}

const Tensor* detail::find_entry(const StateDict& state, const std::string& key) {
  for (const auto& [n, t] : state)
    if (n == key) return &t;
  return nullptr;
}

namespace {
double scalar_entry(const Tensor& t, const std::string& key) {
  if (t.numel() != 1)
    throw Error("optimizer: state " + key + " must hold one number, got shape " +
                format_shape(t.shape()));
  return t.item();
}
}  // namespace

std::vector<double> detail::load_learning_rates(const StateDict& state, std::size_t groups) {
  std::vector<double> lrs(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    const std::string key = "group." + std::to_string(g) + ".lr";
    const Tensor* lr = find_entry(state, key);
    if (!lr) throw Error("optimizer: state is missing " + key);
    lrs[g] = scalar_entry(*lr, key);
    check_option("optimizer: state", key.c_str(), lrs[g], 0);
  }
  return lrs;
}

int64_t detail::load_step(const Tensor& entry, const std::string& key) {
  const double steps = scalar_entry(entry, key);
  if (!(steps >= 0 && steps <= 9.0e15) || steps != static_cast<double>(static_cast<int64_t>(steps)))
    throw Error("optimizer: state " + key + " must be a whole number of steps in [0, 9e15], got " +
                std::to_string(steps));
  return static_cast<int64_t>(steps);
}

Tensor detail::load_buffer(const Tensor& entry, const std::string& key, const Tensor& param,
                           bool non_negative) {
  if (entry.shape() != param.shape() || entry.dtype() != param.dtype())
    throw Error("optimizer: state " + key + " has shape " + format_shape(entry.shape()) + " " +
                dtype_name(entry.dtype()) + ", parameter has " + format_shape(param.shape()) + " " +
                dtype_name(param.dtype()));
  for (double v : entry.to_vector())
    if (!std::isfinite(v) || (non_negative && v < 0))
      throw Error("optimizer: state " + key + " holds " + detail::number_text(v) +
                  (non_negative ? " (must be finite and non-negative)" : " (must be finite)"));
  return entry.contiguous_copy();
}

}  // namespace xgrad::optim
