// Fuzz harness for optimizer state and trainer checkpoints: the input is a checkpoint file
// (examples/trainer.cpp, load_checkpoint: model + optimizer + epochs_done, as the sample
// trainers' --resume reads it), loaded into a small MLP under the optimizer whose state it names
// (SGD, momentum, Adam, AdamW, RMSprop, Adagrad, Adadelta); its tensors also
// go to the schedulers' load_state_dict (optim/lr_scheduler.cpp). A refused file must leave the
// model and the optimizer exactly as they were; an accepted one must train a step.
#include "examples/trainer.hpp"
#include "harness.hpp"

using namespace xgrad;

namespace {

StateDict snapshot(const nn::Module& model, const optim::Optimizer& opt) {
  StateDict all;
  for (const auto& [n, t] : model.state_dict()) all.emplace_back("model." + n, t.contiguous_copy());
  for (const auto& [n, t] : opt.state_dict())
    all.emplace_back("optimizer." + n, t.contiguous_copy());
  return all;
}

bool same(const StateDict& a, const StateDict& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !fuzz::same_tensor(a[i].second, b[i].second)) return false;
  return true;
}

// The optimizer whose state the file names (its buffer names; AdamW when "adamw" appears too),
// so that each input runs once:
// SGD when it names none.
const char* optimizer_for(const std::string& bytes) {
  auto has = [&](const char* name) { return bytes.find(name) != std::string::npos; };
  if (has("exp_avg")) return has("adamw") ? "adamw" : "adam";
  if (has("acc_delta")) return "adadelta";
  if (has("square_avg")) return "rmsprop";
  if (has("momentum_buffer")) return "momentum";
  if (has(".sum")) return "adagrad";
  return "sgd";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("checkpoint.safetensors", data, size);
  const Tensor x = ones({2, 3});
  {
    Generator gen(0);
    nn::Sequential model{std::make_shared<nn::Linear>(3, 4, true, &gen),
                         std::make_shared<nn::ReLU>(),
                         std::make_shared<nn::Linear>(4, 2, true, &gen)};
    auto opt = examples::make_optimizer(
        optimizer_for(std::string(reinterpret_cast<const char*>(data), size)), model.parameters(),
        0.01);
    sum(model(x)).backward();  // the optimizer has state to overwrite
    opt->step();
    const StateDict before = snapshot(model, *opt);
    int64_t epochs = -1;
    if (fuzz::succeeds([&] { epochs = examples::load_checkpoint(path, model, *opt); })) {
      XGRAD_FUZZ_CHECK(epochs >= 0 && epochs <= 1000000000);
      opt->zero_grad();
      sum(model(x)).backward();
      opt->step();
    } else {
      XGRAD_FUZZ_CHECK(same(before, snapshot(model, *opt)));  // all or nothing
    }
  }
  // Scheduler state (the file's tensors as a scheduler's state_dict).
  fuzz::succeeds([&] {
    const StateDict sd = load_safetensors(path).tensors;
    Tensor w = zeros({2}).requires_grad_();
    optim::SGD opt({w}, optim::SGDOptions{.lr = 0.1});
    optim::StepLR step(opt, 2, 0.5);
    if (fuzz::succeeds([&] { step.load_state_dict(sd); })) step.step();
    optim::ReduceLROnPlateau plateau(opt);
    if (fuzz::succeeds([&] { plateau.load_state_dict(sd); })) plateau.step(1.0);
  });
  return 0;
}
