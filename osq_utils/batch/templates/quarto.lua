--[[
quarto.lua: pandoc Lua filter giving the HTML output Quarto shows for the
Quarto markdown an analyst writes (fallback when no `quarto` executable exists).

Covers: callouts (note, tip, warning, important, caution; title attribute or
first heading; collapse; appearance; icon=false; numbered nte-/tip-/wrn-/imp-/cau-
ids), figure and table floats (implicit figures, `::: {#fig-x}` / `::: {#tbl-x}`
divs whose last paragraph is the caption, captioned pipe tables, sub-figures),
cross-references (@fig-x, @Fig-x, [-@fig-x], [Voir la @fig-x], [@fig-a; @fig-b],
@tbl-, @sec-, callout ids), layout-ncol / layout-nrow / layout grids,
.column-margin and .aside, .panel-tabset (plain sections), .content-visible /
.content-hidden, {{< pagebreak >}}, fig-alt and fig-align; wide tables (pandoc and
great-tables) scroll in a focusable region.

Text is in French: "Figure 1 : légende", "Tableau 1 : légende".
Requires pandoc >= 3.0 (Figure element, topdown traversal).
]]

-- Helpers shared with imprimable.lua: osq_commun.lua, next to this filter.
package.path = (PANDOC_SCRIPT_FILE:match("(.*[/\\])") or "./") .. "?.lua;" .. package.path
local C = require("osq_commun")
local has_class, id_kind, str_inlines = C.has_class, C.id_kind, C.str_inlines

local NBSP = "\u{a0}"
local TITLE_DELIM = NBSP .. ":" -- French typography: "Figure 1 : légende"

-- Cross-reference prefixes, in French.
local XREF_PREFIX = {
  fig = "Figure", tbl = "Tableau", lst = "Listing",
  nte = "Note", tip = "Astuce", wrn = "Attention", imp = "Important", cau = "Prudence",
  sec = "Section", eq = "Équation",
}
local CALLOUT_XREF = { nte = "note", tip = "tip", wrn = "warning", imp = "important", cau = "caution" }

local refs = {}      -- id -> {kind=..., num="1", parent=..., letter="a", title=Inlines}
local counters = {}

local function is_empty_attributes(attributes)
  for _ in pairs(attributes) do return false end
  return true
end

-- A paragraph holding only one image (Quarto treats an image with a fig- id as a figure);
-- here a hard line break next to it is ignored too.
local function lone_image(block)
  return C.lone_image(block, true)
end

local function block_id(block)
  if block.t == "Figure" or block.t == "Div" or block.t == "Table" then
    return block.identifier
  end
  local image = lone_image(block)
  return image and image.identifier or nil
end

local function register(id, kind)
  if refs[id] then return end
  counters[kind] = (counters[kind] or 0) + 1
  refs[id] = { kind = kind, num = tostring(counters[kind]) }
end

-- Sub-figures: direct children (or children of a layout div) with a fig- id.
local function register_children(parent)
  local letter = 0
  local function scan(blocks)
    for _, block in ipairs(blocks) do
      local id = block_id(block)
      if id and id_kind(id) == "fig" and not refs[id] then
        letter = letter + 1
        refs[id] = { kind = "fig", parent = parent, letter = string.char(96 + letter) }
      elseif block.t == "Div" and (not block.identifier or block.identifier == "") then
        scan(block.content)
      end
    end
  end
  return scan
end

------------------------------------------------------------------------------
-- Pass 1: number floats and callouts in document order.
------------------------------------------------------------------------------
local collect = {
  traverse = "topdown",
  Div = function(div)
    local kind = id_kind(div.identifier)
    if kind == "fig" or kind == "tbl" then
      register(div.identifier, kind)
      if kind == "fig" then register_children(div.identifier)(div.content) end
    elseif kind and CALLOUT_XREF[kind] then
      register(div.identifier, kind)
    end
  end,
  Figure = function(fig)
    if id_kind(fig.identifier) == "fig" then register(fig.identifier, "fig") end
  end,
  Table = function(tbl)
    if id_kind(tbl.identifier) == "tbl" then register(tbl.identifier, "tbl") end
  end,
  Para = function(para)
    local image = lone_image(para)
    if image and id_kind(image.identifier) == "fig" then register(image.identifier, "fig") end
  end,
  Header = function(h)
    if h.identifier ~= "" and not refs[h.identifier] then
      refs[h.identifier] = { kind = "sec", title = h.content }
    end
  end,
}

------------------------------------------------------------------------------
-- Pass 2: cross-references.
------------------------------------------------------------------------------
local function ref_number(ref)
  if ref.parent then
    local parent = refs[ref.parent]
    return (parent and parent.num or "?") .. NBSP .. "(" .. ref.letter .. ")"
  end
  return ref.num
end

local function xref_inlines(citation)
  local id = citation.id
  local lowered = id:sub(1, 1):lower() .. id:sub(2)
  local ref = refs[id] or refs[lowered]
  local target = refs[id] and id or lowered
  if not ref then
    return pandoc.Inlines({ pandoc.Strong({ pandoc.Str("?@" .. id) }) })
  end
  local text
  if ref.kind == "sec" then
    text = pandoc.Inlines(ref.title)
    if #citation.prefix > 0 then
      text = pandoc.Inlines(citation.prefix) .. { pandoc.Space() } .. text
    end
  else
    local number = ref_number(ref)
    if citation.mode == "SuppressAuthor" then
      text = str_inlines(number)
    elseif #citation.prefix > 0 then
      text = pandoc.Inlines(citation.prefix) .. { pandoc.Str(NBSP .. number) }
    else
      text = str_inlines((XREF_PREFIX[ref.kind] or ref.kind) .. NBSP .. number)
    end
  end
  local result = pandoc.Inlines({ pandoc.Link(text, "#" .. target, "", { class = "quarto-xref" }) })
  if #citation.suffix > 0 then
    result:extend(citation.suffix)
  end
  return result
end

local function is_xref(id)
  local kind = id_kind(id:sub(1, 1):lower() .. id:sub(2))
  return kind ~= nil and XREF_PREFIX[kind] ~= nil
end

local crossrefs = {
  Cite = function(cite)
    for _, citation in ipairs(cite.citations) do
      if not is_xref(citation.id) then return nil end -- a real citation
    end
    local out = pandoc.Inlines({})
    local n = #cite.citations
    for i, citation in ipairs(cite.citations) do
      if i > 1 then
        out:insert(pandoc.Str(i == n and " et" or ","))
        out:insert(pandoc.Space())
      end
      out:extend(xref_inlines(citation))
    end
    return out
  end,
}

------------------------------------------------------------------------------
-- Pass 3: blocks.
------------------------------------------------------------------------------
local function caption_prefix(id)
  local ref = refs[id]
  if not ref then return nil end
  if ref.parent then
    return pandoc.Inlines({ pandoc.Str("(" .. ref.letter .. ")") })
  end
  return pandoc.Inlines({
    pandoc.Span({ pandoc.Str((XREF_PREFIX[ref.kind] or ref.kind) .. NBSP .. ref.num) },
      { class = "osq-float-number" }),
  })
end

-- "Figure 1 : caption" (or "Figure 1" when the caption is empty).
local function numbered_caption(id, caption)
  local prefix = caption_prefix(id)
  caption = pandoc.Inlines(caption or {})
  if not prefix then return caption end
  if #caption == 0 then return prefix end
  if refs[id].parent then
    return prefix .. { pandoc.Space() } .. caption
  end
  return prefix .. { pandoc.Str(TITLE_DELIM), pandoc.Space() } .. caption
end

-- Image inside a figure: alt text from fig-alt (the caption already describes it).
local function figure_image(image)
  local alt = image.attributes["fig-alt"]
  image.attributes["fig-alt"] = nil
  image.caption = alt and str_inlines(alt) or pandoc.Inlines({})
  -- Without fig-alt, the figcaption names the figure: empty alt, not a missing one.
  if not alt then image.attributes["alt"] = "" end
  local align = image.attributes["fig-align"]
  image.attributes["fig-align"] = nil
  return image, align
end

local function figure_from_image(image)
  local caption = image.caption
  local id = image.identifier
  image.identifier = ""
  local img, align = figure_image(image)
  local classes = { "quarto-figure" }
  if align then table.insert(classes, "quarto-figure-" .. align) end
  return pandoc.Figure({ pandoc.Plain({ img }) },
    { pandoc.Plain(numbered_caption(id, caption)) },
    pandoc.Attr(id, classes))
end

local function layout_div(blocks, attributes)
  local ncol = tonumber(attributes["layout-ncol"])
  local nrow = tonumber(attributes["layout-nrow"])
  local layout = attributes["layout"]
  local template
  if not ncol and nrow then
    local count = 0
    for _, b in ipairs(blocks) do if b.t ~= "Null" then count = count + 1 end end
    ncol = math.max(1, math.ceil(count / nrow))
  end
  if layout and not ncol then
    -- "[40,60]" -> 40fr 60fr; nested rows "[[1,1],[1]]" -> widest row.
    local rows = {}
    for row in layout:gmatch("%[([^%[%]]*)%]") do table.insert(rows, row) end
    local widest = {}
    for _, row in ipairs(rows) do
      local cols = {}
      for n in row:gmatch("-?[%d%.]+") do
        local value = tonumber(n)
        if value and value > 0 then table.insert(cols, value) end
      end
      if #cols > #widest then widest = cols end
    end
    if #widest > 0 then
      local parts = {}
      for _, v in ipairs(widest) do table.insert(parts, v .. "fr") end
      template = table.concat(parts, " ")
    end
  end
  local style
  if template then
    style = "grid-template-columns: " .. template .. ";"
  else
    style = "--osq-ncol: " .. tostring(ncol or 1) .. ";"
  end
  return pandoc.Div(blocks, { class = "osq-layout quarto-layout-panel", style = style })
end

local function has_layout(attributes)
  return attributes["layout-ncol"] or attributes["layout-nrow"] or attributes["layout"]
end

local function strip_layout(attributes)
  attributes["layout-ncol"] = nil
  attributes["layout-nrow"] = nil
  attributes["layout"] = nil
end

local function escape_attr(text)
  return (text:gsub("&", "&amp;"):gsub('"', "&quot;"):gsub("<", "&lt;"))
end

-- Div float (#fig-x / #tbl-x): last paragraph is the caption, as in Quarto.
local function float_div(div)
  local id = div.identifier
  local kind = id_kind(id) or "tbl"
  local blocks, caption = C.float_caption(div, true)
  if has_layout(div.attributes) then
    blocks = pandoc.Blocks({ layout_div(blocks, div.attributes) })
    strip_layout(div.attributes)
  end
  local cap_block = pandoc.Blocks({})
  local cap_inlines = id ~= "" and numbered_caption(id, caption) or pandoc.Inlines(caption or {})
  if #cap_inlines > 0 then
    cap_block = pandoc.Blocks({
      pandoc.RawBlock("html", '<figcaption class="quarto-float-caption">'),
      pandoc.Plain(cap_inlines),
      pandoc.RawBlock("html", "</figcaption>"),
    })
  end
  local open = "<figure" .. (id ~= "" and (' id="' .. escape_attr(id) .. '"') or "")
    .. ' class="quarto-float osq-float osq-float-' .. kind .. '">'
  local out = pandoc.Blocks({ pandoc.RawBlock("html", open) })
  if kind == "tbl" then -- tables: caption on top (Quarto's tbl-cap-location default)
    out:extend(cap_block); out:extend(blocks)
  else
    out:extend(blocks); out:extend(cap_block)
  end
  out:insert(pandoc.RawBlock("html", "</figure>"))
  local classes = {}
  for _, c in ipairs(div.classes) do
    if c ~= "osq-tbl" then table.insert(classes, c) end
  end
  if #classes == 0 and is_empty_attributes(div.attributes) then return out end
  return pandoc.Div(out, pandoc.Attr("", classes, div.attributes))
end

local function callout(div, ctype)
  local appearance = div.attributes["appearance"] or "default"
  local collapse = div.attributes["collapse"]
  local icon = div.attributes["icon"] ~= "false"
  local title, content = C.callout_title(div)
  local kind = id_kind(div.identifier)
  local ref = refs[div.identifier]
  if ref and CALLOUT_XREF[kind] then
    ctype = CALLOUT_XREF[kind]
    local label = pandoc.Inlines({ pandoc.Str(XREF_PREFIX[kind] .. NBSP .. ref.num) })
    title = title and (label .. { pandoc.Str(TITLE_DELIM), pandoc.Space() } .. title) or label
  end
  -- A plain `.callout` has no default title (as in Quarto).
  if not title and appearance ~= "minimal" and not has_class(div, "callout") then
    title = C.callout_default_title(ctype)
  end

  local classes = { "callout", "callout-" .. ctype, "callout-style-" .. appearance }
  if title then table.insert(classes, "callout-titled") end
  if not icon or appearance == "minimal" then table.insert(classes, "no-icon") end
  for _, c in ipairs(div.classes) do
    if not c:match("^callout") then table.insert(classes, c) end
  end

  local header_inlines = pandoc.Inlines({})
  if title and icon and appearance ~= "minimal" then
    header_inlines:insert(pandoc.RawInline("html", '<span class="callout-icon" aria-hidden="true"></span>'))
  end
  if title then
    header_inlines:insert(pandoc.Span(title, { class = "callout-title" }))
  end
  local body = pandoc.Div(content, { class = "callout-body" })

  if collapse == "true" or collapse == "false" then
    local open = collapse == "false" and " open" or ""
    local id_attr = div.identifier ~= "" and (' id="' .. escape_attr(div.identifier) .. '"') or ""
    return pandoc.Blocks({
      pandoc.RawBlock("html", "<details" .. id_attr .. ' class="' .. table.concat(classes, " ")
        .. ' callout-collapse"' .. open .. ">"),
      pandoc.RawBlock("html", '<summary class="callout-header">'),
      pandoc.Plain(header_inlines),
      pandoc.RawBlock("html", "</summary>"),
      body,
      pandoc.RawBlock("html", "</details>"),
    })
  end
  local blocks = pandoc.Blocks({})
  if #header_inlines > 0 then
    blocks:insert(pandoc.Div({ pandoc.Plain(header_inlines) }, { class = "callout-header" }))
  end
  blocks:insert(body)
  local attributes = { role = "note" }
  for k, v in pairs(div.attributes) do
    if k ~= "title" and k ~= "appearance" and k ~= "collapse" and k ~= "icon" then
      attributes[k] = v
    end
  end
  return pandoc.Div(blocks, pandoc.Attr(div.identifier, classes, attributes))
end

-- .content-visible / .content-hidden: this filter gives the HTML page.
local function is_html(fmt) return fmt == "html" or fmt == "html5" end

local function unlist_headers(blocks)
  return blocks:walk({
    Header = function(h)
      if not has_class(h, "unlisted") then h.classes:insert("unlisted") end
      return h
    end,
  })
end

-- Wide tables scroll in their own focusable, named box (osq_commun.lua: the same in a Quarto site).
local regions = C.regions()

local blocks_filter = {
  -- Blocks are visited in document order: remember the heading above the next table.
  Header = function(h)
    regions.titre = pandoc.utils.stringify(h.content)
  end,

  Para = function(para)
    local image = lone_image(para)
    if image and id_kind(image.identifier) == "fig" then
      return figure_from_image(image)
    end
    if C.is_pagebreak(para) then
      return pandoc.RawBlock("html", '<div class="page-break" aria-hidden="true"></div>')
    end
  end,

  Figure = function(fig)
    local align = nil
    fig.content = fig.content:walk({
      Image = function(image)
        local img, a = figure_image(image)
        align = align or a
        return img
      end,
    })
    if id_kind(fig.identifier) == "fig" and refs[fig.identifier] then
      local long = fig.caption.long
      local inlines = (#long > 0) and pandoc.utils.blocks_to_inlines(long) or pandoc.Inlines({})
      fig.caption.long = { pandoc.Plain(numbered_caption(fig.identifier, inlines)) }
    end
    fig.classes:insert("quarto-figure")
    if align then fig.classes:insert("quarto-figure-" .. align) end
    return fig
  end,

  Table = function(tbl)
    if id_kind(tbl.identifier) == "tbl" and refs[tbl.identifier] then
      local long = tbl.caption.long
      local inlines = (#long > 0) and pandoc.utils.blocks_to_inlines(long) or pandoc.Inlines({})
      tbl.caption.long = { pandoc.Plain(numbered_caption(tbl.identifier, inlines)) }
    end
    if not FORMAT:match("html") then return tbl end -- PDF and Word (imprimables.py) print tables whole
    return C.region_tableau(regions, tbl)
  end,

  RawBlock = function(raw)
    if raw.format == "html" and FORMAT:match("html") then return C.region_gt(raw) end
  end,

  Div = function(div)
    local cond = C.conditional(div, is_html)
    if cond then return cond end

    local ctype = C.callout_type(div)
    if ctype then return callout(div, ctype) end

    local kind = id_kind(div.identifier)
    if kind == "fig" or kind == "tbl" or has_class(div, "osq-tbl") then
      return float_div(div)
    end

    if has_layout(div.attributes) then
      local inner = layout_div(div.content, div.attributes)
      strip_layout(div.attributes)
      if div.identifier == "" and #div.classes == 0 and is_empty_attributes(div.attributes) then
        return inner
      end
      div.content = { inner }
      return div
    end

    if has_class(div, "column-margin") or has_class(div, "aside") then
      local id_attr = div.identifier ~= "" and (' id="' .. escape_attr(div.identifier) .. '"') or ""
      local classes = table.concat(div.classes, " ")
      local out = pandoc.Blocks({ pandoc.RawBlock("html", "<aside" .. id_attr .. ' class="' .. classes .. '">') })
      out:extend(div.content)
      out:insert(pandoc.RawBlock("html", "</aside>"))
      return out
    end

    if has_class(div, "panel-tabset") then
      div.content = unlist_headers(pandoc.Blocks(div.content))
      return div
    end
    return nil -- {.smaller} and unknown classes pass through
  end,
}

-- Images outside figures: fig-alt still becomes the alt text.
local images_filter = {
  Image = function(image)
    local alt = image.attributes["fig-alt"]
    if alt then
      image.attributes["fig-alt"] = nil
      image.caption = str_inlines(alt)
    end
    local align = image.attributes["fig-align"]
    if align then
      image.attributes["fig-align"] = nil
      image.classes:insert("quarto-figure-" .. align)
    end
    return image
  end,
}

return { collect, crossrefs, blocks_filter, images_filter }
