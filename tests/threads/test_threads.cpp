// Threads: backward passes in several threads into a shared leaf, and the shared default
// generator. Also run under ThreadSanitizer (make test-tsan).
#include <thread>
#include <vector>

#include "../helpers.hpp"

using namespace xgrad;

TEST_CASE("concurrent backward passes into a shared leaf lose no update") {
  Tensor w = ones({100000}, {float32, true});
  const Tensor x = full({100000}, 0.5);
  constexpr int passes = 200;
  auto run = [&] {
    for (int i = 0; i < passes; ++i) (w * x).sum().backward();
  };
  std::thread a(run), b(run);
  a.join();
  b.join();
  // Each pass adds exactly 0.5 to every element, in any order.
  const Tensor expected = full({100000}, 0.5 * 2 * passes);
  CHECK(testing::allclose(w.grad(), expected, 0, 0));
}

TEST_CASE("layers built in two threads from the default generator get sequential draws") {
  constexpr int per_thread = 30;
  manual_seed(0);
  std::vector<std::vector<double>> sequential;
  for (int i = 0; i < 2 * per_thread; ++i) {
    nn::Linear layer(16, 8);
    std::vector<double> w = layer.weight.to_vector(), b = layer.bias.to_vector();
    w.insert(w.end(), b.begin(), b.end());
    sequential.push_back(w);
  }
  manual_seed(0);
  std::vector<std::vector<double>> got[2];
  auto build = [&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      nn::Linear layer(16, 8);
      std::vector<double> w = layer.weight.to_vector(), b = layer.bias.to_vector();
      w.insert(w.end(), b.begin(), b.end());
      got[t].push_back(w);
    }
  };
  std::thread a(build, 0), b(build, 1);
  a.join();
  b.join();
  // Every layer is one of the sequential layers, each taken once.
  std::vector<bool> taken(sequential.size(), false);
  for (const auto& list : got)
    for (const auto& layer : list) {
      bool found = false;
      for (std::size_t k = 0; k < sequential.size() && !found; ++k)
        if (!taken[k] && sequential[k] == layer) taken[k] = found = true;
      CHECK(found);
    }
}
