// tensor/kernels_elementwise.cpp: elementwise kernels at the edges of their domains.
#include <cmath>
#include <limits>

#include "../helpers.hpp"
#include "tensor/kernels.hpp"

using namespace xgrad;

TEST_CASE("exp of infinities and NaN: 0, inf and NaN, with no undefined behaviour inside") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  for (Dtype dtype : {float32, float64}) {
    Tensor e = kernels::exp(tensor({-inf, inf, nan, -800.0, 800.0, 0.0, 1.0}, dtype));
    std::vector<double> v = e.to_vector();
    CHECK(v[0] == 0.0);
    CHECK(v[1] == inf);
    CHECK(std::isnan(v[2]));
    CHECK(v[3] == 0.0);
    CHECK(v[4] == inf);
    CHECK(v[5] == 1.0);
    CHECK(v[6] == doctest::Approx(std::exp(1.0)).epsilon(1e-6));
  }
}
