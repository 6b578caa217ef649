// JSON text of the store's params and objectives columns: hand-written (each runs once per stored
// or read design) and free of SQLite, so the design space can serialise params without the store.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace leopard::results {

// Parameters as a JSON object in axis order; values that parse as numbers are stored as numbers.
std::string params_json(const std::vector<std::pair<std::string, std::string>>& params);
// A JSON array of doubles at full precision; +-inf as +-1e999 (read back as +-inf), NaN as null.
std::string doubles_json(const std::vector<double>& values);
std::vector<double> parse_doubles_json(const std::string& text);

}  // namespace leopard::results
