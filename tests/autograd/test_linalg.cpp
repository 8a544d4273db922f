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
  Tensor batch = stack({eye(3, float64), tensor({{1.0, 2.0, 0.0}, {2.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}, float64)}, 0);
  CHECK(error_of([&] { linalg::cholesky(batch); }) ==
        "linalg.cholesky: (Batch element 1): the factorization could not be completed because "
        "the input is not positive-definite (the leading minor of order 2 is not "
        "positive-definite)");
  auto [factor, info] = linalg::cholesky_ex(batch);
  CHECK(info.dtype() == int32);
  CHECK(info.to_vector() == std::vector<double>{0.0, 2.0});
  CHECK(error_of([&] { linalg::cholesky(tensor({{1.0, NAN}, {NAN, 1.0}}, float64)); }) ==
        "linalg.cholesky: the input has a NaN at flat index 1");
  CHECK(error_of([&] { linalg::cholesky(zeros({2, 3}, float64)); }) ==
        "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices");
  CHECK(error_of([&] { linalg::cholesky(zeros({3, 3}, int64)); }) ==
        "linalg.cholesky: expected a float32 or float64 tensor, got int64");
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
  CHECK(error_of([&] { linalg::solve_triangular(a, zeros({3, 1}, float64), false); }) ==
        "linalg.solve_triangular: incompatible shapes of A (2, 2) and B (3, 1) (A X = B)");
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
    auto fn = [left](const std::vector<Tensor>& v) { return linalg::solve(shifted(v[0]), v[1], left); };
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
  CHECK(error_of([&] { linalg::solve(singular, ones({2, 2, 1}, float64)); }) ==
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
  auto logabs_fn = [](const std::vector<Tensor>& v) { return linalg::slogdet(shifted(v[0])).second; };
  auto logdet_fn = [](const std::vector<Tensor>& v) { return linalg::logdet(spd(v[0])); };
  for (const auto& fn : {DifferentiableFunction(det_fn), DifferentiableFunction(logabs_fn),
                         DifferentiableFunction(logdet_fn)}) {
    CHECK(gradcheck(fn, {x}));
    CHECK(gradgradcheck(fn, {x}));
  }
  // At a singular matrix the gradient is refused, not infinite.
  Tensor s = singular.clone().requires_grad_();
  CHECK(error_of([&] { linalg::det(s).backward(); }) ==
        "linalg.det: the gradient at a singular matrix is not implemented (PyTorch computes it "
        "through the SVD)");
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
    return linalg::trace(linalg::diag_embed(t[0], 1) * 3.0) + linalg::diag_embed(t[0], -1, 0, 2).sum();
  };
  CHECK(gradcheck(fn, {batch}));
  CHECK(gradgradcheck(fn, {batch}));
}
