--- :checkhealth llm_session — is the server there, which version, does it start?

local M = {}

local function version_cmd(cmd)
  -- `llm-session lsp` -> `llm-session --version` (same for `python -m llm_session_manager lsp`).
  if cmd[#cmd] ~= 'lsp' then
    return nil
  end
  local argv = vim.list_slice(cmd, 1, #cmd - 1)
  argv[#argv + 1] = '--version'
  return argv
end

local function frame(message)
  local body = vim.json.encode(message)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

--- Start the server on its own over a pipe (no LSP client involved), send
--- `initialize`, then `shutdown` and `exit`, as an editor would.
---@return table? result, string? error, integer? exit_code
local function try_initialize(cmd, timeout_ms)
  local out, answers = '', {}
  local ok, proc = pcall(vim.system, cmd, {
    stdin = true,
    stdout = function(_, data)
      out = out .. (data or '')
      while true do
        local length, header_end = out:match('^Content%-Length: (%d+)\r\n\r\n()')
        if not length or #out < header_end + length - 1 then
          break
        end
        local body = out:sub(header_end, header_end + length - 1)
        out = out:sub(header_end + length)
        local decoded_ok, message = pcall(vim.json.decode, body)
        if decoded_ok and type(message) == 'table' and message.id then
          answers[message.id] = message
        end
      end
    end,
  })
  if not ok then
    return nil, tostring(proc)
  end
  proc:write(frame({
    jsonrpc = '2.0',
    id = 1,
    method = 'initialize',
    params = {
      processId = vim.fn.getpid(),
      rootUri = vim.NIL,
      capabilities = vim.empty_dict(),
      clientInfo = { name = 'Neovim :checkhealth' },
      initializationOptions = { scanOnStart = false },
    },
  }))
  vim.wait(timeout_ms, function()
    return answers[1] ~= nil
  end, 20)
  local answer = answers[1]
  if answer and answer.result then
    proc:write(frame({ jsonrpc = '2.0', id = 2, method = 'shutdown' }))
    vim.wait(2000, function()
      return answers[2] ~= nil
    end, 20)
    proc:write(frame({ jsonrpc = '2.0', method = 'exit' }))
  end
  proc:write(nil) -- close stdin: the server ends either way
  local status = proc:wait(2000)
  if status.signal ~= 0 and status.code ~= 0 then
    proc:kill(15)
  end
  if not answer then
    return nil, ('no answer to initialize within %d s'):format(timeout_ms / 1000)
  end
  if answer.error then
    return nil, answer.error.message or vim.inspect(answer.error)
  end
  return answer.result, nil, status.code
end

function M.check()
  local health = vim.health
  local llm = require('llm_session')
  local config = llm.config

  health.start('llm_session')
  if vim.fn.has('nvim-0.10') == 0 then
    health.error('Neovim 0.10 or newer is needed')
    return
  end
  health.ok(
    ('Neovim %s (%s)'):format(
      ('%d.%d.%d'):format(vim.version().major, vim.version().minor, vim.version().patch),
      (vim.lsp.config and vim.lsp.enable) and 'vim.lsp.config/enable' or 'vim.lsp.start'
    )
  )
  if llm.is_setup() then
    health.ok("setup() was called: instruction files attach (" .. table.concat(config.patterns, ', ') .. ')')
  else
    health.warn("require('llm_session').setup() was not called", {
      'Instruction files do not attach until it is; the :Llm* commands still work.',
    })
  end

  local cmd = config.cmd
  if type(cmd) ~= 'table' or #cmd == 0 then
    health.error('cmd must be a list such as { "llm-session", "lsp" }')
    return
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    health.error(('server executable not found: %s'):format(cmd[1]), {
      'Install it: pipx install llm-session-manager (or pip install into any environment)',
      "or point setup{ cmd = { '/path/to/llm-session', 'lsp' } } at it",
    })
    return
  end
  health.ok(('server executable found: %s'):format(exe))

  local argv = version_cmd(cmd)
  if argv then
    local ok, proc = pcall(vim.system, argv, { text = true })
    local r = ok and proc:wait(config.timeout * 1000) or nil
    if r and r.code == 0 then
      health.ok('version: ' .. vim.trim(r.stdout ~= '' and r.stdout or r.stderr))
    else
      health.warn(('%s failed: %s'):format(table.concat(argv, ' '), r and vim.trim(r.stderr or '') or tostring(proc)))
    end
  end

  local result, err, code = try_initialize(cmd, config.timeout * 1000)
  if not result then
    health.error(('the server did not initialize: %s'):format(err), {
      'Run the command in a terminal to see its error: ' .. table.concat(cmd, ' ') .. ' -v',
    })
    return
  end
  local info = result.serverInfo or {}
  local commands = ((result.capabilities or {}).executeCommandProvider or {}).commands or {}
  health.ok(
    ('server starts and initializes: %s %s, commands: %s'):format(
      info.name or '?',
      info.version or '',
      table.concat(commands, ', ')
    )
  )

  if code ~= 0 then
    health.warn(('the server exited with %s after shutdown and exit (0 expected)'):format(tostring(code)))
  end

  local client = llm.get_client()
  if client then
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    health.ok(('client running (id %d), attached to %d buffer(s)'):format(client.id, #buffers))
  else
    health.info('no client running yet: it starts with the first instruction file or :Llm* command')
  end
end

return M
