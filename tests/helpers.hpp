// Test helpers: float64 inputs kept off kinks, and tensor comparisons.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "xgrad.hpp"

namespace xgrad::testing {

// gradcheck (and, unless told otherwise, gradgradcheck) of a one-input function at x, labelled.
inline void check_unary(const std::string& name, const std::function<Tensor(const Tensor&)>& f,
                        Tensor x, bool second_order = true) {
  INFO(name);
  auto fn = [f](const std::vector<Tensor>& v) { return f(v[0]); };
  CHECK(gradcheck(fn, {x}));
  if (second_order) CHECK(gradgradcheck(fn, {x}));
}

// Random float64 leaf in [low, high) that requires grad.
inline Tensor input(const Shape& shape, double low = -1.0, double high = 1.0, uint64_t seed = 1) {
  Generator gen(seed);
  return uniform(shape, low, high, {float64, true}, &gen);
}

// Random float64 leaf whose entries are at least `gap` away from zero (off the kinks of relu,
// abs, ...), with random signs.
inline Tensor off_kink(const Shape& shape, double gap = 0.1, uint64_t seed = 2) {
  Generator gen(seed);
  Tensor t = empty(shape, float64);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double mag = gap + gen.uniform() * (1.0 - gap);
    t.data<double>()[i] = gen.uniform() < 0.5 ? -mag : mag;
  }
  return t.requires_grad_();
}

inline bool allclose(const Tensor& a, const Tensor& b, double atol = 1e-6, double rtol = 1e-5) {
  if (a.shape() != b.shape()) return false;
  auto x = a.to_vector(), y = b.to_vector();
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;
  return true;
}

// Every parameter of m followed by `extra`, for a gradcheck over all of them (gradcheck perturbs
// the parameters in place, so the module sees the perturbation).
template <class M>
std::vector<Tensor> with_parameters(const M& m, std::vector<Tensor> extra) {
  for (const Tensor& p : m.parameters()) extra.push_back(p);
  return extra;
}

// Random float64 parameters, uniform in [-0.5, 0.5), so that the zero biases of a default
// initialisation do not hide a wrong bias.
template <class M>
void randomize(M& m, uint64_t seed) {
  Generator gen(seed);
  const NoGradGuard no_grad;
  for (Tensor p : m.parameters()) p.copy_(uniform(p.shape(), -0.5, 0.5, float64, &gen));
}

// Data folder for tests that read ../shared/data (or $XGRAD_DATA); empty when absent.
inline std::string data_dir() {
  if (const char* env = std::getenv("XGRAD_DATA"); env && *env) return env;
#ifdef XGRAD_DATA_DIR
  if (std::filesystem::exists(XGRAD_DATA_DIR)) return XGRAD_DATA_DIR;
#endif
  return "";
}

}  // namespace xgrad::testing

#define CHECK_ERROR_MESSAGE(expr, text) CHECK_THROWS_WITH_AS(expr, text, xgrad::Error)
