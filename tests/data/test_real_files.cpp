// The real files in ../shared/data (or $XGRAD_DATA): MNIST counts, class histograms and
// SHA-256 sums from its README, Boston and Iris. Skipped (exit 77) when the folder is absent.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "../helpers.hpp"
#include "../sha256.hpp"

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
  // The bytes-backed dataset decodes to exactly the same pixels.
  auto bytes = load_mnist_dataset(dir, true);
  CHECK(bytes->size() == 60000);
  auto same = [](const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.numel() * sizeof(float)) == 0;
  };
  CHECK(same(bytes->images(), train.images));
  CHECK(same(bytes->get_batch({59999, 7}).inputs, index_select(train.images, 0, {59999, 7})));
  // With a channel dimension: the same pixels as (N, 1, 28, 28) batches.
  auto nchw = load_mnist_dataset(dir, true, ImageLayout::nchw);
  CHECK(nchw->example_shape() == Shape{1, 28, 28});
  Tensor batch = nchw->get_batch({59999, 7}).inputs;
  CHECK(batch.shape() == Shape{2, 1, 28, 28});
  CHECK(same(reshape(batch, {2, 28, 28}), index_select(train.images, 0, {59999, 7})));
  CHECK(load_mnist(dir, false, float32, ImageLayout::nchw).images.shape() ==
        Shape{10000, 1, 28, 28});
}

namespace {
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("data files match the SHA-256 sums in ../shared/data/README.md") {
  const std::string d = testing::data_dir();
  struct Sum {
    std::string file, gz, raw;
  };
  for (const Sum& s :
       std::vector<Sum>{{"train-images-idx3-ubyte",
                         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                         "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
                        {"train-labels-idx1-ubyte",
                         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                         "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
                        {"t10k-images-idx3-ubyte",
                         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                         "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
                        {"t10k-labels-idx1-ubyte",
                         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                         "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}}) {
    const std::string path = d + "/mnist/" + s.file + ".gz";
    CAPTURE(path);
    CHECK(testing::sha256_hex(file_bytes(path)) == s.gz);
    CHECK(testing::sha256_hex(read_maybe_gzipped(path)) == s.raw);
  }
  CHECK(testing::sha256_hex(file_bytes(d + "/boston/boston_house_prices.csv")) ==
        "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6");
  CHECK(testing::sha256_hex(file_bytes(d + "/sklearn/iris.csv")) ==
        "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449");
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
