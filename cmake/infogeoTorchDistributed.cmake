# torch.distributed (c10d) for test_torch_distributed and the examples' --distributed mode.
# Included after find_package(Torch). Sets
#   INFOGEO_GLOO_INCLUDE_DIR  gloo's headers (Debian: libgloo-dev; pip wheels ship them under include/)
#   INFOGEO_C10D_NCCL         ON when LibTorch is a CUDA build and nccl.h is found (pip wheels: the
#                             nvidia-nccl package's include/, found through python3; or pass
#                             -DINFOGEO_NCCL_INCLUDE_DIR=DIR, or set NCCL_INCLUDE_DIR in the environment)
# and defines infogeo_link_c10d(target): gloo (always) and NCCL (when INFOGEO_C10D_NCCL) for one target.
find_path(INFOGEO_GLOO_INCLUDE_DIR gloo/algorithm.h HINTS ${TORCH_INCLUDE_DIRS})
set(INFOGEO_C10D_NCCL OFF)
if(INFOGEO_GLOO_INCLUDE_DIR AND TORCH_CUDA_LIBRARIES)
  set(_infogeo_nccl_hints "")
  find_package(Python3 COMPONENTS Interpreter QUIET)
  if(Python3_Interpreter_FOUND)
    execute_process(
      COMMAND "${Python3_EXECUTABLE}" -c
              "import os, nvidia.nccl as m; print(os.path.join(list(m.__path__)[0], 'include'))"
      OUTPUT_VARIABLE _infogeo_nccl_py OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_infogeo_nccl_py)
      list(APPEND _infogeo_nccl_hints "${_infogeo_nccl_py}")
    endif()
  endif()
  find_path(INFOGEO_NCCL_INCLUDE_DIR nccl.h HINTS ${_infogeo_nccl_hints} ENV NCCL_INCLUDE_DIR ${TORCH_INCLUDE_DIRS}
            PATHS /usr/local/cuda/include)
  if(INFOGEO_NCCL_INCLUDE_DIR)
    set(INFOGEO_C10D_NCCL ON)
    message(STATUS "infogeo: NCCL headers in ${INFOGEO_NCCL_INCLUDE_DIR}: --distributed can use NCCL")
  else()
    message(STATUS "infogeo: CUDA LibTorch but nccl.h not found (-DINFOGEO_NCCL_INCLUDE_DIR=...): "
                   "--distributed uses gloo only")
  endif()
endif()

function(infogeo_link_c10d target)
  target_include_directories(${target} SYSTEM PRIVATE "${INFOGEO_GLOO_INCLUDE_DIR}")
  target_compile_definitions(${target} PRIVATE USE_C10D_GLOO INFOGEO_WITH_C10D)
  if(INFOGEO_C10D_NCCL)
    target_include_directories(${target} SYSTEM PRIVATE "${INFOGEO_NCCL_INCLUDE_DIR}")
    target_compile_definitions(${target} PRIVATE USE_C10D_NCCL)
  endif()
endfunction()
