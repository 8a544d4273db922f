// Memory for tensors and the tape: a per-thread cache of freed blocks, keyed by size.
// A training step allocates the same sizes every step (activations, gradients, nodes), so after
// the first step they all come from the cache and the heap is not touched. Blocks are 64-byte
// aligned. Memory freed by another thread joins that thread's cache. At most 256 MiB, and at
// most 16 blocks of any one size above 64 KiB, stay cached per thread; release_cached_memory()
// gives a thread's cache back to the system.
// Under AddressSanitizer the cache is off, so every block is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace xgrad {

void* allocate_block(std::size_t bytes);
void free_block(void* p, std::size_t bytes) noexcept;
void release_cached_memory() noexcept;
// Bytes held in this thread's cache.
std::size_t cached_memory_bytes() noexcept;

// std::allocator-compatible front end, for allocate_shared of TensorImpl, Node and storage.
template <class T>
struct BlockAllocator {
  using value_type = T;
  BlockAllocator() = default;
  template <class U>
  BlockAllocator(const BlockAllocator<U>&) {}  // NOLINT: rebinding is implicit
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_block(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_block(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const BlockAllocator<U>&) const {
    return true;
  }
};

}  // namespace xgrad
