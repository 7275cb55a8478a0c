--- llm-session for Neovim: a thin client of `llm-session lsp` (docs/lsp.md).
---
--- Everything the user sees comes from the server: the instruction-file hover,
--- code lens and diagnostics through Neovim's own LSP client, and the sessions,
--- status, recall, export and tags through the custom requests and commands
--- below. This module only starts the client, asks, and formats the answers
--- (formatting lives in `llm_session.ui`).
---
--- Neovim 0.11+ registers the server with `vim.lsp.config()` / `vim.lsp.enable()`;
--- 0.10 falls back to `vim.lsp.start()` from a FileType autocmd. Both attach
--- only to the instruction files, and share one server per Neovim.

local ui = require('llm_session.ui')

local M = {}

local NAME = 'llm_session'
local NOTIFICATION = 'llmSession/didChangeSessions'
local NVIM_011 = vim.fn.has('nvim-0.11') == 1

local defaults = {
  -- How to start the server: `llm-session lsp` on $PATH, or any argv list.
  cmd = { 'llm-session', 'lsp' },
  -- initializationOptions, e.g. { scanOnStart = false } when a daemon already scans.
  init_options = vim.empty_dict(),
  -- Buffers of these filetypes are candidates; `patterns` then decides by file name.
  filetypes = { 'markdown' },
  -- The files the assistants send with every turn (a name, or a `dir/name` suffix).
  patterns = { 'CLAUDE.md', 'AGENTS.md', 'GEMINI.md', '.cursorrules', '.github/copilot-instructions.md' },
  -- Neovim detects no filetype for `.cursorrules`; give it this one (false: leave it alone).
  cursorrules_filetype = 'markdown',
  -- Show the server's token-cost code lenses in instruction files.
  codelens = true,
  -- Use vim.lsp.config()/vim.lsp.enable() (nil: when this Neovim has them, i.e. 0.11+).
  lsp_enable = nil,
  statusline = {
    -- 'cwd': the sessions in and below the working directory; 'global': all of them.
    scope = 'cwd',
    -- Start the server when Neovim starts, so the statusline is filled before any
    -- instruction file is opened (otherwise it starts with the first one, or a command).
    start = false,
  },
  -- Seconds to wait for the server to initialize when a command needs it.
  timeout = 10,
}

M.config = vim.deepcopy(defaults)

local state = {
  setup = false,
  status = nil, -- last llmSession/status result
  label = '', -- what statusline() returns
  sessions = nil, -- last llmSession/sessions result (for completion)
}

local function notify(msg, level)
  vim.notify('llm-session: ' .. msg, level or vim.log.levels.INFO)
end

-- Client methods became `client:method()` in 0.11 (dot calls are deprecated there).
local function client_request(client, method, params, handler)
  if NVIM_011 then
    return client:request(method, params, handler)
  end
  return client.request(method, params, handler)
end

local function client_stopped(client)
  if NVIM_011 then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- The project root of an instruction file, or nil when `path` is not one.
---@param path string
---@return string?
function M.instruction_root(path)
  if path == nil or path == '' then
    return nil
  end
  path = vim.fs.normalize(path)
  for _, pattern in ipairs(M.config.patterns) do
    local suffix = '/' .. pattern
    if path:sub(-#suffix) == suffix then
      local root = path:sub(1, #path - #suffix)
      return root ~= '' and root or '/'
    end
  end
  return nil
end

local function refresh_status(client)
  if not client then
    return
  end
  local params = vim.empty_dict()
  if M.config.statusline.scope ~= 'global' then
    params = { cwd = vim.fn.getcwd() }
  end
  client_request(client, 'llmSession/status', params, function(err, result)
    if err or type(result) ~= 'table' then
      state.status, state.label = nil, ''
    else
      state.status, state.label = result, result.label or ''
    end
    vim.cmd('redrawstatus!')
    vim.api.nvim_exec_autocmds('User', { pattern = 'LlmSessionStatus', modeline = false })
  end)
end

local function on_did_change(_, result, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  state.sessions = nil
  refresh_status(client)
  ui.refresh_session_buffers()
  vim.api.nvim_exec_autocmds('User', {
    pattern = 'LlmSessionsChanged',
    modeline = false,
    data = { changed = result and result.changed or {} },
  })
end

--- The client configuration shared by both ways of starting the server.
local function client_config()
  return {
    name = NAME,
    cmd = M.config.cmd,
    init_options = M.config.init_options,
    filetypes = M.config.filetypes,
    handlers = { [NOTIFICATION] = on_did_change },
    on_init = function(client)
      refresh_status(client)
    end,
    -- One server per Neovim, whatever the project: the server itself is project-agnostic.
    reuse_client = function(client, config)
      return client.name == config.name
    end,
  }
end

--- The running llm-session client, if any.
function M.get_client()
  return vim.lsp.get_clients({ name = NAME })[1]
end

--- The running client, else one started without a buffer (root: the working directory).
--- Does not wait for it to initialize.
---@return table? client
function M.start_client()
  local client = M.get_client()
  if not client then
    local config
    if NVIM_011 and state.enabled then
      config = vim.deepcopy(vim.lsp.config[NAME])
    else
      config = client_config()
    end
    config.root_dir = vim.fn.getcwd()
    local id
    if NVIM_011 then
      id = vim.lsp.start(config, { attach = false, reuse_client = config.reuse_client })
    else
      id = vim.lsp.start_client(config)
    end
    client = id and vim.lsp.get_client_by_id(id)
    if not client then
      notify('cannot start the server: ' .. table.concat(M.config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
  end
  return client
end

--- The running client, started if need be, once it has initialized (commands need that).
---@return table? client
function M.ensure_client()
  local client = M.start_client()
  if not client then
    return nil
  end
  if not client.initialized then
    vim.wait(M.config.timeout * 1000, function()
      return client.initialized or client_stopped(client)
    end, 20)
  end
  if not client.initialized then
    notify('the server did not initialize: ' .. table.concat(M.config.cmd, ' '), vim.log.levels.ERROR)
    return nil
  end
  return client
end

--- Send a request to the server; `on_result(result)` runs only on success.
local function request(method, params, on_result)
  local client = M.ensure_client()
  if not client then
    return
  end
  client_request(client, method, params, function(err, result)
    if err then
      notify(err.message or tostring(err), vim.log.levels.ERROR)
      return
    end
    on_result(result)
  end)
end

local function execute(command, arguments, on_result)
  request('workspace/executeCommand', { command = command, arguments = arguments }, on_result)
end

-- Public API: each function is one request and one way of showing its answer.

--- Fetch sessions (`filter`: {provider?, project?, tag?, active?}) and call `cb(sessions)`.
function M.fetch_sessions(filter, cb)
  request('llmSession/sessions', filter or vim.empty_dict(), function(sessions)
    state.sessions = sessions
    cb(sessions)
  end)
end

--- :LlmSessions — list the sessions in a scratch buffer.
---@param args string[]? `key=value` filters and the word `active`
function M.show_sessions(args)
  local filter = ui.parse_filter(args or {})
  if not filter then
    return
  end
  M.fetch_sessions(filter, function(sessions)
    ui.show_sessions(sessions, filter)
  end)
end

--- :LlmRecall — what past sessions learned about `query`.
function M.recall(query, limit)
  if not query or vim.trim(query) == '' then
    notify('LlmRecall needs a query', vim.log.levels.WARN)
    return
  end
  request('llmSession/recall', { query = query, limit = limit }, function(result)
    ui.show_recall(query, result)
  end)
end

--- :LlmRefresh — scan new log lines now; the server then announces what changed.
function M.refresh()
  execute('llmSession.refresh', {}, function(scan)
    notify(ui.format_scan(scan))
  end)
end

--- :LlmExport — a session report in a scratch buffer.
function M.export(id, format)
  if not id then
    notify('LlmExport needs a session id', vim.log.levels.WARN)
    return
  end
  format = format or 'markdown'
  execute('llmSession.export', { id, format }, function(text)
    ui.show_text('export/' .. id .. '.' .. ui.extension(format), text, ui.filetype(format))
  end)
end

--- :LlmTag — add tags to a session.
function M.tag(id, tags)
  if not id or not tags or #tags == 0 then
    notify('LlmTag needs a session id and at least one tag', vim.log.levels.WARN)
    return
  end
  local arguments = { id }
  vim.list_extend(arguments, tags)
  execute('llmSession.tag', arguments, function(result)
    notify(ui.format_tags(result))
    state.sessions = nil
  end)
end

--- :LlmContext — the files a session keeps in context, most expensive first.
function M.optimize_context(id)
  if not id then
    notify('LlmContext needs a session id', vim.log.levels.WARN)
    return
  end
  execute('llmSession.optimizeContext', { id }, function(result)
    ui.show_lines('context/' .. id, ui.format_context(result), 'llmsessioncontext')
  end)
end

--- The statusline component: the server's status label, e.g. `LLM: 3 sessions ✅2 ⚠️1`.
--- Cheap (a cached string); empty until the server has answered.
function M.statusline()
  return state.label
end

--- The last `llmSession/status` result ({session, summary, label}) for custom statuslines.
function M.status()
  return state.status
end

--- Ask the server for the status again (done on attach, on news and on :cd).
function M.refresh_status()
  refresh_status(M.get_client())
end

--- Session ids for command completion: from the last listing, else asked now.
function M.complete_ids(prefix)
  local sessions = state.sessions
  local client = M.get_client()
  if not sessions and client and client.initialized then
    local response
    if NVIM_011 then
      response = client:request_sync('llmSession/sessions', vim.empty_dict(), 2000)
    else
      response = client.request_sync('llmSession/sessions', vim.empty_dict(), 2000)
    end
    sessions = response and response.result or {}
    state.sessions = sessions
  end
  local ids = {}
  for _, s in ipairs(sessions or {}) do
    local short = s.id:sub(1, 8)
    if short:sub(1, #prefix) == prefix then
      table.insert(ids, short)
    end
  end
  return ids
end

function M.is_setup()
  return state.setup
end

local function attach_features(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= NAME then
    return
  end
  if M.config.codelens then
    local group = vim.api.nvim_create_augroup('llm_session_codelens_' .. args.buf, { clear = true })
    local function refresh()
      vim.lsp.codelens.refresh({ bufnr = args.buf })
    end
    -- The server counts 0.2 s after edits pause: ask again once typing is done.
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost', 'CursorHold' }, {
      group = group,
      buffer = args.buf,
      callback = refresh,
    })
    refresh()
  end
end

--- Configure and enable the client. Options: see `:help llm_session.setup()`.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  state.setup = true
  local group = vim.api.nvim_create_augroup('llm_session', { clear = true })

  if M.config.cursorrules_filetype and not vim.filetype.match({ filename = '.cursorrules' }) then
    vim.filetype.add({ filename = { ['.cursorrules'] = M.config.cursorrules_filetype } })
  end

  local use_enable = M.config.lsp_enable
  if use_enable == nil then
    use_enable = vim.lsp.config ~= nil and vim.lsp.enable ~= nil
  end
  if use_enable then
    local config = client_config()
    -- Decides per buffer: only instruction files get a root, so only they attach.
    config.root_dir = function(bufnr, on_dir)
      local root = M.instruction_root(vim.api.nvim_buf_get_name(bufnr))
      if root then
        on_dir(root)
      end
    end
    vim.lsp.config(NAME, config)
    vim.lsp.enable(NAME)
    state.enabled = true
  else
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        if vim.bo[args.buf].buftype ~= '' then
          return
        end
        local root = M.instruction_root(vim.api.nvim_buf_get_name(args.buf))
        if not root then
          return
        end
        local config = client_config()
        config.root_dir = root
        vim.lsp.start(config, { bufnr = args.buf, reuse_client = config.reuse_client })
      end,
    })
    -- Buffers already loaded (setup() after startup) get their FileType again.
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].filetype ~= '' then
        vim.api.nvim_exec_autocmds('FileType', { group = group, buffer = buf, modeline = false })
      end
    end
  end

  vim.api.nvim_create_autocmd('LspAttach', { group = group, callback = attach_features })
  vim.api.nvim_create_autocmd('DirChanged', {
    group = group,
    callback = function()
      if M.config.statusline.scope ~= 'global' then
        M.refresh_status()
      end
    end,
  })
  if M.config.statusline.start then
    -- Started, not waited for: on_init asks for the status once the server is up.
    local function start()
      M.start_client()
    end
    if vim.v.vim_did_enter == 1 then
      vim.schedule(start)
    else
      vim.api.nvim_create_autocmd('VimEnter', { group = group, once = true, callback = start })
    end
  end
end

return M
