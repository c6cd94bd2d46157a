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

-- Runs only when the config changes (like a service reload).
exec {
  name = "app-reload",
  command = { "/bin/sh", "-c", "date > \"$TLALOC_ROOT/srv/app/reloaded\"" },
  refreshonly = true,
  subscribe = conf,
}

-- Runs once: guarded by the file it creates.
exec {
  name = "app-init",
  command = { "/bin/sh", "-c", "echo initialised > \"$TLALOC_ROOT/srv/app/.init\"" },
  creates = root .. "/.init",
  require = "directory[/srv/app]",
}
