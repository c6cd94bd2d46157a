server {
    {% for p in site.ports %}
    listen {{ p }};
    {% endfor %}
    server_name {{ node.hostname | upper }}.{{ site.name | default("x") }};
}
