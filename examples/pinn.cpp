// A physics-informed neural network (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378,
// 2019) for Burgers' equation u_t + u u_x - (0.01/π) u_xx = 0 on x ∈ [-1, 1], t ∈ [0, 1], with
// u(0, x) = -sin(πx) and u(t, ±1) = 0: a 2-20-…-20-1 tanh network (9 layers by default) fitted
// to initial and boundary points and to the PDE residual at Latin-hypercube collocation points
// (u_t, u_x and u_xx through grad(..., create_graph)), trained with L-BFGS (strong Wolfe),
// optionally after Adam steps. The error is measured against the exact solution from the
// Cole–Hopf transform, evaluated with Gauss–Hermite quadrature (nodes from linalg::eigh of the
// Jacobi matrix); `--check-reference 1` first compares that solution with a fine-grid
// finite-difference run.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;
using indexing::Slice;

namespace {

const double kPi = std::numbers::pi;
const double kNu = 0.01 / kPi;

// Gauss–Hermite nodes and log-weights for ∫ f(z) e^{-z²} dz (Golub–Welsch): the nodes are the
// eigenvalues of the Jacobi matrix; the weights come from the orthonormal Hermite polynomials
// (w = 1 / Σ p_k(z)²), which stays accurate for the tiny weights of far nodes.
struct Quadrature {
  std::vector<double> nodes, log_weights;
};
Quadrature gauss_hermite(int n) {
  Tensor jacobi = zeros({n, n}, float64);
  for (int k = 1; k < n; ++k) {
    jacobi.index_put_({k - 1, k}, std::sqrt(k / 2.0));
    jacobi.index_put_({k, k - 1}, std::sqrt(k / 2.0));
  }
  Quadrature q;
  q.nodes = linalg::eigvalsh(jacobi).to_vector();
  for (double z : q.nodes) {
    double p_prev = 0, p = std::pow(kPi, -0.25), sum = p * p;
    for (int k = 0; k + 1 < n; ++k) {
      const double next = std::sqrt(2.0 / (k + 1)) * z * p - std::sqrt(k / (k + 1.0)) * p_prev;
      p_prev = p;
      p = next;
      sum += p * p;
    }
    q.log_weights.push_back(-std::log(sum));
  }
  return q;
}

// u(t, x) = -∫ sin(π(x-η)) F(x-η) G(η) dη / ∫ F(x-η) G(η) dη with F(y) = exp(-cos(πy)/(2πν)) and
// the heat kernel G; with η = √(4νt) z, G is e^{-z²}. Sums are shifted by their largest term.
double exact_u(const Quadrature& q, double t, double x) {
  if (t <= 0) return -std::sin(kPi * x);
  const double scale = std::sqrt(4 * kNu * t);
  double largest = -INFINITY;
  std::vector<double> terms(q.nodes.size());
  for (std::size_t i = 0; i < q.nodes.size(); ++i) {
    terms[i] = q.log_weights[i] - std::cos(kPi * (x - scale * q.nodes[i])) / (2 * kPi * kNu);
    largest = std::max(largest, terms[i]);
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < q.nodes.size(); ++i) {
    const double w = std::exp(terms[i] - largest);
    num += std::sin(kPi * (x - scale * q.nodes[i])) * w;
    den += w;
  }
  return -num / den;
}

// An independent solution: conservative central differences on `cells` + 1 points (cell Péclet
// number below 2, so no oscillation) with Heun's method, to time t_end.
std::vector<double> finite_differences(int cells, double t_end) {
  const double dx = 2.0 / cells;
  std::vector<double> u(cells + 1), k1(cells + 1), k2(cells + 1), mid(cells + 1);
  for (int i = 0; i <= cells; ++i) u[i] = -std::sin(kPi * (-1 + i * dx));
  auto rate = [&](const std::vector<double>& v, std::vector<double>& out) {
    out[0] = out[cells] = 0;
    for (int i = 1; i < cells; ++i)
      out[i] = -(v[i + 1] * v[i + 1] - v[i - 1] * v[i - 1]) / (4 * dx) +
               kNu * (v[i + 1] - 2 * v[i] + v[i - 1]) / (dx * dx);
  };
  const int steps = static_cast<int>(std::ceil(t_end / (0.2 * dx * dx / kNu)));
  const double dt = t_end / steps;
  for (int s = 0; s < steps; ++s) {
    rate(u, k1);
    for (int i = 0; i <= cells; ++i) mid[i] = u[i] + dt * k1[i];
    rate(mid, k2);
    for (int i = 0; i <= cells; ++i) u[i] += 0.5 * dt * (k1[i] + k2[i]);
  }
  return u;
}

// Latin-hypercube points in [0, 1] × [-1, 1]: one per stratum of each coordinate, shuffled.
Tensor latin_hypercube(int64_t n, Generator& gen) {
  Tensor out = empty({n, 2}, float64);
  for (int d = 0; d < 2; ++d) {
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    for (int64_t i = n - 1; i > 0; --i)
      std::swap(
          order[static_cast<std::size_t>(i)],
          order[static_cast<std::size_t>(gen.uniform() * static_cast<double>(i + 1)) % (i + 1)]);
    for (int64_t i = 0; i < n; ++i) {
      const double unit =
          (static_cast<double>(order[static_cast<std::size_t>(i)]) + gen.uniform()) /
          static_cast<double>(n);
      out.index_put_({i, d}, d == 0 ? unit : 2 * unit - 1);
    }
  }
  return out;
}

struct Network : nn::Module {
  std::vector<std::shared_ptr<nn::Linear>> layers;
  Network(int64_t hidden, int64_t depth, Generator& gen) {
    for (int64_t i = 0; i < depth; ++i) {
      const int64_t in = i == 0 ? 2 : hidden, out = i + 1 == depth ? 1 : hidden;
      auto layer = register_module("fc" + std::to_string(i),
                                   std::make_shared<nn::Linear>(in, out, true, &gen));
      {
        NoGradGuard no_grad;
        nn::init::xavier_normal_(layer->weight, 1.0, &gen);
        nn::init::zeros_(layer->bias);
      }
      layers.push_back(layer);
    }
  }
  // Inputs (t, x) scaled to [-1, 1] first, as the paper does.
  Tensor forward(const Tensor& tx) override {
    Tensor h = tx * tensor({2.0, 1.0}, tx.dtype()) - tensor({1.0, 0.0}, tx.dtype());
    for (std::size_t i = 0; i < layers.size(); ++i) {
      h = (*layers[i])(h);
      if (i + 1 < layers.size()) h = tanh(h);
    }
    return h;
  }
  std::string type_name() const override { return "PINN"; }
};

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args = parse_args(
      argc, argv, "A physics-informed network for Burgers' equation, trained with L-BFGS",
      {.epochs = 0, .lr = 1.0},
      {{"--collocation", "collocation points (Latin hypercube)", "10000"},
       {"--boundary", "initial and boundary points", "100"},
       {"--hidden", "width of the hidden layers", "20"},
       {"--layers", "linear layers (2-20-...-20-1)", "9"},
       {"--iterations", "L-BFGS iterations at most", "50000"},
       {"--adam-steps", "Adam steps (lr 1e-3) before L-BFGS", "0"},
       {"--dtype", "float64 or float32", "float64"},
       {"--check-reference", "1: compare the exact solution with finite differences first", "0"},
       {"--max-error", "exit with an error when the relative L2 error is above this (0: never)",
        "0"}});
  const auto start = std::chrono::steady_clock::now();
  const Dtype dtype = args.get("dtype") == "float32" ? float32 : float64;
  if (args.get("dtype") != "float32" && args.get("dtype") != "float64")
    throw Error("--dtype: expected float64 or float32, got '" + args.get("dtype") + "'");
  const Quadrature quadrature = gauss_hermite(200);

  if (args.get_int("check-reference")) {
    const int cells = 4000;
    double err2 = 0, ref2 = 0;
    for (double t : {0.25, 0.5, 0.75, 1.0}) {
      const std::vector<double> fd = finite_differences(cells, t);
      for (int i = 0; i <= cells; i += 10) {
        const double u = exact_u(quadrature, t, -1 + i * 2.0 / cells);
        err2 += (u - fd[i]) * (u - fd[i]);
        ref2 += fd[i] * fd[i];
      }
    }
    std::printf(
        "exact solution vs finite differences (4000 cells, t = 0.25 ... 1): relative L2 "
        "difference %.2e\n",
        std::sqrt(err2 / ref2));
  }

  Generator gen(args.seed);
  // Initial and boundary points: a random choice from 256 initial and 2 × 100 boundary ones.
  const int64_t n_boundary = args.get_int("boundary"), n_collocation = args.get_int("collocation");
  std::vector<double> pool;
  for (int i = 0; i < 256; ++i) pool.insert(pool.end(), {0.0, -1 + 2.0 * i / 255});
  for (int i = 0; i < 100; ++i) pool.insert(pool.end(), {i / 99.0, -1.0, i / 99.0, 1.0});
  const int64_t pool_size = static_cast<int64_t>(pool.size() / 2);
  if (n_boundary < 1 || n_boundary > pool_size)
    throw Error("--boundary: expected 1 to " + std::to_string(pool_size) + ", got " +
                args.get("boundary"));
  if (n_collocation < 1)
    throw Error("--collocation: expected at least 1, got " + args.get("collocation"));
  Tensor pick = randperm(pool_size, int64, &gen).narrow(0, 0, n_boundary);
  Tensor tx_u = index_select(from_vector(pool, {pool_size, 2}, float64), 0, pick).to(dtype);
  Tensor u_data =
      -sin(kPi * tx_u.index({Slice(), 1})) * (tx_u.index({Slice(), 0}) == 0.0).to(dtype);
  u_data = reshape(u_data, {-1, 1});
  Tensor tx_f = concat({latin_hypercube(n_collocation, gen).to(dtype), tx_u}, 0).requires_grad_();

  Network net(args.get_int("hidden"), args.get_int("layers"), gen);
  net.to(dtype);
  auto loss_fn = [&] {
    Tensor u = net(tx_f);
    Tensor du = grad({u.sum()}, {tx_f}, {}, true, true)[0];
    Tensor u_t = du.index({Slice(), 0}), u_x = du.index({Slice(), 1});
    Tensor u_xx = grad({u_x.sum()}, {tx_f}, {}, true, true)[0].index({Slice(), 1});
    Tensor residual = u_t + u.index({Slice(), 0}) * u_x - kNu * u_xx;
    return (net(tx_u) - u_data).pow(2.0).mean() + residual.pow(2.0).mean();
  };

  int64_t evaluations = 0;
  double first_loss = 0;
  if (int64_t steps = args.get_int("adam-steps"); steps > 0) {
    optim::Adam adam(net.parameters(), {.lr = 1e-3});
    for (int64_t s = 0; s < steps; ++s) {
      adam.zero_grad();
      Tensor loss = loss_fn();
      if (s == 0) first_loss = loss.item();
      loss.backward();
      adam.step();
      ++evaluations;
    }
  }
  const int64_t iterations = args.get_int("iterations");
  optim::LBFGS lbfgs(net.parameters(), {.lr = args.lr,
                                        .max_iter = iterations,
                                        .max_eval = iterations * 5 / 4,
                                        .tolerance_grad = 1e-9,
                                        .tolerance_change = dtype == float64 ? 1e-14 : 1e-9,
                                        .history_size = 50,
                                        .line_search_fn = "strong_wolfe"});
  double last_loss = 0;
  lbfgs.step([&] {
    lbfgs.zero_grad();
    Tensor loss = loss_fn();
    if (evaluations == 0) first_loss = loss.item();
    last_loss = loss.item();
    loss.backward();
    if (++evaluations % 500 == 0 && !args.quiet)
      std::printf("evaluation %lld: loss %.3e\n", static_cast<long long>(evaluations), last_loss);
    return loss;
  });

  // Relative L2 error over a 256 × 100 grid of (x, t).
  NoGradGuard no_grad;
  std::vector<double> grid, exact;
  for (int j = 0; j < 100; ++j)
    for (int i = 0; i < 256; ++i) {
      const double t = j / 99.0, x = -1 + 2.0 * i / 255;
      grid.insert(grid.end(), {t, x});
      exact.push_back(exact_u(quadrature, t, x));
    }
  const std::vector<double> predicted =
      net(from_vector(grid, {25600, 2}, float64).to(dtype)).to(float64).to_vector();
  double err2 = 0, ref2 = 0;
  for (std::size_t k = 0; k < exact.size(); ++k) {
    err2 += (predicted[k] - exact[k]) * (predicted[k] - exact[k]);
    ref2 += exact[k] * exact[k];
  }
  const double error = std::sqrt(err2 / ref2);
  if (!args.plot.empty()) {
    std::ofstream out(args.plot + ".dat");
    for (std::size_t k = 0; k < exact.size(); ++k)
      out << grid[2 * k] << ' ' << grid[2 * k + 1] << ' ' << predicted[k] << ' '
          << predicted[k] - exact[k] << (k % 256 == 255 ? "\n\n" : "\n");
    out.close();
    if (!out) throw Error(args.plot + ".dat: cannot write");
    if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
      const std::string script = args.plot + ".gp";
      std::ofstream gp(script);
      gp << "set terminal png size 1100,420\nset output '" << args.plot << ".png'\n"
         << "set multiplot layout 1,2\nset xlabel 't'\nset ylabel 'x'\nset view map\n"
         << "set title 'PINN u(t, x)'\nsplot '" << args.plot
         << ".dat' using 1:2:3 with pm3d notitle\n"
         << "set title 'error u - exact'\nsplot '" << args.plot
         << ".dat' using 1:2:4 with pm3d notitle\n";
      gp.close();
      if (std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) == 0)
        std::printf("heat maps: %s.png\n", args.plot.c_str());
    }
  }
  std::printf("L-BFGS: %lld iterations, %lld loss evaluations in all\n",
              static_cast<long long>(lbfgs.state().n_iter), static_cast<long long>(evaluations));
  std::printf("loss: first %.4e, last %.4e, ratio first/last %.1f\n", first_loss, last_loss,
              first_loss / last_loss);
  std::printf("relative L2 error over the 256 x 100 grid: %.3e\n", error);
  std::printf("wall time: %.1f s\n", seconds_since(start));
  if (const double bound = args.get_double("max-error"); bound > 0 && !(error <= bound))
    throw Error("the relative L2 error " + std::to_string(error) + " is above --max-error " +
                args.get("max-error"));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pinn: %s\n", e.what());
  return 1;
}
