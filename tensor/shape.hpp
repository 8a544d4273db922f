// Shape: a list of dims (or strides, or indices) as a small vector with inline room for 8
// entries, so that making, copying and comparing the shape of an ordinary tensor never touches
// the heap. Longer lists spill to the heap. It reads like std::vector<int64_t>.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

namespace xgrad {

class Shape {
 public:
  using value_type = int64_t;
  using size_type = std::size_t;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;
  static constexpr std::size_t inline_capacity = 8;

  Shape() noexcept {}  // user-provided: a value-initialised Shape does not zero its inline room
  explicit Shape(std::size_t n, int64_t value = 0) { assign_fill(n, value); }
  Shape(std::initializer_list<int64_t> dims) { assign_range(dims.begin(), dims.end()); }
  Shape(const std::vector<int64_t>& dims) { assign_range(dims.begin(), dims.end()); }  // NOLINT
  template <class It>
  requires(!std::is_integral_v<It>) Shape(It first, It last) { assign_range(first, last); }
  Shape(const Shape& other) { assign_range(other.begin(), other.end()); }
  Shape(Shape&& other) noexcept { steal(other); }
  Shape& operator=(const Shape& other) {
    if (this != &other) {
      size_ = 0;
      assign_range(other.begin(), other.end());
    }
    return *this;
  }
  Shape& operator=(Shape&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  ~Shape() { release(); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return heap_ ? heap_ : inline_; }
  const int64_t* data() const { return heap_ ? heap_ : inline_; }
  int64_t& operator[](std::size_t i) { return data()[i]; }
  int64_t operator[](std::size_t i) const { return data()[i]; }
  int64_t& back() { return data()[size_ - 1]; }
  int64_t back() const { return data()[size_ - 1]; }
  int64_t& front() { return data()[0]; }
  int64_t front() const { return data()[0]; }
  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  void clear() { size_ = 0; }
  void reserve(std::size_t n) {
    if (n > capacity()) grow(n);
  }
  void resize(std::size_t n, int64_t value = 0) {
    reserve(n);
    for (std::size_t i = size_; i < n; ++i) data()[i] = value;
    size_ = n;
  }
  void push_back(int64_t v) {
    if (size_ == capacity()) grow(2 * capacity());
    data()[size_++] = v;
  }
  void pop_back() { --size_; }
  iterator insert(const_iterator pos, int64_t v) { return insert(pos, &v, &v + 1); }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> values) {
    return insert(pos, values.begin(), values.end());
  }
  template <class It>
  requires(!std::is_integral_v<It>) iterator insert(const_iterator pos, It first, It last) {
    const std::size_t at = static_cast<std::size_t>(pos - begin());
    const std::size_t n = static_cast<std::size_t>(std::distance(first, last));
    // Copy the new values first: they may come from this shape itself.
    Shape values;
    values.assign_range(first, last);
    reserve(size_ + n);
    int64_t* d = data();
    std::move_backward(d + at, d + size_, d + size_ + n);
    std::copy(values.begin(), values.end(), d + at);
    size_ += n;
    return d + at;
  }
  iterator erase(const_iterator pos) {
    const std::size_t at = static_cast<std::size_t>(pos - begin());
    int64_t* d = data();
    std::move(d + at + 1, d + size_, d + at);
    --size_;
    return d + at;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.size_ != b.size_) return false;
    const int64_t *x = a.data(), *y = b.data();
    for (std::size_t i = 0; i < a.size_; ++i)  // a plain loop: shapes are short, memcmp is a call
      if (x[i] != y[i]) return false;
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::size_t capacity() const { return heap_ ? heap_capacity_ : inline_capacity; }
  void grow(std::size_t n) {
    n = std::max(n, inline_capacity * 2);
    int64_t* fresh = new int64_t[n];
    std::copy(begin(), end(), fresh);
    delete[] heap_;
    heap_ = fresh;
    heap_capacity_ = n;
  }
  void release() {
    delete[] heap_;
    heap_ = nullptr;
    size_ = 0;
  }
  void steal(Shape& other) {
    size_ = other.size_;
    if (other.heap_) {
      heap_ = other.heap_;
      heap_capacity_ = other.heap_capacity_;
      other.heap_ = nullptr;
    } else {
      std::copy(other.inline_, other.inline_ + other.size_, inline_);
    }
    other.size_ = 0;
  }
  void assign_fill(std::size_t n, int64_t value) {
    reserve(n);
    std::fill(data(), data() + n, value);
    size_ = n;
  }
  template <class It>
  void assign_range(It first, It last) {
    const std::size_t n = static_cast<std::size_t>(std::distance(first, last));
    reserve(n);
    std::size_t i = 0;
    for (int64_t* d = data(); first != last; ++first) d[i++] = static_cast<int64_t>(*first);
    size_ = n;
  }

  int64_t* heap_ = nullptr;
  std::size_t heap_capacity_ = 0;
  std::size_t size_ = 0;
  int64_t inline_[inline_capacity];
};

std::string format_shape(const Shape& shape);  // "(2, 3)"
// The number of elements; Error when a dim is negative or the product overflows int64.
int64_t shape_numel(const Shape& shape);
// Row-major (C-order) strides of a contiguous tensor of `shape`, in elements.
Shape contiguous_strides(const Shape& shape);

}  // namespace xgrad
