// libFuzzer harness: the statistics CSV loader, then validation against the zoo models it names
// (builds model graphs at the file's seq_len) and the summary. Bad input must end in InputError.
#include <cstdint>

#include "fuzz/fuzz_common.hpp"
#include "workloads/core/error.hpp"
#include "workloads/stats.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  leopard::fuzz::set_home();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = leopard::fuzz::scratch_file(data, size, ".csv");
  try {
    const auto table = leopard::workloads::load_stats_csv(path);
    (void)leopard::workloads::summarize_stats(table);
    leopard::workloads::validate_stats_models(table, "");
  } catch (const leopard::InputError&) {
  }
  return 0;
}
