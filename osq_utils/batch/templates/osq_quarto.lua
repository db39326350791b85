--[[
osq_quarto.lua: OSQ's own components in a Quarto site, the same as in the pandoc site
(quarto.lua): wide tables, pipe tables and great-tables alike, scroll in a focusable,
named region. Run by Quarto after its own filters (`at: post-render`), when floats and
captions are final; great-tables HTML stays raw (`html-table-processing: none`).
]]

package.path = (PANDOC_SCRIPT_FILE:match("(.*[/\\])") or "./") .. "?.lua;" .. package.path
local C = require("osq_commun")

local regions = C.regions()

return {
  {
    Header = function(h)
      regions.titre = pandoc.utils.stringify(h.content)
    end,
    Table = function(tbl)
      return C.region_tableau(regions, tbl)
    end,
    RawBlock = function(raw)
      if raw.format == "html" then return C.region_gt(raw) end
    end,
  },
}
