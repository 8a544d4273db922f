// Window2d: the geometry of sliding windows over the last two dims of an image batch (kernel,
// stride, leading padding, dilation and the number of windows along each dim), shared by the
// im2col / col2im kernels and ops and by the convolution and pooling layers built on them.
#pragma once

#include <cstdint>

namespace xgrad {

struct Window2d {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  // Rows (columns) of zeros before the image; the trailing side has whatever the window count
  // needs, so asymmetric padding ("same" with an even kernel) is a leading pad and a count.
  int64_t pad_top = 0, pad_left = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 1, out_w = 1;  // windows along H and along W
};

// The taps of one window along one dim: start, start + step, ... (count of them); pooling
// windows of any kind (strided, dilated, adaptive) are lists of these.
struct Taps {
  int64_t start = 0, count = 1, step = 1;
};

}  // namespace xgrad
