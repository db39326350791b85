--[[
osq_commun.lua: helpers shared by the pandoc Lua filters quarto.lua (HTML) and
imprimable.lua (typst, docx), and by osq_quarto.lua (OSQ's components in a Quarto site).
Loaded with `require("osq_commun")` from the folder of the running filter. Functions only,
no state: each filter keeps its own.
]]

local M = {}

-- Default callout titles, in French.
M.CALLOUT_TITLE = {
  note = "Note", tip = "Astuce", warning = "Attention",
  important = "Important", caution = "Prudence",
}

-- `el` is an element with classes or an Attr (table rows and cells).
function M.has_class(el, class)
  for _, c in ipairs(el.classes or {}) do
    if c == class then return true end
  end
  return false
end

-- "fig-a" -> "fig"; nil without a prefix.
function M.id_kind(id)
  if not id or id == "" then return nil end
  return id:match("^(%a+)%-")
end

function M.str_inlines(text)
  return pandoc.Inlines({ pandoc.Str(text) })
end

-- The image of a paragraph holding only one image (spaces aside), else nil.
-- `line_breaks`: a hard line break is ignored too (quarto.lua), not in imprimable.lua.
function M.lone_image(block, line_breaks)
  if not block or (block.t ~= "Para" and block.t ~= "Plain") then return nil end
  local image = nil
  for _, inline in ipairs(block.content) do
    if inline.t == "Image" then
      if image then return nil end
      image = inline
    elseif inline.t ~= "Space" and inline.t ~= "SoftBreak"
        and not (line_breaks and inline.t == "LineBreak") then
      return nil
    end
  end
  return image
end

-- {{< pagebreak >}} (a Quarto shortcode, left as text by pandoc).
function M.is_pagebreak(para)
  return pandoc.utils.stringify(para):match("^{{<%s*pagebreak%s*>}}$") ~= nil
end

-- Callout type from the classes: .callout-note... ; a plain .callout is a note.
function M.callout_type(div)
  for _, c in ipairs(div.classes) do
    if c == "callout" then return "note" end
    local t = c:match("^callout%-(%a+)$")
    if t and M.CALLOUT_TITLE[t] then return t end
  end
  return nil
end

-- Callout title (title attribute, else a first heading, removed) and content blocks.
function M.callout_title(div)
  local title = nil
  if div.attributes["title"] then
    title = pandoc.utils.blocks_to_inlines(pandoc.read(div.attributes["title"], "markdown").blocks)
  end
  local content = pandoc.Blocks(div.content)
  if not title and content[1] and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  end
  return title, content
end

function M.callout_default_title(ctype)
  return M.str_inlines(M.CALLOUT_TITLE[ctype] or "Note")
end

-- Div float (`::: {#fig-x}` / `::: {#tbl-x}`): the last paragraph is the caption, as in
-- Quarto, unless osq-nocap (removed from the div). Returns the other blocks and the caption
-- inlines (nil without one). `line_breaks` as for lone_image.
function M.float_caption(div, line_breaks)
  local blocks = pandoc.Blocks(div.content)
  local caption = nil
  if div.attributes["osq-nocap"] then
    div.attributes["osq-nocap"] = nil
  elseif #blocks >= 2 and blocks[#blocks].t == "Para"
      and not M.lone_image(blocks[#blocks], line_breaks) then
    caption = blocks[#blocks].content
    blocks:remove(#blocks)
  end
  return blocks, caption
end

-- .content-visible / .content-hidden with when-format / unless-format; `is_this(fmt)`
-- tells whether a format name designates the output. nil for any other div.
function M.conditional(div, is_this)
  local visible = M.has_class(div, "content-visible")
  local hidden = M.has_class(div, "content-hidden")
  if not visible and not hidden then return nil end
  local when = div.attributes["when-format"]
  local unless = div.attributes["unless-format"]
  local matches = true
  if when then matches = is_this(when) end
  if unless then matches = matches and not is_this(unless) end
  if (visible and matches) or (hidden and not matches) then
    return pandoc.Blocks(div.content)
  end
  return pandoc.Blocks({})
end

-- A wide table scrolls inside its own box, never the page (WCAG 1.4.10), and that box
-- takes the keyboard focus so that it can be scrolled without a mouse (WCAG 2.1.1).
-- Its name is the caption, else the heading above it, unique within the page (a landmark).
-- `etat` (from M.regions()) holds the last heading seen (`titre`) and the names given.
function M.regions()
  return { titre = nil, noms = {} }
end

function M.region_tableau(etat, tbl)
  local label = pandoc.utils.stringify(tbl.caption.long)
  if label == "" then
    label = etat.titre and ("Tableau : " .. etat.titre) or "Tableau"
  end
  local seen = etat.noms[label] or 0
  etat.noms[label] = seen + 1
  if seen > 0 then label = label .. " (" .. (seen + 1) .. ")" end
  -- A list of pairs, not a Lua table: its order is the page's, the same at every build.
  return pandoc.Div({ tbl }, pandoc.Attr("", { "osq-defilement" },
    { { "role", "region" }, { "tabindex", "0" }, { "aria-label", label } }))
end

-- great-tables wraps its table in `<div id="osq-..." style="...overflow-x:auto...">`:
-- the same focusable region, named by the table's title when it has one.
function M.region_gt(raw)
  local text = raw.text
  if not text:find("gt_table", 1, true) then return nil end
  local id = text:match('^%s*<div id="([%w_%-]+)" style="[^"]*overflow%-x:auto')
  if not id or text:find('id="' .. id .. '" class="osq-defilement"', 1, true) then return nil end
  local label
  if text:find('id="' .. id .. '-title"', 1, true) then
    label = 'aria-labelledby="' .. id .. '-title"'
  else
    label = 'aria-label="Tableau"'
  end
  local attrs = 'id="' .. id .. '" class="osq-defilement" role="region" tabindex="0" ' .. label .. ' '
  raw.text = text:gsub('<div id="' .. id:gsub("%-", "%%-") .. '" ', function() return "<div " .. attrs end, 1)
  return raw
end

return M
