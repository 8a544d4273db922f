// gradcheck implementation: full Jacobians (or random projections) compared element by element.
#include "autograd/gradcheck.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

#include "autograd/engine.hpp"
#include "tensor/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "tensor/generator.hpp"

namespace xgrad {

std::ostream& operator<<(std::ostream& os, const GradcheckResult& r) { return os << r.message(); }

namespace {

std::vector<std::size_t> checked_inputs(const std::vector<Tensor>& inputs) {
  std::vector<std::size_t> ids;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    if (inputs[i].dtype() != Dtype::float64)
      throw Error("gradcheck: input " + std::to_string(i) +
                  " is float32; finite differences need float64 inputs");
    for (std::size_t d = 0; d < inputs[i].shape().size(); ++d)
      if (inputs[i].strides()[d] == 0 && inputs[i].shape()[d] > 1)
        throw Error("gradcheck: input " + std::to_string(i) +
                    " has elements that share memory (an expanded view); clone() it");
    ids.push_back(i);
  }
  if (ids.empty()) throw Error("gradcheck: no input requires grad");
  return ids;
}

Tensor evaluate(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs) {
  Tensor out = fn(inputs);
  if (!out.defined()) throw Error("gradcheck: the function returned an undefined tensor");
  if (out.dtype() != Dtype::float64) throw Error("gradcheck: the function's output is float32");
  return out;
}

bool close(double analytic, double numeric, const GradcheckOptions& o) {
  return std::abs(analytic - numeric) <= o.atol + o.rtol * std::abs(numeric);
}

std::string mismatch(std::size_t input, int64_t element, int64_t output_element, double numeric,
                     double analytic) {
  std::ostringstream os;
  os.precision(10);
  os << "gradcheck: Jacobian mismatch for input " << input << ", element " << element;
  if (output_element >= 0) os << " (output element " << output_element << ")";
  os << ": numeric " << numeric << ", analytic " << analytic;
  return os.str();
}

// Gradients of vᵀ out w.r.t. the checked inputs, twice, verified identical and well-shaped.
// Returns an empty string on success, else the failure.
std::string vjp(const Tensor& out, const Tensor& v, const std::vector<Tensor>& inputs,
                const std::vector<std::size_t>& ids, std::vector<std::vector<double>>& result) {
  std::vector<Tensor> wrt;
  for (std::size_t i : ids) wrt.push_back(inputs[i]);
  result.assign(ids.size(), {});
  if (!out.requires_grad()) {
    for (std::size_t k = 0; k < ids.size(); ++k)
      result[k].assign(static_cast<std::size_t>(inputs[ids[k]].numel()), 0.0);
    return "";
  }
  std::vector<Tensor> first = grad({out}, wrt, {v}, true, false, true);
  std::vector<Tensor> second = grad({out}, wrt, {v}, true, false, true);
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const Tensor& in = inputs[ids[k]];
    if (!first[k].defined()) {
      result[k].assign(static_cast<std::size_t>(in.numel()), 0.0);
      continue;
    }
    if (first[k].shape() != in.shape() || first[k].dtype() != in.dtype())
      return "gradcheck: gradient for input " + std::to_string(ids[k]) + " has shape " +
             format_shape(first[k].shape()) + " " + dtype_name(first[k].dtype()) + ", input has " +
             format_shape(in.shape()) + " " + dtype_name(in.dtype());
    result[k] = first[k].to_vector();
    if (result[k] != second[k].to_vector())
      return "gradcheck: backward is not deterministic for input " + std::to_string(ids[k]);
  }
  return "";
}

// Where each element of x (row-major order) sits relative to data<double>(): inputs may be views.
std::vector<int64_t> element_offsets(const Tensor& x) {
  std::vector<int64_t> out(static_cast<std::size_t>(x.numel()));
  Shape coord(x.shape().size(), 0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int64_t off = 0;
    for (std::size_t d = 0; d < coord.size(); ++d) off += coord[d] * x.strides()[d];
    out[i] = off;
    for (std::size_t d = coord.size(); d-- > 0;) {
      if (++coord[d] < x.shape()[d]) break;
      coord[d] = 0;
    }
  }
  return out;
}

// (f(x + eps·u) - f(x - eps·u)) / 2eps for input `x` (changed in place, then restored).
std::vector<double> central_difference(const DifferentiableFunction& fn,
                                       const std::vector<Tensor>& inputs, Tensor x,
                                       const std::vector<double>& direction, double eps) {
  // Grad mode stays on: gradgradcheck's function itself calls grad(). The writes go around the
  // in-place checks on purpose, and leave the values (not the version) as they were.
  double* p = x.data<double>();
  const std::vector<int64_t> at = element_offsets(x);
  std::vector<double> saved(at.size());
  for (std::size_t i = 0; i < at.size(); ++i) saved[i] = p[at[i]];
  for (std::size_t i = 0; i < at.size(); ++i) p[at[i]] = saved[i] + eps * direction[i];
  std::vector<double> plus = evaluate(fn, inputs).to_vector();
  for (std::size_t i = 0; i < at.size(); ++i) p[at[i]] = saved[i] - eps * direction[i];
  std::vector<double> minus = evaluate(fn, inputs).to_vector();
  for (std::size_t i = 0; i < at.size(); ++i) p[at[i]] = saved[i];
  for (std::size_t j = 0; j < plus.size(); ++j) plus[j] = (plus[j] - minus[j]) / (2 * eps);
  return plus;
}

}  // namespace

GradcheckResult gradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  std::vector<std::size_t> ids = checked_inputs(inputs);
  Tensor out = evaluate(fn, inputs);
  const int64_t n_out = out.numel();
  std::vector<std::vector<double>> row;

  if (options.fast_mode) {
    Generator gen(options.seed);
    Tensor v = randn(out.shape(), Dtype::float64, &gen);
    std::vector<double> vv = v.to_vector();
    std::string failure = vjp(out, v, inputs, ids, row);
    if (!failure.empty()) return GradcheckResult(failure);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const Tensor& x = inputs[ids[k]];
      std::vector<double> u = randn(x.shape(), Dtype::float64, &gen).to_vector();
      double analytic = 0, numeric = 0;
      for (int64_t i = 0; i < x.numel(); ++i) analytic += row[k][i] * u[i];
      std::vector<double> d = central_difference(fn, inputs, x, u, options.eps);
      for (int64_t j = 0; j < n_out; ++j) numeric += vv[j] * d[j];
      if (!close(analytic, numeric, options))
        return GradcheckResult(mismatch(ids[k], -1, -1, numeric, analytic) +
                               " (fast mode: projection vᵀJu)");
    }
    return GradcheckResult();
  }

  // analytic[k][j][i] = d out_j / d input_k[i]
  std::vector<std::vector<std::vector<double>>> analytic(ids.size());
  for (int64_t j = 0; j < n_out; ++j) {
    Tensor v = zeros(out.shape(), Dtype::float64);
    v.data<double>()[j] = 1.0;
    std::string failure = vjp(out, v, inputs, ids, row);
    if (!failure.empty()) return GradcheckResult(failure);
    for (std::size_t k = 0; k < ids.size(); ++k) analytic[k].push_back(std::move(row[k]));
  }
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const Tensor& x = inputs[ids[k]];
    std::vector<double> unit(static_cast<std::size_t>(x.numel()), 0.0);
    for (int64_t i = 0; i < x.numel(); ++i) {
      unit[i] = 1.0;
      std::vector<double> numeric = central_difference(fn, inputs, x, unit, options.eps);
      unit[i] = 0.0;
      for (int64_t j = 0; j < n_out; ++j)
        if (!close(analytic[k][j][i], numeric[j], options))
          return GradcheckResult(mismatch(ids[k], i, j, numeric[j], analytic[k][j][i]));
    }
  }
  return GradcheckResult();
}

GradcheckResult gradgradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
  std::vector<std::size_t> ids = checked_inputs(inputs);
  Tensor out = evaluate(fn, inputs);
  Generator gen(options.seed + 1);
  Tensor v = randn(out.shape(), {Dtype::float64, true}, &gen);
  auto first_derivative = [&](const std::vector<Tensor>& args) {
    std::vector<Tensor> xs(args.begin(), args.end() - 1), wrt;
    for (std::size_t i : ids) wrt.push_back(xs[i]);
    Tensor y = fn(xs);
    std::vector<Tensor> parts;
    std::vector<Tensor> grads = y.requires_grad() ? grad({y}, wrt, {args.back()}, true, true, true)
                                                  : std::vector<Tensor>(wrt.size());
    for (std::size_t k = 0; k < wrt.size(); ++k)
      parts.push_back(reshape(grads[k].defined() ? grads[k] : zeros_like(wrt[k]), {-1}));
    return concat(parts, 0);
  };
  std::vector<Tensor> args = inputs;
  args.push_back(v);
  return gradcheck(first_derivative, args, options);
}

}  // namespace xgrad
