// Tensor handle basics: storage, layout and views, element access, factories, in-place updates
// and printing. Differentiable members (sum, reshape, backward, ...) live in autograd/.
#include "tensor/tensor.hpp"

#include "tensor/memory.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

#include "tensor/dispatch.hpp"
#include "tensor/generator.hpp"
#include "tensor/grad_mode.hpp"
#include "tensor/impl_access.hpp"
#include "tensor/kernels.hpp"
#include "tensor/strided.hpp"

namespace xgrad {

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32:
      return "float32";
    case Dtype::float64:
      return "float64";
    case Dtype::int64:
      return "int64";
    case Dtype::int32:
      return "int32";
    case Dtype::uint8:
      return "uint8";
    case Dtype::bool_:
      return "bool";
  }
  return "unknown";
}

std::string format_shape(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int64_t shape_numel(const Shape& shape) {
  // The product of the nonzero sizes bounds the element count and the strides: it must fit
  // int64 even when a zero size makes the tensor empty (the strides of (0, 2^32, 2^32) do not).
  int64_t n = 1, span = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape: negative dimension in " + format_shape(shape));
    if (__builtin_mul_overflow(span, std::max<int64_t>(d, 1), &span))
      throw Error("shape: " + format_shape(shape) +
                  (std::find(shape.begin(), shape.end(), 0) != shape.end()
                       ? " has sizes whose product (the strides) int64 cannot hold"
                       : " has more elements than int64 can count"));
    n *= d;  // |n| <= span
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  int64_t step = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = step;
    step *= std::max<int64_t>(shape[d], 1);
  }
  return strides;
}

Storage::~Storage() {
  if (deleter_)
    deleter_(data_);
  else if (data_ != inline_) {
    free_block(data_, bytes_);
    detail::count_storage_released(bytes_);
  }
}

namespace {

std::shared_ptr<Storage> allocate_storage(std::size_t bytes) {
#if !defined(__SANITIZE_ADDRESS__)  // (under ASan every tensor gets a block of its own, checked)
  if (bytes <= Storage::inline_bytes)
    return std::allocate_shared<Storage>(BlockAllocator<Storage>{}, Storage::Inline{}, bytes);
#endif
  void* p = nullptr;
  try {
    p = allocate_block(bytes);
  } catch (const std::bad_alloc&) {
    throw Error("tensor: out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  auto storage = std::allocate_shared<Storage>(BlockAllocator<Storage>{}, p, bytes);
  detail::count_storage_allocated(bytes);
  return storage;
}

std::shared_ptr<TensorImpl> new_impl() {
  return std::allocate_shared<TensorImpl>(BlockAllocator<TensorImpl>{});
}

void check_shape(const char* op, const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0)
      throw Error(std::string(op) + ": negative dimension in shape " + format_shape(shape));
}

// Storage offset (in elements) of a multi-index, validated.
int64_t element_offset(const Shape& shape, const Shape& strides, const Shape& index) {
  if (index.size() != shape.size())
    throw Error("at: index " + format_shape(index) + " has " + std::to_string(index.size()) +
                " entries for a tensor of shape " + format_shape(shape));
  int64_t offset = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + shape[d] : index[d];
    if (i < 0 || i >= shape[d])
      throw Error("at: index " + format_shape(index) + " out of range for shape " +
                  format_shape(shape));
    offset += i * strides[d];
  }
  return offset;
}

// Checks that a non-differentiable in-place write (set) is allowed (before anything is written).
void begin_inplace(const Tensor& t, const char* op) {
  if (t.requires_grad() && is_grad_enabled())
    throw Error(std::string(op) +
                ": in-place update of a tensor that requires grad; wrap it in NoGradGuard");
  for (std::size_t d = 0; d < t.shape().size(); ++d)
    if (t.strides()[d] == 0 && t.shape()[d] > 1)
      throw Error(std::string(op) + ": cannot write in place into a tensor of shape " +
                  format_shape(t.shape()) +
                  " whose elements share memory (an expanded view); clone() it first");
}

// After a successful in-place write: saved tensors of the storage notice.
void bump(const Tensor& t) { t.storage()->bump_version(); }

}  // namespace

Tensor empty(const Shape& shape, Options options) {
  auto impl = new_impl();
  // Strides and the element count in one pass; negative dims and overflow are errors.
  const int64_t numel = detail::ImplAccess::init_contiguous(*impl, shape, options.dtype);
  std::size_t bytes = 0;
  if (numel < 0) shape_numel(shape);  // throws the message for the shape
  if (__builtin_mul_overflow(static_cast<std::size_t>(numel), dtype_size(options.dtype), &bytes))
    throw Error("tensor: shape " + format_shape(shape) + " of " + dtype_name(options.dtype) +
                " needs more bytes than memory can address");
  detail::ImplAccess::set_storage(*impl, allocate_storage(bytes));
  detail::ImplAccess::set_requires_grad(*impl, options.requires_grad);
  return Tensor(std::move(impl));
}

Tensor alias_with_shape(const Tensor& base, const Shape& shape) {
  if (!base.is_contiguous())
    throw Error("alias_with_shape: base of shape " + format_shape(base.shape()) +
                " is not contiguous");
  // (The hot path of reshapes and un-broadcast gradients: no bounds walk, the counts agree.)
  auto impl = new_impl();
  if (detail::ImplAccess::init_contiguous(*impl, shape, base.dtype()) != base.numel())
    throw Error("alias_with_shape: shape " + format_shape(shape) + " for " +
                std::to_string(base.numel()) + " elements");
  detail::ImplAccess::set_storage(*impl, base.storage(), base.storage_offset());
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  if (shape.size() != strides.size())
    throw Error("as_strided: shape " + format_shape(shape) + " and strides " +
                format_shape(strides) + " differ in length");
  check_shape("as_strided", shape);
  const int64_t numel = shape_numel(shape);
  const std::shared_ptr<Storage>& storage = base.storage();
  if (numel > 0) {
    int64_t last = offset;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (strides[d] < 0) throw Error("as_strided: negative stride in " + format_shape(strides));
      int64_t span = 0;
      if (__builtin_mul_overflow(shape[d] - 1, strides[d], &span) ||
          __builtin_add_overflow(last, span, &last))
        last = INT64_MAX;
    }
    const int64_t elements = static_cast<int64_t>(storage->bytes() / dtype_size(base.dtype()));
    if (offset < 0 || last >= elements)
      throw Error("as_strided: shape " + format_shape(shape) + ", strides " +
                  format_shape(strides) + " and offset " + std::to_string(offset) +
                  " reach outside a storage of " + std::to_string(elements) + " elements");
  }
  auto impl = new_impl();
  detail::ImplAccess::set_state(
      *impl, detail::TensorState{storage, offset, shape, strides, numel, base.dtype()});
  return Tensor(std::move(impl));
}

Tensor from_blob(void* data, const Shape& shape, const Shape& strides, Options options,
                 std::function<void(void*)> deleter) {
  if (!data && shape_numel(shape) > 0) throw Error("from_blob: null data pointer");
  int64_t extent = 0;  // elements the view reaches
  if (shape_numel(shape) > 0) {
    extent = 1;
    for (std::size_t d = 0; d < shape.size() && d < strides.size(); ++d)
      extent += (shape[d] - 1) * strides[d];
  }
  auto storage = std::make_shared<Storage>(
      data, static_cast<std::size_t>(extent) * dtype_size(options.dtype),
      deleter ? std::move(deleter) : [](void*) {});
  auto impl = new_impl();
  Tensor base(impl);
  detail::ImplAccess::set_state(
      *impl, detail::TensorState{storage, 0, Shape{extent}, Shape{1}, extent, options.dtype});
  Tensor view = make_view(base, shape, strides, 0);
  view.requires_grad_(options.requires_grad);
  return view;
}

Tensor from_blob(void* data, const Shape& shape, Options options,
                 std::function<void(void*)> deleter) {
  return from_blob(data, shape, contiguous_strides(shape), options, std::move(deleter));
}

void Tensor::throw_undefined(const char* what) {
  throw Error(std::string(what) + ": the tensor is undefined");
}

int64_t Tensor::size(int64_t d) const { return shape()[kernels::normalize_dim("size", d, dim())]; }
int64_t Tensor::stride(int64_t d) const {
  return strides()[kernels::normalize_dim("stride", d, dim())];
}
const std::shared_ptr<Storage>& Tensor::storage() const {
  check_defined("storage");
  return impl_->storage_;
}
bool Tensor::is_alias_of(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage_ == other.impl_->storage_;
}

void Tensor::throw_dtype_mismatch(Dtype requested) const {
  throw Error(std::string("data: requested ") + dtype_name(requested) + " from a " +
              dtype_name(impl_->dtype_) + " tensor");
}

template <class T>
T Tensor::item() const {
  check_defined("item");
  if (impl_->numel_ != 1)
    throw Error("item: expected a tensor with one element, got shape " + format_shape(shape()));
  return dispatch(impl_->dtype_, [&]<class S>() { return convert<T>(data<S>()[0]); });
}
#define XGRAD_INSTANTIATE(T) template T Tensor::item<T>() const;
XGRAD_INSTANTIATE(float)
XGRAD_INSTANTIATE(double)
XGRAD_INSTANTIATE(int64_t)
XGRAD_INSTANTIATE(int32_t)
XGRAD_INSTANTIATE(uint8_t)
XGRAD_INSTANTIATE(bool)
#undef XGRAD_INSTANTIATE

void* Tensor::raw_data() {
  check_defined("data");
  return static_cast<char*>(impl_->storage_->data()) + impl_->offset_ * dtype_size(impl_->dtype_);
}
const void* Tensor::raw_data() const { return const_cast<Tensor*>(this)->raw_data(); }

double Tensor::item() const { return item<double>(); }

double Tensor::at(const Shape& index) const {
  check_defined("at");
  int64_t off = element_offset(impl_->shape_, impl_->strides_, index);
  return dispatch(impl_->dtype_, [&]<class T>() { return static_cast<double>(data<T>()[off]); });
}

void Tensor::set(const Shape& index, double value) {
  check_defined("set");
  int64_t off = element_offset(impl_->shape_, impl_->strides_, index);
  begin_inplace(*this, "set");
  dispatch(impl_->dtype_, [&]<class T>() { data<T>()[off] = convert<T>(value); });
  bump(*this);
}

std::vector<double> Tensor::to_vector() const {
  check_defined("to_vector");
  detail::Dense dense(*this);
  std::vector<double> out(static_cast<std::size_t>(impl_->numel_));
  dispatch(impl_->dtype_, [&]<class T>() {
    const T* p = dense->data<T>();
    std::copy(p, p + impl_->numel_, out.begin());
  });
  return out;
}

Tensor Tensor::detach() const {
  check_defined("detach");
  return make_view(*this, impl_->shape_, impl_->strides_, impl_->offset_);
}

Tensor Tensor::contiguous_copy() const {
  check_defined("clone");
  Tensor out = empty(impl_->shape_, impl_->dtype_);
  if (impl_->contiguous_)
    std::memcpy(out.raw_data(), raw_data(), impl_->numel_ * dtype_size(impl_->dtype_));
  else
    kernels::assign(out, *this);
  return out;
}

void Tensor::set_data(const Tensor& data) {
  check_defined("set_data");
  if (!data.defined()) throw Error("set_data: the new data is undefined");
  if (data.dtype() != dtype() || data.shape() != shape()) impl_->grad_ = Tensor();
  const TensorImpl& src = *data.impl_;
  detail::ImplAccess::set_state(*impl_, detail::TensorState{src.storage_, src.offset_, src.shape_,
                                                            src.strides_, src.numel_, src.dtype_});
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad_; }

Tensor& Tensor::requires_grad_(bool enabled) {
  check_defined("requires_grad_");
  if (enabled && !is_floating_point(impl_->dtype_))
    throw Error(std::string("requires_grad_: only floating-point tensors can require gradients, "
                            "got ") +
                dtype_name(impl_->dtype_));
  if (impl_->grad_fn_ && !enabled)
    throw Error("requires_grad_: cannot turn off requires_grad of a non-leaf tensor; use detach()");
  impl_->requires_grad_ = enabled;
  return *this;
}

bool Tensor::is_leaf() const { return !impl_ || !impl_->grad_fn_; }
Tensor Tensor::grad() const { return impl_ ? impl_->grad_ : Tensor(); }
void Tensor::set_grad(const Tensor& grad) {
  check_defined("set_grad");
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype()))
    throw Error("set_grad: gradient of shape " + format_shape(grad.shape()) + " " +
                dtype_name(grad.dtype()) + " for a tensor of shape " + format_shape(shape()) + " " +
                dtype_name(dtype()));
  impl_->grad_ = grad;
}
void Tensor::zero_grad(bool set_to_none) {
  if (!impl_ || !impl_->grad_.defined()) return;
  if (set_to_none) {
    impl_->grad_ = Tensor();
  } else {
    // Keep the buffer (no allocation next step) unless it is part of a recorded graph or a
    // view of something else.
    Tensor& g = impl_->grad_;
    if (g.grad_fn() || !g.is_contiguous()) g = g.contiguous_copy();
    std::memset(g.raw_data(), 0, g.numel() * dtype_size(g.dtype()));
    g.storage()->bump_version();
  }
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn_ : none;
}

// ---- raw in-place writes (the differentiable members live in autograd/tensor_methods.cpp) ----

namespace detail {

void check_writable(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(std::string(op) + ": the tensor is undefined");
  for (std::size_t d = 0; d < t.shape().size(); ++d)
    if (t.strides()[d] == 0 && t.shape()[d] > 1)
      throw Error(std::string(op) + ": cannot write in place into a tensor of shape " +
                  format_shape(t.shape()) +
                  " whose elements share memory (an expanded view); clone() it first");
}

void write_fill(Tensor& self, const Scalar& value) {
  check_writable(self, "fill_");
  kernels::fill(self, value);
  bump(self);
}

void write_copy(Tensor& self, const Tensor& src) {
  check_writable(self, "copy_");
  if (!src.defined()) throw Error("copy_: the source tensor is undefined");
  if (src.impl() == self.impl()) return;
  Shape b = kernels::broadcast_shapes("copy_", src.shape(), self.shape());
  if (b != self.shape())
    throw Error("copy_: cannot copy shape " + format_shape(src.shape()) + " into " +
                format_shape(self.shape()));
  // A source overlapping the destination is copied out first.
  Tensor s = src.is_alias_of(self) ? src.contiguous_copy() : src;
  if (self.is_contiguous() && s.is_contiguous() && s.shape() == self.shape() &&
      s.dtype() == self.dtype())
    std::memcpy(self.raw_data(), s.raw_data(), self.numel() * dtype_size(self.dtype()));
  else
    kernels::assign(self, s);
  bump(self);
}

void write_add(Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_writable(self, "add_");
  if (!other.defined()) throw Error("add_: the other tensor is undefined");
  const double a = alpha.to_double();
  if (a == 1.0) {
    kernels::add_(self, other);
  } else if (self.is_contiguous() && other.is_contiguous() && other.shape() == self.shape() &&
             other.dtype() == self.dtype() && is_floating_point(self.dtype()) &&
             !other.is_alias_of(self)) {
    dispatch_floating(self.dtype(), [&]<class T>() {  // the fused path optimizers use
      T* p = self.data<T>();
      const T* q = other.data<T>();
      const T f = static_cast<T>(a);
      const int64_t n = self.numel();
      for (int64_t i = 0; i < n; ++i) p[i] += f * q[i];
    });
  } else {
    kernels::add_(self, kernels::mul(other, alpha));
  }
  bump(self);
}

void write_add(Tensor& self, const Scalar& value) {
  check_writable(self, "add_");
  kernels::add_(self, value);
  bump(self);
}

void write_sub(Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_writable(self, "sub_");
  if (!other.defined()) throw Error("sub_: the other tensor is undefined");
  if (alpha.to_double() == 1.0)
    kernels::sub_(self, other);
  else
    kernels::sub_(self, kernels::mul(other, alpha));
  bump(self);
}

void write_mul(Tensor& self, const Tensor& other) {
  check_writable(self, "mul_");
  if (!other.defined()) throw Error("mul_: the other tensor is undefined");
  kernels::mul_(self, other);
  bump(self);
}

void write_mul(Tensor& self, const Scalar& factor) {
  check_writable(self, "mul_");
  kernels::mul_(self, factor);
  bump(self);
}

void write_div(Tensor& self, const Tensor& other) {
  check_writable(self, "div_");
  if (!other.defined()) throw Error("div_: the other tensor is undefined");
  kernels::div_(self, other);
  bump(self);
}

void write_result(Tensor& self, const Tensor& value, const char* op) {
  check_writable(self, op);
  if (value.shape() != self.shape())
    throw Error(std::string(op) + ": result of shape " + format_shape(value.shape()) +
                " does not fit the tensor of shape " + format_shape(self.shape()));
  if (value.dtype() != self.dtype() && promote_types(value.dtype(), self.dtype()) != self.dtype())
    throw Error(std::string(op) + ": result type " + dtype_name(value.dtype()) +
                " cannot be stored in place in a " + dtype_name(self.dtype()) + " tensor");
  kernels::assign(self, value);
  bump(self);
}

}  // namespace detail

// ---- factories ----

Tensor from_vector(const std::vector<double>& values, const Shape& shape, Options options) {
  check_shape("from_vector", shape);
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("from_vector: " + std::to_string(values.size()) + " values for shape " +
                format_shape(shape));
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = convert<T>(values[i]);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Options options) {
  return from_vector(std::vector<double>(values.begin(), values.end()), shape, options);
}

Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape, Options options) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("from_vector: " + std::to_string(values.size()) + " values for shape " +
                format_shape(shape));
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = convert<T>(values[i]);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor tensor(std::initializer_list<Value> values, Options options) {
  std::vector<double> flat;
  for (Value v : values) flat.push_back(v.v);
  return from_vector(flat, {static_cast<int64_t>(values.size())}, options);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> values, Options options) {
  std::vector<double> flat;
  int64_t cols = values.size() ? static_cast<int64_t>(values.begin()->size()) : 0;
  for (const auto& row : values) {
    if (static_cast<int64_t>(row.size()) != cols)
      throw Error("tensor: ragged nested list (rows of " + std::to_string(cols) + " and " +
                  std::to_string(row.size()) + " values)");
    flat.insert(flat.end(), row.begin(), row.end());
  }
  return from_vector(flat, {static_cast<int64_t>(values.size()), cols}, options);
}

Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> values,
              Options options) {
  std::vector<double> flat;
  int64_t rows = values.size() ? static_cast<int64_t>(values.begin()->size()) : 0;
  int64_t cols = rows ? static_cast<int64_t>(values.begin()->begin()->size()) : 0;
  for (const auto& plane : values) {
    if (static_cast<int64_t>(plane.size()) != rows) throw Error("tensor: ragged nested list");
    for (const auto& row : plane) {
      if (static_cast<int64_t>(row.size()) != cols) throw Error("tensor: ragged nested list");
      flat.insert(flat.end(), row.begin(), row.end());
    }
  }
  return from_vector(flat, {static_cast<int64_t>(values.size()), rows, cols}, options);
}

Tensor scalar_tensor(const Scalar& value, Options options) { return full({}, value, options); }
Tensor zeros(const Shape& shape, Options options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, Options options) { return full(shape, 1.0, options); }

Tensor full(const Shape& shape, const Scalar& value, Options options) {
  Tensor t = empty(shape, options.dtype);
  t.fill_(value);
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor arange(double start, double end, double step, Options options) {
  if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
    throw Error("arange: step must be non-zero and bounds finite");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  Tensor t = empty({n}, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = convert<T>(start + step * static_cast<double>(i));
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor arange(double end, Options options) { return arange(0.0, end, 1.0, options); }

Tensor linspace(double start, double end, int64_t steps, Options options) {
  if (steps < 0) throw Error("linspace: steps must be non-negative, got " + std::to_string(steps));
  Tensor t = empty({steps}, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < steps; ++i)
      p[i] = convert<T>(steps == 1 ? start
                                   : start + (end - start) * static_cast<double>(i) /
                                                 static_cast<double>(steps - 1));
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor eye(int64_t n, Options options) {
  Tensor t = zeros({n, n}, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    for (int64_t i = 0; i < n; ++i) t.data<T>()[i * n + i] = T(1);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor zeros_like(const Tensor& t, bool rg) { return zeros(t.shape(), {t.dtype(), rg}); }
Tensor ones_like(const Tensor& t, bool rg) { return ones(t.shape(), {t.dtype(), rg}); }
Tensor full_like(const Tensor& t, const Scalar& v, bool rg) {
  return full(t.shape(), v, {t.dtype(), rg});
}

namespace {
template <class Draw>
Tensor random_tensor(const Shape& shape, Options options, Generator* gen, Draw draw) {
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch_floating(
      options.dtype,
      [&]<class T>() {
        T* p = t.data<T>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(draw(g));
      },
      "random");
  t.requires_grad_(options.requires_grad);
  return t;
}
}  // namespace

Tensor rand(const Shape& shape, Options options, Generator* gen) {
  return random_tensor(shape, options, gen, [](Generator& g) { return g.uniform(); });
}
Tensor randn(const Shape& shape, Options options, Generator* gen) {
  return random_tensor(shape, options, gen, [](Generator& g) { return g.normal(); });
}
Tensor uniform(const Shape& shape, double low, double high, Options options, Generator* gen) {
  if (!(low <= high)) throw Error("uniform: low must not exceed high");
  return random_tensor(shape, options, gen, [=](Generator& g) { return g.uniform(low, high); });
}
Tensor normal(const Shape& shape, double mean, double stddev, Options options, Generator* gen) {
  if (!(stddev >= 0)) throw Error("normal: stddev must be non-negative");
  return random_tensor(shape, options, gen,
                       [=](Generator& g) { return mean + stddev * g.normal(); });
}
Tensor rand_like(const Tensor& t, Generator* gen) { return rand(t.shape(), t.dtype(), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return randn(t.shape(), t.dtype(), gen); }

namespace {
// Whether every integer in [low, high] is a value of the dtype (floating types: exactly, so up
// to 2^24 for float32 and 2^53 for float64, as PyTorch checks).
bool holds_integers(Dtype dtype, int64_t low, int64_t high) {
  return dispatch(dtype, [&]<class T>() {
    if constexpr (std::is_floating_point_v<T>) {
      const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
      return static_cast<double>(low) >= -limit && static_cast<double>(high) <= limit;
    } else {
      return low >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
             high <= static_cast<int64_t>(std::numeric_limits<T>::max());
    }
  });
}

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

Tensor randint(int64_t low, int64_t high, const Shape& shape, Options options, Generator* gen) {
  if (low >= high)
    throw Error("randint: low " + std::to_string(low) + " must be less than high " +
                std::to_string(high));
  check_shape("randint", shape);
  if (!holds_integers(options.dtype, low, high - 1))
    throw Error("randint: [" + std::to_string(low) + ", " + std::to_string(high) +
                ") does not fit " + dtype_name(options.dtype));
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  // In uint64, where high - low cannot overflow; the sum wraps back into int64.
  const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = convert<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + g.below(span)));
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor randint(int64_t high, const Shape& shape, Options options, Generator* gen) {
  return randint(0, high, shape, options, gen);
}

Tensor randperm(int64_t n, Options options, Generator* gen) {
  if (n < 0) throw Error("randperm: n must be non-negative, got " + std::to_string(n));
  if (n > 0 && !holds_integers(options.dtype, 0, n - 1))
    throw Error("randperm: n = " + std::to_string(n) + " is too large for " +
                dtype_name(options.dtype));
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty({n}, options.dtype);
  std::vector<int64_t> perm(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(perm[i], perm[g.below(static_cast<uint64_t>(i) + 1)]);
  dispatch(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = convert<T>(perm[i]);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor bernoulli(const Tensor& p_in, Generator* gen) {
  if (!is_floating_point(p_in.dtype()))
    throw Error(std::string("bernoulli: expected floating-point probabilities, got ") +
                dtype_name(p_in.dtype()));
  detail::Dense p(p_in);
  Tensor t = empty(p->shape(), p->dtype());
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  dispatch_floating(p->dtype(), [&]<class T>() {
    const T* q = p->data<T>();
    const int64_t n = p->numel();
    // All checked before the first draw, so a bad tensor leaves the generator untouched.
    for (int64_t i = 0; i < n; ++i)
      if (!(q[i] >= T(0) && q[i] <= T(1)))
        throw Error("bernoulli: probability " + format_number(q[i]) + " is not in [0, 1]");
    T* o = t.data<T>();
    for (int64_t i = 0; i < n; ++i) o[i] = g.uniform() < static_cast<double>(q[i]) ? T(1) : T(0);
  });
  return t;
}

Tensor bernoulli(const Shape& shape, double p, Options options, Generator* gen) {
  if (!(p >= 0.0 && p <= 1.0))
    throw Error("bernoulli: probability " + format_number(p) + " is not in [0, 1]");
  check_shape("bernoulli", shape);
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<class T>() {
    T* o = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) o[i] = convert<T>(g.uniform() < p ? 1 : 0);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  if (probs.dim() != 1 && probs.dim() != 2)
    throw Error("multinomial: expected 1-D or 2-D probabilities, got shape " +
                format_shape(probs.shape()));
  if (!is_floating_point(probs.dtype()))
    throw Error(std::string("multinomial: expected floating-point probabilities, got ") +
                dtype_name(probs.dtype()));
  if (num_samples <= 0)
    throw Error("multinomial: num_samples must be positive, got " + std::to_string(num_samples));
  const int64_t rows = probs.dim() == 2 ? probs.shape()[0] : 1;
  const int64_t n = probs.shape().back();
  if (!replacement && num_samples > n)
    throw Error("multinomial: cannot draw " + std::to_string(num_samples) +
                " samples without replacement from " + std::to_string(n) + " categories");
  const std::vector<double> w = probs.to_vector();
  // Validate every row before the first draw.
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = w.data() + r * n;
    int64_t positive = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (!std::isfinite(row[j]) || row[j] < 0)
        throw Error("multinomial: probabilities must be finite and non-negative, got " +
                    format_number(row[j]) + " in row " + std::to_string(r));
      positive += row[j] > 0;
    }
    if (positive == 0)
      throw Error("multinomial: the probabilities of row " + std::to_string(r) + " are all zero");
    if (!replacement && positive < num_samples)
      throw Error("multinomial: row " + std::to_string(r) + " has " + std::to_string(positive) +
                  " categories of non-zero probability, too few for " +
                  std::to_string(num_samples) + " samples without replacement");
  }
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty(probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples}, Dtype::int64);
  int64_t* out = t.data<int64_t>();
  std::vector<double> weight(static_cast<std::size_t>(n)), cdf(static_cast<std::size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    // Scaled by the row's largest weight, so that the sums stay finite.
    const double* row = w.data() + r * n;
    const double top = *std::max_element(row, row + n);
    for (int64_t j = 0; j < n; ++j) weight[j] = row[j] / top;
    // The last category of positive weight: where rounding may leave a draw past the end.
    int64_t last = n - 1;
    while (weight[last] == 0) --last;
    double total = 0;
    for (int64_t s = 0; s < num_samples; ++s) {
      if (s == 0 || !replacement) {  // the weights only change without replacement
        total = 0;
        for (int64_t j = 0; j < n; ++j) cdf[j] = total += weight[j];
      }
      // The first category whose cumulative weight exceeds u * total; one of zero weight never
      // is (its cumulative weight equals its predecessor's).
      const double u = g.uniform() * total;
      int64_t pick = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
      if (pick > last) pick = last;
      out[r * num_samples + s] = pick;
      if (!replacement) {
        weight[pick] = 0;
        while (last > 0 && weight[last] == 0) --last;
      }
    }
  }
  return t;
}

// ---- printing ----

namespace {
void print_values(std::ostream& os, const std::vector<double>& v, const Shape& shape,
                  std::size_t dim, int64_t& pos, bool boolean) {
  if (dim == shape.size()) {
    if (boolean)
      os << (v[pos++] != 0 ? "true" : "false");
    else
      os << v[pos++];
    return;
  }
  os << '[';
  const int64_t n = shape[dim];
  const bool summarise = n > 12;
  const char* sep = dim + 1 < shape.size() ? ",\n" : ", ";
  const int64_t inner = shape_numel(Shape(shape.begin() + dim + 1, shape.end()));
  for (int64_t i = 0; i < n; ++i) {
    if (i) os << sep;
    if (summarise && i == 6) {
      os << "..." << sep;
      pos += (n - 12) * inner;
      i = n - 6;
    }
    print_values(os, v, shape, dim + 1, pos, boolean);
  }
  os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::ostringstream body;
  body << std::setprecision(t.dtype() == Dtype::float32   ? 6
                            : t.dtype() == Dtype::float64 ? 10
                                                          : 19);
  std::vector<double> v = t.to_vector();
  int64_t pos = 0;
  print_values(body, v, t.shape(), 0, pos, t.dtype() == Dtype::bool_);
  os << "tensor(" << body.str() << ", shape=" << format_shape(t.shape())
     << ", dtype=" << dtype_name(t.dtype());
  if (t.requires_grad()) os << ", requires_grad=true";
  return os << ')';
}

// ---- threads ----

void set_num_threads(int n) {
  if (n < 1) throw Error("set_num_threads: need at least one thread, got " + std::to_string(n));
  // OpenBLAS's threads. oneDNN's products run on one thread (tensor/dnnl/context.cpp).
  openblas_set_num_threads(n);
}
int get_num_threads() { return openblas_get_num_threads(); }

}  // namespace xgrad
