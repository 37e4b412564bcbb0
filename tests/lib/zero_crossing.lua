-- The zero-crossing case of the operand-relative f32 tolerance (doc/reliability.md item 9), shared by
-- spec_reliability.lua (rl.resample) and spec_fuse_workload.lua (rl.fuse) so both check the same inputs
-- and the same independent bound: a lerp from 37.3 (t = 0) to -0.7 (t = 1), crossing zero at t = 37.3 / 38,
-- sampled by T targets around the crossing (all inside (0.97, 0.992)). Near the crossing the result is
-- tiny while the lerp's own rounding error scales with |a| + |b|: a bound relative to the output alone
-- rejects correct output there.
local M = { T = 2000, u = 2 ^ -24, a = 37.3, b = -0.7 }

-- The target times (Lua numbers; as f32 tensors they round, so bounds take the values read back).
function M.targets()
  local xs = {}
  for i = 1, M.T do xs[i] = M.a / (M.a - M.b) + (i - M.T / 2) * 1e-5 end
  return xs
end

-- The exact lerp and its bound, in float64, from the f32 values actually used (a and b as rounded to
-- f32, x the targets read back from their tensor): rl.compare's f32 defaults (atol, rtol 1e-6) plus 8
-- units of fp32 rounding of |a| + |b|. Returns want[i], bound[i].
function M.bounds(a, b, x)
  local want, bound = {}, {}
  for i = 1, M.T do
    want[i] = a + x[i] * (b - a)
    bound[i] = 1e-6 + 1e-6 * math.abs(want[i]) + 8 * M.u * (math.abs(a) + math.abs(b))
  end
  return want, bound
end

-- A perturbation of element i beyond or within its bound: +-0.5 or +-1.5 bounds, so about a third of the
-- elements (the 1.5 ones) must fail and the rest pass.
function M.perturbation(i, bound)
  return (i % 2 == 0 and 1 or -1) * (i % 3 == 0 and 1.5 or 0.5) * bound[i]
end

return M
