// data/image_transforms: crops with known offsets (zeros entering from the padding), flips,
// per-channel normalisation, seed reproducibility, the DataLoader's transform option, errors.
#include <memory>
#include <vector>

#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

namespace {
// (n, c, h, w) float32 images whose pixel (i, ch, y, x) is 1000 i + 100 ch + 10 y + x + 1.
Tensor coded(int64_t n, int64_t c, int64_t h, int64_t w) {
  Tensor t = empty({n, c, h, w}, float32);
  float* p = t.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          *p++ = static_cast<float>(1000 * i + 100 * ch + 10 * y + x + 1);
  return t;
}
// Image i, channel ch as rows of values.
std::vector<double> plane(const Tensor& t, int64_t i, int64_t ch) {
  return select(select(t, 0, i), 0, ch).contiguous().to_vector();
}
bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && a.to_vector() == b.to_vector();
}
}  // namespace

TEST_CASE("ByteImageDataset with example_shape (1, H, W) yields (N, 1, H, W) batches") {
  std::vector<uint8_t> pixels(4 * 6);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  ByteImageDataset ds(pixels, Shape{1, 2, 3}, arange(4), 1.0f);
  Batch b = ds.get_batch({3, 1});
  CHECK(b.inputs.shape() == Shape{2, 1, 2, 3});
  CHECK(b.inputs.to_vector() == std::vector<double>{18, 19, 20, 21, 22, 23, 6, 7, 8, 9, 10, 11});
  CHECK(ds.get(2).input.shape() == Shape{1, 2, 3});
  CHECK(ds.images().shape() == Shape{4, 1, 2, 3});
}

TEST_CASE("crop_padded: each image's window at its offset, zeros from the padding") {
  // One 3×3 image per batch entry, two channels; padded by 1 to 5×5.
  Tensor images = coded(3, 2, 3, 3);
  Tensor out = crop_padded(images, 3, 3, 1, {0, 2, 1}, {0, 1, 2});
  CHECK(out.shape() == Shape{3, 2, 3, 3});
  // Offset (0, 0): the window starts one pixel up and left, so a zero row and column enter.
  CHECK(plane(out, 0, 0) == std::vector<double>{0, 0, 0, 0, 1, 2, 0, 11, 12});
  CHECK(plane(out, 0, 1) == std::vector<double>{0, 0, 0, 0, 101, 102, 0, 111, 112});
  // Offset (2, 1): one row down; the bottom row is padding.
  CHECK(plane(out, 1, 0) == std::vector<double>{1011, 1012, 1013, 1021, 1022, 1023, 0, 0, 0});
  // Offset (1, 2): one column right; the right column is padding.
  CHECK(plane(out, 2, 1) == std::vector<double>{2102, 2103, 0, 2112, 2113, 0, 2122, 2123, 0});
  // Offset (padding, padding) without a size change is the identity.
  CHECK(same(crop_padded(images, 3, 3, 1, {1, 1, 1}, {1, 1, 1}), images));
  // A smaller window without padding: rows 1-2, columns 0-1.
  Tensor small = crop_padded(images, 2, 2, 0, {1, 0, 0}, {0, 0, 0});
  CHECK(plane(small, 0, 0) == std::vector<double>{11, 12, 21, 22});
}

TEST_CASE("RandomCrop draws top then left per image from the generator") {
  Tensor images = coded(6, 2, 5, 4);
  RandomCrop crop(4, 3, 2);  // padded 9×8: tops in [0, 5], lefts in [0, 5]
  Generator gen(11);
  Tensor out = crop(images, gen);
  Generator again(11);
  std::vector<int64_t> tops, lefts;
  for (int i = 0; i < 6; ++i) {
    tops.push_back(static_cast<int64_t>(again.below(6)));
    lefts.push_back(static_cast<int64_t>(again.below(6)));
  }
  CHECK(same(out, crop_padded(images, 4, 3, 2, tops, lefts)));
  CHECK(out.shape() == Shape{6, 2, 4, 3});
  // The generator moved on: the next batch is cropped differently, the same seed repeats.
  CHECK(gen.next_u64() == again.next_u64());
  CHECK(same(crop(images, 11), out));
  CHECK_FALSE(same(crop(images, 12), out));
  // The input is untouched and float64 works too.
  CHECK(same(images, coded(6, 2, 5, 4)));
  CHECK(crop(cast(images, float64), 11).dtype() == float64);
  CHECK(crop(cast(images, float64), 11).to_vector() == out.to_vector());
  CHECK(crop.repr() == "RandomCrop((4, 3), padding=2)");
  CHECK(RandomCrop(28, 2).repr() == "RandomCrop(28, padding=2)");
}

TEST_CASE("RandomHorizontalFlip reverses the width of the images it picks") {
  Tensor images = coded(8, 2, 2, 3);
  Tensor all = RandomHorizontalFlip(1.0)(images, 0);
  CHECK(plane(all, 0, 0) == std::vector<double>{3, 2, 1, 13, 12, 11});
  CHECK(plane(all, 5, 1) == std::vector<double>{5103, 5102, 5101, 5113, 5112, 5111});
  CHECK(same(RandomHorizontalFlip(0.0)(images, 0), images));
  CHECK(same(flip(all, {3}), images));
  // p = 0.5: image i flips when its draw gen.uniform() < 0.5.
  Tensor some = RandomHorizontalFlip()(images, 5);
  Generator gen(5);
  int flipped = 0;
  for (int64_t i = 0; i < 8; ++i) {
    const bool f = gen.uniform() < 0.5;
    flipped += f;
    CHECK(same(select(some, 0, i), select(f ? all : images, 0, i)));
  }
  CHECK(flipped > 0);
  CHECK(flipped < 8);
  CHECK(same(RandomHorizontalFlip()(images, 5), some));
  CHECK(same(images, coded(8, 2, 2, 3)));
  CHECK(RandomHorizontalFlip().repr() == "RandomHorizontalFlip(p=0.5)");
}

TEST_CASE("Normalize subtracts each channel's mean and divides by its std") {
  Tensor images =
      from_vector(std::vector<double>{0.0, 0.5, 1.0, 0.25, 0.75, 0.0}, {1, 3, 1, 2}, float64);
  Normalize norm({0.5, 0.25, 0.0}, {0.5, 0.25, 2.0});
  Tensor out = norm(images, 0);
  CHECK(out.shape() == Shape{1, 3, 1, 2});
  CHECK(out.to_vector() == std::vector<double>{-1.0, 0.0, 3.0, 0.0, 0.375, 0.0});
  // One value for every channel.
  CHECK(Normalize({0.5}, {0.5})(images, 0).to_vector() ==
        std::vector<double>{-1.0, 0.0, 1.0, -0.5, 0.5, -1.0});
  // float32 as (x - mean) / std in float, as torchvision does.
  Tensor mnist = full({2, 1, 2, 2}, 0.5, float32);
  const float expect = (0.5f - 0.1307f) / 0.3081f;
  for (double v : Normalize({0.1307}, {0.3081})(mnist, 0).to_vector()) CHECK(v == expect);
  CHECK(norm.repr() == "Normalize(mean=[0.5, 0.25, 0], std=[0.5, 0.25, 2])");
}

TEST_CASE("Compose chains the transforms on one generator; the same seed gives the same batch") {
  Tensor images = coded(16, 3, 6, 6);
  auto crop = std::make_shared<RandomCrop>(6, 2);
  auto flip = std::make_shared<RandomHorizontalFlip>();
  auto norm =
      std::make_shared<Normalize>(std::vector<double>{100, 200, 300}, std::vector<double>{2, 4, 8});
  Compose augment(crop, flip, norm);
  Tensor a = augment(images, 42);
  CHECK(a.shape() == Shape{16, 3, 6, 6});
  CHECK(same(augment(images, 42), a));
  CHECK_FALSE(same(augment(images, 43), a));
  Generator gen(42);
  Tensor by_hand = (*norm)((*flip)((*crop)(images, gen), gen), gen);
  CHECK(same(by_hand, a));
  CHECK(augment.repr() ==
        "Compose(RandomCrop(6, padding=2), RandomHorizontalFlip(p=0.5), Normalize(mean=[100, 200, "
        "300], std=[2, 4, 8]))");
  Compose from_vector(std::vector<std::shared_ptr<const Transform>>{crop, flip});
  CHECK(from_vector.transforms().size() == 2);
  CHECK(same(Compose()(images, 1), images));
}

TEST_CASE("DataLoader applies its transform per batch with a seed of (seed, epoch, batch)") {
  Tensor images = coded(10, 1, 4, 4);
  auto ds = std::make_shared<TensorDataset>(images, arange(10));
  auto augment = std::make_shared<Compose>(std::make_shared<RandomCrop>(4, 1),
                                           std::make_shared<RandomHorizontalFlip>());
  DataLoaderOptions opts{.batch_size = 4, .shuffle = true, .seed = 3};
  opts.transform = augment;
  DataLoader loader(ds, opts);
  opts.prefetch = true;
  DataLoader prefetched(ds, opts);
  std::vector<std::vector<double>> first_epoch;
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    auto it = loader.begin();
    auto pt = prefetched.begin();
    CHECK(loader.epoch() == epoch);
    for (int64_t k = 0; k < loader.num_batches(); ++k, ++it, ++pt) {
      const int64_t start = 4 * k, stop = std::min<int64_t>(start + 4, 10);
      Batch plain = ds->get_batch(
          std::vector<int64_t>(loader.order().begin() + start, loader.order().begin() + stop));
      CHECK(same(it->inputs, (*augment)(plain.inputs, loader.transform_seed(epoch, k))));
      CHECK(same(it->targets, plain.targets));
      CHECK(same(pt->inputs, it->inputs));
      if (epoch == 0) first_epoch.push_back(it->inputs.to_vector());
      if (epoch == 1) CHECK(it->inputs.to_vector() != first_epoch[static_cast<std::size_t>(k)]);
    }
  }
  CHECK(loader.transform_seed(0, 1) != loader.transform_seed(1, 0));
  CHECK(loader.transform_seed(0, 1) != loader.transform_seed(0, 2));
}

TEST_CASE("image transforms: errors name the transform and the shapes") {
  CHECK_ERROR_MESSAGE(RandomCrop(28, 2)(zeros({64, 784}), 0),
                      "RandomCrop(28, padding=2): expected images (N, C, H, W), got (64, 784)");
  CHECK_ERROR_MESSAGE(RandomCrop(40, 2)(zeros({8, 1, 28, 28}), 0),
                      "RandomCrop(40, padding=2): the crop (40, 40) is larger than the padded "
                      "images (32, 32) of (8, 1, 28, 28)");
  CHECK_ERROR_MESSAGE(RandomCrop(0),
                      "RandomCrop(0, padding=0): the size must be positive and the "
                      "padding non-negative");
  CHECK_ERROR_MESSAGE(RandomHorizontalFlip()(zeros({2, 1, 3, 3}, int64), 0),
                      "RandomHorizontalFlip(p=0.5): expected float32 or float64 images, got int64");
  CHECK_ERROR_MESSAGE(RandomHorizontalFlip(1.5),
                      "RandomHorizontalFlip(p=1.5): p must be in [0, 1]");
  CHECK_ERROR_MESSAGE(Normalize({0.5, 0.5}, {0.2, 0.2})(zeros({8, 3, 4, 4}), 0),
                      "Normalize(mean=[0.5, 0.5], std=[0.2, 0.2]): 2 channels of mean and std for "
                      "3-channel images (8, 3, 4, 4)");
  CHECK_ERROR_MESSAGE(Normalize({0.5, 0.1}, {0.2}),
                      "Normalize(mean=[0.5, 0.1], std=[0.2]): mean and std need the same number "
                      "(at least one) of values");
  CHECK_ERROR_MESSAGE(Normalize({0.5}, {0.0}),
                      "Normalize(mean=[0.5], std=[0]): std 0 of channel 0 would divide by zero");
  CHECK_ERROR_MESSAGE(crop_padded(zeros({1, 1, 3, 3}), 3, 3, 1, {3}, {0}),
                      "crop_padded: offset (3, 0) of image 0 puts the crop (3, 3) outside the "
                      "padded images (5, 5)");
  CHECK_ERROR_MESSAGE(crop_padded(zeros({2, 1, 3, 3}), 3, 3, 1, {0}, {0}),
                      "crop_padded: 1 tops and 1 lefts for 2 images");
  // Compose passes its transforms' errors through.
  Compose augment(std::make_shared<RandomHorizontalFlip>(), std::make_shared<RandomCrop>(28, 2));
  CHECK_ERROR_MESSAGE(augment(zeros({64, 784}), 0),
                      "RandomHorizontalFlip(p=0.5): expected images (N, C, H, W), got (64, 784)");
  CHECK_ERROR_MESSAGE(Compose(std::vector<std::shared_ptr<const Transform>>{nullptr}),
                      "Compose: transform 0 is null");
}
