// The one place that spells CUDA's execution-space qualifiers.
// Everything marked MECRL_HD compiles with g++ (CPU backend, tests) and with
// nvcc (kernels), so the CPU and the GPU run the very same source.
#pragma once

#if defined(__CUDACC__)
#define MECRL_HD __host__ __device__ inline
#define MECRL_HD_CONST __host__ __device__ constexpr
#define MECRL_UNROLL _Pragma("unroll")
#else
#define MECRL_HD inline __attribute__((always_inline))
#define MECRL_HD_CONST constexpr
#define MECRL_UNROLL _Pragma("GCC unroll 16")
#endif

#include <cstdint>
#include <cstring>

namespace mecrl {

// Reinterpret the bits of a value (memcpy is defined in device code too).
template <class To, class From>
MECRL_HD To bit_copy(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bit_copy needs equal sizes");
  To to;
  memcpy(&to, &from, sizeof(To));
  return to;
}

template <class T>
MECRL_HD T min_of(T a, T b) { return b < a ? b : a; }
template <class T>
MECRL_HD T max_of(T a, T b) { return a < b ? b : a; }
template <class T>
MECRL_HD T clamp_to(T x, T lo, T hi) { return x < lo ? lo : (hi < x ? hi : x); }

}  // namespace mecrl
