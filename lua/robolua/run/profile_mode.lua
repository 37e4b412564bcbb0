-- --profile: what nsys and ncu should capture. Each planned (configuration, backend) that would be
-- measured is verified once, then launched three times inside an NVTX range named by
-- profile.range_name (scenario/key/backend/profile); profile.attach later matches ncu's kernels to
-- records by that range, so skipped points, several kernels per call and any order are handled. For
-- CUDA points a same-size copy kernel runs in the range scenario/key/backend/copy, so the DRAM gate can
-- compare the kernel with a copy of its bytes profiled in the same run. No timing loops; each launch
-- writes its own output and cycles input copies as the timed loop does, so ncu sees the same L2 state.
local profile = require "robolua.profile"
local roofline = require "robolua.run.roofline"
local record = require "robolua.record"
local M = {}

M.launches = profile.launches_per_range

function M.run(ctx, configs)
  local d, rl, w, run = ctx.d, ctx.rl, ctx.d.workload, ctx.run
  local failed, done, cuda = 0, 0, 0
  for ci, cfg in ipairs(configs) do
    local active = {}
    for _, r in ipairs(cfg.records) do if r.status == "ok" then active[#active + 1] = r end end
    if #active > 0 then
      local c = cfg.config
      local host = w.inputs(c, d.seeds[1], d.def, nil)
      local ref = w.reference(host, c, nil)
      for _, r in ipairs(active) do
        local ok, err = pcall(function()
          -- as the timed loop sees it: every launch writes a fresh output and, where the timed loop rotates
          -- its inputs (the L2 would otherwise hold them), reads the next copy of the inputs
          local sets = r.device == "cuda" and math.min(M.launches, roofline.rotation(run, d, cfg.bytes)) or 1
          local inputs, outs = {}, {}
          for k = 1, sets do inputs[k] = w.to_device(host, r.device, nil) end
          for k = 1, M.launches do outs[k] = w.poison(w.output(c, host, r.device)) end
          rl.nvtx.range(profile.range_name(run.scenario, r, "profile"), function()
            for k = 1, M.launches do w.run(r.backend, inputs[(k - 1) % sets + 1], outs[k], c, {}) end
            if r.device == "cuda" then rl.cuda.synchronize() end
          end)
          local cmp = w.compare(outs[M.launches], ref, c, host)
          if r.device == "cuda" and cfg.bytes and rl.cuda.copy_kernel then
            -- the same bytes moved: half read, half written
            rl.nvtx.range(profile.range_name(run.scenario, r, "copy"), function()
              for _ = 1, M.launches do rl.cuda.copy_kernel((cfg.bytes + 1) // 2) end
            end)
          end
          for _, set in ipairs(inputs) do
            if set ~= host then for _, t in ipairs(w.tensors(set)) do t:close() end end
          end
          for _, o in ipairs(outs) do o:close() end
          if not cmp.ok then error(string.format("%d of %d elements wrong", cmp.bad, cmp.count), 0) end
        end)
        if not ok then failed = failed + 1 else done = done + 1; if r.device == "cuda" then cuda = cuda + 1 end end
        if not run.quiet or not ok then
          io.stderr:write(string.format("[%d/%d] profile %s %s: %s\n", ci, #configs, cfg.key, r.backend,
            ok and "verified" or ("FAILED: " .. tostring(err))))
        end
      end
      ref:close()
      for _, t in ipairs(w.tensors(host)) do t:close() end
    end
    for _, r in ipairs(cfg.records) do record.finalize(r) end
  end
  -- the last line, as a measuring run has its verdict (a CPU-only machine profiles no kernel: say so)
  io.stderr:write(string.format("robolua: --profile: %d point%s verified and launched in NVTX ranges, %d of them CUDA%s%s\n",
    done, done == 1 and "" or "s", cuda, failed > 0 and string.format("; %d FAILED", failed) or "",
    cuda == 0 and " (no CUDA point: nothing for nsys or ncu to capture)" or ""))
  return failed > 0 and 1 or 0
end

return M
