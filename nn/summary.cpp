// Keras-like model summary table.
#include "nn/summary.hpp"

#include <iomanip>
#include <sstream>

#include "tensor/grad_mode.hpp"
#include "nn/layers.hpp"

namespace xgrad::nn {

namespace {
int64_t count(const Module& m) { return m.num_parameters(); }
}  // namespace

std::string summary(Module& model, const Shape& input_shape) {
  NoGradGuard guard;
  Dtype dtype = model.parameters().empty() ? Dtype::float32 : model.parameters()[0].dtype();
  Tensor x = zeros(input_shape, dtype);
  std::ostringstream os;
  const std::string rule(64, '-');
  os << rule << "\n"
     << std::left << std::setw(28) << "Layer (type)" << std::setw(22) << "Output Shape"
     << std::right << std::setw(14) << "Param #"
     << "\n"
     << std::string(64, '=') << "\n";
  auto* seq = dynamic_cast<Sequential*>(&model);
  if (seq) {
    std::size_t i = 0;
    for (const auto& layer : *seq) {
      x = layer->forward(x);
      os << std::left << std::setw(28) << (std::to_string(i++) + " (" + layer->type_name() + ")")
         << std::setw(22) << format_shape(x.shape()) << std::right << std::setw(14) << count(*layer)
         << "\n";
    }
  } else {
    for (const auto& [name, child] : model.named_children())
      os << std::left << std::setw(28) << (name + " (" + child->type_name() + ")") << std::setw(22)
         << "-" << std::right << std::setw(14) << count(*child) << "\n";
    x = model.forward(x);
    os << std::left << std::setw(28) << "output" << std::setw(22) << format_shape(x.shape())
       << std::right << std::setw(14) << ""
       << "\n";
  }
  os << std::string(64, '=') << "\n"
     << "Total params: " << model.num_parameters() << "\n";
  int64_t trainable = 0;
  for (const Tensor& p : model.parameters())
    if (p.requires_grad()) trainable += p.numel();
  os << "Trainable params: " << trainable << "\n"
     << "Non-trainable params: " << model.num_parameters() - trainable << "\n"
     << rule << "\n";
  return os.str();
}

}  // namespace xgrad::nn
