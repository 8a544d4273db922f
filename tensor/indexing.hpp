// Index expressions for Tensor::index and Tensor::index_put_, in the spirit of libtorch's
// torch::indexing: integers, Slice(start, stop, step), None (a new dim of size 1), Ellipsis
// (as many full slices as needed), bool scalars, and tensors (int64/int32 indices or bool
// masks). `x.index({Slice(), 0})` is numpy's x[:, 0].
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

#include "tensor.hpp"

namespace xgrad::indexing {

struct NoneIndex {};
struct EllipsisIndex {};
inline constexpr NoneIndex None{};
inline constexpr EllipsisIndex Ellipsis{};

// An optional integer bound of a Slice: a number, or None for "from the start / to the end".
class SliceBound {
 public:
  SliceBound(NoneIndex) {}  // NOLINT: implicit on purpose
  template <class T>
  requires std::is_integral_v<T> SliceBound(T v)
      : value_(static_cast<int64_t>(v)) {}  // NOLINT: implicit on purpose
  const std::optional<int64_t>& value() const { return value_; }

 private:
  std::optional<int64_t> value_;
};

// start:stop:step; a negative start or stop counts from the end; step must be positive.
struct Slice {
  Slice(SliceBound start = None, SliceBound stop = None, SliceBound step = None)
      : start(start.value()), stop(stop.value()), step(step.value().value_or(1)) {}
  std::optional<int64_t> start, stop;
  int64_t step;
};

class TensorIndex {
 public:
  enum class Kind { integer, slice, none, ellipsis, boolean, tensor };
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) TensorIndex(T i)
      : kind_(Kind::integer), integer_(static_cast<int64_t>(i)) {}       // NOLINT
  TensorIndex(bool b) : kind_(Kind::boolean), boolean_(b) {}             // NOLINT
  TensorIndex(Slice s) : kind_(Kind::slice), slice_(s) {}                // NOLINT
  TensorIndex(NoneIndex) : kind_(Kind::none) {}                          // NOLINT
  TensorIndex(EllipsisIndex) : kind_(Kind::ellipsis) {}                  // NOLINT
  TensorIndex(Tensor t) : kind_(Kind::tensor), tensor_(std::move(t)) {}  // NOLINT

  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  bool boolean() const { return boolean_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  bool boolean_ = false;
  Slice slice_;
  Tensor tensor_;
};

}  // namespace xgrad::indexing
