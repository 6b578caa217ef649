// Feistel-network permutation of [0, n) with cycle walking.
#include "dse/permutation.hpp"

#include <stdexcept>

namespace leopard::dse {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

RandomPermutation::RandomPermutation(std::int64_t n, std::uint64_t seed) : n_(n) {
  if (n < 1) throw std::invalid_argument("RandomPermutation: empty domain");
  int bits = 2;
  while (bits < 62 && (std::uint64_t{1} << bits) < static_cast<std::uint64_t>(n)) bits += 2;
  half_bits_ = bits / 2;
  mask_ = (std::uint64_t{1} << half_bits_) - 1;
  std::uint64_t k = seed;
  for (auto& key : keys_) key = k = splitmix64(k);
}

std::uint64_t RandomPermutation::encrypt(std::uint64_t x) const {
  std::uint64_t left = x >> half_bits_;
  std::uint64_t right = x & mask_;
  for (const auto key : keys_) {
    const std::uint64_t next = left ^ (splitmix64(right ^ key) & mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

std::int64_t RandomPermutation::operator()(std::int64_t position) const {
  // The domain is at most 4n, so cycle walking takes fewer than 4 steps on average.
  std::uint64_t x = static_cast<std::uint64_t>(position);
  do {
    x = encrypt(x);
  } while (x >= static_cast<std::uint64_t>(n_));
  return static_cast<std::int64_t>(x);
}

}  // namespace leopard::dse
