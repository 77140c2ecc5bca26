/* The kernels for the target's baseline: SSE2 on x86-64, NEON on arm64, plain C elsewhere. */
#define NB_ISA base
#include "../all.c"
