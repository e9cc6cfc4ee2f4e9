-- pandoc filter: one of our Markdown docs -> a man page (packaging/man/build passes the metadata).
--   name, section, summary  the page's NAME line
--   keep                    H2 titles to keep, separated by ";", or "*" for all
--   links                   "source=page(section);..." for every page: links to those sources
--                           become references to the pages; links to other .md files keep only
--                           their text (the installed system has no docs/ folder)
--   srcdir                  the source's folder, from the repository root ("" for README.md)
-- The document's H1 is the title (the man header names the page instead); H2 become sections
-- (.SH), deeper headings move up one level. Commands written for a clone (bin/jnbdkit,
-- examples/...) are rewritten to the installed paths.

local function trim(s) return (s:gsub('^%s+', ''):gsub('%s+$', '')) end

local function meta_string(meta, key, default)
  local v = meta[key]
  if v == nil then return default end
  return pandoc.utils.stringify(v)
end

-- "docs/../README.md#x" -> "README.md"; relative to the source's folder.
local function normalise(srcdir, target)
  local path = target:gsub('#.*$', '')
  if path == '' then return nil end
  local parts = {}
  if srcdir ~= '' then
    for p in srcdir:gmatch('[^/]+') do parts[#parts + 1] = p end
  end
  for p in path:gmatch('[^/]+') do
    if p == '..' then parts[#parts] = nil elseif p ~= '.' then parts[#parts + 1] = p end
  end
  return table.concat(parts, '/')
end

local function installed(text)
  text = text:gsub('bin/jnbdkit', 'jnbdkit')
  text = text:gsub('examples/', '/usr/share/doc/jnbdkit/examples/')
  return text
end

function Pandoc(doc)
  local meta = doc.meta
  local keep_spec = meta_string(meta, 'keep', '*')
  local keep = nil
  -- ("*" on pandoc's command line reads as an empty list, so "" means all too)
  if keep_spec ~= '*' and keep_spec ~= '' then
    keep = {}
    for s in keep_spec:gmatch('[^;]+') do keep[trim(s)] = true end
  end
  local srcdir = meta_string(meta, 'srcdir', '')
  local links = {}
  for entry in meta_string(meta, 'links', ''):gmatch('[^;]+') do
    local src, page = entry:match('^(.-)=(.*)$')
    if src then links[trim(src)] = trim(page) end
  end

  local inline_filter = {
    Link = function(l)
      if l.target:match('^%a[%w+.-]*:') then return nil end -- http:, mailto:: left as they are
      local path = normalise(srcdir, l.target)
      local page = path and links[path]
      local out = pandoc.List(l.content)
      -- [docs/tls.md](docs/tls.md) -> jnbdkit-tls(1)
      local text = pandoc.utils.stringify(l.content)
      if page and (text == l.target or text == path) then return {pandoc.Strong({pandoc.Str(page)})} end
      if page and path:match('%.md$') then
        out:insert(pandoc.Str(' ('))
        out:insert(pandoc.Strong({pandoc.Str(page)}))
        out:insert(pandoc.Str(')'))
      end
      return out
    end,
    Code = function(c) c.text = installed(c.text); return c end,
  }
  local block_filter = {
    CodeBlock = function(c) c.text = installed(c.text); return c end,
  }

  local name = meta_string(meta, 'name', 'jnbdkit')
  local summary = meta_string(meta, 'summary', '')
  local blocks = pandoc.List({
    pandoc.Header(1, {pandoc.Str('NAME')}),
    pandoc.Para({pandoc.Str(name .. ' - ' .. summary)}),
  })

  -- The intro (before the first H2) is the DESCRIPTION: whole when every section is kept,
  -- else its first paragraph only.
  local intro = pandoc.List()
  local in_intro, keeping = true, false
  for _, b in ipairs(doc.blocks) do
    if b.t == 'Header' and b.level == 1 then
      -- the title: dropped
    elseif b.t == 'Header' and b.level == 2 then
      in_intro = false
      local title = pandoc.utils.stringify(b.content)
      keeping = (keep == nil) or keep[title] == true
      if keeping then blocks:insert(pandoc.Header(1, {pandoc.Str(title:upper())}, b.attr)) end
    elseif b.t == 'Header' then
      if keeping then blocks:insert(pandoc.Header(b.level - 1, b.content, b.attr)) end
    elseif in_intro then
      if keep == nil or (#intro == 0 and b.t == 'Para') then intro:insert(b) end
    elseif keeping then
      blocks:insert(b)
    end
  end
  if #intro > 0 then
    blocks:insert(3, pandoc.Header(1, {pandoc.Str('DESCRIPTION')}))
    for i = #intro, 1, -1 do blocks:insert(4, intro[i]) end
  end

  -- SEE ALSO: the other pages, then nbdkit's.
  local see = pandoc.List()
  local own = name .. '(' .. meta_string(meta, 'section', '1') .. ')'
  local pages = {}
  for _, page in pairs(links) do if page ~= own then pages[#pages + 1] = page end end
  table.sort(pages)
  pages[#pages + 1] = 'nbdkit(1)'
  pages[#pages + 1] = 'nbdinfo(1)'
  for i, page in ipairs(pages) do
    see:insert(pandoc.Strong({pandoc.Str(page)}))
    if i < #pages then see:insert(pandoc.Str(', ')) end
  end
  blocks:insert(pandoc.Header(1, {pandoc.Str('SEE ALSO')}))
  blocks:insert(pandoc.Para(see))

  local out = pandoc.Pandoc(blocks, meta)
  out = out:walk(inline_filter)
  out = out:walk(block_filter)
  return out
end
