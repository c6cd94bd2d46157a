a
  {% if yes %}  
{{ site.ports.2 }}
{% end %}