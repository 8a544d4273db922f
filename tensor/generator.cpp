// Generator transforms and the seedable default generator.
#include "tensor/generator.hpp"

#include <cmath>

namespace xgrad {

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller on (0, 1]: u1 never 0, so log is finite.
  double u1 = 1.0 - uniform();
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 2.0 * M_PI * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

std::unique_lock<std::recursive_mutex> lock_default_generator() {
  static std::recursive_mutex mutex;
  return std::unique_lock<std::recursive_mutex>(mutex);
}

void manual_seed(uint64_t seed) {
  auto lock = lock_default_generator();
  default_generator().seed(seed);
}

}  // namespace xgrad
