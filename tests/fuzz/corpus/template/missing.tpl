{{ nope }}
