// Declarations only; libFuzzer itself comes from the toolchain's `-sanitize=fuzzer`.
#include "CLibFuzzer.h"
