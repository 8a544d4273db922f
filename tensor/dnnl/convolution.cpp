// oneDNN convolution primitives, cached per thread by geometry. The primitives pick their own
// (blocked) layouts for images and weights; the user's plain NCHW / OIHW tensors are reordered
// into them and the results back, through buffers from the block cache, as libtorch's oneDNN
// path does for plain tensors.
#include "tensor/dnnl/convolution.hpp"

#include <omp.h>

#include <array>
#include <optional>
#include <unordered_map>
#include <vector>

#include "tensor/dnnl/context.hpp"
#include "tensor/memory.hpp"

namespace xgrad::dnnl_backend {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

struct Key {
  std::array<int64_t, 19> geometry;
  bool bias;
  int threads;
  bool operator==(const Key&) const = default;
};

Key key_of(const ConvArgs& a) {
  return {
      {a.n, a.c_in, a.h, a.w, a.c_out, a.out_h, a.out_w, a.kh, a.kw, a.stride_h, a.stride_w,
       a.dilation_h, a.dilation_w, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right, a.groups, 0},
      a.bias,
      omp_get_max_threads()};
}

struct Entry {
  Key key;
  uint64_t last_use = 0;
  bool supported = false;
  std::optional<dnnl::convolution_forward::primitive_desc> fwd_pd;
  dnnl::convolution_forward fwd;
  std::optional<dnnl::convolution_backward_data::primitive_desc> data_pd;
  dnnl::convolution_backward_data data;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weights_pd;
  dnnl::convolution_backward_weights weights;
  bool data_tried = false, weights_tried = false;
};

constexpr std::size_t kCapacity = 32;
struct Cache {
  std::vector<Entry> entries;
  uint64_t clock = 0;
  Cache() { entries.reserve(kCapacity); }
};
Cache& cache() {
  thread_local Cache c;
  return c;
}

memory::dims image_dims(const ConvArgs& a, bool input) {
  return input ? memory::dims{a.n, a.c_in, a.h, a.w} : memory::dims{a.n, a.c_out, a.out_h, a.out_w};
}
memory::dims weight_dims(const ConvArgs& a) {
  if (a.groups == 1) return {a.c_out, a.c_in, a.kh, a.kw};
  return {a.groups, a.c_out / a.groups, a.c_in / a.groups, a.kh, a.kw};
}
memory::desc any_desc(const memory::dims& d) { return memory::desc(d, f32, tag::any); }
// The user's tensors: images with their strides, weights contiguous (o, i, h, w) or grouped.
memory::desc image_desc(const ConvArgs& a, bool input, const int64_t* strides) {
  return memory::desc(image_dims(a, input), f32,
                      memory::dims{strides[0], strides[1], strides[2], strides[3]});
}
memory::desc contiguous_image_desc(const ConvArgs& a, bool input) {
  return memory::desc(image_dims(a, input), f32, tag::nchw);
}
memory::desc weight_desc(const ConvArgs& a) {
  return memory::desc(weight_dims(a), f32, a.groups == 1 ? tag::oihw : tag::goihw);
}

struct Geometry {
  memory::dims strides, dilates, pad_l, pad_r;
};
Geometry geometry(const ConvArgs& a) {
  return {{a.stride_h, a.stride_w},
          {a.dilation_h - 1, a.dilation_w - 1},
          {a.pad_top, a.pad_left},
          {a.pad_bottom, a.pad_right}};
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void create_forward(Entry& e, const ConvArgs& a, const Context& ctx) {
  const Geometry g = geometry(a);
  const memory::desc bias = a.bias ? memory::desc({a.c_out}, f32, tag::x) : memory::desc();
  try {
    dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
        any_desc(image_dims(a, true)), any_desc(weight_dims(a)), bias,
        any_desc(image_dims(a, false)), g.strides, g.dilates, g.pad_l, g.pad_r);
    e.fwd_pd.emplace(d, user_scratchpad(), ctx.engine);
    e.fwd = dnnl::convolution_forward(*e.fwd_pd);
    e.supported = true;
  } catch (const dnnl::error&) {
    e.supported = false;
  }
}

Entry& lookup(const ConvArgs& a, const Context& ctx) {
  Cache& cc = cache();
  const Key key = key_of(a);
  ++cc.clock;
  Entry* oldest = nullptr;
  for (Entry& e : cc.entries) {
    if (e.key == key) {
      e.last_use = cc.clock;
      return e;
    }
    if (!oldest || e.last_use < oldest->last_use) oldest = &e;
  }
  Entry* slot = oldest;
  if (cc.entries.size() < kCapacity) slot = &cc.entries.emplace_back();
  *slot = Entry{};
  slot->key = key;
  slot->last_use = cc.clock;
  create_forward(*slot, a, ctx);
  return *slot;
}

// A buffer of the block cache for one call's reordered copy of a tensor.
struct Buffer {
  void* data = nullptr;
  std::size_t bytes = 0;
  explicit Buffer(std::size_t n) : data(n ? allocate_block(n) : nullptr), bytes(n) {}
  ~Buffer() { free_block(data, bytes); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

// The user's data as the primitive wants it: the user's memory when the layouts agree, else a
// reordered copy in `buffer`.
memory input_as(const memory::desc& want, const memory::desc& have, const void* data,
                std::optional<Buffer>& buffer, const Context& ctx) {
  memory user(have, ctx.engine, const_cast<void*>(data));
  if (want == have) return user;
  buffer.emplace(want.get_size());
  memory m(want, ctx.engine, buffer->data);
  dnnl::reorder(user, m).execute(ctx.stream, user, m);
  return m;
}

// Where the primitive writes a result the user wants in `have`: the user's memory, or a buffer
// that finish_output reorders into it.
memory output_as(const memory::desc& want, const memory::desc& have, void* data,
                 std::optional<Buffer>& buffer, const Context& ctx) {
  if (want == have) return memory(have, ctx.engine, data);
  buffer.emplace(want.get_size());
  return memory(want, ctx.engine, buffer->data);
}
void finish_output(const memory& produced, const memory::desc& have, void* data,
                   const Context& ctx) {
  if (produced.get_desc() == have) return;
  memory user(have, ctx.engine, data);
  dnnl::reorder(produced, user).execute(ctx.stream, const_cast<memory&>(produced), user);
}

memory scratch(const memory::desc& d, const Context& ctx) {
  const std::size_t bytes = d.get_size();
  return memory(d, ctx.engine, bytes ? scratchpad(bytes) : nullptr);
}

}  // namespace

bool conv_forward(const ConvArgs& a, const float* x, const float* weights, const float* bias,
                  float* dst) {
  Context& ctx = context();
  Entry& e = lookup(a, ctx);
  if (!e.supported) return false;
  const auto& pd = *e.fwd_pd;
  std::optional<Buffer> xb, wb, yb;
  memory src = input_as(pd.src_desc(), image_desc(a, true, a.src_strides), x, xb, ctx);
  memory wei = input_as(pd.weights_desc(), weight_desc(a), weights, wb, ctx);
  const memory::desc dst_user = contiguous_image_desc(a, false);
  memory out = output_as(pd.dst_desc(), dst_user, dst, yb, ctx);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_WEIGHTS, wei},
                                       {DNNL_ARG_DST, out},
                                       {DNNL_ARG_SCRATCHPAD, scratch(pd.scratchpad_desc(), ctx)}};
  if (a.bias)
    args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), ctx.engine, const_cast<float*>(bias)));
  e.fwd.execute(ctx.stream, args);
  finish_output(out, dst_user, dst, ctx);
  return true;
}

bool conv_backward_data(const ConvArgs& a, const float* dy, const float* weights, float* dx) {
  Context& ctx = context();
  Entry& e = lookup(a, ctx);
  if (!e.supported) return false;
  if (!e.data_tried) {
    e.data_tried = true;
    const Geometry g = geometry(a);
    try {
      dnnl::convolution_backward_data::desc d(
          dnnl::algorithm::convolution_direct, any_desc(image_dims(a, true)),
          any_desc(weight_dims(a)), any_desc(image_dims(a, false)), g.strides, g.dilates, g.pad_l,
          g.pad_r);
      e.data_pd.emplace(d, user_scratchpad(), ctx.engine, *e.fwd_pd);
      e.data = dnnl::convolution_backward_data(*e.data_pd);
    } catch (const dnnl::error&) {
      e.data_pd.reset();
    }
  }
  if (!e.data_pd) return false;
  const auto& pd = *e.data_pd;
  std::optional<Buffer> gb, wb, xb;
  memory diff_dst = input_as(pd.diff_dst_desc(), image_desc(a, false, a.dst_strides), dy, gb, ctx);
  memory wei = input_as(pd.weights_desc(), weight_desc(a), weights, wb, ctx);
  const memory::desc dx_user = contiguous_image_desc(a, true);
  memory diff_src = output_as(pd.diff_src_desc(), dx_user, dx, xb, ctx);
  e.data.execute(ctx.stream, {{DNNL_ARG_DIFF_DST, diff_dst},
                              {DNNL_ARG_WEIGHTS, wei},
                              {DNNL_ARG_DIFF_SRC, diff_src},
                              {DNNL_ARG_SCRATCHPAD, scratch(pd.scratchpad_desc(), ctx)}});
  finish_output(diff_src, dx_user, dx, ctx);
  return true;
}

bool conv_backward_weights(const ConvArgs& a, const float* x, const float* dy, float* dweights,
                           float* dbias) {
  Context& ctx = context();
  Entry& e = lookup(a, ctx);
  if (!e.supported) return false;
  if (!e.weights_tried) {
    e.weights_tried = true;
    const Geometry g = geometry(a);
    const memory::desc bias = a.bias ? memory::desc({a.c_out}, f32, tag::x) : memory::desc();
    try {
      dnnl::convolution_backward_weights::desc d(
          dnnl::algorithm::convolution_direct, any_desc(image_dims(a, true)),
          any_desc(weight_dims(a)), bias, any_desc(image_dims(a, false)), g.strides, g.dilates,
          g.pad_l, g.pad_r);
      e.weights_pd.emplace(d, user_scratchpad(), ctx.engine, *e.fwd_pd);
      e.weights = dnnl::convolution_backward_weights(*e.weights_pd);
    } catch (const dnnl::error&) {
      e.weights_pd.reset();
    }
  }
  if (!e.weights_pd) return false;
  const auto& pd = *e.weights_pd;
  std::optional<Buffer> xb, gb, wb;
  memory src = input_as(pd.src_desc(), image_desc(a, true, a.src_strides), x, xb, ctx);
  memory diff_dst = input_as(pd.diff_dst_desc(), image_desc(a, false, a.dst_strides), dy, gb, ctx);
  const memory::desc dw_user = weight_desc(a);
  memory diff_weights = output_as(pd.diff_weights_desc(), dw_user, dweights, wb, ctx);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_DIFF_DST, diff_dst},
                                       {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                                       {DNNL_ARG_SCRATCHPAD, scratch(pd.scratchpad_desc(), ctx)}};
  if (a.bias) args.emplace(DNNL_ARG_DIFF_BIAS, memory(pd.diff_bias_desc(), ctx.engine, dbias));
  e.weights.execute(ctx.stream, args);
  finish_output(diff_weights, dw_user, dweights, ctx);
  return true;
}

}  // namespace xgrad::dnnl_backend
