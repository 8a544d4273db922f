// Shared pieces of the sample trainers: the common command line, the optimizer by name, a
// progress line, loss/metric curves (CSV, and a PNG through gnuplot when installed), and
// checkpoints for --save / --resume. CLI11 is compiled once, in trainer.cpp.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace xgrad::examples {

struct ExtraOption {
  std::string name;  // "--data"
  std::string help;
  std::string value;  // default, replaced by the parsed value
};

struct TrainerArgs {
  int64_t epochs = 10;
  double lr = 1e-3;
  int64_t batch_size = 64;
  uint64_t seed = 0;
  std::string optimizer = "adam";
  int threads = 1;
  std::string save, resume, plot;
  bool quiet = false;
  std::map<std::string, std::string> extra;  // by name without dashes
  std::string get(const std::string& name) const { return extra.at(name); }
  double get_double(const std::string& name) const;  // Error naming --name unless a number
  int64_t get_int(const std::string& name) const;    // Error naming --name unless an integer
};

// The whole of `text` as an integer (or a finite number); otherwise an Error "<what>: expected
// an integer, got 'abc'" (what: an option "--hidden", or a file and field).
int64_t parse_int(const std::string& text, const std::string& what);
double parse_number(const std::string& text, const std::string& what);

// Parses --epochs --lr --batch-size --seed --optimizer --threads --save --resume --plot --quiet
// plus the trainer's extras. Exits the program on --help or a bad option.
TrainerArgs parse_args(int argc, char** argv, const std::string& description, TrainerArgs defaults,
                       std::vector<ExtraOption> extras = {});

// "sgd", "momentum" (SGD 0.9), "adam", "adamw", "rmsprop", "adagrad", "adadelta".
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const std::vector<Tensor>& params, double lr);

// A one-line progress bar on a terminal; nothing mid-epoch otherwise.
class Progress {
 public:
  explicit Progress(bool quiet);
  void start(int64_t epoch, int64_t epochs, int64_t batches);
  void update(int64_t batch, double loss, int64_t examples);
  // Prints the epoch's summary line and returns the epoch's seconds.
  double finish(const std::string& summary);

 private:
  bool tty_, quiet_;
  int64_t epoch_ = 0, epochs_ = 0, batches_ = 0, examples_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// Curves by epoch, written as PREFIX.csv and (with gnuplot) PREFIX.png.
class Curves {
 public:
  explicit Curves(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  void add(std::vector<double> row) { rows_.push_back(std::move(row)); }
  // Returns the PNG path, or "" when gnuplot is missing.
  std::string write(const std::string& prefix) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> rows_;
};

// Model + optimizer (+ the number of finished epochs) in one safetensors file.
void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, int64_t epochs_done);
// Returns the number of finished epochs stored in the checkpoint.
int64_t load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& optimizer);

// Writes text to path through a temporary file renamed over it: a failed write leaves what was
// there. Throws an Error naming the path.
void write_text_file(const std::string& path, const std::string& text);

// One epoch over the loader (train mode): zero_grad, loss, backward, step per batch.
// Returns the mean training loss; progress (if given) is updated per batch. With a graph path,
// the first batch's graph (loss back to the named parameters) is written there as Graphviz DOT.
double train_epoch(nn::Module& model, optim::Optimizer& optimizer, const nn::Loss& loss_fn,
                   data::DataLoader& loader, Progress* progress = nullptr,
                   const std::string& graph = "");

// Writes the curves (when a --plot prefix was given) and says where.
void report_curves(const Curves& curves, const std::string& prefix);

// Scores (N, C) -> predicted classes; evaluates `model` in batches under no-grad.
Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size);
double seconds_since(std::chrono::steady_clock::time_point start);

// The training split of an MNIST-format folder as bytes-backed dataset (see ByteImageDataset),
// limited to its first `limit` images when limit > 0; ImageLayout::nchw for (N, 1, 28, 28).
std::shared_ptr<const data::Dataset> mnist_training_set(
    const std::string& dir, int64_t limit, data::ImageLayout layout = data::ImageLayout::nhw);

// The command-line extras of the image classifiers (mnist, cnn): --data, --limit, --test-limit,
// --graph, --profile; `more` are appended.
std::vector<ExtraOption> image_classifier_options(std::vector<ExtraOption> more = {});
// The rest of an image classifier's run: loads the --data folder, trains `model` (which takes
// (N, 28, 28) images) with the named optimizer (--resume, --save), evaluates the test split in
// eval mode after each epoch, then prints the confusion matrix, "final train loss", "test
// accuracy" and the wall time since `start`, and writes the curves (--plot). Returns 0.
int run_image_classifier(const TrainerArgs& args, nn::Module& model,
                         std::chrono::steady_clock::time_point start);

}  // namespace xgrad::examples
