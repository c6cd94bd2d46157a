Welcome to {{ node.hostname }} ({{ node.cpus }} cpus)
{# comment #}
{% if users %}
Users:
{% for name, u in users %}
  - {{ name }} {{ u.uid }}{% if loop.last %} (last){% end %}
{% end %}
{% end %}
