--- Formatting and scratch buffers for llm-session answers. No requests here
--- (except re-listing an open sessions buffer through `llm_session`).

local M = {}

local FILTER_KEYS = { provider = true, project = true, tag = true }
local FORMATS = {
  markdown = { ext = 'md', filetype = 'markdown' },
  json = { ext = 'json', filetype = 'json' },
  yaml = { ext = 'yaml', filetype = 'yaml' },
  csv = { ext = 'csv', filetype = 'csv' },
}
M.formats = { 'markdown', 'json', 'yaml', 'csv' }

-- JSON null inside arrays arrives as vim.NIL.
local function val(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

--- 81139 -> "81,139"
function M.int(n)
  n = val(n)
  if n == nil then
    return '-'
  end
  local s = tostring(math.floor(n + 0.5))
  local sign, digits = s:match('^(-?)(%d+)$')
  digits = digits:reverse():gsub('(%d%d%d)', '%1,'):reverse():gsub('^,', '')
  return sign .. digits
end

function M.extension(format)
  return (FORMATS[format] or {}).ext or format
end

function M.filetype(format)
  return (FORMATS[format] or {}).filetype or ''
end

--- `provider=codex project=shop tag=auth active` -> a llmSession/sessions filter.
function M.parse_filter(args)
  local filter = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match('^(%w+)=(.*)$')
    if arg == 'active' then
      filter.active = true
    elseif key and FILTER_KEYS[key] then
      filter[key] = value
    else
      vim.notify(
        ('llm-session: unknown filter %q (use provider=, project=, tag= or active)'):format(arg),
        vim.log.levels.WARN
      )
      return nil
    end
  end
  -- An empty table would be sent as a JSON array; the server wants an object.
  return next(filter) and filter or vim.empty_dict()
end

--- One session as the cells of a row.
function M.session_cells(s)
  local tokens = val(s.tokens) or {}
  local context = val(s.context) or {}
  local health = val(s.health) or {}
  local percent = val(context.percent)
  local cost = val(s.cost_usd)
  local last = val(s.last_activity) or ''
  return {
    (s.active and '●' or ' ') .. ' ' .. s.id:sub(1, 8),
    val(s.provider) or '',
    val(s.project) or '',
    ('%s %d'):format(val(health.status) or '?', math.floor((val(health.score) or 0) + 0.5)),
    (tokens.source == 'estimated' and '~' or '') .. M.int(tokens.total),
    percent and ('%.1f%%'):format(percent) or '-',
    cost and ('$%.2f'):format(cost) or '-',
    last:gsub('T', ' '):sub(1, 16),
    val(s.title) or '',
  }
end

local HEADER = { '  ID', 'PROVIDER', 'PROJECT', 'HEALTH', 'TOKENS', 'CONTEXT', 'COST', 'LAST ACTIVITY', 'TITLE' }
local SESSION_NUMBERS = { [5] = true, [6] = true, [7] = true } -- right-aligned columns

--- Rows of cells -> aligned lines; columns in `right` are right-aligned, the last is not padded.
function M.table_lines(rows, right)
  right = right or {}
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do
      widths[i] = math.max(widths[i] or 0, vim.fn.strdisplaywidth(cell))
    end
  end
  local lines = {}
  for _, row in ipairs(rows) do
    local parts = {}
    for i, cell in ipairs(row) do
      local pad = string.rep(' ', widths[i] - vim.fn.strdisplaywidth(cell))
      if i == #row then
        parts[i] = cell
      elseif right[i] then
        parts[i] = pad .. cell
      else
        parts[i] = cell .. pad
      end
    end
    lines[#lines + 1] = (table.concat(parts, '  '):gsub('%s+$', ''))
  end
  return lines
end

--- The lines of the sessions buffer; `ids[line]` is the session on that line.
function M.session_lines(sessions, filter)
  local described = {}
  for _, key in ipairs({ 'provider', 'project', 'tag' }) do
    if filter and filter[key] then
      described[#described + 1] = key .. '=' .. filter[key]
    end
  end
  if filter and filter.active then
    described[#described + 1] = 'active'
  end
  local title = ('llm-session: %d session%s'):format(#sessions, #sessions == 1 and '' or 's')
  if #described > 0 then
    title = title .. ' (' .. table.concat(described, ' ') .. ')'
  end
  local lines = { title .. '   <CR> export  r refresh  q close', '' }
  local ids = {}
  if #sessions == 0 then
    lines[#lines + 1] = 'No sessions. :LlmRefresh scans the assistants\' logs.'
    return lines, ids
  end
  local rows = { HEADER }
  for _, s in ipairs(sessions) do
    rows[#rows + 1] = M.session_cells(s)
  end
  for i, line in ipairs(M.table_lines(rows, SESSION_NUMBERS)) do
    lines[#lines + 1] = line
    if i > 1 then
      ids[#lines] = sessions[i - 1].id
    end
  end
  return lines, ids
end

local function scratch(name)
  local bufname = 'llm-session://' .. name
  local buf = vim.fn.bufnr(bufname)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, bufname)
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'hide'
    vim.bo[buf].swapfile = false
    vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, nowait = true, desc = 'Close' })
  end
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  return buf
end

local function set_lines(buf, lines, filetype)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  if filetype and vim.bo[buf].filetype ~= filetype then
    vim.bo[buf].filetype = filetype
  end
end

-- buf -> {filter, ids} of a sessions buffer (ids: line number -> session id).
local views = {}

local function render_sessions(buf, sessions, filter)
  local lines, ids = M.session_lines(sessions, filter)
  set_lines(buf, lines, 'llmsessions')
  views[buf] = { filter = filter, ids = ids }
end

function M.show_sessions(sessions, filter)
  local buf = scratch('sessions')
  local new = views[buf] == nil
  render_sessions(buf, sessions, filter)
  if not new then
    return
  end
  vim.api.nvim_create_autocmd('BufWipeout', {
    buffer = buf,
    once = true,
    callback = function()
      views[buf] = nil
    end,
  })
  local function session_under_cursor()
    return views[buf] and views[buf].ids[vim.api.nvim_win_get_cursor(0)[1]]
  end
  vim.keymap.set('n', '<CR>', function()
    local id = session_under_cursor()
    if id then
      require('llm_session').export(id, 'markdown')
    end
  end, { buffer = buf, desc = 'Export the session under the cursor' })
  vim.keymap.set('n', 'r', function()
    require('llm_session').refresh()
  end, { buffer = buf, desc = 'Scan for new log lines' })
end

--- Re-list every visible sessions buffer (after llmSession/didChangeSessions).
function M.refresh_session_buffers()
  for buf, view in pairs(views) do
    if vim.api.nvim_buf_is_valid(buf) and vim.fn.bufwinid(buf) ~= -1 then
      local filter = view.filter
      require('llm_session').fetch_sessions(filter, function(sessions)
        if vim.api.nvim_buf_is_valid(buf) then
          render_sessions(buf, sessions, filter)
        end
      end)
    end
  end
end

function M.show_lines(name, lines, filetype)
  local buf = scratch(name)
  set_lines(buf, lines, filetype)
  return buf
end

function M.show_text(name, text, filetype)
  return M.show_lines(name, vim.split(text or '', '\n', { plain = true }), filetype)
end

function M.show_recall(query, result)
  local memories = val(result.memories) or {}
  if #memories == 0 then
    vim.notify('llm-session: ' .. (val(result.message) or ('nothing recalled for ' .. query)))
    return
  end
  local lines = { ('llm-session: %d memories for %q'):format(#memories, query), '' }
  for _, m in ipairs(memories) do
    local where = val(m.project) and (' [' .. m.project .. ']') or ''
    lines[#lines + 1] = ('%.2f%s  %s'):format(val(m.score) or 0, where, (m.text or ''):gsub('\n', ' '))
  end
  M.show_lines('recall', lines, 'llmsessionrecall')
end

function M.format_scan(scan)
  local text = ('scanned %s files: %s new records in %s sessions (%.1f s)'):format(
    M.int(scan.files),
    M.int(scan.records),
    M.int(scan.sessions),
    val(scan.seconds) or 0
  )
  if (val(scan.malformed) or 0) > 0 then
    text = text .. ', ' .. M.int(scan.malformed) .. ' malformed lines skipped'
  end
  for _, warning in ipairs(val(scan.warnings) or {}) do
    text = text .. '\n' .. tostring(warning)
  end
  return text
end

function M.format_tags(result)
  return ('%s tags: %s'):format(result.id:sub(1, 8), table.concat(result.tags or {}, ', '))
end

function M.format_context(result)
  local lines = {
    ('llm-session: files in context of %s, %s tokens known'):format(
      (result.session_id or ''):sub(1, 8),
      M.int(result.total_tokens)
    ),
    '',
  }
  local rows = { { 'TOKENS', 'USES', 'ACTIONS', 'PATH' } }
  for _, f in ipairs(val(result.files) or {}) do
    local tokens = val(f.tokens)
    rows[#rows + 1] = {
      tokens and ((f.token_source == 'estimated' and '~' or '') .. M.int(tokens)) or 'gone',
      M.int(f.uses),
      table.concat(val(f.actions) or {}, ','),
      f.path,
    }
  end
  vim.list_extend(lines, M.table_lines(rows, { true, true }))
  return lines
end

return M
