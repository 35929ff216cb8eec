package regtest

// The only credentials WithHtpasswd supports. They are test-only and public.
// The distribution registry accepts nothing but bcrypt in htpasswd files and
// golang.org/x/crypto is not a dependency of this module, so the hash below was
// generated once, outside the module, with
// bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost). The minimum
// cost is deliberate: the registry checks the hash on every request, and at
// the default cost that adds about 60 ms to each.
const (
	User     = "tagguard"
	Password = "tagguard-test-password"
)

// htpasswdLine is User's entry in an htpasswd file.
const htpasswdLine = User + ":$2a$04$AcmfJwc9wNPhL5wF69ZyvudcDJOXOLZ9bkhlOrOgdx1yfy.S8a8uW\n"
