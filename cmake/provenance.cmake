# Build-time provenance of leopard-dse (run as a script at every build: cmake -P provenance.cmake).
#
#   -DSOURCE_DIR=<repo> -DOUTPUT=<generated .cpp> [-DGIT_EXECUTABLE=<git>]
#
# Writes OUTPUT (only when its content changes, so an unchanged tree rebuilds nothing) with:
# - the git revision of SOURCE_DIR at build time ("unknown" outside a git checkout or without git;
#   "+dirty" appended when tracked files differ from it);
# - the model fingerprint: SHA-256 over the sorted list of "relative path\nSHA-256 of the file\n"
#   for every file of the cost model's sources and data (leopard_model_files below). Only those
#   files count, so a README or docs commit leaves it unchanged while any change to the model's
#   code, presets or data changes it. `sweep --resume` and `merge` compare it (dse/provenance.hpp).
#
# The two functions are also include()d by tests/cli/provenance_fingerprint_test.cmake.
cmake_minimum_required(VERSION 3.25)

# The files that decide a design's numbers: the cost model (models/: sources, calibration, SRAM
# table, presets) and the workload layer it prices (workloads/workload.*, workloads/data/).
function(leopard_model_files source_dir out_var)
  file(GLOB files RELATIVE "${source_dir}" LIST_DIRECTORIES false
       "${source_dir}/models/*" "${source_dir}/models/data/*" "${source_dir}/models/presets/*"
       "${source_dir}/workloads/workload.*" "${source_dir}/workloads/data/*")
  list(SORT files)
  set(${out_var} "${files}" PARENT_SCOPE)
endfunction()

function(leopard_model_fingerprint source_dir out_var)
  leopard_model_files("${source_dir}" files)
  set(digest_input "")
  foreach(f IN LISTS files)
    file(SHA256 "${source_dir}/${f}" h)
    string(APPEND digest_input "${f}\n${h}\n")
  endforeach()
  string(SHA256 fingerprint "${digest_input}")
  set(${out_var} "${fingerprint}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED OUTPUT)
  set(revision "unknown")
  if(NOT GIT_EXECUTABLE)
    find_program(GIT_EXECUTABLE git)
  endif()
  if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse HEAD
                    OUTPUT_VARIABLE head RESULT_VARIABLE rc ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND head MATCHES "^[0-9a-f]+$")
      set(revision "${head}")
      execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" diff --quiet HEAD --
                      RESULT_VARIABLE dirty ERROR_QUIET)
      if(dirty EQUAL 1)
        string(APPEND revision "+dirty")
      endif()
    endif()
  endif()
  leopard_model_fingerprint("${SOURCE_DIR}" fingerprint)
  leopard_model_files("${SOURCE_DIR}" files)
  set(file_list "")
  foreach(f IN LISTS files)
    string(APPEND file_list "      \"${f}\",\n")
  endforeach()
  file(WRITE "${OUTPUT}.tmp" "// Generated at build time by cmake/provenance.cmake: do not edit.
#include \"dse/provenance.hpp\"

namespace leopard::dse {

std::string build_git_revision() { return \"${revision}\"; }

std::string model_fingerprint() { return \"${fingerprint}\"; }

const std::vector<std::string>& model_fingerprint_files() {
  static const std::vector<std::string> files = {
${file_list}  };
  return files;
}

}  // namespace leopard::dse
")
  file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${OUTPUT}.tmp")
endif()
