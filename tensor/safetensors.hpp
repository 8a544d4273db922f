// safetensors files: an 8-byte little-endian header length, a JSON header (dtype, shape,
// data_offsets per tensor, optional string metadata), then the raw little-endian bytes.
// Readable from Python without xgrad. Writes are atomic: temporary file, fsync, rename.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor.hpp"

namespace xgrad {

// Named tensors in a stable order (the order of insertion).
using StateDict = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const Metadata& metadata = {});

struct SafetensorsFile {
  StateDict tensors;  // in file order of their data
  Metadata metadata;
  const Tensor* find(const std::string& name) const;
  Tensor get(const std::string& name) const;  // Error naming the file when missing
};
SafetensorsFile load_safetensors(const std::string& path);

// Prefixes every name: {"model", sd} -> "model.fc1.weight".
StateDict with_prefix(const std::string& prefix, const StateDict& sd);
// The entries starting with "prefix.", with the prefix removed.
StateDict strip_prefix(const std::string& prefix, const StateDict& sd);

}  // namespace xgrad
