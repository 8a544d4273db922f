// L-BFGS (lbfgs.hpp): the iteration, the strong-Wolfe line search and the state dict. The
// arithmetic follows PyTorch's torch.optim.LBFGS step for step, so float64 runs give the same
// iterates (tests and bench/lbfgs_parity compare).
#include "optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/ops.hpp"

namespace xgrad::optim {

namespace {

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).to(float64).item(); }
double max_abs(const Tensor& a) { return amax(abs(a)).to(float64).item(); }

// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds
// (the interval by default); their midpoint when the cubic has none.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         const double* bounds = nullptr) {
  double lo, hi;
  if (bounds) {
    lo = bounds[0];
    hi = bounds[1];
  } else {
    lo = std::min(x1, x2);
    hi = std::max(x1, x2);
  }
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(min_pos, lo), hi);
  }
  return (lo + hi) / 2;
}

struct LineSearchResult {
  double loss;
  Tensor flat_grad;
  double t;
  int64_t evals;
};

// The strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6) as PyTorch's
// _strong_wolfe: bracket, then zoom with safeguarded cubic interpolation.
template <class Objective>
LineSearchResult strong_wolfe(Objective&& objective, double t, const Tensor& d, double f,
                              const Tensor& g, double gtd, double tolerance_change,
                              double c1 = 1e-4, double c2 = 0.9, int64_t max_ls = 25) {
  const double d_norm = max_abs(d);
  auto [f_new, g_new] = objective(t);
  int64_t evals = 1;
  double gtd_new = dot(g_new, d);
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Tensor g_prev = g;
  bool done = false;
  int64_t ls_iter = 0;
  double bracket[2] = {0, 0}, bracket_f[2] = {0, 0}, bracket_gtd[2] = {0, 0};
  Tensor bracket_g[2];
  int brackets = 0;
  // The interval [t_prev, t] brackets a point satisfying the strong Wolfe conditions (f_new and
  // g_new come in as arguments: clang 14 cannot capture structured bindings).
  auto bracket_previous_and_current = [&](double f_current, const Tensor& g_current) {
    bracket[0] = t_prev, bracket[1] = t;
    bracket_f[0] = f_prev, bracket_f[1] = f_current;
    bracket_g[0] = g_prev, bracket_g[1] = g_current;
    bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
    brackets = 2;
  };
  while (ls_iter < max_ls) {
    if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
      bracket_previous_and_current(f_new, g_new);
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new;
      brackets = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket_previous_and_current(f_new, g_new);
      break;
    }
    // Extrapolate between t + 0.01 (t - t_prev) and 10 t.
    const double bounds[2] = {t + 0.01 * (t - t_prev), t * 10};
    const double previous = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
    t_prev = previous, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
    std::tie(f_new, g_new) = objective(t);
    ++evals;
    gtd_new = dot(g_new, d);
    ++ls_iter;
  }
  if (ls_iter == max_ls) {
    bracket[0] = 0, bracket[1] = t;
    bracket_f[0] = f, bracket_f[1] = f_new;
    bracket_g[0] = g, bracket_g[1] = g_new;
    brackets = 2;
  }
  // Zoom until the point satisfies the strong Wolfe conditions.
  bool insufficient_progress = false;
  int low = 0, high = 1;
  if (brackets == 2 && bracket_f[0] > bracket_f[1]) low = 1, high = 0;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                          bracket_gtd[1]);
    // Too close to an end of the bracket, twice or outside it: move 10% of it inwards.
    const double top = std::max(bracket[0], bracket[1]), bottom = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (top - bottom);
    if (std::min(top - t, t - bottom) < eps) {
      if (insufficient_progress || t >= top || t <= bottom) {
        t = std::abs(t - top) < std::abs(t - bottom) ? top - eps : bottom + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(f_new, g_new) = objective(t);
    ++evals;
    gtd_new = dot(g_new, d);
    ++ls_iter;
    if (f_new > f + c1 * t * gtd || f_new >= bracket_f[low]) {
      bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new;
      bracket_gtd[high] = gtd_new;
      if (bracket_f[0] <= bracket_f[1])
        low = 0, high = 1;
      else
        low = 1, high = 0;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low], bracket_f[high] = bracket_f[low];
        bracket_g[high] = bracket_g[low], bracket_gtd[high] = bracket_gtd[low];
      }
      bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new;
      bracket_gtd[low] = gtd_new;
    }
  }
  return {bracket_f[low], bracket_g[low], bracket[low], evals};
}

void validate(const LBFGSOptions& o) {
  detail::check_option("LBFGS", "lr", o.lr, 0);
  detail::check_option("LBFGS", "max_iter", static_cast<double>(o.max_iter), 1);
  detail::check_option("LBFGS", "max_eval", static_cast<double>(o.max_eval), 0);
  detail::check_option("LBFGS", "tolerance_grad", o.tolerance_grad, 0);
  detail::check_option("LBFGS", "tolerance_change", o.tolerance_change, 0);
  detail::check_option("LBFGS", "history_size", static_cast<double>(o.history_size), 1);
  if (!o.line_search_fn.empty() && o.line_search_fn != "strong_wolfe")
    throw Error("LBFGS: line_search_fn must be \"\" or \"strong_wolfe\", got \"" +
                o.line_search_fn + "\"");
}

}  // namespace

LBFGS::LBFGS(std::vector<Tensor> params, LBFGSOptions options)
    : Optimizer({{std::move(params), options.lr}}), options_(std::move(options)) {
  validate(options_);
  if (options_.max_eval == 0) options_.max_eval = options_.max_iter * 5 / 4;
  const Dtype dtype = groups_[0].params[0].dtype();
  for (const Tensor& p : groups_[0].params)
    if (p.dtype() != dtype || !is_floating_point(p.dtype()))
      throw Error(std::string("LBFGS: every parameter must have the same floating dtype, got ") +
                  dtype_name(dtype) + " and " + dtype_name(p.dtype()));
}

LBFGSOptions LBFGS::options() const {
  LBFGSOptions o = options_;
  o.lr = groups_[0].lr;
  return o;
}

void LBFGS::step() {
  throw Error("LBFGS: step() needs a closure that re-evaluates the loss: step(closure)");
}

Tensor LBFGS::flat_grad() const {
  std::vector<Tensor> parts;
  for (const Tensor& p : groups_[0].params)
    parts.push_back(p.grad().defined() ? reshape(p.grad(), {-1}) : zeros({p.numel()}, p.dtype()));
  return concat(parts, 0);
}

void LBFGS::add_to_params(double step_size, const Tensor& direction) {
  int64_t offset = 0;
  for (Tensor& p : groups_[0].params) {
    p.add_(reshape(narrow(direction, 0, offset, p.numel()), p.shape()), step_size);
    offset += p.numel();
  }
}

std::vector<Tensor> LBFGS::clone_params() const {
  std::vector<Tensor> out;
  for (const Tensor& p : groups_[0].params) out.push_back(p.detach().clone());
  return out;
}

void LBFGS::set_params(const std::vector<Tensor>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) groups_[0].params[i].copy_(values[i]);
}

std::pair<double, Tensor> LBFGS::evaluate_at(const Closure& closure, const std::vector<Tensor>& x,
                                             double t, const Tensor& d) {
  add_to_params(t, d);
  double loss;
  {
    GradModeGuard grad_on(true);
    loss = closure().to(float64).item();
  }
  Tensor g = flat_grad();
  set_params(x);
  return {loss, g};
}

Tensor LBFGS::step(const Closure& closure) {
  if (!closure) throw Error("LBFGS: step(closure) got an empty closure");
  NoGradGuard no_grad;
  const LBFGSOptions o = options();
  LBFGSState& s = state_;
  Tensor orig_loss;
  {
    GradModeGuard grad_on(true);
    orig_loss = closure();
  }
  double loss = orig_loss.to(float64).item();
  int64_t current_evals = 1;
  ++s.func_evals;
  Tensor g = flat_grad();
  if (max_abs(g) <= o.tolerance_grad) return orig_loss;

  for (int64_t n_iter = 1; n_iter <= o.max_iter; ++n_iter) {
    ++s.n_iter;
    // The direction: steepest descent first, then the two-loop recursion.
    if (s.n_iter == 1) {
      s.d = -g;
      s.old_dirs.clear();
      s.old_stps.clear();
      s.ro.clear();
      s.H_diag = 1;
    } else {
      Tensor y = g - s.prev_flat_grad;
      Tensor step_taken = s.d * s.t;
      const double ys = dot(y, step_taken);
      if (ys > 1e-10) {  // keep the pair only if the curvature condition holds
        if (static_cast<int64_t>(s.old_dirs.size()) == o.history_size) {
          s.old_dirs.erase(s.old_dirs.begin());
          s.old_stps.erase(s.old_stps.begin());
          s.ro.erase(s.ro.begin());
        }
        s.old_dirs.push_back(y);
        s.old_stps.push_back(step_taken);
        s.ro.push_back(1.0 / ys);
        s.H_diag = ys / dot(y, y);
      }
      const std::size_t pairs = s.old_dirs.size();
      std::vector<double> al(pairs);
      Tensor q = -g;
      for (std::size_t i = pairs; i-- > 0;) {
        al[i] = dot(s.old_stps[i], q) * s.ro[i];
        q = q - s.old_dirs[i] * al[i];
      }
      Tensor r = q * s.H_diag;
      for (std::size_t i = 0; i < pairs; ++i) {
        const double be_i = dot(s.old_dirs[i], r) * s.ro[i];
        r = r + s.old_stps[i] * (al[i] - be_i);
      }
      s.d = r;
    }
    s.prev_flat_grad = g.clone();
    s.prev_loss = loss;
    // The step length: scaled by the gradient the first time.
    s.t = s.n_iter == 1 ? std::min(1.0, 1.0 / sum(abs(g)).to(float64).item()) * o.lr : o.lr;
    const double gtd = dot(g, s.d);
    if (gtd > -o.tolerance_change) break;  // not a descent direction

    int64_t ls_evals = 0;
    bool optimal = false;
    if (o.line_search_fn == "strong_wolfe") {
      const std::vector<Tensor> x = clone_params();
      LineSearchResult ls = strong_wolfe([&](double t) { return evaluate_at(closure, x, t, s.d); },
                                         s.t, s.d, loss, g, gtd, o.tolerance_change);
      loss = ls.loss;
      g = ls.flat_grad;
      s.t = ls.t;
      ls_evals = ls.evals;
      add_to_params(s.t, s.d);
      optimal = max_abs(g) <= o.tolerance_grad;
    } else {
      add_to_params(s.t, s.d);
      if (n_iter != o.max_iter) {
        {
          GradModeGuard grad_on(true);
          loss = closure().to(float64).item();
        }
        g = flat_grad();
        optimal = max_abs(g) <= o.tolerance_grad;
        ls_evals = 1;
      }
    }
    current_evals += ls_evals;
    s.func_evals += ls_evals;
    if (n_iter == o.max_iter || current_evals >= o.max_eval || optimal) break;
    if (max_abs(s.d * s.t) <= o.tolerance_change) break;
    if (std::abs(loss - s.prev_loss) < o.tolerance_change) break;
  }
  return orig_loss;
}

StateDict LBFGS::state_dict() const {
  StateDict sd;
  auto number = [](double v) { return scalar_tensor(v, float64); };
  sd.emplace_back("group.0.lr", number(groups_[0].lr));
  if (state_.n_iter == 0 && state_.func_evals == 0) return sd;
  auto key = [](const std::string& name) { return detail::state_key(0, 0, name); };
  sd.emplace_back(key("func_evals"), number(static_cast<double>(state_.func_evals)));
  sd.emplace_back(key("n_iter"), number(static_cast<double>(state_.n_iter)));
  sd.emplace_back(key("t"), number(state_.t));
  sd.emplace_back(key("H_diag"), number(state_.H_diag));
  sd.emplace_back(key("prev_loss"), number(state_.prev_loss));
  if (state_.d.defined()) sd.emplace_back(key("d"), state_.d.clone());
  if (state_.prev_flat_grad.defined())
    sd.emplace_back(key("prev_flat_grad"), state_.prev_flat_grad.clone());
  sd.emplace_back(key("ro"),
                  from_vector(state_.ro, {static_cast<int64_t>(state_.ro.size())}, float64));
  for (std::size_t i = 0; i < state_.old_dirs.size(); ++i) {
    sd.emplace_back(key("old_dirs." + std::to_string(i)), state_.old_dirs[i].clone());
    sd.emplace_back(key("old_stps." + std::to_string(i)), state_.old_stps[i].clone());
  }
  return sd;
}

void LBFGS::load_state_dict(const StateDict& sd) {
  const std::vector<double> lrs = detail::load_learning_rates(sd, 1);
  auto key = [](const std::string& name) { return detail::state_key(0, 0, name); };
  LBFGSState s;
  if (detail::find_entry(sd, key("n_iter"))) {
    auto required = [&](const std::string& name) -> const Tensor& {
      const Tensor* t = detail::find_entry(sd, key(name));
      if (!t) throw Error("optimizer: state is missing " + key(name));
      return *t;
    };
    auto number = [&](const std::string& name) {
      const Tensor& t = required(name);
      if (t.numel() != 1 || !std::isfinite(t.item()))
        throw Error("optimizer: state " + key(name) + " must hold one finite number");
      return t.item();
    };
    int64_t n = 0;
    for (const Tensor& p : groups_[0].params) n += p.numel();
    const Dtype dtype = groups_[0].params[0].dtype();
    auto flat = [&](const std::string& name) {
      const Tensor& t = required(name);
      if (t.shape() != Shape{n} || t.dtype() != dtype)
        throw Error("optimizer: state " + key(name) + " has shape " + format_shape(t.shape()) +
                    " " + dtype_name(t.dtype()) + ", the parameters have " + std::to_string(n) +
                    " elements of " + dtype_name(dtype));
      for (double v : t.to_vector())
        if (!std::isfinite(v))
          throw Error("optimizer: state " + key(name) + " holds " + std::to_string(v) +
                      " (must be finite)");
      return t.contiguous_copy();
    };
    s.func_evals = detail::load_step(required("func_evals"), key("func_evals"));
    s.n_iter = detail::load_step(required("n_iter"), key("n_iter"));
    s.t = number("t");
    s.H_diag = number("H_diag");
    s.prev_loss = number("prev_loss");
    if (s.n_iter > 0) {
      s.d = flat("d");
      s.prev_flat_grad = flat("prev_flat_grad");
    }
    const Tensor& ro = required("ro");
    if (ro.dim() != 1 || ro.shape()[0] > options_.history_size)
      throw Error("optimizer: state " + key("ro") + " must be a vector of at most history_size (" +
                  std::to_string(options_.history_size) + ") numbers, got shape " +
                  format_shape(ro.shape()));
    for (int64_t i = 0; i < ro.shape()[0]; ++i) {
      s.ro.push_back(ro.to(float64).to_vector()[static_cast<std::size_t>(i)]);
      s.old_dirs.push_back(flat("old_dirs." + std::to_string(i)));
      s.old_stps.push_back(flat("old_stps." + std::to_string(i)));
    }
  }
  groups_[0].lr = lrs[0];
  state_ = std::move(s);
}

}  // namespace xgrad::optim
