-- The demo recipe: what `scripts/demo` converges into a scratch root.
-- Every node runs this; it classifies itself by name and facts, the way
-- the vision's preg_match() examples do, then declares what it should be.

tag "demo"

-- Everyone gets the base.
include "recipes/base.lua"

-- Classification by host name (Perl regex, like preg_match).
if node.name:match_re("^app-[0-9]+\\.") or node.role == "app" then
  include "recipes/app.lua"
end
if node.name:match_re("^ns-[0-9]+\\.dmz\\.") then
  include "recipes/dns.lua"
end

-- Under an agent (the demo's cluster): services and a load balancer.
if node.agent then
  include "recipes/services.lua"
end
