// oneDNN matmul primitives, cached per thread by shape: creating one (and its JIT kernel) costs
// tens of microseconds to milliseconds, executing a cached one costs ~0.3 µs of overhead. Every
// argument is a dnnl::memory made once with the primitive and pointed at the call's data with
// set_data_handle, and the scratchpad is the thread's (tensor/dnnl/context.hpp), so a cache hit
// creates no oneDNN object. Note: oneDNN 2.6's dnnl_primitive_execute itself builds a
// std::unordered_map of the arguments on every call (about 7 small heap blocks); no API avoids
// it (tests/optim/test_step_allocations.cpp counts those apart).
#include "tensor/dnnl/matmul.hpp"

#include <omp.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "tensor/dnnl/context.hpp"
#include "tensor/tensor.hpp"

namespace xgrad::dnnl_backend {

namespace {

using dnnl::memory;

struct Key {
  std::array<int64_t, 10> dims;  // batch, m, n, k and the six strides
  bool bias;
  int threads;
  bool operator==(const Key&) const = default;
};

struct Entry {
  Key key;
  uint64_t last_use = 0;
  bool supported = false;  // false: oneDNN has no implementation, remembered so as not to retry
  dnnl::matmul prim;
  memory src, weights, bias, dst, scratch;
  std::size_t scratch_bytes = 0;
};

// Enough for every product of a few models' training steps (an MLP step uses 3 per layer).
constexpr std::size_t kCapacity = 64;

struct Cache {
  std::vector<Entry> entries;
  uint64_t clock = 0;
  Cache() { entries.reserve(kCapacity); }
};
Cache& cache() {
  thread_local Cache c;
  return c;
}

Key key_of(const MatmulArgs& p, int threads) {
  return {{p.batch, p.m, p.n, p.k, p.a_batch, p.a_row, p.a_col, p.b_batch, p.b_row, p.b_col},
          p.bias != nullptr,
          threads};
}

// A (batch, rows, cols) operand's descriptor; a shared (batch stride 0) operand becomes a
// batch of 1 that oneDNN broadcasts.
memory::desc operand(int64_t batch, int64_t rows, int64_t cols, int64_t sb, int64_t sr,
                     int64_t sc) {
  if (batch == 0) return memory::desc({rows, cols}, memory::data_type::f32, {sr, sc});
  const bool shared = sb == 0;
  // A batch dimension of extent 1 still needs a stride that does not overlap the matrix.
  if (shared || batch == 1) sb = std::max(sr * rows, sc * cols);
  return memory::desc({shared ? 1 : batch, rows, cols}, memory::data_type::f32, {sb, sr, sc});
}

void create(Entry& e, const MatmulArgs& p, const Context& ctx) {
  const memory::desc a = operand(p.batch, p.m, p.k, p.a_batch, p.a_row, p.a_col);
  const memory::desc b = operand(p.batch, p.k, p.n, p.b_batch, p.b_row, p.b_col);
  const memory::desc c =
      p.batch ? memory::desc({p.batch, p.m, p.n}, memory::data_type::f32, {p.m * p.n, p.n, 1})
              : memory::desc({p.m, p.n}, memory::data_type::f32, {p.n, 1});
  memory::desc bias;
  if (p.bias)
    bias = p.batch ? memory::desc({1, 1, p.n}, memory::data_type::f32, {p.n, p.n, 1})
                   : memory::desc({1, p.n}, memory::data_type::f32, {p.n, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  try {
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, bias, c), attr, ctx.engine);
    e.prim = dnnl::matmul(pd);
    e.src = memory(a, ctx.engine, nullptr);
    e.weights = memory(b, ctx.engine, nullptr);
    if (p.bias) e.bias = memory(bias, ctx.engine, nullptr);
    e.dst = memory(c, ctx.engine, nullptr);
    e.scratch_bytes = pd.scratchpad_desc().get_size();
    e.scratch = memory(pd.scratchpad_desc(), ctx.engine, nullptr);
    e.supported = true;
  } catch (const dnnl::error&) {
    // No implementation for these strides (or no memory for its kernel): BLAS runs it.
    e = Entry{e.key, e.last_use};
  }
}

Entry& lookup(const MatmulArgs& p, const Context& ctx) {
  Cache& cc = cache();
  const Key key = key_of(p, omp_get_max_threads());
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
  create(*slot, p, ctx);
  return *slot;
}

}  // namespace

bool matmul(const MatmulArgs& p) {
  Context& ctx = context();
  Entry& e = lookup(p, ctx);
  if (!e.supported) return false;
  // The handles are const_cast only for the API: oneDNN reads the inputs and writes dst.
  e.src.set_data_handle(const_cast<float*>(p.a));
  e.weights.set_data_handle(const_cast<float*>(p.b));
  e.dst.set_data_handle(p.c);
  e.scratch.set_data_handle(e.scratch_bytes ? scratchpad(e.scratch_bytes) : nullptr);
  // The C entry point with the arguments on the stack: the C++ one takes an unordered_map.
  std::array<dnnl_exec_arg_t, 5> args{{{DNNL_ARG_SRC, e.src.get()},
                                       {DNNL_ARG_WEIGHTS, e.weights.get()},
                                       {DNNL_ARG_DST, e.dst.get()},
                                       {DNNL_ARG_SCRATCHPAD, e.scratch.get()},
                                       {DNNL_ARG_BIAS, nullptr}}};
  int nargs = 4;
  if (p.bias) {
    e.bias.set_data_handle(const_cast<float*>(p.bias));
    args[nargs++].memory = e.bias.get();
  }
  const dnnl_status_t status =
      dnnl_primitive_execute(e.prim.get(), ctx.stream.get(), nargs, args.data());
  if (status != dnnl_success)
    throw Error("matmul: oneDNN failed (status " + std::to_string(status) + ") on " +
                format_shape(p.batch ? Shape{p.batch, p.m, p.k} : Shape{p.m, p.k}) + " @ " +
                format_shape(p.batch ? Shape{p.batch, p.k, p.n} : Shape{p.k, p.n}));
  return true;
}

int cached_matmul_primitives() noexcept { return static_cast<int>(cache().entries.size()); }

}  // namespace xgrad::dnnl_backend
