file{path="/x",content="y",mode="0644"}
line{path="/x",match="^a",line="b"}
exec{name="e",command={"a","b"},env={A="1"}}
