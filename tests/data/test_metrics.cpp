// data/metrics.cpp: accuracy, the confusion matrix and the regression metrics.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("accuracy, the confusion matrix and the regression metrics") {
  std::vector<int64_t> pred{0, 1, 1, 2, 2, 2}, truth{0, 1, 2, 2, 2, 1};
  CHECK(accuracy(pred, truth) == doctest::Approx(4.0 / 6));
  ConfusionMatrix cm(3, {"a", "b", "c"});
  cm.add(pred, truth);
  CHECK(cm.at(2, 1) == 1);
  CHECK(cm.precision(1) == doctest::Approx(0.5));
  CHECK(cm.recall(2) == doctest::Approx(2.0 / 3));
  CHECK(cm.f1(2) == doctest::Approx(2 * (2.0 / 3) * (2.0 / 3) / (4.0 / 3)));
  CHECK(cm.accuracy() == doctest::Approx(4.0 / 6));
  CHECK(cm.to_string().find("precision") != std::string::npos);
  Tensor p = tensor({1.0, 2.0, 3.0}), t = tensor({1.0, 3.0, 5.0});
  CHECK(mse(p, t) == doctest::Approx(5.0 / 3));
  CHECK(rmse(p, t) == doctest::Approx(std::sqrt(5.0 / 3)));
  CHECK(mae(p, t) == doctest::Approx(1.0));
  CHECK(r2_score(p, t) == doctest::Approx(1 - 5.0 / 8));
}
