-- "Run the nightly job on the leader of #db only." Give it to every db
-- agent and the pack's leader runs it, once per interval, never on two
-- nodes at once, and a new leader picks it up if the old one dies:
--
--   tlaloc agent --pack db --program /etc/tlaloc/nightly_db.lua \
--       --program-interval 86400 --program-key /etc/tlaloc/ops.key
--
-- Run by hand on any node it does nothing unless that node leads #db.
on_leader("db", function(me)
  -- The job is the leader's own converge: its recipe holds the backup
  -- (an exec guarded by pack.is_leader()). It reports like any run.
  local ok, r = me:converge{ timeout = 3600 }
  if not ok then error("nightly job failed on " .. me.name .. ": " .. r.error) end
  return r
end)
