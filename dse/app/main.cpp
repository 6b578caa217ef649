// leopard-dse entry point: builds the CLI, runs the chosen subcommand, maps errors to exit codes
// (0 ok, 1 runtime failure, 2 bad input or usage).
#include <cstdio>
#include <exception>
#include <iostream>

#include "dse/app/commands.hpp"
#include "dse/provenance.hpp"
#include "workloads/core/error.hpp"
#include "workloads/core/paths.hpp"

namespace leopard::app {

CLI::Option* add_format_option(CLI::App& cmd, std::string& target) {
  target = "table";
  return cmd.add_option("--format", target, "Output format: table (for people), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
}

}  // namespace leopard::app

int main(int argc, char** argv) {
  CLI::App app{"leopard-dse: design-space exploration for LeOPArd-style attention accelerators"};
  app.set_version_flag("--version", leopard::dse::version_text());
  app.require_subcommand(1);
  app.fallthrough();
  leopard::app::register_workloads(app);
  leopard::app::register_stats(app);
  leopard::app::register_profile(app);
  leopard::app::register_eval(app);
  leopard::app::register_sweep(app);
  leopard::app::register_store(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const leopard::InputError& e) {
    std::cout.flush();
    std::cerr << "leopard-dse: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "leopard-dse: failed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
