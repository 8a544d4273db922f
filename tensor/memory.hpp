// Memory for tensors and the tape: a per-thread cache of freed blocks, keyed by size.
// A training step allocates the same sizes every step (activations, gradients, nodes), so after
// the first step they all come from the cache and the heap is not touched. Blocks are 64-byte
// aligned. A thread keeps at most as many free blocks of a size as it has had in use at once
// (allocated by it and not yet freed), so blocks it only frees, such as batches made by another
// thread, go back to the system; and at most 256 MiB in all. release_cached_memory() gives a
// thread's cache back to the system.
// Under AddressSanitizer the cache is off, so every block is checked. memory_stats() counts the
// bytes of tensor storage in use, for measuring what a model keeps alive.
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

// Bytes of tensor storage in use, over all threads: the blocks holding tensors' elements (the
// elements of tensors of up to 64 bytes live inside their Storage object and are not counted,
// nor are from_blob buffers or the block cache's free blocks), and the most in use at once
// since the program started or reset_peak_memory_stats() was called (like PyTorch's
// torch.cuda.memory_allocated / max_memory_allocated). Each storage allocation and release costs
// one relaxed atomic add.
struct MemoryStats {
  std::size_t current_bytes = 0;
  std::size_t peak_bytes = 0;
};
MemoryStats memory_stats() noexcept;
void reset_peak_memory_stats() noexcept;  // the peak becomes the current figure

namespace detail {
void count_storage_allocated(std::size_t bytes) noexcept;
void count_storage_released(std::size_t bytes) noexcept;
}  // namespace detail

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
