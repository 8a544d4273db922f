// Google Benchmark: per-op overhead on tiny tensors, elementwise kernels, matmul against raw
// sgemm, Linear against the BLAS calls it makes, an Adam step, a whole MNIST-MLP training step,
// and data loading (CSV parse, IDX decode, DataLoader epoch). Each question is answered by
// benchmarks that run side by side in the same process.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <filesystem>

#include "tensor/gemm_backend.hpp"
#include "tensor/kernels.hpp"
#include "xgrad.hpp"

using namespace xgrad;

// ---- a counting allocator: every operator new in this process (xgrad allocates through it,
// tensor storage included) bumps a counter, so a benchmark can report allocations per step ----
namespace {
std::atomic<uint64_t> allocations{0};
void* counted(std::size_t n, std::size_t align) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace
void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

// Heap allocations per iteration of `step`, after `warmup` iterations.
template <class F>
double allocations_per_step(F&& step, int warmup = 5, int steps = 20) {
  for (int i = 0; i < warmup; ++i) step();
  const uint64_t before = allocations.load();
  for (int i = 0; i < steps; ++i) step();
  return static_cast<double>(allocations.load() - before) / steps;
}

// ---- the XNOR trainer's step: a 2-4-1 MLP, BCE, Adam on 4 samples (all per-op overhead) ----
void BM_XnorStep(benchmark::State& st) {
  Generator gen(0);
  nn::Sequential net{
      std::make_shared<nn::Linear>(2, 4, true, &gen), std::make_shared<nn::Sigmoid>(),
      std::make_shared<nn::Linear>(4, 1, true, &gen), std::make_shared<nn::Sigmoid>()};
  optim::Adam opt(net.parameters(), {.lr = 0.05});
  nn::BCELoss bce;
  Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}), y = tensor({{1}, {0}, {0}, {1}});
  for (auto _ : st) {
    opt.zero_grad();
    bce(net(x), y).backward();
    opt.step();
  }
}
BENCHMARK(BM_XnorStep);

// ---- tiny-op overhead: a chain of 200 ops ----
Tensor chain(const Tensor& x, int ops) {
  Tensor y = x;
  for (int i = 0; i < ops / 4; ++i) y = tanh(y * 0.9 + 0.1) - y * 0.01;
  return y;
}

void BM_TinyChainForward(benchmark::State& st) {
  const int64_t n = st.range(0);
  Tensor x = ones({n, n}, {float32, true});
  for (auto _ : st) benchmark::DoNotOptimize(chain(x, 200));
  st.SetItemsProcessed(st.iterations() * 200);  // items = ops
}
BENCHMARK(BM_TinyChainForward)->Arg(1)->Arg(4);

void BM_TinyChainForwardBackward(benchmark::State& st) {
  const int64_t n = st.range(0);
  Tensor x = ones({n, n}, {float32, true});
  for (auto _ : st) {
    chain(x, 200).sum().backward();
    x.zero_grad();
  }
  st.SetItemsProcessed(st.iterations() * 200);
}
BENCHMARK(BM_TinyChainForwardBackward)->Arg(1)->Arg(4);

void BM_TinyChainNoGrad(benchmark::State& st) {
  Tensor x = ones({1, 1}, {float32, true});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(chain(x, 200));
  st.SetItemsProcessed(st.iterations() * 200);
}
BENCHMARK(BM_TinyChainNoGrad);

// ---- elementwise kernels ----
void BM_Add(benchmark::State& st) {
  Tensor a = randn({st.range(0)}), b = randn({st.range(0)});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(a + b);
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_Add)->Arg(64 * 128)->Arg(1 << 20);

void BM_Exp(benchmark::State& st) {
  Tensor a = randn({st.range(0)});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(exp(a));
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_Exp)->Arg(64 * 128)->Arg(1 << 20);

void BM_Relu(benchmark::State& st) {
  Tensor a = randn({st.range(0)});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(relu(a));
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_Relu)->Arg(64 * 128)->Arg(1 << 20);

void BM_AddBroadcastRow(benchmark::State& st) {
  Tensor a = randn({64, 128}), b = randn({128});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(a + b);
  st.SetItemsProcessed(st.iterations() * 64 * 128);
}
BENCHMARK(BM_AddBroadcastRow);

// ---- strided operands: a transposed input against the contiguous case (Arg 0 / 1) ----
void BM_AddTransposed(benchmark::State& st) {
  const int64_t n = 512;
  Tensor a = randn({n, n}), b = randn({n, n});
  Tensor lhs = st.range(0) ? a.t() : a.t().contiguous();
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(st.range(0) == 2 ? lhs.contiguous() + b : lhs + b);
  st.SetItemsProcessed(st.iterations() * n * n);
  st.SetLabel(st.range(0) == 0   ? "contiguous"
              : st.range(0) == 1 ? "transposed view"
                                 : "copied first");
}
BENCHMARK(BM_AddTransposed)->DenseRange(0, 2);

// A unary op on 512x512 operands of each layout: contiguous (0), a transposed view (1: the result
// keeps its layout, one flat pass), a column slice (2: rows with gaps, walked row by row), stepped
// columns (3: each row gathered into a small buffer), and the same stepped columns copied to
// contiguous first (4), the alternative that 3 must beat.
Tensor strided_operand(int64_t layout) {
  const int64_t n = 512;
  switch (layout) {
    case 0:
      return randn({n, n});
    case 1:
      return randn({n, n}).t();
    case 2:
      return slice(randn({n, 2 * n}), 1, 0, n);
    default:
      return slice(randn({n, 2 * n}), 1, 0, 2 * n, 2);
  }
}
const char* strided_label(int64_t layout) {
  static const char* labels[] = {"contiguous", "transposed view", "column slice", "stepped columns",
                                 "stepped columns, copied first"};
  return labels[layout];
}
template <Tensor (*Op)(const Tensor&)>
void unary_strided(benchmark::State& st) {
  Tensor x = strided_operand(st.range(0));
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(st.range(0) == 4 ? Op(x.contiguous()) : Op(x));
  st.SetItemsProcessed(st.iterations() * x.numel());
  st.SetLabel(strided_label(st.range(0)));
}
void BM_ExpStrided(benchmark::State& st) { unary_strided<exp>(st); }
void BM_ReluStrided(benchmark::State& st) { unary_strided<relu>(st); }
BENCHMARK(BM_ExpStrided)->DenseRange(0, 4);
BENCHMARK(BM_ReluStrided)->DenseRange(0, 4);

// A reduction over a transposed view (summed over the dense block underneath) and a GEMM of one
// (passed to BLAS as a transposition flag), against their contiguous inputs.
void BM_SumDimTransposed(benchmark::State& st) {
  const int64_t n = 512;
  Tensor a = randn({n, n});
  Tensor x = st.range(0) ? a.t() : a.t().contiguous();
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(sum(x, {1}));
  st.SetItemsProcessed(st.iterations() * n * n);
  st.SetLabel(st.range(0) ? "transposed view (reduced underneath)" : "contiguous");
}
BENCHMARK(BM_SumDimTransposed)->Arg(0)->Arg(1);

// index_select of 256 rows and argmax along a dim of 512x512 operands, in place and copied to
// contiguous first: contiguous (0), a transposed view (1), the view copied first (2), a column
// slice of a 512x1024 tensor (3), the slice copied first (4).
Tensor copy_case_operand(int64_t arg) {
  return arg <= 2 ? strided_operand(arg == 0 ? 0 : 1) : strided_operand(2);
}
const char* copy_label(int64_t arg) {
  static const char* labels[] = {"contiguous", "transposed view", "transposed, copied first",
                                 "column slice", "column slice, copied first"};
  return labels[arg];
}
bool copied_first(int64_t arg) { return arg == 2 || arg == 4; }
void BM_IndexSelectStrided(benchmark::State& st) {
  Tensor x = copy_case_operand(st.range(0));
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < 256; ++i) rows.push_back((i * 37) % 512);
  NoGradGuard guard;
  for (auto _ : st)
    benchmark::DoNotOptimize(copied_first(st.range(0)) ? index_select(x.contiguous(), 0, rows)
                                                       : index_select(x, 0, rows));
  st.SetLabel(copy_label(st.range(0)));
}
BENCHMARK(BM_IndexSelectStrided)->DenseRange(0, 4);

void BM_ArgmaxStrided(benchmark::State& st) {
  Tensor x = copy_case_operand(st.range(0));
  NoGradGuard guard;
  for (auto _ : st)
    benchmark::DoNotOptimize(copied_first(st.range(0)) ? argmax(x.contiguous(), 1) : argmax(x, 1));
  st.SetLabel(copy_label(st.range(0)));
}
BENCHMARK(BM_ArgmaxStrided)->DenseRange(0, 4);

void BM_MatmulTransposed(benchmark::State& st) {
  Tensor a = randn({784, 64}), b = randn({784, 128});
  Tensor lhs = st.range(0) ? a.t() : a.t().contiguous();  // (64, 784)
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(matmul(lhs, b));
  st.SetLabel(st.range(0) ? "transposed view (a BLAS flag)" : "contiguous");
}
BENCHMARK(BM_MatmulTransposed)->Arg(0)->Arg(1);

// A chain of views (transpose, slice, select, unsqueeze, expand) then a reduction, forward and
// backward; Arg 1 clones after every view (a copy per op, as before views existed, plus the
// clone's node).
void BM_ViewChain(benchmark::State& st) {
  Tensor x = randn({64, 128}, {float32, true});
  const bool copy = st.range(0);
  auto step = [copy](const Tensor& t) { return copy ? t.clone() : t; };
  for (auto _ : st) {
    Tensor v = step(x.t());
    v = step(slice(v, 0, 0, 96, 2));
    v = step(select(v, 1, 3));
    v = step(expand(unsqueeze(v, 0), {16, 48}));
    Tensor y = sum(v * v);
    y.backward();
    x.zero_grad(true);
  }
  st.SetLabel(copy ? "views + clone" : "views");
}
BENCHMARK(BM_ViewChain)->Arg(0)->Arg(1);

// ---- matmul vs raw sgemm, 64x784 @ 784x128 ----
void BM_Matmul(benchmark::State& st) {
  Tensor a = randn({64, 784}), b = randn({784, 128});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize(matmul(a, b));
}
BENCHMARK(BM_Matmul);

void BM_RawSgemm(benchmark::State& st) {
  std::vector<float> a(64 * 784, 0.5f), b(784 * 128, 0.25f), c(64 * 128);
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 128, 784, 1.0f, a.data(), 784,
                b.data(), 128, 0.0f, c.data(), 128);
    benchmark::DoNotOptimize(c.data());
  }
}
BENCHMARK(BM_RawSgemm);

// ---- which library runs a float32 product of a given size: kernels::matmul forced onto
// OpenBLAS (backend 0) or oneDNN (1), one thread; kernels_linalg.cpp's threshold comes from
// where the two cross. Args: m, n, k, backend ----
void BM_GemmBackend(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  const bool dnnl = st.range(3);
  if (dnnl && !kernels::onednn_available()) {
    st.SkipWithError("built without oneDNN");
    return;
  }
  set_num_threads(1);
  Tensor a = randn({m, k}), b = randn({n, k});  // b as a weight, passed transposed
  const kernels::GemmBackend saved = kernels::set_gemm_backend(
      dnnl ? kernels::GemmBackend::onednn : kernels::GemmBackend::openblas);
  for (auto _ : st) benchmark::DoNotOptimize(kernels::matmul(a, b, false, true));
  kernels::set_gemm_backend(saved);
  st.counters["MACs"] = static_cast<double>(m * n * k);
  st.SetLabel(dnnl ? "onednn" : "openblas");
}
BENCHMARK(BM_GemmBackend)->Apply([](benchmark::internal::Benchmark* b) {
  for (int64_t s : {2, 4, 8, 12, 16, 24, 32, 48, 64})
    for (int64_t backend : {0, 1}) b->Args({s, s, s, backend});
  for (int64_t backend : {0, 1}) {
    b->Args({4, 4, 2, backend});     // the XNOR net's layer
    b->Args({16, 10, 64, backend});  // an MLP's last layer at batch 16
    b->Args({64, 10, 64, backend});  // ... at batch 64
    b->Args({64, 64, 128, backend});
    b->Args({64, 128, 784, backend});
  }
});

// ---- Linear(784, 128) forward + backward at batch 64 vs its three GEMMs ----
void BM_LinearForwardBackward(benchmark::State& st) {
  nn::Linear fc(784, 128);
  Tensor x = randn({64, 784}, {float32, true});
  Tensor g = ones({64, 128});
  for (auto _ : st) {
    fc(x).backward(g);
    fc.zero_grad();
    x.zero_grad();
  }
}
BENCHMARK(BM_LinearForwardBackward);

void BM_LinearRawBlas(benchmark::State& st) {
  std::vector<float> x(64 * 784, 0.5f), w(128 * 784, 0.1f), bias(128, 0.f), y(64 * 128),
      g(64 * 128, 1.f), dx(64 * 784), dw(128 * 784), db(128);
  for (auto _ : st) {
    for (int i = 0; i < 64; ++i) std::copy(bias.begin(), bias.end(), y.begin() + i * 128);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 64, 128, 784, 1.f, x.data(), 784, w.data(),
                784, 1.f, y.data(), 128);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 784, 128, 1.f, g.data(), 128,
                w.data(), 784, 0.f, dx.data(), 784);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 128, 784, 64, 1.f, g.data(), 128, x.data(),
                784, 1.f, dw.data(), 784);
    for (int i = 0; i < 64; ++i)
      for (int j = 0; j < 128; ++j) db[j] += g[i * 128 + j];
    benchmark::DoNotOptimize(dw.data());
  }
}
BENCHMARK(BM_LinearRawBlas);

// ---- the MNIST MLP (784-128-64-10, 109,386 parameters) ----
std::shared_ptr<nn::Sequential> mnist_mlp() {
  Generator gen(0);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(784, 128, true, &gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(128, 64, true, &gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(64, 10, true, &gen)});
}

void BM_AdamStepMnistMlp(benchmark::State& st) {
  auto model = mnist_mlp();
  for (Tensor& p : model->parameters()) p.set_grad(randn_like(p));
  optim::Adam opt(model->parameters(), {.lr = 1e-3});
  for (auto _ : st) opt.step();
  st.counters["params"] = static_cast<double>(model->num_parameters());
}
BENCHMARK(BM_AdamStepMnistMlp);

void BM_MnistMlpTrainStep(benchmark::State& st) {
  set_num_threads(static_cast<int>(st.range(0)));
  auto model = mnist_mlp();
  optim::Adam opt(model->parameters(), {.lr = 1e-3});
  Generator gen(1);
  Tensor x = rand({64, 784}, float32, &gen);
  Tensor y = full({64}, 3, int64);
  nn::CrossEntropyLoss loss_fn;
  auto step = [&] {
    opt.zero_grad();
    loss_fn((*model)(x), y).backward();
    opt.step();
  };
  st.counters["allocs_per_step"] = allocations_per_step(step);
  for (auto _ : st) step();
  set_num_threads(1);
}
BENCHMARK(BM_MnistMlpTrainStep)->Arg(1)->Arg(2)->UseRealTime();

void BM_MnistMlpInference(benchmark::State& st) {
  auto model = mnist_mlp();
  Tensor x = rand({64, 784});
  NoGradGuard guard;
  for (auto _ : st) benchmark::DoNotOptimize((*model)(x));
}
BENCHMARK(BM_MnistMlpInference);

// ---- data ----
std::string data_dir() {
  if (const char* env = std::getenv("XGRAD_DATA")) return env;
  return XGRAD_DATA_DIR;
}

void BM_CsvParseBoston(benchmark::State& st) {
  std::string path = data_dir() + "/boston/boston_house_prices.csv";
  if (!std::filesystem::exists(path)) return st.SkipWithError("Boston CSV not found");
  for (auto _ : st)
    benchmark::DoNotOptimize(data::read_csv(path, {.skip_lines = 1, .target = "MEDV"}));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path)));
}
BENCHMARK(BM_CsvParseBoston)->Unit(benchmark::kMillisecond);

void BM_IdxDecodeMnistTrain(benchmark::State& st) {
  std::string dir = data_dir() + "/mnist";
  if (!std::filesystem::exists(dir)) return st.SkipWithError("MNIST not found");
  for (auto _ : st) benchmark::DoNotOptimize(data::load_mnist(dir, true));
  st.SetBytesProcessed(st.iterations() * 47040016);  // uncompressed image bytes
}
BENCHMARK(BM_IdxDecodeMnistTrain)->Unit(benchmark::kMillisecond)->Iterations(3);

// A shuffled epoch at batch 64 over 60,000 synthetic 28×28 images, stored as float32 rows
// (TensorDataset) and as bytes (ByteImageDataset, what the MNIST trainer uses).
std::shared_ptr<data::ByteImageDataset> synthetic_mnist_bytes() {
  std::vector<uint8_t> pixels(60000 * 784);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 131 % 251);
  return std::make_shared<data::ByteImageDataset>(std::move(pixels), Shape{28, 28},
                                                  zeros({60000}, int64));  // class indices
}

void loader_epochs(benchmark::State& st, std::shared_ptr<const data::Dataset> ds) {
  data::DataLoader loader(std::move(ds), {.batch_size = 64, .shuffle = true, .seed = 0});
  for (auto _ : st)
    for (const data::Batch& b : loader) benchmark::DoNotOptimize(b.inputs.raw_data());
}
void BM_DataLoaderEpochMnistFloat(benchmark::State& st) {
  loader_epochs(st, std::make_shared<data::TensorDataset>(rand({60000, 28, 28}), zeros({60000})));
}
BENCHMARK(BM_DataLoaderEpochMnistFloat)->Unit(benchmark::kMillisecond);
void BM_DataLoaderEpochMnistBytes(benchmark::State& st) {
  loader_epochs(st, synthetic_mnist_bytes());
}
BENCHMARK(BM_DataLoaderEpochMnistBytes)->Unit(benchmark::kMillisecond);
// The same epoch with the batches made ahead on a worker thread (prefetch): what the hand-over
// between threads costs per batch. Wall time: the work is on the worker.
void BM_DataLoaderEpochMnistBytesPrefetch(benchmark::State& st) {
  data::DataLoader loader(synthetic_mnist_bytes(),
                          {.batch_size = 64, .shuffle = true, .seed = 0, .prefetch = true});
  for (auto _ : st)
    for (const data::Batch& b : loader) benchmark::DoNotOptimize(b.inputs.raw_data());
}
BENCHMARK(BM_DataLoaderEpochMnistBytesPrefetch)->Unit(benchmark::kMillisecond)->UseRealTime();
// With N worker threads (the machine's cores bound what more than one can gain).
void BM_DataLoaderEpochMnistBytesWorkers(benchmark::State& st) {
  data::DataLoader loader(
      synthetic_mnist_bytes(),
      {.batch_size = 64, .shuffle = true, .seed = 0, .num_workers = st.range(0)});
  for (auto _ : st)
    for (const data::Batch& b : loader) benchmark::DoNotOptimize(b.inputs.raw_data());
}
BENCHMARK(BM_DataLoaderEpochMnistBytesWorkers)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A whole training epoch of the MNIST MLP over the byte dataset; `loader_share` is the fraction
// of the epoch the training loop spends waiting for batches (the bound: under 5%), with
// batches assembled in the loop (arg 0) or prefetched on a background thread (arg 1).
void BM_MnistMlpTrainEpoch(benchmark::State& st) {
  auto model = mnist_mlp();
  optim::Adam opt(model->parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss loss_fn;
  data::DataLoader loader(
      synthetic_mnist_bytes(),
      {.batch_size = 64, .shuffle = true, .seed = 0, .prefetch = st.range(0) == 1});
  using clock = std::chrono::steady_clock;
  clock::duration loading{}, total{};
  for (auto _ : st) {
    const auto epoch_start = clock::now();
    auto t = clock::now();
    for (auto it = loader.begin(); it != loader.end(); ++it) {
      const data::Batch& b = *it;
      loading += clock::now() - t;
      opt.zero_grad();
      loss_fn((*model)(reshape(b.inputs, {-1, 784})), b.targets).backward();
      opt.step();
      t = clock::now();
    }
    total += clock::now() - epoch_start;
  }
  st.counters["loader_share"] =
      std::chrono::duration<double>(loading) / std::chrono::duration<double>(total);
}
BENCHMARK(BM_MnistMlpTrainEpoch)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  set_num_threads(1);  // single-threaded unless a benchmark says otherwise
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
