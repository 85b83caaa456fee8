-- A real editor session against `asynclint server`: Neovim's own LSP client (0.7 and later), headless.
-- Run by bench/editors/neovim.py, which copies examples/shop to a temporary folder, starts
--   nvim --headless --clean -c "luafile bench/editors/neovim_session.lua"
-- with ASYNCLINT_SESSION_ROOT and ASYNCLINT_SESSION_LOG set, and prints the log.
local root = os.getenv("ASYNCLINT_SESSION_ROOT")
local logfile = io.open(os.getenv("ASYNCLINT_SESSION_LOG"), "w")
local function log(...)
  local parts = {}
  for _, v in ipairs({ ... }) do table.insert(parts, type(v) == "string" and v or vim.inspect(v)) end
  logfile:write(table.concat(parts, " ") .. "\n")
  logfile:flush()
end
local function ms(t0) return string.format("%.0f ms", (vim.loop.hrtime() - t0) / 1e6) end

local client_id = vim.lsp.start_client({
  name = "asynclint",
  cmd = { "asynclint", "server" },
  root_dir = root,
  init_options = { unsafeFixes = true },
  flags = { debounce_text_changes = 0 },
})
log("client", client_id)

-- what the server published, per buffer: the diagnostics and when they came
local published = {}
local orig = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  published[result.uri] = { at = vim.loop.hrtime(), n = #result.diagnostics }
  return orig(err, result, ctx, config)
end

local function open(rel)
  vim.cmd("edit " .. root .. "/" .. rel)
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = "python"
  vim.lsp.buf_attach_client(buf, client_id)
  return buf
end

local function codes(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out, string.format("%d:%s", d.lnum + 1, d.code or "?"))
  end
  table.sort(out, function(a, b) return tonumber(a:match("^%d+")) < tonumber(b:match("^%d+")) end)
  return table.concat(out, " ")
end

local function wait_for(what, test, timeout)
  local t0 = vim.loop.hrtime()
  local ok = vim.wait(timeout or 60000, test, 10)
  log(ok and "ok  " or "FAIL", what, ms(t0))
  return ok
end

-- 1. open a router: the findings of the whole-project analysis appear
local t0 = vim.loop.hrtime()
local orders = open("shop/routers/orders.py")
local uri = vim.uri_from_bufnr(orders)
wait_for("diagnostics of orders.py after open (indexing)", function() return published[uri] ~= nil end, 120000)
log("orders.py:", codes(orders))

-- 2. a blocking call typed into a coroutine of the open file
local last = published[uri].at
local line = vim.fn.search("^async def list_orders") -- 1-based
vim.api.nvim_buf_set_lines(orders, line, line, false, { "    time.sleep(1)" })
wait_for("a new finding after typing time.sleep(1) into list_orders", function()
  return published[uri].at > last and codes(orders):find(tostring(line + 1) .. ":ASL102") ~= nil
end)
log("orders.py:", codes(orders))
last = published[uri].at
vim.api.nvim_buf_set_lines(orders, line, line + 1, false, {})
wait_for("it goes when the line is deleted", function()
  return published[uri].at > last and codes(orders):find(tostring(line + 1) .. ":ASL102") == nil
end)

-- 3. an edit in another file changes this file's findings (unsaved, in the other buffer)
local before = codes(orders)
local cache = open("shop/services/cache.py")
local n = vim.fn.search("cache.set(key, json.dumps(value), ex=ttl)")
last = published[uri].at
vim.api.nvim_buf_set_lines(cache, n - 1, n, false, { "    value = None" })
wait_for("orders.py re-published after set_json stopped touching redis (cache.py edited)", function()
  return published[uri].at > last and codes(orders) ~= before
end)
log("orders.py:", codes(orders))
last = published[uri].at
vim.api.nvim_buf_set_lines(cache, n - 1, n, false, { "    cache.set(key, json.dumps(value), ex=ttl)" })
wait_for("and back when the call is restored", function()
  return published[uri].at > last and codes(orders) == before
end)

-- 4. hover on a finding shows its chain
vim.api.nvim_set_current_buf(orders)
local d = nil
for _, x in ipairs(vim.diagnostic.get(orders)) do if x.code == "ASL201" then d = x end end
local hover = vim.lsp.buf_request_sync(orders, "textDocument/hover", {
  textDocument = { uri = uri }, position = { line = d.lnum, character = d.col },
}, 10000)
for _, r in pairs(hover or {}) do
  local value = r.result and r.result.contents and (r.result.contents.value or r.result.contents) or r.error
  log("hover on", d.lnum + 1, d.code, ":", value)
end

-- 5. a code action: the fix applied in the buffer, then its finding goes
local fixable = nil
for _, x in ipairs(vim.diagnostic.get(orders)) do if x.code == "ASL102" then fixable = x end end
local t1 = vim.loop.hrtime()
local actions = vim.lsp.buf_request_sync(orders, "textDocument/codeAction", {
  textDocument = { uri = uri },
  range = { start = { line = fixable.lnum, character = 0 }, ["end"] = { line = fixable.lnum, character = 0 } },
  context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(orders, fixable.lnum) },
}, 10000)
log("code actions on line", fixable.lnum + 1, "in", ms(t1))
local chosen = nil
for _, r in pairs(actions or {}) do
  for _, a in ipairs(r.result or {}) do
    log("  action:", a.title)
    if chosen == nil and a.edit then chosen = a end
  end
end
last = published[uri].at
local text_before = vim.api.nvim_buf_get_lines(orders, fixable.lnum, fixable.lnum + 1, false)[1]
vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
log("line", fixable.lnum + 1, "before:", text_before)
log("line", fixable.lnum + 1, "after: ", vim.api.nvim_buf_get_lines(orders, fixable.lnum, fixable.lnum + 1, false)[1])
log("head:", table.concat(vim.api.nvim_buf_get_lines(orders, 0, 4, false), " / "))
wait_for("the fixed finding is gone", function()
  if published[uri].at <= last then return false end
  for _, x in ipairs(vim.diagnostic.get(orders)) do
    if x.lnum == fixable.lnum and x.code == "ASL102" then return false end
  end
  return true
end)
log("orders.py:", codes(orders))
log("session", ms(t0))

vim.lsp.stop_client(client_id)
vim.wait(3000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
log("server stopped:", vim.lsp.get_client_by_id(client_id) == nil)
logfile:close()
vim.cmd("qa!")
