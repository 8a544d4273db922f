// Tensor: a cheap shared handle to a strided view of storage with a runtime dtype, plus the
// autograd bookkeeping (requires_grad, gradient, producing node). Copying a Tensor aliases it;
// clone() copies the data. This header does not include xtensor, so user code compiles fast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "memory.hpp"
#include "scalar.hpp"
#include "shape.hpp"

namespace xgrad {

// Every error the library raises: the message names the operation and the offending shapes.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Element types. float32 is the default; integer and bool tensors never require grad.
enum class Dtype { float32, float64, int64, int32, uint8, bool_ };
inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;
inline constexpr Dtype int32 = Dtype::int32;
inline constexpr Dtype uint8 = Dtype::uint8;
inline constexpr Dtype bool_ = Dtype::bool_;  // "bool" is a keyword; printed as "bool"
const char* dtype_name(Dtype dtype);
constexpr std::size_t dtype_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::float64:
    case Dtype::int64:
      return 8;
    case Dtype::float32:
    case Dtype::int32:
      return 4;
    case Dtype::uint8:
    case Dtype::bool_:
      return 1;
  }
  return 1;
}
constexpr bool is_floating_point(Dtype dtype) {
  return dtype == Dtype::float32 || dtype == Dtype::float64;
}
// PyTorch's promotion of two dtypes: bool < uint8 < int32 < int64 < float32 < float64.
constexpr Dtype promote_types(Dtype a, Dtype b) {
  auto rank = [](Dtype d) {
    switch (d) {
      case Dtype::bool_:
        return 0;
      case Dtype::uint8:
        return 1;
      case Dtype::int32:
        return 2;
      case Dtype::int64:
        return 3;
      case Dtype::float32:
        return 4;
      case Dtype::float64:
        return 5;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}
// The dtype of a C++ element type (float, double, int64_t, int32_t, uint8_t, bool).
template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return Dtype::float32;
  else if constexpr (std::is_same_v<T, double>)
    return Dtype::float64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return Dtype::int64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return Dtype::int32;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return Dtype::uint8;
  else {
    static_assert(std::is_same_v<T, bool>, "dtype_of: not an element type of xgrad");
    return Dtype::bool_;
  }
}

// Options for factories: `zeros({2, 3})`, `zeros({2, 3}, float64)`,
// `zeros({2, 3}, {.dtype = float64, .requires_grad = true})`.
struct Options {
  Dtype dtype = Dtype::float32;
  bool requires_grad = false;
  Options() = default;
  Options(Dtype d) : dtype(d) {}  // NOLINT: implicit on purpose
  Options(Dtype d, bool rg) : dtype(d), requires_grad(rg) {}
};

class Node;
class Generator;
class TensorImpl;
struct SortResult;   // values and indices (autograd/ops.hpp)
struct TensorHooks;  // a tensor's gradient hooks (autograd/hooks.hpp)
class HookHandle;
namespace indexing {
class TensorIndex;
}

// The bytes behind one or more tensors (a tensor and its views share one Storage), and the
// version counter that every in-place write through any of them bumps.
class Storage {
 public:
  // Up to this many bytes live inside the Storage itself: a tiny tensor costs one block, not two.
  static constexpr std::size_t inline_bytes = 64;
  Storage(void* data, std::size_t bytes, std::function<void(void*)> deleter = nullptr)
      : data_(data), bytes_(bytes), deleter_(std::move(deleter)) {}
  struct Inline {};
  Storage(Inline, std::size_t bytes) : data_(inline_), bytes_(bytes) {}  // bytes <= inline_bytes
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_;
  std::size_t bytes_;
  std::function<void(void*)> deleter_;  // empty: a block of the block cache, or inline_
  uint64_t version_ = 0;
  alignas(64) unsigned char inline_[inline_bytes];
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (e.g. a gradient not yet computed)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  inline const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  inline int64_t numel() const;
  inline Dtype dtype() const;

  // Layout: element i of dim d is `stride(d)` elements after element i - 1, and the first
  // element is `storage_offset()` elements into the storage. Views share storage.
  inline const Shape& strides() const;
  int64_t stride(int64_t d) const;
  inline int64_t storage_offset() const;
  inline bool is_contiguous() const;  // row-major with no gaps
  Tensor contiguous() const;          // *this when contiguous, else a differentiable copy
  const std::shared_ptr<Storage>& storage() const;
  bool is_alias_of(const Tensor& other) const;  // shares storage
  // Bumped by every in-place write to the storage, through any view (PyTorch's _version()).
  inline uint64_t version() const;

  // Raw data access: the first element (strides apply); T must match dtype(), otherwise Error.
  // T is float, double, int64_t, int32_t, uint8_t or bool.
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data();
  const void* raw_data() const;

  double item() const;  // the value of a one-element tensor
  template <class T>
  T item() const;                              // ... converted to T
  double at(const Shape& index) const;         // element by multi-index (negative allowed)
  void set(const Shape& index, double value);  // element write (no autograd)
  std::vector<double> to_vector() const;       // all values, row-major

  Tensor clone() const;            // deep copy, differentiable
  Tensor to(Dtype dtype) const;    // differentiable cast; returns *this when dtype matches
  Tensor detach() const;           // shares storage (and its version counter), no graph
  Tensor contiguous_copy() const;  // deep contiguous copy without graph
  // Makes this tensor use `data`'s storage, layout and dtype, keeping its identity (autograd
  // state, the handles that alias it); the gradient is dropped when the dtype or shape changes.
  void set_data(const Tensor& data);

  // Autograd.
  bool requires_grad() const;
  Tensor& requires_grad_(bool enabled = true);
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a gradient was accumulated
  void set_grad(const Tensor& grad);
  // Fills .grad() with zeros; set_to_none releases it (Module and Optimizer release by default).
  void zero_grad(bool set_to_none = false);
  // Gradient hooks (autograd/hooks.hpp; the tensor must require grad). fn(grad) runs when the
  // gradient w.r.t. this tensor is computed, in backward() and grad(); it may return a
  // replacement of the same shape and dtype (an undefined Tensor keeps the gradient). On a leaf,
  // a post-accumulate hook runs after .grad() was written (fn gets the leaf). The handle's
  // remove() unregisters the hook.
  HookHandle register_hook(std::function<Tensor(const Tensor&)> fn);
  HookHandle register_post_accumulate_grad_hook(std::function<void(Tensor&)> fn);
  const std::shared_ptr<Node>& grad_fn() const;
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

  // Shortcuts for the most common differentiable ops (defined in autograd/tensor_methods.cpp).
  Tensor sum() const;
  Tensor mean() const;
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor t() const;  // transpose of a 2-D tensor (a view)

  // Method forms of the ops, with PyTorch's names and argument orders; each calls the free
  // function of the same name (autograd/ops.hpp), the one definition of the op. Casts are
  // to_float() and friends (`float`, `double`, `int` and `bool` are C++ keywords); the standard
  // deviation is stddev (see ops.hpp).
  Tensor add(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor add(const Scalar& other) const;
  Tensor sub(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(const Scalar& other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(const Scalar& other) const;
  Tensor neg() const;
  Tensor pow(const Scalar& exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor matmul(const Tensor& other) const;
  Tensor outer(const Tensor& other) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor square() const;
  Tensor reciprocal() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor erf() const;
  Tensor sign() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor clamp(const Scalar& low, const Scalar& high) const;
  Tensor clamp(const Tensor& low, const Tensor& high) const;
  Tensor clamp_min(const Scalar& low) const;
  Tensor clamp_max(const Scalar& high) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor eq(const Tensor& other) const;
  Tensor eq(const Scalar& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor ne(const Scalar& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor lt(const Scalar& other) const;
  Tensor le(const Tensor& other) const;
  Tensor le(const Scalar& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor gt(const Scalar& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor ge(const Scalar& other) const;
  Tensor logical_and(const Tensor& other) const;
  Tensor logical_or(const Tensor& other) const;
  Tensor logical_xor(const Tensor& other) const;
  Tensor logical_not() const;
  Tensor isnan() const;
  Tensor isfinite() const;
  Tensor where(const Tensor& condition, const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor masked_select(const Tensor& mask) const;
  Tensor sum(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor mean(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  Tensor min(int64_t dim, bool keepdim = false) const;
  Tensor amax(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor amin(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor var(const std::vector<int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  Tensor stddev(const std::vector<int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  Tensor logsumexp(int64_t dim, bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor norm(double p, const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor cumsum(int64_t dim) const;
  Tensor cumprod(int64_t dim) const;
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  SortResult sort(int64_t dim = -1, bool descending = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  SortResult topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  Tensor nonzero() const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor expand(const Shape& shape) const;
  Tensor broadcast_to(const Shape& shape) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  Tensor unfold(int64_t dim, int64_t size, int64_t step) const;
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  Tensor flip(const std::vector<int64_t>& dims) const;
  Tensor roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {}) const;
  Tensor repeat(const std::vector<int64_t>& repeats) const;
  Tensor tile(const std::vector<int64_t>& reps) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor index_fill(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor to_float() const;
  Tensor to_double() const;
  Tensor to_long() const;
  Tensor to_int() const;
  Tensor to_bool() const;

  // In place, recorded and version-counted: add_, sub_, mul_, div_.
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(const Scalar& value) { return add_(value); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(const Scalar& value) { return sub_(value); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(const Scalar& factor) { return mul_(factor); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(const Scalar& divisor) { return div_(divisor); }

  // In-place ops (defined in autograd/tensor_methods.cpp). They write through views, cast to
  // this tensor's dtype and bump the version. On a tensor in the graph (or with an operand that
  // requires grad) they are recorded on the tape and differentiable; on a leaf that requires
  // grad they are an Error while grad mode is on (optimizers and initialisers use NoGradGuard).
  // A tensor whose elements overlap in memory (an expanded view) cannot be written.
  Tensor& zero_();
  Tensor& fill_(const Scalar& value);
  Tensor& copy_(const Tensor& src);  // src broadcasts; differentiable w.r.t. src
  Tensor& add_(const Tensor& other, const Scalar& alpha = 1);  // this += alpha * other
  Tensor& add_(const Scalar& value);
  Tensor& sub_(const Tensor& other, const Scalar& alpha = 1);
  Tensor& sub_(const Scalar& value);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(const Scalar& factor);
  Tensor& div_(const Tensor& other);
  Tensor& div_(const Scalar& divisor);
  Tensor& clamp_(const Scalar& low, const Scalar& high);
  Tensor& masked_fill_(const Tensor& mask, const Scalar& value);  // where mask is true
  Tensor& relu_();
  Tensor& sigmoid_();

  // numpy-style indexing (see tensor/indexing.hpp and autograd/indexing.cpp): integers, slices,
  // None and Ellipsis give views; int64 index tensors and bool masks gather a copy. Both are
  // differentiable. index_put_ writes `values` (broadcast) at the indexed elements, adding them
  // with accumulate; it is an in-place op (recorded on the tape for tensors in the graph).
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values,
                     bool accumulate = false);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& values,
                     bool accumulate = false);
  Tensor operator[](int64_t i) const;  // select(0, i): a view

  // Identity of the handle's state (two handles are the same tensor when these are equal).
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  void check_defined(const char* what) const {
    if (!impl_) throw_undefined(what);
  }
  [[noreturn]] static void throw_undefined(const char* what);
  [[noreturn]] void throw_dtype_mismatch(Dtype requested) const;
  std::shared_ptr<TensorImpl> impl_;
};

namespace detail {
struct ImplAccess;  // autograd's one way in (tensor/impl_access.hpp)
}

// The state behind a Tensor handle. Only Tensor and detail::ImplAccess see inside.
class TensorImpl {
 public:
  TensorImpl() noexcept {}  // user-provided: allocate_shared does not zero the whole object

 private:
  friend class Tensor;
  friend struct detail::ImplAccess;
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements
  Shape shape_, strides_;
  int64_t numel_ = 0;
  Dtype dtype_ = Dtype::float32;
  bool contiguous_ = true;
  bool requires_grad_ = false;
  Tensor grad_;
  std::shared_ptr<Node> grad_fn_;
  std::shared_ptr<TensorHooks> hooks_;  // null until a hook is registered
};

inline const Shape& Tensor::shape() const {
  check_defined("shape");
  return impl_->shape_;
}
inline int64_t Tensor::numel() const {
  check_defined("numel");
  return impl_->numel_;
}
inline Dtype Tensor::dtype() const {
  check_defined("dtype");
  return impl_->dtype_;
}
inline const Shape& Tensor::strides() const {
  check_defined("strides");
  return impl_->strides_;
}
inline int64_t Tensor::storage_offset() const {
  check_defined("storage_offset");
  return impl_->offset_;
}
template <class T>
inline T* Tensor::data() {
  check_defined("data");
  if (impl_->dtype_ != dtype_of<T>()) throw_dtype_mismatch(dtype_of<T>());
  return static_cast<T*>(impl_->storage_->data()) + impl_->offset_;
}
template <class T>
inline const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
inline uint64_t Tensor::version() const {
  check_defined("version");
  return impl_->storage_->version();
}
inline bool Tensor::is_contiguous() const {
  check_defined("is_contiguous");
  return impl_->contiguous_;
}

// A fresh uninitialised tensor (kernels fill it).
Tensor empty(const Shape& shape, Options options = {});
// A tensor sharing `base`'s storage with another shape of the same size (no copy); `base` must
// be contiguous.
Tensor alias_with_shape(const Tensor& base, const Shape& shape);
// A view of `base`'s storage with any shape, strides and offset (in elements), checked to stay
// inside the storage. No autograd: the differentiable form is xgrad::as_strided.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);
// Wraps a user buffer without copying; `deleter` (if any) runs when the last view dies.
Tensor from_blob(void* data, const Shape& shape, Options options = {},
                 std::function<void(void*)> deleter = nullptr);
Tensor from_blob(void* data, const Shape& shape, const Shape& strides, Options options = {},
                 std::function<void(void*)> deleter = nullptr);

// Factories. A 1-D list's elements are `Value`s, so that a braced column such as
// tensor({{1.0}, {2.0}}) unambiguously means the 2-D (2, 1) tensor.
struct Value {
  double v;
  Value(double x) : v(x) {}  // NOLINT: implicit on purpose
};
Tensor tensor(std::initializer_list<Value> values, Options options = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> values, Options options = {});
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> values,
              Options options = {});
Tensor from_vector(const std::vector<double>& values, const Shape& shape, Options options = {});
Tensor from_vector(const std::vector<float>& values, const Shape& shape, Options options = {});
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape, Options options = {});
Tensor scalar_tensor(const Scalar& value, Options options = {});
Tensor zeros(const Shape& shape, Options options = {});
Tensor ones(const Shape& shape, Options options = {});
Tensor full(const Shape& shape, const Scalar& value, Options options = {});
Tensor arange(double start, double end, double step = 1.0, Options options = {});
Tensor arange(double end, Options options = {});
Tensor linspace(double start, double end, int64_t steps, Options options = {});
Tensor eye(int64_t n, Options options = {});
Tensor zeros_like(const Tensor& t, bool requires_grad = false);
Tensor ones_like(const Tensor& t, bool requires_grad = false);
Tensor full_like(const Tensor& t, const Scalar& value, bool requires_grad = false);

// Random factories; `gen == nullptr` uses the default generator (see xgrad::manual_seed).
Tensor rand(const Shape& shape, Options options = {}, Generator* gen = nullptr);
Tensor randn(const Shape& shape, Options options = {}, Generator* gen = nullptr);
Tensor uniform(const Shape& shape, double low, double high, Options options = {},
               Generator* gen = nullptr);
Tensor normal(const Shape& shape, double mean, double stddev, Options options = {},
              Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
// Uniform integers in [low, high) (high alone: [0, high)), of any dtype that holds the range.
Tensor randint(int64_t low, int64_t high, const Shape& shape, Options options = Dtype::int64,
               Generator* gen = nullptr);
Tensor randint(int64_t high, const Shape& shape, Options options = Dtype::int64,
               Generator* gen = nullptr);
// A random permutation of 0 .. n-1 (Fisher-Yates).
Tensor randperm(int64_t n, Options options = Dtype::int64, Generator* gen = nullptr);
// 1 with probability p, else 0: p a floating tensor of probabilities in [0, 1] (the result has
// its shape and dtype), or one p for every element of `shape`.
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(const Shape& shape, double p, Options options = {}, Generator* gen = nullptr);
// int64 category indices drawn with the (unnormalised, finite, non-negative) weights of each
// row of probs, (categories) or (rows, categories): num_samples per row, distinct ones unless
// `replacement`. The result is (num_samples) or (rows, num_samples).
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false,
                   Generator* gen = nullptr);

// Prints values, shape and dtype: tensor([[1, 2], [3, 4]], shape=(2, 2), dtype=float32).
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Threads used by BLAS and parallel kernels.
void set_num_threads(int n);
int get_num_threads();

}  // namespace xgrad

#include "indexing.hpp"  // needs the complete Tensor
