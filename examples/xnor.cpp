// XNOR two ways: (a) a hand-set network of AND, NOR and OR neurons whose truth table must equal
// XNOR; (b) the course network Linear(2,4) -> Sigmoid -> Linear(4,1) -> Sigmoid trained with
// BCELoss and Adam (lr 0.05) on the four examples. `--sweep 10` trains seeds 0..9.
#include <cmath>
#include <cstdio>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

const Tensor kInputs = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
const Tensor kTargets = tensor({{1}, {0}, {0}, {1}});

std::shared_ptr<nn::Linear> neuron_layer(const Tensor& weight, const Tensor& bias) {
  auto layer = std::make_shared<nn::Linear>(weight.shape()[1], weight.shape()[0]);
  NoGradGuard guard;
  layer->weight.copy_(weight);
  layer->bias.copy_(bias);
  return layer;
}

int correct(nn::Module& net) {
  NoGradGuard guard;
  Tensor p = net(kInputs);
  int ok = 0;
  for (int i = 0; i < 4; ++i) ok += (p.at({i, 0}) > 0.5) == (kTargets.at({i, 0}) > 0.5);
  return ok;
}

struct Result {
  int64_t epochs_to_solve = -1;  // first epoch after which all four are right
  double final_loss = 0;
  int correct = 0;
};

Result train(const TrainerArgs& args, uint64_t seed, bool verbose, Curves* curves) {
  Generator gen(seed);
  nn::Sequential net{
      std::make_shared<nn::Linear>(2, 4, true, &gen), std::make_shared<nn::Sigmoid>(),
      std::make_shared<nn::Linear>(4, 1, true, &gen), std::make_shared<nn::Sigmoid>()};
  auto opt = make_optimizer(args.optimizer, net.parameters(), args.lr);
  nn::BCELoss loss_fn;
  int64_t first = 0;
  if (!args.resume.empty()) first = load_checkpoint(args.resume, net, *opt);
  Result r;
  for (int64_t epoch = first; epoch < args.epochs; ++epoch) {
    opt->zero_grad();
    Tensor loss = loss_fn(net(kInputs), kTargets);
    loss.backward();
    opt->step();
    r.final_loss = loss.item();
    r.correct = correct(net);
    if (r.correct == 4 && r.epochs_to_solve < 0) r.epochs_to_solve = epoch + 1;
    if (curves) curves->add({static_cast<double>(epoch + 1), r.final_loss, r.correct / 4.0});
    if (verbose && ((epoch + 1) % 100 == 0 || epoch + 1 == args.epochs))
      std::printf("epoch %lld/%lld  train loss %.5f  accuracy %d/4\n",
                  static_cast<long long>(epoch + 1), static_cast<long long>(args.epochs),
                  r.final_loss, r.correct);
    if (!args.save.empty()) save_checkpoint(args.save, net, *opt, epoch + 1);
  }
  if (verbose) {
    NoGradGuard guard;
    Tensor p = net(kInputs);
    std::printf("trained network:\n");
    for (int i = 0; i < 4; ++i)
      std::printf("  %g XNOR %g -> %.4f\n", kInputs.at({i, 0}), kInputs.at({i, 1}), p.at({i, 0}));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args =
      parse_args(argc, argv, "XNOR: a hand-set network and a trained one",
                 {.epochs = 1000, .lr = 0.05, .batch_size = 4},
                 {{"--sweep", "train seeds 0..N-1 and report how many solve XNOR", "0"}});
  const auto start = std::chrono::steady_clock::now();

  // (a) AND (b=-30, w=20,20) and NOR (b=10, w=-20,-20) feed OR (b=-10, w=20,20).
  nn::Sequential hand{neuron_layer(tensor({{20, 20}, {-20, -20}}), tensor({-30, 10})),
                      std::make_shared<nn::Sigmoid>(),
                      neuron_layer(tensor({{20, 20}}), tensor({-10})),
                      std::make_shared<nn::Sigmoid>()};
  std::printf("hand-set network (AND, NOR -> OR):\n");
  {
    NoGradGuard guard;
    Tensor out = hand(kInputs);
    for (int i = 0; i < 4; ++i)
      std::printf("  %g XNOR %g = %d   (%.6f)\n", kInputs.at({i, 0}), kInputs.at({i, 1}),
                  static_cast<int>(std::round(out.at({i, 0}))), out.at({i, 0}));
  }
  std::printf("hand-set truth table %s XNOR\n\n", correct(hand) == 4 ? "equals" : "DIFFERS FROM");

  // (b) the trained network.
  if (int64_t sweep = args.get_int("sweep"); sweep > 0) {
    int solved = 0;
    for (int64_t s = 0; s < sweep; ++s) {
      Result r = train(args, static_cast<uint64_t>(s), false, nullptr);
      solved += r.correct == 4;
      std::printf("seed %lld: %d/4 correct, final loss %.5f, solved after %lld epochs\n",
                  static_cast<long long>(s), r.correct, r.final_loss,
                  static_cast<long long>(r.epochs_to_solve));
    }
    std::printf("solved XNOR for %d of %lld seeds within %lld epochs\n", solved,
                static_cast<long long>(sweep), static_cast<long long>(args.epochs));
  } else {
    Curves curves({"epoch", "train_loss", "accuracy"});
    Result r = train(args, args.seed, !args.quiet, &curves);
    std::printf("seed %llu: %d/4 correct, final loss %.6f, solved after %lld epochs\n",
                static_cast<unsigned long long>(args.seed), r.correct, r.final_loss,
                static_cast<long long>(r.epochs_to_solve));
    report_curves(curves, args.plot);
  }
  std::printf("wall time: %.2f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "xnor: %s\n", e.what());
  return 1;
}
