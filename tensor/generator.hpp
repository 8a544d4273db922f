// Random numbers: a seedable generator (64-bit Mersenne Twister) with its own uniform and normal
// transforms, so the same seed gives bit-identical numbers on every platform and library version.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace xgrad {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : engine_(seed) {}
  void seed(uint64_t seed) {
    engine_.seed(seed);
    has_spare_ = false;
  }
  uint64_t next_u64() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  double normal();  // standard normal (Box-Muller, caches the second value)
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return n == 0 ? 0 : engine_() % n; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// The generator used when none is passed; reseeded by manual_seed. It is shared by all threads:
// every factory that draws from it (randn, uniform, randint, randperm, bernoulli, multinomial,
// the nn::init functions, dropout) holds its lock for the whole tensor, and a caller that needs
// several draws to be one unit (a layer's weight and bias) holds lock_default_generator()
// across them (the lock is recursive). Concurrent users then get the numbers of some sequential
// order; single-threaded results are unchanged. default_generator() itself is the unlocked
// generator: hold the lock while using it from several threads, or give each thread its own.
Generator& default_generator();
std::unique_lock<std::recursive_mutex> lock_default_generator();
void manual_seed(uint64_t seed);

}  // namespace xgrad
