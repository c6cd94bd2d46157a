-- Disk usage of every node, gathered into one table. Other nodes answer
-- through an exec query (cluster.run, signed with the operator key);
-- without channels in the build this node's own facts are shown.
--
--   tlaloc program disk_usage.lua --json --key ops.key
local usage = {}
local ok, res = pcall(cluster.run, {}, { "df", "-P", "/" }, { timeout = 10 })
if ok then
  for name, r in pairs(res) do
    local pct = r.stdout and r.stdout:match("(%d+)%%%s+/%s*$")
    usage[name] = pct and tonumber(pct) or r.error or "?"
  end
else
  local me = cluster.self()
  local f = me:facts()
  usage[me.name] = f.disk or f.mounts or "facts have no disk usage"
end
return usage
