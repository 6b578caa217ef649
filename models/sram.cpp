// CACTI SRAM table loading and log-log interpolation (docs/cost-model.md §10.3).
#include "models/sram.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <fstream>

#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"
#include "workloads/core/text.hpp"

namespace leopard::models {

namespace {
std::atomic<std::uint64_t> g_next_table_id{1};
}  // namespace

SramTable::SramTable(const std::filesystem::path& csv) : id_(g_next_table_id.fetch_add(1)) {
  std::ifstream in(csv);
  if (!in) throw InputError(csv.string(), 0, "", "cannot open the SRAM table");
  std::string line;
  std::int64_t no = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++no;
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    const auto f = split_csv_line(line, csv.string(), no);
    if (f.size() < 10) throw InputError(csv.string(), no, "", "expected 10 fields");
    const double node = require_double(f[0], csv.string(), no, "tech_nm");
    if (node != 65) continue;
    rows_.push_back({require_double(f[1], csv.string(), no, "size_bytes"),
                     require_double(f[2], csv.string(), no, "width_bits"),
                     require_double(f[5], csv.string(), no, "read_pJ_per_bit"),
                     require_double(f[6], csv.string(), no, "write_pJ_per_bit"),
                     require_double(f[8], csv.string(), no, "leakage_mW"),
                     require_double(f[9], csv.string(), no, "area_mm2"),
                     require_double(f[7], csv.string(), no, "access_ns")});
  }
  if (rows_.empty()) throw InputError(csv.string(), 0, "", "no 65 nm rows in the SRAM table");
  // Index once so that lookups (on the per-design path) allocate nothing.
  std::sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
    return a.width != b.width ? a.width < b.width : a.bytes < b.bytes;
  });
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (i == 0 || rows_[i].width != rows_[i - 1].width) {
      widths_.push_back(rows_[i].width);
      width_begin_.push_back(i);
    }
  }
  width_begin_.push_back(rows_.size());
  for (std::size_t w = 0; w < widths_.size(); ++w) {
    if (width_begin_[w + 1] - width_begin_[w] < 2) {
      throw InputError(csv.string(), 0, "", "each port width needs at least two sizes");
    }
  }
}

const SramTable& SramTable::shipped() {
  static const SramTable table(data_path("models/data/sram_cacti7.csv"));
  return table;
}

namespace {
double lerp_log(double x0, double y0, double x1, double y1, double x) {
  if (x1 == x0) return y0;
  const double t = (std::log(x) - std::log(x0)) / (std::log(x1) - std::log(x0));
  return std::exp((1 - t) * std::log(y0) + t * std::log(y1));
}
}  // namespace

SramBank SramTable::at_width(std::size_t w, double bytes) const {
  // Bracket (or extrapolate from the two nearest rows at either end).
  const std::size_t first = width_begin_[w];
  const std::size_t last = width_begin_[w + 1] - 1;
  std::size_t i = first;
  while (i + 1 < last && rows_[i + 1].bytes < bytes) ++i;
  const Row& a = rows_[i];
  const Row& b = rows_[i + 1];
  SramBank out;
  out.read_pj_per_bit = lerp_log(a.bytes, a.read_pj_bit, b.bytes, b.read_pj_bit, bytes);
  out.write_pj_per_bit = lerp_log(a.bytes, a.write_pj_bit, b.bytes, b.write_pj_bit, bytes);
  out.leakage_mw = lerp_log(a.bytes, a.leak_mw, b.bytes, b.leak_mw, bytes);
  out.area_mm2 = lerp_log(a.bytes, a.area, b.bytes, b.area, bytes);
  out.access_ns = lerp_log(a.bytes, a.access_ns, b.bytes, b.access_ns, bytes);
  return out;
}

SramBank SramTable::bank_65nm(double bytes, double port_bits) const {
  // Direct-mapped per-thread memo of exact (table, bytes, port) keys: returns the very values
  // interpolate() computed, so results are bit-identical with or without it.
  struct Entry {
    std::uint64_t table = 0;  // 0: empty (ids start at 1)
    double bytes = 0, port_bits = 0;
    SramBank bank;
  };
  constexpr int kSlotBits = 6;
  thread_local std::array<Entry, std::size_t{1} << kSlotBits> memo{};
  // Multiplicative hashing (the top bits: round sizes have all-zero low mantissa bits).
  const std::uint64_t key = std::bit_cast<std::uint64_t>(bytes) ^
                            std::rotl(std::bit_cast<std::uint64_t>(port_bits), 29) ^ id_;
  Entry& e = memo[(key * 0x9E3779B97F4A7C15ull) >> (64 - kSlotBits)];
  if (e.table == id_ && e.bytes == bytes && e.port_bits == port_bits) return e.bank;
  const SramBank bank = interpolate(bytes, port_bits);
  e = {id_, bytes, port_bits, bank};
  return bank;
}

SramBank SramTable::interpolate(double bytes, double port_bits) const {
  std::size_t i = 0;
  while (i + 2 < widths_.size() && widths_[i + 1] < port_bits) ++i;
  const std::size_t j = std::min(i + 1, widths_.size() - 1);
  const double w0 = widths_[i];
  const double w1 = widths_[j];
  const SramBank a = at_width(i, bytes);
  const SramBank b = at_width(j, bytes);
  SramBank out;
  out.read_pj_per_bit = lerp_log(w0, a.read_pj_per_bit, w1, b.read_pj_per_bit, port_bits);
  out.write_pj_per_bit = lerp_log(w0, a.write_pj_per_bit, w1, b.write_pj_per_bit, port_bits);
  out.leakage_mw = lerp_log(w0, a.leakage_mw, w1, b.leakage_mw, port_bits);
  out.area_mm2 = lerp_log(w0, a.area_mm2, w1, b.area_mm2, port_bits);
  out.access_ns = lerp_log(w0, a.access_ns, w1, b.access_ns, port_bits);
  return out;
}

}  // namespace leopard::models
