/* The kernels for x86-64 with AVX2 and FMA; compiled with -mavx2 -mfma. */
#define NB_ISA avx2
#include "../all.c"
