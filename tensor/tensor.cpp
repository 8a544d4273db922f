// Tensor handle basics: storage, shape queries, element access, factories, in-place updates and
// printing. Differentiable members (sum, reshape, backward, ...) live in autograd/.
#include "tensor/tensor.hpp"

#include "tensor/memory.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "autograd/grad_mode.hpp"
#include "tensor/generator.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

const char* dtype_name(Dtype dtype) { return dtype == Dtype::float32 ? "float32" : "float64"; }
std::size_t dtype_size(Dtype dtype) { return dtype == Dtype::float32 ? 4 : 8; }

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
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

std::shared_ptr<void> allocate_bytes(std::size_t bytes) {
  void* p = nullptr;
  try {
    p = allocate_block(bytes);
  } catch (const std::bad_alloc&) {
    throw Error("tensor: out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  return std::shared_ptr<void>(
      p, [bytes](void* q) { free_block(q, bytes); }, BlockAllocator<char>{});
}

std::shared_ptr<TensorImpl> new_impl() {
  return std::allocate_shared<TensorImpl>(BlockAllocator<TensorImpl>{});
}

void check_shape(const char* op, const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0)
      throw Error(std::string(op) + ": negative dimension in shape " + format_shape(shape));
}

template <class F>
void for_dtype(Dtype dtype, F&& f) {
  if (dtype == Dtype::float32)
    f.template operator()<float>();
  else
    f.template operator()<double>();
}

// Offset of a multi-index, validated.
int64_t flat_offset(const Shape& shape, const Shape& index) {
  if (index.size() != shape.size())
    throw Error("at: index " + format_shape(index) + " has " + std::to_string(index.size()) +
                " entries for a tensor of shape " + format_shape(shape));
  int64_t offset = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + shape[d] : index[d];
    if (i < 0 || i >= shape[d])
      throw Error("at: index " + format_shape(index) + " out of range for shape " +
                  format_shape(shape));
    offset = offset * shape[d] + i;
  }
  return offset;
}

void check_inplace_allowed(const Tensor& t, const char* op) {
  if (t.requires_grad() && is_grad_enabled())
    throw Error(std::string(op) +
                ": in-place update of a tensor that requires grad; wrap it in NoGradGuard");
}

}  // namespace

Tensor empty(const Shape& shape, Options options) {
  check_shape("empty", shape);
  auto impl = new_impl();
  impl->shape = shape;
  impl->numel = shape_numel(shape);
  impl->dtype = options.dtype;
  impl->storage = allocate_bytes(static_cast<std::size_t>(impl->numel) * dtype_size(options.dtype));
  impl->data = impl->storage.get();
  impl->requires_grad = options.requires_grad;
  return Tensor(std::move(impl));
}

Tensor alias_with_shape(const Tensor& base, const Shape& shape) {
  auto impl = new_impl();
  impl->storage = base.impl()->storage;
  impl->data = base.impl()->data;
  impl->shape = shape;
  impl->numel = base.numel();
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

void Tensor::throw_undefined(const char* what) {
  throw Error(std::string(what) + ": the tensor is undefined");
}

int64_t Tensor::size(int64_t d) const { return shape()[kernels::normalize_dim("size", d, dim())]; }

template <class T>
T* Tensor::data() {
  check_defined("data");
  constexpr Dtype want = std::is_same_v<T, float> ? Dtype::float32 : Dtype::float64;
  if (impl_->dtype != want)
    throw Error(std::string("data: requested ") + dtype_name(want) + " from a " +
                dtype_name(impl_->dtype) + " tensor");
  return static_cast<T*>(impl_->data);
}
template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;

void* Tensor::raw_data() {
  check_defined("data");
  return impl_->data;
}
const void* Tensor::raw_data() const {
  check_defined("data");
  return impl_->data;
}

double Tensor::item() const {
  check_defined("item");
  if (impl_->numel != 1)
    throw Error("item: expected a tensor with one element, got shape " + format_shape(shape()));
  return impl_->dtype == Dtype::float32 ? static_cast<const float*>(impl_->data)[0]
                                        : static_cast<const double*>(impl_->data)[0];
}

double Tensor::at(const Shape& index) const {
  int64_t off = flat_offset(shape(), index);
  return impl_->dtype == Dtype::float32 ? static_cast<const float*>(impl_->data)[off]
                                        : static_cast<const double*>(impl_->data)[off];
}

void Tensor::set(const Shape& index, double value) {
  check_inplace_allowed(*this, "set");
  int64_t off = flat_offset(shape(), index);
  if (impl_->dtype == Dtype::float32)
    static_cast<float*>(impl_->data)[off] = static_cast<float>(value);
  else
    static_cast<double*>(impl_->data)[off] = value;
}

std::vector<double> Tensor::to_vector() const {
  check_defined("to_vector");
  std::vector<double> out(static_cast<std::size_t>(impl_->numel));
  for_dtype(impl_->dtype, [&]<class T>() {
    const T* p = static_cast<const T*>(impl_->data);
    std::copy(p, p + impl_->numel, out.begin());
  });
  return out;
}

Tensor Tensor::detach() const {
  check_defined("detach");
  return alias_with_shape(*this, impl_->shape);
}

Tensor Tensor::contiguous_copy() const {
  check_defined("clone");
  Tensor out = empty(impl_->shape, impl_->dtype);
  std::memcpy(out.raw_data(), impl_->data, impl_->numel * dtype_size(impl_->dtype));
  return out;
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::requires_grad_(bool enabled) {
  check_defined("requires_grad_");
  if (impl_->grad_fn && !enabled)
    throw Error("requires_grad_: cannot turn off requires_grad of a non-leaf tensor; use detach()");
  impl_->requires_grad = enabled;
  return *this;
}

bool Tensor::is_leaf() const { return !impl_ || !impl_->grad_fn; }
Tensor Tensor::grad() const { return impl_ ? impl_->grad : Tensor(); }
void Tensor::set_grad(const Tensor& grad) {
  check_defined("set_grad");
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype()))
    throw Error("set_grad: gradient of shape " + format_shape(grad.shape()) + " " +
                dtype_name(grad.dtype()) + " for a tensor of shape " + format_shape(shape()) + " " +
                dtype_name(dtype()));
  impl_->grad = grad;
}
void Tensor::zero_grad(bool set_to_none) {
  if (!impl_ || !impl_->grad.defined()) return;
  if (set_to_none) {
    impl_->grad = Tensor();
  } else {
    // Keep the buffer (no allocation next step) unless it is part of a recorded graph.
    if (impl_->grad.grad_fn()) impl_->grad = impl_->grad.contiguous_copy();
    std::memset(impl_->grad.raw_data(), 0, impl_->grad.numel() * dtype_size(impl_->dtype));
  }
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn : none;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::fill_(double value) {
  check_defined("fill_");
  check_inplace_allowed(*this, "fill_");
  for_dtype(dtype(), [&]<class T>() {
    T* p = data<T>();
    std::fill(p, p + numel(), static_cast<T>(value));
  });
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined("copy_");
  check_inplace_allowed(*this, "copy_");
  Tensor s = src.shape() == shape() ? src : kernels::expand(src, shape());
  if (s.dtype() != dtype()) s = kernels::cast(s, dtype());
  if (s.raw_data() != raw_data())
    std::memmove(raw_data(), s.raw_data(), numel() * dtype_size(dtype()));
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  check_defined("add_");
  check_inplace_allowed(*this, "add_");
  if (other.dtype() != dtype())
    throw Error(std::string("add_: dtype mismatch ") + dtype_name(dtype()) +
                " += " + dtype_name(other.dtype()));
  Tensor o = other.shape() == shape() ? other : kernels::expand(other, shape());
  if (o.shape() != shape())
    throw Error("add_: cannot add shape " + format_shape(other.shape()) + " into " +
                format_shape(shape()));
  for_dtype(dtype(), [&]<class T>() {
    T* p = data<T>();
    const T* q = o.data<T>();
    const T a = static_cast<T>(alpha);
    const int64_t n = numel();
    for (int64_t i = 0; i < n; ++i) p[i] += a * q[i];
  });
  return *this;
}

Tensor& Tensor::mul_(double factor) {
  check_defined("mul_");
  check_inplace_allowed(*this, "mul_");
  for_dtype(dtype(), [&]<class T>() {
    T* p = data<T>();
    const T f = static_cast<T>(factor);
    const int64_t n = numel();
    for (int64_t i = 0; i < n; ++i) p[i] *= f;
  });
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  check_defined("mul_");
  check_inplace_allowed(*this, "mul_");
  Tensor product = kernels::binary("mul_", kernels::Binary::mul, *this, other);
  if (product.shape() != shape())
    throw Error("mul_: cannot multiply shape " + format_shape(shape()) + " in place by " +
                format_shape(other.shape()));
  std::memcpy(raw_data(), product.raw_data(), numel() * dtype_size(dtype()));
  return *this;
}

Tensor& Tensor::add_(double value) {
  check_defined("add_");
  check_inplace_allowed(*this, "add_");
  for_dtype(dtype(), [&]<class T>() {
    T* p = data<T>();
    const int64_t n = numel();
    for (int64_t i = 0; i < n; ++i) p[i] += static_cast<T>(value);
  });
  return *this;
}

// ---- factories ----

Tensor from_vector(const std::vector<double>& values, const Shape& shape, Options options) {
  check_shape("from_vector", shape);
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error("from_vector: " + std::to_string(values.size()) + " values for shape " +
                format_shape(shape));
  Tensor t = empty(shape, options.dtype);
  for_dtype(options.dtype,
            [&]<class T>() { std::copy(values.begin(), values.end(), t.data<T>()); });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Options options) {
  return from_vector(std::vector<double>(values.begin(), values.end()), shape, options);
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

Tensor scalar_tensor(double value, Options options) { return full({}, value, options); }
Tensor zeros(const Shape& shape, Options options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, Options options) { return full(shape, 1.0, options); }

Tensor full(const Shape& shape, double value, Options options) {
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
  for_dtype(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + step * static_cast<double>(i));
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor arange(double end, Options options) { return arange(0.0, end, 1.0, options); }

Tensor linspace(double start, double end, int64_t steps, Options options) {
  if (steps < 0) throw Error("linspace: steps must be non-negative, got " + std::to_string(steps));
  Tensor t = empty({steps}, options.dtype);
  for_dtype(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < steps; ++i)
      p[i] = steps == 1 ? static_cast<T>(start)
                        : static_cast<T>(start + (end - start) * static_cast<double>(i) /
                                                     static_cast<double>(steps - 1));
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor eye(int64_t n, Options options) {
  Tensor t = zeros({n, n}, options.dtype);
  for_dtype(options.dtype, [&]<class T>() {
    for (int64_t i = 0; i < n; ++i) t.data<T>()[i * n + i] = T(1);
  });
  t.requires_grad_(options.requires_grad);
  return t;
}

Tensor zeros_like(const Tensor& t, bool rg) { return zeros(t.shape(), {t.dtype(), rg}); }
Tensor ones_like(const Tensor& t, bool rg) { return ones(t.shape(), {t.dtype(), rg}); }
Tensor full_like(const Tensor& t, double v, bool rg) { return full(t.shape(), v, {t.dtype(), rg}); }

namespace {
template <class Draw>
Tensor random_tensor(const Shape& shape, Options options, Generator* gen, Draw draw) {
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty(shape, options.dtype);
  for_dtype(options.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(draw(g));
  });
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

// ---- printing ----

namespace {
void print_values(std::ostream& os, const std::vector<double>& v, const Shape& shape,
                  std::size_t dim, int64_t& pos) {
  if (dim == shape.size()) {
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
    print_values(os, v, shape, dim + 1, pos);
  }
  os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::ostringstream body;
  body << std::setprecision(t.dtype() == Dtype::float32 ? 6 : 10);
  std::vector<double> v = t.to_vector();
  int64_t pos = 0;
  print_values(body, v, t.shape(), 0, pos);
  os << "tensor(" << body.str() << ", shape=" << format_shape(t.shape())
     << ", dtype=" << dtype_name(t.dtype());
  if (t.requires_grad()) os << ", requires_grad=true";
  return os << ')';
}

// ---- threads ----

void set_num_threads(int n) {
  if (n < 1) throw Error("set_num_threads: need at least one thread, got " + std::to_string(n));
  openblas_set_num_threads(n);
}
int get_num_threads() { return openblas_get_num_threads(); }

}  // namespace xgrad
