// Typed errors: message formatting.
#include "workloads/core/error.hpp"

#include <sstream>

namespace leopard {

std::string format_location(const std::string& file, std::int64_t line, const std::string& field,
                            const std::string& message) {
  std::ostringstream out;
  if (!file.empty()) {
    out << file;
    if (line > 0) out << ':' << line;
    out << ": ";
  }
  if (!field.empty()) out << "field '" << field << "': ";
  out << message;
  return out.str();
}

InputError::InputError(std::string file, std::int64_t line, std::string field,
                       const std::string& message)
    : std::runtime_error(format_location(file, line, field, message)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

InputError::InputError(const std::string& message)
    : std::runtime_error(message), message_(message) {}

}  // namespace leopard
