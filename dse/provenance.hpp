// Provenance fixed at build time (cmake/provenance.cmake generates the definitions): the git
// revision the tool was built from and the fingerprint of its cost model. Every sweep stores both
// with its run; `sweep --resume` and `merge` refuse a run priced by another model fingerprint.
#pragma once

#include <string>
#include <vector>

namespace leopard::dse {

// `git rev-parse HEAD` of the source tree at build time, "+dirty" appended when tracked files
// differed from it; "unknown" when built outside a git checkout.
std::string build_git_revision();
// SHA-256 (64 hex digits) over the cost model's sources and data at build time: models/ (sources,
// data, presets), workloads/workload.* and workloads/data/. Documentation is not part of it.
std::string model_fingerprint();
// The files it covers, relative to the source tree, sorted.
const std::vector<std::string>& model_fingerprint_files();
// "leopard-dse 0.1.0 (git <revision>, model <fingerprint>)", for --version.
std::string version_text();

}  // namespace leopard::dse
