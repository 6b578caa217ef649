// The version line; the build-time values come from the generated provenance source.
#include "dse/provenance.hpp"

#include <fmt/format.h>

#include "workloads/core/paths.hpp"

namespace leopard::dse {

std::string version_text() {
  return fmt::format("leopard-dse {} (git {}, model {})", tool_version(), build_git_revision(),
                     model_fingerprint());
}

}  // namespace leopard::dse
