// CSV splitting and strict number parsing.
#include "workloads/core/text.hpp"

#include <charconv>
#include <cmath>

#include "workloads/core/error.hpp"

namespace leopard {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> split_csv_line(std::string_view line, const std::string& file,
                                        std::int64_t line_no) {
  std::vector<std::string> fields;
  std::string current;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          current += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        current += c;
      }
    } else if (c == '"' && trim(current).empty()) {
      quoted = true;
      was_quoted = true;
      current.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? current : trim(current));
      current.clear();
      was_quoted = false;
    } else if (c != '\r' || i + 1 != line.size()) {
      current += c;
    }
  }
  if (quoted) throw InputError(file, line_no, "", "unterminated quoted field");
  fields.push_back(was_quoted ? current : trim(current));
  return fields;
}

std::optional<double> parse_double(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double value = 0;
  const char* begin = t.data();
  if (*begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = t.data();
  if (*begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return value;
}

double require_double(std::string_view text, const std::string& file, std::int64_t line,
                      const std::string& field) {
  const auto v = parse_double(text);
  if (!v || !std::isfinite(*v)) {
    throw InputError(file, line, field, "expected a number, got '" + trim(text) + "'");
  }
  return *v;
}

std::int64_t require_int(std::string_view text, const std::string& file, std::int64_t line,
                         const std::string& field) {
  const auto v = parse_int(text);
  if (!v) throw InputError(file, line, field, "expected an integer, got '" + trim(text) + "'");
  return *v;
}

}  // namespace leopard
