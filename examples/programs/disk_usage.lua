-- Disk usage of every node, gathered into one table: an exec query
-- (signed with the operator key) runs df on every node at once.
--
--   tlaloc program disk_usage.lua [FILTER] --json --key ops.key
--
-- FILTER is a query filter ('#web', 'pack=db', 'name=^db'); default all.
local res = cluster.run(arg[1] or "#all", { "df", "-P", "/" }, { timeout = 10 })
local usage = {}
for name, r in pairs(res) do
  -- POSIX df -P: the last line ends with "CAPACITY% MOUNTPOINT".
  local pct = r.ok and r.stdout:match("(%d+)%%%s+/%s*$")
  usage[name] = pct and tonumber(pct) or (r.message or r.outcome or "?")
end
return usage
