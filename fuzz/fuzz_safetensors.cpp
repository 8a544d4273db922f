// Fuzz harness for the safetensors reader (tensor/safetensors.cpp, load_safetensors): the input
// is a .safetensors file. Every accepted tensor must own as many bytes as its shape says, and
// reading all of it must stay inside them (AddressSanitizer watches).
#include "harness.hpp"
#include "tensor/safetensors.hpp"

using namespace xgrad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("input.safetensors", data, size);
  fuzz::succeeds([&] {
    SafetensorsFile f = load_safetensors(path);
    std::size_t bytes = 0;
    for (const auto& [name, t] : f.tensors) {
      XGRAD_FUZZ_CHECK(t.numel() == shape_numel(t.shape()));
      XGRAD_FUZZ_CHECK(f.find(name) != nullptr);
      bytes += static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
      XGRAD_FUZZ_CHECK(static_cast<int64_t>(t.to_vector().size()) == t.numel());
    }
    // F16 and BF16 widen to 4 bytes, so the tensors hold at most twice the file's data.
    XGRAD_FUZZ_CHECK(bytes <= 2 * size);
  });
  return 0;
}
