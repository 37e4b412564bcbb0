// A kernel outside the resampler contract, for examples/generic/softmax.lua: a numerically stable
// softmax of each row of x[rows, cols] (f32), one block per row: max, sum of exp(x - max), normalise.
extern "C" __global__ void row_softmax(float *out, const float *x, int rows, int cols) {
  extern __shared__ float scratch[]; // blockDim.x floats
  const int row = blockIdx.x;
  if (row >= rows) return;
  const float *in = x + (long long)row * cols;
  float *o = out + (long long)row * cols;
  float m = __int_as_float(0xff800000); // -infinity (NVRTC has no INFINITY macro)
  for (int c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, in[c]);
  scratch[threadIdx.x] = m;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) scratch[threadIdx.x] = fmaxf(scratch[threadIdx.x], scratch[threadIdx.x + s]);
    __syncthreads();
  }
  m = scratch[0];
  __syncthreads();
  float sum = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) sum += expf(in[c] - m);
  scratch[threadIdx.x] = sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
    __syncthreads();
  }
  const float inv = 1.0f / scratch[0];
  for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = expf(in[c] - m) * inv;
}
