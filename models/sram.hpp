// SRAM bank energy, leakage and area from the CACTI 7.0 table (models/data/sram_cacti7.csv,
// docs/references.md §2), interpolated in log(size) and log(port width) (docs/cost-model.md §10.3);
// other nodes by tech scaling (docs/cost-model.md §11).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace leopard::models {

struct SramBank {
  double read_pj_per_bit = 0;
  double write_pj_per_bit = 0;
  double leakage_mw = 0;
  double area_mm2 = 0;
  double access_ns = 0;  // CACTI access time at 65 nm, nominal supply
};

class SramTable {
 public:
  // Loads the 65 nm rows of the CACTI CSV. Throws InputError naming the file and line.
  explicit SramTable(const std::filesystem::path& csv);
  // The shipped table (data_path("models/data/sram_cacti7.csv")), loaded once.
  static const SramTable& shipped();
  // One bank of `bytes` with a `port_bits` port at 65 nm (CACTI values, no compiler factor).
  // Memoised per thread (a sweep asks for a few dozen distinct banks): thread-safe, no allocation.
  SramBank bank_65nm(double bytes, double port_bits) const;

 private:
  struct Row {
    double bytes, width, read_pj_bit, write_pj_bit, leak_mw, area, access_ns;
  };
  std::vector<Row> rows_;                 // sorted by (width, bytes)
  std::vector<double> widths_;            // distinct widths, ascending
  std::vector<std::size_t> width_begin_;  // rows_ index where each width starts (+ end)
  SramBank at_width(std::size_t w, double bytes) const;
  SramBank interpolate(double bytes, double port_bits) const;
  std::uint64_t id_;  // unique per table (keys the per-thread memo)
};

}  // namespace leopard::models
