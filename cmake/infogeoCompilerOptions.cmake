# Warnings, sanitizers and ccache for infogeo's own targets (never imposed on consumers).

# ccache caches compiles that use a precompiled header (the tests': tests/CMakeLists.txt) only with
# sloppiness pch_defines,time_macros; the launcher sets it (overriding CCACHE_SLOPPINESS from the
# environment or ccache.conf for these compiles).
find_program(INFOGEO_CCACHE ccache)
if(INFOGEO_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CMAKE_COMMAND};-E;env;CCACHE_SLOPPINESS=pch_defines,time_macros;${INFOGEO_CCACHE}")
endif()

# infogeo_target_defaults(<target>): C++17, strict warnings, optional sanitizers.
function(infogeo_target_defaults target)
  target_compile_features(${target} PRIVATE cxx_std_17)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
  endif()
  if(INFOGEO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
