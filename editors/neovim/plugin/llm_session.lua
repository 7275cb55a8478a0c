-- User commands of llm-session (see :help llm-session). They work with or
-- without setup(): without it, the server is `llm-session lsp` on $PATH and
-- is started by the first command.
if vim.g.loaded_llm_session == 1 or vim.fn.has('nvim-0.10') == 0 then
  return
end
vim.g.loaded_llm_session = 1

local function llm()
  return require('llm_session')
end

local function complete_ids(arglead)
  return llm().complete_ids(arglead)
end

local command = vim.api.nvim_create_user_command

command('LlmSessions', function(opts)
  llm().show_sessions(opts.fargs)
end, {
  nargs = '*',
  desc = 'llm-session: list the AI coding sessions with health, tokens and context fill',
  complete = function(arglead)
    return vim.tbl_filter(function(word)
      return word:sub(1, #arglead) == arglead
    end, { 'active', 'provider=', 'project=', 'tag=' })
  end,
})

command('LlmRecall', function(opts)
  llm().recall(opts.args)
end, { nargs = '+', desc = 'llm-session: recall what past sessions learned' })

command('LlmRefresh', function()
  llm().refresh()
end, { nargs = 0, desc = 'llm-session: scan the assistants\' logs for new lines now' })

command('LlmExport', function(opts)
  llm().export(opts.fargs[1], opts.fargs[2])
end, {
  nargs = '+',
  desc = 'llm-session: export a session report {id} [markdown|json|yaml|csv]',
  complete = function(arglead, cmdline)
    local words = vim.split(vim.trim(cmdline), '%s+')
    local index = #words + (cmdline:match('%s$') and 1 or 0) - 1
    if index <= 1 then
      return complete_ids(arglead)
    end
    return vim.tbl_filter(function(format)
      return format:sub(1, #arglead) == arglead
    end, require('llm_session.ui').formats)
  end,
})

command('LlmTag', function(opts)
  llm().tag(opts.fargs[1], vim.list_slice(opts.fargs, 2))
end, { nargs = '+', complete = complete_ids, desc = 'llm-session: tag a session {id} {tag}...' })

command('LlmContext', function(opts)
  llm().optimize_context(opts.fargs[1])
end, {
  nargs = 1,
  complete = complete_ids,
  desc = 'llm-session: the files a session keeps in context, by token cost',
})
