{% if node.cpus == 4 and not no or (yes != "x") %}a{% elif empty %}b{% else %}c{% endif %}
{{ node.tags | join(", ") }} {{ users | json }} {{ node.hostname | quote }} {{ node.tags | length }} {{ "  t  " | trim | lower }}
