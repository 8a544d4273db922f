// float32 2-D convolutions on oneDNN's convolution primitives (forward, backward data, backward
// weights): the oneDNN side of kernels::conv2d_onednn and its gradients (tensor/kernels_conv.cpp).
// Internal.
#pragma once

#include <cstdint>

namespace xgrad::dnnl_backend {

// One convolution's geometry. Images are (n, c_in, h, w) and (n, c_out, out_h, out_w) with the
// given strides in elements; weights (c_out, c_in / groups, kh, kw) contiguous. dilation is the
// distance between taps (1 = dense; oneDNN's own count is one less); pad_* may be negative only
// at the end (windows that stop short of the image).
struct ConvArgs {
  int64_t n = 0, c_in = 0, h = 0, w = 0, c_out = 0, out_h = 0, out_w = 0, kh = 0, kw = 0;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0, groups = 1;
  bool bias = false;
  int64_t src_strides[4] = {0, 0, 0, 0};  // x (forward, backward weights)
  int64_t dst_strides[4] = {0, 0, 0, 0};  // dy (backward passes); outputs are contiguous
};

// Each returns false, having written nothing, when oneDNN has no implementation for the shape.
// dst (n, c_out, out_h, out_w) contiguous = x ⋆ weights + bias.
bool conv_forward(const ConvArgs& a, const float* x, const float* weights, const float* bias,
                  float* dst);
// dx (n, c_in, h, w) contiguous from dy and the weights.
bool conv_backward_data(const ConvArgs& a, const float* dy, const float* weights, float* dx);
// dweights (contiguous) and, when a.bias, dbias (c_out) from x and dy.
bool conv_backward_weights(const ConvArgs& a, const float* x, const float* dy, float* dweights,
                           float* dbias);

}  // namespace xgrad::dnnl_backend
