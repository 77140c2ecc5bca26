{
  # The native backend's addon (build/Release/nabla.node): the C kernels in kernels/, compiled
  # once per x86-64 ISA level (AVX-512, AVX2+FMA, baseline SSE2) with distinct symbol prefixes and
  # picked at load; on arm64 the baseline build is NEON. See docs/kernels.md.
  "variables": {
    "nabla_cflags": [
      "-O3",
      "-std=gnu11",
      "-ffp-contract=off",
      "-fno-math-errno",
      "-fno-strict-aliasing",
      "-Wno-psabi",
      "-Wno-unused-parameter"
    ]
  },
  "target_defaults": {
    "cflags": ["<@(nabla_cflags)"],
    "xcode_settings": { "OTHER_CFLAGS": ["<@(nabla_cflags)"] }
  },
  "targets": [
    {
      "target_name": "nabla",
      "sources": ["kernels/isa/base.c", "kernels/napi/addon.c", "kernels/napi/pool.c"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["nabla_avx2", "nabla_avx512"] }],
        ["target_arch!='x64'", { "defines": ["NB_NO_X86_VARIANTS"] }]
      ]
    }
  ],
  "conditions": [
    [
      "target_arch=='x64'",
      {
        "targets": [
          {
            "target_name": "nabla_avx2",
            "type": "static_library",
            "sources": ["kernels/isa/avx2.c"],
            "cflags": ["-fPIC", "-mavx2", "-mfma"],
            "xcode_settings": { "OTHER_CFLAGS": ["<@(nabla_cflags)", "-mavx2", "-mfma"] }
          },
          {
            "target_name": "nabla_avx512",
            "type": "static_library",
            "sources": ["kernels/isa/avx512.c"],
            "cflags": [
              "-fPIC",
              "-mavx512f",
              "-mavx512bw",
              "-mavx512dq",
              "-mavx512vl",
              "-mavx2",
              "-mfma"
            ],
            "xcode_settings": {
              "OTHER_CFLAGS": [
                "<@(nabla_cflags)",
                "-mavx512f",
                "-mavx512bw",
                "-mavx512dq",
                "-mavx512vl",
                "-mavx2",
                "-mfma"
              ]
            }
          }
        ]
      }
    ]
  ]
}
