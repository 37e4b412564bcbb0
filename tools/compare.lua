-- Kept for old scripts: build/robolua tools/compare.lua BASE NEW [threshold=5] [alpha=0.01]
-- is `robolua compare BASE NEW --threshold 5 --alpha 0.01`.
local args = {}
for _, a in ipairs { ... } do
  local k, v = a:match("^(%w+)=(.+)$")
  if k then args[#args + 1] = "--" .. k; args[#args + 1] = v else args[#args + 1] = a end
end
require("robolua").core.set_exit_code(require("robolua.compare_cli").main(args))
