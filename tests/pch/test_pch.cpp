// Owner of the test TUs' precompiled header (tests/CMakeLists.txt): CMake builds the PCH for this
// target, and every test executable reuses it. Nothing to compile here.
