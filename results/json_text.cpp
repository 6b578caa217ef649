// JSON text of the params and objectives columns (see json_text.hpp).
#include "results/json_text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "workloads/core/text.hpp"

namespace leopard::results {

namespace {

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string params_json(const std::vector<std::pair<std::string, std::string>>& params) {
  // Hand-written (this runs once per stored design): an object in axis order.
  std::string out = "{";
  for (const auto& [key, value] : params) {
    if (out.size() > 1) out += ',';
    append_json_string(out, key);
    out += ':';
    if (auto i = parse_int(value)) {
      out += std::to_string(*i);
    } else if (auto d = parse_double(value); d && std::isfinite(*d)) {
      out += fmt::format("{}", *d);
    } else {
      append_json_string(out, value);
    }
  }
  out += '}';
  return out;
}

std::string doubles_json(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if (std::isnan(values[i])) {
      out += "null";
    } else if (std::isinf(values[i])) {
      out += values[i] > 0 ? "1e999" : "-1e999";  // valid JSON; strtod and SQLite read +-inf
    } else {
      // Shortest round-trip form, as fmt's "{}" (which is defined by it) without its overhead.
      char buf[32];
      const auto res = std::to_chars(buf, buf + sizeof buf, values[i]);
      out.append(buf, res.ptr);
    }
  }
  out += ']';
  return out;
}

std::vector<double> parse_doubles_json(const std::string& text) {
  // Hand-written for speed (Pareto recomputation reads one array per design); anything that is not
  // a flat array of numbers and nulls gives an empty vector.
  std::vector<double> out;
  const char* p = text.c_str();
  auto skip = [&] {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') ++p;
  };
  skip();
  if (*p++ != '[') return {};
  skip();
  if (*p == ']') return out;
  for (;;) {
    skip();
    if (std::strncmp(p, "null", 4) == 0) {
      out.push_back(std::nan(""));
      p += 4;
    } else {
      char* end = nullptr;
      const double v = std::strtod(p, &end);
      if (end == p) return {};
      out.push_back(v);
      p = end;
    }
    skip();
    if (*p == ']') return out;
    if (*p++ != ',') return {};
  }
}

}  // namespace leopard::results
