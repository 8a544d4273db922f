// A character-level language model of English words: the lowercase a–z words of a word list
// (Debian's wamerican, /usr/share/dict/words), split 80/10/10 by seed. `--model lstm` (default),
// `gru` or `transformer` (causal, learned positions) predicts each next character, the word's end
// included; the negative log-likelihood per character on train / validation / test is printed
// beside a bigram-count baseline on the same split, and new words are sampled with a temperature.
// Each model's default recipe is the one measured best for it: the recurrent ones with a
// constant learning rate, the transformer (2 layers) with a warm-up and cosine decay.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

constexpr int64_t kVocab = 27;  // 0: the boundary '.', 1..26: 'a'..'z'

char to_char(int64_t token) { return token == 0 ? '.' : static_cast<char>('a' + token - 1); }

struct Corpus {
  std::vector<std::string> train, valid, test;
};

// The distinct words of one or more lowercase letters a–z (names, capitals and possessives of
// the list are left out), shuffled by seed and split 80/10/10.
Corpus load_words(const std::string& path, uint64_t seed) {
  std::ifstream in(path);
  if (!in) throw Error("--words: cannot open " + path);
  std::set<std::string> distinct;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() &&
        std::all_of(line.begin(), line.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
      distinct.insert(line);
  }
  if (distinct.size() < 10)
    throw Error("--words: " + path + " has " + std::to_string(distinct.size()) +
                " lowercase a-z words in " + std::to_string(line_no) + " lines; need at least 10");
  std::vector<std::string> words(distinct.begin(), distinct.end());
  Generator gen(seed);
  Tensor order = randperm(static_cast<int64_t>(words.size()), Dtype::int64, &gen);
  Corpus c;
  const std::size_t n = words.size(), n_train = n * 8 / 10, n_valid = n / 10;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& w = words[static_cast<std::size_t>(order.data<int64_t>()[i])];
    (i < n_train ? c.train : i < n_train + n_valid ? c.valid : c.test).push_back(w);
  }
  return c;
}

// A batch of words as next-character prediction: inputs (N, L) start with the boundary and are
// padded with it; targets lists the characters to predict (each word's letters and its end) at
// their flat positions in (N·L).
struct Batch {
  Tensor inputs, targets, positions;
  int64_t characters = 0;
};

Batch make_batch(const std::vector<std::string>& words, const std::vector<int64_t>& order,
                 std::size_t begin, std::size_t end) {
  std::size_t longest = 0;
  for (std::size_t i = begin; i < end; ++i)
    longest = std::max(longest, words[static_cast<std::size_t>(order[i])].size());
  const int64_t n = static_cast<int64_t>(end - begin), len = static_cast<int64_t>(longest) + 1;
  std::vector<int64_t> inputs(static_cast<std::size_t>(n * len), 0), targets, positions;
  for (int64_t b = 0; b < n; ++b) {
    const std::string& w =
        words[static_cast<std::size_t>(order[begin + static_cast<std::size_t>(b)])];
    for (std::size_t t = 0; t <= w.size(); ++t) {
      if (t < w.size()) inputs[static_cast<std::size_t>(b * len) + t + 1] = w[t] - 'a' + 1;
      targets.push_back(t < w.size() ? w[t] - 'a' + 1 : 0);
      positions.push_back(b * len + static_cast<int64_t>(t));
    }
  }
  const int64_t k = static_cast<int64_t>(targets.size());
  return {from_vector(inputs, {n, len}, Dtype::int64), from_vector(targets, {k}, Dtype::int64),
          from_vector(positions, {k}, Dtype::int64), k};
}

// P(next | previous) from the training words' counts plus one (Laplace smoothing).
class Bigram {
 public:
  explicit Bigram(const std::vector<std::string>& words)
      : counts_(static_cast<std::size_t>(kVocab * kVocab), 1.0) {
    for (const std::string& w : words) {
      int64_t prev = 0;
      for (std::size_t t = 0; t <= w.size(); ++t) {
        const int64_t next = t < w.size() ? w[t] - 'a' + 1 : 0;
        counts_[static_cast<std::size_t>(prev * kVocab + next)] += 1.0;
        prev = next;
      }
    }
    for (int64_t p = 0; p < kVocab; ++p) {
      double total = 0;
      for (int64_t q = 0; q < kVocab; ++q)
        total += counts_[static_cast<std::size_t>(p * kVocab + q)];
      for (int64_t q = 0; q < kVocab; ++q) {
        double& c = counts_[static_cast<std::size_t>(p * kVocab + q)];
        c = std::log(c / total);
      }
    }
  }
  // Mean negative log-likelihood per predicted character.
  double nll(const std::vector<std::string>& words) const {
    double total = 0;
    int64_t count = 0;
    for (const std::string& w : words) {
      int64_t prev = 0;
      for (std::size_t t = 0; t <= w.size(); ++t) {
        const int64_t next = t < w.size() ? w[t] - 'a' + 1 : 0;
        total -= counts_[static_cast<std::size_t>(prev * kVocab + next)];
        ++count;
        prev = next;
      }
    }
    return total / static_cast<double>(count);
  }

 private:
  std::vector<double> counts_;  // log-probabilities after construction
};

// Token ids (N, L) -> next-character logits (N, L, kVocab).
class CharModel : public nn::Module {
 public:
  CharModel(const std::string& kind, int64_t embed, int64_t hidden, int64_t layers, double dropout,
            int64_t max_len, Generator* gen)
      : kind_(kind) {
    embedding_ = register_module(
        "embedding",
        std::make_shared<nn::Embedding>(kVocab, embed, nn::functional::EmbeddingOptions{}, gen));
    const nn::RecurrentOptions rnn{.num_layers = layers, .batch_first = true, .dropout = dropout};
    if (kind == "lstm") {
      body_ = register_module("rnn", std::make_shared<nn::LSTM>(embed, hidden, rnn, gen));
    } else if (kind == "gru") {
      body_ = register_module("rnn", std::make_shared<nn::GRU>(embed, hidden, rnn, gen));
    } else if (kind == "transformer") {
      // Token and learned position embeddings of width d_model = hidden, a causal pre-norm
      // encoder (4 heads, feed-forward 4·d_model, GELU, --dropout) and a final LayerNorm.
      positions_ = register_module(
          "positions",
          std::make_shared<nn::LearnedPositionalEmbedding>(
              max_len, hidden, nn::PositionalEncodingOptions{.batch_first = true, .gen = gen}));
      auto layer = std::make_shared<nn::TransformerEncoderLayer>(
          hidden, 4,
          nn::TransformerLayerOptions{.dim_feedforward = 4 * hidden,
                                      .dropout = dropout,
                                      .activation = nn::TransformerActivation::gelu,
                                      .batch_first = true,
                                      .norm_first = true,
                                      .gen = gen});
      encoder_ = register_module(
          "encoder", std::make_shared<nn::TransformerEncoder>(
                         layer, layers, std::make_shared<nn::LayerNorm>(Shape{hidden})));
    } else {
      throw Error("--model: expected lstm, gru or transformer, got \"" + kind + "\"");
    }
    head_ = register_module("head", std::make_shared<nn::Linear>(hidden, kVocab, true, gen));
  }
  Tensor forward(const Tensor& tokens) override {
    Tensor x = (*embedding_)(tokens);
    if (encoder_) return (*head_)(encoder_->forward((*positions_)(x), Tensor(), Tensor(), true));
    return (*head_)((*body_)(x));
  }
  std::string type_name() const override { return "CharModel"; }

 private:
  std::string kind_;
  std::shared_ptr<nn::Embedding> embedding_;
  std::shared_ptr<nn::Module> body_;  // the LSTM or GRU
  std::shared_ptr<nn::LearnedPositionalEmbedding> positions_;
  std::shared_ptr<nn::TransformerEncoder> encoder_;
  std::shared_ptr<nn::Linear> head_;
};

// Cross-entropy of the predicted characters only (padding positions left out).
Tensor batch_loss(nn::Module& model, const Batch& batch) {
  Tensor logits = reshape(model(batch.inputs), {-1, kVocab});
  return nn::functional::cross_entropy(index_select(logits, 0, batch.positions), batch.targets);
}

// The cosine schedule's rate at `step` of `total`: warm-up to lr over the first 2% of the steps,
// then lr · (1 + cos(π · progress)) / 2 down to 0.
double scheduled_lr(double lr, int64_t step, int64_t total) {
  const double warmup = std::max(1.0, 0.02 * static_cast<double>(total));
  const double s = static_cast<double>(step);
  if (s < warmup) return lr * (s + 1) / warmup;
  const double progress = (s - warmup) / std::max(1.0, static_cast<double>(total) - warmup);
  return lr * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
}

std::vector<int64_t> identity_order(std::size_t n) {
  std::vector<int64_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
  return order;
}

// Mean NLL per character over `words`, in eval mode without a graph.
double evaluate(nn::Module& model, const std::vector<std::string>& words, int64_t batch_size) {
  NoGradGuard no_grad;
  model.eval();
  // Batches of words of similar length waste little on padding.
  std::vector<int64_t> order = identity_order(words.size());
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return words[static_cast<std::size_t>(a)].size() < words[static_cast<std::size_t>(b)].size();
  });
  double total = 0;
  int64_t count = 0;
  for (std::size_t b = 0; b < words.size(); b += static_cast<std::size_t>(batch_size)) {
    Batch batch = make_batch(words, order, b,
                             std::min(words.size(), b + static_cast<std::size_t>(batch_size)));
    total += batch_loss(model, batch).item() * static_cast<double>(batch.characters);
    count += batch.characters;
  }
  model.train();
  return total / static_cast<double>(count);
}

// Words drawn one character at a time from softmax(logits / temperature).
std::vector<std::string> sample(nn::Module& model, int64_t count, double temperature,
                                int64_t max_len, Generator* gen) {
  NoGradGuard no_grad;
  model.eval();
  std::vector<std::string> words;
  for (int64_t s = 0; s < count; ++s) {
    std::vector<int64_t> tokens{0};
    std::string word;
    while (static_cast<int64_t>(tokens.size()) < max_len) {
      Tensor logits =
          model(from_vector(tokens, {1, static_cast<int64_t>(tokens.size())}, Dtype::int64));
      Tensor last = select(select(logits, 0, 0), 0, static_cast<int64_t>(tokens.size()) - 1);
      const int64_t next =
          multinomial(softmax(div(last, temperature), 0), 1, false, gen).item<int64_t>();
      if (next == 0) break;
      word += to_char(next);
      tokens.push_back(next);
    }
    words.push_back(word);
  }
  model.train();
  return words;
}

}  // namespace

int main(int argc, char** argv) try {
  TrainerArgs args =
      parse_args(argc, argv,
                 "Train a character-level language model (LSTM, GRU or transformer) on a word list",
                 {.epochs = 6, .lr = 3e-3, .batch_size = 64},
                 {{"--words", "the word list, one word per line", "/usr/share/dict/words"},
                  {"--model", "lstm, gru or transformer", "lstm"},
                  {"--embed", "character embedding size (recurrent models)", "32"},
                  {"--hidden", "hidden size (the transformer's d_model)", "128"},
                  {"--layers", "recurrent or encoder layers (default: 1 recurrent, 2 encoder)", ""},
                  {"--dropout", "dropout in the transformer, or between recurrent layers", "0"},
                  {"--limit", "train on the first N training words (0: all)", "0"},
                  {"--samples", "words to sample at the end", "10"},
                  {"--temperature", "sampling temperature", "0.8"},
                  {"--schedule",
                   "learning rate: constant, or cosine (a linear warm-up over the first 2% of "
                   "the steps, then a cosine decay to 0); default: constant for lstm and gru, "
                   "cosine for the transformer",
                   ""}});
  const auto start = std::chrono::steady_clock::now();
  Corpus corpus = load_words(args.get("words"), args.seed);
  const int64_t limit = args.get_int("limit");
  if (limit < 0) throw Error("--limit: expected a count >= 0, got " + std::to_string(limit));
  if (limit > 0 && static_cast<std::size_t>(limit) < corpus.train.size())
    corpus.train.resize(static_cast<std::size_t>(limit));
  const double temperature = args.get_double("temperature");
  if (!(temperature > 0))
    throw Error("--temperature: expected a positive number, got " + args.get("temperature"));
  std::size_t longest = 0;
  for (const auto* split : {&corpus.train, &corpus.valid, &corpus.test})
    for (const std::string& w : *split) longest = std::max(longest, w.size());
  const int64_t max_len = static_cast<int64_t>(longest) + 1;
  if (!args.quiet)
    std::printf("%zu words: %zu train, %zu validation, %zu test (longest %zu letters)\n",
                corpus.train.size() + corpus.valid.size() + corpus.test.size(), corpus.train.size(),
                corpus.valid.size(), corpus.test.size(), longest);

  Bigram bigram(corpus.train);
  Generator init(args.seed);
  const std::string kind = args.get("model");
  const double dropout = args.get_double("dropout");
  if (!(dropout >= 0 && dropout < 1))
    throw Error("--dropout: expected a probability in [0, 1), got " + args.get("dropout"));
  // The transformer's token embedding is d_model wide.
  const int64_t embed = kind == "transformer" ? args.get_int("hidden") : args.get_int("embed");
  const int64_t layers =
      args.get("layers").empty() ? (kind == "transformer" ? 2 : 1) : args.get_int("layers");
  if (layers < 1) throw Error("--layers: expected at least 1, got " + std::to_string(layers));
  CharModel model(kind, embed, args.get_int("hidden"), layers, dropout, max_len, &init);
  if (!args.quiet) std::cout << model << "\n";
  auto optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr);
  const std::string schedule = args.get("schedule").empty()
                                   ? (kind == "transformer" ? "cosine" : "constant")
                                   : args.get("schedule");
  if (schedule != "constant" && schedule != "cosine")
    throw Error("--schedule: expected constant or cosine, got \"" + schedule + "\"");
  const bool cosine = schedule == "cosine";
  int64_t first_epoch = 0;
  if (!args.resume.empty()) first_epoch = load_checkpoint(args.resume, model, *optimizer);

  Curves curves({"epoch", "train_loss", "valid_nll"});
  Progress progress(args.quiet);
  const int64_t batches =
      static_cast<int64_t>((corpus.train.size() + static_cast<std::size_t>(args.batch_size) - 1) /
                           static_cast<std::size_t>(args.batch_size));
  for (int64_t epoch = first_epoch; epoch < args.epochs; ++epoch) {
    Generator shuffle(args.seed * 1000003 + static_cast<uint64_t>(epoch));
    Tensor perm = randperm(static_cast<int64_t>(corpus.train.size()), Dtype::int64, &shuffle);
    std::vector<int64_t> order(perm.data<int64_t>(), perm.data<int64_t>() + perm.numel());
    progress.start(epoch + 1, args.epochs, batches);
    double loss_sum = 0;
    int64_t chars = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const std::size_t from = static_cast<std::size_t>(b * args.batch_size);
      Batch batch = make_batch(
          corpus.train, order, from,
          std::min(corpus.train.size(), from + static_cast<std::size_t>(args.batch_size)));
      if (cosine)
        optimizer->set_lr(scheduled_lr(args.lr, epoch * batches + b, args.epochs * batches));
      optimizer->zero_grad();
      Tensor loss = batch_loss(model, batch);
      loss.backward();
      optimizer->step();
      loss_sum += loss.item() * static_cast<double>(batch.characters);
      chars += batch.characters;
      progress.update(b + 1, loss_sum / static_cast<double>(chars), batch.inputs.shape()[0]);
    }
    const double valid = evaluate(model, corpus.valid, 256);
    char summary[160];
    std::snprintf(summary, sizeof summary, "train loss %.4f, validation NLL %.4f",
                  loss_sum / static_cast<double>(chars), valid);
    progress.finish(summary);
    curves.add({static_cast<double>(epoch + 1), loss_sum / static_cast<double>(chars), valid});
    if (!args.save.empty()) save_checkpoint(args.save, model, *optimizer, epoch + 1);
  }

  const double train = evaluate(model, corpus.train, 256),
               valid = evaluate(model, corpus.valid, 256), test = evaluate(model, corpus.test, 256);
  const double b_train = bigram.nll(corpus.train), b_valid = bigram.nll(corpus.valid),
               b_test = bigram.nll(corpus.test);
  std::printf("NLL per character (nats): %-12s train %.4f, validation %.4f, test %.4f\n", "bigram",
              b_train, b_valid, b_test);
  std::printf("NLL per character (nats): %-12s train %.4f, validation %.4f, test %.4f\n",
              args.get("model").c_str(), train, valid, test);
  std::printf("test NLL improvement over bigram: %.2f%%\n", (1.0 - test / b_test) * 100.0);
  Generator sampler(args.seed + 17);
  const int64_t samples = args.get_int("samples");
  if (samples > 0) {
    std::printf("samples (temperature %.2f):", temperature);
    for (const std::string& w : sample(model, samples, temperature, max_len + 10, &sampler))
      std::printf(" %s", w.c_str());
    std::printf("\n");
  }
  report_curves(curves, args.plot);
  std::printf("wall time: %.1f s\n", seconds_since(start));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "names: %s\n", e.what());
  return 1;
}
