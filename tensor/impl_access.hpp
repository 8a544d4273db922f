// Internal: the one narrow way from autograd/ into a tensor's private state (its producing node
// and its gradient slot). Nothing outside tensor/ and autograd/ includes this header.
#pragma once

#include <memory>

#include "tensor.hpp"

namespace xgrad::detail {

// What a tensor is a view of: storage, offset and layout.
struct TensorState {
  std::shared_ptr<Storage> storage;
  int64_t offset;
  Shape shape, strides;
  int64_t numel;
  Dtype dtype;
};

struct ImplAccess {
  static void set_state(TensorImpl& t, TensorState s) {
    t.storage_ = std::move(s.storage);
    t.offset_ = s.offset;
    t.contiguous_ = is_row_major(s.shape, s.strides);
    t.shape_ = std::move(s.shape);
    t.strides_ = std::move(s.strides);
    t.numel_ = s.numel;
    t.dtype_ = s.dtype;
  }
  // A fresh contiguous layout of `shape` (the hot path of every op's output): strides and the
  // element count in one pass. Returns the count, or -1 for a negative dim or an overflow.
  static int64_t init_contiguous(TensorImpl& t, const Shape& shape, Dtype dtype) {
    t.shape_ = shape;
    t.strides_ = shape;
    int64_t step = 1, numel = 1;
    bool bad = false;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const int64_t n = shape[d];
      t.strides_[d] = step;
      // (Refused together, as in shape_numel: a negative size, or nonzero sizes whose product,
      // the next stride, overflows int64.)
      bad |= n < 0 || __builtin_mul_overflow(step, n > 1 ? n : 1, &step);
      if (!bad) numel *= n;
    }
    t.numel_ = numel;
    t.dtype_ = dtype;
    t.contiguous_ = true;
    return bad ? -1 : numel;
  }
  static void set_storage(TensorImpl& t, std::shared_ptr<Storage> storage, int64_t offset = 0) {
    t.storage_ = std::move(storage);
    t.offset_ = offset;
  }
  static bool is_row_major(const Shape& shape, const Shape& strides) {
    int64_t expected = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (shape[d] == 0) return true;
      if (shape[d] == 1) continue;
      if (strides[d] != expected) return false;
      expected *= shape[d];
    }
    return true;
  }
  static std::shared_ptr<Node>& grad_fn(TensorImpl& t) { return t.grad_fn_; }
  static Tensor& grad(TensorImpl& t) { return t.grad_; }
  static bool requires_grad(const TensorImpl& t) { return t.requires_grad_; }
  static std::shared_ptr<TensorHooks>& hooks(TensorImpl& t) { return t.hooks_; }
  static void set_requires_grad(TensorImpl& t, bool on) { t.requires_grad_ = on; }
  // Whether this handle is the only one that can see its bytes (so they may be taken over).
  static bool owns_storage_alone(const Tensor& t) {
    return t.impl_ptr().use_count() == 1 && t.impl()->storage_.use_count() == 1 &&
           t.impl()->contiguous_ && t.impl()->offset_ == 0;
  }
};

// Raw in-place writes: check the destination (no overlapping elements), write through any
// strides, cast to the destination's dtype, bump the version. No autograd: Tensor's in-place
// members (autograd/tensor_methods.cpp) record them on the tape.
// Error when self cannot be written in place (undefined, or elements sharing memory).
void check_writable(const Tensor& self, const char* op);
void write_fill(Tensor& self, const Scalar& value);
void write_copy(Tensor& self, const Tensor& src);
void write_add(Tensor& self, const Tensor& other, const Scalar& alpha);
void write_add(Tensor& self, const Scalar& value);
void write_sub(Tensor& self, const Tensor& other, const Scalar& alpha);
void write_mul(Tensor& self, const Tensor& other);
void write_mul(Tensor& self, const Scalar& factor);
void write_div(Tensor& self, const Tensor& other);
// self = value (same shape; value's dtype must fit in self's): an op computed out of place.
void write_result(Tensor& self, const Tensor& value, const char* op);

}  // namespace xgrad::detail
