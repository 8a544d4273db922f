// The per-thread block cache behind allocate_block / free_block, and the storage byte counter.
#include "tensor/memory.hpp"

#include <atomic>

namespace xgrad {

namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kMaxCachedBytes = std::size_t(256) << 20;
constexpr std::size_t kSmallClasses = 1024;  // sizes up to 64 KiB: one free list per 64 bytes

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif

std::size_t rounded(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

void* system_allocate(std::size_t bytes) {
  return ::operator new (bytes, std::align_val_t{kAlign});
}
void system_free(void* p) noexcept { ::operator delete (p, std::align_val_t{kAlign}); }

// Free blocks are kept in intrusive singly linked lists (a free block's first word points to
// the next). All of it is trivially constructible, so thread_local access costs no guard.
//
// The policy, per size: a thread keeps a freed block only while it holds fewer free blocks than
// the most it has had in use at once. A training step's sizes are all allocated by the thread
// that frees them, so after the first step every block it needs is cached; a size the thread
// only frees (the batches a prefetch thread makes) has a peak of 0 and is never hoarded. A block
// freed here that another thread allocated still lowers `in_use` (clamped at 0), which can only
// make the thread keep fewer.
struct SizeStats {
  std::uint32_t in_use, peak_in_use, cached;
};
struct FreeList {
  void* head;
  SizeStats stats;
};
struct LargeList {
  std::size_t size;  // 0: unclaimed
  FreeList list;
};
constexpr std::size_t kLargeLists = 64;  // distinct sizes above 64 KiB tracked per thread

struct Cache {
  FreeList small[kSmallClasses];
  LargeList large[kLargeLists];
  std::size_t bytes;
  bool reaper_armed, gone;
};
thread_local Cache cache __attribute__((tls_model("initial-exec")));

void push(void*& head, void* p) {
  *static_cast<void**>(p) = head;
  head = p;
}
void* pop(void*& head) {
  void* p = head;
  if (p) head = *static_cast<void**>(p);
  return p;
}
void free_list(void*& head) noexcept {
  while (void* p = pop(head)) system_free(p);
}

void clear(Cache& c) noexcept {
  for (FreeList& l : c.small) {
    free_list(l.head);
    l.stats.cached = 0;
  }
  for (LargeList& l : c.large) {
    free_list(l.list.head);
    l = LargeList{};
  }
  c.bytes = 0;
}

// Frees the cache when its thread exits; constructed on the thread's first cached free.
struct Reaper {
  ~Reaper() {
    clear(cache);
    cache.gone = true;
  }
};
thread_local Reaper reaper;

bool is_small(std::size_t size) { return size <= kSmallClasses * kAlign; }

// The free list of `size`. For a large size without one, `claim` takes a slot that holds no
// blocks (one not in use first); nullptr when there is none or `claim` is false.
FreeList* list_for(std::size_t size, bool claim) {
  if (is_small(size)) return &cache.small[size / kAlign - 1];
  LargeList* idle = nullptr;
  for (LargeList& l : cache.large) {
    if (l.size == size) return &l.list;
    if (!l.list.head && (!idle || (idle->list.stats.in_use && !l.list.stats.in_use))) idle = &l;
  }
  if (!claim || !idle) return nullptr;
  *idle = LargeList{size, {}};
  return &idle->list;
}

}  // namespace

void* allocate_block(std::size_t bytes) {
  const std::size_t size = rounded(bytes == 0 ? 1 : bytes);
  if (kCacheEnabled && !cache.gone) {
    if (FreeList* l = list_for(size, true)) {
      SizeStats& s = l->stats;
      if (++s.in_use > s.peak_in_use) s.peak_in_use = s.in_use;
      if (void* p = pop(l->head)) {
        --s.cached;
        cache.bytes -= size;
        return p;
      }
    }
  }
  return system_allocate(size);
}

void free_block(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  const std::size_t size = rounded(bytes == 0 ? 1 : bytes);
  if (kCacheEnabled && !cache.gone) {
    if (FreeList* l = list_for(size, false)) {
      SizeStats& s = l->stats;
      if (s.in_use) --s.in_use;
      if (s.cached < s.peak_in_use && cache.bytes + size <= kMaxCachedBytes) {
        if (!cache.reaper_armed) {
          cache.reaper_armed = true;
          static_cast<void>(&reaper);  // first use registers its destructor for this thread
        }
        push(l->head, p);
        ++s.cached;
        cache.bytes += size;
        return;
      }
    }
  }
  system_free(p);
}

void release_cached_memory() noexcept { clear(cache); }

std::size_t cached_memory_bytes() noexcept { return cache.bytes; }

namespace {
// Storage is often freed by another thread than the one that made it (a DataLoader's prefetch
// thread), so the counter is global. Relaxed: only the totals matter, not their order with
// other memory.
std::atomic<std::size_t> storage_bytes{0}, peak_storage_bytes{0};
}  // namespace

void detail::count_storage_allocated(std::size_t bytes) noexcept {
  const std::size_t now = storage_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::size_t peak = peak_storage_bytes.load(std::memory_order_relaxed);
  while (now > peak &&
         !peak_storage_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void detail::count_storage_released(std::size_t bytes) noexcept {
  storage_bytes.fetch_sub(bytes, std::memory_order_relaxed);
}

MemoryStats memory_stats() noexcept {
  return {storage_bytes.load(std::memory_order_relaxed),
          peak_storage_bytes.load(std::memory_order_relaxed)};
}

void reset_peak_memory_stats() noexcept {
  peak_storage_bytes.store(storage_bytes.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
}

}  // namespace xgrad
