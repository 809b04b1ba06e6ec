"""numba kernels over [T, N] float64 arrays. Pure: inputs in, output out."""
