-- Things every node has. (On a real system /etc exists; the demo's
-- scratch root starts empty, and declaring it costs nothing.)
directory { path = "/etc", mode = "0755" }
directory { path = "/etc/tlaloc-demo", mode = "0755" }

file {
  path = "/etc/motd",
  template = "templates/motd.tpl",
  vars = { admins = { "ana", "bo" }, banner = "managed by tlaloc" },
  mode = "0644",
}

file { path = "/etc/tlaloc-demo/issue.net", source = "files/issue.net" }

-- A config someone else owns: edit single lines (the vision's
-- $File->Replace_Line), create it first if the tree is empty.
file { path = "/etc/ntp.conf", content = "server pool.ntp.org iburst\ndriftfile /var/lib/ntp/drift\n", replace = false }
file.replace_line("/etc/ntp.conf", "^server ", "server ntp.dmz.example iburst")

link { path = "/etc/tlaloc-demo/motd", target = "/etc/motd" }
