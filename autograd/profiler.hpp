// Profiler: while a Profiler is alive, every op's forward call and every node's backward are
// timed (with the input shapes if asked), and user code can mark ranges with RecordScope. The
// result is a table sorted by self time (an op's time without the ops it called) and a Chrome
// trace (chrome://tracing, Perfetto). When no profiler runs, an op tests one flag.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::profiler {

struct Options {
  bool record_shapes = false;  // group the table by input shapes too
};

enum class Phase : uint8_t { forward, backward, user };
const char* phase_name(Phase phase);

// One timed call. Times are in nanoseconds since the profiler started.
struct Event {
  std::string name;
  Phase phase;
  int64_t start_ns, end_ns;
  int64_t self_ns;     // without the events nested in it on the same thread
  uint32_t thread;     // 0 for the thread that started the profiler, then 1, 2, ... as seen
  std::string shapes;  // "(64, 784), (128, 784)" when Options::record_shapes
};

// A row of the summary: all events of one name and phase (and shapes, when recorded).
struct Row {
  std::string name;
  Phase phase;
  std::string shapes;
  int64_t calls = 0;
  int64_t total_ns = 0, self_ns = 0;
};

// RAII: profiling runs from construction to stop() (or destruction). One at a time.
class Profiler {
 public:
  explicit Profiler(Options options = {});
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  void stop();  // ends profiling and collects the events of every thread; further calls do nothing
  const std::vector<Event>& events();  // stops first
  std::vector<Row> summary();          // sorted by self time, largest first
  // The summary as a text table (at most `max_rows` rows, 0 for all), with each row's share of
  // the profiled wall time.
  std::string table(std::size_t max_rows = 0);
  // Chrome's trace event format (JSON). The file is replaced atomically.
  void export_chrome_trace(const std::string& path);

 private:
  Options options_;
  bool running_ = true;
  int64_t wall_ns_ = 0;
  std::vector<Event> events_;
};

// A named range in user code ("data", "optimizer step"), shown like an op.
class RecordScope {
 public:
  explicit RecordScope(std::string_view name);
  ~RecordScope();
  RecordScope(const RecordScope&) = delete;
  RecordScope& operator=(const RecordScope&) = delete;

 private:
  int64_t index_ = -1;
};

}  // namespace xgrad::profiler

namespace xgrad::detail {

inline std::atomic<bool> profiling{false};
inline bool is_profiling() { return profiling.load(std::memory_order_relaxed); }

// Opens and closes the current thread's event; the index is -1 when nothing was opened.
int64_t profile_begin(const char* name, profiler::Phase phase,
                      std::initializer_list<const Tensor*> inputs);
int64_t profile_begin(const std::string& name, profiler::Phase phase,
                      const std::vector<Tensor>& inputs);
void profile_end(int64_t index);

// Placed at the top of every op's public function: times the call when a profiler runs.
class OpScope {
 public:
  template <class... Inputs>
  explicit OpScope(const char* name, const Inputs&... inputs) {
    if (is_profiling()) [[unlikely]]
      index_ = begin(name, inputs...);
  }
  ~OpScope() {
    if (index_ >= 0) [[unlikely]]
      profile_end(index_);
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  template <class... Inputs>
  static int64_t begin(const char* name, const Inputs&... inputs) {
    return profile_begin(name, profiler::Phase::forward, {&inputs...});
  }
  static int64_t begin(const char* name, const std::vector<Tensor>& inputs) {
    return profile_begin(name, profiler::Phase::forward, inputs);
  }
  int64_t index_ = -1;
};

// Around a node's backward in the engine.
class BackwardScope {
 public:
  BackwardScope(const char* name, const Tensor& grad) {
    if (is_profiling()) [[unlikely]]
      index_ = profile_begin(name, profiler::Phase::backward, {&grad});
  }
  ~BackwardScope() {
    if (index_ >= 0) [[unlikely]]
      profile_end(index_);
  }
  BackwardScope(const BackwardScope&) = delete;
  BackwardScope& operator=(const BackwardScope&) = delete;

 private:
  int64_t index_ = -1;
};

}  // namespace xgrad::detail
