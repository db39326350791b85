--[[
imprimable.lua: pandoc Lua filter for the printable versions of a note (typst -> PDF, docx).

Runs BEFORE quarto.lua, on the same Quarto-flavoured markdown as the HTML page, and
removes everything that only makes sense in HTML, so that quarto.lua is left with
numbering, cross-references and figure alt texts:
- raw HTML blocks (great_tables output) are parsed into real pandoc tables: the GT
  title becomes the caption, the GT source notes a paragraph under the table, the
  `gt_right` / `gt_center` classes the column alignment; `<style>` is dropped;
- key-figure cards (.kpi-grid / .kpi) become a grid (typst) or a table (docx);
- callouts become a framed block with their title; verbatims a quotation with its source;
- `::: {#fig-x}` / `::: {#tbl-x}` div floats become Figure / captioned Table elements;
- links relative to the site (glossary...) keep their text only: they cannot work
  from a downloaded file;
- `.content-visible` / `.content-hidden` are decided for pdf/typst/docx;
- `{{< pagebreak >}}` becomes a real page break.
]]

-- Helpers shared with quarto.lua: osq_commun.lua, next to this filter.
package.path = (PANDOC_SCRIPT_FILE:match("(.*[/\\])") or "./") .. "?.lua;" .. package.path
local C = require("osq_commun")
local has_class, id_kind = C.has_class, C.id_kind

local IS_TYPST = FORMAT == "typst"
local IS_DOCX = FORMAT == "docx"

-- Typst markup of some inlines (for raw typst blocks).
local function typst_inlines(inlines)
  local text = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst")
  return (text:gsub("%s+$", ""))
end

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function source_para(inlines)
  if IS_DOCX then
    return pandoc.Div({ pandoc.Para(inlines) }, { ["custom-style"] = "Source" })
  end
  return pandoc.Para({ pandoc.Span(inlines, { class = "osq-source" }) })
end

------------------------------------------------------------------------------
-- Pass 1: raw HTML (great_tables) -> tables; relative links; page breaks.
------------------------------------------------------------------------------
local ALIGN_OF = { gt_right = "AlignRight", gt_center = "AlignCenter", gt_left = "AlignLeft" }

local function cell_align(cell)
  for _, c in ipairs(cell.attr.classes) do
    if ALIGN_OF[c] then return ALIGN_OF[c] end
  end
  return nil
end

local function row_has_class(row, class)
  if has_class(row.attr, class) then return true end
  for _, cell in ipairs(row.cells) do
    if has_class(cell.attr, class) then return true end
  end
  return false
end

local function cells_inlines(row)
  local out = pandoc.Inlines({})
  for _, cell in ipairs(row.cells) do
    local text = pandoc.utils.blocks_to_inlines(cell.contents)
    if #text > 0 then
      if #out > 0 then out:extend({ pandoc.Space(), pandoc.Str("—"), pandoc.Space() }) end
      out:extend(text)
    end
  end
  return out
end

-- A great_tables table: title -> caption, source notes -> paragraphs after the table.
local function gt_table(tbl)
  local caption = pandoc.Inlines({})
  local head_rows = pandoc.List({})
  for _, row in ipairs(tbl.head.rows) do
    if row_has_class(row, "gt_heading") or row_has_class(row, "gt_title")
        or row_has_class(row, "gt_subtitle") then
      local text = cells_inlines(row)
      if #caption > 0 and #text > 0 then caption:extend({ pandoc.Str(" —"), pandoc.Space() }) end
      caption:extend(text)
    else
      head_rows:insert(row)
      -- Column alignment from the column headings (gt_left / gt_right).
      local col = 1
      for _, cell in ipairs(row.cells) do
        local align = cell_align(cell)
        if align and cell.col_span == 1 and tbl.colspecs[col] then
          tbl.colspecs[col] = { align, tbl.colspecs[col][2] }
        end
        col = col + cell.col_span
      end
    end
  end
  tbl.head.rows = head_rows

  -- Group headings (a th spanning all columns): bold, left-aligned.
  for _, body in ipairs(tbl.bodies) do
    local rows = pandoc.List({})
    rows:extend(body.head)
    rows:extend(body.body)
    for _, row in ipairs(rows) do
      for _, cell in ipairs(row.cells) do
        if has_class(cell.attr, "gt_group_heading") then
          cell.alignment = "AlignLeft"
          cell.contents = { pandoc.Plain({ pandoc.Strong(pandoc.utils.blocks_to_inlines(cell.contents)) }) }
        end
      end
    end
  end

  local notes = pandoc.Blocks({})
  for _, row in ipairs(tbl.foot.rows) do
    for _, cell in ipairs(row.cells) do
      local inlines = pandoc.utils.blocks_to_inlines(cell.contents)
      if #inlines > 0 then notes:insert(source_para(inlines)) end
    end
  end
  tbl.foot.rows = {}
  -- Widths from the content: the longest word of the heading, the longest cell (capped).
  if #tbl.colspecs >= 3 then
    local weights, total = {}, 0
    for i = 1, #tbl.colspecs do weights[i] = 3 end
    local function measure(rows, is_head)
      for _, row in ipairs(rows) do
        local col = 1
        for _, cell in ipairs(row.cells) do
          if cell.col_span == 1 and weights[col] then
            local text = pandoc.utils.stringify(cell.contents)
            -- The longest unbreakable run (no-break spaces included) must fit;
            -- bold heading words are wider and not hyphenated.
            local longest = 0
            for word in text:gmatch("%S+") do longest = math.max(longest, utf8.len(word) or #word) end
            local need = is_head and 1.3 * longest
              or math.max(math.min(utf8.len(text) or #text, 30), 1.5 * longest)
            weights[col] = math.max(weights[col], need)
          end
          col = col + cell.col_span
        end
      end
    end
    measure(tbl.head.rows, true)
    for _, body in ipairs(tbl.bodies) do measure(body.body, false) end
    for i = 1, #weights do total = total + weights[i] + 2 end
    for i, spec in ipairs(tbl.colspecs) do
      tbl.colspecs[i] = { spec[1], (weights[i] + 2) / total }
    end
  end
  if #caption > 0 then tbl.caption.long = { pandoc.Plain(caption) } end
  tbl.attr = pandoc.Attr("", { "osq-gt" }, {})
  local out = pandoc.Blocks({ tbl })
  out:extend(notes)
  return out
end

local function is_site_relative(target)
  return not (target:match("^%a[%w+.-]*:") or target:sub(1, 1) == "#" or target:sub(1, 1) == "/")
end

local function unlink(link)
  if is_site_relative(link.target) then return link.content end
end

local function html_to_blocks(text)
  local doc = pandoc.read(text, "html")
  return doc.blocks:walk({
    RawBlock = function(raw) if raw.format == "html" then return {} end end,
    RawInline = function(raw) if raw.format == "html" then return {} end end,
    Link = unlink,
    Table = function(tbl)
      if has_class(tbl.attr, "gt_table") then return gt_table(tbl) end
    end,
    -- The GT wrapper div (id, inline style) carries nothing for print.
    Div = function(div) return div.content end,
  })
end

local pass_raw = {
  Link = unlink,
  RawBlock = function(raw)
    if raw.format == "html" then return html_to_blocks(raw.text) end
  end,
  RawInline = function(raw)
    if raw.format == "html" then return {} end
  end,
  Para = function(para)
    if C.is_pagebreak(para) then
      if IS_TYPST then return pandoc.RawBlock("typst", "#pagebreak()") end
      return pandoc.RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    end
  end,
}

------------------------------------------------------------------------------
-- Pass 2: divs (callouts, key figures, verbatims, floats, conditional content).
------------------------------------------------------------------------------
local function spans_by_class(blocks)
  local parts = {}
  pandoc.Blocks(blocks):walk({
    Span = function(span)
      for _, c in ipairs(span.classes) do
        if c:match("^kpi%-") and not parts[c] then parts[c] = span.content end
      end
    end,
  })
  return parts
end

local KPI_ORDER = { "kpi-valeur", "kpi-libelle", "kpi-comparaison", "kpi-source" }

local function kpi_grid(div)
  local cards = {}
  for _, block in ipairs(div.content) do
    if block.t == "Div" and has_class(block, "kpi") then
      table.insert(cards, spans_by_class(block.content))
    end
  end
  if #cards == 0 then return nil end
  if IS_TYPST then
    local items = {}
    for _, parts in ipairs(cards) do
      local fields = {}
      for _, key in ipairs(KPI_ORDER) do
        table.insert(fields, "[" .. (parts[key] and typst_inlines(parts[key]) or "") .. "]")
      end
      table.insert(items, "  (" .. table.concat(fields, ", ") .. "),")
    end
    return pandoc.RawBlock("typst", "#osq-kpis(\n" .. table.concat(items, "\n") .. "\n)")
  end
  -- docx: a borderless 3-column table of cards.
  local ncol = math.min(3, #cards)
  local rows, row = {}, {}
  for _, parts in ipairs(cards) do
    local cell = pandoc.Blocks({})
    if parts["kpi-valeur"] then
      cell:insert(pandoc.Para({ pandoc.Span(parts["kpi-valeur"], { ["custom-style"] = "Chiffre clé" }) }))
    end
    if parts["kpi-libelle"] then cell:insert(pandoc.Para(parts["kpi-libelle"])) end
    if parts["kpi-comparaison"] then cell:insert(pandoc.Para(parts["kpi-comparaison"])) end
    if parts["kpi-source"] then cell:insert(source_para(parts["kpi-source"])) end
    table.insert(row, cell)
    if #row == ncol then table.insert(rows, row); row = {} end
  end
  if #row > 0 then
    while #row < ncol do table.insert(row, pandoc.Blocks({})) end
    table.insert(rows, row)
  end
  local aligns, widths, headers = {}, {}, {}
  for i = 1, ncol do
    aligns[i] = "AlignLeft"; widths[i] = 1 / ncol; headers[i] = {}
  end
  local simple = pandoc.SimpleTable({}, aligns, widths, headers, rows)
  local tbl = pandoc.utils.from_simple_table(simple)
  tbl.attr = pandoc.Attr("", { "osq-kpis" }, {})
  tbl.head.rows = {}
  return tbl
end

local function callout(div, ctype)
  local title, content = C.callout_title(div)
  if not title and not has_class(div, "callout") then
    title = C.callout_default_title(ctype)
  end
  if IS_TYPST then
    local open = "#osq-callout(kind: " .. typst_string(ctype)
    if title then open = open .. ", title: [" .. typst_inlines(title) .. "]" end
    local out = pandoc.Blocks({ pandoc.RawBlock("typst", open .. ")[") })
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local blocks = pandoc.Blocks({})
  if title then blocks:insert(pandoc.Para({ pandoc.Strong(title) })) end
  blocks:extend(content)
  return pandoc.Div(blocks, { ["custom-style"] = "Encadré" })
end

local function verbatim(div)
  local quote = pandoc.Blocks({})
  local source = nil
  for _, block in ipairs(div.content) do
    if block.t == "BlockQuote" then
      quote:extend(block.content)
    else
      local spans = {}
      pandoc.Blocks({ block }):walk({
        Span = function(span)
          if has_class(span, "verbatim-source") then table.insert(spans, span.content) end
        end,
      })
      if #spans > 0 then source = spans[1] else quote:insert(block) end
    end
  end
  if source then
    quote:insert(IS_DOCX and source_para(source) or pandoc.Para({ pandoc.Emph(source) }))
  end
  return pandoc.BlockQuote(quote)
end

-- `::: {#fig-x}` / `::: {#tbl-x}`: the last paragraph is the caption (as in Quarto).
local function float_div(div)
  local blocks, caption = C.float_caption(div, false)
  local kind = id_kind(div.identifier)
  if kind == "fig" then
    local long = caption and { pandoc.Plain(caption) } or {}
    return pandoc.Figure(blocks, { long = long }, pandoc.Attr(div.identifier))
  end
  -- Table float: caption and id go to the (first) table inside.
  local done = false
  blocks = blocks:walk({
    Table = function(tbl)
      if done then return nil end
      done = true
      if div.identifier ~= "" then tbl.identifier = div.identifier end
      if caption then tbl.caption.long = { pandoc.Plain(caption) } end
      return tbl
    end,
  })
  if not done and caption then blocks:insert(1, pandoc.Para(caption)) end
  return blocks
end

local PRINT_FORMATS = { pdf = true, typst = true, docx = true, latex = true, print = true }

-- .content-visible / .content-hidden: does a format name designate this output?
local function is_this(fmt)
  if fmt == FORMAT then return true end
  if IS_TYPST then return fmt == "pdf" or fmt == "typst" end
  return fmt == "docx"
end

local pass_divs = {
  traverse = "topdown",
  Div = function(div)
    local cond = C.conditional(div, is_this)
    if cond then return cond, false end
    if has_class(div, "kpi-grid") then
      local grid = kpi_grid(div)
      if grid then return grid, false end
    end
    if has_class(div, "verbatim") then return verbatim(div), false end
    local kind = id_kind(div.identifier)
    if kind == "fig" or kind == "tbl" or has_class(div, "osq-tbl") then
      return float_div(div)
    end
    local ctype = C.callout_type(div)
    if ctype then return callout(div, ctype) end
    -- Output wrappers and margin notes: keep the content only.
    if has_class(div, "cell-output-display") or has_class(div, "cell")
        or has_class(div, "column-margin") or has_class(div, "aside") then
      return div.content
    end
    return nil
  end,
}

-- Typst: the source note style (small grey) for spans that pandoc would drop.
local pass_spans = {
  Span = function(span)
    if IS_TYPST and has_class(span, "osq-source") then
      return pandoc.Inlines({ pandoc.RawInline("typst", "#osq-source[" .. typst_inlines(span.content) .. "]") })
    end
  end,
}

return { pass_raw, pass_divs, pass_spans }
