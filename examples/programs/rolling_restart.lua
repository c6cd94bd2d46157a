-- Rolling restart of a pack, two nodes at a time, with a health check
-- between batches: stop at the first batch that leaves a node failing.
--
--   tlaloc program rolling_restart.lua web --key ops.key [--dry-run]
--
-- The restart itself is the pack's recipe (a service with a restart
-- trigger); converging a node runs it. The health check reads what every
-- node gossips about its last run, so it needs no extra port.
local pack_name = arg[1] or "web"
local nodes = cluster.members{ pack = pack_name }
if #nodes == 0 then error("no alive node in pack " .. pack_name) end

local function healthy(batch)
  for _, n in ipairs(cluster.members{ pack = pack_name, status = "any" }) do
    if n.status ~= "alive" then return false, n.name .. " is " .. n.status end
    if n.run and n.run.error then return false, n.name .. ": " .. n.run.error end
  end
  return true
end

return rolling(nodes, { batch = 2, max_failures = 0, check = healthy })
