// Optimizer base: gradients, learning rates and state (de)serialisation.
#include "optim/optimizer.hpp"

namespace xgrad::optim {

Optimizer::Optimizer(std::vector<std::vector<Tensor>> groups) : params_(std::move(groups)) {
  if (params_.empty()) throw Error("optimizer: got no parameter groups");
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
  if (!(lr >= 0)) throw Error("optimizer: learning rate must be non-negative");
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
  std::vector<std::string> names = buffer_names();
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const Tensor* lr = find("group." + std::to_string(g) + ".lr");
    if (!lr) throw Error("optimizer: state is missing group." + std::to_string(g) + ".lr");
    set_lr(g, lr->item());
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      std::string key = "state." + std::to_string(g) + "." + std::to_string(i) + ".";
      const Tensor* step = find(key + "step");
      ParamState& s = state_[g][i];
      s = ParamState{};
      if (!step) continue;
      s.step = static_cast<int64_t>(step->item());
      for (const std::string& b : names) {
        const Tensor* buf = find(key + b);
        const Tensor& p = params_[g][i];
        if (!buf) throw Error("optimizer: state is missing " + key + b);
        if (buf->shape() != p.shape() || buf->dtype() != p.dtype())
          throw Error("optimizer: state " + key + b + " has shape " + format_shape(buf->shape()) +
                      ", parameter has " + format_shape(p.shape()));
        s.buffers.push_back(buf->contiguous_copy());
      }
    }
  }
}

}  // namespace xgrad::optim
