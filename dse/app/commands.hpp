// Registration of the leopard-dse subcommands. Each command group lives in its own cmd_*.cpp and
// adds itself to the CLI11 app here; main() calls these in order. This is the only folder that
// includes CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "workloads/core/table.hpp"

namespace leopard::app {

void register_workloads(CLI::App& app);  // workloads list | show | import
void register_stats(CLI::App& app);      // stats check
void register_profile(CLI::App& app);    // profile
void register_eval(CLI::App& app);       // eval, reproduce, calibrate
void register_sweep(CLI::App& app);      // sweep
void register_store(CLI::App& app);      // query, export, merge

// Adds "--format table|csv|json" (default table) bound to `target`.
CLI::Option* add_format_option(CLI::App& cmd, std::string& target);

// Prints the warnings of a loaded input (e.g. workloads::Suite::warnings) to stderr, one per line
// as "leopard-dse: warning: ...".
inline void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "leopard-dse: warning: " << w << '\n';
}

}  // namespace leopard::app
