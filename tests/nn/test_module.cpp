// Module registry, custom layers, modes, dtype conversion, printing, summary, save/load.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../helpers.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

namespace {
// The README's custom layer: a Keras-style dense layer with its own weights.
class MyDenseLayer : public nn::Module {
 public:
  MyDenseLayer(int64_t in, int64_t out) {
    kernel = register_parameter("kernel", randn({in, out}) * 0.1);
    bias = register_parameter("bias", zeros({out}));
  }
  Tensor forward(const Tensor& x) override { return relu(matmul(x, kernel) + bias); }
  Tensor kernel, bias;
};

class Encoder : public nn::Module {
 public:
  Encoder() {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 3));
    register_buffer("running", zeros({3}));
  }
  Tensor forward(const Tensor& x) override { return fc1->forward(x); }
  std::shared_ptr<nn::Linear> fc1;
};

class Net : public nn::Module {
 public:
  Net() {
    encoder = register_module("encoder", std::make_shared<Encoder>());
    head = register_module("head", std::make_shared<nn::Linear>(3, 2, false));
  }
  Tensor forward(const Tensor& x) override { return head->forward(relu(encoder->forward(x))); }
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<nn::Linear> head;
};

std::string tmp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("xgrad_test_" + name)).string();
}
}  // namespace

TEST_CASE("named parameters use dotted names") {
  Net net;
  auto named = net.named_parameters();
  REQUIRE(named.size() == 3);
  CHECK(named[0].first == "encoder.fc1.weight");
  CHECK(named[1].first == "encoder.fc1.bias");
  CHECK(named[2].first == "head.weight");
  CHECK(net.named_buffers()[0].first == "encoder.running");
  CHECK(net.num_parameters() == 4 * 3 + 3 + 3 * 2);
  CHECK(net.children().size() == 2);
  nn::Sequential seq{std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Linear>(3, 1)};
  auto sp = seq.named_parameters();
  CHECK(sp[0].first == "0.weight");
  CHECK(sp[3].first == "2.bias");
  CHECK(seq.size() == 3);
  CHECK(seq[1]->type_name() == "ReLU");
  CHECK_ERROR_MESSAGE(seq[3], "Sequential: index 3 out of range for 3 layers");
  int n = 0;
  for (const auto& layer : seq) n += layer != nullptr;
  CHECK(n == 3);
}

TEST_CASE("a custom layer is a dozen lines and trains") {
  manual_seed(0);
  MyDenseLayer layer(3, 2);
  CHECK(layer.parameters().size() == 2);
  Tensor y = layer(ones({4, 3}));
  CHECK(y.shape() == Shape{4, 2});
  y.sum().backward();
  CHECK(layer.kernel.grad().shape() == Shape{3, 2});
  layer.zero_grad(false);
  CHECK(layer.kernel.grad().to_vector() == std::vector<double>(6, 0.0));
  layer.zero_grad();  // releases, as PyTorch 2 does
  CHECK_FALSE(layer.kernel.grad().defined());
  CHECK_FALSE(layer.bias.grad().defined());
}

namespace {
// The README's module with registered children.
class TwoLayers : public nn::Module {
 public:
  TwoLayers() {
    first = register_module("first", std::make_shared<MyDenseLayer>(784, 64));
    second = register_module("second", std::make_shared<nn::Linear>(64, 10));
  }
  Tensor forward(const Tensor& x) override { return (*second)((*first)(x)); }
  std::shared_ptr<MyDenseLayer> first;
  std::shared_ptr<nn::Linear> second;
};
}  // namespace

TEST_CASE("registered children's parameters are the module's") {
  TwoLayers net;
  CHECK(net.parameters().size() == 4);
  CHECK(net.named_parameters()[0].first == "first.kernel");
  CHECK(net(zeros({2, 784})).shape() == Shape{2, 10});
}

TEST_CASE("train and eval propagate to children") {
  Net net;
  CHECK(net.is_training());
  net.eval();
  CHECK_FALSE(net.encoder->fc1->is_training());
  net.train();
  CHECK(net.head->is_training());
}

TEST_CASE("to(float64) converts in place, so a whole MLP passes gradcheck") {
  manual_seed(1);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 5), std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(5, 4), std::make_shared<nn::Sigmoid>(),
      std::make_shared<nn::Linear>(4, 2)});
  model->to(float64);
  auto lin = std::dynamic_pointer_cast<nn::Linear>((*model)[0]);
  CHECK(lin->weight.dtype() == float64);  // the member handle sees the conversion
  Tensor x = testing::input({4, 3});
  std::vector<Tensor> inputs{x};
  for (const Tensor& p : model->parameters()) inputs.push_back(p);
  CHECK(gradcheck([&](const std::vector<Tensor>&) { return (*model)(x); }, inputs));
}

TEST_CASE("every layer and activation module passes gradcheck with its parameters") {
  manual_seed(2);
  std::vector<std::shared_ptr<nn::Module>> layers{
      std::make_shared<nn::Linear>(4, 3),
      std::make_shared<nn::Linear>(4, 3, false),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Sigmoid>(),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::ELU>(0.7),
      std::make_shared<nn::LeakyReLU>(0.2),
      std::make_shared<nn::Softplus>(1.5),
      std::make_shared<nn::SiLU>(),
      std::make_shared<nn::GELU>(),
      std::make_shared<nn::GELU>(GeluApproximation::tanh),
      std::make_shared<nn::Mish>(),
      std::make_shared<nn::Softsign>(),
      std::make_shared<nn::Gaussian>(),
      std::make_shared<nn::LogSigmoid>(),
      std::make_shared<nn::Hardtanh>(-0.5, 0.5),
      std::make_shared<nn::Softmax>(1),
      std::make_shared<nn::LogSoftmax>(1),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Identity>(),
      std::make_shared<nn::Dropout>(0.3)};
  for (auto& layer : layers) {
    INFO(layer->type_name());
    layer->to(float64);
    layer->eval();  // dropout: deterministic
    Tensor x = testing::off_kink({3, 4}, 0.1, 3);
    std::vector<Tensor> inputs{x};
    for (const Tensor& p : layer->parameters()) inputs.push_back(p);
    CHECK(gradcheck([&](const std::vector<Tensor>& v) { return layer->forward(v[0]); }, inputs));
  }
}

TEST_CASE("Linear uses PyTorch's default init bounds") {
  Generator gen(3);
  nn::Linear fc(100, 50, true, &gen);
  auto w = fc.weight.to_vector();
  double bound = 1.0 / std::sqrt(100.0);
  CHECK(*std::max_element(w.begin(), w.end()) <= bound);
  CHECK(*std::min_element(w.begin(), w.end()) >= -bound);
  CHECK(*std::max_element(w.begin(), w.end()) > 0.9 * bound);
  CHECK(fc.weight.shape() == Shape{50, 100});
  CHECK(fc.bias.shape() == Shape{50});
  CHECK_ERROR_MESSAGE(fc(ones({2, 99})),
                      "linear: input (2, 99) does not match weight (50, 100) (expected (..., in) "
                      "and (out, in))");
}

TEST_CASE("Dropout drops in training, is the identity in eval") {
  Generator gen(4);
  nn::Dropout drop(0.25, &gen);
  Tensor x = ones({1000, 10});
  Tensor y = drop(x);
  auto v = y.to_vector();
  int64_t zeros_count = std::count(v.begin(), v.end(), 0.0);
  CHECK(zeros_count == doctest::Approx(2500).epsilon(0.1));
  CHECK(*std::max_element(v.begin(), v.end()) == doctest::Approx(1 / 0.75));
  CHECK(mean(y).item() == doctest::Approx(1.0).epsilon(0.03));
  drop.eval();
  CHECK(drop(x).is_same(x));
  CHECK_ERROR_MESSAGE(nn::Dropout(1.0), "Dropout: p must be in [0, 1), got 1.000000");
}

TEST_CASE("hand-set XNOR network from AND, NOR and OR neurons") {
  // Hidden: AND (b=-30, w=20,20) and NOR (b=10, w=-20,-20); output: OR (b=-10, w=20,20).
  auto hidden = std::make_shared<nn::Linear>(2, 2);
  auto out = std::make_shared<nn::Linear>(2, 1);
  {
    NoGradGuard guard;
    hidden->weight.copy_(tensor({{20, 20}, {-20, -20}}));
    hidden->bias.copy_(tensor({-30, 10}));
    out->weight.copy_(tensor({{20, 20}}));
    out->bias.copy_(tensor({-10}));
  }
  nn::Sequential xnor{hidden, std::make_shared<nn::Sigmoid>(), out,
                      std::make_shared<nn::Sigmoid>()};
  Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  Tensor y = xnor(x);
  std::vector<double> expected{1, 0, 0, 1};
  for (int i = 0; i < 4; ++i) CHECK(std::round(y.at({i, 0})) == expected[i]);
  CHECK(y.at({0, 0}) > 0.99);
  CHECK(y.at({1, 0}) < 0.01);
}

TEST_CASE("printing a module shows its tree; summary shows shapes and counts") {
  nn::Sequential seq{std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128),
                     std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(128, 10)};
  std::ostringstream os;
  os << seq;
  CHECK(os.str() ==
        "Sequential(\n  (0): Flatten()\n  (1): Linear(in_features=784, out_features=128, "
        "bias=true)\n  (2): ReLU()\n  (3): Linear(in_features=128, out_features=10, bias=true)\n)");
  std::string s = nn::summary(seq, {1, 28, 28});
  CHECK(s.find("1 (Linear)") != std::string::npos);
  CHECK(s.find("(1, 128)") != std::string::npos);
  CHECK(s.find("100480") != std::string::npos);
  CHECK(s.find("Total params: 101770") != std::string::npos);
  Net net;
  CHECK(nn::summary(net, {2, 4}).find("encoder (Encoder)") != std::string::npos);
}

TEST_CASE("save and load round-trip; load reports missing, unexpected and mismatched") {
  manual_seed(5);
  Net a, b;
  std::string path = tmp_path("net.safetensors");
  nn::save(a, path);
  CHECK_FALSE(testing::allclose(a.encoder->fc1->weight, b.encoder->fc1->weight));
  nn::load(b, path);
  Tensor x = randn({5, 4});
  CHECK(a(x).to_vector() == b(x).to_vector());
  for (std::size_t i = 0; i < a.state_dict().size(); ++i)
    CHECK(a.state_dict()[i].second.to_vector() == b.state_dict()[i].second.to_vector());
  nn::Linear wrong(4, 3);
  CHECK_ERROR_MESSAGE(nn::load(wrong, path),
                      "load_state_dict: missing: weight, bias; unexpected: encoder.running, "
                      "encoder.fc1.weight, encoder.fc1.bias, head.weight");
  StateDict sd = a.state_dict();
  REQUIRE(sd[1].first == "encoder.fc1.weight");
  sd[1].second = zeros({2, 2});
  CHECK_ERROR_MESSAGE(b.load_state_dict(sd),
                      "load_state_dict: mismatched: encoder.fc1.weight (expected (3, 4) float32, "
                      "got (2, 2) float32)");
  fs::remove(path);
}

TEST_CASE("a failed save never destroys the previous file") {
  Net a;
  std::string path = tmp_path("keep.safetensors");
  nn::save(a, path);
  auto before = fs::file_size(path);
  StateDict bad{{"x", ones({2})}, {"x", ones({3})}};  // duplicate names: rejected
  CHECK_THROWS_AS(save_safetensors(path, bad), Error);
  CHECK(fs::file_size(path) == before);
  CHECK_THROWS_AS(save_safetensors("/nonexistent-dir/x.safetensors", a.state_dict()), Error);
  Net b;
  nn::load(b, path);
  fs::remove(path);
}
