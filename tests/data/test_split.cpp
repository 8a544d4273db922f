// data/split.cpp: seeded, disjoint, complete and stratified splits.
#include <set>

#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("splits are seeded, disjoint, complete and stratified") {
  Split s = train_test_split(100, 0.2, 1);
  CHECK(s.test.size() == 20);
  CHECK(s.train.size() == 80);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  all.insert(s.test.begin(), s.test.end());
  CHECK(all.size() == 100);
  CHECK(train_test_split(100, 0.2, 1).test == s.test);
  CHECK(train_test_split(100, 0.2, 2).test != s.test);
  std::vector<int64_t> labels(100);
  for (int i = 0; i < 100; ++i) labels[i] = i < 80 ? 0 : 1;
  Split st = train_test_split(100, 0.25, 3, labels);
  int ones = 0;
  for (int64_t i : st.test) ones += labels[i];
  CHECK(ones == 5);
  CHECK(st.test.size() == 25);
  // A split that leaves one side empty is refused (training on nothing used to "succeed").
  CHECK_ERROR_MESSAGE(train_test_split(1, 0.2, 0),
                      "train_test_split: splitting 1 example with test_fraction 0.200000 leaves "
                      "the test split empty");
  CHECK_ERROR_MESSAGE(train_test_split(0, 0.2, 0),
                      "train_test_split: splitting 0 examples with test_fraction 0.200000 "
                      "leaves the training split empty");
  auto folds = k_fold(10, 3, 0);
  CHECK(folds.size() == 3);
  std::vector<int64_t> tested;
  for (auto& f : folds) {
    CHECK(f.train.size() + f.test.size() == 10);
    tested.insert(tested.end(), f.test.begin(), f.test.end());
  }
  std::sort(tested.begin(), tested.end());
  CHECK(tested == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}
