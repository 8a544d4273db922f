// safetensors reader and writer (nlohmann-json for the header).
#include "tensor/safetensors.hpp"

#include "tensor/file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace xgrad {

namespace {

const char* st_dtype(Dtype d) {
  switch (d) {
    case Dtype::float32:
      return "F32";
    case Dtype::float64:
      return "F64";
    case Dtype::int64:
      return "I64";
    case Dtype::int32:
      return "I32";
    case Dtype::uint8:
      return "U8";
    case Dtype::bool_:
      return "BOOL";
  }
  return "F32";
}

// How a file's element type is read: into which dtype, and from how many bytes per element.
// F16 and BF16 widen to float32 (checkpoints saved by PyTorch in half precision load).
enum class Stored { native, f16, bf16 };
struct FileDtype {
  Dtype dtype;
  Stored stored;
  std::size_t bytes;
};
bool parse_dtype(const std::string& s, FileDtype& out) {
  static const std::pair<const char*, FileDtype> known[] = {
      {"F32", {Dtype::float32, Stored::native, 4}}, {"F64", {Dtype::float64, Stored::native, 8}},
      {"I64", {Dtype::int64, Stored::native, 8}},   {"I32", {Dtype::int32, Stored::native, 4}},
      {"U8", {Dtype::uint8, Stored::native, 1}},    {"BOOL", {Dtype::bool_, Stored::native, 1}},
      {"F16", {Dtype::float32, Stored::f16, 2}},    {"BF16", {Dtype::float32, Stored::bf16, 2}}};
  for (const auto& [name, d] : known)
    if (s == name) {
      out = d;
      return true;
    }
  return false;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {  // inf or NaN
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // zero
    bits = sign;
  } else {  // subnormal: value = mantissa · 2^-24, exact in float32
    float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error("safetensors: " + path + ": " + what);
}

// A JSON number that is a non-negative integer (not 2.5, -1, 1e30 or true), as a uint64.
// (nlohmann's get<uint64_t> of a float or a negative number is a cast with undefined behaviour.)
bool whole_number(const nlohmann::json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {  // "-0"
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__" || header.contains(name))
      fail(path, "duplicate or reserved name '" + name + "'");
    std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    header[name] = {{"dtype", st_dtype(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8) text.push_back(' ');
  uint64_t n = text.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));

  write_file_atomically(
      path,
      [&](FileWriter& out) {
        out.write(len, 8);
        out.write(text);
        for (const auto& [name, t] : tensors) {  // x86-64 and aarch64 are little-endian already
          const Tensor dense = t.is_contiguous() ? t : t.contiguous_copy();  // views are saved too
          out.write(dense.raw_data(), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()));
        }
      },
      "safetensors: ");
}

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

Tensor SafetensorsFile::get(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw Error("safetensors: missing tensor '" + name + "'");
  return *t;
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8)
    fail(path, "file too short for a header (" + std::to_string(file_size) + " bytes)");
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
  if (n > file_size - 8)
    fail(path, "header length " + std::to_string(n) + " exceeds the file size");
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    fail(path, std::string("corrupt JSON header: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = file_size - 8 - n;

  SafetensorsFile file;
  struct Entry {
    std::string name;
    FileDtype dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) fail(path, "__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          fail(path, "metadata value for '" + m.key() + "' is not a string");
        file.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const auto& v = it.value();
    try {
      Entry e{it.key(), {Dtype::float32, Stored::native, 4}, {}, 0, 0};
      std::string dt = v.at("dtype").get<std::string>();
      if (!parse_dtype(dt, e.dtype))
        fail(path, "tensor '" + e.name + "' has unsupported dtype " + dt +
                       " (xgrad reads F32, F64, F16, BF16, I64, I32, U8 and BOOL)");
      const auto& shape = v.at("shape");
      if (!shape.is_array()) fail(path, "tensor '" + e.name + "' has a shape that is not a list");
      for (const auto& d : shape) {
        uint64_t size = 0;
        if (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0)
          fail(path, "tensor '" + e.name + "' has a negative dimension");
        if (!whole_number(d, size) || size > static_cast<uint64_t>(INT64_MAX))
          fail(path, "tensor '" + e.name + "' has a dimension " + d.dump() +
                         " that is not a whole number below 2^63");
        e.shape.push_back(static_cast<int64_t>(size));
      }
      const auto& off = v.at("data_offsets");
      if (!off.is_array() || off.size() != 2 || !whole_number(off[0], e.begin) ||
          !whole_number(off[1], e.end))
        fail(path, "tensor '" + e.name +
                       "' needs two data_offsets that are whole byte counts, got " + off.dump());
      entries.push_back(e);
    } catch (const nlohmann::json::exception& ex) {
      fail(path, "bad entry for tensor '" + it.key() + "': " + ex.what());
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t expected = 0;
  for (const Entry& e : entries) {
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(shape_numel(e.shape)), e.dtype.bytes, &bytes))
      fail(path, "tensor '" + e.name + "' of shape " + format_shape(e.shape) +
                     " is larger than memory can address");
    if (e.end < e.begin || e.end - e.begin != bytes)
      fail(path, "tensor '" + e.name + "' of shape " + format_shape(e.shape) +
                     " has data_offsets [" + std::to_string(e.begin) + ", " +
                     std::to_string(e.end) + ") that do not match its size");
    if (e.begin != expected)
      fail(path, "tensor data overlaps or leaves a hole at '" + e.name + "'");
    if (e.end > data_size)
      fail(path, "truncated: tensor '" + e.name + "' ends at byte " + std::to_string(e.end) +
                     " of a " + std::to_string(data_size) + "-byte data section");
    expected = e.end;
  }
  if (expected != data_size)
    fail(path, "data section has " + std::to_string(data_size - expected) + " trailing bytes");
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype.dtype);
    in.seekg(static_cast<std::streamoff>(8 + n + e.begin));
    if (e.dtype.stored == Stored::native && e.dtype.dtype != Dtype::bool_) {
      in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(e.end - e.begin));
    } else {
      std::vector<unsigned char> raw(e.end - e.begin);
      in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
      const int64_t count = t.numel();
      if (e.dtype.dtype == Dtype::bool_) {  // any byte but 0 is true (no invalid bool values)
        bool* dst = t.data<bool>();
        for (int64_t i = 0; i < count; ++i) dst[i] = raw[i] != 0;
      } else {
        float* dst = t.data<float>();
        for (int64_t i = 0; i < count; ++i) {
          const uint16_t h = static_cast<uint16_t>(raw[2 * i] | (raw[2 * i + 1] << 8));
          dst[i] = e.dtype.stored == Stored::f16 ? half_to_float(h) : bfloat16_to_float(h);
        }
      }
    }
    if (!in) fail(path, "read failed for tensor '" + e.name + "'");
    file.tensors.emplace_back(e.name, t);
  }
  return file;
}

StateDict with_prefix(const std::string& prefix, const StateDict& sd) {
  StateDict out;
  for (const auto& [n, t] : sd) out.emplace_back(prefix + "." + n, t);
  return out;
}

StateDict strip_prefix(const std::string& prefix, const StateDict& sd) {
  StateDict out;
  const std::string p = prefix + ".";
  for (const auto& [n, t] : sd)
    if (n.compare(0, p.size(), p) == 0) out.emplace_back(n.substr(p.size()), t);
  return out;
}

}  // namespace xgrad
