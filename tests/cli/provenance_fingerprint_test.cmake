# The model fingerprint (cmake/provenance.cmake) on a scratch tree: a README or docs change leaves
# it unchanged (a documentation commit never blocks `sweep --resume`); a change to any model source,
# data, preset or workload file changes it. Run: cmake -DREPO=<source dir> -DWORK=<scratch> -P this.
include("${REPO}/cmake/provenance.cmake")

file(REMOVE_RECURSE "${WORK}")
foreach(f models/cost.hpp models/data/sram_cacti7.csv models/presets/leopard-ae.yaml
          workloads/workload.cpp workloads/data/paper_suite.csv README.md docs/cost-model.md
          workloads/suite.cpp)
  file(WRITE "${WORK}/${f}" "content of ${f}\n")
endforeach()

function(expect_same what)
  leopard_model_fingerprint("${WORK}" now)
  if(NOT now STREQUAL base)
    message(FATAL_ERROR "fingerprint changed after ${what}: ${base} -> ${now}")
  endif()
endfunction()
function(expect_changed what)
  leopard_model_fingerprint("${WORK}" now)
  if(now STREQUAL base)
    message(FATAL_ERROR "fingerprint unchanged after ${what}: ${base}")
  endif()
  set(base "${now}" PARENT_SCOPE)
endfunction()

leopard_model_fingerprint("${WORK}" base)
if(NOT base MATCHES "^[0-9a-f]+$")
  message(FATAL_ERROR "not a hex digest: '${base}'")
endif()
file(APPEND "${WORK}/README.md" "a README commit\n")
expect_same("a README edit")
file(APPEND "${WORK}/docs/cost-model.md" "a docs commit\n")
expect_same("a docs edit")
file(APPEND "${WORK}/workloads/suite.cpp" "// not the workload model\n")
expect_same("a change outside the model's files")
foreach(f models/cost.hpp models/data/sram_cacti7.csv models/presets/leopard-ae.yaml
          workloads/workload.cpp workloads/data/paper_suite.csv)
  file(APPEND "${WORK}/${f}" "changed\n")
  expect_changed("a change to ${f}")
endforeach()
file(WRITE "${WORK}/models/new_model_part.cpp" "new\n")
expect_changed("a new model file")
file(RENAME "${WORK}/models/new_model_part.cpp" "${WORK}/models/renamed.cpp")
expect_changed("a renamed model file")
file(REMOVE_RECURSE "${WORK}")
message(STATUS "model fingerprint: documentation-blind, model-sensitive")
