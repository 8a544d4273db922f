// The summary table: forward-many hooks on every module record output shapes during one pass.
#include "nn/summary.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "tensor/grad_mode.hpp"

namespace xgrad::nn {

namespace {
std::string shapes(const std::vector<Tensor>& outputs) {
  std::string out;
  for (const Tensor& t : outputs) out += (out.empty() ? "" : ", ") + format_shape(t.shape());
  return out;
}
int64_t elements(const StateDict& tensors) {
  int64_t n = 0;
  for (const auto& [name, t] : tensors) n += t.defined() ? t.numel() : 0;
  return n;
}
}  // namespace

std::string summary(Module& model, const Shape& input_shape) {
  NoGradGuard guard;
  const std::vector<Tensor> params = model.parameters();
  const Dtype dtype = params.empty() ? Dtype::float32 : params[0].dtype();
  const NamedModules tree = model.named_modules();
  std::vector<std::string> output_shapes(tree.size(), "--");
  std::vector<HookHandle> handles;
  for (std::size_t i = 1; i < tree.size(); ++i)
    handles.push_back(tree[i].second->register_forward_many_hook(
        [&output_shapes, i](Module&, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
          output_shapes[i] = shapes(out);
          return std::vector<Tensor>();
        }));
  try {
    output_shapes[0] = shapes(model(std::vector<Tensor>{zeros(input_shape, dtype)}));
  } catch (...) {
    for (HookHandle& h : handles) h.remove();
    throw;
  }
  for (HookHandle& h : handles) h.remove();

  constexpr int name_width = 36, shape_width = 22, count_width = 12;
  const std::string rule(name_width + shape_width + 2 * count_width, '-');
  std::ostringstream os;
  os << rule << "\n"
     << std::left << std::setw(name_width) << "Layer (type)" << std::setw(shape_width)
     << "Output Shape" << std::right << std::setw(count_width) << "Param #"
     << std::setw(count_width) << "Buffer #"
     << "\n"
     << std::string(rule.size(), '=') << "\n";
  for (std::size_t i = 0; i < tree.size(); ++i) {
    const auto& [name, m] = tree[i];
    const int64_t depth = std::count(name.begin(), name.end(), '.') + (i > 0);
    const std::string label = std::string(2 * depth, ' ') +
                              (i == 0 ? m->type_name() : name + " (" + m->type_name() + ")");
    const int64_t own_params = elements(m->named_parameters(false));
    const int64_t own_buffers = elements(m->named_buffers(false));
    const bool container = !m->named_children().empty();
    auto cell = [&](int64_t n) {
      return container && own_params == 0 && own_buffers == 0 ? std::string("--")
                                                              : std::to_string(n);
    };
    os << std::left << std::setw(name_width) << label << std::setw(shape_width) << output_shapes[i]
       << std::right << std::setw(count_width) << cell(own_params) << std::setw(count_width)
       << cell(own_buffers) << "\n";
  }
  int64_t trainable = 0;
  for (const Tensor& p : params)
    if (p.requires_grad()) trainable += p.numel();
  os << std::string(rule.size(), '=') << "\n"
     << "Total params: " << model.num_parameters() << "\n"
     << "Trainable params: " << trainable << "\n"
     << "Non-trainable params: " << model.num_parameters() - trainable << "\n"
     << "Buffer elements: " << elements(model.named_buffers()) << "\n"
     << rule << "\n";
  return os.str();
}

}  // namespace xgrad::nn
