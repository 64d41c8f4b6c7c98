# Refuses an #include that crosses a layer the wrong way (run by the build before any library compiles; see
# docs/architecture.md, "Layers"). Each layer may include its own headers and those of the layers below it:
#
#   parsers        wardwatch/                       protocol parsers, byte readers, the declared vocabulary
#   model          model/                           the resolved inventory (plain data)
#   pipeline       + agent/decode, capture, pipeline, limits.hpp   decode, capture sources, tracker, streams
#   store          + agent/store                    SQLite, rows, the inventory builder
#   fingerprints   wardwatch/, model/, fingerprints/   rules, classifier, OUI registry
#   reports        wardwatch/, model/, reports/     JSON, CSV
#   cli            everything                       commands, the live capture loop, main
#
#   cmake -DROOT=<source dir> -DSTAMP=<file to touch on success> -P cmake/check_layers.cmake
cmake_minimum_required(VERSION 3.25)

set(parsers_may "wardwatch/")
set(model_may "model/")
set(pipeline_may "wardwatch/;model/;agent/decode/;agent/capture/;agent/pipeline/;agent/limits.hpp")
set(store_may "${pipeline_may};agent/store/")
set(fingerprints_may "wardwatch/;model/;fingerprints/")
set(reports_may "wardwatch/;model/;reports/")

# Directory (relative to ROOT) -> layer. Files elsewhere (agent/cli, agent/main.cpp, tests, bench) are the
# top layer and may include anything.
set(layer_dirs
  "parsers=parsers"
  "model=model"
  "agent/decode=pipeline" "agent/capture=pipeline" "agent/pipeline=pipeline" "agent/limits.hpp=pipeline"
  "agent/store=store"
  "fingerprints=fingerprints"
  "reports=reports")

set(violations "")
foreach(entry IN LISTS layer_dirs)
  string(REPLACE "=" ";" pair "${entry}")
  list(GET pair 0 where)
  list(GET pair 1 layer)
  if(IS_DIRECTORY "${ROOT}/${where}")
    file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/${where}/*.cpp" "${ROOT}/${where}/*.hpp")
  else()
    set(files "${where}")
  endif()
  foreach(file IN LISTS files)
    file(STRINGS "${ROOT}/${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" header "${line}")
      set(allowed FALSE)
      foreach(prefix IN LISTS ${layer}_may)
        string(FIND "${header}" "${prefix}" at)
        if(at EQUAL 0)
          set(allowed TRUE)
        endif()
      endforeach()
      if(NOT allowed)
        string(REPLACE ";" ", " may "${${layer}_may}")
        string(APPEND violations "  ${file} (layer ${layer}) includes \"${header}\"; it may include only ${may}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "an include crosses a layer the wrong way (docs/architecture.md, Layers):\n${violations}")
endif()
file(TOUCH "${STAMP}")
