// A seeded pseudo-random bijection of [0, n) in O(1) memory: a 4-round Feistel network over the
// smallest even power of two >= n, with cycle walking back into range.
#pragma once

#include <cstdint>

namespace leopard::dse {

class RandomPermutation {
 public:
  RandomPermutation(std::int64_t n, std::uint64_t seed);
  std::int64_t size() const { return n_; }
  // The position-th element of the permutation (position in [0, n)).
  std::int64_t operator()(std::int64_t position) const;

 private:
  std::uint64_t encrypt(std::uint64_t x) const;
  std::int64_t n_;
  int half_bits_ = 1;
  std::uint64_t mask_ = 1;
  std::uint64_t keys_[4] = {};
};

// splitmix64 (Steele, Lea, Flood 2014): a fast 64-bit mixer, used for keys and round functions.
std::uint64_t splitmix64(std::uint64_t x);

}  // namespace leopard::dse
