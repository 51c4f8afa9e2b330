# LibTorch, found once and wrapped in one target, `mecrl_torch`, that every
# target using LibTorch links (never ${TORCH_LIBRARIES} directly).
#
# Two LibTorch builds must work: Debian's libtorch-dev 1.13 (headers and
# libraries under /usr, next to the system's fmt, protobuf, libstdc++) and the
# one inside a pip `torch` wheel (what the GPU machine has). The wheel brings
# two traps, both handled here (docs/architecture.md, "Linking LibTorch"):
#
# 1. Its libtorch.so / libtorch_cpu.so export private copies of libstdc++
#    symbols (std::filesystem::remove_all, rename, ..., std::to_string): the
#    manylinux toolchain links parts of libstdc++ statically and does not hide
#    them. The dynamic linker binds a call to the first definition in the
#    global scope, which follows the executable's DT_NEEDED order; g++ puts
#    libstdc++ last, so our calls used to land in LibTorch's copies (SIGSEGV in
#    remove_all at the second checkpoint). Every executable linking
#    `mecrl_torch` therefore names libstdc++ first (a link option, which CMake
#    places before every library). tests/agents/test_std_bindings.cpp checks
#    the bindings of the real binaries with the dynamic linker's own report.
#
# 2. Its include directory bundles third-party headers (fmt 12, protobuf,
#    pybind11, ...). With it on the include path, <fmt/format.h> in a file of
#    ours would be the wheel's fmt 12 compiled against Debian's libfmt 9. The
#    wheel's include directory is replaced by a tree of links to LibTorch's own
#    header folders only (ATen, c10, torch, caffe2): a third-party header can
#    then only come from the system.
#
# With Debian's LibTorch both steps are harmless: its headers are system
# headers already and libstdc++ is the same library either way.

set(MECRL_HAVE_TORCH OFF)
if(NOT MECRL_TORCH)
  return()
endif()

# The wheel's CMake package detects GPU architectures with a CUDA try_run that
# CMake 3.25 cannot generate, unless the list is given. Derive it from ours.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(_mecrl_arch "90")
  if(DEFINED CMAKE_CUDA_ARCHITECTURES AND CMAKE_CUDA_ARCHITECTURES MATCHES "^[0-9]+")
    string(REGEX MATCH "^[0-9]+" _mecrl_arch "${CMAKE_CUDA_ARCHITECTURES}")
  endif()
  string(REGEX REPLACE "([0-9])$" ".\\1" TORCH_CUDA_ARCH_LIST "${_mecrl_arch}")  # 90 -> 9.0
endif()

# The wheel's package also rewrites the CUDA settings of the whole project
# (CMAKE_CUDA_FLAGS gains its -gencode list and defines, CMAKE_CUDA_ARCHITECTURES
# is switched off). Our .cu files include no LibTorch: keep our own settings.
foreach(v CMAKE_CUDA_FLAGS CMAKE_CUDA_ARCHITECTURES CMAKE_CUDA_STANDARD)
  set(_mecrl_saved_${v} "${${v}}")
endforeach()
find_package(Torch QUIET)
foreach(v CMAKE_CUDA_FLAGS CMAKE_CUDA_ARCHITECTURES CMAKE_CUDA_STANDARD)
  set(${v} "${_mecrl_saved_${v}}")
endforeach()
if(NOT Torch_FOUND)
  message(WARNING "LibTorch not found: building without agents (train, learned policies). "
                  "Install libtorch-dev or pass -DCMAKE_PREFIX_PATH=<torch cmake prefix>.")
  return()
endif()
set(MECRL_HAVE_TORCH ON)

# ---- 2. LibTorch's own headers only.
get_filename_component(_mecrl_torch_inc "${TORCH_INSTALL_PREFIX}/include" REALPATH)
set(MECRL_TORCH_BUNDLED_HEADERS OFF)
if(NOT _mecrl_torch_inc IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND EXISTS "${_mecrl_torch_inc}/fmt")
  set(MECRL_TORCH_BUNDLED_HEADERS ON)
endif()
if(MECRL_TORCH_BUNDLED_HEADERS)
  set(_mecrl_own "${CMAKE_BINARY_DIR}/torch-include")
  file(REMOVE_RECURSE "${_mecrl_own}")
  file(MAKE_DIRECTORY "${_mecrl_own}")
  foreach(sub ATen c10 torch caffe2)
    if(EXISTS "${_mecrl_torch_inc}/${sub}")
      file(CREATE_LINK "${_mecrl_torch_inc}/${sub}" "${_mecrl_own}/${sub}" SYMBOLIC)
    endif()
  endforeach()
  # Every imported LibTorch target that advertises the wheel's include folder.
  foreach(t torch torch_cpu torch_cuda c10 c10_cuda)
    if(TARGET ${t})
      get_target_property(_dirs ${t} INTERFACE_INCLUDE_DIRECTORIES)
      if(_dirs)
        set(_new "")
        foreach(d IN LISTS _dirs)
          get_filename_component(_real "${d}" REALPATH)
          string(FIND "${_real}" "${_mecrl_torch_inc}" _at)
          if(_at EQUAL 0)
            string(REPLACE "${_mecrl_torch_inc}" "${_mecrl_own}" d "${_real}")
          endif()
          list(APPEND _new "${d}")
        endforeach()
        list(REMOVE_DUPLICATES _new)
        set_target_properties(${t} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_new}")
      endif()
    endif()
  endforeach()
endif()

# ---- 3. LibTorch's own libraries only. TorchConfig finds libc10 with
# find_library(... PATHS <prefix>/lib), which searches the system first: on a
# machine that also has Debian's libtorch-dev (CI) the wheel's build linked
# Debian's /usr/lib/.../libc10.so beside its own.
set(_mecrl_libs "")
foreach(lib IN LISTS TORCH_LIBRARIES)
  if(lib MATCHES "^/" AND lib MATCHES "/lib(c10|torch)[^/]*\\.so")
    get_filename_component(_name "${lib}" NAME)
    get_filename_component(_dir "${lib}" DIRECTORY)
    get_filename_component(_dir "${_dir}" REALPATH)
    get_filename_component(_own "${TORCH_INSTALL_PREFIX}/lib" REALPATH)
    if(NOT _dir STREQUAL _own AND EXISTS "${_own}/${_name}")
      message(STATUS "mecrl: ${lib} is not this LibTorch's: using ${_own}/${_name}")
      set(lib "${_own}/${_name}")
    endif()
  endif()
  list(APPEND _mecrl_libs "${lib}")
endforeach()
set(TORCH_LIBRARIES "${_mecrl_libs}")

# ---- the one target
add_library(mecrl_torch INTERFACE)
# ---- 1. libstdc++ ahead of LibTorch in every executable's lookup scope.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" OR CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_link_options(mecrl_torch INTERFACE "LINKER:--push-state,--no-as-needed" "-lstdc++" "LINKER:--pop-state")
endif()
target_link_libraries(mecrl_torch INTERFACE ${TORCH_LIBRARIES})
message(STATUS "mecrl: LibTorch ${Torch_VERSION} at ${TORCH_INSTALL_PREFIX}"
               " (bundled third-party headers hidden: ${MECRL_TORCH_BUNDLED_HEADERS})")
