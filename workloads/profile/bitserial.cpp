// Bit-serial QK emulation: the scalar reference and the fast path (integer dot products per score
// with early exit, on SSE2 or AVX2 chosen at run time, or a generic scalar kernel), blocked and
// threaded.
#include "workloads/profile/bitserial.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>

#if defined(__x86_64__) && defined(__SSE2__)
#include <immintrin.h>
#endif

namespace leopard::workloads::profile {

Decision emulate_score(const std::int32_t* q, const std::int32_t* k, int d, std::int64_t threshold,
                       int n_bits) {
  const int mag_bits = n_bits - 1;
  // Bit 1 (sign): C = sum |q_i| over lanes whose signs agree; a zero k is positive.
  std::int64_t c = 0;
  for (int i = 0; i < d; ++i) {
    const bool q_neg = q[i] < 0;
    const bool k_neg = k[i] < 0;
    if (q_neg == k_neg) c += std::llabs(q[i]);
  }
  // Magnitude bits: after m of them, the unprocessed low r = n-1-m bits are unknown.
  for (int m = 0; m <= mag_bits; ++m) {
    const int r = mag_bits - m;
    std::int64_t p = 0;
    if (m > 0) {
      for (int i = 0; i < d; ++i) {
        const std::int64_t mag = std::llabs(k[i]);
        const std::int64_t top = (mag >> r) << r;  // top m magnitude bits at their weights
        p += (k[i] < 0 ? -std::int64_t{q[i]} : std::int64_t{q[i]}) * top;
      }
    }
    const std::int64_t margin = c * ((std::int64_t{1} << r) - 1);
    if (p + margin < threshold) return Decision{true, m + 1};  // bit b = m + 1
  }
  return Decision{};  // exact q.k >= Th: survives
}

std::int64_t causal_key_end(std::int64_t i, std::int64_t q_rows, std::int64_t k_rows) {
  return std::clamp<std::int64_t>(i + (k_rows - q_rows) + 1, 0, k_rows);
}

std::int64_t scores_per_head(std::int64_t q_rows, std::int64_t k_rows, bool causal) {
  if (!causal) return q_rows * k_rows;
  // Row i sees max(0, k - q + 1 + i) keys: the last min(q, k) rows see k - min(q, k) + 1 .. k keys
  // (an arithmetic series), the earlier ones none.
  const std::int64_t rows = std::min(q_rows, k_rows);
  return rows * (2 * k_rows - rows + 1) / 2;
}

HeadCounts emulate_head_reference(const HeadJob& job, int n_bits, bool causal) {
  HeadCounts out;
  out.hist.assign(static_cast<std::size_t>(n_bits), 0);
  const int d = job.q.cols;
  for (std::int64_t i = 0; i < job.q.rows; ++i) {
    const std::int64_t end = causal ? causal_key_end(i, job.q.rows, job.k.rows) : job.k.rows;
    for (std::int64_t j = 0; j < end; ++j) {
      const Decision dec = emulate_score(job.q.row(i), job.k.row(j), d, job.threshold, n_bits);
      ++out.n_scores;
      if (dec.pruned) {
        ++out.n_pruned;
        ++out.hist[static_cast<std::size_t>(dec.b1 - 1)];
      }
    }
  }
  return out;
}

namespace {

// ---- Fast path ---------------------------------------------------------------------------------
// Per score q.k of d lanes, with A = sum |q_i| (a property of the query row alone):
//   C   = (A + q.s) / 2, s_i = -1 if k_i < 0 else +1. Lane i adds |q_i| + q_i s_i: 2 |q_i| when
//         the signs agree, else 0 (and 0 when q_i = 0), so this is the header's C.
//   P_m = q.t_m, t_m = sign(k) x (|k| with its low r = n-1-m magnitude bits cleared); t_(n-1) = k.
// The score is pruned at the first bit b = m + 1 with P_m + C (2^r - 1) < Th. P + M never increases
// from one bit to the next and ends at q.k after bit n, so each score stops as early as it can:
//   1. bit 1 (m = 0, P = 0) needs only C;
//   2. if q.k >= Th, no bit can prune (P + M >= q.k >= Th throughout): the score survives;
//   3. else bits 2, 3, ... are checked one plane t_m at a time until one prunes, at bit n at the
//      latest (P = q.k < Th, M = 0), which therefore needs no plane of its own.
// A score costs two dot products (with s and k) plus one per bit it passes before being pruned
// (in bench_profile, 84% of the scores are pruned, 85% of those at bits 3 to 5 of 12), where the
// former bit-plane GEMMs paid every plane for every score of a block until all of them were
// decided.
//
// score_row() runs this for one query row over a tile of keys, one bit at a time: steps 1-2 for
// every key, then step 3 over the list of undecided keys, which shrinks as keys are pruned. Dot
// products run on four keys at once (Ops::dots4), so that their horizontal sums are shared, and the
// list is kept without branches on the data (whether a key is pruned is as good as random).
//
// Kernels (all exact, all bit-for-bit equal to emulate_score()):
//   - SSE2 (the x86-64 baseline) and AVX2 (run-time dispatch), for n_bits <= 16: operands and
//     planes fit int16 (|x| <= 2^15 - 1), and pmaddwd multiplies int16 pairs and adds each pair
//     into an int32 lane (|sum| <= 2 x kmax^2 <= 2^31 - 2^17 + 2).
//     "Narrow" rows (width x kmax^2 < 2^31: 12 bits with d <= 512) keep every sum in int32.
//     Otherwise a lane takes at most max_vectors(n_bits) pmaddwd results before its int32 could
//     overflow, so the dot products sum chunks of that many vectors, widening each chunk's lanes
//     to int64 before adding them.
//   - generic, for any width (the only one above 16 bits): int32 planes, scalar int64 sums. Like
//     emulate_score(), it is exact while the int64 sums do not overflow (2 d kmax^2 < 2^63).

// Storage of the planes and the query row: 32-byte aligned, so that with widths in whole vectors
// every SIMD load is aligned (SSE2 folds only aligned loads into pmaddwd).
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{32};
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>& /*other*/) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t /*n*/) { ::operator delete(p, kAlign); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>& /*other*/) const {
    return true;
  }
};

// Planes of one key block. Key j holds n_bits planes of `width` lanes each: [s, k, t_1, ...,
// t_(n-2)], so a score reads its planes in order, front to back. d lanes are zero-padded to `width`
// (a multiple of the kernel's vector) so that kernels run whole vectors: zero lanes add nothing.
constexpr int kSignPlane = 0;
constexpr int kExactPlane = 1;
constexpr int plane_of_bit(int m) { return m + 1; }  // t_m, m = 1..n-2

// data holds kPadKeys zero keys after the last one, which the last group of keys may read.
constexpr std::int64_t kPadKeys = 3;

template <typename Elem>
struct KeyPlanes {
  int width = 0;
  int n_planes = 0;
  std::vector<Elem, AlignedAllocator<Elem>> data;

  const Elem* key(std::int64_t j) const {
    return data.data() + j * n_planes * static_cast<std::int64_t>(width);
  }
};

template <typename Elem>
void build_key_planes(const IntMatrixView& k, std::int64_t begin, std::int64_t rows, int n_bits,
                      int width, KeyPlanes<Elem>& out) {
  const int d = k.cols;
  out.width = width;
  out.n_planes = n_bits;
  out.data.assign(static_cast<std::size_t>((rows + kPadKeys) * n_bits * width), Elem{0});
  for (std::int64_t j = 0; j < rows; ++j) {
    const std::int32_t* kr = k.row(begin + j);
    Elem* dst = out.data.data() + j * n_bits * width;
    // Plane by plane, so that the compiler vectorises over the lanes.
    for (int l = 0; l < d; ++l) dst[kSignPlane * width + l] = kr[l] < 0 ? Elem{-1} : Elem{1};
    for (int l = 0; l < d; ++l) dst[kExactPlane * width + l] = static_cast<Elem>(kr[l]);
    for (int m = 1; m <= n_bits - 2; ++m) {
      // t_m keeps the top m of the n-1 magnitude bits (|k_l| < 2^31: no overflow in int32).
      const auto keep = static_cast<std::int32_t>(~((std::uint32_t{1} << (n_bits - 1 - m)) - 1));
      Elem* plane = dst + plane_of_bit(m) * width;
      for (int l = 0; l < d; ++l) {
        const std::int32_t top = (kr[l] < 0 ? -kr[l] : kr[l]) & keep;
        plane[l] = static_cast<Elem>(kr[l] < 0 ? -top : top);
      }
    }
  }
}

// How the dot products of a task may accumulate (see "Kernels" above).
struct DotShape {
  int width = 0;        // lanes of q and of each plane, padded
  bool narrow = false;  // every sum fits int32
  int max_vec = 0;      // else: vectors per int32 chunk
};

// Pruned scores by termination bit: hist[b1 - 1].
struct PruneCounts {
  std::array<std::int64_t, kMaxBits> hist{};
};

constexpr int kTile = 128;  // keys per tile in score_row(): bounds its lists
constexpr int kGroup = 4;   // keys per group of dot products (Ops::dots4)

// Emulates the query row q (A = sum |q_i|, zero-padded to kp.width lanes) against keys
// [0, n_keys) of kp, following steps 1-3 above. Ops supplies dots4(q, planes, shape, out): the four
// dot products q.planes[t] in out[t]. The last group of a tile may run past n_keys (into the next
// tile, later keys of the block or kp's padding keys) and past the undecided keys (repeating the
// last one); those results are not counted.
template <typename Ops>
inline void score_row(const typename Ops::Elem* q, std::int64_t a,
                      const KeyPlanes<typename Ops::Elem>& kp, std::int64_t n_keys, std::int64_t th,
                      int n_bits, const DotShape& shape, PruneCounts& out) {
  using Elem = typename Ops::Elem;
  const std::int64_t w = kp.width;
  const std::int64_t stride = kp.n_planes * w;                    // from one key to the next
  const std::int64_t unknown_after_sign = max_magnitude(n_bits);  // M after bit 1 = C x this
  // Undecided keys: the next plane each must be tested on, and its C (room for a padded group).
  // Left uninitialised: entries are written before they are read (a few KB per row otherwise).
  std::array<const Elem*, kTile + kGroup> next;
  std::array<std::int64_t, kTile + kGroup> next_c;
  for (std::int64_t j0 = 0; j0 < n_keys; j0 += kTile) {
    const int n = static_cast<int>(std::min<std::int64_t>(kTile, n_keys - j0));
    // Steps 1 and 2: q.s and q.k for a group of keys at a time.
    int n_open = 0;
    std::int64_t pruned_at_sign = 0;
    for (int g = 0; g < n; g += kGroup) {
      const Elem* key = kp.key(j0 + g);
      std::array<const Elem*, 2 * kGroup> planes{};
      for (int t = 0; t < kGroup; ++t) {
        planes[static_cast<std::size_t>(t)] = key + t * stride + kSignPlane * w;
        planes[static_cast<std::size_t>(kGroup + t)] = key + t * stride + kExactPlane * w;
      }
      std::array<std::int64_t, 2 * kGroup> dot{};
      Ops::dots4(q, planes.data(), shape, dot.data());
      Ops::dots4(q, planes.data() + kGroup, shape, dot.data() + kGroup);
      for (int t = 0; t < std::min(kGroup, n - g); ++t) {
        const auto u = static_cast<std::size_t>(t);
        const std::int64_t c = (a + dot[u]) >> 1;  // a + q.s = 2 C >= 0
        const bool at_sign = c * unknown_after_sign < th;
        const bool undecided = !at_sign && dot[kGroup + u] < th;
        pruned_at_sign += at_sign;
        next[static_cast<std::size_t>(n_open)] = key + t * stride + plane_of_bit(1) * w;
        next_c[static_cast<std::size_t>(n_open)] = c;
        n_open += undecided;
      }
    }
    out.hist[0] += pruned_at_sign;
    // Step 3: bit m + 1 for the undecided keys, compacting the list in place (entry i moves to
    // n_next <= i, after the group holding it has been read).
    for (int m = 1; m <= n_bits - 2 && n_open > 0; ++m) {
      const std::int64_t unknown = (std::int64_t{1} << (n_bits - 1 - m)) - 1;
      const auto last = static_cast<std::size_t>(n_open - 1);
      for (std::size_t t = 1; t < kGroup; ++t) next[last + t] = next[last];
      int n_next = 0;
      std::int64_t pruned = 0;
      for (int g = 0; g < n_open; g += kGroup) {
        const auto base = static_cast<std::size_t>(g);
        std::array<std::int64_t, kGroup> p{};
        Ops::dots4(q, next.data() + base, shape, p.data());
        for (int t = 0; t < std::min(kGroup, n_open - g); ++t) {
          const auto u = static_cast<std::size_t>(t);
          const std::int64_t c = next_c[base + u];
          const Elem* plane = next[base + u];
          const bool now = p[u] + c * unknown < th;
          pruned += now;
          next[static_cast<std::size_t>(n_next)] = plane + w;
          next_c[static_cast<std::size_t>(n_next)] = c;
          n_next += !now;
        }
      }
      out.hist[static_cast<std::size_t>(m)] += pruned;
      n_open = n_next;
    }
    out.hist[static_cast<std::size_t>(n_bits - 1)] += n_open;  // q.k < Th: pruned at bit n
  }
}

// The generic kernel: int32 operands, int64 sums, one lane at a time.
struct GenericOps {
  using Elem = std::int32_t;
  static constexpr int kLanes = 1;

  static void dots4(const Elem* q, const Elem* const* v, const DotShape& shape, std::int64_t* out) {
    const Elem* v0 = v[0];
    const Elem* v1 = v[1];
    const Elem* v2 = v[2];
    const Elem* v3 = v[3];
    std::int64_t s0 = 0;
    std::int64_t s1 = 0;
    std::int64_t s2 = 0;
    std::int64_t s3 = 0;
    for (int l = 0; l < shape.width; ++l) {
      const std::int64_t x = q[l];
      s0 += x * v0[l];
      s1 += x * v1[l];
      s2 += x * v2[l];
      s3 += x * v3[l];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  }
};

void score_row_generic(const std::int32_t* q, std::int64_t a, const KeyPlanes<std::int32_t>& kp,
                       std::int64_t n_keys, std::int64_t th, int n_bits, const DotShape& shape,
                       PruneCounts& out) {
  score_row<GenericOps>(q, a, kp, n_keys, th, n_bits, shape, out);
}

// Largest number of pmaddwd results one int32 lane can add up without overflow: each is at most
// 2 kmax^2 in magnitude (n_bits <= 16). Capped at 2^16 so that max_vec x lanes fits an int.
int max_vectors(int n_bits) {
  const std::int64_t kmax = max_magnitude(n_bits);
  return static_cast<int>(std::min<std::int64_t>(
      std::numeric_limits<std::int32_t>::max() / (2 * kmax * kmax), std::int64_t{1} << 16));
}

#if defined(__x86_64__) && defined(__SSE2__)
#define LEOPARD_BITSERIAL_X86 1

// Four int32 vectors to the four sums of their lanes: [sum a, sum b, sum c, sum d] (narrow rows).
inline __m128i sum4_epi32(__m128i a, __m128i b, __m128i c, __m128i d) {
  const __m128i ab = _mm_add_epi32(_mm_unpacklo_epi32(a, b), _mm_unpackhi_epi32(a, b));
  const __m128i cd = _mm_add_epi32(_mm_unpacklo_epi32(c, d), _mm_unpackhi_epi32(c, d));
  return _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));
}

// The four int32 lanes of v sign-extended to int64 and added in pairs: [v0 + v2, v1 + v3].
inline __m128i widen_epi32(__m128i v) {
  const __m128i sign = _mm_srai_epi32(v, 31);
  return _mm_add_epi64(_mm_unpacklo_epi32(v, sign), _mm_unpackhi_epi32(v, sign));
}

// SSE2: 8 int16 lanes per vector.
struct Sse2Ops {
  using Elem = std::int16_t;
  static constexpr int kLanes = 8;

  static __m128i load(const Elem* p) { return _mm_load_si128(reinterpret_cast<const __m128i*>(p)); }

  // a_t += pmaddwd(q, v[t]) over lanes [begin, end). Four named accumulators rather than an
  // array: GCC 12 keeps an array of vectors in a loop in registers only with extra copies.
  static void madd4(const Elem* q, const Elem* const* v, int begin, int end, __m128i& a0,
                    __m128i& a1, __m128i& a2, __m128i& a3) {
    const Elem* v0 = v[0];
    const Elem* v1 = v[1];
    const Elem* v2 = v[2];
    const Elem* v3 = v[3];
    for (int l = begin; l < end; l += kLanes) {
      const __m128i x = load(q + l);
      a0 = _mm_add_epi32(a0, _mm_madd_epi16(x, load(v0 + l)));
      a1 = _mm_add_epi32(a1, _mm_madd_epi16(x, load(v1 + l)));
      a2 = _mm_add_epi32(a2, _mm_madd_epi16(x, load(v2 + l)));
      a3 = _mm_add_epi32(a3, _mm_madd_epi16(x, load(v3 + l)));
    }
  }

  // out[t] = q.v[t], t = 0..3.
  static void dots4(const Elem* q, const Elem* const* v, const DotShape& shape, std::int64_t* out) {
    if (shape.narrow) {
      __m128i a0 = _mm_setzero_si128();
      __m128i a1 = a0;
      __m128i a2 = a0;
      __m128i a3 = a0;
      madd4(q, v, 0, shape.width, a0, a1, a2, a3);
      alignas(16) std::int32_t sums[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(sums), sum4_epi32(a0, a1, a2, a3));
      for (int t = 0; t < 4; ++t) out[t] = sums[t];
      return;
    }
    __m128i w0 = _mm_setzero_si128();  // int64 pairs
    __m128i w1 = w0;
    __m128i w2 = w0;
    __m128i w3 = w0;
    const int chunk = shape.max_vec * kLanes;
    for (int begin = 0; begin < shape.width; begin += chunk) {
      __m128i a0 = _mm_setzero_si128();
      __m128i a1 = a0;
      __m128i a2 = a0;
      __m128i a3 = a0;
      madd4(q, v, begin, std::min(shape.width, begin + chunk), a0, a1, a2, a3);
      w0 = _mm_add_epi64(w0, widen_epi32(a0));
      w1 = _mm_add_epi64(w1, widen_epi32(a1));
      w2 = _mm_add_epi64(w2, widen_epi32(a2));
      w3 = _mm_add_epi64(w3, widen_epi32(a3));
    }
    alignas(16) std::int64_t sums[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(sums), w0);
    _mm_store_si128(reinterpret_cast<__m128i*>(sums + 2), w1);
    _mm_store_si128(reinterpret_cast<__m128i*>(sums + 4), w2);
    _mm_store_si128(reinterpret_cast<__m128i*>(sums + 6), w3);
    for (int t = 0; t < 4; ++t) out[t] = sums[2 * t] + sums[2 * t + 1];
  }
};

void score_row_sse2(const std::int16_t* q, std::int64_t a, const KeyPlanes<std::int16_t>& kp,
                    std::int64_t n_keys, std::int64_t th, int n_bits, const DotShape& shape,
                    PruneCounts& out) {
  score_row<Sse2Ops>(q, a, kp, n_keys, th, n_bits, shape, out);
}

// AVX2: 16 int16 lanes per vector. Compiled for AVX2 through target attributes (the build targets
// baseline x86-64) and only called when the CPU has AVX2. `flatten` inlines score_row and these
// helpers into score_row_avx2, which GCC would not do on its own across differing targets.
#define LEOPARD_AVX2 __attribute__((target("avx2")))
struct Avx2Ops {
  using Elem = std::int16_t;
  static constexpr int kLanes = 16;

  LEOPARD_AVX2 static __m256i load(const Elem* p) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  }
  // The eight int32 lanes added in halves: [v0 + v4, v1 + v5, v2 + v6, v3 + v7] (narrow rows).
  LEOPARD_AVX2 static __m128i fold(__m256i v) {
    return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  }
  // The eight int32 lanes of v sign-extended to int64 and added in halves.
  LEOPARD_AVX2 static __m256i widen(__m256i v) {
    return _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                            _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
  }

  // As Sse2Ops::madd4.
  LEOPARD_AVX2 static void madd4(const Elem* q, const Elem* const* v, int begin, int end,
                                 __m256i& a0, __m256i& a1, __m256i& a2, __m256i& a3) {
    const Elem* v0 = v[0];
    const Elem* v1 = v[1];
    const Elem* v2 = v[2];
    const Elem* v3 = v[3];
    for (int l = begin; l < end; l += kLanes) {
      const __m256i x = load(q + l);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, load(v0 + l)));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x, load(v1 + l)));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(x, load(v2 + l)));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(x, load(v3 + l)));
    }
  }

  LEOPARD_AVX2 static void dots4(const Elem* q, const Elem* const* v, const DotShape& shape,
                                 std::int64_t* out) {
    if (shape.narrow) {
      __m256i a0 = _mm256_setzero_si256();
      __m256i a1 = a0;
      __m256i a2 = a0;
      __m256i a3 = a0;
      madd4(q, v, 0, shape.width, a0, a1, a2, a3);
      alignas(16) std::int32_t sums[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(sums),
                      sum4_epi32(fold(a0), fold(a1), fold(a2), fold(a3)));
      for (int t = 0; t < 4; ++t) out[t] = sums[t];
      return;
    }
    __m256i w0 = _mm256_setzero_si256();  // int64 quadruples
    __m256i w1 = w0;
    __m256i w2 = w0;
    __m256i w3 = w0;
    const int chunk = shape.max_vec * kLanes;
    for (int begin = 0; begin < shape.width; begin += chunk) {
      __m256i a0 = _mm256_setzero_si256();
      __m256i a1 = a0;
      __m256i a2 = a0;
      __m256i a3 = a0;
      madd4(q, v, begin, std::min(shape.width, begin + chunk), a0, a1, a2, a3);
      w0 = _mm256_add_epi64(w0, widen(a0));
      w1 = _mm256_add_epi64(w1, widen(a1));
      w2 = _mm256_add_epi64(w2, widen(a2));
      w3 = _mm256_add_epi64(w3, widen(a3));
    }
    alignas(32) std::int64_t sums[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums), w0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 4), w1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 8), w2);
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums + 12), w3);
    for (int t = 0; t < 4; ++t) {
      out[t] = sums[4 * t] + sums[4 * t + 1] + sums[4 * t + 2] + sums[4 * t + 3];
    }
  }
};

__attribute__((target("avx2"), flatten)) void score_row_avx2(const std::int16_t* q, std::int64_t a,
                                                             const KeyPlanes<std::int16_t>& kp,
                                                             std::int64_t n_keys, std::int64_t th,
                                                             int n_bits, const DotShape& shape,
                                                             PruneCounts& out) {
  score_row<Avx2Ops>(q, a, kp, n_keys, th, n_bits, shape, out);
}
#undef LEOPARD_AVX2
#endif  // x86-64

template <typename Elem>
using RowFn = void (*)(const Elem*, std::int64_t, const KeyPlanes<Elem>&, std::int64_t,
                       std::int64_t, int, const DotShape&, PruneCounts&);

// A kernel as run_task() sees it: the row function and its vector width in lanes.
template <typename Elem>
struct Kernel {
  RowFn<Elem> row = nullptr;
  int lanes = 1;
};

// Per-thread scratch, reused across tasks.
template <typename Elem>
struct Scratch {
  KeyPlanes<Elem> keys;
  std::vector<Elem, AlignedAllocator<Elem>> q;  // one query row, zero-padded
};

// Runs every query row of one head against the key block [k_begin, k_begin + k_rows).
template <typename Elem>
void run_task(const HeadJob& job, std::int64_t k_begin, std::int64_t k_rows,
              const EmulationOptions& options, Kernel<Elem> kernel, Scratch<Elem>& s,
              HeadCounts& counts, const std::function<void(std::int64_t)>& report) {
  const int n_bits = options.n_bits;
  const int d = job.q.cols;
  DotShape shape;
  shape.width = (d + kernel.lanes - 1) / kernel.lanes * kernel.lanes;
  if (n_bits <= 16) {  // the SIMD kernels' bounds (the generic kernel ignores them)
    const std::int64_t kmax = max_magnitude(n_bits);
    shape.narrow = shape.width * kmax * kmax <= std::numeric_limits<std::int32_t>::max();
    shape.max_vec = max_vectors(n_bits);
  }
  build_key_planes(job.k, k_begin, k_rows, n_bits, shape.width, s.keys);
  s.q.assign(static_cast<std::size_t>(shape.width), Elem{0});
  PruneCounts pc;
  const std::int64_t block_q = std::max(1, options.block_q);
  // Causal, bottom-right: query i sees keys j <= i + (S_k - S_q); rows before k_begin - offset see
  // none of these keys.
  const std::int64_t offset = job.k.rows - job.q.rows;
  const std::int64_t q_start = options.causal ? std::max<std::int64_t>(0, k_begin - offset) : 0;
  for (std::int64_t qb = q_start; qb < job.q.rows; qb += block_q) {
    const std::int64_t q_end = std::min(job.q.rows, qb + block_q);
    for (std::int64_t i = qb; i < q_end; ++i) {
      const std::int32_t* qr = job.q.row(i);
      std::int64_t a = 0;
      for (int l = 0; l < d; ++l) {
        s.q[static_cast<std::size_t>(l)] = static_cast<Elem>(qr[l]);
        a += std::llabs(qr[l]);
      }
      // Causal: score (i, j) exists only for key j <= i + offset.
      const std::int64_t n_keys =
          options.causal ? std::clamp<std::int64_t>(i + offset - k_begin + 1, 0, k_rows) : k_rows;
      counts.n_scores += n_keys;
      kernel.row(s.q.data(), a, s.keys, n_keys, job.threshold, n_bits, shape, pc);
    }
    report(counts.n_scores);
  }
  for (std::size_t b = 0; b < counts.hist.size(); ++b) {
    counts.hist[b] += pc.hist[b];
    counts.n_pruned += pc.hist[b];
  }
}

struct Task {
  std::size_t job = 0;
  std::int64_t k_begin = 0;
  std::int64_t k_rows = 0;
};

// The kernel emulate_heads() runs: `requested`, or the best available one for kAuto; operands
// wider than 16 bits only fit the generic kernel.
EmulationKernel resolve_kernel(EmulationKernel requested, int n_bits) {
  if (requested != EmulationKernel::kAuto && !emulation_kernel_available(requested)) {
    throw std::invalid_argument("emulate_heads: the requested kernel is not available");
  }
  if (n_bits > 16) return EmulationKernel::kGeneric;
  if (requested != EmulationKernel::kAuto) return requested;
  if (emulation_kernel_available(EmulationKernel::kAvx2)) return EmulationKernel::kAvx2;
  if (emulation_kernel_available(EmulationKernel::kSse2)) return EmulationKernel::kSse2;
  return EmulationKernel::kGeneric;
}

}  // namespace

bool emulation_kernel_available(EmulationKernel kernel) {
  switch (kernel) {
    case EmulationKernel::kAuto:
    case EmulationKernel::kGeneric:
      return true;
    case EmulationKernel::kSse2:
#ifdef LEOPARD_BITSERIAL_X86
      return true;
#else
      return false;
#endif
    case EmulationKernel::kAvx2:
#ifdef LEOPARD_BITSERIAL_X86
      __builtin_cpu_init();  // needed if we run before libgcc's constructors (static init)
      return __builtin_cpu_supports("avx2") != 0;
#else
      return false;
#endif
  }
  return false;
}

std::vector<HeadCounts> emulate_heads(const std::vector<HeadJob>& jobs,
                                      const EmulationOptions& options) {
  const int n_bits = options.n_bits;
  const std::int64_t block_k = std::max(1, options.block_k);
  const EmulationKernel kernel = resolve_kernel(options.kernel, n_bits);
  Kernel<std::int16_t> simd;
#ifdef LEOPARD_BITSERIAL_X86
  if (kernel == EmulationKernel::kSse2) simd = {score_row_sse2, Sse2Ops::kLanes};
  if (kernel == EmulationKernel::kAvx2) simd = {score_row_avx2, Avx2Ops::kLanes};
#endif
  const Kernel<std::int32_t> generic{score_row_generic, GenericOps::kLanes};

  // Tasks: one per (head, key block); each runs every query row against its key block, so the
  // key planes are built once.
  std::vector<Task> tasks;
  std::int64_t total = 0;
  for (std::size_t h = 0; h < jobs.size(); ++h) {
    const HeadJob& job = jobs[h];
    total += scores_per_head(job.q.rows, job.k.rows, options.causal);
    for (std::int64_t kb = 0; kb < job.k.rows; kb += block_k) {
      tasks.push_back(Task{h, kb, std::min(block_k, job.k.rows - kb)});
    }
  }

  std::vector<HeadCounts> partial(tasks.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::int64_t done = 0;
  std::exception_ptr failure;
  auto worker = [&]() {
    Scratch<std::int16_t> scratch16;
    Scratch<std::int32_t> scratch32;
    try {
      for (std::size_t t = next++; t < tasks.size(); t = next++) {
        const Task& task = tasks[t];
        const HeadJob& job = jobs[task.job];
        HeadCounts& counts = partial[t];
        std::int64_t reported = 0;
        // Progress in steps of about a million scores, and once at the end of each task.
        const auto report = [&](std::int64_t n, bool last = false) {
          if (!options.progress || (!last && n - reported < (std::int64_t{1} << 20))) return;
          const std::lock_guard<std::mutex> lock(progress_mutex);
          done += n - reported;
          reported = n;
          options.progress(done, total);
        };
        counts.hist.assign(static_cast<std::size_t>(n_bits), 0);
        const std::function<void(std::int64_t)> report_n = [&](std::int64_t n) { report(n); };
        if (kernel == EmulationKernel::kGeneric) {
          run_task(job, task.k_begin, task.k_rows, options, generic, scratch32, counts, report_n);
        } else {
          run_task(job, task.k_begin, task.k_rows, options, simd, scratch16, counts, report_n);
        }
        report(counts.n_scores, true);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(progress_mutex);
      if (!failure) failure = std::current_exception();
      next = tasks.size();
    }
  };

  unsigned n_threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                           : std::max(1U, std::thread::hardware_concurrency());
  n_threads = static_cast<unsigned>(
      std::min<std::size_t>(n_threads, std::max<std::size_t>(1, tasks.size())));
  if (n_threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(n_threads);
    for (unsigned t = 0; t < n_threads; ++t) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  if (failure) std::rethrow_exception(failure);

  // Deterministic reduction: integer counts summed per head in task order.
  std::vector<HeadCounts> out(jobs.size());
  for (auto& c : out) c.hist.assign(static_cast<std::size_t>(n_bits), 0);
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    HeadCounts& dst = out[tasks[t].job];
    dst.n_scores += partial[t].n_scores;
    dst.n_pruned += partial[t].n_pruned;
    for (std::size_t b = 0; b < dst.hist.size(); ++b) dst.hist[b] += partial[t].hist[b];
  }
  return out;
}

}  // namespace leopard::workloads::profile

#undef LEOPARD_BITSERIAL_X86
