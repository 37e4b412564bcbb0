// A kernel outside the resampler contract, launched and timed through a declared signature:
//   local m = rl.cuda.module { source = "examples/kernels/saxpy.cu" }
//   local saxpy = m:kernel("saxpy", "f32* y, const f32* x, f32 a, i32 n")
//   rl.bench.launch(saxpy, { grid = { (n + 255) // 256 }, block = { 256 } }, { y, x, 2.0, n }, { repeats = 50 })
extern "C" __global__ void saxpy(float *y, const float *x, float a, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
