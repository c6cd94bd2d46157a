-- A pack-wide configuration change, converged one node at a time: publish
-- the new policy first (tlaloc publish DIR --key K), then let this program
-- take the pack through it so only one node is ever mid-change.
--
--   tlaloc program config_change.lua db --key ops.key
local pack_name = arg[1] or "db"
local report = rolling(cluster.members{ pack = pack_name }, {
  batch = 1,
  max_failures = 0,
  check = function(batch)
    local n = batch[1]
    -- A node that converged reports the newest policy it knows.
    local now = cluster.members{ name = "^" .. n.name .. "$" }[1]
    return now ~= nil and now.run ~= nil and now.run.failed == 0,
      n.name .. " did not come back clean"
  end,
})
return { finished = report.finished, untouched = report.untouched }
