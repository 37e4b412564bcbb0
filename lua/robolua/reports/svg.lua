-- Inline SVG for the HTML report: escaping, a linear axis with evenly spaced "nice" ticks, and a
-- horizontal chart of rows (group headings, data rows drawn by the caller, labelled placeholder rows for
-- results that have no value) with a legend and vertical reference lines. No JavaScript, no external
-- assets; every text goes through esc; long labels are cut with the full text in a <title> tooltip.
local M = {}

-- Text and attribute values, escaped for XML; control characters (invalid in XML) become '?'.
function M.esc(s)
  s = tostring(s):gsub("[%z\1-\8\11\12\14-\31\127]", "?")
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"):gsub("'", "&#39;"))
end
local esc = M.esc

-- Cuts s to at most n characters (UTF-8 aware), marking the cut with an ellipsis.
function M.truncate(s, n)
  s = tostring(s)
  if utf8.len(s) == nil or utf8.len(s) <= n then return s, false end
  return s:sub(1, utf8.offset(s, n) - 1) .. "…", true
end

-- A linear axis covering [lo, hi] (lo <= 0 <= hi is not required) with ticks at multiples of a step of
-- 1, 2 or 5 times a power of ten: {lo, hi, step, ticks = {...}, digits} (digits: decimals a tick needs).
function M.axis(lo, hi, want)
  want = want or 6
  if not (hi > lo) then hi = lo + (lo ~= 0 and math.abs(lo) or 1) end
  local raw = (hi - lo) / want
  local pow = 10 ^ math.floor(math.log(raw, 10))
  local step = pow * 10
  for _, m in ipairs { 1, 2, 5 } do
    if pow * m >= raw then step = pow * m; break end
  end
  local first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
  local ticks = {}
  for i = first, last do ticks[#ticks + 1] = i * step end
  return { lo = first * step, hi = last * step, step = step, ticks = ticks, digits = math.max(0, -math.floor(math.log(step, 10) + 1e-9)) }
end

function M.tick_label(v, digits)
  if math.abs(v) < 1e-12 then v = 0 end
  return string.format("%." .. digits .. "f", v)
end

local ROW = { group = 24, data = 20, placeholder = 20 }
local WIDTH, LABEL_W, RIGHT_W = 1120, 330, 170
local LABEL_CHARS = 50

-- A row label cut to fit, keeping its suffix (the backend, which tells rows apart) whole.
local function cut_label(r)
  local suffix = r.label_suffix or ""
  if suffix ~= "" and r.label:sub(-#suffix) == suffix then
    local head, cut = M.truncate(r.label:sub(1, #r.label - #suffix), math.max(8, LABEL_CHARS - utf8.len(suffix)))
    return head .. suffix, cut
  end
  return M.truncate(r.label, LABEL_CHARS)
end

-- Legend items: {kind = "swatch", color, label} | {kind = "whisker", label, dashed} | {kind = "ref", label}
-- | {kind = "placeholder", label} | {kind = "dot", color, hollow, label}. Laid out left to right,
-- wrapping; returns the SVG and the height used.
local function legend(items, y0, hatch)
  local out, x, y = {}, LABEL_W, y0
  for _, it in ipairs(items) do
    local w = 30 + 6.2 * utf8.len(it.label)
    if x + w > WIDTH - 10 and x > LABEL_W then x, y = LABEL_W, y + 16 end
    local g = { string.format('<g class="legend-item" data-kind="%s">', esc(it.kind)) }
    if it.kind == "swatch" then
      g[#g + 1] = string.format('<rect x="%.1f" y="%.1f" width="16" height="10" fill="%s"/>', x, y - 8, esc(it.color))
    elseif it.kind == "whisker" then
      g[#g + 1] = string.format('<path d="M%.1f %.1fh16M%.1f %.1fv8M%.1f %.1fv8" stroke="#222" fill="none"%s/>', x, y - 3, x, y - 7, x + 16, y - 7,
        it.dashed and ' stroke-dasharray="2,2"' or "")
    elseif it.kind == "ref" then
      g[#g + 1] = string.format('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b2182b" stroke-width="2" stroke-dasharray="5,3"/>', x + 8, y - 10, x + 8, y + 2)
    elseif it.kind == "placeholder" then
      g[#g + 1] = string.format('<rect x="%.1f" y="%.1f" width="16" height="10" fill="url(#%s)" stroke="#999"/>', x, y - 8, hatch)
    elseif it.kind == "dot" then
      g[#g + 1] = M.dot(x + 8, y - 3, it.color, it.hollow)
    end
    g[#g + 1] = string.format('<text x="%.1f" y="%.1f" font-size="11">%s</text></g>', x + 22, y, esc(it.label))
    out[#out + 1] = table.concat(g)
    x = x + w
  end
  return table.concat(out, "\n"), y - y0 + 16
end

-- A seed dot (filled, backend colour) or a control mark (hollow diamond, dark outline).
function M.dot(x, y, color, hollow, tip)
  local t = tip and ("<title>" .. esc(tip) .. "</title>") or ""
  if hollow then
    return string.format('<path class="control" d="M%.1f %.1fl4 4l-4 4l-4 -4z" fill="#fff" stroke="#333" stroke-width="1.3">%s</path>', x, y - 4, t)
  end
  return string.format('<circle class="seed" cx="%.1f" cy="%.1f" r="3.5" fill="%s" stroke="#fff" stroke-width="0.8">%s</circle>', x, y, esc(color), t)
end

-- A horizontal bar with its whisker, as one data row's marks. b: {value, lo, hi, color, dashed, text, tip}.
function M.bar(b, x_of, y)
  local out = {}
  local x0, xv = x_of(0), x_of(b.value)
  out[#out + 1] = string.format('<rect class="bar" x="%.2f" y="%.1f" width="%.2f" height="12" fill="%s" fill-opacity="0.85"/>',
    math.min(x0, xv), y - 6, math.abs(xv - x0), esc(b.color))
  local right = math.max(x0, xv)
  if b.lo and b.hi then
    local xl, xh = x_of(b.lo), x_of(b.hi)
    local dash = b.dashed and ' stroke-dasharray="2,2"' or ""
    out[#out + 1] = string.format('<path class="whisker" data-x1="%.2f" data-x2="%.2f" d="M%.2f %.1fH%.2fM%.2f %.1fv10M%.2f %.1fv10" stroke="#222" stroke-width="1.2" fill="none"%s/>',
      xl, xh, xl, y, xh, xl, y - 5, xh, y - 5, dash)
    right = math.max(right, xh)
  end
  if b.text then
    out[#out + 1] = string.format('<text x="%.1f" y="%.1f" font-size="10.5" fill="#333" dominant-baseline="middle">%s</text>', right + 5, y, esc(b.text))
  end
  return table.concat(out)
end

-- The chart. c: {id (unique in the page), title, subtitle, axis_title, lo, hi, rows, legend, refs = {{value, label}}, class}.
-- rows: {kind = "group", label} | {kind = "data", label, label_suffix, tip, draw = function(x_of, y) -> svg}
-- | {kind = "placeholder", label, label_suffix, text, failed}. lo/hi: the data range (the axis covers it and every ref).
function M.chart(c)
  local has_data = false
  local lo, hi = c.lo or 0, c.hi or 0
  for _, r in ipairs(c.refs or {}) do lo, hi = math.min(lo, r.value), math.max(hi, r.value) end
  local items, has_placeholder = {}, false
  for _, r in ipairs(c.rows) do
    has_data = has_data or r.kind == "data"
    has_placeholder = has_placeholder or r.kind == "placeholder"
  end
  for i, it in ipairs(c.legend or {}) do items[i] = it end
  if has_placeholder then items[#items + 1] = { kind = "placeholder", label = "no value (the row says why)" } end
  local ax = M.axis(lo, hi)
  local x1, x2 = LABEL_W, WIDTH - RIGHT_W
  local function x_of(v) return x1 + (v - ax.lo) / (ax.hi - ax.lo) * (x2 - x1) end

  local out = {}
  local hatch = "hatch-" .. (c.id or "chart")
  local legend_svg, legend_h = legend(items, 56, hatch)
  local top = 56 + legend_h + ((c.refs and #c.refs > 0) and 16 or 4)
  local y = top
  local body = {}
  for _, r in ipairs(c.rows) do
    local h = ROW[r.kind] or ROW.data
    local mid = y + h / 2
    local label, cut = cut_label(r)
    local tip = (cut or r.tip) and ("<title>" .. esc(r.tip or r.label) .. "</title>") or ""
    if r.kind == "group" then
      body[#body + 1] = string.format('<g class="group"><rect x="0" y="%.1f" width="%d" height="%d" fill="#eef1f5"/>' ..
        '<text x="8" y="%.1f" font-size="12" font-weight="bold" dominant-baseline="middle">%s%s</text></g>', y + 1, WIDTH, h - 2, mid, esc(label), tip)
    else
      local g = { string.format('<g class="%s">', r.kind == "data" and "row" or "placeholder") }
      g[#g + 1] = string.format('<text class="label" x="%d" y="%.1f" font-size="11" text-anchor="end" dominant-baseline="middle">%s%s</text>',
        x1 - 8, mid, esc(label), tip)
      if r.kind == "data" then
        g[#g + 1] = r.draw(x_of, mid)
      else
        g[#g + 1] = string.format('<rect x="%d" y="%.1f" width="%d" height="%d" fill="url(#%s)" stroke="#bbb"/>', x1, y + 3, x2 - x1, h - 6, hatch)
        g[#g + 1] = string.format('<text x="%d" y="%.1f" font-size="11" dominant-baseline="middle" font-style="italic" fill="%s">%s</text>',
          x1 + 8, mid, r.failed and "#b00020" or "#555", esc(r.text))
      end
      g[#g + 1] = "</g>"
      body[#body + 1] = table.concat(g)
    end
    y = y + h
  end
  local bottom = y
  local height = bottom + (has_data and 42 or 10)

  out[#out + 1] = string.format('<svg xmlns="http://www.w3.org/2000/svg" class="chart%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="sans-serif">',
    c.class and (" " .. esc(c.class)) or "", WIDTH, height, WIDTH, height, esc(c.title))
  out[#out + 1] = '<defs><pattern id="' .. hatch .. '" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' ..
    '<rect width="6" height="6" fill="#f6f6f6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ddd" stroke-width="2"/></pattern></defs>'
  out[#out + 1] = string.format('<text x="8" y="20" font-size="15" font-weight="bold">%s</text>', esc(c.title))
  if c.subtitle then out[#out + 1] = string.format('<text x="8" y="38" font-size="11.5" fill="#444">%s</text>', esc(c.subtitle)) end
  out[#out + 1] = legend_svg
  if has_data then
    -- grid and ticks under the rows
    local g = { '<g class="axis">' }
    for _, t in ipairs(ax.ticks) do
      local x = x_of(t)
      g[#g + 1] = string.format('<line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f" stroke="%s"/>', x, top, x, bottom, math.abs(t) < 1e-12 and "#888" or "#e3e3e3")
      g[#g + 1] = string.format('<text class="tick" data-value="%.17g" x="%.2f" y="%.1f" font-size="10.5" text-anchor="middle">%s</text>',
        t, x, bottom + 14, M.tick_label(t, ax.digits))
    end
    g[#g + 1] = string.format('<text x="%.1f" y="%.1f" font-size="11.5" text-anchor="middle" fill="#333">%s</text>', (x1 + x2) / 2, bottom + 32, esc(c.axis_title or ""))
    g[#g + 1] = "</g>"
    out[#out + 1] = table.concat(g, "\n")
  end
  out[#out + 1] = table.concat(body, "\n")
  if has_data then
    for _, r in ipairs(c.refs or {}) do
      local x = x_of(r.value)
      local right_side = x < (x1 + x2) / 2
      out[#out + 1] = string.format('<g class="ref" data-value="%.17g"><line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f" stroke="#b2182b" stroke-width="2" stroke-dasharray="5,3"/>' ..
        '<text x="%.1f" y="%.1f" font-size="11" fill="#b2182b" text-anchor="%s">%s</text></g>',
        r.value, x, top - 12, x, bottom, x + (right_side and 4 or -4), top - 4, right_side and "start" or "end", esc(r.label))
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

return M
