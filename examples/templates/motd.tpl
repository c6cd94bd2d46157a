Welcome to {{ node.hostname }} ({{ node.distribution | default("unknown") }} {{ node.version | default("") }}, {{ node.cpus }} cpus)
{# a comment that does not show #}
{% if admins %}
Admins:
{% for a in admins %}
  - {{ a }}{% if loop.last %} (last){% end %}
{% end %}
{% end %}
{{ banner }}
