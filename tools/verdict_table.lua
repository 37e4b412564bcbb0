-- A table of each gate's verdict over several runs of one scenario (the "same verdict every time"
-- evidence):  build/robolua tools/verdict_table.lua RUN_DIR... > verdicts.md
local record = require "robolua.record"
local dirs = { ... }
if #dirs == 0 then error("usage: robolua tools/verdict_table.lua RUN_DIR...", 0) end
local docs, names, seen = {}, {}, {}
for i, d in ipairs(dirs) do
  docs[i] = record.load(d)
  for _, g in ipairs(docs[i].gates) do
    if not seen[g.name] then seen[g.name] = true; names[#names + 1] = g.name end
  end
end
local short = { pass = "PASS", fail = "**FAIL**", skip = "SKIPPED", inconclusive = "INCONCLUSIVE", error = "**ERROR**" }
local head = { "| gate |" }
local rule = { "|---|" }
for i = 1, #docs do head[#head + 1] = " run " .. i .. " |"; rule[#rule + 1] = "---|" end
head[#head + 1] = " flips |"
rule[#rule + 1] = "---:|"
print(table.concat(head))
print(table.concat(rule))
local flipped = 0
for _, name in ipairs(names) do
  local row, first, flips = { "| " .. name .. " |" }, nil, 0
  for _, doc in ipairs(docs) do
    local st = "-"
    for _, g in ipairs(doc.gates) do if g.name == name then st = g.status end end
    first = first or st
    if st ~= first then flips = flips + 1 end
    row[#row + 1] = " " .. (short[st] or st) .. " |"
  end
  row[#row + 1] = " " .. flips .. " |"
  if flips > 0 then flipped = flipped + 1 end
  print(table.concat(row))
end
local verdicts, first, vflips = { "| verdict |" }, nil, 0
for _, doc in ipairs(docs) do
  first = first or doc.verdict
  if doc.verdict ~= first then vflips = vflips + 1 end
  verdicts[#verdicts + 1] = " " .. tostring(doc.verdict):gsub("|", "/") .. " |"
end
verdicts[#verdicts + 1] = " " .. vflips .. " |"
print(table.concat(verdicts))
print(string.format("\n%d runs; %d gate%s changed verdict between runs; the overall verdict changed in %d run%s.", #docs, flipped,
  flipped == 1 and "" or "s", vflips, vflips == 1 and "" or "s"))
