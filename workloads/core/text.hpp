// Small text helpers shared by the loaders: CSV line splitting and strict number parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leopard {

// Splits one CSV record (RFC 4180 quoting, no embedded newlines). Throws InputError(file, line)
// on an unterminated quote.
std::vector<std::string> split_csv_line(std::string_view line, const std::string& file,
                                        std::int64_t line_no);

std::string trim(std::string_view text);

// Strict parses: the whole (trimmed) text must be a number, else std::nullopt.
std::optional<double> parse_double(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);

// Parses or throws InputError(file, line, field, "expected a number, got 'x'").
double require_double(std::string_view text, const std::string& file, std::int64_t line,
                      const std::string& field);
std::int64_t require_int(std::string_view text, const std::string& file, std::int64_t line,
                         const std::string& field);

}  // namespace leopard
