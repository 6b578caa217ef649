// Rendering of Table as aligned text, CSV and JSON.
#include "workloads/core/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "workloads/core/error.hpp"

namespace leopard {

OutputFormat parse_output_format(const std::string& text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  throw InputError("", 0, "--format",
                   "unknown format '" + text + "' (expected table, csv or json)");
}

std::string format_double(double value, int significant) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}g}", value, significant);
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string cell_text(const Cell& cell, int significant) {
  struct Visitor {
    int significant;
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_double(v, significant); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{significant}, cell);
}

bool is_number(const Cell& cell) {
  return std::holds_alternative<std::int64_t>(cell) || std::holds_alternative<double>(cell);
}

}  // namespace

void render_text(std::ostream& out, const Table& table) {
  const std::size_t n = table.columns.size();
  std::vector<std::size_t> width(n);
  std::vector<std::vector<std::string>> text(table.rows.size(), std::vector<std::string>(n));
  for (std::size_t c = 0; c < n; ++c) width[c] = table.columns[c].size();
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    for (std::size_t c = 0; c < n && c < table.rows[r].size(); ++c) {
      const int digits =
          c < table.precision.size() && table.precision[c] > 0 ? table.precision[c] : 4;
      text[r][c] = cell_text(table.rows[r][c], digits);
      width[c] = std::max(width[c], text[r][c].size());
    }
  }
  std::vector<bool> right(n, false);
  for (std::size_t c = 0; c < n; ++c) {
    right[c] =
        !table.rows.empty() && std::all_of(table.rows.begin(), table.rows.end(), [&](auto& row) {
          return c >= row.size() || is_number(row[c]) ||
                 std::holds_alternative<std::monostate>(row[c]);
        });
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < n; ++c) {
      if (c > 0) s += "  ";
      const std::string& t = cells[c];
      const std::string pad(width[c] - t.size(), ' ');
      s += right[c] ? pad + t : (c + 1 == n ? t : t + pad);
    }
    out << s << '\n';
  };
  line(table.columns);
  std::vector<std::string> rule(n);
  for (std::size_t c = 0; c < n; ++c) rule[c] = std::string(width[c], '-');
  line(rule);
  for (const auto& row : text) line(row);
}

void render_csv(std::ostream& out, const Table& table) {
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    out << (c ? "," : "") << csv_escape(table.columns[c]);
  }
  out << '\n';
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out << (c ? "," : "") << csv_escape(cell_text(row[c], 10));
    }
    out << '\n';
  }
}

void render_json(std::ostream& out, const Table& table) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < table.columns.size() && c < row.size(); ++c) {
      const Cell& cell = row[c];
      if (std::holds_alternative<std::int64_t>(cell)) {
        obj[table.columns[c]] = std::get<std::int64_t>(cell);
      } else if (std::holds_alternative<double>(cell)) {
        const double v = std::get<double>(cell);
        if (std::isfinite(v)) {
          obj[table.columns[c]] = v;
        } else {
          obj[table.columns[c]] = nullptr;
        }
      } else if (std::holds_alternative<std::string>(cell)) {
        obj[table.columns[c]] = std::get<std::string>(cell);
      } else {
        obj[table.columns[c]] = nullptr;
      }
    }
    array.push_back(std::move(obj));
  }
  out << array.dump(2) << '\n';
}

Table without_empty_columns(const Table& table) {
  std::vector<std::size_t> keep;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    for (const auto& row : table.rows) {
      const bool empty =
          c >= row.size() || std::holds_alternative<std::monostate>(row[c]) ||
          (std::holds_alternative<std::string>(row[c]) && std::get<std::string>(row[c]).empty());
      if (!empty) {
        keep.push_back(c);
        break;
      }
    }
  }
  Table out;
  for (std::size_t c : keep) {
    out.columns.push_back(table.columns[c]);
    out.precision.push_back(c < table.precision.size() ? table.precision[c] : 0);  // 0: default
  }
  for (const auto& row : table.rows) {
    std::vector<Cell> r;
    r.reserve(keep.size());
    for (std::size_t c : keep) r.push_back(c < row.size() ? row[c] : Cell{});
    out.rows.push_back(std::move(r));
  }
  return out;
}

void render(std::ostream& out, const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      render_text(out, table);
      break;
    case OutputFormat::kCsv:
      render_csv(out, table);
      break;
    case OutputFormat::kJson:
      render_json(out, table);
      break;
  }
}

}  // namespace leopard
