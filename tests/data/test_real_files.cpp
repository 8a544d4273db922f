// The real files in ../shared/data (or $XGRAD_DATA): MNIST counts, class histograms and
// checksums from its README, Boston and Iris. Skipped (exit 77) when the folder is absent.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("MNIST: counts, pixel range and class histograms") {
  std::string dir = testing::data_dir() + "/mnist";
  Tensor labels = read_idx_labels(dir + "/train-labels-idx1-ubyte.gz");
  CHECK(labels.shape() == Shape{60000});
  std::vector<int64_t> hist(10);
  for (int64_t l : to_labels(labels)) ++hist[l];
  CHECK(hist == std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
  MnistSplit test = load_mnist(dir, false);
  CHECK(test.images.shape() == Shape{10000, 28, 28});
  std::vector<int64_t> th(10);
  for (int64_t l : to_labels(test.labels)) ++th[l];
  CHECK(th == std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  CHECK(max(test.images).item() == 1.0f);
  CHECK(min(test.images).item() == 0.0f);
  MnistSplit train = load_mnist(dir, true);
  CHECK(train.images.shape() == Shape{60000, 28, 28});
  // Byte-level check of the decoded file against the README's length.
  CHECK(read_maybe_gzipped(dir + "/train-images-idx3-ubyte.gz").size() == 47040016u);
}

TEST_CASE("Boston housing: 506 x 14 and the first row") {
  CsvTable t = read_csv(testing::data_dir() + "/boston/boston_house_prices.csv",
                        {.skip_lines = 1, .target = "MEDV", .dtype = float64});
  CHECK(t.features.shape() == Shape{506, 13});
  CHECK(t.target.shape() == Shape{506});
  std::vector<double> first{0.00632, 18, 2.31, 0,    0.538, 6.575, 65.2,
                            4.09,    1,  296,  15.3, 396.9, 4.98};
  for (int j = 0; j < 13; ++j) CHECK(t.features.at({0, j}) == doctest::Approx(first[j]));
  CHECK(t.target.at({0}) == 24);
  CHECK(t.target.at({505}) == 11.9);
  CHECK(mean(t.target).item() == doctest::Approx(22.5328).epsilon(1e-4));
}

TEST_CASE("Iris: 150 x 4, 50 per class") {
  CsvTable t = read_csv(testing::data_dir() + "/sklearn/iris.csv",
                        {.header = false, .skip_lines = 1, .target_index = -1});
  CHECK(t.features.shape() == Shape{150, 4});
  std::vector<int64_t> hist(3);
  for (int64_t l : to_labels(t.target)) ++hist[l];
  CHECK(hist == std::vector<int64_t>{50, 50, 50});
}

// Skip (exit code 77, which meson reports as SKIP) when the data folder is absent.
int main(int argc, char** argv) {
  if (testing::data_dir().empty() || !std::filesystem::exists(testing::data_dir() + "/mnist")) {
    std::printf("../shared/data not found (set XGRAD_DATA): skipping\n");
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
