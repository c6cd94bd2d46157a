{{ "{{" }} {% raw %}
{{ raw }} {% if %}
{% endraw %}
{% for i, t in node.tags %}{{ i }}={{ loop.index }}/{{ loop.length }}{% end %}{% for x in none %}{% end %}
