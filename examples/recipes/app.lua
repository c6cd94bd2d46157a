-- An application server.
pack "app"
channel "#web"

local root = "/srv/app"
directory { path = root, mode = "0755", recurse = true }
directory { path = root .. "/releases", purge = true }

local conf = file {
  path = root .. "/app.conf",
  content = ("listen = %d\nworkers = %d\n"):format(8080, node.cpus or 2),
  mode = "0640",
}

-- Runs only when the config changes (like a service reload). Under
-- --root a command runs chrooted into the tree; the demo's scratch tree
-- has no /bin/sh, so these say host = true and aim at $TLALOC_ROOT (on a
-- real node, root /, host = true changes nothing).
exec {
  name = "app-reload",
  command = { "/bin/sh", "-c", "date > \"$TLALOC_ROOT/srv/app/reloaded\"" },
  refreshonly = true,
  subscribe = conf,
  host = true,
}

-- Runs once: guarded by the file it creates (a path in the tree).
exec {
  name = "app-init",
  command = { "/bin/sh", "-c", "echo initialised > \"$TLALOC_ROOT/srv/app/.init\"" },
  creates = root .. "/.init",
  host = true,
  require = "directory[/srv/app]",
}
