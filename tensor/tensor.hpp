// Tensor: a cheap shared handle to contiguous row-major storage with a runtime dtype, plus the
// autograd bookkeeping (requires_grad, gradient, producing node). Copying a Tensor aliases it;
// clone() copies the data. This header does not include xtensor, so user code compiles fast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/memory.hpp"

namespace xgrad {

// Every error the library raises: the message names the operation and the offending shapes.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Dtype { float32, float64 };
inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
const char* dtype_name(Dtype dtype);
std::size_t dtype_size(Dtype dtype);

using Shape = std::vector<int64_t, BlockAllocator<int64_t>>;  // cached memory, see memory.hpp
std::string format_shape(const Shape& shape);                 // "(2, 3)"
int64_t shape_numel(const Shape& shape);

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
struct TensorImpl;

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

  // Raw data access; T must match dtype() (float or double), otherwise Error.
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data();
  const void* raw_data() const;

  double item() const;                         // the value of a one-element tensor
  double at(const Shape& index) const;         // element by multi-index (negative allowed)
  void set(const Shape& index, double value);  // element write (no autograd)
  std::vector<double> to_vector() const;       // all values, row-major

  Tensor clone() const;            // deep copy, differentiable
  Tensor to(Dtype dtype) const;    // differentiable cast; returns *this when dtype matches
  Tensor detach() const;           // shares storage, no graph
  Tensor contiguous_copy() const;  // deep copy without graph

  // Autograd.
  bool requires_grad() const;
  Tensor& requires_grad_(bool enabled = true);
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a gradient was accumulated
  void set_grad(const Tensor& grad);
  // Fills .grad() with zeros; set_to_none releases it (Module and Optimizer release by default).
  void zero_grad(bool set_to_none = false);
  const std::shared_ptr<Node>& grad_fn() const;
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

  // Shortcuts for the most common differentiable ops (defined in autograd/).
  Tensor sum() const;
  Tensor mean() const;
  Tensor reshape(const Shape& shape) const;
  Tensor t() const;  // transpose of a 2-D tensor

  // In-place updates for optimizers and initialisers. They refuse a tensor that requires grad
  // while grad mode is on (wrap them in NoGradGuard).
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other (broadcast)
  Tensor& mul_(double factor);
  Tensor& mul_(const Tensor& other);
  Tensor& add_(double value);

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  void check_defined(const char* what) const {
    if (!impl_) throw_undefined(what);
  }
  [[noreturn]] static void throw_undefined(const char* what);
  std::shared_ptr<TensorImpl> impl_;
};

// The state behind a Tensor handle.
struct TensorImpl {
  std::shared_ptr<void> storage;  // owns the bytes (may be shared with views)
  void* data = nullptr;
  Shape shape;
  int64_t numel = 0;
  Dtype dtype = Dtype::float32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

inline const Shape& Tensor::shape() const {
  check_defined("shape");
  return impl_->shape;
}
inline int64_t Tensor::numel() const {
  check_defined("numel");
  return impl_->numel;
}
inline Dtype Tensor::dtype() const {
  check_defined("dtype");
  return impl_->dtype;
}

// A fresh uninitialised tensor (kernels fill it).
Tensor empty(const Shape& shape, Options options = {});
// A tensor sharing `base`'s storage with another shape of the same size (no copy).
Tensor alias_with_shape(const Tensor& base, const Shape& shape);

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
Tensor scalar_tensor(double value, Options options = {});
Tensor zeros(const Shape& shape, Options options = {});
Tensor ones(const Shape& shape, Options options = {});
Tensor full(const Shape& shape, double value, Options options = {});
Tensor arange(double start, double end, double step = 1.0, Options options = {});
Tensor arange(double end, Options options = {});
Tensor linspace(double start, double end, int64_t steps, Options options = {});
Tensor eye(int64_t n, Options options = {});
Tensor zeros_like(const Tensor& t, bool requires_grad = false);
Tensor ones_like(const Tensor& t, bool requires_grad = false);
Tensor full_like(const Tensor& t, double value, bool requires_grad = false);

// Random factories; `gen == nullptr` uses the default generator (see xgrad::manual_seed).
Tensor rand(const Shape& shape, Options options = {}, Generator* gen = nullptr);
Tensor randn(const Shape& shape, Options options = {}, Generator* gen = nullptr);
Tensor uniform(const Shape& shape, double low, double high, Options options = {},
               Generator* gen = nullptr);
Tensor normal(const Shape& shape, double mean, double stddev, Options options = {},
              Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);

// Prints values, shape and dtype: tensor([[1, 2], [3, 4]], shape=(2, 2), dtype=float32).
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Threads used by BLAS and parallel kernels.
void set_num_threads(int n);
int get_num_threads();

}  // namespace xgrad
