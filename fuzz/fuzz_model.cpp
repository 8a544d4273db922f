// Fuzz harness for xgrad-train's saved model (examples/tabular.cpp, load_tabular_model, which
// `xgrad-train predict` uses): the input is model.safetensors, optionally followed by the
// separator "\0SCALER\0" and scaler.safetensors. An accepted model must run on a batch of its
// input width and name a class for every row.
#include <algorithm>

#include "examples/tabular.hpp"
#include "examples/trainer.hpp"
#include "harness.hpp"

using namespace xgrad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char separator[] = {'\0', 'S', 'C', 'A', 'L', 'E', 'R', '\0'};
  const uint8_t* end = data + size;
  const uint8_t* cut = std::search(data, end, separator, separator + sizeof separator);
  fuzz::write_file("model.safetensors", data, static_cast<std::size_t>(cut - data));
  const uint8_t* scaler = cut == end ? end : cut + sizeof separator;
  fuzz::write_file("scaler.safetensors", scaler, static_cast<std::size_t>(end - scaler));
  fuzz::succeeds([&] {
    examples::TabularModel m = examples::load_tabular_model(fuzz::scratch_dir().string());
    const Tensor x = zeros({3, m.spec.inputs});
    const Tensor out = examples::predict(*m.model, m.scaler.transform(x), 2);
    XGRAD_FUZZ_CHECK(out.shape() == (Shape{3, m.spec.outputs}));
    if (m.spec.task == "classify")
      for (int64_t c : data::argmax_rows(out))
        XGRAD_FUZZ_CHECK(c >= 0 && c < static_cast<int64_t>(m.classes.size()));
  });
  return 0;
}
