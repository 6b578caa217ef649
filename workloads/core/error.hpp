// Typed errors of leopard-dse. Library code throws these; only main() turns them into messages and
// exit codes (InputError -> 2, everything else -> 1).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace leopard {

// Bad user input: a file, a flag or an override. Carries where the problem is, so the message can
// name the file, the line (1-based, 0 = not applicable) and the field.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::int64_t line, std::string field, const std::string& message);
  // Input error not tied to a file (a command-line flag, for example).
  explicit InputError(const std::string& message);

  const std::string& file() const { return file_; }
  std::int64_t line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::int64_t line_ = 0;
  std::string field_;
  std::string message_;
};

// A failure that is not the user's input (I/O, database, internal consistency): exit code 1.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Formats "file:line: field 'f': message" leaving out the parts that are empty.
std::string format_location(const std::string& file, std::int64_t line, const std::string& field,
                            const std::string& message);

}  // namespace leopard
