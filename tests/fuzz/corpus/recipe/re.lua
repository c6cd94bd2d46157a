if node.name:match_re("^a(b)") then tags{"x",k="v"} end
local s, n = ("aXbX"):gsub_re("X", "$0$0")
