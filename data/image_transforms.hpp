// Image augmentation applied per batch to float (N, C, H, W) tensors: RandomCrop with zero
// padding, RandomHorizontalFlip, Normalize and their Compose. Every random draw comes from the
// Generator passed in, so the same seed gives the same batch. Plain data: no autograd.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../tensor/generator.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad::data {

// A batch transform: images (N, C, H, W), float32 or float64, in; a new tensor out (the input is
// never modified, and the result does not track gradients). Subclasses implement apply().
class Transform {
 public:
  virtual ~Transform() = default;
  Tensor operator()(const Tensor& images, Generator& gen) const { return apply(images, gen); }
  Tensor operator()(const Tensor& images, uint64_t seed) const {
    Generator gen(seed);
    return apply(images, gen);
  }
  // How the transform names itself in errors: "RandomCrop(28, padding=2)".
  virtual std::string repr() const = 0;

 protected:
  virtual Tensor apply(const Tensor& images, Generator& gen) const = 0;
};

// Pads each image with `padding` zeros on every side, then cuts a height × width window at a
// random offset, one per image: top then left, each gen.below(padded size - crop size + 1).
class RandomCrop : public Transform {
 public:
  explicit RandomCrop(int64_t size, int64_t padding = 0);
  RandomCrop(int64_t height, int64_t width, int64_t padding);
  std::string repr() const override;

 protected:
  Tensor apply(const Tensor& images, Generator& gen) const override;

 private:
  int64_t height_, width_, padding_;
};

// The deterministic half of RandomCrop: image i's height × width window whose top-left corner
// is (tops[i], lefts[i]) in the image padded with `padding` zeros on every side.
Tensor crop_padded(const Tensor& images, int64_t height, int64_t width, int64_t padding,
                   const std::vector<int64_t>& tops, const std::vector<int64_t>& lefts);

// Reverses the width of each image with probability p (one gen.uniform() < p per image).
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  std::string repr() const override;

 protected:
  Tensor apply(const Tensor& images, Generator& gen) const override;

 private:
  double p_;
};

// (x - mean[c]) / std[c] per channel c; one value each applies to every channel. Draws nothing.
class Normalize : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> stddev);
  std::string repr() const override;

 protected:
  Tensor apply(const Tensor& images, Generator& gen) const override;

 private:
  std::vector<double> mean_, std_;
};

// Applies the transforms in order, all drawing from the one generator:
// std::make_shared<Compose>(std::make_shared<RandomCrop>(28, 2), std::make_shared<Normalize>(...)).
class Compose : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<const Transform>> transforms);
  template <class... T>
  explicit Compose(std::shared_ptr<T>... transforms)
      : Compose(std::vector<std::shared_ptr<const Transform>>{std::move(transforms)...}) {}
  std::string repr() const override;
  const std::vector<std::shared_ptr<const Transform>>& transforms() const { return transforms_; }

 protected:
  Tensor apply(const Tensor& images, Generator& gen) const override;

 private:
  std::vector<std::shared_ptr<const Transform>> transforms_;
};

}  // namespace xgrad::data
