// Differentiable linear algebra (linalg.hpp): each op's forward (a LAPACK kernel) and its
// backward (PyTorch's formula, in differentiable ops) side by side.
#include "autograd/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/function.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"
#include "tensor/lapack.hpp"

namespace xgrad::linalg {

namespace {

Tensor mT(const Tensor& x) { return transpose(x, -2, -1); }

// "(Batch element 3): " for batched inputs, "" for a single matrix.
std::string batch_element(const Tensor& matrices, int64_t b) {
  return matrices.dim() > 2 ? "(Batch element " + std::to_string(b) + "): " : "";
}

// The first batch element whose info is nonzero, or -1.
int64_t first_failure(const Tensor& info) {
  const int32_t* p = info.data<int32_t>();
  for (int64_t b = 0; b < info.numel(); ++b)
    if (p[b] != 0) return b;
  return -1;
}

void throw_if_singular(const char* op, const Tensor& a, const Tensor& info) {
  const int64_t b = first_failure(info);
  if (b < 0) return;
  const std::string pivot = std::to_string(info.data<int32_t>()[b]);
  if (std::string(op) == "linalg.inv")
    throw Error(std::string(op) + ": " + batch_element(a, b) + "The diagonal element " + pivot +
                " is zero, the inversion could not be completed because the input matrix is "
                "singular.");
  throw Error(std::string(op) + ": " + batch_element(a, b) +
              "The solver failed because the input matrix is singular (the diagonal element " +
              pivot + " of its LU factorization is zero).");
}

void check_matrix_operand(const char* op, const Tensor& a, const Tensor& b) {
  if (!b.defined()) throw Error(std::string(op) + ": B is undefined");
  if (b.dtype() != a.dtype())
    throw Error(std::string(op) + ": A and B must have the same dtype, got " +
                dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()));
  if (b.dim() < 2)
    throw Error(std::string(op) + ": B must have at least 2 dimensions, got shape " +
                format_shape(b.shape()));
}

// A and B expanded to their common batch dims (the gradients are summed back by the engine).
std::pair<Tensor, Tensor> broadcast_batch(const char* op, const Tensor& a, const Tensor& b) {
  Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  if (batch_a == batch_b) return {a, b};
  const Shape batch = kernels::broadcast_shapes(op, batch_a, batch_b);
  Shape sa = batch, sb = batch;
  for (int64_t d : {a.dim() - 2, a.dim() - 1}) sa.push_back(a.shape()[d]);
  for (int64_t d : {b.dim() - 2, b.dim() - 1}) sb.push_back(b.shape()[d]);
  return {expand(a, sa), expand(b, sb)};
}

// Whether B is a batch of vectors for A: (n) or A's batch shape + (n), as PyTorch decides.
bool is_vector_rhs(const Tensor& a, const Tensor& b) {
  if (b.dim() == 1) return true;
  if (b.dim() != a.dim() - 1) return false;
  return std::equal(b.shape().begin(), b.shape().end(), a.shape().begin());
}

Tensor lower_or_upper(const Tensor& x, bool upper, bool strict) {
  return upper ? triu(x, strict ? 1 : 0) : tril(x, strict ? -1 : 0);
}

std::pair<Tensor, Tensor> cholesky_recorded(const Tensor& a, bool upper) {
  auto [factor, info] = kernels::cholesky(a, upper);
  factor = record("linalg.cholesky", factor, a, [upper](const BackwardArgs& g) {
    // With A = L Lᵀ: gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹, Φ the lower triangle with the diagonal halved,
    // then symmetrised (A is symmetric), as PyTorch's cholesky_backward.
    Tensor factor = upper ? mT(g.output()) : g.output();
    Tensor grad = upper ? mT(g.grad) : g.grad;
    Tensor phi = tril(matmul(mT(factor), grad));
    phi = phi - diag_embed(diagonal(phi, 0, -2, -1)) * 0.5;
    Tensor ga = solve_triangular(mT(factor), phi, /*upper=*/true, /*left=*/true);
    ga = solve_triangular(factor, ga, /*upper=*/false, /*left=*/false);
    return TensorList{(ga + mT(ga)) * 0.5};
  });
  return {factor, info};
}

}  // namespace

Tensor cholesky(const Tensor& a, bool upper) {
  const detail::OpScope profile_scope("linalg.cholesky", a);
  auto [factor, info] = cholesky_recorded(a, upper);
  if (const int64_t b = first_failure(info); b >= 0)
    throw Error("linalg.cholesky: " + batch_element(a, b) +
                "the factorization could not be completed because the input is not "
                "positive-definite (the leading minor of order " +
                std::to_string(info.data<int32_t>()[b]) + " is not positive-definite)");
  return factor;
}

std::pair<Tensor, Tensor> cholesky_ex(const Tensor& a, bool upper) {
  const detail::OpScope profile_scope("linalg.cholesky_ex", a);
  return cholesky_recorded(a, upper);
}

Tensor solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left,
                        bool unitriangular) {
  const char* op = "linalg.solve_triangular";
  const detail::OpScope profile_scope(op, a, b);
  kernels::check_square_matrices(op, a);
  check_matrix_operand(op, a, b);
  const int64_t n = a.shape()[a.dim() - 1];
  const int64_t along = left ? b.shape()[b.dim() - 2] : b.shape()[b.dim() - 1];
  if (along != n)
    throw Error(std::string(op) + ": incompatible shapes of A " + format_shape(a.shape()) +
                " and B " + format_shape(b.shape()) + " (" + (left ? "A X = B" : "X A = B") + ")");
  auto [aa, bb] = broadcast_batch(op, a, b);
  Tensor x = kernels::solve_triangular(aa, bb, upper, left, unitriangular);
  return record(op, x, aa, bb, [upper, left, unitriangular](const BackwardArgs& g) {
    // left: X = A⁻¹B, gB = A⁻ᵀ gX, gA = -gB Xᵀ; right: X = B A⁻¹, gB = gX A⁻ᵀ, gA = -Xᵀ gB;
    // gA keeps A's triangle (without the diagonal when it is taken as ones).
    const Tensor& a = g.input(0);
    Tensor gb = solve_triangular(mT(a), g.grad, !upper, left, unitriangular);
    Tensor ga;
    if (g.needs(0)) {
      ga = left ? -matmul(gb, mT(g.output())) : -matmul(mT(g.output()), gb);
      ga = lower_or_upper(ga, upper, unitriangular);
    }
    return TensorList{ga, g.needs(1) ? gb : Tensor()};
  });
}

Tensor cholesky_solve(const Tensor& b, const Tensor& factor, bool upper) {
  const detail::OpScope profile_scope("linalg.cholesky_solve", b, factor);
  // A X = B with A = L Lᵀ: X = L⁻ᵀ (L⁻¹ B); with A = Uᵀ U: X = U⁻¹ (U⁻ᵀ B).
  if (upper) return solve_triangular(factor, solve_triangular(mT(factor), b, false), true);
  return solve_triangular(mT(factor), solve_triangular(factor, b, false), true);
}

Tensor solve(const Tensor& a, const Tensor& b, bool left) {
  const char* op = "linalg.solve";
  const detail::OpScope profile_scope(op, a, b);
  kernels::check_square_matrices(op, a);
  if (b.defined() && is_vector_rhs(a, b)) {
    const int64_t d = left ? -1 : -2;
    return squeeze(solve(a, unsqueeze(b, d), left), d);
  }
  check_matrix_operand(op, a, b);
  const int64_t n = a.shape()[a.dim() - 1];
  if ((left ? b.shape()[b.dim() - 2] : b.shape()[b.dim() - 1]) != n)
    throw Error(std::string(op) + ": incompatible shapes of A " + format_shape(a.shape()) +
                " and B " + format_shape(b.shape()) + " (" + (left ? "A X = B" : "X A = B") + ")");
  kernels::check_finite(op, b);
  auto [aa, bb] = broadcast_batch(op, a, b);
  const kernels::LU lu = kernels::lu_factor(aa);
  throw_if_singular(op, aa, lu.info);
  // X A = B is Aᵀ Xᵀ = Bᵀ.
  Tensor x =
      left ? kernels::lu_solve(lu, bb) : mT(kernels::lu_solve(lu, mT(bb), true)).contiguous();
  return record(op, x, aa, bb, [left, lu](const BackwardArgs& g) {
    // gB = A⁻ᵀ gX (left) or gX A⁻ᵀ. Without create_graph the forward's LU factors serve (one
    // factorization per solve, as PyTorch); with it, a differentiable solve.
    Tensor gb;
    if (is_grad_enabled())
      gb = solve(mT(g.input(0)), g.grad, left);
    else
      gb = left ? kernels::lu_solve(lu, g.grad.contiguous(), /*transpose=*/true)
                : mT(kernels::lu_solve(lu, mT(g.grad).contiguous())).contiguous();
    Tensor ga;
    if (g.needs(0)) ga = left ? -matmul(gb, mT(g.output())) : -matmul(mT(g.output()), gb);
    return TensorList{ga, g.needs(1) ? gb : Tensor()};
  });
}

namespace {
std::pair<Tensor, Tensor> inverse_and_info(const Tensor& a) {
  const kernels::LU lu = kernels::lu_factor(a);
  const int64_t n = a.shape()[a.dim() - 1];
  Tensor identity = expand(eye(n, a.dtype()), a.shape()).contiguous();
  // A singular matrix's "inverse" has infinities (inv_ex's caller looks at info).
  Tensor y = record("linalg.inv", kernels::lu_solve(lu, identity), a, [](const BackwardArgs& g) {
    // Y = A⁻¹: gA = -Yᵀ gY Yᵀ.
    const Tensor& y = g.output();
    return TensorList{-matmul(matmul(mT(y), g.grad), mT(y))};
  });
  return {y, lu.info};
}

// A⁻ᵀ for the gradient of slogdet, refusing (not returning inf) at singular inputs.
Tensor inverse_transpose_for_gradient(const char* op, const Tensor& a) {
  auto [inverse, info] = inverse_and_info(a);
  if (const int64_t b = first_failure(info); b >= 0)
    throw Error(std::string(op) + ": " + batch_element(a, b) +
                "the gradient at a singular matrix is undefined (log|det| is -inf there)");
  return mT(inverse);
}

Tensor unsqueeze_matrix(const Tensor& t) { return unsqueeze(unsqueeze(t, -1), -1); }
}  // namespace

Tensor inv(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.inv", a);
  kernels::check_square_matrices("linalg.inv", a);
  auto [inverse, info] = inverse_and_info(a);
  throw_if_singular("linalg.inv", a, info);
  return inverse;
}

std::pair<Tensor, Tensor> inv_ex(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.inv_ex", a);
  kernels::check_square_matrices("linalg.inv_ex", a);
  return inverse_and_info(a);
}

namespace {
// The adjugate's transpose, det(A) A⁻ᵀ, also where A is singular: with A = U S Vᵀ it is
// det(U) det(V) U diag(∏_{j≠i} s_j) Vᵀ (constants: first order only).
Tensor adjugate_transpose(const Tensor& a) {
  NoGradGuard no_grad;
  const kernels::SVD f = kernels::svd(a, false, true);
  const int64_t n = a.shape()[a.dim() - 1];
  const Tensor off_diagonal = eye(n, float64) < 0.5;
  Tensor others = where(off_diagonal, expand(unsqueeze(f.s, -2), a.shape()), ones_like(a));
  Tensor signs =
      kernels::lu_det(kernels::lu_factor(f.u)) * kernels::lu_det(kernels::lu_factor(f.vh));
  return matmul(f.u * unsqueeze(prod(others, -1), -2), f.vh) * unsqueeze_matrix(signs);
}
}  // namespace

Tensor det(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.det", a);
  kernels::check_square_matrices("linalg.det", a);
  Tensor d = kernels::lu_det(kernels::lu_factor(a));
  return record("linalg.det", d, a, [](const BackwardArgs& g) {
    // d det(A) = det(A) tr(A⁻¹ dA): gA = g det(A) A⁻ᵀ, the adjugate where A is singular.
    const Tensor& a = g.input(0);
    auto [inverse, info] = inverse_and_info(a);
    if (first_failure(info) >= 0)
      return TensorList{unsqueeze_matrix(g.grad) * adjugate_transpose(a)};
    return TensorList{unsqueeze_matrix(g.grad * g.output()) * mT(inverse)};
  });
}

std::pair<Tensor, Tensor> slogdet(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.slogdet", a);
  kernels::check_square_matrices("linalg.slogdet", a);
  auto [sign, log_magnitude] = kernels::lu_slogdet(kernels::lu_factor(a));
  log_magnitude = record("linalg.slogdet", log_magnitude, a, [](const BackwardArgs& g) {
    // d log|det A| = tr(A⁻¹ dA): gA = g A⁻ᵀ.
    return TensorList{unsqueeze_matrix(g.grad) *
                      inverse_transpose_for_gradient("linalg.slogdet", g.input(0))};
  });
  return {sign, log_magnitude};
}

Tensor logdet(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.logdet", a);
  auto [sign, log_magnitude] = slogdet(a);
  return log_magnitude + log(sign);  // log 1 = 0; NaN for -1, -inf for 0 (sign has no history)
}

namespace {
struct Eigh : autograd::Function<Eigh> {
  static constexpr const char* name = "linalg.eigh";
  static TensorList forward(autograd::AutogradContext& ctx, const Tensor& a, bool upper) {
    auto [values, vectors] = kernels::eigh(a, upper, true);
    ctx.save_for_backward({values, vectors});
    return TensorList{values, vectors};
  }
  static TensorList backward(autograd::AutogradContext& ctx, TensorList grads) {
    // PyTorch's linalg_eig_backward for Hermitian input: with A = V diag(w) Vᵀ,
    // gA = V (diag(gw) + skew(Vᵀ gV) / E) Vᵀ, E_ij = w_j - w_i (infinite for repeated
    // eigenvalues), skew(M) = (M - Mᵀ) / 2.
    const TensorList saved = ctx.get_saved_variables();
    const Tensor &w = saved[0], &v = saved[1];
    const int64_t n = w.shape()[w.dim() - 1];
    const Tensor identity = eye(n, w.dtype());
    Tensor vt_gv = matmul(mT(v), grads[1]);
    Tensor skew = (vt_gv - mT(vt_gv)) * 0.5;
    Tensor gaps = unsqueeze(w, -2) - unsqueeze(w, -1) + identity;  // ones on the diagonal
    Tensor inner = skew / gaps * (1.0 - identity) + diag_embed(grads[0]);
    return TensorList{matmul(matmul(v, inner), mT(v))};
  }
};

bool upper_from(const char* op, const std::string& uplo) {
  if (uplo != "L" && uplo != "U")
    throw Error(std::string(op) + ": UPLO must be \"L\" or \"U\", got \"" + uplo + "\"");
  return uplo == "U";
}
}  // namespace

std::pair<Tensor, Tensor> eigh(const Tensor& a, const std::string& uplo) {
  const detail::OpScope profile_scope("linalg.eigh", a);
  const bool upper = upper_from("linalg.eigh", uplo);
  kernels::check_square_matrices("linalg.eigh", a);
  TensorList out = Eigh::apply(a, upper);
  return {out[0], out[1]};
}

Tensor eigvalsh(const Tensor& a, const std::string& uplo) {
  const detail::OpScope profile_scope("linalg.eigvalsh", a);
  const bool upper = upper_from("linalg.eigvalsh", uplo);
  kernels::check_square_matrices("linalg.eigvalsh", a);
  if (!is_grad_enabled() || !a.requires_grad()) return kernels::eigh(a, upper, false).first;
  return Eigh::apply(a, upper)[0];  // the eigenvectors are needed for the gradient
}

namespace {
struct Svd : autograd::Function<Svd> {
  static constexpr const char* name = "linalg.svd";
  static TensorList forward(autograd::AutogradContext& ctx, const Tensor& a, bool full_matrices) {
    kernels::SVD f = kernels::svd(a, full_matrices, true);
    ctx.saved_data["full_matrices"] = full_matrices;
    ctx.save_for_backward({f.u, f.s, f.vh});
    return TensorList{f.u, f.s, f.vh};
  }
  static TensorList backward(autograd::AutogradContext& ctx, TensorList grads) {
    // PyTorch's svd_backward (real case), with E_jk = s_k² - s_j² (j ≠ k), skew(X) = X - Xᵀ:
    // gA = U [(skew(Uᵀ gU) / E) S + S (skew(Vᵀ gV) / E) + diag(gS)] Vᵀ
    //      + (I - U Uᵀ) gU S⁻¹ Vᵀ + U S⁻¹ gVᵀ (I - V Vᵀ).
    const TensorList saved = ctx.get_saved_variables();
    Tensor u = saved[0], s = saved[1], vh = saved[2];
    Tensor gu = grads[0], gs = grads[1], gvh = grads[2];
    const int64_t m = u.shape()[u.dim() - 2], n = vh.shape()[vh.dim() - 1];
    const int64_t k = s.shape()[s.dim() - 1];
    if (std::get<bool>(ctx.saved_data["full_matrices"]) && m != n) {
      NoGradGuard no_grad;
      const bool vectors_used = any(ne(gu, 0.0)).item<bool>() || any(ne(gvh, 0.0)).item<bool>();
      if (vectors_used)
        throw Error(
            "linalg.svd: the singular vectors of full_matrices=true are not "
            "differentiable when the matrix is not square; use full_matrices=false");
      u = narrow(u, -1, 0, k);
      vh = narrow(vh, -2, 0, k);
      gu = narrow(gu, -1, 0, k);
      gvh = narrow(gvh, -2, 0, k);
    }
    const Tensor v = mT(vh), gv = mT(gvh);
    const Tensor identity = eye(k, s.dtype());
    const Tensor s2 = s * s;
    const Tensor gaps =
        unsqueeze(s2, -2) - unsqueeze(s2, -1) + identity;  // E, ones on the diagonal
    const Tensor off = 1.0 - identity;
    const Tensor ut_gu = matmul(mT(u), gu), vt_gv = matmul(mT(v), gv);
    Tensor inner = (ut_gu - mT(ut_gu)) / gaps * off * unsqueeze(s, -2) +
                   unsqueeze(s, -1) * ((vt_gv - mT(vt_gv)) / gaps * off) + diag_embed(gs);
    Tensor ga = matmul(matmul(u, inner), vh);
    if (m > k) ga = ga + matmul((gu - matmul(u, ut_gu)) / unsqueeze(s, -2), vh);
    if (n > k) ga = ga + matmul(u, mT((gv - matmul(v, vt_gv)) / unsqueeze(s, -2)));
    return TensorList{ga};
  }
};

struct Qr : autograd::Function<Qr> {
  static constexpr const char* name = "linalg.qr";
  static TensorList forward(autograd::AutogradContext& ctx, const Tensor& a, bool complete) {
    auto [q, r] = kernels::qr(a, complete);
    ctx.saved_data["complete"] = complete;
    ctx.save_for_backward({q, r});
    return TensorList{q, r};
  }
  // A = Q R with m >= n: gA = (gQ + Q copyltu(M)) R⁻ᵀ, M = R gRᵀ - gQᵀ Q, copyltu(M) the
  // symmetric matrix with M's lower triangle.
  static Tensor tall_backward(const Tensor& gq, const Tensor& gr, const Tensor& q,
                              const Tensor& r) {
    Tensor m = matmul(r, mT(gr)) - matmul(mT(gq), q);
    Tensor copyltu = tril(m) + mT(tril(m, -1));
    return solve_triangular(mT(r), gq + matmul(q, copyltu), /*upper=*/false, /*left=*/false);
  }
  static TensorList backward(autograd::AutogradContext& ctx, TensorList grads) {
    const TensorList saved = ctx.get_saved_variables();
    const Tensor &q = saved[0], &r = saved[1];
    const int64_t m = q.shape()[q.dim() - 2], n = r.shape()[r.dim() - 1];
    if (m > n && std::get<bool>(ctx.saved_data["complete"]))
      throw Error(
          "linalg.qr: the QR decomposition is not differentiable when mode='complete' "
          "and nrows > ncols");
    if (m >= n) return TensorList{tall_backward(grads[0], grads[1], q, r)};
    // Wide A = [X | Y], R = [U | V] with X = Q U (square) and Y = Q V.
    const Tensor u = narrow(r, -1, 0, m), v = narrow(r, -1, m, n - m);
    const Tensor gu = narrow(grads[1], -1, 0, m), gv = narrow(grads[1], -1, m, n - m);
    const Tensor y = matmul(q, v);
    Tensor gx = tall_backward(grads[0] + matmul(y, mT(gv)), gu, q, u);
    return TensorList{concat({gx, matmul(q, gv)}, -1)};
  }
};

Tensor svdvals_of(const Tensor& a) {
  if (!is_grad_enabled() || !a.requires_grad()) return kernels::svd(a, false, false).s;
  return Svd::apply(a, false)[1];  // the singular vectors are needed for the gradient
}
}  // namespace

SVD svd(const Tensor& a, bool full_matrices) {
  const detail::OpScope profile_scope("linalg.svd", a);
  TensorList out = Svd::apply(a, full_matrices);
  return {out[0], out[1], out[2]};
}

Tensor svdvals(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.svdvals", a);
  return svdvals_of(a);
}

QR qr(const Tensor& a, const std::string& mode) {
  const detail::OpScope profile_scope("linalg.qr", a);
  if (mode != "reduced" && mode != "complete" && mode != "r")
    throw Error("linalg.qr: mode must be \"reduced\", \"complete\" or \"r\", got \"" + mode + "\"");
  if (mode == "r") {
    NoGradGuard no_grad;
    return {Tensor(), kernels::qr(a, false).second};
  }
  TensorList out = Qr::apply(a, mode == "complete");
  return {out[0], out[1]};
}

Tensor pinv(const Tensor& a, double rtol) {
  const char* op = "linalg.pinv";
  const detail::OpScope profile_scope(op, a);
  const kernels::SVD f = kernels::svd(a, false, true);
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
  if (rtol < 0)
    rtol = (a.dtype() == float32 ? 1.1920929e-07 : 2.220446049250313e-16) *
           static_cast<double>(std::max(m, n));
  Tensor p;
  {
    NoGradGuard no_grad;
    // 1/s where s > rtol · max(s), else 0; P = V diag(1/s) Uᵀ.
    Tensor largest = f.s.numel() ? amax(f.s, {-1}, true) : f.s;
    Tensor kept = f.s > largest * rtol;
    Tensor inverse_s = where(kept, 1.0 / where(kept, f.s, ones_like(f.s)), zeros_like(f.s));
    p = matmul(mT(f.vh) * unsqueeze(inverse_s, -2), mT(f.u)).contiguous();
  }
  return record(op, p, a, [](const BackwardArgs& g) {
    // dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P (Golub & Pereyra), so
    // gA = -Pᵀ gP Pᵀ + (I - A P) gPᵀ P Pᵀ + Pᵀ P gPᵀ (I - P A).
    const Tensor &a = g.input(0), &p = g.output(), &gp = g.grad;
    const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
    const Tensor pt = mT(p), gpt = mT(gp);
    Tensor ga = -matmul(matmul(pt, gp), pt);
    ga = ga + matmul(matmul(eye(m, a.dtype()) - matmul(a, p), gpt), matmul(p, pt));
    ga = ga + matmul(matmul(pt, p), matmul(gpt, eye(n, a.dtype()) - matmul(p, a)));
    return TensorList{ga};
  });
}

Lstsq lstsq(const Tensor& a, const Tensor& b) {
  const char* op = "linalg.lstsq";
  const detail::OpScope profile_scope(op, a, b);
  if (!a.defined() || a.dim() < 2)
    throw Error(std::string(op) + ": A must have at least 2 dimensions");
  check_matrix_operand(op, a, b);
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
  if (b.shape()[b.dim() - 2] != m)
    throw Error(std::string(op) + ": incompatible shapes of A " + format_shape(a.shape()) +
                " and B " + format_shape(b.shape()) + " (A X ≈ B needs as many rows in B as in A)");
  Lstsq out;
  {
    NoGradGuard no_grad;
    const Tensor s = kernels::svd(a, false, false).s;
    const double rcond = (a.dtype() == float32 ? 1.1920929e-07 : 2.220446049250313e-16) *
                         static_cast<double>(std::max(m, n));
    out.rank = s.numel() ? sum(s > amax(s, {-1}, true) * rcond, {-1}).to(int64) : zeros({}, int64);
    if (m >= n && any(ne(out.rank, n)).item<bool>())
      throw Error(std::string(op) + ": A does not have full column rank (rank " +
                  std::to_string(static_cast<int64_t>(amin(out.rank).item())) + " < " +
                  std::to_string(n) + "); use linalg::pinv(A) for the minimum-norm solution");
  }
  auto [aa, bb] = broadcast_batch(op, a, b);
  if (m >= n) {
    const QR f = qr(aa, "reduced");
    out.solution = solve_triangular(f.R, matmul(mT(f.Q), bb), /*upper=*/true);
  } else {
    out.solution = matmul(pinv(aa), bb);
  }
  out.residuals =
      m > n ? sum(pow(matmul(aa, out.solution) - bb, 2.0), {-2}) : zeros({0}, a.dtype());
  return out;
}

Tensor matrix_norm(const Tensor& a, const std::string& ord, bool keepdim) {
  const detail::OpScope profile_scope("linalg.matrix_norm", a);
  if (!a.defined() || a.dim() < 2)
    throw Error("linalg.matrix_norm: expected a matrix or a batch of matrices");
  Tensor r;
  if (ord == "fro")
    r = norm(a, 2.0, {-2, -1});
  else if (ord == "nuc")
    r = sum(svdvals_of(a), {-1});
  else
    throw Error("linalg.matrix_norm: ord must be \"fro\", \"nuc\" or a number, got \"" + ord +
                "\"");
  return keepdim ? unsqueeze_matrix(r) : r;
}

Tensor matrix_norm(const Tensor& a, double ord, bool keepdim) {
  const detail::OpScope profile_scope("linalg.matrix_norm", a);
  if (!a.defined() || a.dim() < 2)
    throw Error("linalg.matrix_norm: expected a matrix or a batch of matrices");
  Tensor r;
  if (ord == 2.0)
    r = amax(svdvals_of(a), {-1});
  else if (ord == -2.0)
    r = amin(svdvals_of(a), {-1});
  else if (ord == 1.0)
    r = amax(sum(abs(a), {-2}), {-1});
  else if (ord == -1.0)
    r = amin(sum(abs(a), {-2}), {-1});
  else if (std::isinf(ord) && ord > 0)
    r = amax(sum(abs(a), {-1}), {-1});
  else if (std::isinf(ord))
    r = amin(sum(abs(a), {-1}), {-1});
  else
    throw Error("linalg.matrix_norm: ord must be one of 2, -2, 1, -1, inf, -inf, got " +
                std::to_string(ord));
  return keepdim ? unsqueeze_matrix(r) : r;
}

Tensor vector_norm(const Tensor& x, double ord, const std::vector<int64_t>& dims, bool keepdim) {
  const detail::OpScope profile_scope("linalg.vector_norm", x);
  if (ord == 0.0) {
    NoGradGuard no_grad;  // a count: no gradient
    return sum(ne(x, 0.0), dims, keepdim).to(x.dtype());
  }
  return norm(x, ord, dims, keepdim);
}

Tensor matrix_exp(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.matrix_exp", a);
  kernels::check_square_matrices("linalg.matrix_exp", a);
  kernels::check_finite("linalg.matrix_exp", a);
  const int64_t n = a.shape()[a.dim() - 1];
  // e^A = (e^(A / 2^s))^(2^s) with ‖A / 2^s‖₁ <= 1/2, where the Taylor remainder after degree
  // 18 is below 0.5¹⁹ / 19! ≈ 2e-23.
  double largest = 0;
  if (a.numel()) {
    NoGradGuard no_grad;
    largest = amax(sum(abs(a), {-2})).to(float64).item();
  }
  int squarings = 0;
  while (largest > 0.5) {
    largest /= 2;
    ++squarings;
  }
  const Tensor x = a * std::ldexp(1.0, -squarings);
  const Tensor identity = expand(eye(n, a.dtype()), a.shape());
  Tensor result = identity, term = identity;
  for (int degree = 1; degree <= 18; ++degree) {
    term = matmul(term, x) / static_cast<double>(degree);
    result = result + term;
  }
  for (int i = 0; i < squarings; ++i) result = matmul(result, result);
  return result;
}

Tensor trace(const Tensor& a) {
  const detail::OpScope profile_scope("linalg.trace", a);
  if (!a.defined() || a.dim() < 2)
    throw Error("linalg.trace: expected a matrix or a batch of matrices, got shape " +
                (a.defined() ? format_shape(a.shape()) : std::string("undefined")));
  return sum(diagonal(a, 0, -2, -1), {-1});
}

Tensor diag_embed(const Tensor& v, int64_t offset, int64_t dim1, int64_t dim2) {
  const detail::OpScope profile_scope("linalg.diag_embed", v);
  if (!v.defined() || v.dim() < 1)
    throw Error("linalg.diag_embed: expected a tensor with at least one dimension");
  const int64_t rank = v.dim() + 1;
  const int64_t d1 = kernels::normalize_dim("linalg.diag_embed", dim1, rank);
  const int64_t d2 = kernels::normalize_dim("linalg.diag_embed", dim2, rank);
  if (d1 == d2)
    throw Error("linalg.diag_embed: diagonal dimensions cannot be identical " +
                std::to_string(dim1) + ", " + std::to_string(dim2));
  const int64_t n = v.shape()[v.dim() - 1];
  const int64_t m = n + std::abs(offset);
  Tensor out = unsqueeze(v, -1) * eye(n, v.dtype());  // (..., n, n)
  if (offset != 0) {
    // Rows and columns moved down/right by the offset: R (m, n) and C (n, m) select them.
    Tensor rows = zeros({m, n}, v.dtype()), cols = zeros({n, m}, v.dtype());
    for (int64_t i = 0; i < n; ++i) {
      rows.index_put_({i + std::max<int64_t>(0, -offset), i}, 1.0);
      cols.index_put_({i, i + std::max<int64_t>(0, offset)}, 1.0);
    }
    out = matmul(matmul(rows, out), cols);
  }
  if (d1 == rank - 2 && d2 == rank - 1) return out;
  // The new dims are last; put them at d1 and d2, the others in order around them.
  std::vector<int64_t> perm(static_cast<std::size_t>(rank), -1);
  perm[static_cast<std::size_t>(d1)] = rank - 2;
  perm[static_cast<std::size_t>(d2)] = rank - 1;
  int64_t next = 0;
  for (int64_t& p : perm)
    if (p < 0) p = next++;
  return permute(out, perm);
}

}  // namespace xgrad::linalg
