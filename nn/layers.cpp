// Linear, Unflatten, Dropout, Dropout2d and the containers (Sequential, ModuleList, ModuleDict).
#include "nn/layers.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

Linear::Linear(int64_t in, int64_t out, bool with_bias, Generator* gen)
    : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw Error("Linear: features must be positive, got in=" + std::to_string(in) +
                ", out=" + std::to_string(out));
  // Weight and bias are one unit of the default generator's stream, also across threads.
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Tensor w = empty({out, in});
  init::kaiming_uniform_(w, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu,
                         gen);
  weight = register_parameter("weight", w);
  if (with_bias) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in));
    Tensor b = empty({out});
    init::uniform_(b, -bound, bound, gen);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::shared_ptr<Module> Linear::clone_empty() const {
  return std::make_shared<Linear>(in_features, out_features, bias.defined());
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) +
         ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

Tensor Unflatten::forward(const Tensor& x) {
  if (x.dim() == 0) throw Error("Unflatten: expected at least one dim, got a 0-d tensor");
  const int64_t d = dim_ < 0 ? dim_ + x.dim() : dim_;
  if (d < 0 || d >= x.dim())
    throw Error("Unflatten: dim " + std::to_string(dim_) + " out of range for input " +
                format_shape(x.shape()));
  Shape shape(x.shape().begin(), x.shape().begin() + d);
  shape.insert(shape.end(), sizes_.begin(), sizes_.end());
  int64_t known = 1, rest = 1;
  for (int64_t s : sizes_) known *= s < 0 ? 1 : s;
  for (int64_t k = d; k < x.dim(); ++k) rest *= x.shape()[k];
  const bool inferred = std::count(sizes_.begin(), sizes_.end(), -1) == 1;
  if (known == 0 || (inferred ? rest % known != 0 : rest != known))
    throw Error("Unflatten: input " + format_shape(x.shape()) + " from dim " +
                std::to_string(dim_) + " does not hold " + format_shape(sizes_));
  return reshape(x, shape);
}

std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(dim_) + ", unflattened_size=" + format_shape(sizes_);
}

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) add(m);
}
Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) add(m);
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  add_child(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& layer : layers_) h = (*layer)(h);
  return h;
}

std::shared_ptr<Module> Sequential::operator[](std::size_t i) const {
  if (i >= layers_.size())
    throw Error("Sequential: index " + std::to_string(i) + " out of range for " +
                std::to_string(layers_.size()) + " layers");
  return layers_[i];
}

std::shared_ptr<Module> Sequential::clone_empty() const {
  auto copy = std::make_shared<Sequential>();
  for (const auto& layer : layers_) copy->add(layer->clone_empty());
  return copy;
}

namespace {
[[noreturn]] void no_forward(const Module& m) {
  throw Error(m.type_name() +
              " has no forward: call its modules from the forward of the module that owns it");
}
}  // namespace

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}
ModuleList::ModuleList(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

ModuleList& ModuleList::push_back(std::shared_ptr<Module> module) {
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
  return *this;
}

std::shared_ptr<Module> ModuleList::operator[](std::size_t i) const {
  if (i >= modules_.size())
    throw Error("ModuleList: index " + std::to_string(i) + " out of range for " +
                std::to_string(modules_.size()) + " modules");
  return modules_[i];
}

Tensor ModuleList::forward(const Tensor&) { no_forward(*this); }
std::vector<Tensor> ModuleList::forward_many(const std::vector<Tensor>&) { no_forward(*this); }

std::shared_ptr<Module> ModuleList::clone_empty() const {
  auto copy = std::make_shared<ModuleList>();
  for (const auto& m : modules_) copy->push_back(m->clone_empty());
  return copy;
}

ModuleDict::ModuleDict(
    std::initializer_list<std::pair<std::string, std::shared_ptr<Module>>> items) {
  for (const auto& [key, module] : items) insert(key, module);
}

ModuleDict& ModuleDict::insert(const std::string& key, std::shared_ptr<Module> module) {
  if (contains(key)) throw Error("ModuleDict: key '" + key + "' is already in the dict");
  add_child(key, std::move(module));
  return *this;
}

bool ModuleDict::contains(const std::string& key) const {
  for (const auto& [k, m] : named_children())
    if (k == key) return true;
  return false;
}

std::shared_ptr<Module> ModuleDict::at(const std::string& key) const {
  for (const auto& [k, m] : named_children())
    if (k == key) return m;
  std::string keys_list;
  for (const auto& [k, m] : named_children()) keys_list += (keys_list.empty() ? "" : ", ") + k;
  throw Error("ModuleDict: no module with key '" + key + "' (keys: " + keys_list + ")");
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, m] : named_children()) out.push_back(k);
  return out;
}

Tensor ModuleDict::forward(const Tensor&) { no_forward(*this); }
std::vector<Tensor> ModuleDict::forward_many(const std::vector<Tensor>&) { no_forward(*this); }

std::shared_ptr<Module> ModuleDict::clone_empty() const {
  auto copy = std::make_shared<ModuleDict>();
  for (const auto& [k, m] : named_children()) copy->insert(k, m->clone_empty());
  return copy;
}

Dropout::Dropout(double p, Generator* gen) : p_(p), gen_(gen) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p_, is_training(), gen_); }

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

Dropout2d::Dropout2d(double p, Generator* gen) : p_(p), gen_(gen) {
  if (!(p >= 0.0 && p < 1.0))
    throw Error("Dropout2d: p must be in [0, 1), got " + std::to_string(p));
}

Tensor Dropout2d::forward(const Tensor& x) {
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("Dropout2d(" + extra_repr() + "): expected input (N, C, H, W) or (C, H, W), got " +
                format_shape(x.shape()));
  return functional::dropout2d(x, p_, is_training(), gen_);
}

std::string Dropout2d::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

}  // namespace xgrad::nn
