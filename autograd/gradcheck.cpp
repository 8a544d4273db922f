// gradcheck implementation: full Jacobians (or random projections) compared element by element.
#include "autograd/gradcheck.hpp"

#include <cmath>
#include <functional>
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

// "(1, 0)": the coordinates of flat index i in shape.
std::string coordinates(const Shape& shape, int64_t i) {
  std::vector<int64_t> c(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    c[d] = shape[d] ? i % shape[d] : 0;
    i = shape[d] ? i / shape[d] : 0;
  }
  std::string s = "(";
  for (std::size_t d = 0; d < c.size(); ++d) s += (d ? ", " : "") + std::to_string(c[d]);
  return s + ")";
}

// "element 3", with its coordinates for 2-d and up: "element 3 at (1, 0)".
std::string element(const Shape& shape, int64_t i) {
  std::string s = "element " + std::to_string(i);
  return shape.size() >= 2 ? s + " at " + coordinates(shape, i) : s;
}

// How messages name the checked function's inputs and output elements: gradgradcheck checks a
// function of its own (the first derivatives, flattened, of the inputs and v).
struct Naming {
  const char* who = "gradcheck";
  std::function<std::string(std::size_t)> input = [](std::size_t i) {
    return "input " + std::to_string(i);
  };
  std::function<std::string(const Shape&, int64_t)> output = [](const Shape& s, int64_t j) {
    return "output " + element(s, j);
  };
};

std::string mismatch(const Naming& names, const GradcheckOptions& o, std::size_t input,
                     const Shape& input_shape, int64_t at, const Shape& output_shape,
                     int64_t output_at, double numeric, double analytic) {
  std::ostringstream os;
  os.precision(10);
  os << names.who << ": Jacobian mismatch for " << names.input(input);
  if (at >= 0) os << ", " << element(input_shape, at);
  if (output_at >= 0) os << " (" << names.output(output_shape, output_at) << ")";
  os << ": numeric " << numeric << ", analytic " << analytic;
  os.precision(4);
  os << "; |analytic - numeric| = " << std::abs(analytic - numeric)
     << " > atol + rtol·|numeric| = " << o.atol + o.rtol * std::abs(numeric) << " (atol " << o.atol
     << ", rtol " << o.rtol << ")";
  return os.str();
}

// Gradients of vᵀ out w.r.t. the checked inputs, twice, verified equal (to nondet_tol) and
// well-shaped. Returns an empty string on success, else the failure.
std::string vjp(const Tensor& out, const Tensor& v, const std::vector<Tensor>& inputs,
                const std::vector<std::size_t>& ids, const GradcheckOptions& o, const Naming& names,
                std::vector<std::vector<double>>& result) {
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
      return std::string(names.who) + ": gradient for " + names.input(ids[k]) + " has shape " +
             format_shape(first[k].shape()) + " " + dtype_name(first[k].dtype()) + ", input has " +
             format_shape(in.shape()) + " " + dtype_name(in.dtype());
    result[k] = first[k].to_vector();
    std::vector<double> again =
        second[k].defined() ? second[k].to_vector() : std::vector<double>(result[k].size(), 0.0);
    for (std::size_t i = 0; i < result[k].size(); ++i)
      if (!(std::abs(result[k][i] - again[i]) <= o.nondet_tol) && result[k][i] != again[i]) {
        std::ostringstream os;
        os.precision(17);
        os << names.who << ": backward is not deterministic for " << names.input(ids[k]) << ": "
           << element(in.shape(), static_cast<int64_t>(i)) << " of its gradient was "
           << result[k][i] << " in one backward and " << again[i] << " in another (nondet_tol "
           << o.nondet_tol << ")";
        return os.str();
      }
  }
  return "";
}

// check_undefined_grad: a zero output gradient (what a missing one means) gives zero gradients.
std::string zero_in_zero_out(const Tensor& out, const std::vector<Tensor>& inputs,
                             const std::vector<std::size_t>& ids, const Naming& names) {
  if (!out.requires_grad()) return "";
  std::vector<Tensor> wrt;
  for (std::size_t i : ids) wrt.push_back(inputs[i]);
  std::vector<Tensor> g = grad({out}, wrt, {zeros(out.shape(), Dtype::float64)}, true, false, true);
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (!g[k].defined()) continue;
    std::vector<double> values = g[k].to_vector();
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] != 0.0) {
        std::ostringstream os;
        os.precision(10);
        os << names.who << ": with a zero (undefined) output gradient, backward gave "
           << names.input(ids[k]) << " a nonzero gradient at "
           << element(inputs[ids[k]].shape(), static_cast<int64_t>(i)) << ": " << values[i]
           << " (check_undefined_grad)";
        return os.str();
      }
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

GradcheckResult run_gradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options, const Naming& names) {
  std::vector<std::size_t> ids = checked_inputs(inputs);
  Tensor out = evaluate(fn, inputs);
  const int64_t n_out = out.numel();
  std::vector<std::vector<double>> row;

  if (options.fast_mode) {
    Generator gen(options.seed);
    Tensor v = randn(out.shape(), Dtype::float64, &gen);
    std::vector<double> vv = v.to_vector();
    std::string failure = vjp(out, v, inputs, ids, options, names, row);
    if (failure.empty() && options.check_undefined_grad)
      failure = zero_in_zero_out(out, inputs, ids, names);
    if (!failure.empty()) return GradcheckResult(failure);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const Tensor& x = inputs[ids[k]];
      std::vector<double> u = randn(x.shape(), Dtype::float64, &gen).to_vector();
      double analytic = 0, numeric = 0;
      for (int64_t i = 0; i < x.numel(); ++i) analytic += row[k][i] * u[i];
      std::vector<double> d = central_difference(fn, inputs, x, u, options.eps);
      for (int64_t j = 0; j < n_out; ++j) numeric += vv[j] * d[j];
      if (!close(analytic, numeric, options))
        return GradcheckResult(
            mismatch(names, options, ids[k], x.shape(), -1, out.shape(), -1, numeric, analytic) +
            " (fast mode: projection vᵀJu with random v, u)");
    }
    return GradcheckResult();
  }

  // analytic[k][j][i] = d out_j / d input_k[i]
  std::vector<std::vector<std::vector<double>>> analytic(ids.size());
  for (int64_t j = 0; j < n_out; ++j) {
    Tensor v = zeros(out.shape(), Dtype::float64);
    v.data<double>()[j] = 1.0;
    std::string failure = vjp(out, v, inputs, ids, options, names, row);
    if (!failure.empty()) return GradcheckResult(failure);
    for (std::size_t k = 0; k < ids.size(); ++k) analytic[k].push_back(std::move(row[k]));
  }
  if (options.check_undefined_grad) {
    std::string failure = zero_in_zero_out(out, inputs, ids, names);
    if (!failure.empty()) return GradcheckResult(failure);
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
          return GradcheckResult(mismatch(names, options, ids[k], x.shape(), i, out.shape(), j,
                                          numeric[j], analytic[k][j][i]));
    }
  }
  return GradcheckResult();
}

GradcheckResult raise_if_asked(GradcheckResult r, const GradcheckOptions& options) {
  if (!r && options.raise_exception) throw Error(r.message());
  return r;
}

}  // namespace

GradcheckResult gradcheck(const DifferentiableFunction& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  return raise_if_asked(run_gradcheck(fn, inputs, options, Naming{}), options);
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
  // The checked function's output element j is d out / d input ids[k] at element i.
  Naming names;
  names.who = "gradgradcheck";
  names.input = [n = inputs.size()](std::size_t i) {
    return i < n ? "input " + std::to_string(i) : std::string("the output gradient v");
  };
  names.output = [&inputs, &ids](const Shape&, int64_t j) {
    std::size_t k = 0;
    while (k + 1 < ids.size() && j >= inputs[ids[k]].numel()) j -= inputs[ids[k++]].numel();
    return "first derivative d output / d input " + std::to_string(ids[k]) + ", " +
           element(inputs[ids[k]].shape(), j);
  };
  return raise_if_asked(run_gradcheck(first_derivative, args, options, names), options);
}

}  // namespace xgrad
