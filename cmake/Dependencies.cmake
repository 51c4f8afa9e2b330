# Every external dependency, found in one place.
# Debian 12 package -> CMake target:
#   libfmt-dev 9.1          -> fmt::fmt
#   libyaml-dev 0.2         -> LibYAML::yaml       (no CMake package: found here; docs/architecture.md
#                                                   "Config files" says why libyaml, not yaml-cpp)
#   libcli11-dev 2.1        -> CLI11::CLI11
#   nlohmann-json3-dev 3.11 -> nlohmann_json::nlohmann_json
#   libgtest-dev 1.12       -> GTest::gtest_main
#   libbenchmark-dev 1.7    -> benchmark::benchmark
#   libonnx-dev 1.12        -> onnx (+ protobuf::libprotobuf from libprotobuf-dev 3.21)
#   libtorch-dev 1.13 (CPU) -> mecrl_torch         (GPU machine: LibTorch 2.11 from pip torch; cmake/Torch.cmake)
#   CUDA toolkit 12+        -> CUDA::cudart
find_package(fmt REQUIRED)
find_path(LIBYAML_INCLUDE_DIR yaml.h REQUIRED)
find_library(LIBYAML_LIBRARY yaml REQUIRED)
add_library(LibYAML::yaml UNKNOWN IMPORTED)
set_target_properties(LibYAML::yaml PROPERTIES IMPORTED_LOCATION "${LIBYAML_LIBRARY}"
                                               INTERFACE_INCLUDE_DIRECTORIES "${LIBYAML_INCLUDE_DIR}")
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Threads REQUIRED)
# ---- ONNX (policy.onnx of `mecrl export`): ONNX's protobuf classes and checker.
# Optional like CUDA and LibTorch, so a machine without libonnx-dev still
# builds everything else; there `mecrl export` says what to install.
# ONNX's CMake package names protobuf::libprotobuf without finding it.
set(MECRL_HAVE_ONNX OFF)
find_package(Protobuf QUIET)
if(Protobuf_FOUND)
  find_package(ONNX QUIET)
endif()
if(ONNX_FOUND)
  set(MECRL_HAVE_ONNX ON)
else()
  message(WARNING "libonnx-dev not found: `mecrl export` will refuse to run (install libonnx-dev libprotobuf-dev)")
endif()

# ---- CUDA (optional at configure time, never at source level)
set(MECRL_HAVE_CUDA OFF)
if(NOT MECRL_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)  # H100/H200; override with -DCMAKE_CUDA_ARCHITECTURES=...
    endif()
    enable_language(CUDA)
    # CMake 3.25 does not know nvcc 13's C++20 flag: teach it.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(MECRL_HAVE_CUDA ON)
  elseif(MECRL_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MECRL_CUDA=ON but no CUDA compiler was found")
  endif()
endif()

# ---- LibTorch (agents): the `mecrl_torch` target, see cmake/Torch.cmake
include(${CMAKE_CURRENT_LIST_DIR}/Torch.cmake)
