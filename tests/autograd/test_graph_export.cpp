// Graph export: to_dot's vertices, labels, saved tensors and edges, deep graphs, rendering with
// Graphviz when it is installed, and the error for an undefined output.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("to_dot writes one box per op, named leaves, saved tensors and edges") {
  Tensor w = randn({3, 4}, {float32, true}), b = zeros({3}, {float32, true});
  Tensor x = randn({2, 4});  // does not require grad: left out
  Tensor loss = sum(relu(linear(x, w, b)) * 2.0);
  const std::string dot = autograd::to_dot({loss}, {{"fc.weight", w}, {"fc.bias", b}});
  CHECK(dot.rfind("digraph xgrad {", 0) == 0);
  CHECK(dot.find("fc.weight\\n(3, 4) float32") != std::string::npos);
  CHECK(dot.find("fc.bias\\n(3,) float32") != std::string::npos);
  CHECK(dot.find("linear\\n(2, 3) float32") != std::string::npos);
  CHECK(dot.find("relu\\n(2, 3) float32") != std::string::npos);
  CHECK(dot.find("sum\\n() float32") != std::string::npos);
  CHECK(count(dot, "shape=box") == 4);      // linear, relu, mul, sum
  CHECK(count(dot, "shape=ellipse") == 2);  // the two parameters; x is not drawn
  CHECK(count(dot, " -> ") == 5);           // w, b -> linear -> relu -> mul -> sum
  CHECK(count(dot, "penwidth=2") == 1);     // the output
  // A tensor used twice is one vertex with two edges out.
  Tensor y = w * w;
  const std::string twice = autograd::to_dot({y});
  CHECK(count(twice, "shape=ellipse") == 1);
  CHECK(count(twice, " -> ") == 2);
  CHECK(twice.find("leaf\\n(3, 4) float32") != std::string::npos);
}

TEST_CASE("to_dot greys saved tensors, survives deep graphs and rejects undefined outputs") {
  Tensor logits = randn({4, 3}, {float64, true});
  Tensor loss = sum(cross_entropy_per_sample(logits, tensor({0, 2, 1, 0}, int64)));
  const std::string dot = autograd::to_dot({loss});
  CHECK(count(dot, "fillcolor=lightgrey") >= 1);  // the fused loss saves its softmax
  CHECK(count(dot, "style=dashed") == count(dot, "fillcolor=lightgrey"));
  Tensor deep = ones({1}, {float32, true});
  for (int i = 0; i < 20000; ++i) deep = deep * 1.0;
  CHECK(count(autograd::to_dot({deep}), "shape=box") == 20000);
  Tensor a = ones({2}, {float32, true});
  Tensor both = a * 3.0;
  CHECK(count(autograd::to_dot({both, a}), "penwidth=2") == 2);
  CHECK_THROWS_WITH_AS(autograd::to_dot({Tensor()}), "to_dot: an output is an undefined tensor",
                       Error);
}

TEST_CASE("the DOT text renders with Graphviz") {
  if (std::system("command -v dot > /dev/null 2>&1") != 0) {
    MESSAGE("Graphviz's dot is not installed: rendering not checked");
    return;
  }
  Tensor w = randn({3, 4}, {float32, true});
  Tensor loss = sum(tanh(matmul(randn({2, 3}), w)));
  const std::string path = "test_graph_export.dot";
  std::ofstream(path) << autograd::to_dot({loss}, {{"w \"quoted\"", w}});
  CHECK(std::system(("dot -Tsvg " + path + " -o " + path + ".svg").c_str()) == 0);
  std::ifstream svg(path + ".svg");
  const std::string text((std::istreambuf_iterator<char>(svg)), {});
  CHECK(text.find("<svg") != std::string::npos);
  CHECK(text.find("tanh") != std::string::npos);
  std::remove(path.c_str());
  std::remove((path + ".svg").c_str());
}
