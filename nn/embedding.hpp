// Lookup tables: Embedding (a row of a learnable table per int64 index, padding_idx, max_norm,
// from_pretrained) and EmbeddingBag (sums or means of bags of rows), with their functional forms.
#pragma once

#include <optional>

#include "module.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn {

namespace functional {

struct EmbeddingOptions {
  std::optional<int64_t> padding_idx;  // rows read here get no gradient; negative from the end
  std::optional<double> max_norm;      // rows read are first renormalised to this norm, in place
  double norm_type = 2.0;              // the p of max_norm's p-norm
  bool scale_grad_by_freq = false;     // each row's gradient over how often it is read
};

// weight[indices]: indices (int64 or int32) of any shape, weight (num_embeddings, dim); the
// result has shape indices.shape() + (dim). With max_norm, the rows read whose norm exceeds it
// are scaled in place (under no-grad, as PyTorch's embedding_renorm_) to max_norm / (norm + 1e-7).
Tensor embedding(const Tensor& indices, const Tensor& weight, const EmbeddingOptions& options = {});

enum class BagMode { sum, mean, max };

struct EmbeddingBagOptions {
  BagMode mode = BagMode::mean;
  std::optional<int64_t> padding_idx;  // excluded from the bags (and from the mean's count)
  std::optional<double> max_norm;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;
  bool include_last_offset = false;  // offsets has B + 1 entries, the last one the end
};

// Bags of rows reduced to one row each (B, dim). indices either 2-D (B, n): each row is a bag;
// or 1-D with offsets (B): bag b is indices[offsets[b] : offsets[b + 1]] (the last bag runs to
// the end). per_sample_weights (shaped as indices) scale each row, mode sum only. An empty bag
// gives zeros.
Tensor embedding_bag(const Tensor& indices, const Tensor& weight, const Tensor& offsets = Tensor(),
                     const EmbeddingBagOptions& options = {},
                     const Tensor& per_sample_weights = Tensor());

}  // namespace functional

// PyTorch's nn.Embedding: weight (num_embeddings, embedding_dim) ~ N(0, 1), the padding_idx row
// zeroed. Input: int64/int32 indices of any shape; output: input.shape() + (embedding_dim).
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim,
            const functional::EmbeddingOptions& options = {}, Generator* gen = nullptr);
  // A table holding `embeddings` (copied); frozen (no gradient) unless freeze is false.
  static std::shared_ptr<Embedding> from_pretrained(
      const Tensor& embeddings, bool freeze = true,
      const functional::EmbeddingOptions& options = {});
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;
  Tensor weight;
  int64_t num_embeddings, embedding_dim;
  functional::EmbeddingOptions options;
};

// PyTorch's nn.EmbeddingBag: forward(indices, offsets, per_sample_weights) as
// functional::embedding_bag; forward(indices) for 2-D bags.
class EmbeddingBag : public Module {
 public:
  EmbeddingBag(int64_t num_embeddings, int64_t embedding_dim,
               const functional::EmbeddingBagOptions& options = {}, Generator* gen = nullptr);
  using Module::forward;
  Tensor forward(const Tensor& indices) override;
  Tensor forward(const Tensor& indices, const Tensor& offsets,
                 const Tensor& per_sample_weights = Tensor());
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;
  Tensor weight;
  int64_t num_embeddings, embedding_dim;
  functional::EmbeddingBagOptions options;
};

}  // namespace xgrad::nn
