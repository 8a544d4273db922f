// The random factories randint, randperm, bernoulli and multinomial: shapes and dtypes,
// reproducibility from a seed, distribution sanity over many draws, and the exact errors.
#include <algorithm>
#include <map>
#include <set>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
using V = std::vector<double>;

// How often each value occurs.
std::map<double, int> counts(const Tensor& t) {
  std::map<double, int> c;
  for (double v : t.to_vector()) ++c[v];
  return c;
}
}  // namespace

TEST_CASE("randint: range, dtypes and reproducibility") {
  Generator g(1);
  Tensor t = randint(-3, 7, {20000}, int64, &g);
  CHECK(t.dtype() == int64);
  CHECK(t.shape() == Shape{20000});
  std::map<double, int> c = counts(t);
  CHECK(c.size() == 10);  // every value of [-3, 7) occurs, nothing else
  CHECK(c.begin()->first == -3);
  CHECK(c.rbegin()->first == 6);
  for (const auto& entry : c) {
    const double value = entry.first;  // (INFO captures it: clang 14 cannot capture a binding)
    const int n = entry.second;
    INFO(value);
    CHECK(n > 1750);  // 2000 expected, standard deviation about 42
    CHECK(n < 2250);
  }
  CHECK(mean(t.to(float64)).item() == doctest::Approx(1.5).epsilon(0.07));
  CHECK(randint(5, {2, 3}).dtype() == int64);  // the default dtype
  CHECK(randint(5, {2, 3}).shape() == Shape{2, 3});
  Generator a(9), b(9);
  CHECK(randint(0, 100, {50}, int64, &a).to_vector() ==
        randint(0, 100, {50}, int64, &b).to_vector());
  manual_seed(4);
  Tensor first = randint(0, 1000, {20});
  manual_seed(4);
  CHECK(randint(0, 1000, {20}).to_vector() == first.to_vector());
  Tensor f = randint(0, 4, {100}, float32, &g);
  CHECK(f.dtype() == float32);
  CHECK(counts(f).size() == 4);
  CHECK(randint(0, 256, {10}, uint8, &g).dtype() == uint8);
  CHECK(counts(randint(0, 2, {100}, bool_, &g)).size() == 2);
  CHECK(randint(0, 3, {0}, int32, &g).numel() == 0);
  // The whole int64 range, where high - low overflows int64.
  CHECK(randint(INT64_MIN, INT64_MAX, {10}, int64, &g).numel() == 10);
  CHECK(randint(0, 3, {4}, {float64, true}, &g).requires_grad());
}

TEST_CASE("randint errors") {
  CHECK_ERROR_MESSAGE(randint(5, 5, {2}), "randint: low 5 must be less than high 5");
  CHECK_ERROR_MESSAGE(randint(0, {2}), "randint: low 0 must be less than high 0");
  CHECK_ERROR_MESSAGE(randint(0, 300, {2}, uint8), "randint: [0, 300) does not fit uint8");
  CHECK_ERROR_MESSAGE(randint(-1, 1, {2}, uint8), "randint: [-1, 1) does not fit uint8");
  CHECK_ERROR_MESSAGE(randint(0, 3, {2}, bool_), "randint: [0, 3) does not fit bool");
  CHECK_ERROR_MESSAGE(randint(0, (1LL << 24) + 2, {2}, float32),
                      "randint: [0, 16777218) does not fit float32");
  CHECK_ERROR_MESSAGE(randint(0, 3, {2, -1}), "randint: negative dimension in shape (2, -1)");
  CHECK_ERROR_MESSAGE(
      randint(0, 3, {2}, {int64, true}),
      "requires_grad_: only floating-point tensors can require gradients, got int64");
}

TEST_CASE("randperm is a permutation, reproducible, and uniform over orders") {
  Generator g(2);
  Tensor p = randperm(100, int64, &g);
  CHECK(p.dtype() == int64);
  std::vector<double> v = p.to_vector();
  CHECK(v != arange(100).to_vector());  // shuffled (the chance of the identity is 1/100!)
  std::sort(v.begin(), v.end());
  CHECK(v == arange(100).to_vector());
  Generator a(3), b(3), c(4);
  CHECK(randperm(30, int64, &a).to_vector() == randperm(30, int64, &b).to_vector());
  CHECK(randperm(30, int64, &a).to_vector() != randperm(30, int64, &c).to_vector());
  manual_seed(8);
  Tensor first = randperm(10);
  manual_seed(8);
  CHECK(randperm(10).to_vector() == first.to_vector());
  CHECK(randperm(0).shape() == Shape{0});
  CHECK(randperm(1).to_vector() == V{0});
  CHECK(randperm(5, float32, &g).dtype() == float32);
  CHECK(randperm(256, uint8, &g).numel() == 256);
  // Each of the 6 orders of 3 elements about equally often (600 expected of 3600, sd about 22).
  std::map<std::vector<double>, int> orders;
  for (int i = 0; i < 3600; ++i) ++orders[randperm(3, int64, &g).to_vector()];
  CHECK(orders.size() == 6);
  for (const auto& [order, n] : orders) {
    CHECK(n > 480);
    CHECK(n < 720);
  }
}

TEST_CASE("randperm errors") {
  CHECK_ERROR_MESSAGE(randperm(-1), "randperm: n must be non-negative, got -1");
  CHECK_ERROR_MESSAGE(randperm(257, uint8), "randperm: n = 257 is too large for uint8");
  CHECK_ERROR_MESSAGE(randperm(3, bool_), "randperm: n = 3 is too large for bool");
  CHECK_ERROR_MESSAGE(
      randperm(3, {int64, true}),
      "requires_grad_: only floating-point tensors can require gradients, got int64");
}

TEST_CASE("bernoulli from a probability tensor") {
  Generator g(5);
  Tensor p = full({20000}, 0.3, float64);
  Tensor draws = bernoulli(p, &g);
  CHECK(draws.dtype() == float64);
  CHECK(draws.shape() == p.shape());
  CHECK(counts(draws).size() == 2);                                 // only 0 and 1
  CHECK(mean(draws).item() == doctest::Approx(0.3).epsilon(0.05));  // sd of the mean 0.0032
  // Probabilities 0 and 1 are certain; a strided p is read element by element.
  Tensor edge = tensor({{0.0, 1.0, 1.0}, {1.0, 0.0, 0.0}}).t();
  CHECK_FALSE(edge.is_contiguous());
  Tensor e = bernoulli(edge, &g);
  CHECK(e.dtype() == float32);
  CHECK(e.shape() == Shape{3, 2});
  CHECK(e.to_vector() == V{0, 1, 1, 0, 1, 0});
  Generator a(6), b(6);
  Tensor half = full({2, 50}, 0.5);
  CHECK(bernoulli(half, &a).to_vector() == bernoulli(half, &b).to_vector());
  // Without a gradient, even when p requires one.
  CHECK_FALSE(bernoulli(full({3}, 0.5, {float64, true}), &g).requires_grad());
}

TEST_CASE("bernoulli with one probability") {
  Generator g(7);
  Tensor t = bernoulli({20000}, 0.8, {}, &g);
  CHECK(t.dtype() == float32);
  CHECK(mean(t).item() == doctest::Approx(0.8).epsilon(0.02));  // sd of the mean 0.0028
  CHECK(bernoulli({4, 5}, 0.5, int64, &g).dtype() == int64);
  CHECK(sum(bernoulli({100}, 1.0, bool_, &g)).item() == 100);
  CHECK(sum(bernoulli({100}, 0.0, float64, &g)).item() == 0);
  Generator a(8), b(8);
  CHECK(bernoulli({30}, 0.4, {}, &a).to_vector() == bernoulli({30}, 0.4, {}, &b).to_vector());
  manual_seed(3);
  Tensor first = bernoulli({30}, 0.4);
  manual_seed(3);
  CHECK(bernoulli({30}, 0.4).to_vector() == first.to_vector());
}

TEST_CASE("bernoulli errors leave the generator untouched") {
  Generator g(11), fresh(11);
  CHECK_ERROR_MESSAGE(bernoulli(tensor({0.5, 1.5}), &g),
                      "bernoulli: probability 1.5 is not in [0, 1]");
  CHECK(rand({5}, float64, &g).to_vector() == rand({5}, float64, &fresh).to_vector());
  CHECK_ERROR_MESSAGE(bernoulli(tensor({NAN})), "bernoulli: probability nan is not in [0, 1]");
  CHECK_ERROR_MESSAGE(bernoulli(tensor({-0.25}, float64)),
                      "bernoulli: probability -0.25 is not in [0, 1]");
  CHECK_ERROR_MESSAGE(bernoulli(tensor({1, 0}, int64)),
                      "bernoulli: expected floating-point probabilities, got int64");
  CHECK_ERROR_MESSAGE(bernoulli({3}, 1.1), "bernoulli: probability 1.1 is not in [0, 1]");
  CHECK_ERROR_MESSAGE(bernoulli({-3}, 0.5), "bernoulli: negative dimension in shape (-3,)");
}

TEST_CASE("multinomial with replacement follows the weights") {
  Generator g(12);
  Tensor w = tensor({1.0, 0.0, 3.0, 6.0});  // unnormalised
  Tensor s = multinomial(w, 20000, true, &g);
  CHECK(s.dtype() == int64);
  CHECK(s.shape() == Shape{20000});
  std::map<double, int> c = counts(s);
  CHECK(c.count(1) == 0);                                      // zero weight: never drawn
  CHECK(c[0] / 20000.0 == doctest::Approx(0.1).epsilon(0.1));  // sd 0.0021
  CHECK(c[2] / 20000.0 == doctest::Approx(0.3).epsilon(0.05));
  CHECK(c[3] / 20000.0 == doctest::Approx(0.6).epsilon(0.03));
  // 2-D: one row per distribution.
  Tensor rows = tensor({{0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}}, float64);
  Tensor r = multinomial(rows, 5, true, &g);
  CHECK(r.shape() == Shape{2, 5});
  CHECK(r.to_vector() == V{2, 2, 2, 2, 2, 0, 0, 0, 0, 0});
  Generator a(13), b(13);
  CHECK(multinomial(w, 40, true, &a).to_vector() == multinomial(w, 40, true, &b).to_vector());
  manual_seed(6);
  Tensor first = multinomial(w, 10, true);
  manual_seed(6);
  CHECK(multinomial(w, 10, true).to_vector() == first.to_vector());
}

TEST_CASE("multinomial without replacement draws distinct categories") {
  Generator g(14);
  Tensor w = rand({3, 8}, float64, &g);
  Tensor s = multinomial(w, 5, false, &g);
  CHECK(s.shape() == Shape{3, 5});
  for (int64_t r = 0; r < 3; ++r) {
    std::vector<double> row = select(s, 0, r).to_vector();
    CHECK(std::set<double>(row.begin(), row.end()).size() == 5);
    for (double v : row) CHECK((v >= 0 && v < 8));
  }
  // All categories: a permutation; zero weights are drawn never.
  std::vector<double> all = multinomial(tensor({0.2, 0.5, 0.3}), 3, false, &g).to_vector();
  std::sort(all.begin(), all.end());
  CHECK(all == V{0, 1, 2});
  for (int i = 0; i < 50; ++i) {
    std::vector<double> two = multinomial(tensor({0.0, 2.0, 0.0, 1.0}), 2, false, &g).to_vector();
    std::sort(two.begin(), two.end());
    CHECK(two == V{1, 3});
  }
  // The first draw follows the weights: category 1 first about 2/3 of the time.
  int first_is_one = 0;
  for (int i = 0; i < 3000; ++i)
    first_is_one += multinomial(tensor({1.0, 2.0}), 2, false, &g).to_vector()[0] == 1;
  CHECK(first_is_one / 3000.0 == doctest::Approx(2.0 / 3).epsilon(0.05));  // sd 0.0086
  Tensor strided = tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}}).t();  // rows (1, 0, 1), (0, 1, 0)
  Tensor t = multinomial(strided, 1, false, &g);
  CHECK(t.to_vector()[1] == 1);
  CHECK(t.to_vector()[0] != 1);
}

TEST_CASE("multinomial errors") {
  Tensor w = tensor({0.2, 0.8});
  CHECK_ERROR_MESSAGE(multinomial(zeros({2, 2, 2}), 1),
                      "multinomial: expected 1-D or 2-D probabilities, got shape (2, 2, 2)");
  CHECK_ERROR_MESSAGE(multinomial(scalar_tensor(1.0), 1),
                      "multinomial: expected 1-D or 2-D probabilities, got shape ()");
  CHECK_ERROR_MESSAGE(multinomial(tensor({1, 2}, int64), 1),
                      "multinomial: expected floating-point probabilities, got int64");
  CHECK_ERROR_MESSAGE(multinomial(w, 0), "multinomial: num_samples must be positive, got 0");
  CHECK_ERROR_MESSAGE(multinomial(w, 3),
                      "multinomial: cannot draw 3 samples without replacement from 2 categories");
  CHECK_ERROR_MESSAGE(multinomial(tensor({0.5, -0.5}), 1, true),
                      "multinomial: probabilities must be finite and non-negative, got -0.5 in "
                      "row 0");
  CHECK_ERROR_MESSAGE(multinomial(tensor({{1.0, 1.0}, {INFINITY, 1.0}}), 1, true),
                      "multinomial: probabilities must be finite and non-negative, got inf in "
                      "row 1");
  CHECK_ERROR_MESSAGE(multinomial(tensor({NAN, 1.0}), 1),
                      "multinomial: probabilities must be finite and non-negative, got nan in "
                      "row 0");
  CHECK_ERROR_MESSAGE(multinomial(tensor({{1.0, 1.0}, {0.0, 0.0}}), 1, true),
                      "multinomial: the probabilities of row 1 are all zero");
  CHECK_ERROR_MESSAGE(multinomial(zeros({2, 0}), 1, true),
                      "multinomial: the probabilities of row 0 are all zero");
  CHECK_ERROR_MESSAGE(multinomial(tensor({0.0, 1.0, 0.0}), 2),
                      "multinomial: row 0 has 1 categories of non-zero probability, too few for 2 "
                      "samples without replacement");
}
