/* The kernels for x86-64 with AVX-512 (F, BW, DQ, VL); compiled with -mavx512f -mavx512bw ... */
#define NB_ISA avx512
#include "../all.c"
