// Private to EigenKernels: per-thread scratch buffers for the kernels' packing and padding.
#ifndef MONGE_SCRATCH_HPP
#define MONGE_SCRATCH_HPP

#include <cstddef>
#include <cstdlib>

namespace monge {

/// A per-thread, 64-byte aligned scratch area that only grows, one per (T, Tag) (tag 0: the packed
/// SGEMM; 1, 2: the implicit convolution): buffers are reused
/// across calls (allocating and faulting in fresh pages each call would cost as much as a small
/// product), and 64-byte alignment puts a 16-float run in one cache line. Null when it cannot grow.
template <typename T, int Tag = 0>
T *alignedScratch(size_t count) {
    struct Buffer {
        T *data = nullptr;
        size_t capacity = 0;
        ~Buffer() { std::free(data); }
    };
    thread_local Buffer buffer;
    if (buffer.capacity < count) {
        T *fresh = static_cast<T *>(std::aligned_alloc(64, (count * sizeof(T) + 63) / 64 * 64));
        if (fresh == nullptr) return nullptr;
        std::free(buffer.data);
        buffer.data = fresh;
        buffer.capacity = count;
    }
    return buffer.data;
}

}  // namespace monge

#endif
