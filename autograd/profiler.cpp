// Profiler (profiler.hpp): per-thread event logs, the summary table and the Chrome trace.
#include "autograd/profiler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <tuple>

#include "tensor/file_io.hpp"

namespace xgrad {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One thread's events of the current session. The mutex is only ever contended while the
// profiler collects them.
struct ThreadLog {
  std::mutex mutex;
  uint64_t session = 0;
  uint32_t thread = 0;
  std::vector<profiler::Event> events;
  std::vector<int64_t> nested_ns;  // per event: the time of the events directly inside it
  std::vector<int64_t> open;       // indices of the events not yet ended, innermost last
};

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<ThreadLog>> logs;  // never shrinks: threads may end any time
  std::atomic<uint64_t> session{0};
  int64_t start_ns = 0;
  bool record_shapes = false;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may log during exit
  return *r;
}

ThreadLog& thread_log() {
  thread_local ThreadLog* log = nullptr;
  Registry& r = registry();
  if (!log) {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.logs.push_back(std::make_unique<ThreadLog>());
    log = r.logs.back().get();
    log->thread = static_cast<uint32_t>(r.logs.size() - 1);
  }
  return *log;
}

std::string shapes_of(std::initializer_list<const Tensor*> inputs) {
  std::string out;
  for (const Tensor* t : inputs)
    out += (out.empty() ? "" : ", ") + (t->defined() ? format_shape(t->shape()) : "undefined");
  return out;
}
std::string shapes_of(const std::vector<Tensor>& inputs) {
  std::string out;
  for (const Tensor& t : inputs)
    out += (out.empty() ? "" : ", ") + (t.defined() ? format_shape(t.shape()) : "undefined");
  return out;
}

template <class Shapes>
int64_t begin_event(std::string name, profiler::Phase phase, const Shapes& shapes) {
  Registry& r = registry();
  ThreadLog& log = thread_log();
  std::lock_guard<std::mutex> lock(log.mutex);
  const uint64_t session = r.session.load(std::memory_order_acquire);
  if (log.session != session) {
    log.events.clear();
    log.nested_ns.clear();
    log.open.clear();
    log.session = session;
  }
  profiler::Event e{std::move(name), phase, now_ns() - r.start_ns, -1, 0, log.thread, {}};
  if (r.record_shapes) e.shapes = shapes();
  log.events.push_back(std::move(e));
  log.nested_ns.push_back(0);
  const auto index = static_cast<int64_t>(log.events.size() - 1);
  log.open.push_back(index);
  return index;
}

}  // namespace

namespace detail {
int64_t profile_begin(const char* name, profiler::Phase phase,
                      std::initializer_list<const Tensor*> inputs) {
  return begin_event(name, phase, [&] { return shapes_of(inputs); });
}
int64_t profile_begin(const std::string& name, profiler::Phase phase,
                      const std::vector<Tensor>& inputs) {
  return begin_event(name, phase, [&] { return shapes_of(inputs); });
}

void profile_end(int64_t index) {
  const int64_t end = now_ns() - registry().start_ns;
  ThreadLog& log = thread_log();
  std::lock_guard<std::mutex> lock(log.mutex);
  // A profiler started meanwhile cleared the log: this event is not in it.
  if (log.open.empty() || log.open.back() != index) return;
  log.open.pop_back();
  profiler::Event& e = log.events[static_cast<std::size_t>(index)];
  e.end_ns = end;
  const int64_t duration = e.end_ns - e.start_ns;
  e.self_ns = duration - log.nested_ns[static_cast<std::size_t>(index)];
  if (!log.open.empty()) log.nested_ns[static_cast<std::size_t>(log.open.back())] += duration;
}
}  // namespace detail

namespace profiler {

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::forward:
      return "forward";
    case Phase::backward:
      return "backward";
    case Phase::user:
      return "user";
  }
  return "?";
}

Profiler::Profiler(Options options) : options_(options) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (detail::profiling.load()) throw Error("Profiler: another profiler is already running");
  r.record_shapes = options.record_shapes;
  r.start_ns = now_ns();
  r.session.fetch_add(1, std::memory_order_release);
  detail::profiling.store(true);
}

Profiler::~Profiler() { stop(); }

void Profiler::stop() {
  if (!running_) return;
  running_ = false;
  detail::profiling.store(false);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  wall_ns_ = now_ns() - r.start_ns;
  const uint64_t session = r.session.load();
  for (const auto& log : r.logs) {
    std::lock_guard<std::mutex> log_lock(log->mutex);
    if (log->session != session) continue;
    for (profiler::Event& e : log->events)
      if (e.end_ns >= 0) events_.push_back(std::move(e));  // calls still running are left out
    log->events.clear();
    log->nested_ns.clear();
    log->open.clear();
  }
  std::sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
    return std::tie(a.start_ns, a.thread) < std::tie(b.start_ns, b.thread);
  });
}

const std::vector<Event>& Profiler::events() {
  stop();
  return events_;
}

std::vector<Row> Profiler::summary() {
  stop();
  std::map<std::tuple<std::string, Phase, std::string>, Row> rows;
  for (const Event& e : events_) {
    Row& row = rows[{e.name, e.phase, e.shapes}];
    row.name = e.name;
    row.phase = e.phase;
    row.shapes = e.shapes;
    ++row.calls;
    row.total_ns += e.end_ns - e.start_ns;
    row.self_ns += e.self_ns;
  }
  std::vector<Row> sorted;
  for (auto& [key, row] : rows) sorted.push_back(std::move(row));
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Row& a, const Row& b) { return a.self_ns > b.self_ns; });
  return sorted;
}

std::string Profiler::table(std::size_t max_rows) {
  std::vector<Row> rows = summary();
  if (max_rows && rows.size() > max_rows) rows.resize(max_rows);
  std::size_t name_width = 4;
  for (const Row& r : rows) name_width = std::max(name_width, r.name.size());
  std::string out;
  char line[512];
  auto add_row = [&](const char* name, const char* phase, const char* calls, const char* self,
                     const char* share, const char* total, const char* mean, const char* shapes) {
    std::snprintf(line, sizeof line, "%-*s  %-8s  %8s  %12s  %7s  %12s  %11s", int(name_width),
                  name, phase, calls, self, share, total, mean);
    out += line;
    if (options_.record_shapes) out += std::string("  ") + shapes;
    out += '\n';
  };
  add_row("Name", "Phase", "Calls", "Self (ms)", "Self %", "Total (ms)", "Mean (us)",
          "Input shapes");
  for (const Row& r : rows) {
    char calls[32], self[32], share[32], total[32], mean[32];
    std::snprintf(calls, sizeof calls, "%lld", static_cast<long long>(r.calls));
    std::snprintf(self, sizeof self, "%.3f", r.self_ns / 1e6);
    std::snprintf(share, sizeof share, "%.1f", wall_ns_ > 0 ? 100.0 * r.self_ns / wall_ns_ : 0.0);
    std::snprintf(total, sizeof total, "%.3f", r.total_ns / 1e6);
    std::snprintf(mean, sizeof mean, "%.2f", r.total_ns / 1e3 / static_cast<double>(r.calls));
    add_row(r.name.c_str(), phase_name(r.phase), calls, self, share, total, mean, r.shapes.c_str());
  }
  std::snprintf(line, sizeof line, "Profiled wall time: %.3f ms (self %% is of it)\n",
                wall_ns_ / 1e6);
  return out + line;
}

void Profiler::export_chrome_trace(const std::string& path) {
  stop();
  nlohmann::json trace_events = nlohmann::json::array();
  for (const Event& e : events_) {
    nlohmann::json event = {
        {"name", e.name},         {"cat", phase_name(e.phase)},           {"ph", "X"},
        {"ts", e.start_ns / 1e3}, {"dur", (e.end_ns - e.start_ns) / 1e3}, {"pid", 0},
        {"tid", e.thread}};
    if (!e.shapes.empty()) event["args"] = {{"input shapes", e.shapes}};
    trace_events.push_back(std::move(event));
  }
  const std::string text =
      nlohmann::json{{"traceEvents", trace_events}, {"displayTimeUnit", "ms"}}.dump();
  write_file_atomically(
      path, [&](FileWriter& out) { out.write(text); }, "profiler: ");
}

RecordScope::RecordScope(std::string_view name) {
  if (detail::is_profiling())
    index_ = begin_event(std::string(name), Phase::user, [] { return std::string(); });
}

RecordScope::~RecordScope() {
  if (index_ >= 0) detail::profile_end(index_);
}

}  // namespace profiler
}  // namespace xgrad
