// data/dataset.cpp: the datasets (ByteImageDataset's bytes in, scaled float32 out).
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("ByteImageDataset: bytes in, scaled float32 batches out") {
  std::vector<uint8_t> pixels(5 * 6);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 8);
  auto ds = std::make_shared<ByteImageDataset>(pixels, Shape{2, 3}, arange(5) + 10.0);
  CHECK(ds->size() == 5);
  Batch b = ds->get_batch({4, 0});
  CHECK(b.inputs.shape() == Shape{2, 2, 3});
  CHECK(b.inputs.dtype() == float32);
  CHECK(b.inputs.at({0, 0, 0}) == static_cast<float>(24 * 8) * (1.0f / 255.0f));
  CHECK(b.inputs.at({1, 1, 2}) == static_cast<float>(5 * 8) * (1.0f / 255.0f));
  CHECK(b.targets.to_vector() == std::vector<double>{14, 10});
  Example e = ds->get(1);
  CHECK(e.input.shape() == Shape{2, 3});
  CHECK(e.target.dim() == 0);
  CHECK(e.target.item() == 11);
  CHECK(ds->images().shape() == Shape{5, 2, 3});
  CHECK(ds->images().at({4, 0, 0}) == b.inputs.at({0, 0, 0}));
  Subset sub(ds, {3, 1});
  CHECK(sub.get_batch({1}).targets.to_vector() == std::vector<double>{11});
  CHECK_ERROR_MESSAGE(ds->get_batch({5}), "ByteImageDataset: index 5 out of range for 5 examples");
  CHECK_ERROR_MESSAGE(sub.get_batch({2}), "Subset: index 2 out of range for 2 examples");
  CHECK_ERROR_MESSAGE(ByteImageDataset(pixels, Shape{2, 2}, arange(5)),
                      "ByteImageDataset: 30 pixel bytes do not hold 5 images of shape (2, 2)");
}
