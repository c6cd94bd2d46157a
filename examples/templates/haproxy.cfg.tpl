# Rendered by tlaloc from cluster.service("web", {healthy = true}).
global
    maxconn 256
defaults
    mode http
    timeout connect 300ms
    timeout client 5s
    timeout server 5s
    retries 3
    option redispatch 1
frontend www
    bind 127.0.0.1:{{ lb_port }}
    default_backend web
backend web
    balance roundrobin
{% for b in backends %}    server {{ b.node }} {{ b.addr }}:{{ b.port }}
{% end %}
