-- An authoritative name server in the DMZ (ns-NN.dmz.*).
pack "dns"
file { path = "/etc/bind/named.conf.local", content = "// zones served here\n" }
