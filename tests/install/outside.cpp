// A program outside the source tree, built against the installed headers and library (with
// pkg-config and with CMake's find_package): the top-level header and a namespaced one.
#include <xgrad.hpp>
#include <xgrad/nn/module.hpp>

#include <cstdio>

int main() {
  using namespace xgrad;
  Tensor x = tensor({1.0, 2.0, 3.0}, {float64, true});
  Tensor y = (x * x).sum();
  y.backward();
  nn::Linear fc(3, 2);
  Tensor out = fc(reshape(x.detach().to(float32), {1, 3}));
  std::printf("grad %g %g %g, out shape %s\n", x.grad().at({0}), x.grad().at({1}), x.grad().at({2}),
              format_shape(out.shape()).c_str());
  return x.grad().at({2}) == 6.0 ? 0 : 1;
}
