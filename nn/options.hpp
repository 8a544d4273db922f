// Small value types that layer options share: Size2, an (h, w) pair given as one number for
// both dims or as {h, w}.
#pragma once

#include <cstdint>
#include <string>

namespace xgrad::nn {

struct Size2 {
  int64_t h = 1, w = 1;
  Size2(int64_t both) : h(both), w(both) {}  // NOLINT: implicit, as PyTorch's `3` for (3, 3)
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool operator==(const Size2&) const = default;
  // "3" when square, "(3, 5)" otherwise.
  std::string str() const {
    return h == w ? std::to_string(h) : "(" + std::to_string(h) + ", " + std::to_string(w) + ")";
  }
  std::string pair() const { return "(" + std::to_string(h) + ", " + std::to_string(w) + ")"; }
};

}  // namespace xgrad::nn
