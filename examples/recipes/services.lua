-- Services (docs/services.md), as the demo's cluster runs them: node1
-- balances the healthy instances of service "web" with haproxy; every
-- other node registers its web server with a health check. The backend
-- list is read from the catalog while this compiles; when it changes (a
-- backend's check fails, a node dies, drains or joins) the agent
-- converges again and haproxy is reloaded.
--
-- In the demo every node is an agent on its own loopback address
-- (127.0.0.N for nodeN), so the web server of nodeN listens there.
local n = node.agent.name:match_re("(\\d+)$")

if node.agent.name == "node1" then
  directory { path = "/etc/haproxy" }
  directory { path = "/run" }
  file {
    path = "/etc/haproxy/haproxy.cfg",
    template = "templates/haproxy.cfg.tpl",
    vars = { backends = cluster.service("web", { healthy = true }),
             lb_port = 18000 },
  }
  exec {
    name = "haproxy-reload",
    command = { "/bin/sh", "-c",
      "p=\"$TLALOC_ROOT/run/haproxy.pid\"; [ -s \"$p\" ] && kill -USR2 \"$(cat \"$p\")\" || true" },
    refreshonly = true,
    subscribe = "file[/etc/haproxy/haproxy.cfg]",
    host = true,  -- haproxy runs on the host; the demo's tree is bare
  }
elseif n then
  service {
    name = "web", port = 18080,
    checks = { { name = "web-http", http = "http://127.0.0." .. n .. ":18080/",
                 interval = "500ms", timeout = "400ms", rise = 2, fall = 2 } },
  }
end
