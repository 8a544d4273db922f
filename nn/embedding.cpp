// Embedding and EmbeddingBag: the lookup is the differentiable xgrad::embedding op; bags are
// index_add (sum, mean) or per-bag max over the looked-up rows.
#include "nn/embedding.hpp"

#include <cmath>

#include "nn/init.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad::nn {

namespace functional {

namespace {

Tensor index_tensor(const std::vector<int64_t>& values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, Dtype::int64);
}

// PyTorch's embedding_renorm_: the rows read whose p-norm exceeds max_norm scaled in place to
// max_norm / (norm + 1e-7), under no-grad (it bumps the weight's version, so a graph that
// saved the weight before refuses to run backward, as in PyTorch).
void renorm_rows(const Tensor& indices, const Tensor& weight, double max_norm, double norm_type) {
  const std::vector<int64_t> idx =
      detail::index_values("embedding", indices, weight.shape()[0], false);
  std::vector<bool> seen(static_cast<std::size_t>(weight.shape()[0]), false);
  std::vector<int64_t> rows;
  for (int64_t i : idx)
    if (!seen[static_cast<std::size_t>(i)]) {
      seen[static_cast<std::size_t>(i)] = true;
      rows.push_back(i);
    }
  NoGradGuard no_grad;
  Tensor row_index = index_tensor(rows);
  Tensor picked = index_select(weight, 0, row_index);
  Tensor norms = norm(picked, norm_type, {1}, true);
  Tensor scale = where(gt(norms, max_norm), div(max_norm, add(norms, 1e-7)), ones_like(norms));
  Tensor w = weight;
  w.index_put_({row_index}, mul(picked, scale));
}

int64_t resolve_padding(const char* op, const std::optional<int64_t>& padding_idx, int64_t rows) {
  if (!padding_idx) return kNoPadding;
  if (*padding_idx < -rows || *padding_idx >= rows)
    throw Error(std::string(op) + ": padding_idx " + std::to_string(*padding_idx) +
                " is out of range for " + std::to_string(rows) + " embeddings");
  return *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
}

}  // namespace

Tensor embedding(const Tensor& indices, const Tensor& weight, const EmbeddingOptions& options) {
  if (weight.dim() != 2)
    throw Error("embedding: weight must be 2-D (num_embeddings, embedding_dim), got " +
                format_shape(weight.shape()));
  const int64_t padding = resolve_padding("embedding", options.padding_idx, weight.shape()[0]);
  if (options.max_norm) renorm_rows(indices, weight, *options.max_norm, options.norm_type);
  return xgrad::embedding(weight, indices, padding, options.scale_grad_by_freq);
}

Tensor embedding_bag(const Tensor& indices, const Tensor& weight, const Tensor& offsets,
                     const EmbeddingBagOptions& options, const Tensor& per_sample_weights) {
  if (weight.dim() != 2)
    throw Error("embedding_bag: weight must be 2-D (num_embeddings, embedding_dim), got " +
                format_shape(weight.shape()));
  const int64_t rows = weight.shape()[0];
  const int64_t padding = resolve_padding("embedding_bag", options.padding_idx, rows);
  // bag_of[p]: the bag of flat position p.
  std::vector<int64_t> bag_of;
  int64_t bags = 0;
  const int64_t n = indices.numel();
  if (indices.dim() == 2) {
    if (offsets.defined())
      throw Error(
          "embedding_bag: offsets must be undefined when indices are 2-D (B, n), got "
          "offsets of shape " +
          format_shape(offsets.shape()));
    bags = indices.shape()[0];
    const int64_t per_bag = indices.shape()[1];
    for (int64_t p = 0; p < n; ++p) bag_of.push_back(p / per_bag);
  } else if (indices.dim() == 1) {
    if (!offsets.defined() || offsets.dim() != 1)
      throw Error("embedding_bag: 1-D indices need 1-D offsets (one start per bag)");
    std::vector<int64_t> starts = detail::index_values("embedding_bag", offsets, n + 1, false);
    if (options.include_last_offset) {
      if (starts.empty())
        throw Error("embedding_bag: include_last_offset needs at least one offset");
      if (starts.back() != n)
        throw Error(
            "embedding_bag: with include_last_offset the last offset must be the number "
            "of indices " +
            std::to_string(n) + ", got " + std::to_string(starts.back()));
      starts.pop_back();
    }
    if (!starts.empty() && starts[0] != 0)
      throw Error("embedding_bag: the first offset must be 0, got " + std::to_string(starts[0]));
    bags = static_cast<int64_t>(starts.size());
    for (int64_t b = 0; b < bags; ++b) {
      const int64_t end = b + 1 < bags ? starts[static_cast<std::size_t>(b) + 1] : n;
      if (end < starts[static_cast<std::size_t>(b)])
        throw Error("embedding_bag: offsets must not decrease, got " +
                    std::to_string(starts[static_cast<std::size_t>(b)]) + " then " +
                    std::to_string(end));
      for (int64_t p = starts[static_cast<std::size_t>(b)]; p < end; ++p) bag_of.push_back(b);
    }
  } else {
    throw Error("embedding_bag: indices must be 1-D (with offsets) or 2-D (B, n), got " +
                format_shape(indices.shape()));
  }
  if (per_sample_weights.defined()) {
    if (options.mode != BagMode::sum)
      throw Error("embedding_bag: per_sample_weights are only supported with mode sum");
    if (per_sample_weights.shape() != indices.shape())
      throw Error("embedding_bag: per_sample_weights of shape " +
                  format_shape(per_sample_weights.shape()) + " must match indices " +
                  format_shape(indices.shape()));
  }
  Tensor flat = reshape(indices, {-1});
  const std::vector<int64_t> idx = detail::index_values("embedding_bag", flat, rows, false);
  // Positions reading padding_idx take no part in their bag.
  std::vector<int64_t> kept, kept_bag;
  std::vector<int64_t> count(static_cast<std::size_t>(bags), 0);
  for (int64_t p = 0; p < n; ++p) {
    if (idx[static_cast<std::size_t>(p)] == padding) continue;
    kept.push_back(p);
    kept_bag.push_back(bag_of[static_cast<std::size_t>(p)]);
    ++count[static_cast<std::size_t>(bag_of[static_cast<std::size_t>(p)])];
  }
  Tensor kept_index = index_tensor(kept);
  Tensor looked_up = embedding(index_select(flat, 0, kept_index), weight,
                               {.padding_idx = std::nullopt,
                                .max_norm = options.max_norm,
                                .norm_type = options.norm_type,
                                .scale_grad_by_freq = options.scale_grad_by_freq});
  if (per_sample_weights.defined())
    looked_up = mul(looked_up,
                    unsqueeze(index_select(reshape(per_sample_weights, {-1}), 0, kept_index), 1));
  const int64_t dim = weight.shape()[1];
  if (options.mode == BagMode::max) {
    std::vector<Tensor> maxima;
    int64_t start = 0;
    for (int64_t b = 0; b < bags; ++b) {
      const int64_t size = count[static_cast<std::size_t>(b)];
      maxima.push_back(size == 0 ? zeros({dim}, weight.dtype())
                                 : amax(narrow(looked_up, 0, start, size), {0}));
      start += size;
    }
    return bags == 0 ? zeros({0, dim}, weight.dtype()) : stack(maxima, 0);
  }
  Tensor summed =
      index_add(zeros({bags, dim}, weight.dtype()), 0, index_tensor(kept_bag), looked_up);
  if (options.mode == BagMode::sum) return summed;
  std::vector<double> inverse(count.size());
  for (std::size_t b = 0; b < count.size(); ++b)
    inverse[b] = count[b] == 0 ? 0.0 : 1.0 / static_cast<double>(count[b]);
  return mul(summed, from_vector(inverse, {bags, 1}, weight.dtype()));
}

}  // namespace functional

namespace {

void check_sizes(const char* type, int64_t num_embeddings, int64_t embedding_dim) {
  if (num_embeddings <= 0 || embedding_dim <= 0)
    throw Error(std::string(type) + ": num_embeddings and embedding_dim must be positive, got " +
                std::to_string(num_embeddings) + " and " + std::to_string(embedding_dim));
}

// N(0, 1) rows, the padding row zeroed.
Tensor initial_table(int64_t rows, int64_t dim, const std::optional<int64_t>& padding_idx,
                     Generator* gen) {
  Tensor w = empty({rows, dim});
  init::normal_(w, 0.0, 1.0, gen);
  if (padding_idx) {
    const int64_t p = *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
    if (p < 0 || p >= rows)
      throw Error("Embedding: padding_idx " + std::to_string(*padding_idx) +
                  " is out of range for " + std::to_string(rows) + " embeddings");
    NoGradGuard no_grad;
    select(w, 0, p).zero_();
  }
  return w;
}

std::string table_repr(int64_t rows, int64_t dim, const std::optional<int64_t>& padding_idx,
                       const std::optional<double>& max_norm) {
  std::string s = std::to_string(rows) + ", " + std::to_string(dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  if (max_norm) s += ", max_norm=" + std::to_string(*max_norm);
  return s;
}

}  // namespace

Embedding::Embedding(int64_t rows, int64_t dim, const functional::EmbeddingOptions& options_,
                     Generator* gen)
    : num_embeddings(rows), embedding_dim(dim), options(options_) {
  check_sizes("Embedding", rows, dim);
  weight = register_parameter("weight", initial_table(rows, dim, options.padding_idx, gen));
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                                      const functional::EmbeddingOptions& options) {
  if (embeddings.dim() != 2)
    throw Error(
        "Embedding::from_pretrained: expected a 2-D table (num_embeddings, "
        "embedding_dim), got " +
        format_shape(embeddings.shape()));
  auto m = std::make_shared<Embedding>(embeddings.shape()[0], embeddings.shape()[1], options);
  NoGradGuard no_grad;
  m->to(embeddings.dtype());
  m->weight.copy_(embeddings);
  m->weight.requires_grad_(!freeze);
  return m;
}

Tensor Embedding::forward(const Tensor& indices) {
  if (is_floating_point(indices.dtype()))
    throw Error("Embedding(" + std::to_string(num_embeddings) + ", " +
                std::to_string(embedding_dim) + "): expected int64 or int32 indices, got " +
                dtype_name(indices.dtype()) + " " + format_shape(indices.shape()));
  return functional::embedding(indices, weight, options);
}

std::string Embedding::extra_repr() const {
  return table_repr(num_embeddings, embedding_dim, options.padding_idx, options.max_norm);
}

std::shared_ptr<Module> Embedding::clone_empty() const {
  return std::make_shared<Embedding>(num_embeddings, embedding_dim, options);
}

EmbeddingBag::EmbeddingBag(int64_t rows, int64_t dim,
                           const functional::EmbeddingBagOptions& options_, Generator* gen)
    : num_embeddings(rows), embedding_dim(dim), options(options_) {
  check_sizes("EmbeddingBag", rows, dim);
  weight = register_parameter("weight", initial_table(rows, dim, options.padding_idx, gen));
}

Tensor EmbeddingBag::forward(const Tensor& indices) { return forward(indices, Tensor()); }

Tensor EmbeddingBag::forward(const Tensor& indices, const Tensor& offsets,
                             const Tensor& per_sample_weights) {
  return functional::embedding_bag(indices, weight, offsets, options, per_sample_weights);
}

std::string EmbeddingBag::extra_repr() const {
  static const char* const modes[] = {"sum", "mean", "max"};
  return table_repr(num_embeddings, embedding_dim, options.padding_idx, options.max_norm) +
         ", mode=" + modes[static_cast<int>(options.mode)];
}

std::shared_ptr<Module> EmbeddingBag::clone_empty() const {
  return std::make_shared<EmbeddingBag>(num_embeddings, embedding_dim, options);
}

}  // namespace xgrad::nn
