// A small result table (named columns, typed cells) and its three renderings: an aligned text table
// for people, CSV and JSON for scripts. Every command's output goes through this.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace leopard {

using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class OutputFormat { kTable, kCsv, kJson };

// Parses "table", "csv" or "json"; throws InputError otherwise.
OutputFormat parse_output_format(const std::string& text);

struct Table {
  std::vector<std::string> columns;     // names, units in the name ("latency_ms")
  std::vector<std::vector<Cell>> rows;  // each row has columns.size() cells
  std::vector<int> precision;           // significant digits per column in text tables (opt.)

  void add_row(std::vector<Cell> row) { rows.push_back(std::move(row)); }
};

// Aligned text: header, rule, rows; numbers right-aligned, doubles with `precision` significant
// digits (default 4).
void render_text(std::ostream& out, const Table& table);
// RFC 4180 CSV with a header row; doubles with 10 significant digits.
void render_csv(std::ostream& out, const Table& table);
// A JSON array of objects keyed by column name (null for empty cells).
void render_json(std::ostream& out, const Table& table);
void render(std::ostream& out, const Table& table, OutputFormat format);

// The table without the columns that are empty (no value, or "") in every row (for a text table
// whose optional columns, such as the decode ones, do not apply to any row; CSV and JSON keep a
// fixed schema).
Table without_empty_columns(const Table& table);

// Quotes a CSV field when needed.
std::string csv_escape(const std::string& field);
// Formats a double with the given significant digits, without trailing noise ("1.5", "0.0123").
std::string format_double(double value, int significant);

}  // namespace leopard
