// xgrad vs libtorch, side by side in one process on the same synthetic data: each workload is
// timed in alternating rounds (xgrad, libtorch, xgrad, ...) after a warm-up, and the median of
// the per-round means is reported with the ratio libtorch/xgrad. For the MLP rows the floors are
// timed too: the same sequence of GEMMs as bare cblas_sgemm calls (what a BLAS-bound framework
// gets) and as bare oneDNN matmul primitives. One core's FMA peak is measured at start-up, and
// every GEMM-heavy row is given as a percent of it (its FLOPs / time / peak). Prints a markdown
// table of ratios and percents; the times go to stderr.
#include <cblas.h>
#include <immintrin.h>
#include <torch/torch.h>

#include "xgrad_config.hpp"
#if XGRAD_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "xgrad.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double time_per_iter(const std::function<void()>& f, int iters) {
  auto t0 = Clock::now();
  for (int i = 0; i < iters; ++i) f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / iters;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Row {
  std::string name;
  double ours, theirs, floor, dnnl_floor;  // µs; a floor < 0 when not measured
  double flops;                            // 0 for rows that are not GEMM-bound
};
std::vector<Row> rows;

// ---- one core's peak: independent FMA chains, enough of them to cover the FMA latency times
// the FMA ports (4 cycles x 2 ports on Zen 4/5 and recent Intel cores); 16 chains of vectors ----
constexpr int kChains = 16;

__attribute__((target("avx512f"), noinline)) double fma_loop_avx512(long iters) {
  __m512 acc[kChains];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long n = 0; n < iters; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm512_reduce_add_ps(acc[i]);
  return sum;
}

__attribute__((target("avx2,fma"), noinline)) double fma_loop_avx2(long iters) {
  __m256 acc[kChains];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long n = 0; n < iters; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  alignas(32) float lanes[8];
  float sum = 0;
  for (int i = 0; i < kChains; ++i) {
    _mm256_store_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

struct Peak {
  double gflops;
  const char* isa;
};
// The best of a few ~50 ms runs (the machine is shared; the fastest run is the closest to the
// core's own figure).
Peak measure_peak() {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int lanes = avx512 ? 16 : 8;
  const long iters = 2'000'000;
  double best = 0, sink = 0;
  for (int r = 0; r < 7; ++r) {
    auto t0 = Clock::now();
    sink += avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, 2.0 * lanes * kChains * iters / s / 1e9);
  }
  if (sink == 42) std::fprintf(stderr, " ");  // keeps the loops' results alive
  return {best, avx512 ? "AVX-512" : "AVX2"};
}

// Both runtimes keep idle worker threads spinning after their last parallel call (OpenBLAS for
// ~0.1 s, libgomp for a while too). On 2 cores a round that starts while the other runtime's
// workers still spin measures the fight between thread pools, not the candidate, so every round
// starts after a pause long enough for all of them to park.
void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(150)); }

// Alternates rounds of the candidates; returns the median per-iteration time of each.
std::vector<double> race(std::vector<std::function<void()>> fs, int iters, int rounds) {
  for (auto& f : fs) time_per_iter(f, std::max(1, iters / 4));  // warm-up
  std::vector<std::vector<double>> t(fs.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < fs.size(); ++i) {
      settle();
      t[i].push_back(time_per_iter(fs[i], iters));
    }
  std::vector<double> out;
  for (auto& v : t) out.push_back(median(v));
  return out;
}

void record(const std::string& name, std::function<void()> ours, std::function<void()> theirs,
            int iters, std::function<void()> floor = nullptr, int rounds = 15,
            std::function<void()> dnnl_floor = nullptr, double flops = 0) {
  std::vector<std::function<void()>> fs{ours, theirs};
  if (floor) fs.push_back(floor);
  if (dnnl_floor) fs.push_back(dnnl_floor);
  auto t = race(fs, iters, rounds);
  rows.push_back({name, t[0], t[1], floor ? t[2] : -1, dnnl_floor ? t.back() : -1, flops});
  std::fprintf(stderr, "  %-44s xgrad %10.2f us   libtorch %10.2f us", name.c_str(), t[0], t[1]);
  if (floor) std::fprintf(stderr, "   BLAS floor %10.2f us", t[2]);
  if (dnnl_floor) std::fprintf(stderr, "   oneDNN floor %10.2f us", t.back());
  std::fprintf(stderr, "\n");
}

// ---------------- workloads ----------------

void xnor_step() {
  using namespace xgrad;
  Generator gen(0);
  nn::Sequential net{
      std::make_shared<nn::Linear>(2, 4, true, &gen), std::make_shared<nn::Sigmoid>(),
      std::make_shared<nn::Linear>(4, 1, true, &gen), std::make_shared<nn::Sigmoid>()};
  optim::Adam opt(net.parameters(), {.lr = 0.05});
  nn::BCELoss bce;
  Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}), y = tensor({{1}, {0}, {0}, {1}});

  torch::nn::Sequential tnet(torch::nn::Linear(2, 4), torch::nn::Sigmoid(), torch::nn::Linear(4, 1),
                             torch::nn::Sigmoid());
  torch::optim::Adam topt(tnet->parameters(), torch::optim::AdamOptions(0.05));
  auto tx = torch::tensor({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}).reshape({4, 2});
  auto ty = torch::tensor({1.f, 0.f, 0.f, 1.f}).reshape({4, 1});
  record(
      "XNOR training step (Adam, 4 samples)",
      [&] {
        opt.zero_grad();
        bce(net(x), y).backward();
        opt.step();
      },
      [&] {
        topt.zero_grad();
        torch::binary_cross_entropy(tnet->forward(tx), ty).backward();
        topt.step();
      },
      2000);
}

void tiny_chain(int64_t n) {
  using namespace xgrad;
  Tensor x = ones({n, n}, {float32, true});
  auto tx = torch::ones({n, n}, torch::requires_grad());
  auto ours = [&] {
    Tensor y = x;
    for (int i = 0; i < 50; ++i) y = tanh(y * 0.9 + 0.1) - y * 0.01;
    y.sum().backward();
    x.zero_grad();
  };
  auto theirs = [&] {
    torch::Tensor y = tx;
    for (int i = 0; i < 50; ++i) y = torch::tanh(y * 0.9 + 0.1) - y * 0.01;
    y.sum().backward();
    tx.mutable_grad().zero_();
  };
  record("200 tiny ops " + std::to_string(n) + "x" + std::to_string(n) + ", forward+backward", ours,
         theirs, 200);
}

// MLP pieces shared by the MNIST and the large MLP.
struct Mlp {
  std::vector<int64_t> sizes;
  int64_t batch;
  std::shared_ptr<xgrad::nn::Sequential> net;
  std::unique_ptr<xgrad::optim::Adam> opt;
  xgrad::Tensor x, y;
  torch::nn::Sequential tnet;
  std::unique_ptr<torch::optim::Adam> topt;
  torch::Tensor tx, ty;

  Mlp(std::vector<int64_t> s, int64_t b) : sizes(std::move(s)), batch(b) {
    using namespace xgrad;
    Generator gen(0);
    net = std::make_shared<nn::Sequential>();
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      net->add(std::make_shared<nn::Linear>(sizes[i], sizes[i + 1], true, &gen));
      tnet->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
      if (i + 2 < sizes.size()) {
        net->add(std::make_shared<nn::ReLU>());
        tnet->push_back(torch::nn::ReLU());
      }
    }
    opt = std::make_unique<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 1e-3});
    topt =
        std::make_unique<torch::optim::Adam>(tnet->parameters(), torch::optim::AdamOptions(1e-3));
    x = rand({batch, sizes[0]}, float32, &gen);
    std::vector<int64_t> labels(static_cast<std::size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) labels[i] = i % sizes.back();
    y = from_vector(labels, {batch}, xgrad::int64);
    tx = torch::from_blob(x.data<float>(), {batch, sizes[0]}).clone();
    ty = torch::arange(batch, torch::kLong).remainder(sizes.back());
  }
  void step() {
    opt->zero_grad();
    xgrad::nn::functional::cross_entropy((*net)(x), y).backward();
    opt->step();
  }
  void torch_step() {
    topt->zero_grad();
    torch::nn::functional::cross_entropy(tnet->forward(tx), ty).backward();
    topt->step();
  }
};

// The GEMMs of one training step: the forward y = x Wᵀ per layer, then from the last layer down
// dW = dyᵀ x and (but for the first layer) dx = dy W; or the forward alone.
struct Gemm {
  bool ta, tb;
  int64_t m, n, k;
};
std::vector<Gemm> step_gemms(const std::vector<int64_t>& sizes, int64_t batch, bool with_backward) {
  std::vector<Gemm> g;
  const std::size_t L = sizes.size() - 1;
  for (std::size_t i = 0; i < L; ++i) g.push_back({false, true, batch, sizes[i + 1], sizes[i]});
  if (!with_backward) return g;
  for (std::size_t i = L; i-- > 0;) {
    g.push_back({true, false, sizes[i + 1], sizes[i], batch});
    if (i > 0) g.push_back({false, false, batch, sizes[i], sizes[i + 1]});
  }
  return g;
}
double step_flops(const std::vector<int64_t>& sizes, int64_t batch, bool with_backward = true) {
  double f = 0;
  for (const Gemm& g : step_gemms(sizes, batch, with_backward)) f += 2.0 * g.m * g.n * g.k;
  return f;
}

// The same GEMMs as bare oneDNN matmul primitives (created here once, executed in the loop), on
// buffers as large as the largest operand.
std::function<void()> dnnl_floor(const std::vector<int64_t>& sizes, int64_t batch,
                                 bool with_backward = true) {
#if XGRAD_HAVE_DNNL
  using dnnl::memory;
  struct State {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{eng};
    std::vector<dnnl::matmul> prims;
    std::vector<std::unordered_map<int, memory>> args;
    std::vector<std::vector<float>> bufs;
  };
  auto st = std::make_shared<State>();
  for (const Gemm& g : step_gemms(sizes, batch, with_backward)) {
    memory::desc a({g.m, g.k}, memory::data_type::f32,
                   g.ta ? memory::dims{1, g.m} : memory::dims{g.k, 1});
    memory::desc b({g.k, g.n}, memory::data_type::f32,
                   g.tb ? memory::dims{1, g.k} : memory::dims{g.n, 1});
    memory::desc c({g.m, g.n}, memory::data_type::f32, memory::dims{g.n, 1});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), st->eng);
    st->prims.emplace_back(pd);
    for (int64_t n : {g.m * g.k, g.k * g.n, g.m * g.n}) st->bufs.emplace_back(n, 0.5f);
    const std::size_t last = st->bufs.size();
    st->args.push_back({{DNNL_ARG_SRC, memory(a, st->eng, st->bufs[last - 3].data())},
                        {DNNL_ARG_WEIGHTS, memory(b, st->eng, st->bufs[last - 2].data())},
                        {DNNL_ARG_DST, memory(c, st->eng, st->bufs[last - 1].data())}});
  }
  return [st] {
    for (std::size_t i = 0; i < st->prims.size(); ++i)
      st->prims[i].execute(st->stream, st->args[i]);
  };
#else
  return nullptr;
#endif
}

// The GEMMs of one training step (forward, input and weight gradients) with nothing else, or of
// the forward pass alone.
std::function<void()> blas_floor(const std::vector<int64_t>& sizes, int64_t batch,
                                 bool with_backward = true) {
  auto bufs = std::make_shared<std::vector<std::vector<float>>>();
  for (std::size_t i = 0; i < sizes.size(); ++i)
    bufs->emplace_back(batch * sizes[i], 0.5f);  // activations
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
    bufs->emplace_back(sizes[i] * sizes[i + 1], 0.01f);  // weights
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
    bufs->emplace_back(sizes[i] * sizes[i + 1], 0.f);  // weight grads
  for (std::size_t i = 0; i < sizes.size(); ++i)
    bufs->emplace_back(batch * sizes[i], 0.f);  // activation grads
  return [bufs, sizes, batch, with_backward] {
    auto& b = *bufs;
    const std::size_t L = sizes.size() - 1, A = 0, W = sizes.size(), G = W + L, D = G + L;
    for (std::size_t i = 0; i < L; ++i)  // y = x Wᵀ
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, sizes[i + 1], sizes[i], 1.f,
                  b[A + i].data(), sizes[i], b[W + i].data(), sizes[i], 0.f, b[A + i + 1].data(),
                  sizes[i + 1]);
    if (!with_backward) return;
    for (std::size_t i = L; i-- > 0;) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, sizes[i + 1], sizes[i], batch, 1.f,
                  b[D + i + 1].data(), sizes[i + 1], b[A + i].data(), sizes[i], 0.f,
                  b[G + i].data(), sizes[i]);  // dW = dyᵀ x
      if (i > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, sizes[i], sizes[i + 1], 1.f,
                    b[D + i + 1].data(), sizes[i + 1], b[W + i].data(), sizes[i], 0.f,
                    b[D + i].data(), sizes[i]);
    }
  };
}

void mlp_step(const std::string& name, std::vector<int64_t> sizes, int64_t batch, int threads,
              int iters) {
  xgrad::set_num_threads(threads);
  torch::set_num_threads(threads);
  Mlp m(sizes, batch);
  record(
      name + ", " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""),
      [&] { m.step(); }, [&] { m.torch_step(); }, iters, blas_floor(sizes, batch), 11,
      dnnl_floor(sizes, batch), step_flops(sizes, batch));
}

void mlp_inference() {
  xgrad::set_num_threads(1);
  torch::set_num_threads(1);
  Mlp m({784, 128, 64, 10}, 64);
  record(
      "MNIST MLP inference, batch 64, no-grad",
      [&] {
        xgrad::NoGradGuard g;
        (*m.net)(m.x);
      },
      [&] {
        torch::NoGradGuard g;
        m.tnet->forward(m.tx);
      },
      2000, blas_floor(m.sizes, m.batch, false), 15, dnnl_floor(m.sizes, m.batch, false),
      step_flops(m.sizes, m.batch, false));
}

void adam_only() {
  xgrad::set_num_threads(1);
  torch::set_num_threads(1);
  Mlp m({784, 128, 64, 10}, 64);
  m.step();
  m.torch_step();
  record(
      "Adam step alone (109,386 parameters)", [&] { m.opt->step(); }, [&] { m.topt->step(); },
      2000);
}

// ---- convolution layers: one layer's forward + backward (input and weight gradients), the
// LeNet training step, BatchNorm2d ----

double conv_flops(int64_t n, int64_t cin, int64_t cout, int64_t k, int64_t out_hw) {
  return 3.0 * 2.0 * static_cast<double>(n * cout * out_hw * out_hw * cin * k * k);  // fwd, dx, dW
}

void conv_layer(const std::string& name, int64_t n, int64_t cin, int64_t cout, int64_t k,
                int64_t hw, int64_t pad, int iters, int rounds) {
  using namespace xgrad;
  Generator gen(0);
  nn::Conv2d conv(cin, cout, k, {.padding = pad}, &gen);
  Tensor x = rand({n, cin, hw, hw}, {float32, true}, &gen);
  torch::nn::Conv2d tconv(torch::nn::Conv2dOptions(cin, cout, k).padding(pad));
  torch::Tensor tx = torch::from_blob(x.data<float>(), {n, cin, hw, hw}).clone().requires_grad_();
  const int64_t out = hw + 2 * pad - k + 1;
  record(
      name,
      [&] {
        x.zero_grad(true);
        conv.zero_grad();
        sum(conv(x)).backward();
      },
      [&] {
        tx.mutable_grad() = torch::Tensor();
        tconv->zero_grad();
        tconv->forward(tx).sum().backward();
      },
      iters, nullptr, rounds, nullptr, conv_flops(n, cin, cout, k, out));
}

struct LeNet {
  std::shared_ptr<xgrad::nn::Sequential> net;
  std::unique_ptr<xgrad::optim::Adam> opt;
  xgrad::Tensor x, y;
  torch::nn::Sequential tnet;
  std::unique_ptr<torch::optim::Adam> topt;
  torch::Tensor tx, ty;

  explicit LeNet(int64_t batch) {
    using namespace xgrad;
    using std::make_shared;
    Generator gen(0);
    net = make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        make_shared<nn::Conv2d>(1, 6, 5, nn::Conv2dOptions{.padding = 2}, &gen),
        make_shared<nn::ReLU>(), make_shared<nn::MaxPool2d>(2),
        make_shared<nn::Conv2d>(6, 16, 5, nn::Conv2dOptions{}, &gen), make_shared<nn::ReLU>(),
        make_shared<nn::MaxPool2d>(2), make_shared<nn::Flatten>(),
        make_shared<nn::Linear>(400, 120, true, &gen), make_shared<nn::ReLU>(),
        make_shared<nn::Linear>(120, 84, true, &gen), make_shared<nn::ReLU>(),
        make_shared<nn::Linear>(84, 10, true, &gen)});
    namespace tn = torch::nn;
    tnet = tn::Sequential(tn::Conv2d(tn::Conv2dOptions(1, 6, 5).padding(2)), tn::ReLU(),
                          tn::MaxPool2d(2), tn::Conv2d(6, 16, 5), tn::ReLU(), tn::MaxPool2d(2),
                          tn::Flatten(), tn::Linear(400, 120), tn::ReLU(), tn::Linear(120, 84),
                          tn::ReLU(), tn::Linear(84, 10));
    opt = std::make_unique<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 1e-3});
    topt =
        std::make_unique<torch::optim::Adam>(tnet->parameters(), torch::optim::AdamOptions(1e-3));
    x = rand({batch, 1, 28, 28}, float32, &gen);
    std::vector<int64_t> labels(static_cast<std::size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) labels[i] = i % 10;
    y = from_vector(labels, {batch}, xgrad::int64);
    tx = torch::from_blob(x.data<float>(), {batch, 1, 28, 28}).clone();
    ty = torch::arange(batch, torch::kLong).remainder(10);
  }
  void step() {
    opt->zero_grad();
    xgrad::nn::functional::cross_entropy((*net)(x), y).backward();
    opt->step();
  }
  void torch_step() {
    topt->zero_grad();
    torch::nn::functional::cross_entropy(tnet->forward(tx), ty).backward();
    topt->step();
  }
};

void lenet_step() {
  LeNet m(64);
  // conv1 (1→6, 5×5, 28×28 out), conv2 (6→16, 5×5, 10×10 out), then the MLP 400-120-84-10.
  const double flops = conv_flops(64, 1, 6, 5, 28) * 2 / 3 /* no dx for the input */ +
                       conv_flops(64, 6, 16, 5, 10) + step_flops({400, 120, 84, 10}, 64);
  record(
      "LeNet training step, batch 64 (Adam)", [&] { m.step(); }, [&] { m.torch_step(); }, 50,
      nullptr, 11, nullptr, flops);
}

void batchnorm_layer() {
  using namespace xgrad;
  Generator gen(0);
  nn::BatchNorm2d bn(64);
  Tensor x = rand({32, 64, 28, 28}, {float32, true}, &gen);
  torch::nn::BatchNorm2d tbn(64);
  torch::Tensor tx = torch::from_blob(x.data<float>(), {32, 64, 28, 28}).clone().requires_grad_();
  record(
      "BatchNorm2d forward+backward (32, 64, 28, 28)",
      [&] {
        x.zero_grad(true);
        bn.zero_grad();
        sum(bn(x)).backward();
      },
      [&] {
        tx.mutable_grad() = torch::Tensor();
        tbn->zero_grad();
        tbn->forward(tx).sum().backward();
      },
      20, nullptr, 11);
}

// ---- sequence layers: one layer's forward + backward (input and weight gradients) ----

void lstm_layer() {
  using namespace xgrad;
  const int64_t batch = 32, steps = 50, in = 64, hidden = 256;
  Generator gen(0);
  nn::LSTM lstm(in, hidden, {}, &gen);
  Tensor x = rand({steps, batch, in}, {float32, true}, &gen);
  torch::nn::LSTM tlstm(torch::nn::LSTMOptions(in, hidden));
  torch::Tensor tx = torch::from_blob(x.data<float>(), {steps, batch, in}).clone().requires_grad_();
  // Input projection (all steps) and hidden projection (per step), each forward, dx and dW.
  const double flops = 3.0 * 2.0 * static_cast<double>(steps * batch) * 4 * hidden * (in + hidden);
  record(
      "LSTM fwd+bwd (batch 32, seq 50, 64→256)",
      [&] {
        x.zero_grad(true);
        lstm.zero_grad();
        sum(lstm(x)).backward();
      },
      [&] {
        tx.mutable_grad() = torch::Tensor();
        tlstm->zero_grad();
        std::get<0>(tlstm->forward(tx)).sum().backward();
      },
      5, nullptr, 7, nullptr, flops);
}

// A post-norm TransformerEncoderLayer (PyTorch's defaults: ReLU, dim_feedforward 2048, dropout
// 0.1 while training) on (L, N, E) = (64, 32, 128) with 4 heads, forward + backward (input and
// parameter gradients). libtorch 1.13's C++ layer has no batch_first, so both run (L, N, E).
void transformer_encoder_layer() {
  using namespace xgrad;
  const int64_t n = 32, l = 64, d = 128, heads = 4, ff = 2048;
  Generator gen(0);
  nn::TransformerEncoderLayer layer(d, heads, {.dim_feedforward = ff, .gen = &gen});
  Tensor x = rand({l, n, d}, {float32, true}, &gen);
  torch::nn::TransformerEncoderLayer tlayer(
      torch::nn::TransformerEncoderLayerOptions(d, heads).dim_feedforward(ff));
  torch::Tensor tx = torch::from_blob(x.data<float>(), {l, n, d}).clone().requires_grad_();
  // GEMM FLOPs, three times the forward's (forward, input and weight gradients): the in and out
  // projections, both feed-forward layers, and q kᵀ and (weights) v over every head.
  const double tokens = static_cast<double>(n * l);
  const double forward = 2 * tokens * d * (3 * d) + 2 * tokens * d * d + 2 * 2 * tokens * d * ff +
                         2 * 2 * static_cast<double>(n * heads) * l * l * (d / heads);
  record(
      "TransformerEncoderLayer fwd+bwd (L 64, N 32, d 128, 4 heads, ff 2048)",
      [&] {
        x.zero_grad(true);
        layer.zero_grad();
        sum(layer(x)).backward();
      },
      [&] {
        tx.mutable_grad() = torch::Tensor();
        tlayer->zero_grad();
        tlayer->forward(tx).sum().backward();
      },
      5, nullptr, 11, nullptr, 3 * forward);
}

}  // namespace

int main(int argc, char** argv) {
  // `compare conv` runs the convolution rows only, `compare seq` the sequence layers, `compare
  // mlp` the MLP and tiny-op rows.
  const std::string only = argc > 1 ? argv[1] : "";
  const Peak peak = measure_peak();
  std::fprintf(stderr, "one core's FMA peak (%s): %.1f GFLOP/s\n", peak.isa, peak.gflops);
  std::fprintf(stderr, "timing (alternating rounds, medians)...\n");
  xgrad::set_num_threads(1);
  torch::set_num_threads(1);
  if (only == "" || only == "mlp") {
    xnor_step();
    tiny_chain(1);
    tiny_chain(4);
    mlp_step("MNIST MLP step 784-128-64-10, batch 64", {784, 128, 64, 10}, 64, 1, 300);
    mlp_step("MNIST MLP step 784-128-64-10, batch 64", {784, 128, 64, 10}, 64, 2, 300);
    mlp_inference();
    mlp_step("Large MLP step 784-1024-1024-10, batch 1024", {784, 1024, 1024, 10}, 1024, 1, 3);
    mlp_step("Large MLP step 784-1024-1024-10, batch 1024", {784, 1024, 1024, 10}, 1024, 2, 3);
    adam_only();
  }
  if (only == "" || only == "conv") {
    xgrad::set_num_threads(1);
    torch::set_num_threads(1);
    conv_layer("Conv2d fwd+bwd, LeNet conv2 (64, 6→16, 5×5, 14×14)", 64, 6, 16, 5, 14, 0, 50, 11);
    conv_layer("Conv2d fwd+bwd, ResNet 3×3 (32, 64→64, 56×56)", 32, 64, 64, 3, 56, 1, 2, 5);
    lenet_step();
    batchnorm_layer();
  }
  if (only == "" || only == "seq") {
    xgrad::set_num_threads(1);
    torch::set_num_threads(1);
    lstm_layer();
    transformer_encoder_layer();
  }

  // % of peak: the row's FLOPs over its time, over the peak (threads > 1 still count one
  // core's peak, so a 2-thread row can pass 100%).
  auto pct = [&](const Row& r, double us) {
    return r.flops / (us * 1e-6) / (peak.gflops * 1e9) * 100;
  };
  std::printf(
      "One core's FMA peak measured at start-up (%s); %% of peak = FLOPs / time / peak.\n\n",
      peak.isa);
  std::printf(
      "| workload | MFLOP | xgrad %% of peak | libtorch %% of peak | libtorch / xgrad | BLAS floor "
      "%% of peak | xgrad / BLAS floor | oneDNN floor %% of peak | xgrad / oneDNN floor |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Row& r : rows) {
    std::printf("| %s |", r.name.c_str());
    if (r.flops > 0)
      std::printf(" %.1f | %.0f%% | %.0f%% |", r.flops / 1e6, pct(r, r.ours), pct(r, r.theirs));
    else
      std::printf(" – | – | – |");
    std::printf(" %.2f× |", r.theirs / r.ours);
    if (r.floor > 0)
      std::printf(" %.0f%% | %.2f |", pct(r, r.floor), r.ours / r.floor);
    else
      std::printf(" – | – |");
    if (r.dnnl_floor > 0)
      std::printf(" %.0f%% | %.2f |\n", pct(r, r.dnnl_floor), r.ours / r.dnnl_floor);
    else
      std::printf(" – | – |\n");
  }
  return 0;
}
