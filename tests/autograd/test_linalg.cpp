// xgrad::linalg: forward values on hand-made cases, gradcheck and gradgradcheck of every op and
// option in float64 (batched and unbatched, SPD inputs where the op needs them), float32, and the
// errors (not positive-definite, singular, NaN, shapes) in PyTorch's words.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;
using testing::allclose;

namespace {
// A well-conditioned SPD matrix from an unconstrained one (differentiable, so gradcheck perturbs
// only through it): X Xᵀ + n I.
Tensor spd(const Tensor& x) {
  const int64_t n = x.shape()[x.dim() - 1];
  return matmul(x, transpose(x, -2, -1)) + eye(n, x.dtype()) * static_cast<double>(n);
}
Tensor symmetric(const Tensor& x) { return (x + transpose(x, -2, -1)) * 0.5; }
// Well conditioned general matrices: X + n I.
Tensor shifted(const Tensor& x) {
  const int64_t n = x.shape()[x.dim() - 1];
  return x + eye(n, x.dtype()) * static_cast<double>(n);
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("cholesky: values, upper, gradients through an SPD parametrisation") {
  Tensor a = tensor({{4.0, 2.0}, {2.0, 5.0}}, float64);
  Tensor l = linalg::cholesky(a);
  CHECK(l.to_vector() == std::vector<double>{2.0, 0.0, 1.0, 2.0});
  Tensor u = linalg::cholesky(a, true);
  CHECK(u.to_vector() == std::vector<double>{2.0, 1.0, 0.0, 2.0});
  // Only the lower triangle is read.
  Tensor junk_upper = tensor({{4.0, 99.0}, {2.0, 5.0}}, float64);
  CHECK(linalg::cholesky(junk_upper).to_vector() == l.to_vector());
  for (bool upper : {false, true})
    for (Shape shape : {Shape{4, 4}, Shape{2, 3, 3}}) {
      Tensor x = testing::input(shape, -1, 1, 3);
      auto fn = [upper](const std::vector<Tensor>& v) {
        return linalg::cholesky(spd(v[0]), upper);
      };
      CHECK(gradcheck(fn, {x}));
      CHECK(gradgradcheck(fn, {x}));
    }
  // L Lᵀ reproduces A, in float32 too.
  Generator gen(4);
  Tensor x32 = randn({5, 5}, float32, &gen);
  Tensor a32 = spd(x32);
  Tensor l32 = linalg::cholesky(a32);
  CHECK(allclose(matmul(l32, transpose(l32, 0, 1)), a32, 1e-4, 1e-5));
}

TEST_CASE("cholesky errors name the batch element and the leading minor; cholesky_ex reports") {
  Tensor batch = stack(
      {eye(3, float64), tensor({{1.0, 2.0, 0.0}, {2.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}, float64)}, 0);
  CHECK(error_of([&] { linalg::cholesky(batch); }) ==
        "linalg.cholesky: (Batch element 1): the factorization could not be completed because "
        "the input is not positive-definite (the leading minor of order 2 is not "
        "positive-definite)");
  auto [factor, info] = linalg::cholesky_ex(batch);
  CHECK(info.dtype() == int32);
  CHECK(info.to_vector() == std::vector<double>{0.0, 2.0});
  CHECK(error_of([&] {
          linalg::cholesky(tensor({{1.0, NAN}, {NAN, 1.0}}, float64));
        }) == "linalg.cholesky: the input has a NaN at flat index 1");
  CHECK(error_of([&] {
          linalg::cholesky(zeros({2, 3}, float64));
        }) ==
        "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices");
  CHECK(error_of([&] {
          linalg::cholesky(zeros({3, 3}, int64));
        }) == "linalg.cholesky: expected a float32 or float64 tensor, got int64");
}

TEST_CASE("solve_triangular: every option, batched, gradients in both operands") {
  Tensor a = tensor({{2.0, 0.0}, {1.0, 4.0}}, float64);
  Tensor b = tensor({{2.0}, {9.0}}, float64);
  CHECK(linalg::solve_triangular(a, b, false).to_vector() == std::vector<double>{1.0, 2.0});
  // unitriangular ignores the diagonal: [[1, 0], [1, 1]] x = b.
  CHECK(linalg::solve_triangular(a, b, false, true, true).to_vector() ==
        std::vector<double>{2.0, 7.0});
  for (bool upper : {false, true})
    for (bool left : {false, true})
      for (bool unit : {false, true}) {
        Tensor x = testing::input({2, 3, 3}, -0.5, 0.5, 5);
        Tensor rhs = testing::input(left ? Shape{3, 2} : Shape{2, 3}, -1, 1, 6);  // broadcast
        auto fn = [=](const std::vector<Tensor>& v) {
          return linalg::solve_triangular(shifted(v[0]), v[1], upper, left, unit);
        };
        CHECK(gradcheck(fn, {x, rhs}));
        CHECK(gradgradcheck(fn, {x, rhs}));
      }
  CHECK(error_of([&] {
          linalg::solve_triangular(a, zeros({3, 1}, float64), false);
        }) == "linalg.solve_triangular: incompatible shapes of A (2, 2) and B (3, 1) (A X = B)");
}

TEST_CASE("cholesky_solve solves with the factor; gradients reach the factor and B") {
  Tensor x = testing::input({3, 3}, -1, 1, 7);
  Tensor b = testing::input({3, 2}, -1, 1, 8);
  Tensor a = spd(x.detach());
  for (bool upper : {false, true}) {
    Tensor f = linalg::cholesky(a, upper);
    CHECK(allclose(matmul(a, linalg::cholesky_solve(b.detach(), f, upper)), b.detach(), 1e-10));
    auto fn = [upper](const std::vector<Tensor>& v) {
      return linalg::cholesky_solve(v[1], linalg::cholesky(spd(v[0]), upper), upper);
    };
    CHECK(gradcheck(fn, {x, b}));
    CHECK(gradgradcheck(fn, {x, b}));
  }
}

TEST_CASE("solve: left and right, vector right-hand sides, broadcasting, gradients") {
  Tensor a = tensor({{3.0, 1.0}, {1.0, 2.0}}, float64);
  Tensor b = tensor({9.0, 8.0}, float64);
  CHECK(allclose(linalg::solve(a, b), tensor({2.0, 3.0}, float64), 1e-12));
  Tensor row = tensor({{9.0, 8.0}}, float64);  // x A = row
  CHECK(allclose(linalg::solve(a, row, false), tensor({{2.0, 3.0}}, float64), 1e-12));
  for (bool left : {false, true}) {
    Tensor x = testing::input({2, 3, 3}, -1, 1, 9);
    Tensor rhs = testing::input(left ? Shape{3, 4} : Shape{4, 3}, -1, 1, 10);
    auto fn = [left](const std::vector<Tensor>& v) {
      return linalg::solve(shifted(v[0]), v[1], left);
    };
    CHECK(gradcheck(fn, {x, rhs}));
    CHECK(gradgradcheck(fn, {x, rhs}));
  }
  Tensor x = testing::input({3, 3}, -1, 1, 11);
  Tensor v = testing::input({3}, -1, 1, 12);
  auto vec = [](const std::vector<Tensor>& t) { return linalg::solve(shifted(t[0]), t[1]); };
  CHECK(gradcheck(vec, {x, v}));
  CHECK(gradgradcheck(vec, {x, v}));
}

TEST_CASE("inv: a 2x2 inverse, batched gradients, singular matrices named, inv_ex") {
  Tensor a = tensor({{4.0, 7.0}, {2.0, 6.0}}, float64);
  CHECK(allclose(linalg::inv(a), tensor({{0.6, -0.7}, {-0.2, 0.4}}, float64), 1e-12));
  Tensor x = testing::input({2, 3, 3}, -1, 1, 13);
  auto fn = [](const std::vector<Tensor>& v) { return linalg::inv(shifted(v[0])); };
  CHECK(gradcheck(fn, {x}));
  CHECK(gradgradcheck(fn, {x}));
  Tensor singular = stack({eye(2, float64), tensor({{1.0, 2.0}, {2.0, 4.0}}, float64)}, 0);
  CHECK(error_of([&] { linalg::inv(singular); }) ==
        "linalg.inv: (Batch element 1): The diagonal element 2 is zero, the inversion could not "
        "be completed because the input matrix is singular.");
  CHECK(error_of([&] {
          linalg::solve(singular, ones({2, 2, 1}, float64));
        }) ==
        "linalg.solve: (Batch element 1): The solver failed because the input matrix is singular "
        "(the diagonal element 2 of its LU factorization is zero).");
  auto [inverse, info] = linalg::inv_ex(singular);
  CHECK(info.to_vector() == std::vector<double>{0.0, 2.0});
  CHECK(allclose(inverse.select(0, 0), eye(2, float64)));
}

TEST_CASE("det, slogdet and logdet: values, signs, gradients, singular inputs") {
  CHECK(linalg::det(tensor({{4.0, 7.0}, {2.0, 6.0}}, float64)).item() == doctest::Approx(10.0));
  CHECK(linalg::det(tensor({{0.0, 1.0}, {1.0, 0.0}}, float64)).item() == doctest::Approx(-1.0));
  auto [sign, logabs] = linalg::slogdet(tensor({{0.0, 2.0}, {3.0, 0.0}}, float64));
  CHECK(sign.item() == -1.0);
  CHECK(logabs.item() == doctest::Approx(std::log(6.0)));
  CHECK(std::isnan(linalg::logdet(tensor({{0.0, 2.0}, {3.0, 0.0}}, float64)).item()));
  CHECK(linalg::logdet(tensor({{2.0, 0.0}, {0.0, 3.0}}, float64)).item() ==
        doctest::Approx(std::log(6.0)));
  Tensor singular = tensor({{1.0, 2.0}, {2.0, 4.0}}, float64);
  CHECK(linalg::det(singular).item() == 0.0);
  CHECK(linalg::slogdet(singular).first.item() == 0.0);
  CHECK(std::isinf(linalg::logdet(singular).item()));
  Tensor x = testing::input({2, 3, 3}, -1, 1, 14);
  auto det_fn = [](const std::vector<Tensor>& v) { return linalg::det(shifted(v[0])); };
  auto logabs_fn = [](const std::vector<Tensor>& v) {
    return linalg::slogdet(shifted(v[0])).second;
  };
  auto logdet_fn = [](const std::vector<Tensor>& v) { return linalg::logdet(spd(v[0])); };
  for (const auto& fn : {DifferentiableFunction(det_fn), DifferentiableFunction(logabs_fn),
                         DifferentiableFunction(logdet_fn)}) {
    CHECK(gradcheck(fn, {x}));
    CHECK(gradgradcheck(fn, {x}));
  }
  // At a singular matrix log|det| is -inf: its gradient is refused, not infinite.
  Tensor s = singular.clone().requires_grad_();
  CHECK(error_of([&] { linalg::slogdet(s).second.backward(); }) ==
        "linalg.slogdet: the gradient at a singular matrix is undefined (log|det| is -inf there)");
}

TEST_CASE("eigh and eigvalsh: a diagonal case, UPLO, reconstruction, gradients") {
  auto [w, v] = linalg::eigh(tensor({{3.0, 0.0}, {0.0, 1.0}}, float64));
  CHECK(w.to_vector() == std::vector<double>{1.0, 3.0});
  CHECK(allclose(abs(v), tensor({{0.0, 1.0}, {1.0, 0.0}}, float64)));
  // Only the chosen triangle is read.
  Tensor lower_only = tensor({{2.0, 50.0}, {1.0, 2.0}}, float64);
  CHECK(allclose(linalg::eigvalsh(lower_only), tensor({1.0, 3.0}, float64), 1e-12));
  Tensor upper_only = tensor({{2.0, 1.0}, {50.0, 2.0}}, float64);
  CHECK(allclose(linalg::eigvalsh(upper_only, "U"), tensor({1.0, 3.0}, float64), 1e-12));
  Generator gen(15);
  Tensor a = symmetric(randn({3, 4, 4}, float64, &gen));
  auto [values, vectors] = linalg::eigh(a);
  Tensor rebuilt = matmul(matmul(vectors, linalg::diag_embed(values)), transpose(vectors, -2, -1));
  CHECK(allclose(rebuilt, a, 1e-10));
  // Gradients of sign-invariant functions of the eigenvectors, and of the eigenvalues.
  Tensor x = testing::input({2, 4, 4}, -1, 1, 16);
  auto values_fn = [](const std::vector<Tensor>& t) { return linalg::eigvalsh(symmetric(t[0])); };
  auto vectors_fn = [](const std::vector<Tensor>& t) {
    auto [w, v] = linalg::eigh(symmetric(t[0]));
    return v * v * unsqueeze(w, -2);  // each column's signs cancel
  };
  CHECK(gradcheck(values_fn, {x}));
  CHECK(gradgradcheck(values_fn, {x}));
  CHECK(gradcheck(vectors_fn, {x}));
  CHECK(gradgradcheck(vectors_fn, {x}));
  CHECK(error_of([&] { linalg::eigh(a, "X"); }) ==
        "linalg.eigh: UPLO must be \"L\" or \"U\", got \"X\"");
}

TEST_CASE("trace and diag_embed, with offsets and dims, and their gradients") {
  Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}, float64);
  CHECK(linalg::trace(a).item() == 5.0);
  Tensor v = tensor({1.0, 2.0}, float64);
  CHECK(linalg::diag_embed(v).to_vector() == std::vector<double>{1, 0, 0, 2});
  CHECK(linalg::diag_embed(v, 1).to_vector() == std::vector<double>{0, 1, 0, 0, 0, 2, 0, 0, 0});
  CHECK(linalg::diag_embed(v, -1).to_vector() == std::vector<double>{0, 0, 0, 1, 0, 0, 0, 2, 0});
  Tensor batch = testing::input({2, 3}, -1, 1, 17);
  Tensor moved = linalg::diag_embed(batch, 0, 0, 2);  // (3, 2, 3): diagonal planes over dims 0, 2
  CHECK(moved.shape() == Shape{3, 2, 3});
  CHECK(moved.index({1, 0, 1}).item() == batch.index({0, 1}).item());
  auto fn = [](const std::vector<Tensor>& t) {
    return linalg::trace(linalg::diag_embed(t[0], 1) * 3.0) +
           linalg::diag_embed(t[0], -1, 0, 2).sum();
  };
  CHECK(gradcheck(fn, {batch}));
  CHECK(gradgradcheck(fn, {batch}));
}

TEST_CASE("det at a singular matrix: the adjugate's transpose, finite") {
  Tensor s = tensor({{1.0, 2.0}, {2.0, 4.0}}, {float64, true});
  linalg::det(s).backward();
  // adj([[a, b], [c, d]])ᵀ = [[d, -c], [-b, a]].
  CHECK(allclose(s.grad(), tensor({{4.0, -2.0}, {-2.0, 1.0}}, float64), 1e-12));
  // A rank-1 3x3 matrix: the adjugate is 0.
  Tensor r = matmul(tensor({{1.0}, {2.0}, {3.0}}, float64), tensor({{1.0, 1.0, 2.0}}, float64));
  Tensor leaf = r.clone().requires_grad_();
  linalg::det(leaf).backward();
  CHECK(allclose(leaf.grad(), zeros({3, 3}, float64), 1e-12));
}

TEST_CASE("svd and svdvals: reconstruction, full_matrices, gradients of sign-invariant functions") {
  Generator gen(18);
  for (Shape shape : {Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 3}}) {
    Tensor a = randn(shape, float64, &gen);
    linalg::SVD f = linalg::svd(a, false);
    CHECK(allclose(matmul(f.U * unsqueeze(f.S, -2), f.Vh), a, 1e-10));
    linalg::SVD full = linalg::svd(a, true);
    const int64_t m = shape[shape.size() - 2], n = shape[shape.size() - 1];
    CHECK(full.U.shape()[full.U.dim() - 1] == m);
    CHECK(full.Vh.shape()[full.Vh.dim() - 2] == n);
    CHECK(allclose(matmul(transpose(full.U, -2, -1), full.U),
                   expand(eye(m, float64), full.U.shape()), 1e-10));
    CHECK(allclose(linalg::svdvals(a), f.S, 1e-12));
  }
  CHECK(allclose(linalg::svdvals(tensor({{3.0, 0.0}, {0.0, -4.0}}, float64)),
                 tensor({4.0, 3.0}, float64)));
  for (Shape shape : {Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 3}}) {
    Tensor x = testing::input(shape, -1, 1, 19);
    auto values = [](const std::vector<Tensor>& t) { return linalg::svdvals(t[0]); };
    auto vectors = [](const std::vector<Tensor>& t) {
      linalg::SVD f = linalg::svd(t[0], false);
      return concat({flatten(f.U * f.U), flatten(f.Vh * f.Vh), flatten(matmul(f.U, f.Vh))}, 0);
    };
    CHECK(gradcheck(values, {x}));
    CHECK(gradgradcheck(values, {x}));
    CHECK(gradcheck(vectors, {x}));
    CHECK(gradgradcheck(vectors, {x}));
  }
  // full_matrices on a non-square matrix: S is differentiable, the extra vectors are not.
  Tensor y = testing::input({4, 2}, -1, 1, 20);
  CHECK(gradcheck([](const std::vector<Tensor>& t) { return linalg::svd(t[0], true).S; }, {y}));
  CHECK(error_of([&] { linalg::svd(y, true).U.sum().backward(); }) ==
        "linalg.svd: the singular vectors of full_matrices=true are not differentiable when the "
        "matrix is not square; use full_matrices=false");
}

TEST_CASE("qr: an orthogonal factor, modes, gradients for tall, square and wide inputs") {
  Tensor a = tensor({{3.0, 1.0}, {4.0, 2.0}}, float64);
  linalg::QR f = linalg::qr(a);
  CHECK(allclose(matmul(f.Q, f.R), a, 1e-12));
  CHECK(allclose(matmul(transpose(f.Q, 0, 1), f.Q), eye(2, float64), 1e-12));
  CHECK(std::abs(f.R.index({0, 0}).item()) == doctest::Approx(5.0));
  CHECK(f.R.index({1, 0}).item() == 0.0);
  Generator gen(21);
  Tensor tall = randn({5, 3}, float64, &gen);
  linalg::QR complete = linalg::qr(tall, "complete");
  CHECK(complete.Q.shape() == Shape{5, 5});
  CHECK(complete.R.shape() == Shape{5, 3});
  CHECK(allclose(matmul(complete.Q, complete.R), tall, 1e-12));
  CHECK(allclose(linalg::qr(tall, "r").R, linalg::qr(tall).R, 1e-12));
  for (Shape shape : {Shape{5, 3}, Shape{3, 3}, Shape{3, 5}, Shape{2, 4, 3}})
    for (const char* mode : {"reduced", "complete"}) {
      if (std::string(mode) == "complete" && shape[shape.size() - 2] > shape[shape.size() - 1])
        continue;
      Tensor x = testing::input(shape, -1, 1, 22);
      auto fn = [mode](const std::vector<Tensor>& t) {
        linalg::QR f = linalg::qr(t[0], mode);
        return concat({flatten(f.Q), flatten(f.R)}, 0);
      };
      CHECK(gradcheck(fn, {x}));
      CHECK(gradgradcheck(fn, {x}));
    }
  Tensor t = testing::input({4, 2}, -1, 1, 23);
  CHECK(error_of([&] { linalg::qr(t, "complete").Q.sum().backward(); }) ==
        "linalg.qr: the QR decomposition is not differentiable when mode='complete' and nrows > "
        "ncols");
  CHECK(error_of([&] { linalg::qr(t, "full"); }) ==
        "linalg.qr: mode must be \"reduced\", \"complete\" or \"r\", got \"full\"");
}

TEST_CASE("pinv and lstsq: closed forms, minimum norm, gradients") {
  Tensor a = tensor({{1.0, 0.0}, {0.0, 2.0}, {0.0, 0.0}}, float64);
  CHECK(allclose(linalg::pinv(a), tensor({{1.0, 0.0, 0.0}, {0.0, 0.5, 0.0}}, float64), 1e-12));
  // Rank-deficient: pinv of [[1, 1], [1, 1]] is [[1, 1], [1, 1]] / 4.
  CHECK(allclose(linalg::pinv(tensor({{1.0, 1.0}, {1.0, 1.0}}, float64)),
                 tensor({{0.25, 0.25}, {0.25, 0.25}}, float64), 1e-12));
  for (Shape shape : {Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 3}}) {
    Tensor x = testing::input(shape, -1, 1, 24);
    auto fn = [](const std::vector<Tensor>& t) { return linalg::pinv(t[0]); };
    CHECK(gradcheck(fn, {x}));
    CHECK(gradgradcheck(fn, {x}));
  }
  // A line through (0, 1), (1, 3), (2, 5): exact fit, zero residual.
  Tensor design = tensor({{1.0, 0.0}, {1.0, 1.0}, {1.0, 2.0}}, float64);
  linalg::Lstsq fit = linalg::lstsq(design, tensor({{1.0}, {3.0}, {5.0}}, float64));
  CHECK(allclose(fit.solution, tensor({{1.0}, {2.0}}, float64), 1e-12));
  CHECK(fit.residuals.item() == doctest::Approx(0.0).epsilon(1e-20));
  CHECK(fit.rank.item() == 2.0);
  // Underdetermined: the minimum-norm solution of x + y = 2 is (1, 1).
  linalg::Lstsq wide = linalg::lstsq(tensor({{1.0, 1.0}}, float64), tensor({{2.0}}, float64));
  CHECK(allclose(wide.solution, tensor({{1.0}, {1.0}}, float64), 1e-12));
  Tensor x = testing::input({5, 3}, -1, 1, 25);
  Tensor b = testing::input({5, 2}, -1, 1, 26);
  auto fn = [](const std::vector<Tensor>& t) { return linalg::lstsq(t[0], t[1]).solution; };
  CHECK(gradcheck(fn, {x, b}));
  CHECK(gradgradcheck(fn, {x, b}));
  CHECK(error_of([&] {
          linalg::lstsq(tensor({{1.0, 2.0}, {2.0, 4.0}, {3.0, 6.0}}, float64),
                        b.detach().narrow(0, 0, 3));
        }).find("linalg.lstsq: A does not have full column rank (rank 1 < 2)") == 0);
}

TEST_CASE("matrix and vector norms, matrix_exp: closed forms and gradients") {
  Tensor a = tensor({{1.0, -2.0}, {3.0, 4.0}}, float64);
  CHECK(linalg::matrix_norm(a).item() == doctest::Approx(std::sqrt(30.0)));
  CHECK(linalg::matrix_norm(a, 1.0).item() == doctest::Approx(6.0));
  CHECK(linalg::matrix_norm(a, INFINITY).item() == doctest::Approx(7.0));
  CHECK(linalg::matrix_norm(a, -1.0).item() == doctest::Approx(4.0));
  Tensor d = tensor({{3.0, 0.0}, {0.0, -4.0}}, float64);
  CHECK(linalg::matrix_norm(d, "nuc").item() == doctest::Approx(7.0));
  CHECK(linalg::matrix_norm(d, 2.0).item() == doctest::Approx(4.0));
  CHECK(linalg::matrix_norm(d, -2.0).item() == doctest::Approx(3.0));
  CHECK(linalg::matrix_norm(d, 2.0, true).shape() == Shape{1, 1});
  CHECK(linalg::vector_norm(tensor({3.0, -4.0}, float64)).item() == doctest::Approx(5.0));
  CHECK(linalg::vector_norm(tensor({3.0, 0.0, -4.0}, float64), 0.0).item() == 2.0);
  CHECK(linalg::vector_norm(tensor({3.0, -4.0}, float64), INFINITY).item() == 4.0);
  // e^0 = I, e^diag = diag(e^d), a rotation generator gives a rotation.
  CHECK(allclose(linalg::matrix_exp(zeros({3, 3}, float64)), eye(3, float64)));
  CHECK(allclose(linalg::matrix_exp(tensor({{1.0, 0.0}, {0.0, -2.0}}, float64)),
                 tensor({{std::exp(1.0), 0.0}, {0.0, std::exp(-2.0)}}, float64), 1e-12));
  const double t = 2.5;
  CHECK(allclose(linalg::matrix_exp(tensor({{0.0, -t}, {t, 0.0}}, float64)),
                 tensor({{std::cos(t), -std::sin(t)}, {std::sin(t), std::cos(t)}}, float64),
                 1e-12));
  Tensor x = testing::input({2, 3, 3}, -1, 1, 27);
  for (const auto& fn : {DifferentiableFunction([](const std::vector<Tensor>& v) {
                           return linalg::matrix_norm(v[0]);
                         }),
                         DifferentiableFunction([](const std::vector<Tensor>& v) {
                           return linalg::matrix_norm(v[0], "nuc");
                         }),
                         DifferentiableFunction([](const std::vector<Tensor>& v) {
                           return linalg::matrix_norm(v[0], 2.0);
                         }),
                         DifferentiableFunction([](const std::vector<Tensor>& v) {
                           return linalg::matrix_exp(v[0] * 3.0);
                         })}) {
    CHECK(gradcheck(fn, {x}));
    CHECK(gradgradcheck(fn, {x}));
  }
  CHECK(error_of([&] { linalg::matrix_norm(a, "max"); }) ==
        "linalg.matrix_norm: ord must be \"fro\", \"nuc\" or a number, got \"max\"");
}

TEST_CASE("float32 gives the float64 results to float32 precision") {
  Generator gen(28);
  Tensor x64 = randn({2, 4, 4}, float64, &gen);
  Tensor a64 = spd(x64), g64 = shifted(x64), b64 = randn({2, 4, 3}, float64, &gen);
  Tensor a32 = a64.to(float32), g32 = g64.to(float32), b32 = b64.to(float32);
  auto close = [](const Tensor& f32, const Tensor& f64) {
    return allclose(f32.to(float64), f64, 1e-3, 1e-4);
  };
  CHECK(close(linalg::cholesky(a32), linalg::cholesky(a64)));
  CHECK(close(linalg::solve(g32, b32), linalg::solve(g64, b64)));
  CHECK(close(linalg::inv(g32), linalg::inv(g64)));
  CHECK(close(linalg::det(g32), linalg::det(g64)));
  CHECK(close(linalg::eigvalsh(a32), linalg::eigvalsh(a64)));
  CHECK(close(linalg::svdvals(g32), linalg::svdvals(g64)));
  CHECK(close(abs(linalg::qr(g32).R), abs(linalg::qr(g64).R)));
  CHECK(close(linalg::pinv(g32), linalg::pinv(g64)));
  CHECK(close(linalg::matrix_exp(g32 * 0.1), linalg::matrix_exp(g64 * 0.1)));
  CHECK(linalg::cholesky(a32).dtype() == float32);
}
