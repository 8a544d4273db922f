// The image trainers' recipe (cross-entropy, Adam lr 1e-3, batch 64, shuffled, pixels in
// [0, 1]) run in xgrad and libtorch side by side from the same initial weights on the same
// batches in the same order, for the `mnist` trainer's 784-128-64-10 ReLU MLP (--model mlp) or
// the `cnn` trainer's LeNet-5 (--model lenet). Per epoch it prints both mean training losses,
// both test accuracies and how far the weights have drifted apart, so a difference in accuracy
// can be told apart from float rounding.
//   mnist_parity [--data DIR] [--seed S] [--epochs E] [--model mlp|lenet]
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

torch::Tensor to_torch(const Tensor& t) {
  Tensor c = t.to(float32).contiguous_copy();  // detached, float32 (labels too)
  std::vector<int64_t> shape(c.shape().begin(), c.shape().end());
  return torch::from_blob(c.data<float>(), shape, torch::kFloat32).clone();
}

double accuracy(const torch::Tensor& scores, const torch::Tensor& labels) {
  return scores.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

int main(int argc, char** argv) try {
  std::string dir = std::string(XGRAD_DATA_DIR) + "/mnist";
  uint64_t seed = 0;
  int epochs = 10;
  std::string model = "mlp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data"))
      dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--seed"))
      seed = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--epochs"))
      epochs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model"))
      model = argv[i + 1];
    else
      throw Error(std::string("unknown option ") + argv[i]);
  }
  set_num_threads(1);
  torch::set_num_threads(1);

  auto train = data::load_mnist_dataset(dir, true);
  data::MnistSplit test = data::load_mnist(dir, false);
  if (model != "mlp" && model != "lenet")
    throw Error("--model: expected mlp or lenet, got " + model);
  const bool lenet = model == "lenet";
  // Images as each model takes them: rows of 784 pixels, or (N, 1, 28, 28).
  auto images = [lenet](const Tensor& x) {
    const int64_t n = x.shape()[0];
    return lenet ? reshape(x, {n, 1, 28, 28}) : reshape(x, {n, 784});
  };
  torch::Tensor test_x = to_torch(images(test.images));
  torch::Tensor test_y = to_torch(test.labels).to(torch::kLong);

  // The trainer's model and initialisation; libtorch's copy starts from the same values.
  Generator init(seed);
  using std::make_shared;
  namespace tn = torch::nn;
  nn::Sequential ours;
  tn::Sequential theirs;
  if (lenet) {
    for (auto layer : std::initializer_list<std::shared_ptr<nn::Module>>{
             make_shared<nn::Conv2d>(1, 6, 5, nn::Conv2dOptions{.padding = 2}, &init),
             make_shared<nn::ReLU>(), make_shared<nn::MaxPool2d>(2),
             make_shared<nn::Conv2d>(6, 16, 5, nn::Conv2dOptions{}, &init), make_shared<nn::ReLU>(),
             make_shared<nn::MaxPool2d>(2), make_shared<nn::Flatten>(),
             make_shared<nn::Linear>(400, 120, true, &init), make_shared<nn::ReLU>(),
             make_shared<nn::Linear>(120, 84, true, &init), make_shared<nn::ReLU>(),
             make_shared<nn::Linear>(84, 10, true, &init)})
      ours.add(layer);
    theirs = tn::Sequential(tn::Conv2d(tn::Conv2dOptions(1, 6, 5).padding(2)), tn::ReLU(),
                            tn::MaxPool2d(2), tn::Conv2d(6, 16, 5), tn::ReLU(), tn::MaxPool2d(2),
                            tn::Flatten(), tn::Linear(400, 120), tn::ReLU(), tn::Linear(120, 84),
                            tn::ReLU(), tn::Linear(84, 10));
  } else {
    for (auto layer : std::initializer_list<std::shared_ptr<nn::Module>>{
             make_shared<nn::Flatten>(), make_shared<nn::Linear>(784, 128, true, &init),
             make_shared<nn::ReLU>(), make_shared<nn::Linear>(128, 64, true, &init),
             make_shared<nn::ReLU>(), make_shared<nn::Linear>(64, 10, true, &init)})
      ours.add(layer);
    theirs = tn::Sequential(tn::Linear(784, 128), tn::ReLU(), tn::Linear(128, 64), tn::ReLU(),
                            tn::Linear(64, 10));
  }
  std::vector<Tensor> our_params = ours.parameters();
  std::vector<torch::Tensor> their_params = theirs->parameters();
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < our_params.size(); ++i)
      their_params[i].copy_(to_torch(our_params[i]));
  }
  optim::Adam our_opt(our_params, {.lr = 1e-3});
  torch::optim::Adam their_opt(their_params, torch::optim::AdamOptions(1e-3));
  nn::CrossEntropyLoss loss_fn;
  data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = seed});

  auto weight_difference = [&] {
    double d = 0;
    for (std::size_t i = 0; i < our_params.size(); ++i)
      d = std::max(d, (to_torch(our_params[i]) - their_params[i]).abs().max().item<double>());
    return d;
  };
  std::printf(
      "%s, seed %llu\n| epoch | xgrad loss | libtorch loss | xgrad test acc | libtorch test acc "
      "| max weight difference |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n",
      model.c_str(), static_cast<unsigned long long>(seed));
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double our_loss = 0, their_loss = 0;
    int64_t batches = 0;
    for (const data::Batch& b : loader) {
      our_opt.zero_grad();
      Tensor loss = loss_fn(ours(images(b.inputs)), b.targets);
      loss.backward();
      our_opt.step();
      our_loss += loss.item();

      torch::Tensor x = to_torch(images(b.inputs));
      torch::Tensor y = to_torch(b.targets).to(torch::kLong);
      their_opt.zero_grad();
      torch::Tensor their = torch::nn::functional::cross_entropy(theirs->forward(x), y);
      their.backward();
      their_opt.step();
      their_loss += their.item<double>();
      ++batches;
      if (epoch == 1 && (batches == 1 || batches == 10 || batches == 100))
        std::printf("| (step %lld) | %.7f | %.7f | | | %.2e |\n", static_cast<long long>(batches),
                    loss.item(), their.item<double>(), weight_difference());
    }
    const double drift = weight_difference();
    double our_acc, their_acc;
    {
      NoGradGuard no_grad;
      std::vector<Tensor> scores;  // in batches of 1000, as the trainers evaluate
      for (int64_t i = 0; i < test.images.shape()[0]; i += 1000)
        scores.push_back(ours(images(slice(test.images, 0, i, i + 1000))));
      our_acc = accuracy(to_torch(concat(scores, 0)), test_y);
    }
    {
      torch::NoGradGuard no_grad;
      their_acc = accuracy(theirs->forward(test_x), test_y);
    }
    std::printf("| %d | %.5f | %.5f | %.4f | %.4f | %.2e |\n", epoch, our_loss / batches,
                their_loss / batches, our_acc, their_acc, drift);
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist_parity: %s\n", e.what());
  return 1;
}
